// An MCP SDK v2 server on Fastify, behind mcp-auth-rs (docs/adapters.md, "Fastify").
// ISSUER: your authorization server; PORT: where to listen.
import { createMcpFastifyApp } from '@modelcontextprotocol/fastify';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { bearerAuth, protectedResourceMetadata } from 'mcp-auth-rs/fastify';
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
const node = toNodeHandler(handler);

const app = createMcpFastifyApp();
await app.register(protectedResourceMetadata(mcpAuth));
app.all('/mcp', { onRequest: bearerAuth(mcpAuth, 'jwt', { resource, requiredScopes: ['whoami'] }) }, (request, reply) =>
  node(Object.assign(request.raw, { auth: request.auth }), reply.raw, request.body),
);
await app.listen({ port, host: '127.0.0.1' });
console.log(`listening on ${resource}`);
