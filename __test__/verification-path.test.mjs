// Issue 11: one native entry per token (Verifier.check), error codes defined
// once in Rust, options validated only by the addon, and lower layers' facts
// (redacted URLs, the server's Retry-After) surviving up to JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { MCPAuth, MCPAuthAuthServerError } from 'mcp-auth-rs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { hasTokenErrorDescription, nativeErrorKind } from '../dist/errors.js';

const native = createRequire(import.meta.url)('../index.js');
const AUDIENCE = 'http://127.0.0.1:3001/mcp';
const rsa = generateKey('RS256', { kid: 'rsa-1' });

let as;
before(async () => {
  as = await startAuthServer({ keys: [rsa] });
});
after(() => as.close());

const token = (extra = {}) => signJwt(claims({ issuer: as.issuer, audience: AUDIENCE, scope: 'read', ...extra }), rsa);
const trust = () => ({ issuers: [{ issuer: as.issuer, jwksUri: as.jwksUri }], audiences: [AUDIENCE] });

test('check() answers a cache hit synchronously and anything needing I/O with a promise', async () => {
  const verifier = new native.Verifier(trust());
  const t = token({ jti: 'check-1' });
  const cold = verifier.check(t);
  assert.ok(cold instanceof Promise, 'keys not loaded yet: a promise');
  assert.equal(JSON.parse((await cold).claimsJson).jti, 'check-1');
  const hit = verifier.check(t);
  assert.ok(!(hit instanceof Promise), 'a cache hit is a value');
  assert.equal(JSON.parse(hit.claimsJson).jti, 'check-1');
  // A fresh token with loaded keys: a value (checked inline) or a promise
  // (on a worker), as the load decides; either way the same answer.
  const fresh = verifier.check(token({ jti: 'check-2' }));
  assert.equal(JSON.parse((await fresh).claimsJson).jti, 'check-2');
  // Synchronous failures throw, with the code.
  assert.throws(() => verifier.check('not-a-token'), (err) => err.code === 'malformed' && err.fault === 'token');
});

test('check() settles many concurrent offloaded checks, each with its own result', async () => {
  const verifier = new native.Verifier({ ...trust(), tokenCacheSize: 0 });
  await verifier.prepare();
  const tokens = Array.from({ length: 200 }, (_, i) => token({ jti: `many-${i}` }));
  const bad = tokens.map((t, i) => (i % 3 === 0 ? `${t.slice(0, t.lastIndexOf('.'))}.${tokens[(i + 1) % tokens.length].split('.')[2]}` : t));
  const settled = await Promise.allSettled(bad.map((t) => Promise.resolve().then(() => verifier.check(t))));
  settled.forEach((outcome, i) => {
    if (i % 3 === 0) {
      assert.equal(outcome.status, 'rejected');
      assert.equal(outcome.reason.code, 'bad_signature');
    } else {
      assert.equal(outcome.status, 'fulfilled');
      assert.equal(JSON.parse(outcome.value.claimsJson).jti, `many-${i}`);
    }
  });
});

test("every addon error code is mapped: its fault from Rust, a token code's wire description", () => {
  const codes = native.errorCodes();
  assert.ok(codes.length >= 25);
  for (const { code, fault } of codes) {
    assert.ok(['token', 'proof', 'nonce', 'infrastructure', 'server', 'forbidden'].includes(fault), code);
    assert.equal(nativeErrorKind(code), fault, code);
    if (['token', 'proof', 'nonce'].includes(fault)) assert.ok(hasTokenErrorDescription(code), `${code} needs a description in lib/errors.ts`);
  }
  // A caught panic is a 500-class internal error, never a 503 or a 401.
  assert.deepEqual(codes.find((c) => c.code === 'internal_error'), { code: 'internal_error', fault: 'server' });
});

