// Scope decisions (MCP 2026-07-28: a broader scope implies narrower ones).
// A hierarchy is validated once, at setup, by the core (its errors name the
// option); the addon's decision expands a token's granted scopes to the
// effective set (`effectiveScopes`), and every check here (per-tool checks,
// `requireScopes`) compares against that set.

import { definedMembers } from './case.js';
import { compileScopeHierarchy as nativeCompileScopeHierarchy, isNativeError } from './native.js';
import { assertScope, invalidConfig } from './setup-checks.js';
import { MCPAuthBearerAuthError } from './errors.js';
import { offlineAccessScope } from './resource-metadata.js';
import type { ScopeHierarchy } from './types.js';

// Declared with the public types (types.ts), which must not import this module back.
export type { ScopeHierarchy } from './types.js';

/**
 * Validates a `scopeHierarchy` option by the core's one rule and returns it
 * (implied lists without repeats), for the addon's decision; `undefined`
 * when there is none.
 * @throws {MCPAuthAuthServerError} `invalid_server_config` naming `option` for a wrong shape, an invalid scope,
 * `offline_access`, or a cycle.
 */
export function compileScopeHierarchy(hierarchy: unknown, option = 'scopeHierarchy'): ScopeHierarchy | undefined {
  if (hierarchy === undefined) return undefined;
  let rules: { scope: string; implies: string[] }[];
  try {
    rules = nativeCompileScopeHierarchy({ option, ...definedMembers({ entries: hierarchyEntries(hierarchy) }) });
  } catch (error) {
    throw isNativeError(error) ? invalidConfig(error.reason) : error;
  }
  return Object.fromEntries(rules.map(({ scope, implies }) => [scope, implies]));
}

// JavaScript values as the core reads them: an object's entries in key
// order, and each implied scope as its string or as JSON prints anything else.
function hierarchyEntries(hierarchy: unknown) {
  if (typeof hierarchy !== 'object' || hierarchy === null || Array.isArray(hierarchy)) return undefined;
  return Object.entries(hierarchy).map(([scope, implied]: [string, unknown]) => ({
    scope,
    ...definedMembers({
      implies: Array.isArray(implied)
        ? implied.map((item: unknown) => (typeof item === 'string' ? { scope: item } : { printed: String(JSON.stringify(item)) }))
        : undefined,
    }),
  }));
}

function assertHierarchyScope(scope: unknown, option: string): void {
  assertScope(scope, option);
  if (scope === offlineAccessScope) {
    throw invalidConfig(`\`${option}\` cannot mention offline_access: it is not an operation's scope, and clients must not be asked for it.`);
  }
}

/** The scopes a check uses: the effective set when bearerAuth computed one, else the granted scopes. */
function effectiveScopesOf(auth: ScopedAuthInfo | undefined): readonly string[] {
  if (!auth) return [];
  const scopes = auth.effectiveScopes ?? auth.scopes;
  return Array.isArray(scopes) ? scopes : [];
}

/** The part of an AuthInfo that scope checks read. */
export interface ScopedAuthInfo {
  scopes: readonly string[];
  effectiveScopes?: readonly string[];
}

/** Those of `required` that `auth` holds neither directly nor through the hierarchy. */
export function missingScopes(auth: ScopedAuthInfo | undefined, required: readonly string[]): string[] {
  const held = effectiveScopesOf(auth);
  return required.filter((scope) => !held.includes(scope));
}

/** Whether `auth` holds every one of `scopes`, directly or through the resource's hierarchy. */
export function hasScopes(auth: ScopedAuthInfo | undefined, ...scopes: string[]): boolean {
  return missingScopes(auth, scopes).length === 0;
}

/**
 * Throws `MCPAuthBearerAuthError('missing_required_scopes')` (with the missing
 * scopes as `cause.missingScopes`) unless `auth` holds every one of `scopes`.
 * For tool handlers on SDK v1, where a tool cannot answer with an HTTP 403.
 */
export function assertScopes(auth: ScopedAuthInfo | undefined, ...scopes: string[]): void {
  const missing = missingScopes(auth, scopes);
  if (missing.length > 0) throw new MCPAuthBearerAuthError('missing_required_scopes', { missingScopes: missing });
}

/** What SDK v2's `scopeChallenge` expects back: the complete scope set to challenge for. */
export interface ScopeChallengeResult {
  scopes: [string, ...string[]];
  errorDescription?: string;
}

/**
 * A per-operation scope check for SDK v2's `scopeChallenge` (on
 * `registerTool`, `registerResource`, `registerPrompt`). Unlike the SDK's own
 * `requireScopes`, it honours the resource's `scopeHierarchy` (through the
 * `effectiveScopes` that bearerAuth sets). A caller that lacks any of `scopes`
 * gets one `403 insufficient_scope` whose `scope` names all of them, with the
 * `resource_metadata` of our own challenges. Unauthenticated requests are
 * left to the authentication gate.
 */
export function requireScopes(
  ...scopes: [string, ...string[]]
): (context: { authInfo?: ScopedAuthInfo }) => ScopeChallengeResult | undefined {
  if (scopes.length === 0) throw invalidConfig('`requireScopes` needs at least one scope.');
  for (const scope of scopes) assertHierarchyScope(scope, 'requireScopes');
  const required: [string, ...string[]] = [...new Set(scopes)] as [string, ...string[]];
  return ({ authInfo }) => {
    if (authInfo === undefined) return undefined;
    return missingScopes(authInfo, required).length === 0 ? undefined : { scopes: required };
  };
}
