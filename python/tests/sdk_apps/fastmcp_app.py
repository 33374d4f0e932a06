"""FastMCP 4 with ``MCPAuth.fastmcp_auth``, plus a public custom route."""

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from sdk_apps.common import MODE_OPTIONS, REQUIRED, RESOURCE, describe, mcp_auth

mcp = FastMCP(
    "fastmcp-4", auth=mcp_auth.fastmcp_auth(RESOURCE, required_scopes=REQUIRED, **MODE_OPTIONS)
)


@mcp.tool()
def whoami() -> str:
    return describe(get_access_token())


@mcp.custom_route("/health", methods=["GET"])
async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