test('numeric options are range-checked by the addon, by name, unit and range; nothing wraps or aborts', () => {
  const refused = (options, pattern) =>
    assert.throws(() => new native.Verifier({ ...trust(), ...options }), (err) => {
      assert.equal(err.code, 'invalid_config');
      assert.match(err.reason, pattern);
      return true;
    });
  refused({ tokenCacheSize: -1 }, /^`cache\.tokenCacheSize` must be an integer number of tokens from 0 to 1000000, got -1$/);
  refused({ tokenCacheSize: 4294967295 }, /tokenCacheSize/);
  refused({ maxResponseBytes: -1 }, /^`cache\.maxResponseBytes` must be an integer number of bytes from 1024 to/);
  refused({ maxTokenLength: 0 }, /^`maxTokenLength` must be an integer number of bytes from 1 to/);
  refused({ tokenCacheMaxAge: 1.5 }, /`cache\.tokenCacheMaxAge` .* milliseconds/);
  refused({ staleMaxAge: Number.POSITIVE_INFINITY }, /`cache\.staleMaxAge`/);
  refused({ remoteJwkSet: { cooldownDuration: -5 } }, /`remoteJwkSet\.cooldownDuration` .* milliseconds from 0/);
  refused({ remoteJwkSet: { timeoutDuration: Number.NaN } }, /`remoteJwkSet\.timeoutDuration`/);
  refused({ jwtVerify: { clockTolerance: 301 } }, /`jwtVerify\.clockTolerance` .* 0 to 300/);
});

test('the wrapper passes verifier options through and reports the addon’s reason', () => {
  const mcpAuth = new MCPAuth({
    protectedResources: { metadata: { resource: AUDIENCE, authorizationServers: [{ issuer: as.issuer, type: 'oidc' }] } },
  });
  for (const [options, pattern] of [
    [{ cache: { tokenCacheSize: -1 } }, /`cache\.tokenCacheSize` must be an integer number of tokens from 0 to 1000000, got -1/],
    [{ cache: { maxResponseBytes: -1 } }, /`cache\.maxResponseBytes`/],
    [{ remoteJwkSet: { cacheMaxAge: 'soon' } }, /.+/],
    [{ maxTokenLength: -3 }, /`maxTokenLength`/],
  ]) {
    assert.throws(() => mcpAuth.bearerAuth('jwt', { resource: AUDIENCE, ...options }), (err) => {
      assert.ok(err instanceof MCPAuthAuthServerError);
      assert.equal(err.code, 'invalid_server_config');
      assert.match(String(err.cause?.cause), pattern);
      return true;
    });
  }
});

test('a JWKS URL with credentials never shows them; the server’s Retry-After is kept', async () => {
  const down = await startAuthServer({ keys: [rsa], faults: { '/jwks': { status: 503, headers: { 'Retry-After': '7' } } } });
  try {
    const secretUri = down.jwksUri.replace('http://', 'http://user:s3cret@');
    const events = [];
    const verifier = new native.Verifier(
      { issuers: [{ issuer: down.issuer, jwksUri: secretUri }], audiences: [AUDIENCE], remoteJwkSet: { cooldownDuration: 60_000 } },
      (event) => events.push(event),
    );
    const t = signJwt(claims({ issuer: down.issuer, audience: AUDIENCE }), rsa);
    const err = await Promise.resolve().then(() => verifier.check(t)).catch((e) => e);
    assert.equal(err.code, 'jwks_unavailable');
    assert.equal(err.fault, 'infrastructure');
    assert.equal(err.retryAfter, 7);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const seen = JSON.stringify({ message: err.message, url: err.url, reason: err.reason, events });
    assert.ok(!seen.includes('s3cret') && !seen.includes('user:'), seen);
    assert.equal(err.url, down.jwksUri);
    assert.ok(events.some((e) => e.type === 'jwks_unavailable' && e.jwksUri === down.jwksUri), JSON.stringify(events));
  } finally {
    await down.close();
  }
});
