import os

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

ISSUER = os.environ["ISSUER"]
R = os.environ["RESOURCE"]
mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=R, authorization_servers=[fetch_server_config(ISSUER, AuthServerType.OIDC)]
        )
    )
)
mcp = FastMCP("Todo", auth=mcp_auth.fastmcp_auth(R, required_scopes=["read"]))


@mcp.tool()
def whoami() -> str:
    token = get_access_token()  # FastMCP's AccessToken
    return "anonymous" if token is None else str(token.subject)


app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
