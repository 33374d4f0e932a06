// The addon's JavaScript surface, against a local discovery + JWKS server with
// real RS256, ES256 and EdDSA keys: what the TypeScript wrapper builds on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startAuthServer } from './helpers/auth-server.mjs';
import { generateKey, signJwt, hs256, unsecuredJwt, claims, nowSeconds } from './helpers/keys.mjs';

const native = createRequire(import.meta.url)('../index.js');
const AUDIENCE = 'http://127.0.0.1:3001/mcp';

const rsa = generateKey('RS256', { kid: 'rsa-1' });
const ec = generateKey('ES256', { kid: 'ec-1' });
const ed = generateKey('EdDSA', { kid: 'ed-1' });
const weak = generateKey('RS256', { kid: 'weak', bits: 1024 });
const attacker = generateKey('RS256', { kid: 'rsa-1', seed: 'attacker' });

let as;
let verifier;
before(async () => {
  as = await startAuthServer({ keys: [rsa, ec, ed, weak], issuerPath: '/tenant' });
  const config = await native.fetchServerConfig(as.issuer, { type: 'oidc' });
  verifier = new native.Verifier({
    issuers: [{ issuer: config.metadata.issuer, jwksUri: config.metadata.jwksUri }],
    audiences: [AUDIENCE],
  });
});
after(() => as.close());

const token = (key, extra = {}, header = {}) =>
  signJwt(claims({ issuer: as.issuer, audience: AUDIENCE, scope: 'read:todos', ...extra }), key, header);

async function rejects(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    assert.equal(typeof err.reason, 'string');
    return true;
  });
}

test('fetchServerConfig returns camelCase metadata for an exact issuer', async () => {
  const config = await native.fetchServerConfig(as.issuer, { type: 'oidc' });
  assert.equal(config.type, 'oidc');
  assert.equal(config.metadata.issuer, as.issuer);
  assert.equal(config.metadata.jwksUri, as.jwksUri);
  assert.deepEqual(config.metadata.codeChallengeMethodsSupported, ['S256']);
  assert.equal(as.hitCount('/tenant/.well-known/openid-configuration'), 2);
});

test('fetchServerConfig refuses a document whose issuer differs', async () => {
  await rejects(native.fetchServerConfig(`${as.issuer}/`, { type: 'oidc' }), 'issuer_mismatch');
  const forged = await startAuthServer({ metadata: { issuer: 'https://forged.example.com' } });
  try {
    const err = await native.fetchServerConfig(forged.issuer, { type: 'oauth' }).catch((e) => e);
    assert.equal(err.code, 'issuer_mismatch');
    assert.ok(!err.message.includes('forged'), 'the forged issuer is not echoed');
  } finally {
    await forged.close();
  }
});

test('fetchServerConfig reports network and content failures with codes and URLs', async () => {
  const down = await startAuthServer();
  await down.close();
  const err = await native.fetchServerConfig(down.issuer, { type: 'oauth' }).catch((e) => e);
  assert.equal(err.code, 'discovery_unavailable');
  assert.match(err.url, /^http:\/\/127\.0\.0\.1:\d+\/\.well-known\//);
  await rejects(native.fetchServerConfig('http://example.com', { type: 'oauth' }), 'invalid_url');
  await rejects(native.fetchServerConfig('not a url', { type: 'oauth' }), 'invalid_url');
  await assert.rejects(() => native.fetchServerConfig(as.issuer, { type: 'saml' }), { code: 'invalid_config' });

  const html = await startAuthServer({ faults: { '*': 'html' } });
  try {
    await rejects(native.fetchServerConfig(html.issuer, { type: 'oauth' }), 'invalid_server_metadata');
  } finally {
    await html.close();
  }
});

test('validateServerConfig uses mcp-auth result codes', () => {
  const ok = native.validateServerConfig({
    type: 'oauth',
    metadata: {
      issuer: 'https://as.example.com', authorizationEndpoint: 'https://as.example.com/a',
      tokenEndpoint: 'https://as.example.com/t', responseTypesSupported: ['code'],
      codeChallengeMethodsSupported: ['S256'],
    },
  });
  assert.equal(ok.isValid, true);
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.warnings.map((w) => w.code), ['dynamic_registration_not_supported']);
  const bad = native.validateServerConfig({ type: 'oauth', metadata: { issuer: 'x' } });
  assert.equal(bad.isValid, false);
  assert.deepEqual(bad.errors.map((e) => e.code), ['invalid_server_metadata']);
});

