// Web-standard gate for a route with `operations` (per-tool authorization):
// reads a clone of the Request (bounded by `maxBodyBytes`), so the Request
// stays readable, and hands back the parsed body with the identity for SDK
// v2's `transport.handleRequest(request, { authInfo, parsedBody })`.

import { isCorsPreflight, type Authenticator, type OperationGate } from '../authenticate.js';
import type { OperationHelpers } from '../operation-types.js';
import type { AuthInfo } from '../types.js';
import { bodyPrecheck, parseJson, readWebBody, type ReadBody } from './request-body.js';
import { rememberRechallenge, toAuthRequest, toWebResponse, type WebAdapterOptions } from './web.js';

/** A request that may go on: its identity (`undefined` for a public operation called without credentials) and its JSON body. */
export interface WebOperationPass {
  authInfo: AuthInfo | undefined;
  /** The JSON-RPC body read from a clone (`undefined` for a request without one). */
  parsedBody: unknown;
}

/** The Response to return (a refusal), the pass, or `undefined` for a CORS preflight (let CORS answer it). */
export type WebOperationsResult = Response | WebOperationPass | undefined;
export type WebOperationsAuth = ((request: Request) => Promise<WebOperationsResult>) & OperationHelpers;

export function createWebOperationsAuth(authenticate: Authenticator, gate: OperationGate, options: WebAdapterOptions = {}): WebOperationsAuth {
  const max = gate.maxBodyBytes;
  const auth = async (request: Request): Promise<WebOperationsResult> => {
    const authRequest = toAuthRequest(request);
    // Preflights carry no credentials; the CORS layer answers them (C9).
    if (isCorsPreflight(authRequest)) return undefined;
    const read = await webBodyOf(request, max);
    const decision = await gate.authenticate(authRequest, read.body);
    if (!decision.ok) return toWebResponse(decision);
    const parsedBody = read.read === undefined ? undefined : parseJson(read.read);
    if (decision.auth === undefined) return { authInfo: undefined, parsedBody };
    if (options.stripAuthorizationHeader) stripAuthorization(request);
    if (decision.rechallenge) rememberRechallenge(decision.auth, decision.rechallenge);
    return { authInfo: decision.auth, parsedBody };
  };
  return Object.assign(auth, { toolMeta: authenticate.toolMeta!, securitySchemes: authenticate.securitySchemes! });
}

/** The body of a web-standard Request, or what to refuse without reading it. */
export async function webBodyOf(request: Request, max: number): Promise<ReadBody> {
  const early = bodyPrecheck(request.method, request.headers.get('content-type'));
  return early === undefined ? readWebBody(request, max) : { body: early };
}

function stripAuthorization(request: Request): void {
  try {
    request.headers.delete('authorization');
  } catch {
    // Some runtimes hand out immutable request headers: then the token stays (README, "Web-standard").
  }
}
