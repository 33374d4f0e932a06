// Local OAuth 2.0 / OIDC authorization-server *metadata + JWKS* server for tests.
//
// Listens on 127.0.0.1 with an ephemeral port, counts every request per path
// (faulted ones included) and can inject faults per path so tests can drive the
// verifier's discovery/JWKS client into each failure mode.

import http from 'node:http';
import { listenFresh } from './ports.mjs';

/** Path prefix that 'redirect-same-origin' points to; it serves the un-faulted document. */
export const REDIRECT_PREFIX = '/__redirected';

/** Named faults accepted by setFault() (object forms are described there). */
export const FAULTS = Object.freeze([
  'down', 'hang', 'html', 'redirect-other-host', 'redirect-same-origin',
  'empty-object', 'not-json', 'array',
]);

const JSON_TYPE = 'application/json';

/**
 * Start the server.
 *
 * @param {object} [options]
 * @param {string} [options.issuerPath=''] e.g. '/oidc' -> issuer http://127.0.0.1:<port>/oidc
 * @param {Array} [options.keys=[]] key objects from keys.mjs (or bare JWKs) served in the JWKS
 * @param {string[]} [options.serve=['oauth','oidc']] discovery documents to serve:
 *   'oauth'              RFC 8414  /.well-known/oauth-authorization-server{issuerPath}
 *   'oidc'               OIDC      {issuerPath}/.well-known/openid-configuration
 *   'oidc-path-inserted' RFC 8414-style /.well-known/openid-configuration{issuerPath}
 * @param {string} [options.jwksPath='/jwks']
 * @param {object|Function} [options.metadata] merged over the default document
 *   (a member set to undefined is removed), or `(doc) => doc` (may return a raw string)
 * @param {object} [options.faults] initial faults, `{ [path|'*']: fault }`
 * @param {number} [options.port=0] fixed port, e.g. to restart a server "at the same address"
 */
