// The framework-neutral answer for metadata documents at exact well-known
// paths: the addon decides (which method, path and query get a document,
// the preflight, 405, every header: the core's `decision/metadata_responder.rs`);
// here the document's body function runs. Every adapter (Express,
// web-standard, Hono, Fastify) only copies the answer out.

import * as native from './native.js';
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

export function createMetadataResponder(endpoints: ResolvedMetadataEndpoint[]): ResolvedMetadataResponder;
export function createMetadataResponder(endpoints: MetadataEndpoint[]): MetadataResponder;
export function createMetadataResponder(endpoints: MetadataEndpoint[]): MetadataResponder {
  const decide = new native.MetadataResponder(endpoints.map(({ path, query }) => ({ path, query })));
  const paths = new Set(endpoints.map((endpoint) => endpoint.path));

  return (request) => {
    const queryStart = request.url.indexOf('?');
    const path = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
    // Routing: a request for any other path passes on without a call into the addon.
    if (!paths.has(path)) return undefined;
    const requested = request.headers['access-control-request-headers'];
    const reply = decide.answer(
      request.method,
      path,
      queryStart < 0 ? null : request.url.slice(queryStart + 1),
      requested === undefined ? null : String(requested),
    );
    if (!reply) return undefined;
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.headers.length; i += 2) headers[reply.headers[i]!] = reply.headers[i + 1]!;
    if (reply.endpoint != null) return serveDocument(endpoints[reply.endpoint]!, reply.status, headers);
    return reply.body == null ? { status: reply.status, headers } : { status: reply.status, headers, body: reply.body };
  };
}

// Whatever the body function yields, the answer is JSON and nothing is left
// rejected: a throw inside a promise callback would otherwise end the process.
function serveDocument(endpoint: MetadataEndpoint, status: number, headers: Record<string, string>): MetadataAnswer | Promise<MetadataAnswer> {
  let body: unknown;
  try {
    body = endpoint.body();
  } catch (error) {
    return failed(error);
  }
  if (typeof body === 'string') return { status, headers, body };
  return Promise.resolve(body).then(
    (text: unknown) =>
      typeof text === 'string' ? { status, headers, body: text } : failed(new TypeError('The metadata document could not be serialised.')),
    failed,
  );
}

// A body function's failure: which class of JavaScript error it is decides the answer.
function failed(error: unknown): MetadataAnswer {
  const failure: Failure = infrastructureFailure(error) ?? serverFailure(error, false);
  return {
    status: failure.status,
    headers: { 'Access-Control-Allow-Origin': '*', ...failure.headers, 'Content-Type': 'application/json; charset=utf-8' },
    body: failure.body,
  };
}
