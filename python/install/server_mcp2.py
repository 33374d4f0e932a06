"""A user's server for the install test: `mcp` 2.x's MCPServer with
`MCPAuth.token_verifier` (the SDK's own gate, our verification)."""

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
RESOURCE = os.environ["RESOURCE"]

mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=RESOURCE,
            authorization_servers=[fetch_server_config(ISSUER, AuthServerType.OIDC)],
            scopes_supported=["read"],
        )
    )
)
mcp = MCPServer(
    "install-check",
    token_verifier=mcp_auth.token_verifier(resource=RESOURCE),
    auth=AuthSettings(
        issuer_url=AnyHttpUrl(ISSUER),
        resource_server_url=AnyHttpUrl(RESOURCE),
        required_scopes=["read"],
        validate_token_resource=True,
    ),
)


@mcp.tool()
def whoami() -> str:
    """The caller's subject."""
    token = get_access_token()
    return token.subject or "" if token else "nobody"


app = mcp.streamable_http_app(stateless_http=True, json_response=True)
