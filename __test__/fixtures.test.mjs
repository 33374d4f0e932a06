// Self-test for the shared fixtures in __test__/helpers/. If these fail, every
// other test built on them is suspect, so keep this fast and independent of the addon.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';

import {
  b64url, generateKey, signJwt, signRaw, hs256, claims, jwks, unsecuredJwt, jwkThumbprint,
} from './helpers/keys.mjs';
import { startAuthServer, REDIRECT_PREFIX } from './helpers/auth-server.mjs';
import {
  startHttp, rawRequest, headerValues, parseWwwAuthenticate, parseWwwAuthenticateAll,
} from './helpers/http.mjs';

const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

// Verify a compact JWS using only the public JWK, the way a real verifier would.
function verifyWithJwk(token, jwk, alg, { dsaEncoding = 'ieee-p1363' } = {}) {
  const [h, p, sig] = token.split('.');
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(sig, 'base64url');
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  if (alg.startsWith('RS')) return crypto.verify(hash, data, { key, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
  if (alg.startsWith('PS')) {
    const saltLength = Number(alg.slice(2)) / 8; // must equal digest length
    return crypto.verify(hash, data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
  }
  if (alg.startsWith('ES')) return crypto.verify(hash, data, { key, dsaEncoding }, signature);
  return crypto.verify(null, data, key, signature);
}

// Plain node:http GET without connection reuse, so hit counts are deterministic.
function get(url, { timeoutMs = 2000, method = 'GET', maxBytes = Infinity } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (chunks.length < 4) chunks.push(c); // keep only the start of huge bodies
        if (size > maxBytes) {
          req.destroy();
          resolve({ status: res.statusCode, headers: res.headers, size, head: Buffer.concat(chunks).toString(), aborted: true });
        }
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, headers: res.headers, size, body, head: body });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}

describe('keys.mjs', () => {
  it('b64url is unpadded base64url', () => {
    assert.equal(b64url(Buffer.from([0xfb, 0xff])), '-_8');
    assert.equal(b64url('a'), 'YQ');
    assert.equal(b64url(new Uint8Array([0, 0, 0])), 'AAAA');
  });

  for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']) {
    it(`${alg}: token verifies against the exported public JWK`, () => {
      const key = generateKey(alg, { kid: `k-${alg}`, seed: 'selftest' });
      assert.equal(key.kid, `k-${alg}`);
      assert.equal(key.publicJwk.kid, `k-${alg}`);
      assert.equal(key.publicJwk.alg, alg);
      assert.equal(key.publicJwk.use, 'sig');
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.ok(!(priv in key.publicJwk), `leaks ${priv}`);

      const payload = claims({ issuer: 'http://127.0.0.1:1', audience: 'http://127.0.0.1:2/mcp', scope: ['a', 'b'] });
      const token = signJwt(payload, key);
      const [h, p, sig] = token.split('.');
      assert.deepEqual(decode(h), { alg, typ: 'at+jwt', kid: `k-${alg}` });
      assert.deepEqual(decode(p), payload);
      assert.doesNotMatch(token, /[=+/]/);
      assert.ok(verifyWithJwk(token, key.publicJwk, alg), 'signature must verify');

      if (alg.startsWith('ES')) assert.equal(Buffer.from(sig, 'base64url').length, alg === 'ES256' ? 64 : 96);
      if (alg.startsWith('PS')) {
        // Must really be PSS, not PKCS#1 v1.5.
        assert.ok(!verifyWithJwk(token, key.publicJwk, `RS${alg.slice(2)}`));
      }
      // Tampering must break it (sanity check of the verifier above).
      const tampered = `${h}.${b64url(JSON.stringify({ ...payload, sub: 'x' }))}.${sig}`;
      assert.ok(!verifyWithJwk(tampered, key.publicJwk, alg));
    });
  }

  it('RSA keys are cached per (bits, seed) but distinct across seeds', () => {
    const a = generateKey('RS256', { kid: 'cache-a', seed: 'selftest' });
    const b = generateKey('PS256', { kid: 'cache-b', seed: 'selftest' });
    const c = generateKey('RS256', { kid: 'cache-a', seed: 'selftest-other' });
    assert.equal(a.publicJwk.n, b.publicJwk.n);
    assert.notEqual(a.publicJwk.n, c.publicJwk.n);
    assert.equal(a.kid, c.kid);
  });

  it('JWK options: includeAlg, use, kid default/null', () => {
    const k = generateKey('ES256', { includeAlg: false, use: 'enc' });
    assert.ok(!('alg' in k.publicJwk));
    assert.equal(k.publicJwk.use, 'enc');
    assert.equal(k.kid, jwkThumbprint(k.publicJwk));
    const noKid = generateKey('EdDSA', { kid: null, use: null });
    assert.ok(!('kid' in noKid.publicJwk) && !('use' in noKid.publicJwk));
    assert.deepEqual(decode(signJwt({}, noKid).split('.')[0]), { alg: 'EdDSA', typ: 'at+jwt' });
    assert.equal(noKid.publicJwk.crv, 'Ed25519');
  });

  it('signJwt header overrides merge, undefined removes', () => {
    const key = generateKey('ES256', { kid: 'h' });
    const t = signJwt({ a: 1 }, key, { typ: 'JWT', kid: undefined, x5u: 'http://127.0.0.1/' });
    assert.deepEqual(decode(t.split('.')[0]), { alg: 'ES256', typ: 'JWT', x5u: 'http://127.0.0.1/' });
    assert.ok(verifyWithJwk(t, key.publicJwk, 'ES256'));
  });

  it('signRaw keeps exact bytes and can emit DER ECDSA signatures', () => {
    const key = generateKey('ES256', { kid: 'raw' });
    const header = '{"alg":"ES256","kid":"raw","alg":"none"}';
    const t = signRaw(header, '{"sub":"a","sub":"b"}', key, { dsaEncoding: 'der' });
    const [h, p, sig] = t.split('.');
    assert.equal(Buffer.from(h, 'base64url').toString(), header);
    assert.equal(Buffer.from(p, 'base64url').toString(), '{"sub":"a","sub":"b"}');
    assert.equal(Buffer.from(sig, 'base64url')[0], 0x30); // DER SEQUENCE
    assert.ok(verifyWithJwk(t, key.publicJwk, 'ES256', { dsaEncoding: 'der' }));
    assert.ok(!verifyWithJwk(t, key.publicJwk, 'ES256'));
  });

  it('hs256 forges with any secret (e.g. the RSA public key PEM)', () => {
    const key = generateKey('RS256', { kid: 'conf', seed: 'selftest' });
    assert.match(key.publicPem, /^-----BEGIN PUBLIC KEY-----/);
    const t = hs256({ alg: 'HS256', kid: 'conf' }, { sub: 'evil' }, key.publicPem);
    const [h, p, sig] = t.split('.');
    const mac = crypto.createHmac('sha256', key.publicPem).update(`${h}.${p}`).digest('base64url');
    assert.equal(sig, mac);
    assert.equal(unsecuredJwt({ sub: 'x' }).split('.')[2], '');
  });

  it('claims() builds an RFC 9068 claim set', () => {
    const c = claims({ issuer: 'https://as', audience: ['r1', 'r2'], scope: 'read', now: 1000, ttl: 60, extra: 1 });
    assert.deepEqual(Object.keys(c).sort(), ['aud', 'client_id', 'exp', 'extra', 'iat', 'iss', 'jti', 'scope', 'sub']);
    assert.equal(c.exp, 1060);
    assert.equal(c.iat, 1000);
    assert.deepEqual(c.aud, ['r1', 'r2']);
    assert.equal(c.sub, 'user-1');
    assert.equal(c.client_id, 'client-1');
    assert.notEqual(claims().jti, claims().jti);
    const d = claims({ issuer: 'x', exp: undefined, sub: 'u2' });
    assert.ok(!('exp' in d) && !('scope' in d) && !('aud' in d));
    assert.equal(d.sub, 'u2');
  });
});

