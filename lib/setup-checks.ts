// The small checks and errors every setup step shares: an
// `invalid_server_config` error with its reason, a warning printed once, the
// host rule for URLs and the scope-token rule. A leaf module, so any file
// may use them without importing the configuration resolver.

import { invalidServerConfig, type MCPAuthAuthServerError } from './errors.js';

// RFC 6750 §3 scope-token.
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const warned = new Set<string>();

export function invalidConfig(cause: string): MCPAuthAuthServerError {
  return invalidServerConfig(cause);
}

/** console.warn, at most once per message and process. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`[mcp-auth-rs] ${message}`);
}

// Scheme, optional userinfo, then the host as written (bracketed IPv6 or up to a delimiter).
const writtenHost = /^https?:\/\/(?:[^@/?#\\]*@)?(\[[^\]]*\]|[^:/?#\\]*)/i;

/**
 * The one host rule (C8, RFC 8707): an http(s) URL we compare or advertise
 * must name its host as WHATWG URL parsing serialises it, i.e. as clients
 * send it. An IDN host must be written in punycode, and percent-encoding or
 * non-canonical IP forms are refused, so the configured string, the metadata
 * URL and a token's `aud` cannot disagree. Other strings are left alone.
 */
export function assertCanonicalHost(value: string, what: string): void {
  const written = writtenHost.exec(value)?.[1];
  if (written === undefined || !URL.canParse(value)) return;
  const url = new URL(value);
  if (written.toLowerCase() === url.hostname) return;
  throw invalidConfig(
    `The ${what} ${JSON.stringify(value)} must write its host as clients send it (ASCII, punycode for IDN): ${url.protocol}//${url.host}.`,
  );
}

/** Scopes must be RFC 6750 scope-tokens so they can go into a challenge verbatim (C7). */
/** `where` names the option in the message, e.g. `scopeHierarchy`. */
export function assertScope(scope: unknown, where?: string): void {
  if (typeof scope !== 'string' || !scopeToken.test(scope)) {
    const problem = `${JSON.stringify(scope)} is not a valid scope (RFC 6750 §3 scope-token).`;
    throw invalidConfig(where === undefined ? problem : `\`${where}\`: ${problem}`);
  }
}
