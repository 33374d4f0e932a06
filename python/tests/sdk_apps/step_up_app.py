"""FastMCP (SDK 1.x) behind the bearer middleware, with a tool that demands a scope.

``build`` makes the app for the in-process tests; run under uvicorn, ``app``
reads ``ISSUER`` and ``RESOURCE`` (and ``JSON_RESPONSE``: "0" for event streams).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from mcp.server.fastmcp import FastMCP
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from sdk_apps.common import protect


def build(issuer: str, resource: str, *, json_response: bool = True) -> Starlette:
    mcp_auth = protect(issuer, resource, ["read", "delete"])
    mcp = FastMCP(
        "step-up", stateless_http=True, json_response=json_response, streamable_http_path="/"
    )

    @mcp.tool()
    def remove(id: str) -> str:
        """Deletes; needs 'delete' (and 'read', to show a list of missing scopes)."""
        mcp_auth.require_scopes(["read", "delete"], description="Deleting needs read and delete")
        return f"removed {id}"

    @mcp.tool()
    def peek() -> str:
        """Needs nothing beyond a token."""
        return "ok"

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield

    gate = Middleware(mcp_auth.bearer_auth_middleware("jwt", resource=resource))
    return Starlette(
        routes=[
            *mcp_auth.resource_metadata_router().routes,
            Mount("/mcp", app=mcp.streamable_http_app(), middleware=[gate]),
        ],
        lifespan=lifespan,
    )


if "ISSUER" in os.environ:
    app = build(
        os.environ["ISSUER"],
        os.environ["RESOURCE"],
        json_response=os.environ.get("JSON_RESPONSE", "1") != "0",
    )
