"""The uvicorn server of ``bench/python/asgi.mjs``; started by it, never by hand.

    python bench/python/app.py '{"issuer": ..., "resource": ..., "routes": [...]}'

One Starlette app, one route per implementation, each a ``Mount`` of the same
tiny JSON app that differ only by their middleware:

- ``/none/``: no auth;
- ``/ours/``: ``mcp_auth_rs.MCPAuth.bearer_auth_middleware('jwt', resource, audience)``;
- ``/mcpauth/``: mcpauth 0.2.0b1's same call (a ``BaseHTTPMiddleware``; its 'jwt'
  mode fetches the key set on every request, synchronously);
- ``/fastmcp/``: FastMCP 4's ``JWTVerifier`` as FastMCP mounts it, its provider
  middleware in front of ``RequireAuthMiddleware``.

Each library fetches the provider's metadata with its own ``fetch_server_config``
at startup. Bench-only routes: ``GET /_bench/cpu`` answers the process's CPU
time (all threads, ns), ``POST /_bench/gc`` runs a full collection. Prints
``ready <port>`` once listening; exits when its stdin closes (the driver is gone).
"""

from __future__ import annotations

import gc
import json
import socket
import sys
import threading
import time
from contextvars import ContextVar
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The protected app: the same 11-byte JSON body on every route."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


def ours(issuer: str, resource: str) -> list[Middleware]:
    from mcp_auth_rs import MCPAuth
    from mcp_auth_rs.config import AuthServerType
    from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
    from mcp_auth_rs.utils import fetch_server_config

    auth = MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=resource,
                authorization_servers=[fetch_server_config(issuer, AuthServerType.OIDC)],
            )
        ),
        context_var=ContextVar[AuthInfo | None]("bench_ours", default=None),
    )
    return [Middleware(auth.bearer_auth_middleware("jwt", resource=resource, audience=resource))]


def mcpauth(issuer: str, resource: str) -> list[Middleware]:
    from mcpauth import MCPAuth  # type: ignore[import-untyped]
    from mcpauth.config import AuthServerType  # type: ignore[import-untyped]
    from mcpauth.types import (  # type: ignore[import-untyped]
        ResourceServerConfig,
        ResourceServerMetadata,
    )
    from mcpauth.utils import fetch_server_config  # type: ignore[import-untyped]

    auth = MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=resource,
                authorization_servers=[fetch_server_config(issuer, AuthServerType.OIDC)],
            )
        ),
        context_var=ContextVar("bench_mcpauth", default=None),
    )
    return [Middleware(auth.bearer_auth_middleware("jwt", resource=resource, audience=resource))]


def fastmcp(issuer: str, resource: str) -> tuple[Any, list[Middleware]]:
    from fastmcp.server.auth.middleware import RequireAuthMiddleware
    from fastmcp.server.auth.providers.jwt import JWTVerifier

    verifier = JWTVerifier(jwks_uri=f"{issuer}/jwks", issuer=issuer, audience=resource)
    return RequireAuthMiddleware(ok_app, required_scopes=[]), verifier.get_middleware()


async def cpu(_: Request) -> Response:
    return JSONResponse({"cpu_ns": time.process_time_ns()})


async def collect(_: Request) -> Response:
    gc.collect()
    return JSONResponse({"ok": True})


def main() -> None:
    config = json.loads(sys.argv[1])
    issuer: str = config["issuer"]
    resource: str = config["resource"]
    routes: list[Any] = [
        Route("/_bench/cpu", cpu, methods=["GET"]),
        Route("/_bench/gc", collect, methods=["POST"]),
    ]
    for name in config["routes"]:
        if name == "none":
            routes.append(Mount("/none", app=ok_app))
        elif name == "ours":
            routes.append(Mount("/ours", app=ok_app, middleware=ours(issuer, resource)))
        elif name == "mcpauth":
            routes.append(Mount("/mcpauth", app=ok_app, middleware=mcpauth(issuer, resource)))
        elif name == "fastmcp":
            gate, middleware = fastmcp(issuer, resource)
            routes.append(Mount("/fastmcp", app=gate, middleware=middleware))
        else:
            raise SystemExit(f"unknown route {name}")
    app = Starlette(routes=routes)

    # Plain asyncio and h11, named so a rerun does not pick up uvloop or httptools.
    # uvicorn binds the port itself: asyncio sets TCP_NODELAY only on sockets made
    # with proto=IPPROTO_TCP, and without it every response waits ~40 ms for an ACK.
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            loop="asyncio",
            http="h11",
            lifespan="off",
            access_log=False,
            log_level="warning",
            timeout_keep_alive=60,
        )
    )

    def watch_stdin() -> None:
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=watch_stdin, daemon=True).start()
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"ready {port}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    server.run()


if __name__ == "__main__":
    main()
