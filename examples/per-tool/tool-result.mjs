import express from 'express';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';

const resource = process.env.RESOURCE;
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oidc' })] } },
});

export const app = express();
app.post(
  '/mcp',
  mcpAuth.bearerAuth('jwt', { resource, operations: { tools: { search: 'public' }, signal: 'tool-result' } }),
  (req, res) => res.json({ jsonrpc: '2.0', id: req.body.id, result: { content: [] } }),
);
