// The framework-neutral authentication decision: given a request's method,
// URL and headers, either accept it with an AuthInfo or describe the exact
// response to send (status, headers, JSON body). Adapters only copy it out.
//
// Order matters: the request's shape is checked first (400), then the token's
// validity (401), then its DPoP proof when it came with one (401), then its
// scopes (403), so an expired token that also lacks scopes is reported as
// invalid, not as insufficiently scoped. Only then is the proof used up in
// the replay cache (a replay is 401, no room 503): a refused request never
// holds a slot.

import { isPlainObject, snakeCaseKeys } from './case.js';
import { buildChallenge, sanitizeDescription } from './challenge.js';
import {
  bearerAuthErrorDescription,
  dpopRequiredAuthErrorDescription,
  MCPAuthBearerAuthError,
  MCPAuthTokenVerificationError,
  nativeErrorKind,
  tokenErrorDescription,
} from './errors.js';
import { boundKey, type DpopGate } from './dpop.js';
import { AuthEventEmitter, tokenId } from './events.js';
import { unverifiedJws } from './jws-shape.js';
import { DPOP_MAX_PROOF_LENGTH, isNativeError, type VerifiedProof } from './native.js';
import { thenMaybe } from './maybe-promise.js';
import { fixedReason } from './reason-codes.js';
import { noHierarchy, type ScopeExpander } from './scopes.js';
import { infrastructureFailure, serverFailure, type Failure } from './server-failure.js';
import { parseInsufficientScope, type Rechallenge } from './step-up.js';
import type { AuthInfo, MaybePromise } from './types.js';

export interface AuthRequest {
  method: string;
  /** Path and query as received (`req.url`). */
  url: string;
  /** Express: the URL before a mount path was stripped from `url`; the DPoP `htu` is checked against it. */
  originalUrl?: string;
  /** Lower-cased header names, as Node's `req.headers`. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Node's `req.rawHeaders`; needed to notice a repeated Authorization header, which Node folds away. */
  rawHeaders?: readonly string[];
}

export type AuthDecision =
  /**
   * `rechallenge`, on a resource that takes DPoP: rewrites a handler's own
   * `Bearer` 403 insufficient_scope challenge (SDK v2's per-operation scopes) into this resource's.
   */
  | { ok: true; auth: AuthInfo; rechallenge?: Rechallenge }
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
  /** The resource's DPoP gate; without one only `Bearer` is accepted. */
  dpop?: DpopGate;
  /**
   * The verifier may return an `AuthInfo` without the token's claims (a
   * custom verify function): then a Bearer JWT's own payload stands in for
   * them, only to refuse it when it is bound (`cnf`).
   */
  claimsMayBeMissing?: boolean;
}


const jsonContentType = 'application/json; charset=utf-8';
// The RFC 6750 §2.1 b64token character set. A credential made only of these
// is a token, so a bad one (`=` inside, `+`, wrong segments) is the token's
// fault: 401 invalid_token, which a client recovers from with a new token.
// Anything else is a fault of the request: 400.
const b64tokenChars = /^[A-Za-z0-9\-._~+/=]+$/;
const tchars = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const memoLimit = 64;

