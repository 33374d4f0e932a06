"""A user's server for the install test: FastMCP 4 with `MCPAuth.fastmcp_auth`."""

import os

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

RESOURCE = os.environ["RESOURCE"]

mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=RESOURCE,
            authorization_servers=[fetch_server_config(os.environ["ISSUER"], AuthServerType.OIDC)],
            scopes_supported=["read"],
        )
    )
)
mcp = FastMCP("install-check", auth=mcp_auth.fastmcp_auth(RESOURCE, required_scopes=["read"]))


@mcp.tool()
def whoami() -> str:
    """The caller's subject."""
    token = get_access_token()
    return token.subject or "" if token else "nobody"


app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
