import express from 'express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
/** @import { CallToolResult, ServerContext } from '@modelcontextprotocol/server' */

const resource = process.env.RESOURCE; // e.g. https://mcp.example.com/mcp
const mcpAuth = new MCPAuth({
  protectedResources: {
    metadata: {
      resource,
      authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oidc' })],
      scopesSupported: ['todos:read', 'todos:delete'],
    },
  },
});

// search is public, delete-todo needs todos:delete, every other tool a valid token.
const auth = mcpAuth.bearerAuth('jwt', {
  resource,
  operations: { tools: { search: 'public', 'delete-todo': ['todos:delete'] } },
});

/** @returns {CallToolResult} */
const text = (value) => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });
const mcp = toNodeHandler(
  createMcpHandler(() => {
    const server = new McpServer({ name: 'todos', version: '1.0.0' });
    // toolMeta: the tool's securitySchemes in its descriptor's _meta (OpenAI Apps SDK).
    server.registerTool('search', { description: 'Search the docs', _meta: auth.toolMeta('search') }, (/** @type {ServerContext} */ ctx) =>
      text({ results: [], caller: ctx.http?.authInfo?.subject ?? null }),
    );
    server.registerTool('delete-todo', { description: 'Delete a todo', _meta: auth.toolMeta('delete-todo') }, (/** @type {ServerContext} */ ctx) =>
      text({ deletedBy: ctx.http.authInfo.subject }),
    );
    return server;
  }),
);

export const app = express();
app.use(mcpAuth.protectedResourceMetadataRouter());
// bearerAuth read the body to judge it and left it in req.body: hand it on.
app.all('/mcp', auth, (req, res) => mcp(req, res, req.body));
