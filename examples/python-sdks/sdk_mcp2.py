import os

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from pydantic import AnyHttpUrl

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
mcp = MCPServer(
    "Todo",
    token_verifier=mcp_auth.token_verifier(resource=R),
    auth=AuthSettings(
        issuer_url=AnyHttpUrl(ISSUER),
        resource_server_url=AnyHttpUrl(R),
        required_scopes=["read"],
        validate_token_resource=True,
    ),
)


@mcp.tool()
def whoami() -> str:
    token = get_access_token()
    return "anonymous" if token is None else str(token.subject)


app = mcp.streamable_http_app(stateless_http=True, json_response=True)
