// No MCP SDK installed: our AuthInfo is still a real type, on req.auth too.
import express from 'express';
import { MCPAuth, type AuthInfo } from 'mcp-auth-rs';

const resource = 'https://mcp.example.com/mcp';
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [{ issuer: 'https://auth.example.com', type: 'oidc' }] } },
});
const app = express();
app.post('/mcp', mcpAuth.bearerAuth('jwt', { resource }), (req, res) => {
  const auth: AuthInfo | undefined = req.auth;
  // @ts-expect-error typed, not any
  const wrong: number = req.auth;
  res.json({ subject: auth?.subject, wrong });
});
