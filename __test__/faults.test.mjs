// Authorization-server faults (issue 5, part 2; spec C6, C23, C24, C26).
//
// A local misbehaving discovery/JWKS server drives the verifier into each
// failure mode. What must hold:
//   - no usable keys (unreachable, timed out, garbage, over size): 503 with
//     Retry-After and a JSON server_error, never invalid_token;
//   - one fetch in flight however many cold requests arrive;
//   - during an outage the last good keys keep valid tokens working, up to a
//     bound, then 503;
//   - a new key is picked up on an unknown kid, at most once per cooldown;
//   - a removed key stops verifying after the next refresh, even for a token
//     the verified-token cache has seen.
// Timings use short TTL/cooldown options; waits poll instead of sleeping long.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import net from 'node:net';

import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { startHttp, parseWwwAuthenticate } from './helpers/http.mjs';
import { EXPRESS_VERSIONS, serveApp, send, single, hasHeader, jsonBody } from './helpers/app.mjs';

const native = createRequire(import.meta.url)('../index.js');

const RESOURCE = 'https://mcp.example.com/mcp';
const UNAVAILABLE = { error: 'server_error', error_description: 'The authorization server is temporarily unavailable. Retry later.' };
const MiB = 1024 * 1024;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// EC keys: generation and signing are cheap, so every test can have its own.
const newKey = (kid) => generateKey('ES256', { kid });

/**
 * An Express 5 app protecting GET /mcp with bearerAuth('jwt'). `authServer`
 * is 'resolved' (fetchServerConfig first, so only the JWKS is fetched per
 * request) or 'lazy' ({ issuer, type }: discovery happens on first use).
 */
async function protect(as, { authServer = 'resolved', remoteJwkSet, cache, showErrorDetails = false, express = EXPRESS_VERSIONS['express 5'] } = {}) {
  const server = authServer === 'lazy' ? { issuer: as.issuer, type: 'oauth' } : await fetchServerConfig(as.issuer, { type: 'oauth' });
  const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [server] } } });
  const app = await serveApp(express, (a) =>
    a.get('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, remoteJwkSet, cache, showErrorDetails }), (req, res) =>
      res.json({ sub: req.auth.subject })));
  return {
    app,
    token: (key, extra = {}) => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, ...extra }), key),
    call: (token) => send(app, { path: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }),
    close: () => app.close(),
  };
}

function expectUnavailable(res, { details = false } = {}) {
  assert.equal(res.status, 503, res.body);
  const retryAfter = single(res, 'retry-after');
  assert.match(retryAfter, /^[1-9]\d*$/, 'Retry-After is a positive number of seconds');
  assert.equal(hasHeader(res, 'www-authenticate'), false, 'no challenge: the client must not re-authenticate');
  assert.ok(!/invalid_token/.test(res.body), 'never invalid_token');
  const body = jsonBody(res);
  if (!details) assert.deepEqual(body, UNAVAILABLE);
  else assert.deepEqual({ error: body.error, error_description: body.error_description }, UNAVAILABLE);
  return body;
}

function expectInvalidToken(res, description) {
  assert.equal(res.status, 401, res.body);
  const { params } = parseWwwAuthenticate(single(res, 'www-authenticate'));
  assert.equal(params.error, 'invalid_token');
  if (description) assert.equal(params.error_description, description);
}
const UNKNOWN_KID = 'The access token was signed with an unknown key.';

/** Polls `probe` every `everyMs` until it returns true or `withinMs` passes; returns the elapsed ms. */
async function until(probe, { withinMs, everyMs = 25, what }) {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > withinMs) assert.fail(`${what} did not happen within ${withinMs} ms`);
    await sleep(everyMs);
  }
}

/** Runs `task(i)` for i < n with at most `limit` in flight. */
async function pool(n, limit, task) {
  const results = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) {
      const i = next++;
      results[i] = await task(i);
    }
  }));
  return results;
}

// ---------------------------------------------------------------------------

