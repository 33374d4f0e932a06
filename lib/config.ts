// Validates an MCPAuthConfig once, at construction (C30), and turns it into
// the resolved shape the rest of the package works from. Every problem is an
// MCPAuthAuthServerError('invalid_server_config') whose message says what is
// wrong (the reason also stays in `cause`, as mcp-auth code reads it).
//
// Server URLs (resources, issuers) are checked by the addon's one rule
// (`checkServerUrl`: https, http only for loopback hosts); this file adds the
// setup-level checks: fragments, the host rule, duplicates, metadata.

import { resolveDpop, type DpopGate } from './dpop.js';
import { checkServerUrl, isNativeError } from './native.js';
import { assertKnownKeys, optionKeys } from './option-keys.js';
import { offlineAccessScope, protectedResourceMetadataUrl } from './resource-metadata.js';
import { compileScopeHierarchy, type ScopeHierarchy } from './scopes.js';
import { invalidServerConfig } from './errors.js';
import { getIssuer, validateServerConfig } from './server-config.js';
import { assertCanonicalHost, assertScope, invalidConfig, warnOnce } from './setup-checks.js';
import type { AuthServerConfig, MCPAuthConfig, MtlsConfig, ResourceServerConfig } from './types.js';

export interface ProtectedResource {
  /** Exactly as configured: it is what tokens' `aud` and the PRM `resource` carry. */
  resource: string;
  metadata: ResourceServerConfig['metadata'];
  authorizationServers: readonly AuthServerConfig[];
  metadataUrl: URL;
  /** The resource's validated `scopeHierarchy`, if any. */
  scopeHierarchy: ScopeHierarchy | undefined;
  /** The resource's DPoP gate (`dpop`, default 'allowed'); `undefined` when off. */
  dpop: DpopGate | undefined;
  /** RFC 8705: where the client certificate is read (the core checks the option); `undefined` when off. */
  mtls: MtlsConfig | undefined;
}

export type ResolvedConfig =
  | { mode: 'resource'; resources: ReadonlyMap<string, ProtectedResource> }
  | { mode: 'legacy'; server: AuthServerConfig };

// Findings a resource server can live with: clients need PKCE and dynamic
// registration, checking tokens does not. They are reported as warnings.
const toleratedFindings: ReadonlySet<string> = new Set([
  'pkce_not_supported',
  's256_code_challenge_method_not_supported',
  'dynamic_registration_not_supported',
]);

export function resolveConfig(config: MCPAuthConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) throw invalidConfig('The configuration must be an object.');
  assertKnownKeys(config, optionKeys.config, { owner: 'MCPAuth' });
  const hasServer = 'server' in config;
  const hasResources = 'protectedResources' in config;
  if (hasServer && hasResources) {
    throw invalidConfig('Give either `protectedResources` or the deprecated `server`, not both.');
  }
  if (hasServer) {
    warnOnce('The `server` (authorization server) mode is deprecated; configure `protectedResources` instead.');
    validateAuthServer(config.server, 'server.');
    return { mode: 'legacy', server: config.server };
  }
  if (!hasResources) throw invalidConfig('Configure `protectedResources` (or the deprecated `server`).');

  const resources = new Map<string, ProtectedResource>();
  // The metadata router matches on path and query only (the Host header is not trusted, C8).
  const metadataPaths = new Set<string>();
  for (const entry of [config.protectedResources].flat()) {
    assertKnownKeys(entry, optionKeys.protectedResource, { owner: 'MCPAuth', path: 'protectedResources[].' });
    const { metadata, scopeHierarchy, dpop, mtls } = entry ?? {};
    const resolved = { ...resolveResource(metadata, scopeHierarchy, dpop), mtls: resolveMtls(mtls) };
    if (resources.has(resolved.resource)) throw invalidConfig(`The resource ${resolved.resource} is configured twice.`);
    const metadataPath = resolved.metadataUrl.pathname + resolved.metadataUrl.search;
    if (metadataPaths.has(metadataPath)) {
      throw invalidConfig(`Two resources would be described at the same path ${metadataPath}; serve them from separate apps.`);
    }
    resources.set(resolved.resource, resolved);
    metadataPaths.add(metadataPath);
  }
  return { mode: 'resource', resources };
}

