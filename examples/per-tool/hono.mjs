import { createMcpHonoApp } from '@modelcontextprotocol/hono';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { bearerAuth, protectedResourceMetadata } from 'mcp-auth-rs/hono';

const resource = process.env.RESOURCE;
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oidc' })] } },
});
const auth = bearerAuth(mcpAuth, 'jwt', { resource, operations: { tools: { search: 'public' } } });

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'docs', version: '1.0.0' });
  server.registerTool('search', { description: 'Search the docs', _meta: auth.toolMeta('search') }, () => ({
    content: [{ type: 'text', text: '[]' }],
  }));
  return server;
});

export const app = createMcpHonoApp();
app.use(protectedResourceMetadata(mcpAuth));
app.all('/mcp', auth, (c) => handler.fetch(c.req.raw, { authInfo: c.get('auth'), parsedBody: c.get('parsedBody') }));