describe('no usable keys: 503 + Retry-After, never invalid_token (C6)', () => {
  const jwksFaults = {
    'connection reset before any response': 'down',
    'HTML login page with 200': 'html',
    'HTTP 404': { status: 404 },
    'HTTP 500': { status: 500 },
    'HTTP 503 with its own Retry-After': { status: 503, headers: { 'retry-after': '120' } },
    'redirect to another host': 'redirect-other-host',
    'empty object {}': 'empty-object',
    'not JSON though typed JSON': 'not-json',
    'a JSON array': 'array',
    '"keys" not an array': { body: { keys: { kty: 'EC' } } },
    'JSON with duplicate members': { body: '{"keys":[],"keys":[]}' },
    'JSON typed text/plain': { body: '{"keys":[]}', contentType: 'text/plain' },
    'a 2 MiB body declared with Content-Length': { bigBody: 2 * MiB, contentLength: true },
  };
  for (const [what, fault] of Object.entries(jwksFaults)) {
    it(`JWKS: ${what}`, async () => {
      const key = newKey('k1');
      const as = await startAuthServer({ keys: [key] });
      const app = await protect(as);
      as.setFault(as.paths.jwks, fault);
      try {
        expectUnavailable(await app.call(app.token(key)));
        if (fault === 'redirect-other-host') {
          // Location is http://localhost:<same port>/jwks: had it been followed, /jwks would count 2.
          assert.equal(as.hitCount('/jwks'), 1, 'the cross-origin redirect was not followed');
        }
      } finally {
        await app.close();
        await as.close();
      }
    });
  }

  it('JWKS: connection refused (server gone)', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    const app = await protect(as);
    await as.close();
    try {
      expectUnavailable(await app.call(app.token(key)));
    } finally {
      await app.close();
    }
  });

  it('JWKS: hangs past remoteJwkSet.timeoutDuration (300 ms)', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    const app = await protect(as, { remoteJwkSet: { timeoutDuration: 300 } });
    as.setFault(as.paths.jwks, 'hang');
    try {
      const start = Date.now();
      const res = await app.call(app.token(key));
      const elapsed = Date.now() - start;
      expectUnavailable(res);
      assert.ok(elapsed >= 250 && elapsed < 3000, `answered after ${elapsed} ms`);
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('JWKS: a body trickled slower than the timeout allows (one deadline for the whole exchange)', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    // Headers at once, then a byte every 100 ms: no single read ever waits 300 ms.
    const slow = await startHttp((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(timer));
    });
    as.setMetadata({ jwks_uri: `${slow.url}/jwks` });
    const app = await protect(as, { remoteJwkSet: { timeoutDuration: 300 } });
    try {
      const start = Date.now();
      const res = await app.call(app.token(key));
      const elapsed = Date.now() - start;
      expectUnavailable(res);
      assert.ok(elapsed >= 250 && elapsed < 3000, `gave up after ${elapsed} ms`);
    } finally {
      await app.close();
      await slow.close();
      await as.close();
    }
  });

  const discoveryFaults = {
    'connection reset': 'down',
    'HTML': 'html',
    'HTTP 500': { status: 500 },
    'empty object {}': 'empty-object',
    'redirect to another host': 'redirect-other-host',
    'hang past the timeout': 'hang',
    'metadata naming another issuer': { body: { issuer: 'https://evil.example', jwks_uri: 'https://evil.example/jwks' } },
    'metadata whose jwks_uri is plain http to a public host': (as) => as.setMetadata({ jwks_uri: 'http://keys.example.com/jwks' }),
  };
  for (const [what, fault] of Object.entries(discoveryFaults)) {
    it(`discovery (lazily resolved issuer): ${what}`, async () => {
      const key = newKey('k1');
      const as = await startAuthServer({ keys: [key] });
      const app = await protect(as, { authServer: 'lazy', remoteJwkSet: { timeoutDuration: 300 } });
      if (typeof fault === 'function') fault(as);
      else as.setFault('*', fault);
      try {
        expectUnavailable(await app.call(app.token(key)));
        assert.equal(as.hitCount('/jwks'), 0, 'no key set fetched from unverified metadata');
      } finally {
        await app.close();
        await as.close();
      }
    });
  }

  // Like every metadata problem met at request time: the server side is
  // unusable, so 503 with Retry-After, no challenge, never invalid_token.
  it('discovery (lazily resolved issuer): metadata without jwks_uri is a 503, never invalid_token', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    as.setMetadata({ jwks_uri: undefined });
    const app = await protect(as, { authServer: 'lazy' });
    try {
      const res = await app.call(app.token(key));
      expectUnavailable(res);
      assert.equal(hasHeader(res, 'www-authenticate'), false);
      assert.equal(jsonBody(res).error, 'server_error');
      assert.ok(!/invalid_token/.test(res.body));
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('the reason reaches showErrorDetails as a code, still without invalid_token', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    const app = await protect(as, { showErrorDetails: true });
    as.setFault(as.paths.jwks, 'html');
    try {
      const body = expectUnavailable(await app.call(app.token(key)), { details: true });
      assert.equal(body.cause.code, 'jwks_unavailable');
    } finally {
      await app.close();
      await as.close();
    }
  });

  // A key set that parses but holds no usable key (empty, or every entry
  // skipped) verifies nothing: that is an outage (C6), so 503, not a 401 that
  // would send clients into a re-authorization loop.
  for (const [what, body] of Object.entries({
    'an empty key set': { keys: [] },
    'only unusable keys (use "enc")': (key) => ({ keys: [{ ...key.publicJwk, use: 'enc' }] }),
  })) {
    it(`JWKS with ${what}: 503, not invalid_token`, async () => {
      const key = newKey('k1');
      const as = await startAuthServer({ keys: [key] });
      as.setJwks(typeof body === 'function' ? body(key) : body);
      const app = await protect(as);
      try {
        expectUnavailable(await app.call(app.token(key)));
      } finally {
        await app.close();
        await as.close();
      }
    });
  }
});

