// Responses for failures that are not the client's fault: 503 when the
// authorization server or its JWKS cannot be reached (clients should retry,
// not re-authenticate), 500 for misconfiguration and unexpected errors. Both
// are JSON `server_error` bodies without a challenge; nothing from the error
// reaches the body unless details are asked for, and then only codes and
// fixed phrases.

import { MCPAuthAuthServerError, MCPAuthConfigError, nativeErrorKind } from './errors.js';
import { isNativeError } from './native.js';

export interface Failure {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Error code sent to the client (absent for a bare challenge). */
  error?: string;
  /** Stable reason code, for events. */
  reason: string;
}

const defaultRetryAfterSeconds = 10;

export function infrastructureFailure(error: unknown, showErrorDetails = false): Failure | undefined {
  if (!isNativeError(error) || nativeErrorKind(error.code) !== 'infrastructure') return undefined;
  const retryAfter = error.retryAfter && error.retryAfter > 0 ? Math.ceil(error.retryAfter) : defaultRetryAfterSeconds;
  const body = {
    error: 'server_error',
    error_description:
      error.code === 'dpop_replay_store_unavailable' || error.code === 'dpop_replay_share_exceeded'
        ? 'The DPoP replay check is temporarily unavailable. Retry later.'
        : 'The authorization server is temporarily unavailable. Retry later.',
    ...(showErrorDetails ? { cause: { code: error.code, reason: error.reason } } : {}),
  };
  return {
    status: 503,
    headers: { 'Retry-After': String(retryAfter) },
    body: JSON.stringify(body),
    error: 'server_error',
    reason: error.code,
  };
}

/** 500 for anything else that is not about the token; `error` may come from user code, so little is trusted. */
export function serverFailure(error: unknown, showErrorDetails: boolean): Failure {
  const known = describeServerError(error);
  const body = {
    error: 'server_error',
    error_description: known
      ? 'An error occurred with the authorization server.'
      : 'An unexpected error occurred while authenticating the request.',
    ...(showErrorDetails && known ? { cause: { error: known.code, error_description: known.description } } : {}),
  };
  return { status: 500, headers: {}, body: JSON.stringify(body), error: 'server_error', reason: known?.code ?? 'internal_error' };
}

function describeServerError(error: unknown): { code: string; description: string } | undefined {
  if (error instanceof MCPAuthAuthServerError || error instanceof MCPAuthConfigError) {
    return { code: error.code, description: error.message };
  }
  if (isNativeError(error)) return { code: error.code, description: error.reason };
  return undefined;
}
