"""The Python process of the mixed fleet (``__test__/python-fleet.test.mjs``).

The same three routes as ``__test__/helpers/mixed-fleet-node.mjs``, with the
same options: ``/mcp`` introspects (cache shared on Redis), ``/dpop``
verifies JWTs with its DPoP replay cache shared on Redis, ``/exchange``
trades the caller's token with its results shared on Redis (the server typed
OIDC). Arguments: the
Redis URL, the issuer, the fleet secret. Prints ``{"port": …}`` once
listening; GET ``/events`` lists its auth events; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import warnings
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs import MCPAuth, redis_store
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

RESOURCE = "https://mcp.example.com/mcp"
DPOP_RESOURCE = "https://mcp.example.com/dpop"


def build(redis_url: str, issuer: str, secret: str) -> Starlette:
    store = redis_store(redis_url, prefix="fleet:")
    server = fetch_server_config(issuer, AuthServerType.OAUTH)
    events: list[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no dynamic registration: a warning only
        mcp_auth = MCPAuth(
            protected_resources=[
                ResourceServerConfig(
                    metadata=ResourceServerMetadata(
                        resource=RESOURCE, authorization_servers=[server]
                    )
                ),
                ResourceServerConfig(
                    metadata=ResourceServerMetadata(
                        resource=DPOP_RESOURCE, authorization_servers=[server]
                    ),
                    dpop={"store": store, "store_timeout": 2000},
                ),
            ],
            on_auth_event=events.append,
        )
    introspection = mcp_auth.bearer_auth_middleware(
        "introspection",
        resource=RESOURCE,
        introspection={
            "client_id": "rs",
            "client_secret": "s3cret",
            "store": store,
            "store_secret": secret,
            "store_timeout": 2000,
        },
    )
    jwt = mcp_auth.bearer_auth_middleware("jwt", resource=DPOP_RESOURCE)
    exchanging = MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=RESOURCE,
                authorization_servers=[fetch_server_config(issuer, AuthServerType.OIDC)],
            )
        ),
        token_exchange={
            "client_id": "rs",
            "client_secret": "s3cret",
            "store": store,
            "store_secret": secret,
            "store_timeout": 2000,
        },
    )
    caller_checked = mcp_auth.bearer_auth_middleware(
        "introspection",
        resource=RESOURCE,
        introspection={"client_id": "rs", "client_secret": "s3cret"},
    )

    async def caller(request: Request) -> JSONResponse:
        auth = mcp_auth.auth_info
        assert auth is not None
        return JSONResponse({"sub": auth.subject, "scopes": auth.scopes})

    async def exchange(request: Request) -> JSONResponse:
        issued = await exchanging.exchange_token(mcp_auth.auth_info, audience="billing-api")
        return JSONResponse({"issued": issued.access_token})

    async def listed(request: Request) -> JSONResponse:
        return JSONResponse(list(events))

    return Starlette(
        routes=[
            Route("/events", listed),
            Route("/mcp", caller, middleware=[Middleware(introspection)]),
            Route("/dpop", caller, middleware=[Middleware(jwt)]),
            Route("/exchange", exchange, middleware=[Middleware(caller_checked)]),
        ]
    )


def main() -> None:
    app = build(*sys.argv[1:4])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    asyncio.run(server.serve(sockets=[sock]))


if __name__ == "__main__":
    main()
