"""The official SDK 2.x's MCPServer with ``MCPAuth.token_verifier``."""

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import MCPServer

from sdk_apps.common import describe, from_env

mcp = MCPServer("sdk-2", **from_env().sdk_auth())


@mcp.tool()
def whoami() -> str:
    return describe(get_access_token())


app = mcp.streamable_http_app(stateless_http=True, json_response=True)
