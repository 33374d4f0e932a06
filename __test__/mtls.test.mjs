// RFC 8705 certificate-bound access tokens on the wire: a real HTTPS
// Express server (node:https) that asks for client certificates, a CA and
// two client certificates made in the test with the `openssl` CLI, and
// https.request clients presenting them. Also the trusted proxy header
// (nginx's escaped PEM, Envoy's XFCC) and the metadata flag.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import express from 'express';
import Fastify from 'fastify';
import * as fastifyAuth from 'mcp-auth-rs/fastify';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { dpopKey, proof } from './helpers/dpop.mjs';

const ORIGIN = 'https://mcp.example.com';
const TLS = `${ORIGIN}/tls`;
const PEM_PROXY = `${ORIGIN}/pem`;
const XFCC_PROXY = `${ORIGIN}/xfcc`;
const OFF = `${ORIGIN}/off`;

// A CA, a server certificate for 127.0.0.1, and two client certificates, by `openssl`.
function makePki(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name) => run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  key('ca');
  run('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=test-ca', '-days', '2', '-out', 'ca.pem');
  const issue = (name, subject, ext) => {
    key(name);
    run('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', `${name}.pem`);
  };
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > server.ext; printf "extendedKeyUsage=clientAuth\\n" > client.ext'], { cwd: dir });
  issue('server', '/CN=127.0.0.1', 'server.ext');
  issue('alice', '/CN=alice', 'client.ext');
  issue('mallory', '/CN=mallory', 'client.ext');
  const read = (file) => readFileSync(join(dir, file), 'utf8');
  const client = (name) => {
    const cert = read(`${name}.pem`);
    const der = new X509Certificate(cert).raw;
    return { cert, key: read(`${name}.key`), der, x5t: createHash('sha256').update(der).digest('base64url') };
  };
  return { ca: read('ca.pem'), server: { cert: read('server.pem'), key: read('server.key') }, alice: client('alice'), mallory: client('mallory') };
}

const asKey = generateKey('ES256', { kid: 'as-key' });
let as;
let pki;
let dir;
let server;
let port;
let fastify;
let mcpAuth;
let fastifyPort;

const token = (resource, cnf) =>
  signJwt(claims({ issuer: as.issuer, audience: resource, scope: 'mcp:read', ...(cnf ? { cnf } : {}) }), asKey);

/** One request over TLS; `client`: the certificate presented, if any. */
function get(path, { client, authorization, headers = {}, on = port } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: on,
        path,
        ca: pki.ca,
        ...(client ? { cert: client.cert, key: client.key } : {}),
        headers: { ...(authorization ? { Authorization: authorization } : {}), ...headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// Percent-encodes every byte but the unreserved ones, as nginx's $ssl_client_escaped_cert does.
const escapedPem = (pem) => encodeURIComponent(pem);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mtls-'));
  pki = makePki(dir);
  as = await startAuthServer({ keys: [asKey] });
  const authServer = await fetchServerConfig(as.issuer, { type: 'oidc' });
  const resource = (url, extra = {}) => ({ metadata: { resource: url, authorizationServers: [authServer] }, ...extra });
  mcpAuth = new MCPAuth({
    protectedResources: [
      resource(TLS, { mtls: { connection: true } }),
      resource(PEM_PROXY, { mtls: { proxyHeader: { name: 'X-Client-Cert', format: 'escaped-pem' } } }),
      resource(XFCC_PROXY, { mtls: { proxyHeader: { name: 'X-Forwarded-Client-Cert', format: 'xfcc' } } }),
      resource(OFF),
    ],
  });
  const app = express();
  app.use(mcpAuth.protectedResourceMetadataRouter());
  const echo = (req, res) => res.json({ sub: req.auth.subject });
  app.get('/tls', mcpAuth.bearerAuth('jwt', { resource: TLS }), echo);
  app.get('/pem', mcpAuth.bearerAuth('jwt', { resource: PEM_PROXY }), echo);
  app.get('/xfcc', mcpAuth.bearerAuth('jwt', { resource: XFCC_PROXY }), echo);
  app.get('/off', mcpAuth.bearerAuth('jwt', { resource: OFF }), echo);
  // A custom verifier (the caller-verified path) on the mTLS resource.
  const trustPayload = (t) => {
    const payload = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString('utf8'));
    return { token: t, issuer: payload.iss, clientId: payload.client_id, scopes: payload.scope.split(' '), subject: payload.sub, audience: payload.aud, expiresAt: payload.exp, claims: payload };
  };
  app.get('/tls-custom', mcpAuth.bearerAuth(trustPayload, { resource: TLS }), echo);
  // Ask for a certificate, but let the resource judge it: RFC 8705 §2 binds self-signed certificates too.
  const tls = { ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: false };
  server = https.createServer(tls, app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  // The Fastify adapter on its own HTTPS server.
  fastify = Fastify({ https: tls });
  fastify.route({ method: 'GET', url: '/tls', onRequest: fastifyAuth.bearerAuth(mcpAuth, 'jwt', { resource: TLS }), handler: async (request) => ({ sub: request.auth.subject }) });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  fastifyPort = fastify.server.address().port;
});

