"""FastMCP 4 with ``MCPAuth.fastmcp_auth``, plus a public custom route."""

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from sdk_apps.common import describe, from_env

env = from_env()
auth = env.mcp_auth.fastmcp_auth(env.resource, required_scopes=env.required, **env.mode_options)
mcp = FastMCP("fastmcp-4", auth=auth)


@mcp.tool()
def whoami() -> str:
    return describe(get_access_token())


@mcp.custom_route("/health", methods=["GET"])
async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
