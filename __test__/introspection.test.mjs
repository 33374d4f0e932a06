// bearerAuth('introspection') and bearerAuth('auto') over real Express,
// against a local authorization server whose RFC 7662 endpoint misbehaves on
// purpose and counts its calls. What must hold:
//   - an active answer for this resource is accepted, with its scope, sub, client_id;
//   - inactive, refresh token, wrong iss, wrong/missing aud, expired: 401 invalid_token;
//   - down, slow, 5xx, HTML, huge, duplicate members, wrong types, our credentials refused: 503 + Retry-After;
//   - verdicts are cached (observable by the call count), single flight, cacheMaxAge 0 asks every time;
//   - 'auto': a JWT from a trusted issuer never reaches the endpoint, even with a bad signature.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth } from 'mcp-auth-rs';
import { generateKey, signJwt, claims, nowSeconds } from './helpers/keys.mjs';
import { RESOURCE, startIntrospectionServer as startAs } from './helpers/introspection-server.mjs';
import { ADAPTERS } from './helpers/adapters.mjs';
import { EXPRESS_VERSIONS, serveApp, send, single, hasHeader } from './helpers/app.mjs';

const CLIENT = { clientId: 'rs', clientSecret: 's3cret' };

async function protect(as, mode, introspection = {}, { express = EXPRESS_VERSIONS['express 5'], events = [] } = {}) {
  const mcpAuth = new MCPAuth({
    protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oauth' }] } },
    onAuthEvent: (e) => events.push(e),
  });
  const app = await serveApp(express, (a) =>
    a.get('/mcp', mcpAuth.bearerAuth(mode, { resource: RESOURCE, requiredScopes: ['read'], introspection: { ...CLIENT, timeout: 300, ...introspection } }), (req, res) =>
      res.json({ sub: req.auth.subject, clientId: req.auth.clientId, scopes: req.auth.scopes, issuer: req.auth.issuer })),
  );
  return { call: (token) => send(app, { path: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }), close: () => app.close() };
}

function expectInvalidToken(res) {
  assert.equal(res.status, 401, res.body);
  assert.match(single(res, 'www-authenticate'), /error="invalid_token"/);
}

function expectUnavailable(res) {
  assert.equal(res.status, 503, res.body);
  assert.match(single(res, 'retry-after'), /^[1-9]\d*$/);
  assert.equal(hasHeader(res, 'www-authenticate'), false);
  assert.ok(!/invalid_token/.test(res.body));
  assert.ok(!res.body.includes('s3cret'));
}

for (const [name, express] of Object.entries(EXPRESS_VERSIONS)) {
  describe(`bearerAuth('introspection') under ${name}`, () => {
    let as;
    let rs;
    before(async () => {
      as = await startAs();
      rs = await protect(as, 'introspection', {}, { express });
    });
    after(async () => {
      await rs?.close();
      await as?.close();
    });

    it('accepts an active token for this resource, with what the endpoint said, sent with client_secret_basic', async () => {
      as.state.answer = () => ({ body: as.active() });
      const res = await rs.call('opaque-ok');
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(JSON.parse(res.body), { sub: 'alice', clientId: 'app', scopes: ['read', 'write'], issuer: as.issuer });
      assert.deepEqual(as.state.last.form, { token: 'opaque-ok', token_type_hint: 'access_token' });
      assert.equal(as.state.last.authorization, `Basic ${Buffer.from('rs:s3cret').toString('base64')}`);
    });

    const refused = {
      inactive: { active: false },
      'refresh token': { token_type: 'refresh_token' },
      'another issuer': { iss: 'https://evil.example' },
      'another audience': { aud: 'https://other.example/mcp' },
      'no audience': { aud: undefined },
      expired: { exp: nowSeconds() - 120 },
    };
    for (const [label, extra] of Object.entries(refused)) {
      it(`401 invalid_token: ${label}`, async () => {
        as.state.answer = () => ({ body: 'active' in extra ? extra : as.active(extra) });
        expectInvalidToken(await rs.call(`opaque-${label.replace(/\W+/g, "-")}`));
      });
    }

    it('403 when the introspected scope lacks a required scope', async () => {
      as.state.answer = () => ({ body: as.active({ scope: 'write' }) });
      assert.equal((await rs.call('opaque-noscope')).status, 403);
    });

    const outages = {
      '5xx': { status: 500, body: '{}' },
      'our credentials refused (401)': { status: 401, body: '{"error":"invalid_client"}' },
      HTML: { body: '<html>oops</html>', type: 'text/html' },
      'invalid JSON': { body: '{"active":' },
      'duplicate members': { body: '{"active":true,"active":false}' },
      'active not boolean': { body: { active: 'true' } },
      'huge body': { body: `{"x":"${'a'.repeat(200_000)}"}` },
      slow: 'hang',
    };
    for (const [label, outcome] of Object.entries(outages)) {
      it(`503 + Retry-After, never 401: ${label}`, async () => {
        as.state.answer = () => outcome;
        expectUnavailable(await rs.call(`opaque-outage-${label.replace(/\W+/g, "-")}`));
      });
    }

    it('401 for an ill-typed member; __proto__ stays an own property', async () => {
      as.state.answer = () => ({ body: as.active({ sub: 42 }) });
      expectInvalidToken(await rs.call('opaque-typed'));
      as.state.answer = () => ({ body: `{"active":true,"iss":"${as.issuer}","aud":"${RESOURCE}","scope":"read","__proto__":{"admin":true}}` });
      assert.equal((await rs.call('opaque-proto')).status, 200);
    });

    it('caches a verdict (one call), shares one call among concurrent requests', async () => {
      as.state.answer = () => ({ body: as.active(), delay: 100 });
      const before = as.state.calls;
      const results = await Promise.all(Array.from({ length: 6 }, () => rs.call('opaque-shared')));
      results.forEach((r) => assert.equal(r.status, 200));
      assert.equal((await rs.call('opaque-shared')).status, 200);
      assert.equal(as.state.calls - before, 1);
    });
  });
}

