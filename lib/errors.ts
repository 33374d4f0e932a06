// mcp-auth's error classes (same names, codes, default messages and toJson
// shapes, so code written against mcp-auth keeps working), plus the mapping
// from the addon's stable error codes to these classes and to HTTP outcomes.

import { errorCodes, tokenErrorDescriptions as nativeTokenErrorDescriptions, type NativeError } from './native.js';

/** Base class of every error this package throws on purpose. */
export class MCPAuthError extends Error {
  override name = 'MCPAuthError';

  constructor(readonly code: string, message: string) {
    super(message);
  }

  /** camelCase JSON view; the HTTP layer snake-cases it. Falsy members are left out. */
  toJson(showCause = false): Record<string, unknown> {
    return withoutFalsy({
      error: this.code,
      errorDescription: this.message,
      cause: showCause ? this.cause : undefined,
    });
  }
}

/** A configuration problem the caller describes with its own code and message. */
export class MCPAuthConfigError extends MCPAuthError {
  override name = 'MCPAuthConfigError';
}

export type AuthServerErrorCode = 'invalid_server_metadata' | 'invalid_server_config' | 'missing_jwks_uri';

export const authServerErrorDescription: Readonly<Record<AuthServerErrorCode, string>> = Object.freeze({
  invalid_server_metadata: 'The server metadata is invalid or malformed.',
  invalid_server_config: 'The server configuration does not match the MCP specification.',
  missing_jwks_uri: 'The server metadata does not contain a JWKS URI, which is required for JWT verification.',
});

export class MCPAuthAuthServerError extends MCPAuthError {
  override name = 'MCPAuthAuthServerError';

  constructor(override readonly code: AuthServerErrorCode, override readonly cause?: unknown) {
    super(code, authServerErrorDescription[code] ?? 'An error occurred with the authorization server.');
  }
}

/**
 * `invalid_server_config` whose own message says what is wrong (the reason
 * also stays in `cause`, where mcp-auth code reads it). Never pass a secret's value.
 */
export function invalidServerConfig(reason: string, cause: unknown = { cause: reason }): MCPAuthAuthServerError {
  const error = new MCPAuthAuthServerError('invalid_server_config', cause);
  error.message = `${authServerErrorDescription.invalid_server_config} ${reason}`;
  // The stack's first line is the message as it was at construction: take it again.
  Error.captureStackTrace(error, invalidServerConfig);
  return error;
}

export type BearerAuthErrorCode =
  | 'missing_auth_header'
  | 'invalid_auth_header_format'
  | 'missing_bearer_token'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'missing_required_scopes'
  | 'invalid_token';

export const bearerAuthErrorDescription: Readonly<Record<BearerAuthErrorCode, string>> = Object.freeze({
  missing_auth_header: 'Missing `Authorization` header. Please provide a valid bearer token.',
  invalid_auth_header_format: 'Invalid `Authorization` header format. Expected "Bearer <token>".',
  missing_bearer_token: 'Missing bearer token in `Authorization` header. Please provide a valid token.',
  invalid_issuer: 'The token issuer does not match the expected issuer.',
  invalid_audience: 'The token audience does not match the expected audience.',
  missing_required_scopes: 'The token does not contain the necessary scopes for this request.',
  invalid_token: 'The provided token is not valid or has expired.',
});

/**
 * The same header failures on a resource with `dpop: 'required'`, which takes
 * only a DPoP-bound token with its proof: the text says so instead of "bearer".
 */
export type MCPAuthBearerAuthErrorDetails = {
  cause?: unknown;
  uri?: URL;
  missingScopes?: string[];
  expected?: unknown;
  actual?: unknown;
};

export class MCPAuthBearerAuthError extends MCPAuthError {
  override name = 'MCPAuthBearerAuthError';

  constructor(override readonly code: BearerAuthErrorCode, override readonly cause?: MCPAuthBearerAuthErrorDetails) {
    super(code, bearerAuthErrorDescription[code] ?? 'An error occurred with the Bearer auth.');
  }

  override toJson(showCause = false): Record<string, unknown> {
    return withoutFalsy({
      ...super.toJson(showCause),
      errorUri: this.cause?.uri?.href,
      missingScopes: this.cause?.missingScopes,
    });
  }
}

export type MCPAuthTokenVerificationErrorCode = 'invalid_token' | 'token_verification_failed';

