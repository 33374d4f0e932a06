"""The official SDK 1.x's FastMCP with ``MCPAuth.token_verifier``."""

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.fastmcp import FastMCP

from sdk_apps.common import describe, from_env

mcp = FastMCP("sdk-1", **from_env().sdk_auth(), stateless_http=True, json_response=True)


@mcp.tool()
def whoami() -> str:
    return describe(get_access_token())


app = mcp.streamable_http_app()
