import os

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from pydantic import AnyHttpUrl

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

ISSUER = os.environ["ISSUER"]  # e.g. https://auth.example.com
R = os.environ["RESOURCE"]  # e.g. https://mcp.example.com/mcp
mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=R, authorization_servers=[fetch_server_config(ISSUER, AuthServerType.OIDC)]
        )
    )
)
mcp = FastMCP(
    "Todo",
    token_verifier=mcp_auth.token_verifier(resource=R),
    auth=AuthSettings(
        issuer_url=AnyHttpUrl(ISSUER),
        resource_server_url=AnyHttpUrl(R),
        required_scopes=["read"],
        validate_token_resource=True,
    ),
    stateless_http=True,
    json_response=True,
)


@mcp.tool()
def whoami() -> str:
    token = get_access_token()  # the SDK's AccessToken, with subject and claims filled in
    return "anonymous" if token is None else str(token.subject)


app = mcp.streamable_http_app()  # MCP at /mcp: uvicorn server:app
