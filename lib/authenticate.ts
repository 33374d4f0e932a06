// The framework-neutral authentication decision: given a request's method,
// URL and headers, either accept it with an AuthInfo or describe the exact
// response to send (status, headers, JSON body). Adapters only copy it out.
//
// Order matters: the request's shape is checked first (400), then the token's
// validity (401), then its scopes (403), so an expired token that also lacks
// scopes is reported as invalid, not as insufficiently scoped.

import { isPlainObject, snakeCaseKeys } from './case.js';
import { buildChallenge, sanitizeDescription } from './challenge.js';
import {
  bearerAuthErrorDescription,
  MCPAuthBearerAuthError,
  MCPAuthTokenVerificationError,
  nativeErrorKind,
  tokenErrorDescription,
} from './errors.js';
import { AuthEventEmitter, tokenId } from './events.js';
import { isNativeError } from './native.js';
import { thenMaybe } from './maybe-promise.js';
import { noHierarchy, type ScopeExpander } from './scopes.js';
import { infrastructureFailure, serverFailure, type Failure } from './server-failure.js';
import type { AuthInfo, MaybePromise } from './types.js';

export interface AuthRequest {
  method: string;
  /** Path and query as received (`req.url`). */
  url: string;
  /** Lower-cased header names, as Node's `req.headers`. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Node's `req.rawHeaders`; needed to notice a repeated Authorization header, which Node folds away. */
  rawHeaders?: readonly string[];
}

export type AuthDecision =
  | { ok: true; auth: AuthInfo }
  | { ok: false; status: number; headers: Record<string, string>; body: string };

/** Resolves synchronously whenever it can (cached keys), so await it only if it is a promise. */
export type Authenticator = (request: AuthRequest) => AuthDecision | Promise<AuthDecision>;

export interface AuthenticatorConfig {
  /** Returns the token's AuthInfo or throws (a coded addon error or an MCPAuth error). */
  verifyToken: (token: string) => MaybePromise<AuthInfo>;
  /** The protected resource, reported in events. */
  resource?: string;
  /** PRM URL advertised in every challenge (RFC 9728 §5.1). */
  resourceMetadataUrl?: string;
  requiredScopes?: readonly string[];
  /** The resource's scope hierarchy (M16); scopes are checked against the expanded set. */
  expandScopes?: ScopeExpander;
  showErrorDetails?: boolean;
  /** Longest accepted token in characters (C11). */
  maxTokenLength: number;
  events: AuthEventEmitter;
}


const jsonContentType = 'application/json; charset=utf-8';
// The RFC 6750 §2.1 b64token character set. A credential made only of these
// is a token, so a bad one (`=` inside, `+`, wrong segments) is the token's
// fault: 401 invalid_token, which a client recovers from with a new token.
// Anything else is a fault of the request: 400.
const b64tokenChars = /^[A-Za-z0-9\-._~+/=]+$/;
const tchars = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const memoLimit = 64;

type HeaderFailure = 'missing' | 'unsupported_scheme' | 'no_token' | 'malformed' | 'duplicate' | 'token_too_large';
type HeaderCheck = { token: string } | { failure: HeaderFailure };

/**
 * A CORS preflight carries no credentials by design; it must not be challenged
 * (C9). Per the Fetch spec it is an OPTIONS with both `Origin` and
 * `Access-Control-Request-Method`; any other request is authenticated.
 */
export function isCorsPreflight(request: Pick<AuthRequest, 'method' | 'headers'>): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}

