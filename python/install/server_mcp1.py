"""A user's server for the install test: `mcp` 1.x's FastMCP behind mcp-auth-rs.

Run from outside the repository with only the wheel and `mcp` installed, and
type-checked with `mypy --strict` against the installed stubs.
"""

import contextlib
import os
from collections.abc import AsyncIterator

from mcp.server.fastmcp import FastMCP
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

RESOURCE = os.environ["RESOURCE"]

mcp = FastMCP(name="Install check", stateless_http=True, streamable_http_path="/")
mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=RESOURCE,
            authorization_servers=[fetch_server_config(os.environ["ISSUER"], AuthServerType.OIDC)],
            scopes_supported=["read"],
        )
    )
)


@mcp.tool()
def whoami() -> str:
    """The caller's subject."""
    auth = mcp_auth.auth_info
    return auth.subject if auth else "nobody"


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with mcp.session_manager.run():
        yield


gate = Middleware(
    mcp_auth.bearer_auth_middleware("jwt", resource=RESOURCE, required_scopes=["read"])
)
app = Starlette(
    routes=[
        *mcp_auth.resource_metadata_router().routes,
        Mount("/", app=mcp.streamable_http_app(), middleware=[gate]),
    ],
    lifespan=lifespan,
)