test('verifies real RS256, ES256 and EdDSA tokens', async () => {
  for (const key of [rsa, ec, ed]) {
    const result = await verifier.verify(token(key, { sub: 'alice', client_id: 'c-1' }));
    assert.equal(result.issuer, as.issuer);
    assert.equal(result.subject, 'alice');
    assert.equal(result.clientId, 'c-1');
    assert.deepEqual(result.scopes, ['read:todos']);
    assert.deepEqual(result.audience, [AUDIENCE]);
    assert.equal(JSON.parse(result.headerJson).kid, key.kid);
    assert.equal(JSON.parse(result.claimsJson).sub, 'alice');
    // Keys are cached now: the synchronous path gives the same answer.
    assert.equal(verifier.verifySync(token(key)).issuer, as.issuer);
  }
  assert.equal(as.hitCount('/jwks'), 1);
});

test('rejects each failure with its stable code', async () => {
  const now = nowSeconds();
  const [h, p] = token(rsa).split('.');
  const cases = [
    ['malformed', 'not.a.jwt'],
    ['malformed', `${h}.${p}`],
    ['alg_not_allowed', unsecuredJwt(claims({ issuer: as.issuer, audience: AUDIENCE }))],
    ['alg_not_allowed', hs256({ alg: 'HS256', kid: 'rsa-1' }, claims({ issuer: as.issuer, audience: AUDIENCE }), rsa.publicPem)],
    ['unknown_kid', token(rsa, {}, { kid: 'nope' })],
    ['unknown_kid', token(weak)],
    ['bad_signature', token(attacker)],
    ['expired', token(rsa, { exp: now - 120, iat: now - 600 })],
    ['not_yet_valid', token(rsa, { nbf: now + 600 })],
    ['issued_in_future', token(rsa, { iat: now + 600 })],
    ['issuer_untrusted', signJwt(claims({ issuer: 'https://evil.example.com', audience: AUDIENCE }), rsa)],
    ['audience_mismatch', token(rsa, { aud: 'http://127.0.0.1:3001/other' })],
    ['missing_claim', token(rsa, { exp: undefined })],
    ['invalid_claim', token(rsa, { exp: String(now + 60) })],
    ['type_not_allowed', token(rsa, {}, { typ: 'dpop+jwt' })],
    ['unsupported_header', token(rsa, {}, { crit: ['exp'] })],
    ['sender_constrained', token(rsa, { cnf: { jkt: 'abc' } })],
    ['token_too_large', token(rsa, { pad: 'x'.repeat(9000) })],
  ];
  for (const [code, t] of cases) {
    await rejects(verifier.verify(t), code);
    assert.throws(() => verifier.verifySync(t), { code });
  }
});

test('a cold verifier fetches once for many concurrent tokens, and verifySync needs loaded keys', async () => {
  const fresh = await startAuthServer({ keys: [rsa] });
  try {
    const cold = new native.Verifier({
      issuers: [{ issuer: fresh.issuer, type: 'oauth' }],
      audiences: [AUDIENCE],
    });
    const t = signJwt(claims({ issuer: fresh.issuer, audience: AUDIENCE }), rsa);
    assert.throws(() => cold.verifySync(t), { code: 'keys_not_loaded' });
    const results = await Promise.all(Array.from({ length: 50 }, () => cold.verify(t)));
    assert.equal(results.length, 50);
    assert.equal(fresh.hitCount('/.well-known/oauth-authorization-server'), 1);
    assert.equal(fresh.hitCount('/jwks'), 1);
    assert.equal(cold.verifySync(t).issuer, fresh.issuer);
  } finally {
    await fresh.close();
  }
});

