import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';

const resource = process.env.RESOURCE;
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oidc' })] } },
});
const gate = mcpAuth.webBearerAuth('jwt', { resource, operations: { tools: { search: 'public' } } });

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'docs', version: '1.0.0' });
  server.registerTool('search', { description: 'Search the docs', _meta: gate.toolMeta('search') }, () => ({
    content: [{ type: 'text', text: '[]' }],
  }));
  return server;
});

export async function fetchHandler(request) {
  const metadata = mcpAuth.protectedResourceMetadataResponse(request);
  if (metadata) return metadata;
  const result = await gate(request);
  if (result instanceof Response) return result;
  if (result === undefined) return new Response(null, { status: 204 }); // a CORS preflight
  return handler.fetch(request, { authInfo: result.authInfo, parsedBody: result.parsedBody });
}
