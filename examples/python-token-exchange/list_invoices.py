import os

import httpx

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.exceptions import MCPAuthTokenExchangeException
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

server = fetch_server_config(os.environ["ISSUER"], AuthServerType.OAUTH)
mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=os.environ["RESOURCE"], authorization_servers=[server]
        )
    ),
    token_exchange={"client_id": "mcp-server", "client_secret": os.environ["CLIENT_SECRET"]},
)


# In a tool: `auth_info` defaults to the current request's (`mcp_auth.auth_info`).
async def list_invoices(auth_info: AuthInfo | None = None) -> tuple[int, object]:
    try:
        issued = await mcp_auth.exchange_token(
            auth_info, audience="billing-api", scope="invoices:read"
        )
    except MCPAuthTokenExchangeException as error:
        # 403: the caller may not act upstream; 503: try again later.
        return error.status, error.to_json()
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{os.environ['BILLING_URL']}/invoices",
            headers={"authorization": f"Bearer {issued.access_token}"},
        )
    return response.status_code, response.json()
