import { MCPAuth, MCPAuthTokenExchangeError } from 'mcp-auth-rs';

const mcpAuth = new MCPAuth({
  protectedResources: {
    metadata: {
      resource: process.env.RESOURCE,
      authorizationServers: [{ issuer: process.env.ISSUER, type: 'oauth' }],
    },
  },
  tokenExchange: { clientId: 'mcp-server', clientSecret: process.env.CLIENT_SECRET },
});

// In a tool: `authInfo` is `req.auth` (Express) or `extra.authInfo` (MCP SDK).
export async function listInvoices(authInfo) {
  try {
    const { accessToken } = await mcpAuth.exchangeToken(authInfo, {
      audience: 'billing-api',
      scope: 'invoices:read',
    });
    const response = await fetch(`${process.env.BILLING_URL}/invoices`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    // 403: the caller may not act upstream; 503: try again later.
    if (error instanceof MCPAuthTokenExchangeError) return { status: error.status, body: error.toJson() };
    throw error;
  }
}
