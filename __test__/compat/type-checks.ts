// Compile-time checks of the published typings, from an ESM consumer's side.
// Each @ts-expect-error must fail to compile, which also proves the types are
// real (with `any` the directive itself would be an error).

import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';
import {
  MCPAuth,
  MCPAuthBearerAuthError,
  type AuthEvent,
  type ResourceServerConfig,
  type ResolvedAuthServerConfig,
} from 'mcp-auth-rs';

// The SDK's AuthInfo (what tools get as extra.authInfo) carries mcp-auth's fields...
export const subjectOf = (auth: AuthInfo): string | undefined => auth.subject;
export const issuerOf = (auth: AuthInfo): string => auth.issuer;
// ...and so does Express's req.auth.
export const claimsOf = (req: Request): Record<string, unknown> | undefined => req.auth?.claims;

export const resource: ResourceServerConfig = { metadata: { resource: 'https://mcp.example.com', scopesSupported: ['a'] } };
export const events: AuthEvent['type'][] = ['accepted', 'rejected', 'jwks_refreshed', 'jwks_unavailable'];

export function misuse(mcpAuth: MCPAuth, server: ResolvedAuthServerConfig): void {
  mcpAuth.bearerAuth('jwt', { resource: 'https://mcp.example.com', audience: false, requiredScopes: ['a'] });
  // @ts-expect-error only 'jwt' or a verify function
  mcpAuth.bearerAuth('opaque');
  // @ts-expect-error the trust list cannot be overridden per middleware
  mcpAuth.bearerAuth('jwt', { issuer: 'https://evil.example' });
  // @ts-expect-error unknown error code
  void new MCPAuthBearerAuthError('no_such_code');
  // @ts-expect-error metadata members are typed
  void server.metadata.issuer.toFixed();
}
