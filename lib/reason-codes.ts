// The fixed vocabulary of rejection reasons. A `rejected` event's reason is
// usually one of the addon's codes or the wrapper's own, but a custom
// verifier can throw an error with any code; metrics label only these.

import { authServerErrorDescription, bearerAuthErrorDescription, tokenVerificationErrorDescription } from './errors.js';
import { errorCodes } from './native.js';

/** The label for a reason outside the vocabulary. */
export const otherReason = 'other';

// The wrapper's own reasons: request-shape failures, scopes, and failures it names itself.
const wrapperReasons = [
  'missing_authorization',
  'unsupported_scheme',
  'missing_token',
  'malformed_authorization',
  'duplicate_authorization',
  'token_in_query',
  'insufficient_scope',
  'internal_error',
  'verify_timeout',
  'fetch_server_config_error',
  // The body of an `operations` route (the core's refusals, before any token).
  'body_not_json',
  'body_too_large',
  'body_invalid',
  'body_unreadable',
];

let known: ReadonlySet<string> | undefined;

/** `reason` when it is in the vocabulary, else `other`. */
export function fixedReason(reason: unknown): string {
  known ??= new Set([
    ...errorCodes().map(({ code }) => code),
    ...wrapperReasons,
    ...Object.keys(bearerAuthErrorDescription),
    ...Object.keys(tokenVerificationErrorDescription),
    ...Object.keys(authServerErrorDescription),
  ]);
  return typeof reason === 'string' && known.has(reason) ? reason : otherReason;
}
