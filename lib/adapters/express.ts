// Express adapter for the authentication decision (MCPAuth's `bearerAuth`,
// and mcp-auth's standalone `handleBearerAuth` over the decision that
// standalone-authenticator.ts builds). It catches everything and always
// either responds or calls next() with the request authenticated, so it is
// safe under Express 4, which ignores rejected promises (C10).

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { peerCertificate } from './peer-certificate.js';
import { isCorsPreflight, type AuthDecision, type Authenticator } from '../authenticate.js';
import { createStandaloneAuthenticator } from '../standalone-authenticator.js';
import { rechallengeNodeResponse } from '../step-up.js';
import type { AuthInfo, BearerAuthConfig } from '../types.js';

export interface ExpressAdapterOptions {
  /** Remove the Authorization header once accepted, so handlers cannot forward the token (C12). */
  stripAuthorizationHeader?: boolean;
}

export function toExpressMiddleware(authenticate: Authenticator, options: ExpressAdapterOptions = {}): RequestHandler {
  // Decided once: without mTLS the socket is never looked at.
  const readsCertificate = authenticate.readsConnectionCertificate === true;
  const settle = settler(options);

  return (req, res, next) => {
    // Preflights carry no credentials; the CORS layer answers them (C9).
    if (req.method === 'OPTIONS' && isCorsPreflight(req)) return next();
    const decision = readsCertificate ? authenticate(req, peerCertificate(req.socket)) : authenticate(req);
    // A cache hit or an inline check: no closure, no promise. (The decision
    // is a native promise when it is one; `instanceof` reads no property.)
    if (!(decision instanceof Promise)) return settle(req, res, next, decision);
    // A rejection here can only come from downstream handlers reached through next() (the decision never rejects).
    decision.then((settled) => settle(req, res, next, settled)).catch(next);
  };
}

/** Sends a refusal, or sets `req.auth` (and the CORS and DPoP touches) and calls next(). */
export function settler(options: ExpressAdapterOptions): (req: Request, res: Response, next: NextFunction, decision: AuthDecision) => void {
  const { stripAuthorizationHeader = false } = options;
  return (req: Request, res: Response, next: NextFunction, decision: AuthDecision): void => {
    if (!decision.ok) {
      res.statusCode = decision.status;
      for (const [name, value] of Object.entries(decision.headers)) {
        res.setHeader(name, name === exposeHeaders ? exposeAlso(res.getHeader(name), value) : value);
      }
      res.setHeader('Content-Length', Buffer.byteLength(decision.body));
      res.end(decision.body);
      return;
    }
    (req as Request & { auth?: AuthInfo }).auth = decision.auth;
    // A handler may still answer 403 insufficient_scope (SDK v2's per-tool
    // scope challenges): browser clients must be able to read that challenge too.
    res.setHeader(exposeHeaders, exposeAlso(res.getHeader(exposeHeaders), 'WWW-Authenticate'));
    // ...and under DPoP that challenge must name the scheme used (RFC 9449 §7.1; lib/step-up.ts).
    if (decision.rechallenge) rechallengeNodeResponse(res, decision.rechallenge);
    if (stripAuthorizationHeader) removeAuthorization(req);
    next();
  };
}

const exposeHeaders = 'Access-Control-Expose-Headers';

// Keep what the app's CORS layer already exposes (e.g. Mcp-Session-Id).
function exposeAlso(current: ReturnType<Response['getHeader']>, name: string): string {
  // Most responses have none yet: nothing to split or join.
  if (current === undefined) return name;
  const listed = String(current).split(',').map((item) => item.trim()).filter(Boolean);
  return listed.some((item) => item.toLowerCase() === name.toLowerCase()) ? listed.join(', ') : [...listed, name].join(', ');
}

function removeAuthorization(req: Request): void {
  delete req.headers.authorization;
  for (let i = req.rawHeaders.length - 2; i >= 0; i -= 2) {
    if (req.rawHeaders[i]!.toLowerCase() === 'authorization') req.rawHeaders.splice(i, 2);
  }
}

/**
 * mcp-auth's standalone middleware factory, for a custom verifier without an
 * MCPAuth instance. The issuer check uses `issuer`; the audience defaults to
 * `resource` when that is given.
 */
export function handleBearerAuth(config: BearerAuthConfig): RequestHandler {
  const authenticate = createStandaloneAuthenticator(config);
  return toExpressMiddleware(authenticate, { stripAuthorizationHeader: config.stripAuthorizationHeader });
}