export function createAuthenticator(config: AuthenticatorConfig): Authenticator {
  const { verifyToken, resource, resourceMetadataUrl, showErrorDetails = false, maxTokenLength, events } = config;
  const expandScopes = config.expandScopes ?? noHierarchy;
  const requiredScopes = config.requiredScopes ?? [];
  const scope = requiredScopes.length > 0 ? requiredScopes.join(' ') : undefined;

  const challenges = new Map<string, string>();
  const challenge = (error?: string, errorDescription?: string): string => {
    const key = `${error ?? ''}\n${errorDescription ?? ''}`;
    let value = challenges.get(key);
    if (value === undefined) {
      value = buildChallenge({ error, errorDescription, resourceMetadata: resourceMetadataUrl, scope });
      if (challenges.size < memoLimit) challenges.set(key, value);
    }
    return value;
  };

  const challenged = (status: number, reason: string, body: Record<string, unknown>, error?: string): Failure => ({
    status,
    headers: {
      'WWW-Authenticate': challenge(error, error ? (body.error_description as string) : undefined),
      'Access-Control-Expose-Headers': 'WWW-Authenticate',
    },
    body: JSON.stringify(body),
    error,
    reason,
  });

  // RFC 6750 §3.1: no credentials (or a scheme we do not take) gets a bare challenge.
  const missingCredentials = challenged(401, 'missing_authorization', {
    error: 'missing_auth_header',
    error_description: bearerAuthErrorDescription.missing_auth_header,
  });
  const unsupportedScheme = challenged(401, 'unsupported_scheme', {
    error: 'invalid_auth_header_format',
    error_description: bearerAuthErrorDescription.invalid_auth_header_format,
  });
  // "Bearer" with an empty token slot is no credentials either: the client should start authorization.
  const missingToken = challenged(401, 'missing_token', {
    error: 'missing_bearer_token',
    error_description: bearerAuthErrorDescription.missing_bearer_token,
  });
  const invalidRequest = (reason: string, description: string): Failure =>
    challenged(400, reason, { error: 'invalid_request', error_description: description }, 'invalid_request');
  const headerFailures: Record<HeaderFailure | 'query', Failure> = {
    missing: missingCredentials,
    unsupported_scheme: unsupportedScheme,
    no_token: missingToken,
    malformed: invalidRequest('malformed_authorization', 'The Authorization header must hold one Bearer token.'),
    duplicate: invalidRequest('duplicate_authorization', 'Only one Authorization header is allowed.'),
    query: invalidRequest('token_in_query', 'Access tokens are not accepted in the query string.'),
    token_too_large: invalidToken('token_too_large', tokenErrorDescription('token_too_large')),
  };

  function invalidToken(reason: string, description: string, cause?: unknown): Failure {
    return challenged(
      401,
      reason,
      { error: 'invalid_token', error_description: description, ...(cause === undefined ? {} : { cause }) },
      'invalid_token',
    );
  }

  function insufficientScope(missingScopes: string[]): Failure {
    return challenged(
      403,
      'insufficient_scope',
      {
        error: 'insufficient_scope',
        error_description: bearerAuthErrorDescription.missing_required_scopes,
        ...(showErrorDetails ? { cause: { missing_scopes: missingScopes } } : {}),
        missing_scopes: missingScopes,
      },
      'insufficient_scope',
    );
  }

  // Without details a token failure depends on its code alone: build each
  // response once, so rejecting stays as cheap as accepting.
  const tokenFailures = new Map<string, Failure>();
  function tokenFailure(code: string, reason: string): Failure {
    if (showErrorDetails) return invalidToken(code, tokenErrorDescription(code), { code, reason });
    let failure = tokenFailures.get(code);
    if (failure === undefined) {
      failure = invalidToken(code, tokenErrorDescription(code));
      if (tokenFailures.size < memoLimit) tokenFailures.set(code, failure);
    }
    return failure;
  }

  function classify(error: unknown): Failure {
    if (isNativeError(error)) {
      if (nativeErrorKind(error.code) === 'token') return tokenFailure(error.code, error.reason);
      return infrastructureFailure(error, showErrorDetails) ?? serverFailure(error, showErrorDetails);
    }
    if (error instanceof MCPAuthBearerAuthError && error.code === 'missing_required_scopes') {
      return insufficientScope(error.cause?.missingScopes ?? [...requiredScopes]);
    }
    if (error instanceof MCPAuthBearerAuthError || error instanceof MCPAuthTokenVerificationError) {
      // The message may have been set by user code: keep body and header to the same safe text.
      const description = sanitizeDescription(error.message) || tokenErrorDescription(error.code);
      return invalidToken(error.code, description, showErrorDetails ? causeDetails(error.cause) : undefined);
    }
    return serverFailure(error, showErrorDetails);
  }

  function reject(failure: Failure): AuthDecision {
    if (events.active) {
      events.emit({ type: 'rejected', resource, status: failure.status, error: failure.error, reason: failure.reason });
    }
    return {
      ok: false,
      status: failure.status,
      headers: { ...failure.headers, 'Content-Type': jsonContentType },
      body: failure.body,
    };
  }

  function authorize(token: string, auth: AuthInfo): AuthDecision {
    if (typeof auth !== 'object' || auth === null) return reject(serverFailure(auth, false));
    // `scopes` stays what was granted; checks here and in tools use the expanded set.
    const effectiveScopes = expandScopes(Array.isArray(auth.scopes) ? auth.scopes : []);
    if (requiredScopes.length > 0) {
      const missing = requiredScopes.filter((required) => !effectiveScopes.includes(required));
      if (missing.length > 0) return reject(insufficientScope(missing));
    }
    auth.effectiveScopes = effectiveScopes;
    // SDK v2's per-operation challenges advertise this; a verifier-set value wins, as in the SDK.
    if (resourceMetadataUrl !== undefined) auth.resourceMetadataUrl ??= resourceMetadataUrl;
    if (events.active) {
      events.emit({
        type: 'accepted',
        resource,
        issuer: auth.issuer,
        subject: auth.subject,
        clientId: auth.clientId,
        tokenId: tokenId(token, auth.claims),
      });
    }
    return { ok: true, auth };
  }

  function decide(request: AuthRequest): AuthDecision | Promise<AuthDecision> {
    if (hasQueryToken(request.url)) return reject(headerFailures.query);
    const checked = readBearerToken(request, maxTokenLength);
    if ('failure' in checked) return reject(headerFailures[checked.failure]);
    const { token } = checked;

    let verified: MaybePromise<AuthInfo>;
    try {
      verified = verifyToken(token);
    } catch (error) {
      return reject(classify(error));
    }
    return thenMaybe(
      verified,
      (auth) => authorize(token, auth),
      (error: unknown) => reject(classify(error)),
    );
  }

  // The decision never throws or rejects: a bug or a hostile value becomes a 500, never a pass.
  const internalError = (error: unknown): AuthDecision => reject(serverFailure(error, false));
  return (request) => {
    try {
      return thenMaybe(decide(request), (decision) => decision, internalError);
    } catch (error) {
      return internalError(error);
    }
  };
}

