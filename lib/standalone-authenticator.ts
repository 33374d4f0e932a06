// The decision behind mcp-auth's standalone `handleBearerAuth`: a custom
// verifier with its own issuer and resource, no MCPAuth instance. Checks the
// configuration at setup (errors name the option) and builds the
// framework-neutral Authenticator; the Express adapter only wraps it.

import { createAuthenticator, type Authenticator } from './authenticate.js';
import { resolveBearerPolicy } from './bearer-options.js';
import { withTokenChecks } from './custom-verifier.js';
import { resolveDpop } from './dpop.js';
import { AuthEventEmitter } from './events.js';
import { assertBearerOptions, optionKeys } from './option-keys.js';
import { protectedResourceMetadataUrl } from './resource-metadata.js';
import { compileScopeHierarchy } from './scopes.js';
import { assertCanonicalHost } from './setup-checks.js';
import type { BearerAuthConfig } from './types.js';

/** The issuer check uses `issuer`; the audience defaults to `resource` when that is given. */
export function createStandaloneAuthenticator(config: BearerAuthConfig): Authenticator {
  assertBearerOptions(config, 'handleBearerAuth', optionKeys.handleBearerAuth);
  const { verifyAccessToken, issuer, resource, onAuthEvent } = config;
  if (typeof verifyAccessToken !== 'function') {
    throw new TypeError('`verifyAccessToken` must be a function that returns the AuthInfo of a token.');
  }
  if (typeof issuer !== 'function' && !isAbsoluteUrl(issuer)) {
    throw new TypeError('`issuer` must be an absolute URL or a function that throws for an untrusted issuer.');
  }
  if (resource !== undefined && !isAbsoluteUrl(resource)) throw new TypeError('`resource` must be an absolute URL.');
  if (typeof issuer === 'string') assertCanonicalHost(issuer, 'issuer');
  if (resource !== undefined) assertCanonicalHost(resource, 'resource');

  const policy = resolveBearerPolicy(config, resource);
  const events = new AuthEventEmitter();
  events.add(onAuthEvent);
  const dpop = resolveDpop(config.dpop ?? 'off', resource);
  dpop?.listen(onAuthEvent);
  const { verifyToken, callerChecks } = withTokenChecks(verifyAccessToken, {
    issuer: typeof issuer === 'function' ? issuer : [issuer],
    audiences: policy.audiences,
    verifyTimeout: policy.verifyTimeout,
  });
  return createAuthenticator({
    verifyToken,
    callerChecks,
    resource,
    resourceMetadataUrl: resource === undefined ? undefined : protectedResourceMetadataUrl(new URL(resource)).href,
    requiredScopes: policy.requiredScopes,
    scopeHierarchy: compileScopeHierarchy(config.scopeHierarchy),
    dpop,
    claimsMayBeMissing: true,
    showErrorDetails: policy.showErrorDetails,
    maxTokenLength: policy.maxTokenLength,
    events,
  });
}

function isAbsoluteUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value);
}
