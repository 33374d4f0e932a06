"""The native Introspector behind the Authenticator ('introspection' and
'auto' routes) against a loopback RFC 7662 endpoint: one endpoint call per
token (the local cache answers the next request synchronously), active
tokens accepted, inactive ones refused."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import pytest
from authserver import AuthServer
from conftest import PRM, Signer, accepted_fields
from fleetkit import introspector_options

from mcp_auth_rs._native import Answer, Authenticator, Introspector, NativeAuthError, Verifier


def authenticator_options(route: str = "introspection") -> str:
    return json.dumps(
        {
            "resourceMetadataUrl": PRM,
            "requiredScopes": ["mcp:read"],
            "showErrorDetails": False,
            "maxTokenLength": 8192,
            "route": route,
        }
    )


async def settle(value: object) -> object:
    return await value if inspect.isawaitable(value) else value


def answer_now(a: Authenticator, headers: list[str]) -> object:
    """One request from a running asyncio loop (an awaitable needs one)."""

    async def run() -> object:
        return await settle(a.authenticate("GET", "/mcp", None, headers, False))

    return asyncio.run(run())


def bearer(a: Authenticator, token: str) -> object:
    return a.authenticate("GET", "/mcp", None, ["Authorization", f"Bearer {token}"], False)


def accepted(value: object) -> dict[str, Any]:
    return accepted_fields(value)


def test_an_active_token_is_accepted_and_cached(endpoint: AuthServer) -> None:
    introspector = Introspector(introspector_options(endpoint.issuer))
    a = Authenticator(authenticator_options(), None, introspector=introspector)

    async def run() -> None:
        first = bearer(a, "good-1")
        assert inspect.isawaitable(first), "a cache miss asks the endpoint: an awaitable"
        body = accepted(await settle(first))
        assert body["subject"] == "user-of-good-1"
        assert body["issuer"] == endpoint.issuer
        assert body["scopes"] == ["mcp:read"]
        assert body["claims"]["client_id"] == "app"
        again = bearer(a, "good-1")
        assert not inspect.isawaitable(again), "the local cache answers synchronously"
        assert accepted(again)["subject"] == "user-of-good-1"

    asyncio.run(run())
    assert endpoint.calls == 1
    assert endpoint.tokens == ["good-1"]


def test_an_inactive_token_is_refused_once_per_cache_lifetime(
    endpoint: AuthServer,
) -> None:
    introspector = Introspector(introspector_options(endpoint.issuer))
    a = Authenticator(authenticator_options(), None, introspector=introspector)

    async def run() -> list[object]:
        return [await settle(bearer(a, "revoked")) for _ in range(2)]

    answers = asyncio.run(run())
    for answer in answers:
        assert isinstance(answer, Answer)
        assert answer.status == 401
        challenge = [v for n, v in answer.headers if n.lower() == "www-authenticate"]
        assert challenge and 'error="invalid_token"' in challenge[0]
    assert endpoint.calls == 1, "the inactive verdict is cached too"
    with pytest.raises(NativeAuthError) as caught:
        introspector.cached("revoked")
    assert caught.value.code == "token_inactive"


def test_missing_scopes_are_refused_with_403(endpoint: AuthServer) -> None:
    endpoint.answer = lambda token: endpoint.active(scope="other")
    a = Authenticator(
        authenticator_options(),
        None,
        introspector=Introspector(introspector_options(endpoint.issuer)),
    )
    answer = answer_now(a, ["Authorization", "Bearer good-narrow"])
    assert isinstance(answer, Answer)
    assert answer.status == 403


def test_the_endpoint_is_discovered_from_metadata_and_checks_are_awaitable(
    endpoint: AuthServer,
) -> None:
    introspector = Introspector(introspector_options(endpoint.issuer))

    async def run() -> None:
        verified = await introspector.check_async("good-2")
        assert verified["subject"] == "user-of-good-2"
        assert verified["audience"] == ["https://mcp.example.com/mcp"]
        with pytest.raises(NativeAuthError) as caught:
            await introspector.check_async("bad-2")
        assert caught.value.code == "token_inactive"

    asyncio.run(run())
    assert introspector.cached("good-2") is not None
    assert introspector.cached("never-seen") is None
    assert endpoint.calls == 2


def test_auto_route_sends_a_trusted_issuers_jwt_to_the_verifier(
    endpoint: AuthServer, sign: Signer, auth_server: str
) -> None:
    verifier = Verifier(
        json.dumps(
            {
                "issuers": [{"issuer": auth_server, "jwksUri": f"{auth_server}/jwks.json"}],
                "audiences": ["https://mcp.example.com/mcp"],
            }
        )
    )
    verifier.prepare()
    a = Authenticator(
        authenticator_options("auto"),
        verifier,
        introspector=Introspector(introspector_options(endpoint.issuer)),
    )

    async def run() -> tuple[object, object]:
        return await settle(bearer(a, sign())), await settle(bearer(a, "good-opaque"))

    jwt_answer, opaque_answer = asyncio.run(run())
    assert accepted(jwt_answer)["issuer"] == auth_server
    assert accepted(opaque_answer)["issuer"] == endpoint.issuer
    assert endpoint.tokens == ["good-opaque"], "only the opaque token reaches the endpoint"


def test_a_store_secret_is_required_and_never_echoed() -> None:
    from mcp_auth_rs._native import RedisStore

    store = RedisStore(json.dumps({"url": "redis://127.0.0.1:1"}))
    options = introspector_options("http://127.0.0.1:1", endpoint="http://127.0.0.1:1/introspect")
    for secret in (None, "too-short-secret", b"\x00" * 31, 12345):
        with pytest.raises(NativeAuthError) as caught:
            Introspector(options, store, secret)  # type: ignore[arg-type]
        assert caught.value.code == "invalid_config"
        assert "storeSecret" in caught.value.reason
        assert "too-short" not in str(caught.value)
    Introspector(options, store, b"\x01" * 32, "https://mcp.example.com/mcp")
    Introspector(options, store, "x" * 32)
