// SDK v2 at run time, for `tokenVerifier()` only: its gate maps rejections by
// the class of what the verifier throws, so we must throw v2's own OAuthError.
// v2 is an optional peer, loaded on first use and never at import time.

import { MCPAuthConfigError } from '../errors.js';
import type { AuthInfo } from '../types.js';

/** SDK v2's `OAuthTokenVerifier`, structurally. */
export interface TokenVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>;
}

interface SdkV2 {
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
