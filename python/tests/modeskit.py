"""An app on ``MCPAuth.bearer_auth_middleware`` for the mode, DPoP and fleet
tests: the metadata router plus GET/POST ``/mcp`` (exactly the resource's
path, so DPoP proofs name it), called in process through httpx's ASGI
transport."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
from authserver import RESOURCE
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerConfig, AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

PRM = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"


def server_config(issuer: str, kind: AuthServerType, **extra: Any) -> AuthServerConfig:
    """A resolved config, with metadata members added (e.g. a ``jwks_uri``)."""
    config = fetch_server_config(issuer, kind)
    if extra:
        config = config.model_copy(update={"metadata": config.metadata.model_copy(update=extra)})
    return config


def new_auth(servers: list[AuthServerConfig], dpop: Any = None, **options: Any) -> MCPAuth:
    return MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(resource=RESOURCE, authorization_servers=servers),
            dpop=dpop,
        ),
        **options,
    )


def app_for(mcp_auth: MCPAuth, mode: Any, **options: Any) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        auth = mcp_auth.auth_info
        assert auth is not None
        return JSONResponse({"sub": auth.subject, "issuer": auth.issuer, "scopes": auth.scopes})

    gate = Middleware(mcp_auth.bearer_auth_middleware(mode, resource=RESOURCE, **options))
    return Starlette(
        routes=[
            *mcp_auth.resource_metadata_router().routes,
            Route("/mcp", echo, methods=["GET", "POST"], middleware=[gate]),
        ]
    )


def call(app: Starlette, path: str = "/mcp", **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://mcp.example.com") as c:
            return await c.get(path, headers=headers)

    return anyio.run(go)


def bearer(app: Starlette, token: str) -> httpx.Response:
    return call(app, authorization=f"Bearer {token}")


def with_proof(app: Starlette, token: str, proof: str) -> httpx.Response:
    return call(app, authorization=f"DPoP {token}", dpop=proof)
