"""The wire conformance table's app (``__test__/conformance.test.mjs``) on this package.

The Node test runs this program (``helpers/adapters.mjs``, the Python
adapter) with one JSON description as its argument: the issuer, the
protected resource, and the route table already in Python's option names.
It builds the Starlette app a user would write (the metadata router's
routes, then one route per entry behind ``bearer_auth_middleware``), serves
it with uvicorn on 127.0.0.1 on a port the system picks, prints
``READY <port>`` once it accepts connections, and stops when its standard
input closes (the test, or the process that ran it, went away).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
from typing import Any, NoReturn

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.exceptions import (
    MCPAuthTokenVerificationException,
    MCPAuthTokenVerificationExceptionCode,
)
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

Record = dict[str, Any]

# Node's methodsOf(route) for 'ALL'.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def hostile_verifier(spec: Record) -> Any:
    """The table's ``hostileVerifier``: texts come from the test so both sides agree."""
    message: str = spec["message"]
    plain_token: str = spec["plain_error_token"]
    plain_message: str = spec["plain_error_message"]

    def verify(token: str) -> NoReturn:
        if token == plain_token:
            raise Exception(plain_message)
        error = MCPAuthTokenVerificationException(
            MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN
        )
        error.message = message
        raise error

    return verify


def build_app(description: Record) -> Starlette:
    server = fetch_server_config(description["issuer"], AuthServerType.OIDC)
    mcp_auth = MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=description["resource"],
                authorization_servers=[server],
                scopes_supported=description["scopes_supported"],
            ),
            # The Node table's resource sets it too ('off': one challenge per response).
            dpop=description.get("dpop"),
        )
    )
    routes: list[BaseRoute] = [*mcp_auth.resource_metadata_router().routes]
    for entry in description["routes"]:
        mode = entry["mode"]
        verify = mode if mode == "jwt" else hostile_verifier(mode["hostile"])
        middleware_class = mcp_auth.bearer_auth_middleware(verify, **entry["options"])
        methods = ALL_METHODS if entry["methods"] == "ALL" else entry["methods"]
        routes.append(
            Route(
                entry["path"],
                endpoint=replier(mcp_auth, entry["reply"]),
                methods=methods,
                middleware=[Middleware(middleware_class)],
            )
        )
    return Starlette(routes=routes)


def replier(mcp_auth: MCPAuth, reply: str | int) -> Any:
    async def echo(request: Request) -> Response:
        auth: AuthInfo | None = mcp_auth.auth_info
        if auth is None:
            return Response(status_code=204)  # a CORS preflight, let through
        body: Record = {"authenticated": True, "sub": auth.subject, "scopes": auth.scopes}
        if auth.client_id is not None:
            body["clientId"] = auth.client_id
        return JSONResponse(body)

    async def headers(request: Request) -> Response:
        return JSONResponse({"authorization": request.headers.get("authorization")})

    async def empty(request: Request) -> Response:
        return Response(status_code=204)

    if reply == "echo":
        return echo
    if reply == "headers":
        return headers
    if reply == 204:
        return empty
    raise ValueError(f"unknown reply {reply!r}")


async def serve(app: Starlette) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # h11 caps a header block at 16 KiB only while it is incomplete after a read;
    # a higher cap keeps the table's 20 KiB row the app's to answer however TCP splits it.
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        h11_max_incomplete_event_size=64 * 1024,
    )
    server = uvicorn.Server(config)
    loop = asyncio.get_running_loop()

    def stop_on_eof() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(setattr, server, "should_exit", True)

    threading.Thread(target=stop_on_eof, daemon=True).start()
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            return
        await asyncio.sleep(0.01)
    print(f"READY {sock.getsockname()[1]}", flush=True)
    await task


def main() -> None:
    app = build_app(json.loads(sys.argv[1]))
    asyncio.run(serve(app))


if __name__ == "__main__":
    main()
