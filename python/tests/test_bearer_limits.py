"""The Node package's bearer limits through ``MCPAuth``: ``remote_jwk_set``,
``cache``, ``max_token_length``, ``verify_timeout`` and
``strip_authorization_header``. Each has an effect on a request to a
loopback authorization server, and a bad value is refused at setup by the
core, naming the option."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import authserver
import pytest
from authserver import RESOURCE, AuthServer, jwks_of, new_key
from modeskit import bearer, call, new_auth, server_config
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.bearer_options import RemoteJwkSetOptions
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.exceptions import MCPAuthAuthServerException
from mcp_auth_rs.sdk import McpTokenVerifier
from mcp_auth_rs.types import AuthInfo


@pytest.fixture
def fresh() -> Iterator[AuthServer]:
    """A server of the test's own: its key-set hits and switches start clean."""
    with authserver.auth_server() as server:
        yield server


def auth_for(server: AuthServer) -> MCPAuth:
    return new_auth([server_config(server.issuer, AuthServerType.OIDC)])


def app_for(mcp_auth: MCPAuth, mode: Any = "jwt", **options: Any) -> Starlette:
    """``/mcp`` answers the caller's subject and whether it saw an Authorization header."""

    async def echo(request: Request) -> JSONResponse:
        auth = mcp_auth.auth_info
        assert auth is not None
        seen = request.headers.get("authorization")
        return JSONResponse({"sub": auth.subject, "authorization": seen})

    gate = mcp_auth.bearer_auth_middleware(mode, resource=RESOURCE, **options)
    return Starlette(routes=[Route("/mcp", echo, middleware=[Middleware(gate)])])


def reason(raised: pytest.ExceptionInfo[MCPAuthAuthServerException]) -> str:
    cause = raised.value.cause
    assert isinstance(cause, dict)
    text: str = cause["error_description"]
    return text


def refused_at_setup(server: AuthServer, **options: Any) -> str:
    with pytest.raises(MCPAuthAuthServerException) as raised:
        auth_for(server).bearer_auth_middleware("jwt", resource=RESOURCE, **options)
    assert raised.value.code.value == "invalid_server_config"
    return reason(raised)


# --- remote_jwk_set and cache ------------------------------------------------


def test_a_short_key_set_max_age_fetches_again(fresh: AuthServer) -> None:
    default = app_for(auth_for(fresh))
    for n in range(3):
        assert bearer(default, fresh.token(RESOURCE, subject=f"u{n}")).status_code == 200
    assert fresh.hits["/jwks"] == 1  # fetched once, then cached (10 minutes)

    short = app_for(auth_for(fresh), remote_jwk_set={"cache_max_age": 1, "cooldown_duration": 0})
    before = fresh.hits["/jwks"]
    for n in range(3):
        time.sleep(0.01)
        assert bearer(short, fresh.token(RESOURCE, subject=f"v{n}")).status_code == 200
    assert fresh.hits["/jwks"] - before >= 2


def test_a_slow_key_set_times_out(fresh: AuthServer) -> None:
    fresh.jwks_delay = 3.0
    app = app_for(auth_for(fresh), remote_jwk_set={"timeout_duration": 100})
    started = time.monotonic()
    response = bearer(app, fresh.token(RESOURCE))
    assert response.status_code == 503
    assert "retry-after" in response.headers
    assert time.monotonic() - started < 2.5


def test_stale_max_age_bounds_the_use_of_an_expired_key_set(fresh: AuthServer) -> None:
    # A stale set stands in only within a cooldown of the failed fetch.
    expiring: RemoteJwkSetOptions = {"cache_max_age": 1, "cooldown_duration": 5000}
    stale_ok = app_for(auth_for(fresh), remote_jwk_set=expiring)
    no_stale = app_for(auth_for(fresh), remote_jwk_set=expiring, cache={"stale_max_age": 0})
    for app in (stale_ok, no_stale):
        assert bearer(app, fresh.token(RESOURCE, subject="first")).status_code == 200
    fresh.jwks_down = True
    time.sleep(0.01)
    # New tokens: the key set must be used, and it has expired.
    assert bearer(stale_ok, fresh.token(RESOURCE, subject="later")).status_code == 200
    refused = bearer(no_stale, fresh.token(RESOURCE, subject="later"))
    assert refused.status_code == 503 and "retry-after" in refused.headers


