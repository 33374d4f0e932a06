// Checks applied to what a user-supplied verifyAccessToken returns: the
// issuer must be trusted and the audience must match, exactly as 'jwt' mode
// enforces them in the addon. Failures are 401 invalid_token.

import { createAudienceMatcher } from './audience.js';
import { isPromiseLike } from './authenticate.js';
import { MCPAuthBearerAuthError } from './errors.js';
import type { AuthInfo, MaybePromise, ValidateIssuerFunction, VerifyAccessTokenFunction } from './types.js';

export interface TokenChecks {
  /** Trusted issuers, or a function that throws for an untrusted one. */
  issuer: readonly string[] | ValidateIssuerFunction;
  audiences: readonly string[] | 'any';
}

export function withTokenChecks(
  verifyAccessToken: VerifyAccessTokenFunction,
  { issuer, audiences }: TokenChecks,
): (token: string) => MaybePromise<AuthInfo> {
  const issuerTrusted = typeof issuer === 'function' ? callsWithoutThrowing(issuer) : (value: unknown) => issuer.includes(value as string);
  const audienceMatches = audiences === 'any' ? () => true : createAudienceMatcher(audiences);

  const check = (auth: AuthInfo): AuthInfo => {
    if (typeof auth !== 'object' || auth === null) return auth; // not an AuthInfo: the decision answers 500
    if (!issuerTrusted(auth.issuer)) throw new MCPAuthBearerAuthError('invalid_issuer');
    if (!audienceMatches(auth.audience)) throw new MCPAuthBearerAuthError('invalid_audience');
    return auth;
  };

  return (token) => {
    const result = verifyAccessToken(token);
    return isPromiseLike(result) ? Promise.resolve(result).then(check) : check(result);
  };
}

// A ValidateIssuerFunction signals "untrusted" by throwing, whatever it throws.
function callsWithoutThrowing(validate: ValidateIssuerFunction): (issuer: unknown) => boolean {
  return (issuer) => {
    try {
      validate(issuer as string);
      return true;
    } catch {
      return false;
    }
  };
}
