import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { fetchServerConfig, MCPAuth } from 'mcp-auth-rs';

const { ISSUER: issuer = '', RESOURCE: resource = '' } = process.env; // e.g. https://auth.example.com, https://mcp.example.com/mcp
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(issuer, { type: 'oidc' })] } },
});

export const app = express();
app.use(mcpAuth.protectedResourceMetadataRouter());
app.post('/mcp', express.json(), mcpAuth.bearerAuth('jwt', { resource, requiredScopes: ['read:todos'] }), async (req, res) => {
  const server = new McpServer({ name: 'todos', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (/** @type {{ authInfo?: import('mcp-auth-rs').AuthInfo }} */ extra) => ({
    content: [{ type: 'text', text: `${extra.authInfo?.subject}` }],
  }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => void server.close());
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
if (import.meta.filename === process.argv[1]) app.listen(3001); // `node v1.mjs` serves; imported (the tests), it does not
