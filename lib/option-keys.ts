// Closed option objects: every options object this package reads has one
// list of known keys, checked at setup, so a typo (`requiredScope`) is
// refused instead of silently leaving a check off. Each list is checked
// against its public type by the compiler in both directions: a key the type
// lacks does not compile, and neither does a type member the list misses.

import { invalidServerConfig } from './errors.js';
import type {
  AuthServerDiscoveryConfig,
  BearerAuthConfig,
  CamelCaseProtectedResourceMetadata,
  ClaimOptions,
  DpopOptions,
  IntrospectionOptions,
  JwtVerifyOptions,
  RedisStoreOptions,
  RedisUrlStoreOptions,
  RemoteJwkSetOptions,
  ResolvedAuthServerConfig,
  ResourceServerConfig,
  ResourceServerModeConfig,
  AuthServerModeConfig,
  ServerMetadataConfig,
  VerifierCacheOptions,
  VerifyJwtConfig,
} from './types.js';
import type { OperationsOptions } from './operation-types.js';

type OperationsOption = { operations?: OperationsOptions };

/** A key set; the compiler refuses extra keys and, through `Missing`, missing ones. */
type Missing<T, K extends readonly PropertyKey[]> = Exclude<keyof T, K[number]>;
export function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Missing<T, K>] extends [never] ? unknown : { missingKeys: Missing<T, K> }),
  ): ReadonlySet<string> => new Set<string>(keys);
}

export const optionKeys = {
  handleBearerAuth: keysOf<BearerAuthConfig>()([
    'verifyAccessToken', 'issuer', 'audience', 'requiredScopes', 'scopeHierarchy', 'resource',
    'showErrorDetails', 'stripAuthorizationHeader', 'dpop', 'maxTokenLength', 'verifyTimeout', 'onAuthEvent',
  ]),
  // `issuer` and `verifyAccessToken` are left in: bearerAuth refuses them with its own message.
  bearerAuth: keysOf<BearerAuthConfig & VerifyJwtConfig & OperationsOption>()([
    'verifyAccessToken', 'issuer', 'audience', 'requiredScopes', 'scopeHierarchy', 'resource',
    'showErrorDetails', 'stripAuthorizationHeader', 'dpop', 'maxTokenLength', 'verifyTimeout', 'onAuthEvent',
    'jwtVerify', 'claims', 'remoteJwkSet', 'cache', 'introspection', 'operations',
  ]),
  // Checked again, in full, by the addon (it names the path, e.g. `operations.tools["x"]`).
  operations: keysOf<OperationsOptions>()(['tools', 'prompts', 'resources', 'methods', 'discovery', 'default', 'signal', 'maxBodyBytes']),
  jwtVerify: keysOf<JwtVerifyOptions>()(['algorithms', 'clockTolerance', 'maxTokenAge', 'requiredClaims', 'typ', 'audience', 'issuer']),
  remoteJwkSet: keysOf<RemoteJwkSetOptions>()(['timeoutDuration', 'cooldownDuration', 'cacheMaxAge']),
  cache: keysOf<VerifierCacheOptions>()(['staleMaxAge', 'tokenCacheSize', 'tokenCacheMaxAge', 'maxResponseBytes']),
  claims: keysOf<ClaimOptions>()(['scopeClaims', 'clientIds', 'requiredClaimValues']),
  introspection: keysOf<IntrospectionOptions>()([
    'issuer', 'endpoint', 'clientId', 'clientSecret', 'clientAuthMethod', 'privateKey', 'signingAlgorithm', 'keyId',
    'assertionAudience', 'timeout', 'cacheMaxAge', 'negativeCacheTtl', 'cacheSize', 'maxResponseBytes',
    'acceptMissingAudience', 'store', 'storeSecret', 'storeTimeout',
  ]),
  dpop: keysOf<DpopOptions>()(['mode', 'algorithms', 'iatWindow', 'nonce', 'replayCacheSize', 'replayCachePerKey', 'store', 'storeTimeout']),
  dpopNonce: keysOf<Exclude<DpopOptions['nonce'], boolean | undefined>>()(['secret', 'lifetime']),
  config: keysOf<AuthServerModeConfig & ResourceServerModeConfig>()(['server', 'protectedResources', 'onAuthEvent', 'tokenExchange']),
  protectedResource: keysOf<ResourceServerConfig>()(['metadata', 'scopeHierarchy', 'dpop', 'mtls']),
  resourceMetadata: keysOf<CamelCaseProtectedResourceMetadata>()([
    'resource', 'authorizationServers', 'jwksUri', 'scopesSupported', 'bearerMethodsSupported',
    'resourceSigningAlgValuesSupported', 'resourceName', 'resourceDocumentation', 'resourcePolicyUri',
    'resourceTosUri', 'tlsClientCertificateBoundAccessTokens', 'authorizationDetailsTypesSupported',
    'dpopSigningAlgValuesSupported', 'dpopBoundAccessTokensRequired', 'signedMetadata',
  ]),
  resolvedAuthServer: keysOf<ResolvedAuthServerConfig>()(['metadata', 'type', 'tenants']),
  discoveredAuthServer: keysOf<AuthServerDiscoveryConfig>()(['issuer', 'type']),
  redisStore: keysOf<RedisStoreOptions>()(['prefix']),
  redisUrlStore: keysOf<RedisUrlStoreOptions>()(['url', 'prefix', 'connectTimeout', 'responseTimeout', 'reconnectMaxDelay', 'maxInFlight']),
  serverMetadataConfig: keysOf<ServerMetadataConfig>()(['type', 'transpileData']),
} as const;

