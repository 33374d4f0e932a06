// A user-supplied verifyAccessToken: bounded in time here (a promise is a
// JavaScript fact), its answer then checked by the addon's `finish` (the
// issuer must be trusted, the audience must match and the token must not
// have expired, exactly as 'jwt' mode enforces them). A user's issuer
// function is asked here; the addon gets its verdict.

import { isPromiseLike } from './maybe-promise.js';
import { warnOnce } from './setup-checks.js';
import { codedError } from './errors.js';
import type * as native from './native.js';
import type { AuthInfo, MaybePromise, ValidateIssuerFunction, VerifyAccessTokenFunction } from './types.js';

export interface TokenChecks {
  /** Trusted issuers, or a function that throws (or returns false) for an untrusted one. */
  issuer: readonly string[] | ValidateIssuerFunction;
  audiences: readonly string[] | 'any';
  /** Milliseconds an asynchronous verifier may take. */
  verifyTimeout: number;
}

/** What the addon checks a custom verifier's identity against (`Authenticator` option `callerChecks`). */
export interface CallerChecks extends native.CallerChecks {
  /** A user's issuer function, judged here; its verdict goes to `finish`. */
  judgeIssuer?: (issuer: unknown) => boolean;
}

export function withTokenChecks(
  verifyAccessToken: VerifyAccessTokenFunction,
  { issuer, audiences, verifyTimeout }: TokenChecks,
): { verifyToken: (token: string) => MaybePromise<AuthInfo>; callerChecks: CallerChecks } {
  const callerChecks: CallerChecks = {
    ...(typeof issuer === 'function' ? { judgeIssuer: judgesTrusted(issuer) } : { issuers: [...issuer] }),
    ...(audiences === 'any' ? {} : { audiences: [...audiences] }),
  };
  const verifyToken = (token: string): MaybePromise<AuthInfo> => {
    const result = verifyAccessToken(token);
    // Only a verifier that answers with a promise can run out of time.
    return isPromiseLike(result) ? settleWithin(result, verifyTimeout) : result;
  };
  return { verifyToken, callerChecks };
}

/** The identity `finish` checks, read from what the verifier returned. */
export function callerIdentity(checks: CallerChecks, auth: AuthInfo): native.CallerIdentity {
  const audience: unknown = auth.audience;
  const expiresAt: unknown = auth.expiresAt;
  return {
    issuer: typeof auth.issuer === 'string' ? auth.issuer : undefined,
    issuerTrusted: checks.judgeIssuer?.(auth.issuer),
    audience: (Array.isArray(audience) ? audience : [audience]).filter((value): value is string => typeof value === 'string'),
    // Absent is accepted (a verifier of opaque tokens may not know it); anything but a number is not.
    expiresAt: expiresAt === undefined ? undefined : typeof expiresAt === 'number' ? expiresAt : NaN,
  };
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