after(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  await fastify?.close();
  await as?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The error goes in the challenge of the scheme used (RFC 9449 §7.1).
function assertInvalidToken(res, code, scheme = 'Bearer') {
  assert.equal(res.status, 401, res.body);
  const challenge = res.headers['www-authenticate'];
  assert.match(challenge, scheme === 'Bearer' ? /^Bearer error="invalid_token"/ : /, DPoP algs="[^"]+", error="invalid_token"/);
  assert.match(challenge, /resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\//);
  if (code) assert.equal(JSON.parse(res.body).error_description, code);
}

const MISMATCH = 'The access token is bound to a client certificate this request did not present.';

describe('mTLS over a TLS connection (Express on node:https)', () => {
  for (const path of ['/tls', '/tls-custom']) {
    it(`${path}: bound token + its certificate: 200`, async () => {
      const res = await get(path, { client: pki.alice, authorization: `Bearer ${token(TLS, { 'x5t#S256': pki.alice.x5t })}` });
      assert.equal(res.status, 200, res.body);
      assert.equal(JSON.parse(res.body).sub, 'user-1');
    });
    it(`${path}: bound token + another certificate: 401 invalid_token`, async () => {
      const res = await get(path, { client: pki.mallory, authorization: `Bearer ${token(TLS, { 'x5t#S256': pki.alice.x5t })}` });
      assertInvalidToken(res, MISMATCH);
    });
    it(`${path}: bound token + no certificate: 401 invalid_token`, async () => {
      const res = await get(path, { authorization: `Bearer ${token(TLS, { 'x5t#S256': pki.alice.x5t })}` });
      assertInvalidToken(res, MISMATCH);
    });
    it(`${path}: unbound token, with or without a certificate: 200`, async () => {
      for (const client of [pki.alice, undefined]) {
        const res = await get(path, { client, authorization: `Bearer ${token(TLS)}` });
        assert.equal(res.status, 200, res.body);
      }
    });
  }

  it('a proxy header is not read where only the connection is', async () => {
    const res = await get('/tls', {
      authorization: `Bearer ${token(TLS, { 'x5t#S256': pki.alice.x5t })}`,
      headers: { 'X-Client-Cert': escapedPem(pki.alice.cert) },
    });
    assertInvalidToken(res, MISMATCH);
  });

  it('a token bound by certificate and DPoP key needs both', async () => {
    const holder = dpopKey('ES256');
    const both = token(TLS, { 'x5t#S256': pki.alice.x5t, jkt: holder.jkt });
    const dpop = (t) => ({ authorization: `DPoP ${t}`, headers: { DPoP: proof(holder, { htu: TLS, token: t }) } });
    assert.equal((await get('/tls', { client: pki.alice, ...dpop(both) })).status, 200);
    // The certificate alone does not do: a proof from another key is refused.
    const stranger = dpopKey('ES256');
    const forged = { authorization: `DPoP ${both}`, headers: { DPoP: proof(stranger, { htu: TLS, token: both }) } };
    const refused = await get('/tls', { client: pki.alice, ...forged });
    assert.equal(refused.status, 401);
    assert.match(refused.headers['www-authenticate'], /error="invalid_dpop_proof"/);
    assertInvalidToken(await get('/tls', { client: pki.mallory, ...dpop(both) }), MISMATCH, 'DPoP');
    // As Bearer the DPoP key is never proven: refused whatever the certificate.
    const bearer = await get('/tls', { client: pki.alice, authorization: `Bearer ${both}` });
    assert.equal(bearer.status, 401);
    assert.match(bearer.headers['www-authenticate'], /error="invalid_token"/);
  });
});

describe('mTLS over a TLS connection (Fastify)', () => {
  it('bound token: 200 with its certificate, 401 with another or none; unbound: 200', async () => {
    const bound = `Bearer ${token(TLS, { 'x5t#S256': pki.alice.x5t })}`;
    const on = fastifyPort;
    assert.equal((await get('/tls', { on, client: pki.alice, authorization: bound })).status, 200);
    assertInvalidToken(await get('/tls', { on, client: pki.mallory, authorization: bound }), MISMATCH);
    assertInvalidToken(await get('/tls', { on, authorization: bound }), MISMATCH);
    assert.equal((await get('/tls', { on, authorization: `Bearer ${token(TLS)}` })).status, 200);
  });
});

describe('mTLS through a trusted proxy header', () => {
  const bound = () => `Bearer ${token(PEM_PROXY, { 'x5t#S256': pki.alice.x5t })}`;

  it('escaped PEM (nginx): the header names the certificate: 200', async () => {
    const res = await get('/pem', { authorization: bound(), headers: { 'X-Client-Cert': escapedPem(pki.alice.cert) } });
    assert.equal(res.status, 200, res.body);
  });
  it('escaped PEM: another certificate, no header, or a malformed one: 401', async () => {
    for (const headers of [{ 'X-Client-Cert': escapedPem(pki.mallory.cert) }, {}, { 'X-Client-Cert': 'not-a-pem' }]) {
      assertInvalidToken(await get('/pem', { authorization: bound(), headers }), MISMATCH);
    }
  });
  it('Envoy XFCC: Hash= and Cert=', async () => {
    const hex = createHash('sha256').update(pki.alice.der).digest('hex');
    const t = `Bearer ${token(XFCC_PROXY, { 'x5t#S256': pki.alice.x5t })}`;
    for (const xfcc of [`By=spiffe://proxy;Hash=${hex};Subject="CN=alice"`, `Cert="${escapedPem(pki.alice.cert)}"`]) {
      const res = await get('/xfcc', { authorization: t, headers: { 'X-Forwarded-Client-Cert': xfcc } });
      assert.equal(res.status, 200, `${xfcc}: ${res.body}`);
    }
    const otherHex = createHash('sha256').update(pki.mallory.der).digest('hex');
    assertInvalidToken(await get('/xfcc', { authorization: t, headers: { 'X-Forwarded-Client-Cert': `Hash=${otherHex}` } }), MISMATCH);
  });
  it('the header is ignored where mtls is off: a bound token stays refused, an unbound one passes', async () => {
    const headers = { 'X-Client-Cert': escapedPem(pki.alice.cert) };
    const res = await get('/off', { client: pki.alice, authorization: `Bearer ${token(OFF, { 'x5t#S256': pki.alice.x5t })}`, headers });
    assertInvalidToken(res, MISMATCH);
    assert.equal((await get('/off', { authorization: `Bearer ${token(OFF)}`, headers })).status, 200);
  });
});

describe('mTLS in the web-standard adapter (no socket: the header form only)', () => {
  it('a proxy header works; a connection-only resource cannot see a certificate', async () => {
    const pem = mcpAuth.webBearerAuth('jwt', { resource: PEM_PROXY });
    const bound = `Bearer ${token(PEM_PROXY, { 'x5t#S256': pki.alice.x5t })}`;
    const request = (certificate) =>
      new Request(PEM_PROXY, { headers: { Authorization: bound, ...(certificate ? { 'X-Client-Cert': escapedPem(certificate) } : {}) } });
    assert.equal((await pem(request(pki.alice.cert))).subject, 'user-1');
    assert.equal((await pem(request(pki.mallory.cert))).status, 401);
    assert.equal((await pem(request())).status, 401);
    const tls = mcpAuth.webBearerAuth('jwt', { resource: TLS });
    const answer = await tls(new Request(TLS, { headers: { Authorization: `Bearer ${token(TLS, { 'x5t#S256': pki.alice.x5t })}` } }));
    assert.equal(answer.status, 401);
  });
});

describe('mTLS in the metadata', () => {
  const document = async (path) => JSON.parse((await get(`/.well-known/oauth-protected-resource${path}`)).body);
  it('advertises tls_client_certificate_bound_access_tokens where mtls is set, nowhere else', async () => {
    assert.equal((await document('/tls')).tls_client_certificate_bound_access_tokens, true);
    assert.equal((await document('/pem')).tls_client_certificate_bound_access_tokens, true);
    assert.equal('tls_client_certificate_bound_access_tokens' in (await document('/off')), false);
  });
  it('a misconfigured mtls option is refused when bearerAuth is built', () => {
    const mcpAuth = new MCPAuth({ protectedResources: [{ metadata: { resource: TLS, authorizationServers: [] }, mtls: { proxyHeader: { name: 'Authorization', format: 'xfcc' } } }] });
    assert.throws(() => mcpAuth.bearerAuth((t) => ({ token: t, scopes: [] }), { resource: TLS }), /proxyHeader\.name/);
    const empty = new MCPAuth({ protectedResources: [{ metadata: { resource: TLS, authorizationServers: [] }, mtls: {} }] });
    assert.throws(() => empty.bearerAuth((t) => ({ token: t, scopes: [] }), { resource: TLS }), /`mtls` must set/);
  });
});
