"""The MCP Auth tutorial's todo manager on the official Python SDK (``mcp`` 1.x
FastMCP), protected by mcp-auth-rs, with role-based access and a 403 step-up.

Roles are scopes: ``create:todos`` to create, ``read:todos`` to see every todo
(else only one's own), ``delete:todos`` to delete someone else's todo (one's
own needs nothing more). A tool that needs a scope the token lacks calls
``mcp_auth.require_scopes``: the request is answered with 403
``insufficient_scope``, and an OAuth client re-authorizes and retries. For
that the response must start after the tool runs: stateless Streamable HTTP
with JSON responses (``stateless_http=True, json_response=True``).

Per-tool authorization: ``about`` is public (``operations``), so a client
connects, lists the tools and calls it without signing in; OAuth starts only
when it calls a protected tool. Every descriptor carries its
``_meta.securitySchemes`` from the same declaration (``tool_meta``).

Run on its own (an authorization server at ISSUER, e.g. ``npm run demo`` -- --serve's):
    ISSUER=http://127.0.0.1:3002 PORT=3001 python examples/python-todo-manager/server.py
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.fastmcp import FastMCP
from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from todo_service import TodoService

TODO_SCOPES = ["create:todos", "read:todos", "delete:todos"]


def create_app(issuer: str, resource: str) -> tuple[Starlette, TodoService]:
    """The ASGI app serving MCP at ``{resource}`` (path ``/mcp``) and its metadata."""
    mcp_auth = MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=resource,
                authorization_servers=[
                    fetch_server_config(issuer, AuthServerType.OIDC)
                ],
                scopes_supported=TODO_SCOPES,
            )
        )
    )
    todos = TodoService()
    mcp = FastMCP("Todo Manager", stateless_http=True, json_response=True)
    # Public: about. Every other tool (and anything not declared) needs a valid token.
    bearer = mcp_auth.bearer_auth_middleware(
        "jwt", resource=resource, operations={"tools": {"about": "public"}}
    )

    def caller() -> tuple[str, list[str]]:
        auth = mcp_auth.auth_info
        if auth is None or not auth.subject:
            raise ValueError("Invalid auth info")
        return auth.subject, list(auth.scopes)

    @mcp.tool(name="about", meta=bearer.tool_meta("about"))
    def about() -> dict[str, Any]:
        """What this server is; callable without signing in."""
        auth = mcp_auth.auth_info
        return {
            "name": "Todo Manager",
            "tools": ["about", "create-todo", "get-todos", "delete-todo"],
            "signedInAs": auth.subject if auth else None,
        }

    @mcp.tool(name="create-todo", meta=bearer.tool_meta("create-todo"))
    def create_todo(content: str) -> dict[str, Any]:
        """Create a new todo. Requires the 'create:todos' scope."""
        user_id, _ = caller()
        mcp_auth.require_scopes(["create:todos"])
        return todos.create_todo(content=content, owner_id=user_id)

    @mcp.tool(name="get-todos", meta=bearer.tool_meta("get-todos"))
    def get_todos() -> dict[str, Any]:
        """List todos: every todo with 'read:todos', otherwise only your own."""
        user_id, scopes = caller()
        owner = None if "read:todos" in scopes else user_id
        return {"todos": todos.get_all_todos(owner)}

    @mcp.tool(name="delete-todo", meta=bearer.tool_meta("delete-todo"))
    def delete_todo(id: str) -> dict[str, Any]:
        """Delete a todo: your own, or anyone's with 'delete:todos' (asked for when missing)."""
        user_id, _ = caller()
        todo = todos.get_todo_by_id(id)
        if todo is None:
            return {"error": "Failed to delete todo"}
        if todo["ownerId"] != user_id:
            mcp_auth.require_scopes(
                ["delete:todos"], "Deleting others' todos needs delete:todos"
            )
        deleted = todos.delete_todo(id)
        return {"message": f"Todo {id} deleted", "details": deleted}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield

    bearer_auth = Middleware(bearer)
    app = Starlette(
        routes=[
            *mcp_auth.resource_metadata_router().routes,
            Mount("/", app=mcp.streamable_http_app(), middleware=[bearer_auth]),
        ],
        lifespan=lifespan,
    )
    return app, todos


if __name__ == "__main__":
    import uvicorn

    port = int(os.environ.get("PORT", "3001"))
    app, _ = create_app(os.environ["ISSUER"], f"http://127.0.0.1:{port}/mcp")
    uvicorn.run(app, host="127.0.0.1", port=port)