// The core reads the option's members when bearerAuth is built; here only its shape.
function resolveMtls(mtls: unknown): MtlsConfig | undefined {
  if (mtls === undefined) return undefined;
  if (typeof mtls !== 'object' || mtls === null || Array.isArray(mtls)) throw invalidConfig('`mtls` must be an object.');
  return mtls as MtlsConfig;
}

function resolveResource(
  metadata: ResourceServerConfig['metadata'] | undefined,
  scopeHierarchy: unknown,
  dpop: unknown,
): Omit<ProtectedResource, 'mtls'> {
  // RFC 9728 allows extension members: only likely typos of known ones are refused.
  assertKnownKeys(metadata, optionKeys.resourceMetadata, { owner: 'MCPAuth', path: 'protectedResources[].metadata.', open: true });
  if (typeof metadata?.resource !== 'string') throw invalidConfig('Every protected resource needs `metadata.resource`.');
  const { resource } = metadata;
  const url = parseServerUrl(resource, 'resource');
  if (resource.includes('#')) throw invalidConfig(`The resource ${resource} must not have a fragment.`);

  for (const scope of metadata.scopesSupported ?? []) assertScope(scope);
  if (metadata.scopesSupported?.includes(offlineAccessScope)) {
    warnOnce(`offline_access is left out of the metadata of ${resource}: MCP clients must not request it here.`);
  }

  const authorizationServers = metadata.authorizationServers ?? [];
  const issuers = new Set<string>();
  for (const server of authorizationServers) {
    const issuer = getIssuer(server);
    if (issuers.has(issuer)) throw invalidConfig(`The authorization server ${issuer} is listed twice for ${resource}.`);
    issuers.add(issuer);
    validateAuthServer(server, 'protectedResources[].metadata.authorizationServers[].');
  }
  return {
    resource,
    metadata,
    authorizationServers,
    metadataUrl: protectedResourceMetadataUrl(url),
    scopeHierarchy: compileScopeHierarchy(scopeHierarchy, `scopeHierarchy of ${resource}`),
    dpop: resolveDpop(dpop, resource),
  };
}

function validateAuthServer(server: AuthServerConfig | undefined, path: string): void {
  if (typeof server !== 'object' || server === null || (server.type !== 'oauth' && server.type !== 'oidc')) {
    throw invalidConfig("An authorization server needs `type: 'oauth' | 'oidc'` and an issuer or metadata.");
  }
  const resolved = 'metadata' in server;
  assertKnownKeys(server, resolved ? optionKeys.resolvedAuthServer : optionKeys.discoveredAuthServer, {
    owner: 'MCPAuth',
    path,
  });
  const issuer = getIssuer(server);
  if (typeof issuer !== 'string') throw invalidConfig('An authorization server has no issuer.');
  parseServerUrl(issuer, 'issuer');
  if (!resolved) return; // discovered later, and checked then

  const result = validateServerConfig(server);
  const findings = [...(result.isValid ? [] : result.errors), ...result.warnings];
  const blocking = findings.filter((finding) => !toleratedFindings.has(finding.code));
  if (blocking.length > 0) {
    const cause = `The authorization server ${issuer} cannot serve MCP clients: ${blocking.map((f) => f.code).join(', ')}.`;
    throw invalidServerConfig(cause, { cause, errors: blocking });
  }
  for (const finding of findings) warnOnce(`Authorization server ${issuer}: ${finding.description}`);
}

function parseServerUrl(value: string, what: 'resource' | 'issuer'): URL {
  try {
    checkServerUrl(value, what);
  } catch (error) {
    throw isNativeError(error) ? invalidConfig(error.reason) : error;
  }
  assertCanonicalHost(value, what);
  return new URL(value);
}
