// Web-standard (Fetch `Request`/`Response`) adapter, for Bun, Deno, Hono,
// Workers-style handlers and SDK v2's web-standard transport. It translates
// a Request into the framework-neutral AuthRequest and a decision or
// metadata answer into a Response; nothing is decided here.

import type { AuthRequest, Authenticator } from '../authenticate.js';
import { isCorsPreflight } from '../authenticate.js';
import { thenMaybe } from '../maybe-promise.js';
import type { MetadataAnswer } from '../metadata-responder.js';
import { rechallengeWebResponse, type Rechallenge } from '../step-up.js';
import type { AuthInfo } from '../types.js';

/** The accepted AuthInfo, the Response to return, or `undefined` for a CORS preflight (let CORS answer it). */
export type WebAuthResult = AuthInfo | Response | undefined;
export type WebBearerAuth = (request: Request) => WebAuthResult | Promise<WebAuthResult>;

export interface WebAdapterOptions {
  /** Remove the Authorization header from the Request once accepted, so handlers cannot forward the token (C12). */
  stripAuthorizationHeader?: boolean;
}

export const exposeHeaders = 'Access-Control-Expose-Headers';

/**
 * `request`'s method, path + query and headers. Fetch folds repeated headers
 * into one value joined by ", "; pass Node's `rawHeaders` when the server has
 * them (Hono on Node, Fastify), else a folded value that holds a second
 * credential is unfolded so it is still refused as a duplicate (C5).
 */
export function toAuthRequest(request: Request, rawHeaders?: readonly string[]): AuthRequest {
  const headers: Record<string, string | string[]> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const authorization = headers.authorization;
  if (rawHeaders === undefined && typeof authorization === 'string') {
    const unfolded = unfoldCredentials(authorization);
    if (unfolded.length > 1) headers.authorization = unfolded;
  }
  const url = new URL(request.url);
  return { method: request.method, url: url.pathname + url.search, headers, rawHeaders };
}

// A credential never holds ", " followed by a scheme that starts a Bearer
// credential, nor starts with ",": either means two Authorization fields.
const secondCredential = /,[ \t]*(?=bearer(?:[ \t]|$))/i;
function unfoldCredentials(value: string): string[] {
  if (value.startsWith(',')) return ['', value.slice(1).trimStart()];
  const at = value.search(secondCredential);
  return at < 0 ? [value] : [value.slice(0, at), value.slice(at + 1).trimStart()];
}

/** A decision's rejection or a metadata answer as a Response. */
export function toWebResponse(answer: MetadataAnswer): Response {
  return new Response(answer.body ?? null, { status: answer.status, headers: answer.headers });
}

/** `listed` plus `name` (once), keeping what the app already exposes (e.g. Mcp-Session-Id). */
export function exposeAlso(listed: string | null | undefined, name = 'WWW-Authenticate'): string {
  const items = (listed ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  return items.some((item) => item.toLowerCase() === name.toLowerCase()) ? items.join(', ') : [...items, name].join(', ');
}

// The web gate hands out only the AuthInfo, so the rechallenge of the request
// it accepted (on a resource that takes DPoP) waits here for the response.
const rechallenges = new WeakMap<AuthInfo, Rechallenge>();

/** Keeps `rechallenge` for `exposeWwwAuthenticate(response, auth)` (the operations gate's accepted requests). */
export function rememberRechallenge(auth: AuthInfo, rechallenge: Rechallenge): void {
  rechallenges.set(auth, rechallenge);
}

/**
 * Adds `WWW-Authenticate` to `response`'s `Access-Control-Expose-Headers`, so
 * a browser client can read a handler's later 403 challenge (SDK v2's
 * per-tool scopes). Given the `auth` that `webBearerAuth` accepted, that 403's
 * `Bearer` insufficient_scope challenge is also rewritten to name the scheme
 * the request used and every scheme the resource accepts (RFC 9449 §7.1).
 * Returns `response`, or a copy if its headers are immutable.
 */
export function exposeWwwAuthenticate(response: Response, auth?: AuthInfo): Response {
  const rechallenge = typeof auth === 'object' && auth !== null ? rechallenges.get(auth) : undefined;
  if (rechallenge !== undefined) response = rechallengeWebResponse(response, rechallenge);
  const value = exposeAlso(response.headers.get(exposeHeaders));
  try {
    response.headers.set(exposeHeaders, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set(exposeHeaders, value);
    return copy;
  }
}

export function createWebBearerAuth(authenticate: Authenticator, options: WebAdapterOptions = {}): WebBearerAuth {
  const settle = (request: Request, decision: Awaited<ReturnType<Authenticator>>): AuthInfo | Response => {
    if (!decision.ok) return toWebResponse(decision);
    if (options.stripAuthorizationHeader) stripAuthorization(request);
    if (decision.rechallenge) rechallenges.set(decision.auth, decision.rechallenge);
    return decision.auth;
  };
  return (request) => {
    const authRequest = toAuthRequest(request);
    // Preflights carry no credentials; the CORS layer answers them (C9).
    if (isCorsPreflight(authRequest)) return undefined;
    const decision = authenticate(authRequest);
    return thenMaybe(decision, (settled) => settle(request, settled));
  };
}

function stripAuthorization(request: Request): void {
  try {
    request.headers.delete('authorization');
  } catch {
    // Some runtimes hand out immutable request headers: then the token stays (README, "Web-standard").
  }
}
