// RFC 9728 protected resource metadata: where it lives and what it says.

import { snakeCaseKeys } from './case.js';
import type { DpopGate } from './dpop.js';
import { advertisedIssuers } from './server-config.js';
import type { ProtectedResourceMetadata, ResourceServerConfig } from './types.js';

const wellKnownPrefix = '/.well-known/oauth-protected-resource';

/** Clients must never be told to ask for refresh tokens here (MCP: no offline_access). */
export const offlineAccessScope = 'offline_access';

/**
 * RFC 9728 §3.1: the well-known segment goes between the host and the
 * resource's path (a root resource gets no suffix); the query is kept.
 */
export function protectedResourceMetadataUrl(resource: URL): URL {
  const path = resource.pathname === '/' ? '' : resource.pathname;
  return new URL(`${resource.origin}${wellKnownPrefix}${path}${resource.search}`);
}

/**
 * The PRM document for one resource: snake_case members, `resource` exactly as
 * configured, issuer strings for `authorization_servers` (`advertisedIssuers`), header-only bearer
 * method, no `offline_access`, the DPoP members from the resource's DPoP
 * mode (RFC 9449 §5.2), and no empty members.
 */
export function buildResourceMetadataDocument(metadata: ResourceServerConfig['metadata'], dpop?: DpopGate): ProtectedResourceMetadata {
  const {
    resource,
    authorizationServers,
    scopesSupported,
    bearerMethodsSupported: _replaced,
    dpopSigningAlgValuesSupported: _fromMode,
    dpopBoundAccessTokensRequired: _alsoFromMode,
    ...rest
  } = metadata;
  // Members computed here come last so that nothing passed through can override them.
  const document: Record<string, unknown> = {
    resource,
    ...(snakeCaseKeys(rest) as Record<string, unknown>),
    authorization_servers: authorizationServers?.flatMap(advertisedIssuers),
    scopes_supported: scopesSupported?.filter((scope) => scope !== offlineAccessScope),
    // Only the Authorization header is accepted (RFC 6750 §2.1); say so.
    bearer_methods_supported: ['header'],
    // What the middleware enforces, never a hand-written claim that could disagree with it.
    dpop_signing_alg_values_supported: dpop?.algorithms,
    dpop_bound_access_tokens_required: dpop?.mode === 'required' ? true : undefined,
  };
  for (const [key, value] of Object.entries(document)) {
    if (isEmpty(value)) delete document[key];
  }
  return document as ProtectedResourceMetadata;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}
