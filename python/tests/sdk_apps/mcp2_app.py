"""The official SDK 2.x's MCPServer with ``MCPAuth.token_verifier``."""

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from pydantic import AnyHttpUrl

from sdk_apps.common import ISSUER, MODE_OPTIONS, REQUIRED, RESOURCE, describe, mcp_auth

mcp = MCPServer(
    "sdk-2",
    token_verifier=mcp_auth.token_verifier(resource=RESOURCE, **MODE_OPTIONS),
    auth=AuthSettings(
        issuer_url=AnyHttpUrl(ISSUER),
        resource_server_url=AnyHttpUrl(RESOURCE),
        required_scopes=REQUIRED,
        validate_token_resource=True,
    ),
)


@mcp.tool()
def whoami() -> str:
    return describe(get_access_token())


app = mcp.streamable_http_app(stateless_http=True, json_response=True)