describe('discovery order and key-set limits (M24, C23, C25)', () => {
  it('an issuer with a path, type oauth: RFC 8414 inserted, then OIDC inserted, then OIDC appended (404s fall through)', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key], issuerPath: '/tenant', serve: ['oidc'] });
    const app = await protect(as, { authServer: 'lazy' });
    try {
      assert.equal((await app.call(app.token(key))).status, 200);
      assert.deepEqual(as.requests.map((r) => r.path), [
        '/.well-known/oauth-authorization-server/tenant',
        '/.well-known/openid-configuration/tenant',
        '/tenant/.well-known/openid-configuration',
        '/jwks',
      ]);
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('a discovery failure other than 404 stops the search (no fall-through to a later URL)', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key], issuerPath: '/tenant', serve: ['oauth', 'oidc'] });
    as.setFault(as.paths.oauth, { status: 500 });
    const app = await protect(as, { authServer: 'lazy' });
    try {
      expectUnavailable(await app.call(app.token(key)));
      assert.deepEqual(as.requests.map((r) => r.path), ['/.well-known/oauth-authorization-server/tenant']);
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('a JWKS with 150 entries: only the first 100 are used, with a warning in jwks_refreshed', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => newKey(`k${i}`));
    const as = await startAuthServer({ keys });
    const events = [];
    const mcpAuth = new MCPAuth({
      protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oauth' })] } },
      onAuthEvent: (event) => events.push(event),
    });
    const app = await serveApp(EXPRESS_VERSIONS['express 5'], (a) => a.get('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), (req, res) => res.json({})));
    const call = (key) => send(app, { path: '/mcp', headers: [['Authorization', `Bearer ${signJwt(claims({ issuer: as.issuer, audience: RESOURCE }), key)}`]] });
    try {
      assert.equal((await call(keys[5])).status, 200);
      assert.equal((await call(keys[99])).status, 200);
      expectInvalidToken(await call(keys[120]), UNKNOWN_KID);
      await until(() => events.some((e) => e.type === 'jwks_refreshed'), { withinMs: 2000, what: 'the jwks_refreshed event' });
      const refreshed = events.find((e) => e.type === 'jwks_refreshed');
      assert.equal(refreshed.keyCount, 100);
      assert.ok(refreshed.warnings.some((w) => /150 entries/.test(w)), JSON.stringify(refreshed.warnings));
    } finally {
      await app.close();
      await as.close();
    }
  });
});

