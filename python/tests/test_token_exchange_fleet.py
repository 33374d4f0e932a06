"""Token exchange shared by a fleet (issue 23, item 3): two ``MCPAuth``
instances (two fleet members, each with its own store connection) on a real
``redis-server``: concurrent exchanges for one caller make one token-endpoint
call, Redis holds the issued token encrypted only, and the store options are
checked by name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from authserver import AuthServer, auth_server, issued_token
from fleetkit import Redis, redis_server

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthorizationServerMetadata, AuthServerConfig, AuthServerType
from mcp_auth_rs.exceptions import MCPAuthAuthServerException
from mcp_auth_rs.store import redis_store
from mcp_auth_rs.token_exchange import ExchangedToken, TokenExchangeOptions
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata

RESOURCE = "https://mcp.example.com/mcp"
FLEET_SECRET = "exchange-fleet-secret-for-tests-0123456789"
ISSUED = "upstream-issued-0123456789abcdef"


@pytest.fixture()
def server() -> Iterator[AuthServer]:
    with auth_server() as s:
        yield s


@pytest.fixture()
def redis() -> Iterator[Redis]:
    with redis_server() as r:
        yield r


def member(server: AuthServer, **options: Any) -> MCPAuth:
    metadata = AuthorizationServerMetadata.model_validate(
        {
            "issuer": server.issuer,
            "authorization_endpoint": f"{server.issuer}/authorize",
            "token_endpoint": f"{server.issuer}/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "registration_endpoint": f"{server.issuer}/register",
            "jwks_uri": f"{server.issuer}/jwks",
        }
    )
    config = AuthServerConfig(type=AuthServerType.OAUTH, metadata=metadata)
    exchange: TokenExchangeOptions = {"client_id": "rs", "client_secret": "rs-secret-value"}
    exchange.update(options)  # type: ignore[typeddict-item]
    return MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(resource=RESOURCE, authorization_servers=[config])
        ),
        token_exchange=exchange,
    )


def caller(token: str) -> AuthInfo:
    return AuthInfo(
        token=token,
        issuer="https://as",
        client_id="c",
        scopes=[],
        subject="u",
        audience=None,
        claims={},
    )


def test_two_members_share_one_endpoint_call_and_redis_holds_no_token(
    server: AuthServer, redis: Redis
) -> None:
    server.token_answer = lambda _f: (200, issued_token(access_token=ISSUED))
    server.token_delay = 0.2
    a, b = (
        member(server, store=redis_store(redis.url), store_secret=FLEET_SECRET, store_timeout=500)
        for _ in range(2)
    )

    async def run() -> list[ExchangedToken]:
        calls = [m.exchange_token(caller("caller-1"), audience="billing") for m in (a, b, a, b)]
        together = list(await asyncio.gather(*calls))
        learnt = await a.exchange_token(caller("caller-2"), audience="billing")
        read = await b.exchange_token(caller("caller-2"), audience="billing")
        return [*together, learnt, read]

    tokens = asyncio.run(run())
    assert {t.access_token for t in tokens} == {ISSUED}
    assert server.token_calls == 2, "two processes, one call per exchange"
    keys = redis.command("KEYS", "*")
    records = [k for k in keys if not k.endswith(":lock")]
    assert len(records) == 2, keys
    for key in keys:
        assert key.startswith("mcp-auth-rs:exchange:") and "caller" not in key, key
        value = redis.command("GET", key)
        if value is not None:
            assert ISSUED not in value and "0123456789abcdef" not in value
            assert "Bearer" not in value
        assert 0 < redis.command("PTTL", key) <= 570_000


def test_store_options_are_checked_by_name(server: AuthServer, redis: Redis) -> None:
    store = redis_store(redis.url)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"store": store}, "tokenExchange.storeSecret"),
        ({"store": store, "store_secret": "short-secret"}, "tokenExchange.storeSecret"),
        (
            {"store": store, "store_secret": FLEET_SECRET, "store_timeout": 0},
            "`tokenExchange.storeTimeout` must be an integer",
        ),
        ({"store": "redis://127.0.0.1:1"}, "token_exchange.store"),
    ]
    for options, name in cases:
        with pytest.raises(MCPAuthAuthServerException) as caught:
            member(server, **options)
        assert name in str(caught.value.cause), caught.value.cause
        assert "short-secret" not in str(caught.value.cause)
    # Without a store the store's deadline is not checked.
    member(server, store_timeout=0)
