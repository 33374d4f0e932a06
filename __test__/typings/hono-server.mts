// A strict Hono user file (typings.test.mjs): c.get('auth') is our AuthInfo,
// inferred from the middleware or declared with AuthEnv.
import { Hono } from 'hono';
import { MCPAuth } from 'mcp-auth-rs';
import { bearerAuth, protectedResourceMetadata, type AuthEnv } from 'mcp-auth-rs/hono';

export function mount(mcpAuth: MCPAuth): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use(protectedResourceMetadata(mcpAuth));
  app.use('/mcp', bearerAuth(mcpAuth, 'jwt', { resource: 'https://mcp.example.com/mcp', requiredScopes: ['read'] }));
  app.get('/mcp', (c) => {
    const auth = c.get('auth');
    const issuer: string = auth.issuer;
    const subject: string | undefined = auth.subject;
    const effective: string[] | undefined = auth.effectiveScopes;
    // @ts-expect-error AuthInfo has no such member: the variable is not `any`.
    auth.notAMember;
    return c.json({ issuer, subject, effective });
  });
  return app;
}

export function inferred(mcpAuth: MCPAuth): Hono {
  const app = new Hono();
  const verify = (token: string) => ({ token, clientId: 'c', scopes: [], issuer: 'https://as.example.com' });
  app.post('/tools', bearerAuth(mcpAuth, verify, { resource: 'https://mcp.example.com/tools' }), (c) => c.text(c.get('auth').clientId));
  // @ts-expect-error the mode is 'jwt' or a verifier.
  bearerAuth(mcpAuth, 'opaque');
  return app;
}
