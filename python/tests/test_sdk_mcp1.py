"""``MCPAuth.token_verifier`` in the official SDK 1.x's FastMCP, over HTTP with its client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from authserver import AuthServer, auth_server
from fleetkit import IntrospectionServer, introspection_server
from sdkserver import free_port, mcp_major, opaque_answers, post, serve

if mcp_major() != 1:
    pytest.skip("mcp 1.x: runs in target/py-venv (scripts/python-test.sh)", allow_module_level=True)

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent


@pytest.fixture(scope="module")
def issuer() -> Iterator[AuthServer]:
    with auth_server() as server:
        yield server


@pytest.fixture(scope="module")
def server(issuer: AuthServer) -> Iterator[tuple[str, str]]:
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    with serve("mcp1_app", port, {"ISSUER": issuer.issuer, "RESOURCE": resource}) as url:
        yield url, resource


@pytest.fixture(scope="module")
def introspecting() -> Iterator[tuple[str, str, IntrospectionServer]]:
    """The app in 'introspection' mode, its tokens opaque (``sdkserver.opaque_answers``)."""
    with introspection_server() as endpoint:
        port = free_port()
        resource = f"http://127.0.0.1:{port}/mcp"
        endpoint.answer = opaque_answers(endpoint, resource)
        env = {"ISSUER": endpoint.issuer, "RESOURCE": resource, "MODE": "introspection"}
        with serve("mcp1_app", port, env) as url:
            yield url, resource, endpoint


async def _whoami(url: str, token: str) -> Any:
    client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"})
    async with client, streamable_http_client(url, http_client=client) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("whoami", {})
            first = result.content[0]
            assert isinstance(first, TextContent) and not result.isError
            return json.loads(first.text)


def test_a_tool_sees_the_caller(server: tuple[str, str], issuer: AuthServer) -> None:
    url, resource = server
    token = issuer.token(resource, subject="alice", scope="read write")
    seen = anyio.run(_whoami, f"{url}/mcp", token)
    assert seen == {
        "type": "mcp.server.auth.provider.AccessToken",
        "client_id": "test-client",
        "subject": "alice",
        "scopes": ["read", "write"],
        "resource": resource,
        "expires_at": seen["expires_at"],
        "iss": issuer.issuer,
        "aud": resource,
        "same_token": True,
    }
    assert isinstance(seen["expires_at"], int)


def test_no_token_gets_the_sdk_challenge(server: tuple[str, str]) -> None:
    url, _ = server
    status, headers, body = post(f"{url}/mcp")
    assert status == 401
    assert headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="Authentication required", '
        f'resource_metadata="{url}/.well-known/oauth-protected-resource/mcp"'
    )
    assert json.loads(body)["error"] == "invalid_token"


def test_a_token_for_another_audience_is_401(server: tuple[str, str], issuer: AuthServer) -> None:
    url, _ = server
    token = issuer.token("https://elsewhere.example.com/mcp", scope="read")
    status, headers, _ = post(f"{url}/mcp", {"Authorization": f"Bearer {token}"})
    assert status == 401
    assert 'error="invalid_token"' in headers["www-authenticate"]
    assert "resource_metadata=" in headers["www-authenticate"]


def test_a_missing_scope_is_the_sdk_403(server: tuple[str, str], issuer: AuthServer) -> None:
    url, resource = server
    token = issuer.token(resource, scope="write")
    status, headers, _ = post(f"{url}/mcp", {"Authorization": f"Bearer {token}"})
    assert status == 403
    assert 'error="insufficient_scope"' in headers["www-authenticate"]
    assert "Required scope: read" in headers["www-authenticate"]


def test_an_opaque_token_is_introspected(
    introspecting: tuple[str, str, IntrospectionServer],
) -> None:
    url, resource, endpoint = introspecting
    seen = anyio.run(_whoami, f"{url}/mcp", "good-alice")
    assert seen["type"] == "mcp.server.auth.provider.AccessToken"
    assert seen["subject"] == "user-of-good-alice"
    assert seen["client_id"] == "app"
    assert seen["scopes"] == ["read", "write"]
    assert seen["resource"] == resource
    assert seen["iss"] == endpoint.issuer
    # Every request of the session carried the token; the core's cache answered after the first.
    assert endpoint.tokens.count("good-alice") == 1


def test_an_inactive_token_is_refused(introspecting: tuple[str, str, IntrospectionServer]) -> None:
    url, _, endpoint = introspecting
    status, headers, _ = post(f"{url}/mcp", {"Authorization": "Bearer revoked-1"})
    assert status == 401
    assert headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert "revoked-1" in endpoint.tokens, "the endpoint was asked"