describe('auth-server.mjs', () => {
  let as;
  let key;
  before(async () => {
    key = generateKey('ES256', { kid: 'as-1' });
    as = await startAuthServer({ issuerPath: '/oidc', keys: [key] });
  });
  after(() => as.close());

  it('serves RFC 8414 and OIDC discovery plus JWKS, counting hits', async () => {
    as.resetHits();
    assert.match(as.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(as.issuer, `${as.url}/oidc`);
    for (const path of ['/.well-known/oauth-authorization-server/oidc', '/oidc/.well-known/openid-configuration']) {
      const r = await get(as.url + path);
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /^application\/json/);
      const doc = JSON.parse(r.body);
      assert.equal(doc.issuer, as.issuer);
      assert.equal(doc.jwks_uri, as.jwksUri);
      assert.deepEqual(doc.response_types_supported, ['code']);
      assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
      for (const k of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'grant_types_supported',
        'scopes_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) assert.ok(k in doc, k);
    }
    // The path-inserted OIDC variant is off unless asked for.
    assert.equal((await get(`${as.url}/.well-known/openid-configuration/oidc`)).status, 404);

    const j = JSON.parse((await get(as.jwksUri)).body);
    assert.deepEqual(j, jwks(key));
    await get(as.jwksUri);
    assert.equal(as.hitCount('/jwks'), 2);
    assert.equal(as.hitCount(as.jwksUri), 2);
    assert.equal(as.hitCount(as.paths.oauth), 1);
    assert.equal(as.hitCount('/.well-known/openid-configuration/oidc'), 1);
    assert.equal(as.hitCount(), 5);
    as.resetHits();
    assert.equal(as.hitCount('/jwks'), 0);
  });

  it('metadata override (object and function), oidc-path-inserted, root issuer', async () => {
    const s = await startAuthServer({
      serve: ['oidc-path-inserted', 'oauth'],
      issuerPath: '/t1',
      metadata: { scopes_supported: ['x'], registration_endpoint: undefined, extra: true },
    });
    try {
      const doc = JSON.parse((await get(`${s.url}/.well-known/openid-configuration/t1`)).body);
      assert.deepEqual(doc.scopes_supported, ['x']);
      assert.equal(doc.extra, true);
      assert.ok(!('registration_endpoint' in doc));
      assert.equal((await get(`${s.url}/t1/.well-known/openid-configuration`)).status, 404);
      s.setMetadata((d) => ({ ...d, issuer: 'http://127.0.0.1:1/evil' }));
      assert.equal(JSON.parse((await get(s.url + s.paths.oauth)).body).issuer, 'http://127.0.0.1:1/evil');
    } finally {
      await s.close();
    }
    const root = await startAuthServer();
    try {
      assert.equal(root.issuer, root.url);
      assert.equal(JSON.parse((await get(`${root.url}/.well-known/oauth-authorization-server`)).body).issuer, root.url);
      assert.equal(JSON.parse((await get(root.jwksUri)).body).keys.length, 0);
    } finally {
      await root.close();
    }
  });

  it('setKeys rotates, setJwks serves arbitrary bodies', async () => {
    const k2 = generateKey('EdDSA', { kid: 'as-2' });
    as.setKeys([key, k2]);
    assert.deepEqual(JSON.parse((await get(as.jwksUri)).body).keys.map((k) => k.kid), ['as-1', 'as-2']);
    as.setJwks('{"keys":[{"kty":"EC","kid":"dup"},{"kty":"EC","kid":"dup"}]}');
    assert.equal((await get(as.jwksUri)).body, '{"keys":[{"kty":"EC","kid":"dup"},{"kty":"EC","kid":"dup"}]}');
    as.setJwks({ keys: [] });
    assert.deepEqual(JSON.parse((await get(as.jwksUri)).body), { keys: [] });
    as.setKeys([key]);
    assert.deepEqual(JSON.parse((await get(as.jwksUri)).body), jwks(key));
  });

  it('setHeaders adds headers to normal responses', async () => {
    as.setHeaders('/jwks', { 'cache-control': 'max-age=60' });
    assert.equal((await get(as.jwksUri)).headers['cache-control'], 'max-age=60');
    as.setHeaders('/jwks', null);
    assert.equal((await get(as.jwksUri)).headers['cache-control'], undefined);
  });

  describe('faults', () => {
    const J = '/jwks';
    const withFault = async (fault, fn) => {
      as.resetHits();
      as.setFault(J, fault);
      try {
        await fn();
      } finally {
        as.setFault(J, null);
      }
      assert.ok(as.hitCount(J) >= 1, 'faulted requests are counted');
    };

    it("'down' drops the connection without a response", () =>
      withFault('down', async () => {
        await assert.rejects(get(as.jwksUri), (e) => e.code === 'ECONNRESET' || /hang up/.test(e.message));
        assert.equal(as.hitCount(J), 1);
      }));

    it("'hang' never answers, and close() still finishes fast", async () => {
      const s = await startAuthServer({ keys: [key], faults: { '/jwks': 'hang' } });
      await assert.rejects(get(s.jwksUri, { timeoutMs: 150 }), { code: 'TIMEOUT' });
      // Leave one request hanging while closing.
      const pending = get(s.jwksUri, { timeoutMs: 5000 }).catch((e) => e);
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      await s.close();
      assert.ok(Date.now() - t0 < 500, `close took ${Date.now() - t0} ms`);
      assert.ok((await pending) instanceof Error);
      assert.equal(s.hitCount('/jwks'), 2);
    });

    it("'html' is a 200 text/html page", () =>
      withFault('html', async () => {
        const r = await get(as.jwksUri);
        assert.equal(r.status, 200);
        assert.match(r.headers['content-type'], /^text\/html/);
        assert.throws(() => JSON.parse(r.body));
      }));

    for (const status of [404, 500, 503]) {
      it(`{ status: ${status} }`, () =>
        withFault({ status }, async () => assert.equal((await get(as.jwksUri)).status, status)));
    }

    it("'redirect-other-host' points at localhost on the same port", () =>
      withFault('redirect-other-host', async () => {
        const r = await get(as.jwksUri);
        assert.equal(r.status, 302);
        assert.equal(r.headers.location, `http://localhost:${as.port}/jwks`);
      }));

    it("'redirect-same-origin' points at a same-origin URL serving the real document", () =>
      withFault('redirect-same-origin', async () => {
        const r = await get(as.jwksUri);
        assert.equal(r.status, 302);
        assert.equal(r.headers.location, `${as.url}${REDIRECT_PREFIX}/jwks`);
        const followed = await fetch(as.jwksUri); // fetch follows redirects
        assert.deepEqual(await followed.json(), jwks(key));
        assert.equal(as.hitCount(`${REDIRECT_PREFIX}/jwks`), 1);
      }));

    for (const [fault, body] of [['empty-object', '{}'], ['array', '[]'], ['not-json', null]]) {
      it(`'${fault}'`, () =>
        withFault(fault, async () => {
          const r = await get(as.jwksUri);
          assert.equal(r.status, 200);
          assert.match(r.headers['content-type'], /^application\/json/);
          if (body) assert.equal(r.body, body);
          else assert.throws(() => JSON.parse(r.body));
        }));
    }

    it('{ bigBody } streams exactly that many bytes, chunked by default', () =>
      withFault({ bigBody: 3 * 1024 * 1024 + 7 }, async () => {
        const r = await get(as.jwksUri);
        assert.equal(r.size, 3 * 1024 * 1024 + 7);
        assert.equal(r.headers['content-length'], undefined);
        assert.match(r.head, /^\{"keys":\[\{"kty":"RSA"/);
      }));

    it('{ bigBody, contentLength: true } declares the size; client abort is tolerated', () =>
      withFault({ bigBody: 50 * 1024 * 1024, contentLength: true }, async () => {
        const r = await get(as.jwksUri, { maxBytes: 256 * 1024 });
        assert.equal(r.headers['content-length'], String(50 * 1024 * 1024));
        assert.ok(r.aborted);
        // Server is still healthy afterwards.
        as.setFault(J, null);
        assert.equal((await get(as.jwksUri)).status, 200);
      }));

    it('{ delayMs } answers normally after the delay', () =>
      withFault({ delayMs: 150 }, async () => {
        const t0 = Date.now();
        const r = await get(as.jwksUri);
        assert.ok(Date.now() - t0 >= 140);
        assert.deepEqual(JSON.parse(r.body), jwks(key));
      }));

    it('{ body, contentType, status } is sent raw; delayMs combines', () =>
      withFault({ body: 'nope', contentType: 'text/plain', status: 418, delayMs: 20 }, async () => {
        const r = await get(as.jwksUri);
        assert.equal(r.status, 418);
        assert.equal(r.headers['content-type'], 'text/plain');
        assert.equal(r.body, 'nope');
      }));

    it("'*' applies to every path, exact path wins, times: n expires", async () => {
      as.resetHits();
      as.setFault('*', { status: 500 });
      as.setFault(as.paths.oidc, { type: 'array', times: 1 });
      try {
        assert.equal((await get(as.jwksUri)).status, 500);
        assert.equal((await get(as.url + as.paths.oauth)).status, 500);
        assert.equal((await get(as.url + as.paths.oidc)).body, '[]');
        assert.equal((await get(as.url + as.paths.oidc)).status, 500); // one-shot expired, '*' again
      } finally {
        as.clearFaults();
      }
      assert.equal((await get(as.jwksUri)).status, 200);
      assert.equal(as.hitCount(as.paths.oidc), 2);
      assert.equal(as.hitCount(), 5);
    });

    it('rejects unknown faults', () => {
      assert.throws(() => as.setFault(J, 'explode'));
      assert.throws(() => as.setFault(J, { bigBody: -1 }));
    });
  });
});

describe('http.mjs', () => {
  let srv;
  before(async () => {
    srv = await startHttp((req, res) => {
      if (req.url === '/chunked') {
        res.setHeader('x-dup', ['a', 'b']);
        res.write('hel');
        res.end('lo');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ rawHeaders: req.rawHeaders, url: req.url }));
    });
  });
  after(() => srv.close());

  it('rawRequest sends exact bytes (duplicate Authorization headers)', async () => {
    const r = await rawRequest(
      srv.port,
      'GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n',
    );
    assert.equal(r.status, 200);
    const { rawHeaders } = JSON.parse(r.body);
    assert.deepEqual(rawHeaders.slice(2), ['Authorization', 'Bearer a', 'authorization', 'Bearer b']);
    assert.deepEqual(headerValues(r.headers, 'Content-Type'), ['application/json']);
  });

  it('rawRequest decodes chunked bodies and keeps duplicate response headers', async () => {
    const r = await rawRequest(srv.port, 'GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(r.body, 'hello');
    assert.deepEqual(headerValues(r.headers, 'x-dup'), ['a', 'b']);
    const head = await rawRequest(srv.port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('rawRequest reports malformed-request 400s from the server', async () => {
    const r = await rawRequest(srv.port, 'GET / HTTP/1.1\r\nBad Header\r\n\r\n');
    assert.equal(r.status, 400);
  });

  it('startHttp close() ends keep-alive sockets promptly', async () => {
    const s = await startHttp((req, res) => res.end('ok'));
    assert.equal((await fetch(s.url)).status, 200); // leaves a pooled keep-alive socket
    const t0 = Date.now();
    await s.close();
    assert.ok(Date.now() - t0 < 500);
  });

  describe('parseWwwAuthenticate', () => {
    const valid = [
      ['Bearer', { scheme: 'Bearer', params: {} }],
      ['Bearer realm="mcp", error="invalid_token", error_description="The access token expired"',
        { scheme: 'Bearer', params: { realm: 'mcp', error: 'invalid_token', error_description: 'The access token expired' } }],
      ['Bearer resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource"',
        { scheme: 'Bearer', params: { resource_metadata: 'http://127.0.0.1:3000/.well-known/oauth-protected-resource' } }],
      ['Bearer error=insufficient_scope,scope="a b"', { scheme: 'Bearer', params: { error: 'insufficient_scope', scope: 'a b' } }],
      ['Bearer error_description="say \\"hi\\" \\\\ ok"', { scheme: 'Bearer', params: { error_description: 'say "hi" \\ ok' } }],
      ['Bearer  Realm = "x" ,\terror=""', { scheme: 'Bearer', params: { realm: 'x', error: '' } }],
      ['Basic dXNlcjpwYXNz==', { scheme: 'Basic', params: {}, token68: 'dXNlcjpwYXNz==' }],
      // Grammar quirk: "realm=" is a valid token68, not an auth-param with a missing value.
      ['Bearer realm=', { scheme: 'Bearer', params: {}, token68: 'realm=' }],
    ];
    for (const [header, expected] of valid) {
      it(`parses ${JSON.stringify(header)}`, () => assert.deepEqual(parseWwwAuthenticate(header), expected));
    }

    it('parses several challenges with parseWwwAuthenticateAll', () => {
      const all = parseWwwAuthenticateAll('Basic realm="a", Bearer realm="b", error="x", Negotiate');
      assert.deepEqual(all.map((c) => c.scheme), ['Basic', 'Bearer', 'Negotiate']);
      assert.deepEqual(all[1].params, { realm: 'b', error: 'x' });
      assert.throws(() => parseWwwAuthenticate('Basic realm="a", Bearer realm="b"'), /expected one challenge/);
    });

    const invalid = [
      '',
      '   ',
      'Bearer realm="unterminated',
      'Bearer realm="a" error="b"',
      'Bearer realm="a", realm="b"',
      'Bearer realm="a", REALM="b"',
      'Bearer realm="a",, error="b"',
      'Bearer realm="a",',
      'Bearer realm=, error="x"',
      'Bearer realm=a b',
      'Bearer realm="a\x01"',
      'Bearer realm="a\\',
      'Bearer, realm="a"',
      '"Bearer"',
      'Bearer\trealm="a"',
      'Bearer realm="a"; error="b"',
      'Bearer realm="\u0100"',
    ];
    for (const header of invalid) {
      it(`rejects ${JSON.stringify(header)}`, () => assert.throws(() => parseWwwAuthenticate(header), SyntaxError));
    }
  });
});
