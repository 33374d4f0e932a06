// Serves metadata documents at exact well-known paths: public, unauthenticated
// and CORS-open (RFC 9728 §3, RFC 8414 §3). Paths are matched literally rather
// than through Express route syntax, so characters such as `:` or `*` in a
// resource path mean nothing special, and Express 4 and 5 behave the same.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import { infrastructureFailure, serverFailure, type Failure } from './server-failure.js';

export interface MetadataEndpoint {
  /** Exact pathname to answer on (relative to where the router is mounted). */
  path: string;
  /** Exact query string (without `?`) the request must carry; '' means none. */
  query: string;
  /** The JSON text to serve; may be produced lazily (and fail). */
  body: () => string | Promise<string>;
}

const allowedMethods = 'GET, HEAD, OPTIONS';
const methodNotAllowedBody = JSON.stringify({ error: 'method_not_allowed' });

export function createMetadataRouter(endpoints: MetadataEndpoint[]): Router {
  const byPath = new Map<string, MetadataEndpoint[]>();
  for (const endpoint of endpoints) byPath.set(endpoint.path, [...(byPath.get(endpoint.path) ?? []), endpoint]);

  const router = Router();
  router.use((req, res, next) => {
    const endpoint = findEndpoint(byPath, req.url);
    if (!endpoint) return next();
    res.setHeader('Access-Control-Allow-Origin', '*');
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        return serveDocument(endpoint, res);
      case 'OPTIONS':
        return answerPreflight(req, res);
      default:
        res.setHeader('Allow', allowedMethods);
        return sendJson(res, 405, methodNotAllowedBody);
    }
  });
  return router;
}

// Resources that differ only by query must not shadow each other (RFC 9728
// §3.3): the query must match exactly, and no query matches only no query.
function findEndpoint(byPath: Map<string, MetadataEndpoint[]>, url: string): MetadataEndpoint | undefined {
  const queryStart = url.indexOf('?');
  const candidates = byPath.get(queryStart < 0 ? url : url.slice(0, queryStart));
  const query = queryStart < 0 ? undefined : url.slice(queryStart + 1);
  return candidates?.find((endpoint) => (endpoint.query === '' ? query === undefined : endpoint.query === query));
}

// Whatever the body function yields, the answer is JSON and nothing is left
// uncaught: a throw inside a promise callback would otherwise end the process.
function serveDocument(endpoint: MetadataEndpoint, res: ServerResponse): void {
  let body: unknown;
  try {
    body = endpoint.body();
  } catch (error) {
    return sendFailure(res, error);
  }
  if (typeof body === 'string') return sendJson(res, 200, body);
  Promise.resolve(body)
    .then((text: unknown) => {
      if (typeof text !== 'string') throw new TypeError('The metadata document could not be serialised.');
      sendJson(res, 200, text);
    })
    .catch((error: unknown) => sendFailure(res, error))
    .catch(() => res.destroy());
}

function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Methods', allowedMethods);
  const requestedHeaders = req.headers['access-control-request-headers'];
  if (requestedHeaders) {
    // The documents are public and carry no credentials, so any header may be sent.
    res.setHeader('Access-Control-Allow-Headers', requestedHeaders);
    res.setHeader('Vary', 'Access-Control-Request-Headers');
  }
  res.setHeader('Access-Control-Max-Age', '86400');
  res.statusCode = 204;
  res.end();
}

function sendFailure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return void res.destroy();
  const failure: Failure = infrastructureFailure(error) ?? serverFailure(error, false);
  for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
  sendJson(res, failure.status, failure.body);
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
