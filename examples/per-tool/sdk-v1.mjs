import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
/** @import { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js' */
/** @import { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js' */
/** @typedef {RequestHandlerExtra<ServerRequest, ServerNotification>} Extra a tool's request context */

const resource = process.env.RESOURCE;
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oidc' })] } },
});
const auth = mcpAuth.bearerAuth('jwt', { resource, operations: { tools: { search: 'public', 'delete-todo': ['todos:delete'] } } });

function createServer() {
  const server = new McpServer({ name: 'todos', version: '1.0.0' });
  /** @returns {CallToolResult} */
  const text = (value) => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });
  // Without an inputSchema, v1 passes the request context first: `extra.authInfo` is req.auth.
  server.registerTool('search', { description: 'Search the docs', _meta: auth.toolMeta('search') }, (/** @type {Extra} */ extra) =>
    text({ caller: extra.authInfo?.subject ?? null }),
  );
  server.registerTool('delete-todo', { description: 'Delete a todo', _meta: auth.toolMeta('delete-todo') }, (/** @type {Extra} */ extra) =>
    text({ deletedBy: extra.authInfo.subject }),
  );
  return server;
}

export const app = express();
app.use(mcpAuth.protectedResourceMetadataRouter());
app.post('/mcp', auth, async (req, res) => {
  const server = createServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => server.close());
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
