// Express middleware for a bearerAuth route with `operations` (per-tool
// authorization). It obtains the JSON-RPC body (an earlier parser's
// `req.body`, or the stream read up to `maxBodyBytes`), hands it to the
// decision, and leaves what it read in `req.body` for `express.json()` and
// the MCP transport (`transport.handleRequest(req, res, req.body)`).
// Routes without `operations` use express.ts unchanged: they read no body.

import type { Request, RequestHandler } from 'express';
import { isCorsPreflight, type Authenticator, type OperationDecision, type OperationGate } from '../authenticate.js';
import { thenMaybe } from '../maybe-promise.js';
import type { OperationHelpers } from '../operation-types.js';
import { settler, type ExpressAdapterOptions } from './express.js';
import { peerCertificate } from './peer-certificate.js';
import { bodyPrecheck, parseJson, readNodeBody, reuseParsed, type ReadBody } from './request-body.js';

export function toExpressOperationsMiddleware(
  authenticate: Authenticator,
  gate: OperationGate,
  options: ExpressAdapterOptions = {},
): RequestHandler {
  const readsCertificate = authenticate.readsConnectionCertificate === true;
  const settle = settler(options);
  const max = gate.maxBodyBytes;

  const decide = (req: Request, res: Parameters<RequestHandler>[1], next: Parameters<RequestHandler>[2], read: ReadBody | undefined) => {
    // The client left before its body ended: nobody to answer.
    if (read === undefined) return;
    const decision = gate.authenticate(req, read.body, readsCertificate ? peerCertificate(req.socket) : undefined);
    return thenMaybe(decision, (settled: OperationDecision) => {
      if (settled.ok && read.read !== undefined) keepBody(req, read.read);
      // The rest of a body over the bound is never read: close instead of draining it.
      if (read.body.state === 'too-large') res.setHeader('Connection', 'close');
      // A public operation without credentials: no identity, `req.auth` stays unset.
      if (settled.ok && settled.auth === undefined) return next();
      settle(req, res, next, settled as Exclude<OperationDecision, { auth: undefined }>);
    });
  };

  return (req, res, next) => {
    // Preflights carry no credentials; the CORS layer answers them (C9).
    if (req.method === 'OPTIONS' && isCorsPreflight(req)) return next();
    let read: ReadBody | Promise<ReadBody | undefined>;
    try {
      read = bodyOf(req, max);
    } catch (error) {
      return next(error);
    }
    // A rejection can only come from downstream handlers reached through next() (the decision never rejects).
    Promise.resolve(thenMaybe(read, (body) => decide(req, res, next, body))).catch(next);
  };
}

/** `toolMeta`/`securitySchemes` of `authenticate` on `middleware`. */
export function withOperationHelpers<T extends object>(middleware: T, authenticate: Authenticator): T & OperationHelpers {
  return Object.assign(middleware, { toolMeta: authenticate.toolMeta!, securitySchemes: authenticate.securitySchemes! });
}

// Content-Type first: body-parser 1.x leaves `req.body = {}` for other types.
function bodyOf(req: Request, max: number): ReadBody | Promise<ReadBody | undefined> {
  const early = bodyPrecheck(req.method, req.headers['content-type']);
  if (early !== undefined) return { body: early };
  const parsed = (req as { body?: unknown }).body;
  if (parsed !== undefined) return { body: reuseParsed(parsed) };
  return readNodeBody(req, max);
}

// What `express.json()` would have set: later parsers see a finished stream
// (body-parser 2) or `_body` (1.x) and keep it.
function keepBody(req: Request, bytes: Uint8Array): void {
  const value = parseJson(bytes);
  if (value === undefined) return;
  (req as { body?: unknown }).body = value;
  (req as { _body?: boolean })._body = true;
}