export async function startAuthServer(options = {}) {
  const {
    issuerPath = '',
    keys = [],
    serve = ['oauth', 'oidc'],
    jwksPath = '/jwks',
    metadata,
    faults = {},
    port: requestedPort = 0,
  } = options;
  if (issuerPath !== '' && (!issuerPath.startsWith('/') || issuerPath.endsWith('/'))) {
    throw new Error(`issuerPath must be '' or '/segment' without trailing slash, got ${issuerPath}`);
  }

  const sockets = new Set(); // every open socket, so close() can kill hanging ones
  const timers = new Set(); // pending delayMs timers
  const hits = new Map(); // pathname -> request count
  const requests = []; // { method, path, url, headers } in arrival order
  const faultMap = new Map();
  const extraHeaders = new Map(); // pathname -> headers added to normal responses
  let currentKeys = [...keys];
  let jwksOverride = null; // raw body string from setJwks()
  let metadataOverride = metadata;
  let closing = null; // close() promise, so repeated calls are harmless

  const server = http.createServer((req, res) => handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Never an earlier server's port: the addon caches key sets per URL (ports.mjs).
  const port = await listenFresh(server, { port: requestedPort });
  const url = `http://127.0.0.1:${port}`;
  const issuer = url + issuerPath;
  const jwksUri = url + jwksPath;
  const paths = {
    oauth: `/.well-known/oauth-authorization-server${issuerPath}`,
    oidc: `${issuerPath}/.well-known/openid-configuration`,
    oidcPathInserted: `/.well-known/openid-configuration${issuerPath}`,
    jwks: jwksPath,
  };
  const servePaths = { oauth: paths.oauth, oidc: paths.oidc, 'oidc-path-inserted': paths.oidcPathInserted };
  const discoveryPaths = new Set(
    serve.map((name) => {
      if (!(name in servePaths)) throw new Error(`unknown serve entry ${name}`);
      return servePaths[name];
    }),
  );
  for (const [path, fault] of Object.entries(faults)) setFault(path, fault);

  // ---- request handling -------------------------------------------------

  function handle(req, res) {
    let pathname;
    try {
      pathname = new URL(req.url, url).pathname;
    } catch {
      pathname = req.url;
    }
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    requests.push({ method: req.method, path: pathname, url: req.url, headers: req.headers });

    const fault = takeFault(pathname);
    if (!fault) return respond(req, res, pathname);
    if (fault.delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) applyFault(fault, req, res, pathname);
      }, fault.delayMs);
      timers.add(timer);
      return;
    }
    applyFault(fault, req, res, pathname);
  }

  // The un-faulted behaviour: discovery docs, JWKS, 404 for anything else.
  function respond(req, res, pathname) {
    const target = pathname.startsWith(`${REDIRECT_PREFIX}/`) ? pathname.slice(REDIRECT_PREFIX.length) : pathname;
    const headers = extraHeaders.get(target) ?? {};
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain', 'method not allowed', { allow: 'GET, HEAD' });
    }
    if (discoveryPaths.has(target)) return send(res, 200, JSON_TYPE, discoveryBody(), headers);
    if (target === jwksPath) return send(res, 200, JSON_TYPE, jwksBody(), headers);
    return send(res, 404, JSON_TYPE, '{"error":"not_found"}');
  }

  function discoveryBody() {
    const doc = {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      jwks_uri: jwksUri,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'profile', 'mcp:read', 'mcp:write'],
      subject_types_supported: ['public'],
      // OIDC Discovery requires RS256 to be listed.
      id_token_signing_alg_values_supported: [...new Set(['RS256', ...currentKeys.map((k) => k.alg).filter(Boolean)])],
    };
    if (typeof metadataOverride === 'function') {
      const out = metadataOverride(doc);
      return typeof out === 'string' ? out : JSON.stringify(out);
    }
    const merged = { ...doc, ...(metadataOverride ?? {}) };
    for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
    return JSON.stringify(merged);
  }

  function jwksBody() {
    return jwksOverride ?? JSON.stringify({ keys: currentKeys.map((k) => k.publicJwk ?? k) });
  }

  // Exact path beats '*'. '*' is not applied under REDIRECT_PREFIX so a global
  // redirect fault cannot loop forever. `times: n` faults expire after n uses.
  function takeFault(pathname) {
    let key = pathname;
    if (!faultMap.has(key)) {
      if (pathname.startsWith(REDIRECT_PREFIX) || !faultMap.has('*')) return null;
      key = '*';
    }
    const fault = faultMap.get(key);
    if (fault.times !== undefined && --fault.times <= 0) faultMap.delete(key);
    return fault;
  }

  function applyFault(fault, req, res, pathname) {
    switch (fault.type) {
      case 'down': // connection dies with no response bytes at all
        return req.socket.destroy();
      case 'hang': // never answer; close() destroys the socket
        return;
      case 'delay': // delay already elapsed: behave normally
        return respond(req, res, pathname);
      case 'html': // e.g. a login page / proxy error page served with 200
        return send(res, 200, 'text/html; charset=utf-8',
          '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>');
      case 'status':
        return send(res, fault.status, 'text/plain', `injected status ${fault.status}`, fault.headers);
      case 'redirect-other-host': // same port, different host string: must not be followed
        return send(res, fault.status ?? 302, 'text/plain', '',
          { location: fault.location ?? `http://localhost:${port}${pathname}` });
      case 'redirect-same-origin': // target serves the real document (un-faulted)
        return send(res, fault.status ?? 302, 'text/plain', '',
          { location: fault.location ?? `${url}${REDIRECT_PREFIX}${pathname}` });
      case 'empty-object':
        return send(res, 200, JSON_TYPE, '{}');
      case 'not-json':
        return send(res, 200, JSON_TYPE, 'this is not json {');
      case 'array':
        return send(res, 200, JSON_TYPE, '[]');
      case 'bigBody':
        return streamBigBody(res, fault, pathname);
      case 'raw': {
        const body = fault.body == null || typeof fault.body === 'string' || Buffer.isBuffer(fault.body)
          ? (fault.body ?? '')
          : JSON.stringify(fault.body);
        return send(res, fault.status ?? 200, fault.contentType ?? JSON_TYPE, body, fault.headers);
      }
      default:
        throw new Error(`unhandled fault ${fault.type}`);
    }
  }

  // Streams `bigBody` bytes: a plausible JSON prefix, then junk that never closes
  // the document. Honours backpressure so memory stays flat however big it is.
  // No Content-Length by default (chunked), so the client must cap while reading;
  // `contentLength: true` declares it so an up-front size check can be tested too.
  function streamBigBody(res, fault, pathname) {
    const total = fault.bigBody;
    const prefix = pathname.endsWith(jwksPath)
      ? '{"keys":[{"kty":"RSA","kid":"big","use":"sig","alg":"RS256","e":"AQAB","n":"'
      : `{"issuer":${JSON.stringify(issuer)},"jwks_uri":${JSON.stringify(jwksUri)},"x":"`;
    const head = Buffer.from(prefix).subarray(0, total);
    const junk = Buffer.alloc(64 * 1024, 'x');
    const headers = { 'content-type': JSON_TYPE };
    if (fault.contentLength) headers['content-length'] = String(total);
    res.writeHead(200, headers);

    let sent = 0;
    const pump = () => {
      while (sent < total) {
        if (res.destroyed) return; // client gave up (as it should)
        const chunk = sent < head.length ? head.subarray(sent) : junk.subarray(0, Math.min(junk.length, total - sent));
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  }

  // ---- control API -------------------------------------------------------

  /**
   * Inject a fault for `path` (exact pathname) or '*' (all paths); null clears.
   * Forms: 'down' | 'hang' | 'html' | 'redirect-other-host' | 'redirect-same-origin' |
   * 'empty-object' | 'not-json' | 'array' | { status } | { bigBody, contentLength? } |
   * { delayMs } | { body, contentType?, status?, headers? }.
   * Any object form may add `delayMs` (applied first) and `times` (auto-clear after n hits);
   * named faults can take those via `{ type: 'down', times: 1 }`.
   */
  function setFault(path, fault) {
    if (fault == null) return void faultMap.delete(path);
    faultMap.set(path, normalizeFault(fault));
  }

  return {
    url,
    issuer,
    jwksUri,
    port,
    paths,
    hits,
    requests,
    server,
    /** Requests seen for a pathname (or full URL); no argument = total across all paths. */
    hitCount(path) {
      if (path === undefined) return [...hits.values()].reduce((a, b) => a + b, 0);
      const p = /^https?:/.test(path) ? new URL(path).pathname : path;
      return hits.get(p) ?? 0;
    },
    resetHits() {
      hits.clear();
      requests.length = 0;
    },
    /** Rotate/remove keys; also cancels a setJwks() override. */
    setKeys(newKeys) {
      currentKeys = [...newKeys];
      jwksOverride = null;
    },
    /** Serve an arbitrary JWKS body (object is JSON-encoded, string is verbatim); null reverts. */
    setJwks(body) {
      jwksOverride = body == null ? null : typeof body === 'string' ? body : JSON.stringify(body);
    },
    /** Replace the metadata option at runtime (same forms as options.metadata). */
    setMetadata(m) {
      metadataOverride = m;
    },
    setFault,
    clearFaults() {
      faultMap.clear();
    },
    /** Extra headers (e.g. Cache-Control) on normal responses for a path; null clears. */
    setHeaders(path, headers) {
      if (headers == null) extraHeaders.delete(path);
      else extraHeaders.set(path, headers);
    },
    close,
  };

  // Destroys every socket (hanging ones included) so this resolves promptly.
  function close() {
    closing ??= new Promise((resolve) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
    });
    return closing;
  }
}

function normalizeFault(fault) {
  const f = typeof fault === 'string' ? { type: fault } : { ...fault };
  if (!f.type) {
    if ('bigBody' in f) f.type = 'bigBody';
    else if ('body' in f) f.type = 'raw';
    else if ('status' in f) f.type = 'status';
    else if ('delayMs' in f) f.type = 'delay';
  }
  const known = [...FAULTS, 'status', 'bigBody', 'raw', 'delay'];
  if (!known.includes(f.type)) throw new Error(`unknown fault ${JSON.stringify(fault)}`);
  if (f.type === 'bigBody' && !(Number.isInteger(f.bigBody) && f.bigBody >= 0)) {
    throw new Error('bigBody must be a non-negative integer byte count');
  }
  return f;
}

function send(res, status, contentType, body, headers = {}) {
  const buf = Buffer.from(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(buf.length), ...headers });
  res.end(buf);
}
