// Audience comparison for custom verifiers (the addon does the same for JWTs).
// URL audiences compare as URLs in the forgiving ways RFC 3986 §6.2.3 allows:
// scheme and host case, a default port, and an empty path equal to "/". So
// `http://localhost:3001` matches the `http://localhost:3001/` MCP clients send.
// Any other difference (a trailing slash after a path, a query) must be
// configured as an extra audience.

const defaultPorts: Readonly<Record<string, string>> = { http: '80', https: '443' };
const urlShape = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@]*)(.*)$/is;

/** Canonical form used for comparison; non-URL strings are returned unchanged. */
function normalizeAudience(audience: string): string {
  const match = urlShape.exec(audience);
  if (!match) return audience;
  const [, rawScheme, rawAuthority, rest] = match as unknown as [string, string, string, string];
  const scheme = rawScheme.toLowerCase();
  let authority = rawAuthority.toLowerCase();
  const port = defaultPorts[scheme];
  if (port && authority.endsWith(`:${port}`)) authority = authority.slice(0, -port.length - 1);
  const path = rest === '' || rest.startsWith('?') || rest.startsWith('#') ? `/${rest}` : rest;
  return `${scheme}://${authority}${path}`;
}

/** Returns a matcher over the token's `aud` (string or array) for the configured audiences. */
export function createAudienceMatcher(configured: readonly string[]): (tokenAudience: unknown) => boolean {
  const accepted = new Set(configured.map(normalizeAudience));
  return (tokenAudience) => {
    const values = Array.isArray(tokenAudience) ? tokenAudience : [tokenAudience];
    return values.some((value) => typeof value === 'string' && accepted.has(normalizeAudience(value)));
  };
}