/** jose options mcp-auth 0.2 passed on that this package does not implement: refused with their own reason. */
const unsupported: Readonly<Record<string, string>> = {
  'jwtVerify.subject': 'a jose option this package does not implement (check `sub` in your tool)',
  'jwtVerify.currentDate': 'a jose option this package does not implement',
  'jwtVerify.crit': 'not needed: tokens with `crit` are refused',
  'remoteJwkSet.headers': 'a jose option this package does not implement',
  'remoteJwkSet.agent': 'a jose option this package does not implement',
};

export interface ClosedCheck {
  /** Who reads the object, e.g. `bearerAuth`. */
  owner: string;
  /** Path prefix of its keys, e.g. `introspection.` (empty at the top level). */
  path?: string;
  /**
   * Extension members are allowed (RFC 9728 metadata): only a key that is a
   * likely typo of a known one is refused.
   */
  open?: boolean;
}

/**
 * Throws `invalid_server_config` for the first unknown own key of `value`
 * (when it is an object), naming it and the likely intended key.
 */
export function assertKnownKeys(value: unknown, known: ReadonlySet<string>, check: ClosedCheck): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const path = check.path ?? '';
  for (const key of Object.keys(value)) {
    if (known.has(key)) continue;
    const suggestion = closestKey(key, known);
    if (check.open && suggestion === undefined) continue;
    const name = `\`${path}${shown(key)}\``;
    const note = unsupported[path + key];
    const hint = note ? `: ${note}` : suggestion === undefined ? '' : `; did you mean \`${path}${suggestion}\`?`;
    throw invalidServerConfig(`${check.owner}: unknown option ${name}${hint}${hint.endsWith('?') ? '' : '.'}`);
  }
}

// A key is user input: show it only when it looks like an identifier.
function shown(key: string): string {
  return /^[A-Za-z0-9_$.-]{1,64}$/.test(key) ? key : JSON.stringify(key.slice(0, 64)).slice(1, -1).replace(/`/g, "'");
}

const normalize = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');

/** The known key `key` most likely meant: same letters ignoring case, `_` and `-`, or at most 2 edits away. */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  if (key.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = normalize(candidate) === normalize(key) ? 0 : editDistance(key.toLowerCase(), candidate.toLowerCase());
    // Short names get fewer edits, so `typ` does not suggest itself for any three letters.
    const allowed = Math.min(2, Math.max(1, Math.floor(candidate.length / 3)));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

// Levenshtein distance, two rows.
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

const nestedBearerOptions = ['jwtVerify', 'claims', 'remoteJwkSet', 'cache', 'introspection', 'operations'] as const;

/** bearerAuth-style options (`known`: which top-level keys) and each nested options object they hold. */
export function assertBearerOptions(options: unknown, owner: string, known: ReadonlySet<string>): void {
  assertKnownKeys(options, known, { owner });
  if (typeof options !== 'object' || options === null) return;
  for (const name of nestedBearerOptions) {
    if (known.has(name)) assertKnownKeys((options as Record<string, unknown>)[name], optionKeys[name], { owner, path: `${name}.` });
  }
}
