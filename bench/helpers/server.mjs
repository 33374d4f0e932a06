// Child-process Express server for the HTTP benchmarks (express.mjs,
// cold-start.mjs). Started with fork(); never run it by hand.
//
//   argv[2]: JSON { issuer, type, resource, impls: ['none' | 'floor' | 'handoff' | 'crossing' | 'mcp-auth' | 'ours' | 'base', ...],
//                   discovery: 'resolved' | 'lazy', cpu?: number (pin to this CPU),
//                   base?: a directory holding another build of this package, served at GET /base }
//
// Routes: GET /none (no auth), GET /mcp-auth (mcp-auth 0.2's bearerAuth('jwt')),
// GET /ours (mcp-auth-rs's bearerAuth('jwt')), GET /floor (the signature-only
// floor: node:crypto checks the token's signature with the issuer's key and
// nothing else, no claims, no cache), GET /handoff (no check at all: only
// what any gate that hands mcp-auth's AuthInfo to the handler must do on
// Express, the hand-off floor a cache hit cannot go below), GET /crossing (the
// hand-off plus one call into our addon that hashes the token, the public
// hashApiKey: the least a gate deciding in native code does), the auth routes with the same call
// `bearerAuth('jwt', { resource, audience: resource })` and the same handler
// returning a small JSON body, so the routes differ only by the middleware.
//
// 'resolved': each library fetches the authorization server's metadata with its
// own fetchServerConfig() at startup (the tutorial setup). 'lazy': the
// `{ issuer, type }` discovery config, so metadata and keys are fetched by the
// first requests (cold start).
//
// IPC: sends { ready: port } once listening; answers { gc: id } with { gcDone: id }
// after a full collection (run with --expose-gc), so every measured cell starts
// from a clean heap, { cpu: true } with the process's CPU time (all
// threads), { turns: 'start' } / { turns: 'read' } to time each request's
// synchronous turn per route (below); exits when the parent disconnects (or dies).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';

const { issuer, type, resource, impls, discovery, cpu, base } = JSON.parse(process.argv[2]);
// Pinned before any library loads, so thread pools size themselves to it.
if (cpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });

const app = express();
const handler = (req, res) => res.json({ ok: true });

const protect = async (MCPAuth, fetchServerConfig) => {
  const server = discovery === 'lazy' ? { issuer, type } : await fetchServerConfig(issuer, { type });
  const auth = new MCPAuth({ protectedResources: [{ metadata: { resource, authorizationServers: [server] } }] });
  return auth.bearerAuth('jwt', { resource, audience: resource });
};

// The cheapest possible correct-signature gate, as the floor to compare with.
async function signatureOnly() {
  const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const { keys } = await (await fetch(metadata.jwks_uri)).json();
  const jwk = keys[0];
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const digest = jwk.kty === 'OKP' ? null : 'sha256';
  const options = jwk.kty === 'EC' ? { key, dsaEncoding: 'ieee-p1363' } : key;
  return (req, res, next) => {
    const token = req.headers.authorization?.slice('Bearer '.length) ?? '';
    const dot = token.lastIndexOf('.');
    const valid = dot > 0 && crypto.verify(digest, Buffer.from(token.slice(0, dot)), options, Buffer.from(token.slice(dot + 1), 'base64url'));
    if (valid) return next();
    res.statusCode = 401;
    res.end();
  };
}

// Per request: the credential read from rawHeaders, a fresh claims object
// (JSON.parse of a token payload's text), a fresh AuthInfo with its URL set
// as req.auth, and the Access-Control-Expose-Headers header our gate sets.
function handOffOnly(hash) {
  const now = Math.floor(Date.now() / 1000);
  const payload = JSON.stringify({ iss: issuer, sub: 'user-1', aud: resource, exp: now + 3600, iat: now, jti: crypto.randomUUID(), client_id: 'client-1', scope: 'mcp:read' });
  return (req, res, next) => {
    const raw = req.rawHeaders;
    let authorization = '';
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') authorization = raw[i + 1];
    const claims = JSON.parse(payload);
    const scopes = claims.scope.split(' ');
    const token = authorization.slice(7);
    if (hash !== undefined) hash(token);
    req.auth = {
      issuer: claims.iss, clientId: claims.client_id, scopes, token, audience: claims.aud, claims,
      expiresAt: claims.exp, subject: claims.sub, resource: new URL(resource), effectiveScopes: [...scopes],
    };
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate');
    next();
  };
}

for (const impl of impls) {
  if (impl === 'none') {
    app.get('/none', handler);
  } else if (impl === 'mcp-auth') {
    const { MCPAuth, fetchServerConfig } = await import('mcp-auth');
    app.get('/mcp-auth', await protect(MCPAuth, fetchServerConfig), handler);
  } else if (impl === 'handoff') {
    app.get('/handoff', handOffOnly(), handler);
  } else if (impl === 'crossing') {
    const { hashApiKey } = await import('mcp-auth-rs');
    app.get('/crossing', handOffOnly(hashApiKey), handler);
  } else if (impl === 'floor') {
    app.get('/floor', await signatureOnly(), handler);
  } else if (impl === 'ours') {
    const { MCPAuth, fetchServerConfig } = await import('mcp-auth-rs');
    app.get('/ours', await protect(MCPAuth, fetchServerConfig), handler);
  } else if (impl === 'base') {
    // Its own dist/ and its own addon file: two builds side by side in one process.
    const loaded = await import(pathToFileURL(path.join(base, 'dist', 'index.js')).href);
    const { MCPAuth, fetchServerConfig } = loaded.default ?? loaded;
    app.get('/base', await protect(MCPAuth, fetchServerConfig), handler);
  } else {
    throw new Error(`unknown implementation ${impl}`);
  }
}

// When asked, the wall time of each request's synchronous turn, per path:
// the 'request' event through the middleware and the handler, which for
// every route but mcp-auth's (it awaits) is the whole of what the route adds.
// Requests to different routes alternate within one cell, so the host's
// pace, which moves cell to cell, weighs on every route alike (the
// interleaved cells of bench/express.mjs).
let turns = null;
function timed(req, res) {
  const route = req.url;
  const start = performance.now();
  app(req, res);
  const micros = (performance.now() - start) * 1000;
  const t = (turns[route] ??= { count: 0, micros: 0, unfinished: 0 });
  t.count++;
  t.micros += micros;
  // Answered later (an awaited check): the turn is not the route's cost.
  if (!res.writableEnded) t.unfinished++;
}
const server = http.createServer((req, res) => (turns === null ? app(req, res) : timed(req, res)));
server.listen(0, '127.0.0.1', () => process.send({ ready: server.address().port }));
server.keepAliveTimeout = 60_000;

process.on('message', (message) => {
  if (message?.gc !== undefined) {
    globalThis.gc?.();
    globalThis.gc?.();
    process.send({ gcDone: message.gc, memory: process.memoryUsage() });
  } else if (message?.turns === 'start') {
    turns = {};
    process.send({ turnsStarted: true });
  } else if (message?.turns === 'read') {
    process.send({ turnsRead: turns });
    turns = null;
  } else if (message?.cpu) {
    process.send({ cpu: process.cpuUsage() });
  }
});
process.on('disconnect', () => process.exit(0));
