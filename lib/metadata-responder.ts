// The framework-neutral answer for metadata documents at exact well-known
// paths: public, unauthenticated and CORS-open (RFC 9728 §3, RFC 8414 §3).
// Paths are matched literally, so `:` or `*` in a resource path mean nothing
// special to any framework. Every adapter (Express, web-standard, Hono,
// Fastify) only copies the answer out.

import { infrastructureFailure, serverFailure, type Failure } from './server-failure.js';

export interface MetadataEndpoint {
  /** Exact pathname to answer on (relative to where the adapter is mounted). */
  path: string;
  /** Exact query string (without `?`) the request must carry; '' means none. */
  query: string;
  /** The JSON text to serve; may be produced lazily (and fail). */
  body: () => string | Promise<string>;
}

/** An endpoint whose document is already serialised: its answers are synchronous. */
export interface ResolvedMetadataEndpoint extends MetadataEndpoint {
  body: () => string;
}

export interface MetadataRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface MetadataAnswer {
  status: number;
  headers: Record<string, string>;
  /** Absent for a preflight's 204. */
  body?: string;
}

/** `undefined` when the request is not for one of the documents: pass it on. */
export type MetadataResponder = (request: MetadataRequest) => MetadataAnswer | Promise<MetadataAnswer> | undefined;
export type ResolvedMetadataResponder = (request: MetadataRequest) => MetadataAnswer | undefined;

const allowedMethods = 'GET, HEAD, OPTIONS';
const methodNotAllowedBody = JSON.stringify({ error: 'method_not_allowed' });
const jsonContentType = 'application/json; charset=utf-8';

export function createMetadataResponder(endpoints: ResolvedMetadataEndpoint[]): ResolvedMetadataResponder;
export function createMetadataResponder(endpoints: MetadataEndpoint[]): MetadataResponder;
export function createMetadataResponder(endpoints: MetadataEndpoint[]): MetadataResponder {
  const byPath = new Map<string, MetadataEndpoint[]>();
  for (const endpoint of endpoints) byPath.set(endpoint.path, [...(byPath.get(endpoint.path) ?? []), endpoint]);

  return (request) => {
    const endpoint = findEndpoint(byPath, request.url);
    if (!endpoint) return undefined;
    switch (request.method) {
      case 'GET':
      case 'HEAD':
        return serveDocument(endpoint);
      case 'OPTIONS':
        return preflight(request.headers['access-control-request-headers']);
      default:
        return json(405, methodNotAllowedBody, { Allow: allowedMethods });
    }
  };
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
// rejected: a throw inside a promise callback would otherwise end the process.
function serveDocument(endpoint: MetadataEndpoint): MetadataAnswer | Promise<MetadataAnswer> {
  let body: unknown;
  try {
    body = endpoint.body();
  } catch (error) {
    return failed(error);
  }
  if (typeof body === 'string') return json(200, body);
  return Promise.resolve(body).then(
    (text: unknown) => (typeof text === 'string' ? json(200, text) : failed(new TypeError('The metadata document could not be serialised.'))),
    failed,
  );
}

function preflight(requestedHeaders: string | string[] | undefined): MetadataAnswer {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': allowedMethods,
  };
  if (requestedHeaders) {
    // The documents are public and carry no credentials, so any header may be sent.
    headers['Access-Control-Allow-Headers'] = String(requestedHeaders);
    headers.Vary = 'Access-Control-Request-Headers';
  }
  headers['Access-Control-Max-Age'] = '86400';
  return { status: 204, headers };
}

function failed(error: unknown): MetadataAnswer {
  const failure: Failure = infrastructureFailure(error) ?? serverFailure(error, false);
  return json(failure.status, failure.body, failure.headers);
}

function json(status: number, body: string, extra: Record<string, string> = {}): MetadataAnswer {
  return {
    status,
    headers: { 'Access-Control-Allow-Origin': '*', ...extra, 'Content-Type': jsonContentType },
    body,
  };
}