describe('introspection options', () => {
  let as;
  before(async () => {
    as = await startAs();
  });
  after(() => as?.close());

  it('cacheMaxAge 0 asks every time, so a revocation takes effect at once', async () => {
    const rs = await protect(as, 'introspection', { cacheMaxAge: 0 });
    let revoked = false;
    as.state.answer = () => ({ body: revoked ? { active: false } : as.active() });
    assert.equal((await rs.call('opaque-revoke')).status, 200);
    revoked = true;
    expectInvalidToken(await rs.call('opaque-revoke'));
    await rs.close();
  });

  it('client_secret_post and private_key_jwt (a JWK) send their members', async () => {
    let rs = await protect(as, 'introspection', { clientAuthMethod: 'client_secret_post' });
    as.state.answer = () => ({ body: as.active() });
    assert.equal((await rs.call('opaque-post')).status, 200);
    assert.equal(as.state.last.form.client_secret, 's3cret');
    assert.equal(as.state.last.authorization, undefined);
    await rs.close();
    const key = generateKey('ES256');
    rs = await protect(as, 'introspection', { clientSecret: undefined, privateKey: key.privateKey.export({ format: 'jwk' }), keyId: 'rs-key' });
    assert.equal((await rs.call('opaque-pkjwt')).status, 200);
    const [header, payload] = as.state.last.form.client_assertion.split('.').slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url')));
    assert.deepEqual([header.alg, header.kid], ['ES256', 'rs-key']);
    assert.deepEqual([payload.iss, payload.sub, payload.aud], ['rs', 'rs', as.issuer]);
    await rs.close();
  });

  it('refuses a bad configuration at setup, without echoing the secret', () => {
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oauth' }] } } });
    const cause = (e) => JSON.stringify(e.cause);
    assert.throws(() => mcpAuth.bearerAuth('introspection', { resource: RESOURCE }), (e) => /`introspection` options/.test(cause(e)));
    assert.throws(
      () => mcpAuth.bearerAuth('introspection', { resource: RESOURCE, introspection: { clientId: 'rs', clientSecret: 's3cret', cacheMaxAge: -1 } }),
      (e) => /`introspection.cacheMaxAge` must be an integer number of milliseconds from 0 to 86400000/.test(cause(e)) && !cause(e).includes('s3cret'),
    );
  });

  it("'auto': a trusted JWT is verified locally and never introspected; anything else is", async () => {
    const events = [];
    const rs = await protect(as, 'auto', {}, { events });
    as.state.answer = () => ({ body: as.active() });
    const before = as.state.calls;
    const jwt = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'read' }), as.key);
    assert.equal((await rs.call(jwt)).status, 200);
    const forged = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'read' }), generateKey('ES256', { kid: 'k1' }));
    expectInvalidToken(await rs.call(forged));
    assert.equal(as.state.calls, before, 'no introspection for a JWT from a trusted issuer');
    assert.equal((await rs.call('opaque-auto')).status, 200);
    const foreign = signJwt(claims({ issuer: 'https://other.example', audience: RESOURCE }), generateKey('ES256'));
    assert.equal((await rs.call(foreign)).status, 200, 'a JWT from an issuer not trusted is the endpoint\'s to judge');
    assert.equal(as.state.calls, before + 2);
    assert.ok(events.some((e) => e.type === 'rejected' && e.reason === 'bad_signature'));
    await rs.close();
  });
});

describe("'introspection' and 'auto' under every adapter", () => {
  let as;
  before(async () => {
    as = await startAs();
    as.state.answer = (token) => (token === 'opaque-good' ? { body: as.active() } : token === 'opaque-down' ? { status: 503, body: '{}' } : { body: { active: false } });
  });
  after(() => as?.close());

  for (const [name, serve] of Object.entries(ADAPTERS)) {
    it(`${name}: 200 with the answer's identity, 401 inactive, 503 outage, local JWT in 'auto'`, async () => {
      const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oauth' }] } } });
      const options = { resource: RESOURCE, introspection: { ...CLIENT, timeout: 300 } };
      const server = await serve(mcpAuth, [
        { path: '/introspect', methods: ['GET'], mode: 'introspection', options, reply: 'echo' },
        { path: '/auto', methods: ['GET'], mode: 'auto', options, reply: 'echo' },
      ]);
      try {
        const call = (path, token) => send(server, { path, headers: [['Authorization', `Bearer ${token}`]] });
        const ok = await call('/introspect', 'opaque-good');
        assert.equal(ok.status, 200, ok.body);
        assert.deepEqual(JSON.parse(ok.body), { authenticated: true, sub: 'alice', scopes: ['read', 'write'], clientId: 'app' });
        expectInvalidToken(await call('/introspect', 'opaque-gone'));
        expectUnavailable(await call('/introspect', 'opaque-down'));
        const before = as.state.calls;
        const jwt = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'read', sub: 'bob' }), as.key);
        const local = await call('/auto', jwt);
        assert.equal(local.status, 200, local.body);
        assert.equal(JSON.parse(local.body).sub, 'bob');
        assert.equal(as.state.calls, before, 'a trusted JWT is not introspected');
      } finally {
        await server.close();
      }
    });
  }
});
