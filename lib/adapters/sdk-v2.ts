// SDK v2 adapter, for `tokenVerifier()`: v2's `requireBearerAuth` gate calls
// an `OAuthTokenVerifier` with the token it split off and maps rejections by
// the class of what it throws, so the decision's refusal becomes v2's own
// OAuthError. v2 is an optional peer, loaded on first use and never at import time.

import type { AuthDecision, Authenticator } from '../authenticate.js';
import { MCPAuthConfigError } from '../errors.js';
import type { AuthInfo } from '../types.js';

/** SDK v2's `OAuthTokenVerifier`, structurally. */
export interface TokenVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>;
}

export interface SdkV2 {
  OAuthError: new (code: string, message: string) => Error;
  OAuthErrorCode: Record<'InvalidRequest' | 'InvalidToken' | 'InsufficientScope' | 'ServerError', string>;
}

export function loadSdkV2(): SdkV2 {
  let sdk: Partial<SdkV2>;
  try {
    sdk = require('@modelcontextprotocol/server') as Partial<SdkV2>;
  } catch (cause) {
    throw Object.assign(
      new MCPAuthConfigError('missing_sdk', '`tokenVerifier()` needs @modelcontextprotocol/server (MCP SDK v2) installed.'),
      { cause },
    );
  }
  if (typeof sdk.OAuthError !== 'function' || typeof sdk.OAuthErrorCode !== 'object') {
    throw new MCPAuthConfigError('missing_sdk', '@modelcontextprotocol/server does not export OAuthError; use SDK v2.4 or newer.');
  }
  return sdk as SdkV2;
}

/**
 * The decision as an SDK v2 `OAuthTokenVerifier`: `invalid_token` (401),
 * `insufficient_scope` (403), `invalid_request` (400), `server_error` (500;
 * v2's gate has no 503).
 */
export function toTokenVerifier({ OAuthError, OAuthErrorCode }: SdkV2, authenticate: Authenticator): TokenVerifier {
  const codes: Record<number, string> = {
    400: OAuthErrorCode.InvalidRequest,
    401: OAuthErrorCode.InvalidToken,
    403: OAuthErrorCode.InsufficientScope,
  };
  const settle = (decision: AuthDecision): AuthInfo => {
    if (decision.ok) return decision.auth;
    const body = JSON.parse(decision.body) as { error_description?: string };
    const code = codes[decision.status] ?? OAuthErrorCode.ServerError;
    throw new OAuthError(code, body.error_description ?? 'The access token was not accepted.');
  };
  return {
    verifyAccessToken: async (token) => {
      // The same decision as bearerAuth's, fed the header v2's gate has already split off.
      const decision = await authenticate({ method: 'POST', url: '/', headers: { authorization: `Bearer ${token}` } });
      return settle(decision);
    },
  };
}
