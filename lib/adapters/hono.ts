// Hono adapter (`mcp-auth-rs/hono`): translates Hono's context to the
// framework-neutral decision and metadata answer, through the web-standard
// translation in web.ts. `hono` is an optional peer; only its types are used.

/**
 * `mcp-auth-rs/hono`: the Hono middleware (`hono` is an optional peer).
 * @module mcp-auth-rs/hono
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { isCorsPreflight, type OperationGate } from '../authenticate.js';
import type { BearerAuthOptions, MCPAuth } from '../mcp-auth.js';
import type { OperationHelpers } from '../operation-types.js';
import { rechallengeWebResponse, type Rechallenge } from '../step-up.js';
import type { AuthInfo, VerifyAccessTokenFunction, VerifyAccessTokenMode, VerifyJwtConfig } from '../types.js';
import { bodyPrecheck, parseJson, reuseParsed } from './request-body.js';
import { exposeAlso, exposeHeaders, toAuthRequest, toWebResponse } from './web.js';
import { webBodyOf } from './web-operations.js';

/**
 * Hono variables `bearerAuth` sets: `c.get('auth')` (unset for an anonymous public operation, with `operations`),
 * and, with `operations`, `c.get('parsedBody')`: the JSON body it read (or the one `createMcpHonoApp` had set).
 */
export type AuthVariables = { auth: AuthInfo; parsedBody?: unknown };
/** The Hono `Env` of a route behind `bearerAuth` (`new Hono<AuthEnv>()`, or inferred from the middleware). */
export type AuthEnv = { Variables: AuthVariables };

/** Serves the protected resource metadata documents; passes every other request on. */
export function protectedResourceMetadata(mcpAuth: MCPAuth): MiddlewareHandler {
  const respond = mcpAuth.protectedResourceMetadataResponder();
  return async (c, next) => {
    const answer = respond(toAuthRequest(c.req.raw));
    if (!answer) return next();
    return toWebResponse(answer);
  };
}

export function bearerAuth(
  mcpAuth: MCPAuth,
  verifyAccessToken: VerifyAccessTokenFunction,
  options?: BearerAuthOptions,
): MiddlewareHandler<AuthEnv> & OperationHelpers;
export function bearerAuth(
  mcpAuth: MCPAuth,
  mode: VerifyAccessTokenMode,
  options?: BearerAuthOptions & VerifyJwtConfig,
): MiddlewareHandler<AuthEnv> & OperationHelpers;
/**
 * Sets `c.get('auth')` for an accepted token, else answers with our rejection.
 * With `operations`: a public operation called without credentials goes on
 * with `c.get('auth')` unset, and the JSON body is in `c.get('parsedBody')`.
 */
export function bearerAuth(
  mcpAuth: MCPAuth,
  modeOrVerify: VerifyAccessTokenMode | VerifyAccessTokenFunction,
  options: BearerAuthOptions & VerifyJwtConfig = {},
): MiddlewareHandler<AuthEnv> & OperationHelpers {
  const authenticate = mcpAuth.authenticator(modeOrVerify, options);
  const gate = authenticate.operations;
  const helpers = { toolMeta: authenticate.toolMeta!, securitySchemes: authenticate.securitySchemes! };
  if (gate !== undefined) return Object.assign(operationsMiddleware(gate, options), helpers);
  const middleware: MiddlewareHandler<AuthEnv> = async (c, next) => {
    // On @hono/node-server, Node's rawHeaders tell repeated Authorization headers apart exactly.
    const request = toAuthRequest(c.req.raw, nodeRawHeaders(c));
    // Preflights carry no credentials; the CORS layer answers them (C9).
    if (isCorsPreflight(request)) return next();
    const decision = await authenticate(request);
    if (!decision.ok) return toWebResponse(decision);
    await admit(c, next, decision, options);
  };
  return Object.assign(middleware, helpers);
}

// An `operations` route: the body is SDK v2's `parsedBody` variable when an
// earlier layer (`createMcpHonoApp`) set it, else read from a clone of the
// raw Request and set there; never `c.req.json()`, which consumes the raw body.
function operationsMiddleware(gate: OperationGate, options: BearerAuthOptions): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const request = toAuthRequest(c.req.raw, nodeRawHeaders(c));
    if (isCorsPreflight(request)) return next();
    const vars = c as unknown as { get(key: string): unknown; set(key: string, value: unknown): void };
    const early = bodyPrecheck(c.req.method, c.req.header('content-type'));
    const parsed = vars.get('parsedBody');
    const read = early !== undefined ? { body: early } : parsed !== undefined ? { body: reuseParsed(parsed) } : await webBodyOf(c.req.raw, gate.maxBodyBytes);
    const decision = await gate.authenticate(request, read.body);
    if (!decision.ok) return toWebResponse(decision);
    if ('read' in read && read.read !== undefined) vars.set('parsedBody', parseJson(read.read));
    if (decision.auth === undefined) return next();
    await admit(c, next, decision, options);
  };
}

async function admit(c: Context, next: Next, decision: { auth: AuthInfo; rechallenge?: Rechallenge }, options: BearerAuthOptions): Promise<void> {
  c.set('auth', decision.auth);
  if (options.stripAuthorizationHeader) c.req.raw.headers.delete('authorization');
  await next();
  // A handler may still answer 403 insufficient_scope (SDK v2's per-tool
  // scope challenges): browser clients must be able to read that challenge
  // too, and under DPoP it must name the scheme used (lib/step-up.ts).
  if (decision.rechallenge) {
    const rechallenged = rechallengeWebResponse(c.res, decision.rechallenge);
    if (rechallenged !== c.res) c.res = rechallenged;
  }
  exposeOn(c);
}

function nodeRawHeaders(c: Context): readonly string[] | undefined {
  const incoming = (c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming;
  return Array.isArray(incoming?.rawHeaders) ? (incoming.rawHeaders as string[]) : undefined;
}

function exposeOn(c: Context): void {
  const value = exposeAlso(c.res.headers.get(exposeHeaders));
  try {
    c.res.headers.set(exposeHeaders, value);
  } catch {
    // A Response with immutable headers (e.g. one from fetch()): replace it with a copy.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(exposeHeaders, value);
  }
}
