// A user's SDK v2 server, strict and with skipLibCheck off: it imports only
// from mcp-auth-rs and SDK v2, and declares nothing of its own.
import { createMcpExpressApp } from '@modelcontextprotocol/express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer, type AuthInfo, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { MCPAuth, requireScopes, type AuthInfo as OwnAuthInfo } from 'mcp-auth-rs';

const resource = 'https://mcp.example.com/mcp';
const mcpAuth = new MCPAuth({
  protectedResources: {
    metadata: { resource, authorizationServers: [{ issuer: 'https://auth.example.com', type: 'oidc' }] },
    scopeHierarchy: { 'todos:admin': ['todos:delete'] },
  },
});

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'todos', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling', scopeChallenge: requireScopes('todos:delete') }, async (ctx) => {
    const subject: string | undefined = ctx.http?.authInfo?.subject;
    const issuer: string | undefined = ctx.http?.authInfo?.issuer;
    const claims: Record<string, unknown> | undefined = ctx.http?.authInfo?.claims;
    const effective: string[] | undefined = ctx.http?.authInfo?.effectiveScopes;
    // @ts-expect-error typed, not any
    const wrong: number = ctx.http?.authInfo?.subject;
    return { content: [{ type: 'text', text: JSON.stringify({ subject, issuer, claims, effective, wrong }) }] };
  });
  return server;
});

const app = createMcpExpressApp();
const node = toNodeHandler(handler);
app.all('/mcp', mcpAuth.bearerAuth('jwt', { resource }), (req, res) => {
  const subject: string | undefined = req.auth?.subject;
  void subject;
  void node(req, res, req.body);
});

export const verifier: OAuthTokenVerifier = mcpAuth.tokenVerifier({ resource });
export const asSdk = (auth: OwnAuthInfo): AuthInfo => auth;
// @ts-expect-error our AuthInfo is a real type, not any
export const notANumber: number = asSdk({ token: 't', clientId: 'c', scopes: [], issuer: 'i' });

// Per-tool authorization: the operations option, the descriptors' _meta, the web gate's pass.
const perTool = mcpAuth.bearerAuth('jwt', { resource, operations: { tools: { search: 'public', 'delete-todo': ['todos:delete'] }, maxBodyBytes: 1 << 20 } });
export const searchMeta: { securitySchemes: ({ type: 'noauth' } | { type: 'oauth2'; scopes: string[] })[] } = perTool.toolMeta('search');
// @ts-expect-error a requirement is 'public', 'protected' or a list of scopes
mcpAuth.bearerAuth('jwt', { resource, operations: { tools: { search: 'open' } } });
const webGate = mcpAuth.webBearerAuth('jwt', { resource, operations: { default: 'public' } });
export async function perToolFetch(request: Request): Promise<Response> {
  const result = await webGate(request);
  if (result instanceof Response) return result;
  if (result === undefined) return new Response(null, { status: 204 });
  const subject: string | undefined = result.authInfo?.subject;
  return handler.fetch(request, { authInfo: result.authInfo, parsedBody: result.parsedBody, ...(subject ? {} : {}) });
}
