import { createMcpFastifyApp } from '@modelcontextprotocol/fastify';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { bearerAuth, protectedResourceMetadata } from 'mcp-auth-rs/fastify';

const resource = process.env.RESOURCE;
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oidc' })] } },
});
const auth = bearerAuth(mcpAuth, 'jwt', { resource, operations: { tools: { search: 'public' } } });

const node = toNodeHandler(
  createMcpHandler(() => {
    const server = new McpServer({ name: 'docs', version: '1.0.0' });
    server.registerTool('search', { description: 'Search the docs', _meta: auth.toolMeta('search') }, () => ({
      content: [{ type: 'text', text: '[]' }],
    }));
    return server;
  }),
);

export const app = createMcpFastifyApp();
await app.register(protectedResourceMetadata(mcpAuth));
app.all('/mcp', { preHandler: auth }, (request, reply) =>
  node(Object.assign(request.raw, { auth: request.auth }), reply.raw, request.body),
);
