import contextlib
import os
from collections.abc import AsyncIterator

from mcp.server.fastmcp import FastMCP  # mcp 2.x: from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

resource = os.environ["RESOURCE"]  # e.g. https://mcp.example.com/mcp
mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=resource,
            authorization_servers=[fetch_server_config(os.environ["ISSUER"], AuthServerType.OIDC)],
            scopes_supported=["todos:read", "todos:delete"],
        )
    )
)
BearerAuth = mcp_auth.bearer_auth_middleware(
    "jwt",
    resource=resource,
    operations={
        "tools": {"search": "public", "get-todos": ["todos:read"], "delete-todo": ["todos:delete"]},
    },
)

# Stateless with JSON responses: each request's tool runs in that request's
# context, where `mcp_auth.auth_info` is set (or None for an anonymous call).
mcp = FastMCP("Todos", stateless_http=True, json_response=True)


@mcp.tool(name="search", meta=BearerAuth.tool_meta("search"))
def search(query: str) -> str:
    caller = mcp_auth.auth_info
    return f"results for {query} ({'anonymous' if caller is None else caller.subject})"


@mcp.tool(name="delete-todo", meta=BearerAuth.tool_meta("delete-todo"))
def delete_todo(id: str) -> str:
    return f"deleted {id}"  # only reached with a token holding todos:delete


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with mcp.session_manager.run():
        yield


app = Starlette(
    routes=[
        *mcp_auth.resource_metadata_router().routes,
        Mount("/", app=mcp.streamable_http_app(), middleware=[Middleware(BearerAuth)]),
    ],
    lifespan=lifespan,
)
