// A strict Fastify user file (typings.test.mjs): request.auth is our AuthInfo
// (declaration merging), and bearerAuth fits onRequest and preHandler.
import Fastify from 'fastify';
import { MCPAuth } from 'mcp-auth-rs';
import { bearerAuth, protectedResourceMetadata } from 'mcp-auth-rs/fastify';

export async function mount(mcpAuth: MCPAuth) {
  const app = Fastify();
  await app.register(protectedResourceMetadata(mcpAuth));
  const gate = bearerAuth(mcpAuth, 'jwt', { resource: 'https://mcp.example.com/mcp', requiredScopes: ['read'] });
  app.get('/mcp', { onRequest: gate }, async (request) => {
    const auth = request.auth;
    const issuer: string | undefined = auth?.issuer;
    // @ts-expect-error auth is unset until bearerAuth ran: it may be undefined.
    const always: string = request.auth.issuer;
    // @ts-expect-error AuthInfo has no such member: request.auth is not `any`.
    auth?.notAMember;
    return { issuer, always };
  });
  app.post('/tools', { preHandler: gate }, async (request) => ({ scopes: request.auth?.effectiveScopes }));
  app.addHook('onRequest', gate);
  return app;
}