def test_a_key_set_larger_than_max_response_bytes_is_an_outage() -> None:
    key = new_key()
    keys = [jwks_of(key, kid=f"k{n}")["keys"][0] for n in range(4)]
    with authserver.auth_server(key=key, kid="k0", jwks={"keys": keys}) as server:
        assert len(str(keys)) > 1024
        token = server.token(RESOURCE)
        assert bearer(app_for(auth_for(server)), token).status_code == 200
        small = app_for(auth_for(server), cache={"max_response_bytes": 1024})
        assert bearer(small, token).status_code == 503


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"remote_jwk_set": {"timeout_duration": 0}}, "`remoteJwkSet.timeoutDuration`"),
        ({"remote_jwk_set": {"cooldown_duration": -1}}, "`remoteJwkSet.cooldownDuration`"),
        ({"remote_jwk_set": {"cache_max_age": 1.5}}, "`remoteJwkSet.cacheMaxAge`"),
        ({"cache": {"stale_max_age": "1h"}}, "`cache.staleMaxAge`"),
        ({"cache": {"token_cache_size": 1_000_001}}, "`cache.tokenCacheSize`"),
        ({"cache": {"token_cache_max_age": -5}}, "`cache.tokenCacheMaxAge`"),
        ({"cache": {"max_response_bytes": 1023}}, "`cache.maxResponseBytes`"),
        ({"remote_jwk_set": {"timeout": 5}}, "`remote_jwk_set.timeout`"),
        ({"cache": {"issuers": []}}, "`cache.issuers`"),
        ({"cache": 5}, "`cache`"),
    ],
)
def test_bad_key_set_and_cache_options_are_refused(
    issuer: AuthServer, options: dict[str, Any], named: str
) -> None:
    assert named in refused_at_setup(issuer, **options)


# --- max_token_length --------------------------------------------------------


def test_a_token_longer_than_max_token_length_is_refused(issuer: AuthServer) -> None:
    token = issuer.token(RESOURCE)
    exact = app_for(auth_for(issuer), max_token_length=len(token))
    assert bearer(exact, token).status_code == 200
    short = app_for(auth_for(issuer), max_token_length=len(token) - 1)
    refused = bearer(short, token)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


@pytest.mark.parametrize("bad", [0, 1024 * 1024 + 1, 10.5, "8192", True, float("nan")])
def test_bad_max_token_length_is_refused(issuer: AuthServer, bad: object) -> None:
    text = refused_at_setup(issuer, max_token_length=bad)
    assert text.startswith("`maxTokenLength` must be an integer number of bytes from 1 to")


def test_token_verifier_applies_max_token_length(issuer: AuthServer) -> None:
    token = issuer.token(RESOURCE)

    def verifier(limit: int) -> McpTokenVerifier:
        return auth_for(issuer).token_verifier(RESOURCE, max_token_length=limit)

    async def judge(verifier: McpTokenVerifier) -> object:
        return await verifier.verify_token(token)

    assert anyio.run(judge, verifier(len(token))) is not None
    assert anyio.run(judge, verifier(len(token) - 1)) is None


# --- verify_timeout ----------------------------------------------------------


def identity(server: AuthServer, token: str) -> AuthInfo:
    return AuthInfo(
        token=token,
        issuer=server.issuer,
        client_id="c",
        scopes=[],
        subject="slow-or-not",
        audience=RESOURCE,
        claims={},
    )


def test_a_slow_async_verifier_gets_503(issuer: AuthServer) -> None:
    async def slow(token: str) -> AuthInfo:
        await anyio.sleep(5)
        return identity(issuer, token)

    async def quick(token: str) -> AuthInfo:
        await anyio.sleep(0.01)
        return identity(issuer, token)

    started = time.monotonic()
    timed_out = bearer(app_for(auth_for(issuer), slow, verify_timeout=50), "opaque")
    assert time.monotonic() - started < 2
    assert timed_out.status_code == 503
    assert timed_out.headers["retry-after"] == "10"
    assert timed_out.json()["error"] == "server_error"
    answered = bearer(app_for(auth_for(issuer), quick, verify_timeout=1000), "opaque")
    assert answered.status_code == 200 and answered.json()["sub"] == "slow-or-not"


def test_a_verifier_that_raises_timeout_error_itself_is_not_a_timeout(issuer: AuthServer) -> None:
    async def failing(token: str) -> AuthInfo:
        raise TimeoutError("its own")

    # An unexpected error of the verifier: the core's 500, not the timeout's 503.
    assert bearer(app_for(auth_for(issuer), failing), "opaque").status_code == 500


def test_a_sync_verifier_is_not_bounded(issuer: AuthServer) -> None:
    def blocking(token: str) -> AuthInfo:
        time.sleep(0.1)
        return identity(issuer, token)

    assert (
        bearer(app_for(auth_for(issuer), blocking, verify_timeout=1), "opaque").status_code == 200
    )


@pytest.mark.parametrize("bad", [0, 300_001, 2.5, "10", float("inf")])
def test_bad_verify_timeout_is_refused(issuer: AuthServer, bad: object) -> None:
    text = refused_at_setup(issuer, verify_timeout=bad)
    assert text.startswith(
        "`verifyTimeout` must be an integer number of milliseconds from 1 to 300000"
    )


# --- strip_authorization_header ----------------------------------------------


def test_strip_authorization_header_hides_the_token_from_the_app(issuer: AuthServer) -> None:
    token = issuer.token(RESOURCE, subject="alice")
    kept = bearer(app_for(auth_for(issuer)), token)
    assert kept.status_code == 200 and kept.json()["authorization"] == f"Bearer {token}"
    stripped = bearer(app_for(auth_for(issuer), strip_authorization_header=True), token)
    assert stripped.status_code == 200
    assert stripped.json() == {"sub": "alice", "authorization": None}
    # Refusals are unchanged.
    app = app_for(auth_for(issuer), strip_authorization_header=True)
    assert call(app).status_code == 401
    assert "strip_authorization_header" in refused_at_setup(
        issuer, strip_authorization_header="yes"
    )