describe('verified-token cache (C26)', () => {
  it('a cached token is re-checked on every hit: it stops working the moment it expires', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oauth' })] } } });
    const app = await serveApp(EXPRESS_VERSIONS['express 5'], (a) =>
      a.get('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, jwtVerify: { clockTolerance: 0 } }), (req, res) => res.json({})));
    try {
      const exp = Math.floor(Date.now() / 1000) + 1;
      const token = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, exp }), key);
      const call = () => send(app, { path: '/mcp', headers: [['Authorization', `Bearer ${token}`]] });
      if (Date.now() < exp * 1000 - 100) {
        assert.equal((await call()).status, 200);
        assert.equal((await call()).status, 200); // served from the cache
      }
      await sleep(Math.max(0, exp * 1000 - Date.now()) + 20);
      expectInvalidToken(await call(), 'The access token has expired.');
    } finally {
      await app.close();
      await as.close();
    }
  });
});

describe('bounded memory with a 50 MiB key set', () => {
  it('flat out, no Content-Length: 503, RSS grows < 20 MiB, the client stops early', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    let written = 0;
    let closed;
    const hungUp = new Promise((resolve) => { closed = resolve; });
    as.server.on('connection', (socket) => socket.on('close', () => {
      written += socket.bytesWritten;
      if (written > MiB) closed();
    }));
    const app = await protect(as, { showErrorDetails: true });
    as.setFault(as.paths.jwks, { bigBody: 50 * MiB });
    try {
      global.gc?.();
      const before = process.memoryUsage().rss;
      const body = expectUnavailable(await app.call(app.token(key)), { details: true });
      const growth = process.memoryUsage().rss - before;
      assert.match(body.cause.reason, /exceeds 1048576 bytes/);
      assert.ok(growth < 20 * MiB, `RSS grew ${(growth / MiB).toFixed(1)} MiB`);
      await hungUp;
      // What the server managed to write includes the kernel's socket buffers,
      // so this bound is loose; the paced test below measures what was read.
      assert.ok(written < 16 * MiB, `server wrote ${(written / MiB).toFixed(1)} MiB before the client hung up`);
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('paced: the client reads no more than the 1 MiB cap before hanging up', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    // 16 KiB per millisecond at most, so kernel buffers never run far ahead
    // of the reader: bytes written ~ bytes read.
    let written = 0;
    let closed;
    const hungUp = new Promise((resolve) => { closed = resolve; });
    const chunk = Buffer.alloc(16 * 1024, 'A');
    const big = await startHttp((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const head = '{"keys":[{"kty":"RSA","kid":"k1","e":"AQAB","n":"';
      res.write(head);
      written += head.length;
      res.on('close', () => closed(written));
      const pump = () => {
        if (res.destroyed) return;
        if (written >= 50 * MiB) return res.end();
        written += chunk.length;
        if (res.write(chunk)) setTimeout(pump, 1);
        else res.once('drain', () => setTimeout(pump, 1));
      };
      pump();
    });
    const verifier = new native.Verifier({ issuers: [{ issuer: as.issuer, jwksUri: `${big.url}/jwks` }], audiences: [RESOURCE] });
    try {
      const err = await verifier.verify(signJwt(claims({ issuer: as.issuer, audience: RESOURCE }), key)).then(() => assert.fail('verified'), (e) => e);
      assert.equal(err.code, 'jwks_unavailable');
      assert.match(err.reason, /exceeds 1048576 bytes/);
      const total = await hungUp;
      assert.ok(total <= MiB + 64 * 1024, `${total} bytes written before the client hung up`);
    } finally {
      await big.close();
      await as.close();
    }
  });
});

describe('single flight (C24)', () => {
  it('50 concurrent cold requests: one discovery, one JWKS fetch, all 200', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    as.setFault(as.paths.jwks, { delayMs: 150 }); // keep the fetch in flight while requests pile up
    let inFlight = 0;
    let maxInFlight = 0;
    as.server.on('request', (req, res) => {
      if (!req.url.startsWith(as.paths.jwks)) return;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      res.on('close', () => inFlight--);
    });
    const app = await protect(as, { authServer: 'lazy' });
    try {
      const token = app.token(key);
      const results = await Promise.all(Array.from({ length: 50 }, () => app.call(token)));
      assert.deepEqual(results.map((r) => r.status), Array(50).fill(200));
      assert.equal(as.hitCount(as.paths.oauth), 1, 'one discovery request');
      assert.equal(as.hitCount('/jwks'), 1, 'one JWKS request');
      assert.equal(maxInFlight, 1);
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('50 concurrent cold requests during an outage: one fetch, all 503, the failure shared', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    as.setFault(as.paths.jwks, { status: 500, delayMs: 150 });
    const app = await protect(as);
    try {
      const token = app.token(key);
      const results = await Promise.all(Array.from({ length: 50 }, () => app.call(token)));
      for (const res of results) expectUnavailable(res);
      assert.equal(as.hitCount('/jwks'), 1);
    } finally {
      await app.close();
      await as.close();
    }
  });
});

// The addon shares one key-set cache per JWKS URL across the process, and an
// earlier test's verifier lives until garbage collection. When the kernel
// handed a new auth server the port of an earlier one, the outage test above
// was served the earlier server's 'k1' and answered 401 bad_signature.
describe('test servers never inherit an earlier server\'s address (issue 20 item 14)', () => {
  /** Makes the next listen(0) in this process bind `port`, as the kernel may. */
  function handOutNext(port) {
    const listen = net.Server.prototype.listen;
    net.Server.prototype.listen = function (requested, ...rest) {
      net.Server.prototype.listen = listen;
      return listen.call(this, requested === 0 ? port : requested, ...rest);
    };
    return () => { net.Server.prototype.listen = listen; };
  }

  it('a freed port handed out again: the outage is still a 503, not the earlier server\'s keys', async () => {
    const earlierKey = newKey('k1');
    const earlier = await startAuthServer({ keys: [earlierKey] });
    const earlierApp = await protect(earlier);
    try {
      assert.equal((await earlierApp.call(earlierApp.token(earlierKey))).status, 200);
    } finally {
      await earlierApp.close();
      await earlier.close();
    }
    const key = newKey('k1'); // same kid, other key material, as in every test here
    const restore = handOutNext(earlier.port);
    let as;
    try {
      as = await startAuthServer({ keys: [key] });
    } finally {
      restore();
    }
    as.setFault(as.paths.jwks, { status: 500, delayMs: 150 });
    const app = await protect(as);
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => app.call(app.token(key))));
      for (const res of results) expectUnavailable(res);
      assert.equal(as.hitCount('/jwks'), 1);
      assert.notEqual(as.port, earlier.port);
    } finally {
      await app.close();
      await as.close();
      // The earlier verifier, and so its cached key set, is alive until here.
      assert.ok(earlierApp);
    }
  });
});

