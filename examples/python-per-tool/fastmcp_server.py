import os

from fastmcp import FastMCP
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

resource = os.environ["RESOURCE"]
mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=resource,
            authorization_servers=[fetch_server_config(os.environ["ISSUER"], AuthServerType.OIDC)],
        )
    )
)
BearerAuth = mcp_auth.bearer_auth_middleware(
    "jwt", resource=resource, operations={"tools": {"search": "public"}}
)
mcp = FastMCP("Todos")  # auth=None: the middleware decides


@mcp.tool(meta=BearerAuth.tool_meta("search"))
def search(query: str) -> str:
    caller = mcp_auth.auth_info
    return f"results for {query} ({'anonymous' if caller is None else caller.subject})"


@mcp.tool(meta=BearerAuth.tool_meta("whoami"))
def whoami() -> str:
    caller = mcp_auth.auth_info
    assert caller is not None  # 'whoami' is not declared: `default`, protected
    return caller.subject


mcp_app = mcp.http_app(
    path="/mcp",
    stateless_http=True,
    json_response=True,
    middleware=[Middleware(BearerAuth)],
)
app = Starlette(
    routes=[*mcp_auth.resource_metadata_router().routes, Mount("/", app=mcp_app)],
    lifespan=mcp_app.lifespan,
)
