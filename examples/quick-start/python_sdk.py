import os

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from pydantic import AnyHttpUrl

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

# e.g. ISSUER=https://auth.example.com RESOURCE=https://mcp.example.com/mcp
ISSUER, R = os.environ["ISSUER"], os.environ["RESOURCE"]
metadata = ResourceServerMetadata(
    resource=R, authorization_servers=[fetch_server_config(ISSUER, AuthServerType.OIDC)]
)
mcp_auth = MCPAuth(protected_resources=ResourceServerConfig(metadata=metadata))
# mcp 1.x FastMCP (2.x: MCPServer). FastMCP 4: docs/python-sdks.md, mcp_auth.fastmcp_auth(R)
auth = AuthSettings(
    issuer_url=AnyHttpUrl(ISSUER), resource_server_url=AnyHttpUrl(R), validate_token_resource=True
)
verifier = mcp_auth.token_verifier(resource=R)
mcp = FastMCP("Todo", token_verifier=verifier, auth=auth, stateless_http=True, json_response=True)


@mcp.tool()
def whoami() -> str:
    token = get_access_token()  # the caller, verified by the core
    return "anonymous" if token is None else str(token.subject)


app = mcp.streamable_http_app()  # MCP at /mcp: uvicorn python_sdk:app
