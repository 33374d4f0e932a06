"""What the per-tool authorization tests share: an app behind
``bearer_auth_middleware(..., operations=...)`` served by uvicorn on
127.0.0.1 in a thread of the test process (so the test sees what the app
saw), and JSON-RPC requests over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
from authserver import AuthServer
from per_tool_docs_kit import ALGS, serve_asgi
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.events import AuthEvent
from mcp_auth_rs.middleware.asgi import BearerAuthMiddleware
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

RESOURCE = "https://mcp.example.com/mcp"
PRM = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
#: The route's own scope, which every protected operation needs too.
ROUTE_SCOPES = ["mcp"]
OPERATIONS: dict[str, Any] = {
    "tools": {
        "about": "public",
        "get-todos": ["todos:read"],
        "delete-todo": ["todos:delete"],
        "whoami": "protected",
    },
    "max_body_bytes": 2048,
}
HIERARCHY = {"todos:admin": ["todos:read", "todos:delete"]}


@dataclass
class Served:
    """One app under uvicorn: its URL, the middleware class, what the app saw, the events."""

    url: str
    bearer: type[BearerAuthMiddleware]
    seen: list[dict[str, Any]] = field(default_factory=list)
    events: list[AuthEvent] = field(default_factory=list)


def new_auth(issuer: AuthServer, var: ContextVar[AuthInfo | None], events: list[Any]) -> MCPAuth:
    return MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=RESOURCE,
                authorization_servers=[fetch_server_config(issuer.issuer, AuthServerType.OIDC)],
                scopes_supported=["mcp", "todos:read", "todos:delete", "todos:admin"],
            ),
            scope_hierarchy=HIERARCHY,
        ),
        context_var=var,
        on_auth_event=events.append,
    )


@contextmanager
def serve_gate(issuer: AuthServer, mode: Any = "jwt", **options: Any) -> Iterator[Served]:
    """An echo endpoint at ``/mcp`` (GET, POST, DELETE) behind the middleware
    made with ``options`` (default: ``OPERATIONS``, ``ROUTE_SCOPES``). The
    endpoint records, per request, the caller's subject (``None`` for none),
    whether ``scope["state"]`` got an ``auth_info``, and the body it read."""
    var: ContextVar[AuthInfo | None] = ContextVar("per_tool_test", default=None)
    events: list[Any] = []
    mcp_auth = new_auth(issuer, var, events)
    options.setdefault("operations", OPERATIONS)
    options.setdefault("required_scopes", ROUTE_SCOPES)
    bearer = mcp_auth.bearer_auth_middleware(mode, resource=RESOURCE, **options)
    seen: list[dict[str, Any]] = []

    async def echo(request: Request) -> JSONResponse:
        auth = mcp_auth.auth_info
        state = request.scope.get("state")
        body = await request.body()
        seen.append(
            {
                "subject": None if auth is None else auth.subject,
                "state_auth": isinstance(state, dict) and "auth_info" in state,
                "body": body,
            }
        )
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/mcp", echo, methods=["GET", "POST", "DELETE"], middleware=[Middleware(bearer)])
        ]
    )
    with serve_asgi(app) as url:
        yield Served(url, bearer, seen, events)


def rpc(method: str, params: dict[str, Any] | None = None, id: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def tool_call(name: str, id: Any = 1) -> dict[str, Any]:
    return rpc("tools/call", {"name": name, "arguments": {}}, id)


def post(
    served: Served,
    body: Any,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POSTs ``body`` (JSON-encoded unless bytes or an iterator of bytes) to ``/mcp``."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    # An iterator of chunks goes out with Transfer-Encoding: chunked (no Content-Length).
    content = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    with httpx.Client(timeout=10) as client:
        return client.post(f"{served.url}/mcp", content=content, headers=sent)


def send(served: Served, method: str, token: str | None = None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=10) as client:
        return client.request(method, f"{served.url}/mcp", headers=headers)


def challenge(scope: str) -> str:
    """The bare 401 challenge (DPoP is 'allowed' by default) naming ``scope``."""
    return (
        f'Bearer resource_metadata="{PRM}", scope="{scope}", '
        f'DPoP algs="{ALGS}", resource_metadata="{PRM}", scope="{scope}"'
    )


def rpc_error(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": None}
