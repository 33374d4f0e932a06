// A user's SDK v1 server (the tutorial's shape), strict and with skipLibCheck
// off: it imports only from mcp-auth-rs and SDK v1, and declares nothing.
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { assertScopes, MCPAuth, MCPAuthBearerAuthError, type AuthInfo as OwnAuthInfo } from 'mcp-auth-rs';

const resource = 'https://mcp.example.com/mcp';
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [{ issuer: 'https://auth.example.com', type: 'oidc' }] } },
});

const server = new McpServer({ name: 'todos', version: '1.0.0' });
server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => {
  const subject: string | undefined = extra.authInfo?.subject;
  const issuer: string | undefined = extra.authInfo?.issuer;
  assertScopes(extra.authInfo, 'todos:read');
  if (!extra.authInfo?.scopes.includes('todos:read')) throw new MCPAuthBearerAuthError('missing_required_scopes');
  // @ts-expect-error typed, not any
  const wrong: number = extra.authInfo?.subject;
  return { content: [{ type: 'text', text: JSON.stringify({ subject, issuer, wrong }) }] };
});

const app = express();
app.post('/mcp', express.json(), mcpAuth.bearerAuth('jwt', { resource }), async (req, res) => {
  const claims: Record<string, unknown> | undefined = req.auth?.claims;
  void claims;
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});

export const asSdk = (auth: OwnAuthInfo): AuthInfo => auth;
// @ts-expect-error our AuthInfo is a real type, not any
export const notANumber: number = asSdk({ token: 't', clientId: 'c', scopes: [], issuer: 'i' });
