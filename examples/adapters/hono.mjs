// An MCP SDK v2 server on Hono, behind mcp-auth-rs (docs/adapters.md, "Hono").
// ISSUER: your authorization server; PORT: where to listen.
import { serve } from '@hono/node-server';
import { createMcpHonoApp } from '@modelcontextprotocol/hono';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { bearerAuth, protectedResourceMetadata } from 'mcp-auth-rs/hono';
/** @import { ServerContext } from '@modelcontextprotocol/server' */

const port = Number(process.env.PORT ?? 3000);
const resource = `http://127.0.0.1:${port}/mcp`;
const mcpAuth = new MCPAuth({
  protectedResources: {
    metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oidc' })], scopesSupported: ['whoami'] },
  },
});

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'whoami', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (/** @type {ServerContext} */ ctx) => ({
    content: [{ type: 'text', text: JSON.stringify({ subject: ctx.http?.authInfo?.subject, scopes: ctx.http?.authInfo?.scopes }) }],
  }));
  return server;
});

const app = createMcpHonoApp();
app.use(protectedResourceMetadata(mcpAuth));
app.all('/mcp', bearerAuth(mcpAuth, 'jwt', { resource, requiredScopes: ['whoami'] }), (c) =>
  handler.fetch(c.req.raw, { authInfo: c.get('auth'), parsedBody: c.get('parsedBody') }),
);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`listening on ${resource}`));