/** The credential's scheme, lower-cased. */
type Scheme = 'bearer' | 'dpop';
type HeaderFailure = 'missing' | 'unsupported_scheme' | 'no_token' | 'malformed' | 'duplicate';
type HeaderCheck = { token: string; scheme: Scheme } | { failure: HeaderFailure } | { failure: 'token_too_large'; scheme: Scheme };
const schemeNames: Readonly<Record<Scheme, 'Bearer' | 'DPoP'>> = { bearer: 'Bearer', dpop: 'DPoP' };

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
  const { verifyToken, resource, resourceMetadataUrl, showErrorDetails = false, maxTokenLength, events, dpop } = config;
  const expandScopes = config.expandScopes ?? noHierarchy;
  const requiredScopes = config.requiredScopes ?? [];
  const scope = requiredScopes.length > 0 ? requiredScopes.join(' ') : undefined;
  // RFC 9449 §7.1: one challenge per accepted scheme, Bearer first for clients that read only the first.
  const offered: readonly Scheme[] = dpop === undefined ? ['bearer'] : dpop.mode === 'required' ? ['dpop'] : ['bearer', 'dpop'];
  const algs = dpop?.algorithms.join(' ');

  // The error goes into the challenge of the scheme the request used (the first offered when it used none we take).
  const challengeWith = (
    error: string | undefined,
    errorDescription: string | undefined,
    used: Scheme | undefined,
    challengeScope: string | undefined,
    resourceMetadata: string | undefined,
  ): string => {
    const target = used !== undefined && offered.includes(used) ? used : offered[0];
    return offered
      .map((scheme) =>
        buildChallenge({
          scheme: schemeNames[scheme],
          ...(scheme === 'dpop' ? { algs } : {}),
          ...(scheme === target ? { error, errorDescription } : {}),
          resourceMetadata,
          scope: challengeScope,
        }),
      )
      .join(', ');
  };
  const challenges = new Map<string, string>();
  const challenge = (error?: string, errorDescription?: string, used?: Scheme): string => {
    const key = `${used}\n${error ?? ''}\n${errorDescription ?? ''}`;
    let value = challenges.get(key);
    if (value === undefined) {
      value = challengeWith(error, errorDescription, used, scope, resourceMetadataUrl);
      if (challenges.size < memoLimit) challenges.set(key, value);
    }
    return value;
  };
  // A handler's later 403 (SDK v2's scopeChallenge) names its own scopes; only the schemes change.
  const rechallengeFor = (used: Scheme): Rechallenge => (header) => {
    const asked = parseInsufficientScope(header);
    if (asked === undefined) return undefined;
    return challengeWith('insufficient_scope', asked.errorDescription, used, asked.scope, asked.resourceMetadata ?? resourceMetadataUrl);
  };
  const rechallenges: Partial<Record<Scheme, Rechallenge>> =
    dpop === undefined ? {} : { bearer: rechallengeFor('bearer'), dpop: rechallengeFor('dpop') };

  const challenged = (status: number, reason: string, body: Record<string, unknown>, error?: string, used?: Scheme): Failure => ({
    status,
    headers: {
      'WWW-Authenticate': challenge(error, error ? (body.error_description as string) : undefined, used),
      'Access-Control-Expose-Headers': 'WWW-Authenticate',
    },
    body: JSON.stringify(body),
    error,
    reason,
  });

  // The body says what this resource takes: mcp-auth's "bearer" texts, unless only DPoP is accepted.
  const headerDescription = dpop?.mode === 'required' ? dpopRequiredAuthErrorDescription : bearerAuthErrorDescription;
  // RFC 6750 §3.1: no credentials (or a scheme we do not take) gets a bare challenge.
  const missingCredentials = challenged(401, 'missing_authorization', {
    error: 'missing_auth_header',
    error_description: headerDescription.missing_auth_header,
  });
  const unsupportedScheme = challenged(401, 'unsupported_scheme', {
    error: 'invalid_auth_header_format',
    error_description: headerDescription.invalid_auth_header_format,
  });
  // "Bearer" with an empty token slot is no credentials either: the client should start authorization.
  const missingToken = challenged(401, 'missing_token', {
    error: 'missing_bearer_token',
    error_description: headerDescription.missing_bearer_token,
  });
  const invalidRequest = (reason: string, description: string): Failure =>
    challenged(400, reason, { error: 'invalid_request', error_description: description }, 'invalid_request');
  const headerFailures: Record<HeaderFailure | 'query', Failure> = {
    missing: missingCredentials,
    unsupported_scheme: unsupportedScheme,
    no_token: missingToken,
    malformed: invalidRequest(
      'malformed_authorization',
      dpop === undefined ? 'The Authorization header must hold one Bearer token.' : 'The Authorization header must hold one Bearer or DPoP token.',
    ),
    duplicate: invalidRequest('duplicate_authorization', 'Only one Authorization header is allowed.'),
    query: invalidRequest('token_in_query', 'Access tokens are not accepted in the query string.'),
  };

  function invalidToken(reason: string, description: string, cause?: unknown, used?: Scheme, error = 'invalid_token'): Failure {
    return challenged(
      401,
      reason,
      { error, error_description: description, ...(cause === undefined ? {} : { cause }) },
      error,
      used,
    );
  }

  function insufficientScope(missingScopes: string[], used?: Scheme): Failure {
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
      used,
    );
  }

  // Without details a token or proof failure depends on its code and scheme
  // alone: build each response once, so rejecting stays as cheap as accepting.
  // `error` is `invalid_token`, or `invalid_dpop_proof` for the proof's fault.
  const codedFailures = new Map<string, Failure>();
  function codedFailure(code: string, reason: string, used: Scheme | undefined, error = 'invalid_token'): Failure {
    if (showErrorDetails) return invalidToken(code, tokenErrorDescription(code), { code, reason }, used, error);
    const key = `${used}\n${code}`;
    let failure = codedFailures.get(key);
    if (failure === undefined) {
      failure = invalidToken(code, tokenErrorDescription(code), undefined, used, error);
      if (codedFailures.size < memoLimit) codedFailures.set(key, failure);
    }
    return failure;
  }

  // RFC 9449 §8: `use_dpop_nonce` with a fresh nonce to put in the next proof.
  function nonceFailure(code: string, reason: string): Failure {
    const failure = codedFailure(code, reason, 'dpop', 'use_dpop_nonce');
    const nonce = dpop?.nonce();
    if (nonce === undefined) return failure;
    return {
      ...failure,
      headers: { ...failure.headers, 'DPoP-Nonce': nonce, 'Access-Control-Expose-Headers': 'WWW-Authenticate, DPoP-Nonce' },
    };
  }

  function classify(error: unknown, used: Scheme | undefined): Failure {
    if (isNativeError(error)) {
      const kind = nativeErrorKind(error.code);
      if (kind === 'token') return codedFailure(error.code, error.reason, used);
      if (kind === 'proof') return codedFailure(error.code, error.reason, 'dpop', 'invalid_dpop_proof');
      if (kind === 'nonce') return nonceFailure(error.code, error.reason);
      return infrastructureFailure(error, showErrorDetails) ?? serverFailure(error, showErrorDetails);
    }
    if (error instanceof MCPAuthBearerAuthError && error.code === 'missing_required_scopes') {
      return insufficientScope(error.cause?.missingScopes ?? [...requiredScopes], used);
    }
    if (error instanceof MCPAuthBearerAuthError || error instanceof MCPAuthTokenVerificationError) {
      // The message may have been set by user code: keep body and header to the same safe text.
      const description = sanitizeDescription(error.message) || tokenErrorDescription(error.code);
      return invalidToken(error.code, description, showErrorDetails ? causeDetails(error.cause) : undefined, used);
    }
    return serverFailure(error, showErrorDetails);
  }

  function reject(failure: Failure): AuthDecision {
    if (events.active) {
      // A custom verifier's error may carry any code: events and metrics see fixed codes only.
      events.emit({ type: 'rejected', resource, status: failure.status, error: failure.error, reason: fixedReason(failure.reason) });
    }
    return {
      ok: false,
      status: failure.status,
      headers: { ...failure.headers, 'Content-Type': jsonContentType },
      body: failure.body,
    };
  }

  function authorize(token: string, auth: AuthInfo, used: Scheme, proof?: VerifiedProof): MaybePromise<AuthDecision> {
    // `scopes` stays what was granted; checks here and in tools use the expanded set.
    const effectiveScopes = expandScopes(Array.isArray(auth.scopes) ? auth.scopes : []);
    if (requiredScopes.length > 0) {
      const missing = requiredScopes.filter((required) => !effectiveScopes.includes(required));
      if (missing.length > 0) return reject(insufficientScope(missing, used));
    }
    if (proof === undefined) return accept(token, auth, effectiveScopes, used);
    let recorded: void | Promise<void>;
    try {
      recorded = dpop!.record(proof);
    } catch (error) {
      return reject(classify(error, used));
    }
    return thenMaybe(
      recorded,
      () => accept(token, auth, effectiveScopes, used),
      (error: unknown) => reject(classify(error, used)),
    );
  }

  function accept(token: string, auth: AuthInfo, effectiveScopes: string[], used: Scheme): AuthDecision {
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
        tokenId: tokenId(token),
      });
    }
    const rechallenge = rechallenges[used];
    return rechallenge === undefined ? { ok: true, auth } : { ok: true, auth, rechallenge };
  }

  // A verified token meets the scheme it came with (RFC 9449 §7): a bound
  // token needs its proof, an unbound one may not use the DPoP scheme.
  function bind(request: AuthRequest, used: Scheme, token: string, proof: string | undefined, auth: AuthInfo): MaybePromise<AuthDecision> {
    if (typeof auth !== 'object' || auth === null) return reject(serverFailure(auth, false));
    if (used === 'bearer') {
      // Any confirmation claim: the holder must prove a key, which Bearer cannot.
      const claims = auth.claims ?? (config.claimsMayBeMissing ? unverifiedJws(token)?.payload : undefined);
      const bound = claims?.cnf !== undefined;
      if (bound) return reject(codedFailure('sender_constrained', 'bound token presented as Bearer', used));
      return authorize(token, auth, used);
    }
    const jkt = boundKey(auth.claims);
    if (jkt === undefined) return reject(codedFailure('dpop_token_not_bound', 'token is not DPoP-bound', used));
    let verified: VerifiedProof;
    try {
      verified = dpop!.verify(proof!, request.method, request.originalUrl ?? request.url, token, jkt);
    } catch (error) {
      return reject(classify(error, used));
    }
    return authorize(token, auth, used, verified);
  }

  function decide(request: AuthRequest): AuthDecision | Promise<AuthDecision> {
    if (hasQueryToken(request.url)) return reject(headerFailures.query);
    const checked = readCredentials(request, maxTokenLength, dpop !== undefined);
    if ('scheme' in checked && 'failure' in checked) {
      return reject(codedFailure('token_too_large', 'token is too large', checked.scheme));
    }
    if ('failure' in checked) return reject(headerFailures[checked.failure]);
    const { token, scheme } = checked;

    let proof: string | undefined;
    if (scheme === 'bearer' && dpop?.mode === 'required') {
      return reject(codedFailure('dpop_required', 'DPoP is required', scheme));
    }
    if (scheme === 'dpop') {
      const read = readProof(request);
      if (typeof read !== 'string') return reject(codedFailure(read.failure, 'DPoP header', scheme, 'invalid_dpop_proof'));
      proof = read;
    }

    let verified: MaybePromise<AuthInfo>;
    try {
      verified = verifyToken(token);
    } catch (error) {
      return reject(classify(error, scheme));
    }
    // A promise resolved with bind's promise settles with its decision.
    return thenMaybe(
      verified,
      (auth) => bind(request, scheme, token, proof, auth),
      (error: unknown) => reject(classify(error, scheme)),
    ) as AuthDecision | Promise<AuthDecision>;
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

// credentials = ("Bearer" / "DPoP") 1*SP b64token (RFC 6750 §2.1, RFC 9449
// §7.1), scheme case-insensitive; DPoP only where the resource accepts it.
function readCredentials(request: AuthRequest, maxTokenLength: number, acceptDpop: boolean): HeaderCheck {
  const value = request.headers.authorization;
  if (Array.isArray(value) || countHeaders(request.rawHeaders, 'authorization') > 1) return { failure: 'duplicate' };
  if (!value) return { failure: 'missing' };

  const written = tchars.exec(value)?.[0];
  if (written === undefined) return { failure: 'malformed' };
  const scheme = written.toLowerCase();
  if (scheme !== 'bearer' && !(acceptDpop && scheme === 'dpop')) return { failure: 'unsupported_scheme' };

  let start = written.length;
  while (value.charCodeAt(start) === 0x20) start++;
  if (start === value.length) return { failure: 'no_token' };
  if (start === written.length) return { failure: 'malformed' };
  // Cap before any further parsing (C11).
  if (value.length - start > maxTokenLength) return { failure: 'token_too_large', scheme: scheme as Scheme };
  const token = value.slice(start);
  return b64tokenChars.test(token) ? { token, scheme: scheme as Scheme } : { failure: 'malformed' };
}

// RFC 9449 §4.3: exactly one DPoP header. Node and Fetch fold repeats into
// one value joined by ", ", and a compact JWS never holds a comma. The shape
// and size are checked here too, so a junk proof costs no token verification
// (nor an introspection call); the addon checks everything again.
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
function readProof(request: AuthRequest): string | { failure: string } {
  const value = request.headers.dpop;
  if (Array.isArray(value) || countHeaders(request.rawHeaders, 'dpop') > 1 || value?.includes(',')) {
    return { failure: 'dpop_proof_multiple' };
  }
  if (!value) return { failure: 'dpop_proof_missing' };
  return value.length <= DPOP_MAX_PROOF_LENGTH && compactJws.test(value) ? value : { failure: 'dpop_proof_malformed' };
}


function countHeaders(rawHeaders: readonly string[] | undefined, lowerName: string): number {
  if (!rawHeaders) return 0;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) count++;
  }
  return count;
}

// Only plain data from user-thrown errors reaches a body, and only with showErrorDetails.
function causeDetails(cause: unknown): unknown {
  return typeof cause === 'string' || isPlainObject(cause) ? snakeCaseKeys(cause) : undefined;
}
