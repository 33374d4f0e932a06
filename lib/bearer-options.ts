// Turns the per-middleware options (audience, requiredScopes, limits) into a
// validated policy once, at setup, so nothing is re-checked per request.

import { assertCanonicalHost, assertScope, invalidConfig, warnOnce } from './setup-checks.js';
import { checkBearerLimits, checkVerifyTimeout } from './native.js';
import { nativeConfigError } from './native-config.js';
import { offlineAccessScope } from './resource-metadata.js';
import type { BearerAuthConfig } from './types.js';

export interface BearerPolicy {
  audiences: readonly string[] | 'any';
  requiredScopes: readonly string[];
  maxTokenLength: number;
  showErrorDetails: boolean;
  /** Milliseconds a custom verifier may take. */
  verifyTimeout: number;
}

export type BearerPolicyOptions = Pick<
  BearerAuthConfig,
  'audience' | 'requiredScopes' | 'maxTokenLength' | 'showErrorDetails' | 'verifyTimeout'
>;

/**
 * `audience` defaults to `defaultAudience` (the resource); `false` is the
 * explicit opt-out. Without either, any audience is accepted.
 */
export function resolveBearerPolicy(options: BearerPolicyOptions, defaultAudience: string | undefined): BearerPolicy {
  const { audience = defaultAudience, requiredScopes = [] } = options;

  let audiences: BearerPolicy['audiences'] = 'any';
  if (audience === undefined) {
    warnOnce('bearerAuth accepts tokens for any audience: set `resource` or `audience` (or `audience: false` to confirm).');
  } else if (audience !== false) {
    audiences = [audience].flat();
  }
  // The addon's rules, so 'jwt' mode and custom verifiers agree with the verifier.
  let maxTokenLength: number;
  let verifyTimeout: number;
  try {
    maxTokenLength = checkBearerLimits({ audiences: audiences === 'any' ? false : audiences, maxTokenLength: options.maxTokenLength });
    verifyTimeout = checkVerifyTimeout({ verifyTimeout: options.verifyTimeout });
  } catch (error) {
    throw nativeConfigError(error);
  }
  if (audiences !== 'any') for (const value of audiences) assertCanonicalHost(value, 'audience');

  if (!Array.isArray(requiredScopes)) throw invalidConfig('`requiredScopes` must be an array of scopes.');
  for (const scope of requiredScopes) assertScope(scope);
  if (requiredScopes.includes(offlineAccessScope)) {
    throw invalidConfig('`offline_access` cannot be a required scope: MCP clients must not be asked for it.');
  }

  return {
    audiences,
    requiredScopes: [...requiredScopes],
    maxTokenLength,
    showErrorDetails: options.showErrorDetails === true,
    verifyTimeout,
  };
}