test('an unreachable key set is an infrastructure error with retryAfter', async () => {
  const gone = await startAuthServer({ keys: [rsa] });
  await gone.close();
  const events = [];
  const v = new native.Verifier(
    { issuers: [{ issuer: gone.issuer, jwksUri: gone.jwksUri }], audiences: [AUDIENCE] },
    (event) => events.push(event),
  );
  const err = await v.verify(signJwt(claims({ issuer: gone.issuer, audience: AUDIENCE }), rsa)).catch((e) => e);
  assert.equal(err.code, 'jwks_unavailable');
  assert.ok(err.retryAfter >= 1);
  assert.equal(err.url, gone.jwksUri);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events.map((e) => e.type), ['jwks_unavailable']);
  assert.equal(events[0].jwksUri, gone.jwksUri);
});

test('invalid options throw invalid_config', () => {
  const issuers = [{ issuer: as.issuer, jwksUri: as.jwksUri }];
  for (const options of [
    { issuers, audiences: [] },
    { issuers, audiences: [AUDIENCE], algorithms: ['none'] },
    { issuers, audiences: [AUDIENCE], algorithms: ['HS256'] },
    { issuers, audiences: [AUDIENCE], clockTolerance: 301 },
    { issuers: [{ issuer: 'http://as.example.com' }], audiences: [AUDIENCE] },
    { issuers: [], audiences: [AUDIENCE] },
  ]) {
    assert.throws(() => new native.Verifier(options), { code: 'invalid_config' }, JSON.stringify(options));
  }
  assert.doesNotThrow(() => new native.Verifier({ issuers, allowAnyAudience: true }));
  assert.doesNotThrow(() => new native.Verifier({ issuers, audiences: [AUDIENCE], jwtVerify: { clockTolerance: '10s' } }));
});

test('garbage input never crashes the process', async () => {
  const inputs = ['', '.', '..', '...', 'a'.repeat(20000), '\u0000.\u0000.\u0000', 'é.é.é', '{}.{}.{}'];
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(Array.from({ length: i % 200 }, (_, j) => (i * 31 + j * 17) % 256));
    inputs.push(bytes.toString('latin1'), bytes.toString('base64url') + '.' + bytes.toString('base64url') + '.x');
  }
  for (const t of inputs) {
    await verifier.verify(t).then(
      () => assert.fail('garbage verified'),
      (err) => assert.equal(typeof err.code, 'string'),
    );
  }
});

test('an onEvent listener that throws is reported once per listener and changes nothing (issue 12, finding 6)', async () => {
  const fresh = await startAuthServer({ keys: [ec] });
  const warnings = [];
  const onWarning = (warning) => {
    if (warning.code === 'MCP_AUTH_RS_LISTENER_ERROR') warnings.push(warning);
  };
  process.on('warning', onWarning);
  try {
    let calls = 0;
    const throwing = () => {
      calls++;
      throw new Error('listener bug');
    };
    const events = new native.Verifier(
      { issuers: [{ issuer: fresh.issuer, jwksUri: fresh.jwksUri }], audiences: [AUDIENCE], remoteJwkSet: { cooldownDuration: 0 } },
      throwing,
    );
    await events.prepare();
    const valid = signJwt(claims({ issuer: fresh.issuer, audience: AUDIENCE }), ec);
    assert.equal((await events.verify(valid)).issuer, fresh.issuer);
    // An unknown kid refetches the key set: a second event for the same listener.
    await events.verify(signJwt(claims({ issuer: fresh.issuer, audience: AUDIENCE }), rsa)).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(calls >= 2, `listener called ${calls} times`);
    assert.equal(warnings.length, 1, 'reported once for this listener');
    assert.match(warnings[0].message, /onEvent listener threw/);
    assert.equal((await events.verify(valid)).issuer, fresh.issuer, 'verification unaffected');
  } finally {
    process.off('warning', onWarning);
    await fresh.close();
  }
});
