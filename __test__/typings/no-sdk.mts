// No MCP SDK installed: our AuthInfo is still a real type, on req.auth too.
import express from 'express';
import { MCPAuth, exposeWwwAuthenticate, type AuthInfo } from 'mcp-auth-rs';

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

// Web-standard: the gate's AuthInfo goes back to exposeWwwAuthenticate with the handler's Response.
const gate = mcpAuth.webBearerAuth('jwt', { resource });
export async function fetchHandler(request: Request): Promise<Response> {
  const auth = await gate(request);
  if (auth instanceof Response) return auth;
  if (!auth) return new Response(null, { status: 204 });
  // @ts-expect-error the second argument is the accepted AuthInfo, not a string
  exposeWwwAuthenticate(new Response(), 'scope');
  return exposeWwwAuthenticate(Response.json({ subject: auth.subject }), auth);
}
