import express from 'express';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { fetchServerConfig, MCPAuth, requireScopes } from 'mcp-auth-rs';
/** @import { ServerContext } from '@modelcontextprotocol/server' */

const { ISSUER: issuer = '', RESOURCE: resource = '' } = process.env; // e.g. https://auth.example.com, https://mcp.example.com/mcp
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(issuer, { type: 'oidc' })] } },
});

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'todos', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (/** @type {ServerContext} */ ctx) => ({
    content: [{ type: 'text', text: `${ctx.http?.authInfo?.subject}` }],
  }));
  // Without todos:delete: 403 insufficient_scope, scope="todos:delete"; the client steps up by itself.
  server.registerTool('purge', { description: 'Delete every todo', scopeChallenge: requireScopes('todos:delete') }, async () => ({
    content: [{ type: 'text', text: 'purged' }],
  }));
  return server;
});

export const app = express();
app.use(mcpAuth.protectedResourceMetadataRouter()); // GET /.well-known/oauth-protected-resource/mcp
const mcp = toNodeHandler(handler);
app.all('/mcp', express.json(), mcpAuth.bearerAuth('jwt', { resource }), (req, res) => void mcp(req, res, req.body));
if (import.meta.filename === process.argv[1]) app.listen(3001); // `node v2.mjs` serves; imported (the tests), it does not
