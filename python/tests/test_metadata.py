"""``MCPAuth.resource_metadata_router`` over ASGI: each resource's document at
its exact well-known path and query, including resources that differ only by
query (C27), which share one route."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.applications import Starlette

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthorizationServerMetadata, AuthServerConfig, AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata

WELL_KNOWN = "/.well-known/oauth-protected-resource"
SERVER = AuthServerConfig(
    type=AuthServerType.OAUTH,
    metadata=AuthorizationServerMetadata(
        issuer="https://as.example.com",
        authorization_endpoint="https://as.example.com/authorize",
        token_endpoint="https://as.example.com/token",
        jwks_uri="https://as.example.com/jwks",
        response_types_supported=["code"],
    ),
)


def app_for(*resources: str) -> Starlette:
    mcp_auth = MCPAuth(
        protected_resources=[
            ResourceServerConfig(
                metadata=ResourceServerMetadata(resource=r, authorization_servers=[SERVER])
            )
            for r in resources
        ]
    )
    return Starlette(routes=mcp_auth.resource_metadata_router().routes)


def get(app: Starlette, target: str, method: str = "GET") -> tuple[int, bytes]:
    """One request through the real router; returns (status, body)."""
    path, _, query = target.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [],
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "http_version": "1.1",
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_resources_differing_only_by_query_each_get_their_document() -> None:
    app = app_for("https://s.example/mcp", "https://s.example/mcp?tenant=2")
    for target, resource in [
        (f"{WELL_KNOWN}/mcp", "https://s.example/mcp"),
        (f"{WELL_KNOWN}/mcp?tenant=2", "https://s.example/mcp?tenant=2"),
    ]:
        status, body = get(app, target)
        assert status == 200, target
        assert json.loads(body)["resource"] == resource


def test_other_queries_and_paths_are_not_found() -> None:
    app = app_for("https://s.example/mcp", "https://s.example/mcp?tenant=2")
    for target in [f"{WELL_KNOWN}/mcp?tenant=3", f"{WELL_KNOWN}/mcp?tenant=2&x=1"]:
        assert get(app, target) == (404, b'{"error":"not_found"}'), target
    assert get(app, f"{WELL_KNOWN}/other")[0] == 404


def test_head_has_no_body_and_post_is_405() -> None:
    app = app_for("https://s.example/mcp?tenant=2")
    assert get(app, f"{WELL_KNOWN}/mcp?tenant=2", "HEAD") == (200, b"")
    assert get(app, f"{WELL_KNOWN}/mcp?tenant=2", "POST") == (
        405,
        b'{"error":"method_not_allowed"}',
    )
