// Checks applied to what a user-supplied verifyAccessToken returns: the
// issuer must be trusted, the audience must match and the token must not have
// expired, exactly as 'jwt' mode enforces them in the addon. Failures are 401
// invalid_token; a verifier that does not settle in time is a 503.

import { createAudienceMatcher } from './audience.js';
import { isPromiseLike, thenMaybe } from './maybe-promise.js';
import { warnOnce } from './setup-checks.js';
import { codedError, MCPAuthBearerAuthError } from './errors.js';
import type { AuthInfo, MaybePromise, ValidateIssuerFunction, VerifyAccessTokenFunction } from './types.js';

export interface TokenChecks {
  /** Trusted issuers, or a function that throws (or returns false) for an untrusted one. */
  issuer: readonly string[] | ValidateIssuerFunction;
  audiences: readonly string[] | 'any';
  /** Milliseconds an asynchronous verifier may take. */
  verifyTimeout: number;
}

// The addon's default leeway for `exp` (seconds), so both modes agree.
const clockToleranceSeconds = 30;

export function withTokenChecks(
  verifyAccessToken: VerifyAccessTokenFunction,
  { issuer, audiences, verifyTimeout }: TokenChecks,
): (token: string) => MaybePromise<AuthInfo> {
  const issuerTrusted = typeof issuer === 'function' ? judgesTrusted(issuer) : (value: unknown) => issuer.includes(value as string);
  const audienceMatches = audiences === 'any' ? () => true : createAudienceMatcher(audiences);

  const check = (auth: AuthInfo): AuthInfo => {
    if (typeof auth !== 'object' || auth === null) return auth; // not an AuthInfo: the decision answers 500
    if (!issuerTrusted(auth.issuer)) throw new MCPAuthBearerAuthError('invalid_issuer');
    if (!audienceMatches(auth.audience)) throw new MCPAuthBearerAuthError('invalid_audience');
    checkExpiry(auth.expiresAt);
    return auth;
  };

  return (token) => {
    const result = verifyAccessToken(token);
    // Only a verifier that answers with a promise can run out of time.
    return thenMaybe(isPromiseLike(result) ? settleWithin(result, verifyTimeout) : result, check);
  };
}

// A missing expiresAt is accepted: a verifier of opaque tokens may not know it.
function checkExpiry(expiresAt: unknown): void {
  if (expiresAt === undefined) return;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw codedError('invalid_claim', 'expiresAt is not a finite number');
  }
  if (Date.now() / 1000 >= expiresAt + clockToleranceSeconds) throw codedError('expired', 'token expired');
}

// "Untrusted" is a throw or a `false` return. A promise cannot be judged
// here without trusting it first, so it fails closed.
function judgesTrusted(validate: ValidateIssuerFunction): (issuer: unknown) => boolean {
  return (issuer) => {
    try {
      const verdict: unknown = validate(issuer as string);
      if (isPromiseLike(verdict as MaybePromise<unknown>)) {
        warnOnce('An `issuer` function returned a promise: it must be synchronous, so every issuer counts as untrusted.');
        return false;
      }
      return verdict !== false;
    } catch {
      return false;
    }
  };
}

// A verifier that never settles must not hold the request (and its socket) forever.
function settleWithin<T>(pending: Promise<T>, milliseconds: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(codedError('verify_timeout', 'the token verifier did not answer in time')),
      milliseconds,
    );
    timer.unref();
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
