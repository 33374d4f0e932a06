// A handler's own 403 insufficient_scope under DPoP. SDK v2 answers a
// per-operation scope challenge (`scopeChallenge`, e.g. our `requireScopes`)
// with a hard-coded `WWW-Authenticate: Bearer error="insufficient_scope", …`
// and offers no hook for the scheme. RFC 9449 §7.1 wants the error in the
// challenge of the scheme the request used, next to every scheme the
// resource accepts, as bearerAuth's own answers do. So, for a request
// bearerAuth accepted on a resource that takes DPoP, the adapter rewrites
// exactly that header (one Bearer challenge with that error) into ours; any
// other header is left as the handler wrote it. Which headers qualify and
// what replaces them is the addon's (`Authenticator.rechallenge`); this file
// only finds the header in a Node or Fetch response.

import type { ServerResponse } from 'node:http';

/** The replacement header for a handler's challenge, or `undefined` to leave it. */
export type Rechallenge = (header: string) => string | undefined;

const wwwAuthenticate = 'www-authenticate';

/**
 * Rewrites the `WWW-Authenticate` of `res`'s 403, whether the handler set it
 * with `setHeader` or passed it to `writeHead` (every response's headers go
 * out through `writeHead`, explicitly or implicitly).
 */
export function rechallengeNodeResponse(res: ServerResponse, rechallenge: Rechallenge): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    if (statusCode === 403) {
      const headers = rest.at(-1);
      if (Array.isArray(headers)) rewriteList(headers, rechallenge);
      else if (typeof headers === 'object' && headers !== null) rewriteRecord(headers as Record<string, unknown>, rechallenge);
      const set = res.getHeader(wwwAuthenticate);
      const replaced = typeof set === 'string' ? rechallenge(set) : undefined;
      if (replaced !== undefined) res.setHeader(wwwAuthenticate, replaced);
    }
    return (writeHead as (...args: unknown[]) => ServerResponse).apply(this, [statusCode, ...rest]);
  } as ServerResponse['writeHead'];
}

function rewriteRecord(headers: Record<string, unknown>, rechallenge: Rechallenge): void {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== wwwAuthenticate || typeof value !== 'string') continue;
    const replaced = rechallenge(value);
    if (replaced !== undefined) headers[name] = replaced;
  }
}

// Node takes a flat [name, value, name, value] list.
function rewriteList(headers: unknown[], rechallenge: Rechallenge): void {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (typeof name !== 'string' || name.toLowerCase() !== wwwAuthenticate || typeof value !== 'string') continue;
    const replaced = rechallenge(value);
    if (replaced !== undefined) headers[i + 1] = replaced;
  }
}

/** The same for a Fetch `Response`: `response` itself, or a copy when its headers are immutable. */
export function rechallengeWebResponse(response: Response, rechallenge: Rechallenge): Response {
  const value = response.status === 403 ? response.headers.get(wwwAuthenticate) : null;
  const replaced = value === null ? undefined : rechallenge(value);
  if (replaced === undefined) return response;
  try {
    response.headers.set(wwwAuthenticate, replaced);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set(wwwAuthenticate, replaced);
    return copy;
  }
}