describe('failures are remembered one cooldown, never longer (C24)', () => {
  it('within the cooldown no new request is made; after it the recovered server is used', async () => {
    const cooldown = 400;
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    const app = await protect(as, { remoteJwkSet: { cooldownDuration: cooldown } });
    as.setFault(as.paths.jwks, 'down');
    try {
      const start = Date.now();
      expectUnavailable(await app.call(app.token(key)));
      expectUnavailable(await app.call(app.token(key)));
      assert.equal(as.hitCount('/jwks'), 1, 'a down server is not hammered');
      as.clearFaults();
      if (Date.now() - start < cooldown - 50) {
        expectUnavailable(await app.call(app.token(key)));
        assert.equal(as.hitCount('/jwks'), 1);
      }
      await until(async () => (await app.call(app.token(key))).status === 200, { withinMs: cooldown + 2000, what: 'recovery' });
      assert.ok(Date.now() - start >= cooldown, `recovered after ${Date.now() - start} ms, inside the cooldown`);
      assert.equal(as.hitCount('/jwks'), 2);
    } finally {
      await app.close();
      await as.close();
    }
  });
});

describe('stale-if-error (C24)', () => {
  it('bearerAuth: past cacheMaxAge with the JWKS down, valid tokens keep working (last good keys)', async () => {
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    const app = await protect(as, { remoteJwkSet: { cacheMaxAge: 300, cooldownDuration: 100 } });
    try {
      assert.equal((await app.call(app.token(key))).status, 200);
      as.setFault(as.paths.jwks, 'down');
      await sleep(400); // past the 300 ms freshness
      // Fresh tokens each time, so the verified-token cache cannot be what answers.
      assert.equal((await app.call(app.token(key))).status, 200);
      await until(() => as.hitCount('/jwks') >= 2, { withinMs: 2000, what: 'a background refresh attempt' });
      assert.equal((await app.call(app.token(key))).status, 200);
      const expired = await app.call(app.token(key, { exp: Math.floor(Date.now() / 1000) - 120 }));
      expectInvalidToken(expired, 'The access token has expired.'); // stale keys still check everything
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('stale keys are used up to cacheMaxAge + cache.staleMaxAge, then 503', async () => {
    const ttl = 300;
    const stale = 500;
    const key = newKey('k1');
    const as = await startAuthServer({ keys: [key] });
    const app = await protect(as, { remoteJwkSet: { cacheMaxAge: ttl, cooldownDuration: 100 }, cache: { staleMaxAge: stale } });
    const fresh = () => app.token(key);
    try {
      const start = Date.now(); // no later than the fetch, so ages measured from here are upper bounds
      assert.equal((await app.call(fresh())).status, 200);
      as.setFault(as.paths.jwks, 'down');
      const outcomes = [];
      let failedAt;
      await until(async () => {
        const at = Date.now() - start;
        const res = await app.call(fresh());
        outcomes.push([at, res.status === 200 ? 'ok' : res.status]);
        if (res.status !== 200) {
          expectUnavailable(res);
          failedAt = at;
        }
        return res.status !== 200;
      }, { withinMs: ttl + stale + 1500, everyMs: 40, what: 'the stale bound' });
      const usedStale = outcomes.filter(([at, code]) => code === 'ok' && at > ttl + 50);
      assert.ok(usedStale.length > 0, `no stale success recorded: ${JSON.stringify(outcomes)}`);
      assert.ok(failedAt >= ttl + stale - 20, `failed at ${failedAt} ms, before the ${ttl + stale} ms bound: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.slice(0, -1).every(([, code]) => code === 'ok'), JSON.stringify(outcomes));
      assert.ok(as.hitCount('/jwks') >= 2, 'refreshes were attempted during the outage');
      // The server comes back: keys are fetched again after the cooldown.
      as.clearFaults();
      await until(async () => (await app.call(fresh())).status === 200, { withinMs: 2000, what: 'recovery' });
    } finally {
      await app.close();
      await as.close();
    }
  });
});

describe('key rotation (C24, C26)', () => {
  it('a new key is picked up on an unknown kid, at most once per cooldown; 500 random kids cause at most one refetch per window', async () => {
    const cooldown = 500;
    const oldKey = newKey('old');
    const newer = newKey('new');
    const as = await startAuthServer({ keys: [oldKey] });
    const app = await protect(as, { remoteJwkSet: { cooldownDuration: cooldown } });
    try {
      assert.equal((await app.call(app.token(oldKey))).status, 200);
      const fetchedAt = Date.now();
      assert.equal(as.hitCount('/jwks'), 1);

      as.setKeys([oldKey, newer]);
      // Inside the cooldown of the first fetch: the unknown kid cannot trigger a fetch.
      if (Date.now() - fetchedAt < cooldown - 100) {
        expectInvalidToken(await app.call(app.token(newer)), UNKNOWN_KID);
        assert.equal(as.hitCount('/jwks'), 1, 'no refetch inside the cooldown');
      }
      await sleep(Math.max(0, cooldown - (Date.now() - fetchedAt)) + 20);
      assert.equal((await app.call(app.token(newer))).status, 200, 'the new key is picked up');
      assert.equal(as.hitCount('/jwks'), 2);
      const refetchedAt = Date.now();

      // 500 tokens with random kids, once a refetch is allowed again.
      await sleep(Math.max(0, cooldown - (Date.now() - refetchedAt)) + 20);
      const before = as.hitCount('/jwks');
      const forger = newKey('forger');
      const tokens = Array.from({ length: 500 }, () =>
        signJwt(claims({ issuer: as.issuer, audience: RESOURCE }), forger, { kid: randomUUID() }));
      const start = Date.now();
      const results = await pool(500, 25, (i) => app.call(tokens[i]));
      const elapsed = Date.now() - start;
      for (const res of results) expectInvalidToken(res, UNKNOWN_KID);
      const refetches = as.hitCount('/jwks') - before;
      const windows = Math.floor(elapsed / cooldown) + 1;
      assert.ok(refetches >= 1 && refetches <= windows, `${refetches} refetches in ${elapsed} ms (cooldown ${cooldown} ms)`);
      // And the real keys still work.
      assert.equal((await app.call(app.token(oldKey))).status, 200);
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('a removed key stops verifying after the next refresh, even for a token the verified-token cache holds', async () => {
    const ttl = 500;
    const kept = newKey('kept');
    const removed = newKey('removed');
    const as = await startAuthServer({ keys: [kept, removed] });
    const app = await protect(as, { remoteJwkSet: { cacheMaxAge: ttl, cooldownDuration: 100 } });
    try {
      const cachedToken = app.token(removed);
      assert.equal((await app.call(cachedToken)).status, 200);
      assert.equal((await app.call(cachedToken)).status, 200); // now in the verified-token cache
      as.setKeys([kept]);
      // Other clients' (uncached) tokens drive the routine refresh.
      await until(async () => {
        assert.equal((await app.call(app.token(kept))).status, 200);
        return as.hitCount('/jwks') >= 2;
      }, { withinMs: ttl + 2000, what: 'the key-set refresh' });
      await until(async () => (await app.call(cachedToken)).status === 401, { withinMs: 500, what: 'the refreshed set to be used' });
      for (let i = 0; i < 5; i++) expectInvalidToken(await app.call(cachedToken), UNKNOWN_KID);
      expectInvalidToken(await app.call(app.token(removed)), UNKNOWN_KID);
      assert.equal((await app.call(app.token(kept))).status, 200, 'the remaining key still verifies');
    } finally {
      await app.close();
      await as.close();
    }
  });

  // A client that reuses one token (the usual MCP pattern) is served from the
  // verified-token cache; those hits must still schedule the key-set refresh,
  // or a removed key would keep working past cacheMaxAge.
  it('a removed key stops verifying by cacheMaxAge even when only the cached token is presented', async () => {
    const ttl = 500;
    const kept = newKey('kept');
    const removed = newKey('removed');
    const as = await startAuthServer({ keys: [kept, removed] });
    const app = await protect(as, { remoteJwkSet: { cacheMaxAge: ttl, cooldownDuration: 100 } });
    try {
      const cachedToken = app.token(removed);
      assert.equal((await app.call(cachedToken)).status, 200);
      as.setKeys([kept]);
      await until(async () => (await app.call(cachedToken)).status === 401, { withinMs: ttl + 1000, what: 'the removed key to stop verifying' });
      assert.ok(as.hitCount('/jwks') >= 2, 'a refresh happened');
    } finally {
      await app.close();
      await as.close();
    }
  });

  it('rotation in one step (new key published, old removed): new tokens work once fetched, old ones stop', async () => {
    const cooldown = 200;
    const oldKey = newKey('rot-old');
    const newer = newKey('rot-new');
    const as = await startAuthServer({ keys: [oldKey] });
    const app = await protect(as, { remoteJwkSet: { cooldownDuration: cooldown }, express: EXPRESS_VERSIONS['express 4'] });
    try {
      const oldToken = app.token(oldKey);
      assert.equal((await app.call(oldToken)).status, 200);
      as.setKeys([newer]);
      await until(async () => (await app.call(app.token(newer))).status === 200, { withinMs: cooldown + 2000, what: 'the new key' });
      expectInvalidToken(await app.call(oldToken), UNKNOWN_KID);
      expectInvalidToken(await app.call(app.token(oldKey)), UNKNOWN_KID);
      assert.ok(as.hitCount('/jwks') <= 3, `${as.hitCount('/jwks')} JWKS fetches`);
    } finally {
      await app.close();
      await as.close();
    }
  });
});