export const tokenVerificationErrorDescription: Readonly<Record<MCPAuthTokenVerificationErrorCode, string>> =
  Object.freeze({
    invalid_token: 'The provided token is invalid or malformed.',
    token_verification_failed: 'Token verification failed due to an error.',
  });

export class MCPAuthTokenVerificationError extends MCPAuthError {
  override name = 'MCPAuthTokenVerificationError';

  constructor(override readonly code: MCPAuthTokenVerificationErrorCode, override readonly cause?: unknown) {
    super(code, tokenVerificationErrorDescription[code] ?? 'An error occurred while verifying the token.');
  }
}

function withoutFalsy(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => Boolean(value)));
}

export type TokenExchangeErrorCode = 'token_exchange_refused' | 'token_exchange_unavailable';

export const tokenExchangeErrorDescription: Readonly<Record<TokenExchangeErrorCode, string>> = Object.freeze({
  token_exchange_refused: 'The authorization server refused to exchange the token for the upstream call.',
  token_exchange_unavailable: 'The token exchange could not be completed; try again later.',
});

/**
 * `exchangeToken` failed. `status` is what a tool should answer: 403 when
 * the authorization server refused (the caller may not act upstream), 503
 * (with `retryAfter` seconds) when it was unreachable, slow or answered
 * garbage. `cause` keeps the core's `code`, `reason` (which names the
 * server's OAuth `error` code, e.g. `invalid_grant`) and the endpoint `url`.
 */
export class MCPAuthTokenExchangeError extends MCPAuthError {
  override name = 'MCPAuthTokenExchangeError';
  readonly status: 403 | 503;
  readonly retryAfter: number | undefined;

  constructor(
    override readonly code: TokenExchangeErrorCode,
    override readonly cause?: { code: string; reason: string; url?: string },
    retryAfter?: number,
  ) {
    super(code, tokenExchangeErrorDescription[code]);
    this.status = code === 'token_exchange_refused' ? 403 : 503;
    this.retryAfter = retryAfter;
  }
}

// ---- addon codes ------------------------------------------------------------

/** How the HTTP edge treats an addon error: blame the token, the network, or the setup. */
export type NativeErrorKind = 'token' | 'infrastructure' | 'server' | 'proof' | 'nonce' | 'forbidden';

// The fixed error_description per code the client is told about (the
// token's, the DPoP proof's): the core's one table (`decision/texts.rs`),
// which is also what is sent.
const tokenErrorDescriptions: Readonly<Record<string, string>> = Object.freeze(nativeTokenErrorDescriptions());

// Whose fault each addon code is comes from the addon itself (`errorCodes()`),
// so a code is defined once, in Rust; the wrapper adds only its own.
const nativeFaults: ReadonlyMap<string, NativeErrorKind> = new Map([
  ...errorCodes().map(({ code, fault }) => [code, fault] as const),
  ['verify_timeout', 'infrastructure'], // a custom verifier that did not settle in time
]);

/**
 * An error shaped like the addon's (stable `code` + fixed `reason`), for checks
 * the wrapper makes itself that must end exactly as the addon's do.
 */
export function codedError(code: string, reason: string): NativeError {
  return Object.assign(new Error(reason), { code, reason });
}

export function nativeErrorKind(code: string): NativeErrorKind {
  // Anything unknown fails closed as a server error.
  return nativeFaults.get(code) ?? 'server';
}

/** Whether a token, proof or nonce code has its own wire description (the error-code test checks every one does). */
export function hasTokenErrorDescription(code: string): boolean {
  return Object.hasOwn(tokenErrorDescriptions, code);
}

/**
 * Converts an addon error raised by the metadata API into the class mcp-auth
 * users catch. The addon's code and reason travel in `cause`.
 */
export function toMCPAuthError(error: NativeError): MCPAuthError {
  const detail = { code: error.code, reason: error.reason, url: error.url };
  switch (error.code) {
    case 'invalid_server_metadata':
    case 'issuer_mismatch':
      return new MCPAuthAuthServerError('invalid_server_metadata', detail);
    case 'missing_jwks_uri':
      return new MCPAuthAuthServerError('missing_jwks_uri', detail);
    case 'invalid_config':
      return invalidServerConfig(error.reason, detail);
    default: {
      const message = `Could not fetch the server metadata${error.url ? ` from ${error.url}` : ''}: ${error.reason}`;
      // Keep the addon's code reachable, e.g. to tell a timeout from a bad URL.
      return Object.assign(new MCPAuthConfigError('fetch_server_config_error', message), { cause: detail });
    }
  }
}