// RFC 6750 §2.3 is a method we refuse (C1/C5): a query token is a client bug to surface, not to ignore.
function hasQueryToken(url: string): boolean {
  const queryStart = url.indexOf('?');
  return queryStart >= 0 && new URLSearchParams(url.slice(queryStart + 1)).has('access_token');
}

// credentials = "Bearer" 1*SP b64token (RFC 6750 §2.1), scheme case-insensitive.
function readBearerToken(request: AuthRequest, maxTokenLength: number): HeaderCheck {
  const value = request.headers.authorization;
  if (Array.isArray(value) || countAuthorizationHeaders(request.rawHeaders) > 1) return { failure: 'duplicate' };
  if (!value) return { failure: 'missing' };

  const scheme = tchars.exec(value)?.[0];
  if (scheme === undefined) return { failure: 'malformed' };
  if (scheme.toLowerCase() !== 'bearer') return { failure: 'unsupported_scheme' };

  let start = scheme.length;
  while (value.charCodeAt(start) === 0x20) start++;
  if (start === value.length) return { failure: 'no_token' };
  if (start === scheme.length) return { failure: 'malformed' };
  // Cap before any further parsing (C11).
  if (value.length - start > maxTokenLength) return { failure: 'token_too_large' };
  const token = value.slice(start);
  return b64tokenChars.test(token) ? { token } : { failure: 'malformed' };
}

function countAuthorizationHeaders(rawHeaders: readonly string[] | undefined): number {
  if (!rawHeaders) return 0;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}

// Only plain data from user-thrown errors reaches a body, and only with showErrorDetails.
function causeDetails(cause: unknown): unknown {
  return typeof cause === 'string' || isPlainObject(cause) ? snakeCaseKeys(cause) : undefined;
}
