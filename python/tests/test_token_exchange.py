"""``MCPAuth.exchange_token`` (RFC 8693, Entra's on-behalf-of) against the
loopback server's ``/token`` route: the form sent, the cache, single flight
and expiry, refusals (403) and outages (503) of a token endpoint that
misbehaves on purpose, and docs/token-exchange.md's Python example
(examples/python-token-exchange/list_invoices.py, which the page includes)."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from authserver import ACCESS_TOKEN_TYPE, AuthServer, auth_server, issued_token

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthorizationServerMetadata, AuthServerConfig, AuthServerType
from mcp_auth_rs.exceptions import (
    MCPAuthAuthServerException,
    MCPAuthTokenExchangeException,
    TokenExchangeExceptionCode,
)
from mcp_auth_rs.token_exchange import ExchangedToken, TokenExchangeOptions
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata

RESOURCE = "https://mcp.example.com/mcp"
EXAMPLE = Path(__file__).parents[2] / "examples" / "python-token-exchange" / "list_invoices.py"
SECRET = "rs-secret-value"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@pytest.fixture()
def server() -> Iterator[AuthServer]:
    with auth_server() as s:
        yield s


def auth(server: AuthServer, token_path: str = "/token", **options: Any) -> MCPAuth:
    fields: dict[str, Any] = {
        "issuer": server.issuer,
        "authorization_endpoint": f"{server.issuer}/authorize",
        "token_endpoint": f"{server.issuer}{token_path}",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "registration_endpoint": f"{server.issuer}/register",
        "jwks_uri": f"{server.issuer}/jwks",
    }
    config = AuthServerConfig(
        type=AuthServerType.OAUTH, metadata=AuthorizationServerMetadata.model_validate(fields)
    )
    exchange: TokenExchangeOptions = {"client_id": "rs", "client_secret": SECRET}
    exchange.update(options)  # type: ignore[typeddict-item]
    return MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(resource=RESOURCE, authorization_servers=[config])
        ),
        token_exchange=exchange,
    )


def caller(token: str = "caller.token") -> AuthInfo:
    return AuthInfo(
        token=token,
        issuer="https://as",
        client_id="c",
        scopes=[],
        subject="u",
        audience=None,
        claims={},
    )


def form(server: AuthServer, index: int = 0) -> dict[str, str]:
    return {k: v[0] for k, v in server.token_forms[index].items()}


def test_sends_the_grant_and_caches_the_answer(server: AuthServer) -> None:
    server.token_answer = lambda _f: (200, issued_token(scope="invoices:read"))
    mcp_auth = auth(server)

    async def run() -> list[ExchangedToken]:
        first = await mcp_auth.exchange_token(
            caller(),
            audience="billing-api",
            resource="https://billing.example.com/",
            scope=["invoices:read"],
        )
        again = await mcp_auth.exchange_token(
            caller(),
            audience=["billing-api"],
            resource="https://billing.example.com/",
            scope="invoices:read",
        )
        other = await mcp_auth.exchange_token(caller("other.caller"), audience="billing-api")
        return [first, again, other]

    first, again, _ = asyncio.run(run())
    assert first == ExchangedToken(
        "upstream.token", "Bearer", ACCESS_TOKEN_TYPE, 600, "invoices:read"
    )
    assert "upstream.token" not in repr(first)
    assert again == first
    assert server.token_calls == 2
    assert form(server) == {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": "caller.token",
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "audience": "billing-api",
        "resource": "https://billing.example.com/",
        "scope": "invoices:read",
    }
    expected = "Basic " + base64.b64encode(f"rs:{SECRET}".encode()).decode()
    assert server.token_authorizations[0] == expected


def test_concurrent_exchanges_share_one_call(server: AuthServer) -> None:
    server.token_delay = 0.15
    mcp_auth = auth(server)

    async def run() -> list[ExchangedToken]:
        calls = [mcp_auth.exchange_token(caller(), audience="a") for _ in range(8)]
        return await asyncio.gather(*calls)

    tokens = asyncio.run(run())
    assert server.token_calls == 1
    assert {t.access_token for t in tokens} == {"upstream.token"}


def test_reuse_ends_expiry_margin_before_expiry_and_needs_expires_in(server: AuthServer) -> None:
    server.token_answer = lambda _f: (200, issued_token(expires_in=2))
    mcp_auth = auth(server, expiry_margin=1000)

    async def run() -> ExchangedToken:
        await mcp_auth.exchange_token(caller(), audience="a")
        await mcp_auth.exchange_token(caller(), audience="a")
        assert server.token_calls == 1
        await asyncio.sleep(1.1)
        await mcp_auth.exchange_token(caller(), audience="a")
        assert server.token_calls == 2
        server.token_answer = lambda _f: (200, issued_token(expires_in=None))
        unknown = await mcp_auth.exchange_token(caller(), audience="b")
        await mcp_auth.exchange_token(caller(), audience="b")
        assert server.token_calls == 4
        return unknown

    assert asyncio.run(run()).expires_in is None


def test_on_behalf_of_with_client_secret_post(server: AuthServer) -> None:
    server.token_answer = lambda _f: (200, issued_token(issued_token_type=None))
    mcp_auth = auth(server, grant="on_behalf_of", client_auth_method="client_secret_post")
    token = asyncio.run(mcp_auth.exchange_token(caller(), scope="api://billing/.default"))
    assert token.issued_token_type == ACCESS_TOKEN_TYPE
    assert server.token_authorizations[0] is None
    assert form(server) == {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": "caller.token",
        "requested_token_use": "on_behalf_of",
        "scope": "api://billing/.default",
        "client_id": "rs",
        "client_secret": SECRET,
    }
    with pytest.raises(MCPAuthAuthServerException):
        asyncio.run(mcp_auth.exchange_token(caller(), audience="x", scope="y"))


HANG = 2.0
CASES: list[tuple[tuple[int, object], int, str]] = [
    (
        (400, {"error": "invalid_grant", "error_description": "caller.token bad"}),
        403,
        r"invalid_grant \(HTTP 400\)",
    ),
    ((401, {"error": "invalid_client"}), 403, r"invalid_client \(HTTP 401\)"),
    ((403, b"no"), 403, r"refused \(HTTP 403\)"),
    ((500, b"oops"), 503, r"HTTP 500"),
    ((200, b'{"access_token": '), 503, r".+"),
    ((200, b'{"padding": "' + b"x" * 4096 + b'"}'), 503, r".+"),
    ((200, issued_token(expires_in=-60)), 503, r"expires_in"),
    ((200, issued_token(expires_in=10**12)), 503, r"expires_in"),
    ((200, issued_token(access_token=None)), 503, r"access_token"),
    ((200, issued_token(issued_token_type=None)), 503, r"issued_token_type"),
]


@pytest.mark.parametrize(("answer", "status", "reason"), CASES)
def test_refusals_are_403_and_outages_503(
    server: AuthServer, answer: tuple[int, object], status: int, reason: str
) -> None:
    server.token_answer = lambda _f: answer
    mcp_auth = auth(server, timeout=500, max_response_bytes=1024)
    with pytest.raises(MCPAuthTokenExchangeException) as caught:
        asyncio.run(mcp_auth.exchange_token(caller(), audience="a"))
    error = caught.value
    assert error.status == status
    refused = TokenExchangeExceptionCode.TOKEN_EXCHANGE_REFUSED
    assert (error.code is refused) == (status == 403)
    assert isinstance(error.cause, dict) and re.search(reason, error.cause["reason"])
    assert (error.retry_after is None) == (status == 403)
    shown = f"{error} {error.cause} {error.to_json(True)}"
    assert "caller.token" not in shown and SECRET not in shown
    # Nothing failed was cached.
    server.token_answer = lambda _f: (200, issued_token())
    assert (
        asyncio.run(mcp_auth.exchange_token(caller(), audience="a")).access_token
        == "upstream.token"
    )


def test_a_slow_or_gone_endpoint_is_503(server: AuthServer) -> None:
    server.token_delay = 1.0
    mcp_auth = auth(server, timeout=200)
    with pytest.raises(MCPAuthTokenExchangeException) as caught:
        asyncio.run(mcp_auth.exchange_token(caller(), audience="a"))
    assert caught.value.status == 503
    assert "timed out after 200 ms" in str(caught.value.cause)
    with auth_server() as gone:
        pass
    stale = auth(gone)
    with pytest.raises(MCPAuthTokenExchangeException) as caught:
        asyncio.run(stale.exchange_token(caller(), audience="a"))
    assert caught.value.status == 503


def test_an_explicit_issuer_has_its_token_endpoint_discovered(server: AuthServer) -> None:
    # The configured metadata's endpoint is not used for an explicit issuer.
    mcp_auth = auth(server, token_path="/not-here", issuer=server.issuer)
    assert asyncio.run(mcp_auth.exchange_token(caller(), audience="a")).access_token
    assert server.hits["/.well-known/oauth-authorization-server"] >= 1
    assert server.token_calls == 1


def test_options_and_parameters_are_checked_by_name(server: AuthServer) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"timeout": 0}, "tokenExchange.timeout"),
        ({"expiry_margin": -1}, "tokenExchange.expiryMargin"),
        ({"grant": "password"}, "tokenExchange.grant"),
        ({"cache_ttl": 5}, "tokenExchange.cacheTtl"),
        ({"client_secret": 5}, "token_exchange.client_secret"),
    ]
    for bad, name in cases:
        with pytest.raises(MCPAuthAuthServerException) as caught:
            auth(server, **bad)
        assert name in str(caught.value.cause), caught.value.cause
        assert SECRET not in str(caught.value.cause)
    mcp_auth = auth(server)
    for params in [{"resource": "not a uri"}, {"scope": 'a"b'}]:
        with pytest.raises(MCPAuthAuthServerException) as caught:
            asyncio.run(mcp_auth.exchange_token(caller(), **params))
        assert "exchangeToken." in str(caught.value.cause)
    bare = MCPAuth(protected_resources=auth(server).protected_resources)
    with pytest.raises(MCPAuthAuthServerException):
        asyncio.run(bare.exchange_token(caller(), audience="a"))
    with pytest.raises(MCPAuthAuthServerException):
        asyncio.run(mcp_auth.exchange_token(None, audience="a"))


def test_several_servers_and_no_issuer_are_refused(server: AuthServer) -> None:
    # Which authorization server to exchange at is not guessed (the core's rule).
    servers = [
        AuthServerConfig(
            type=AuthServerType.OAUTH,
            metadata=AuthorizationServerMetadata.model_validate(
                {
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/authorize",
                    "token_endpoint": f"{issuer}/token",
                    "response_types_supported": ["code"],
                }
            ),
        )
        for issuer in (server.issuer, "https://other.example.com")
    ]
    with pytest.raises(MCPAuthAuthServerException) as caught:
        MCPAuth(
            protected_resources=ResourceServerConfig(
                metadata=ResourceServerMetadata(resource=RESOURCE, authorization_servers=servers)
            ),
            token_exchange={"client_id": "rs", "client_secret": SECRET},
        )
    assert "`tokenExchange` needs `issuer` or `tokenEndpoint`" in str(caught.value.cause)


@pytest.mark.filterwarnings("ignore:Authorization server")
def test_the_docs_example_runs_as_written(
    server: AuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "ISSUER": server.issuer,
        "RESOURCE": RESOURCE,
        "CLIENT_SECRET": SECRET,
        "BILLING_URL": server.issuer,
    }.items():
        monkeypatch.setitem(os.environ, name, value)
    namespace = runpy.run_path(str(EXAMPLE))
    list_invoices = namespace["list_invoices"]
    status, body = asyncio.run(list_invoices(caller()))
    assert (status, body) == (200, {"bearer": "Bearer upstream.token"})
    assert form(server)["audience"] == "billing-api"
    server.token_answer = lambda _f: (400, {"error": "invalid_grant"})
    status, body = asyncio.run(list_invoices(caller("another.caller")))
    assert status == 403 and body["error"] == "token_exchange_refused"
