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

import { ServerResponse } from 'node:http';

/** The replacement header for a handler's challenge, or `undefined` to leave it. */
export type Rechallenge = (header: string) => string | undefined;

const wwwAuthenticate = 'www-authenticate';

/**
 * Rewrites the `WWW-Authenticate` of `res`'s 403, whether the handler set it
 * with `setHeader` or passed it to `writeHead` (every response's headers go
 * out through `writeHead`, explicitly or implicitly).
 */
export function rechallengeNodeResponse(res: ServerResponse, rechallenge: Rechallenge): void {
  const shared = Object.getPrototypeOf(res) as object | null;
  // Express gives each app's responses a prototype of their own (`app.response`).
  // Hook its writeHead once and mark this response in a WeakMap: a property
  // added to every response costs V8 a new hidden class on Express's objects,
  // which profiled as most of an accepted request's cost (bench/README.md).
  // A response with its own writeHead (another middleware's wrapper, which may
  // have captured the unhooked one) is wrapped itself, as is a plain one.
  if (shared !== null && shared !== ServerResponse.prototype && !Object.prototype.hasOwnProperty.call(res, 'writeHead')) {
    if (!hooked.has(shared)) hookWriteHead(shared);
    pending.set(res, rechallenge);
    return;
  }
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, statusCode: number) {
    if (statusCode === 403) rewrite(this, arguments, rechallenge);
    return (writeHead as (...args: unknown[]) => ServerResponse).apply(this, arguments as unknown as unknown[]);
  } as ServerResponse['writeHead'];
}

const pending = new WeakMap<ServerResponse, Rechallenge>();
const hooked = new WeakSet<object>();

function hookWriteHead(shared: object): void {
  hooked.add(shared);
  const writeHead = (shared as ServerResponse).writeHead;
  Object.defineProperty(shared, 'writeHead', {
    configurable: true,
    writable: true,
    value: function (this: ServerResponse, statusCode: number) {
      if (statusCode === 403) {
        const rechallenge = pending.get(this);
        if (rechallenge !== undefined) rewrite(this, arguments, rechallenge);
      }
      return (writeHead as (...args: unknown[]) => ServerResponse).apply(this, arguments as unknown as unknown[]);
    },
  });
}

// `args` are writeHead's: (statusCode, [statusMessage], [headers]).
function rewrite(res: ServerResponse, args: IArguments, rechallenge: Rechallenge): void {
  const headers: unknown = args.length > 1 ? args[args.length - 1] : undefined;
  if (Array.isArray(headers)) rewriteList(headers, rechallenge);
  else if (typeof headers === 'object' && headers !== null) rewriteRecord(headers as Record<string, unknown>, rechallenge);
  const set = res.getHeader(wwwAuthenticate);
  const replaced = typeof set === 'string' ? rechallenge(set) : undefined;
  if (replaced !== undefined) res.setHeader(wwwAuthenticate, replaced);
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
