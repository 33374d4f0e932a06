// Audience comparison for custom verifiers, in the same normal form the addon
// uses for JWTs (scheme and host case-insensitive, default port elided, an
// empty path equal to "/"), so `http://localhost:3001` matches the
// `http://localhost:3001/` MCP clients send. Any other difference (a trailing
// slash after a path, a query) must be configured as an extra audience.

import { normalizeAudience } from './native.js';

/** Returns a matcher over the token's `aud` (string or array) for the configured audiences. */
export function createAudienceMatcher(configured: readonly string[]): (tokenAudience: unknown) => boolean {
  const accepted = new Set(configured.map(normalizeAudience));
  return (tokenAudience) => {
    const values = Array.isArray(tokenAudience) ? tokenAudience : [tokenAudience];
    return values.some((value) => typeof value === 'string' && accepted.has(normalizeAudience(value)));
  };
}
