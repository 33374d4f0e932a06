// bearerAuth('jwt') over real HTTP, row by row of the on-the-wire table
// (issue 3; spec C1-C12), under Express 5 and Express 4. Headers are compared
// byte for byte and parsed with the strict RFC 9110 parser.

import { describe, it, before, after } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';

import { MCPAuth, fetchServerConfig, MCPAuthAuthServerError } from 'mcp-auth-rs';
import { generateKey, signJwt, claims, unsecuredJwt, hs256 } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { parseWwwAuthenticate } from './helpers/http.mjs';
import { EXPRESS_VERSIONS, serveApp, send, single, hasHeader, jsonBody } from './helpers/app.mjs';

const RESOURCE = 'http://localhost:3001/mcp';
const PRM = 'http://localhost:3001/.well-known/oauth-protected-resource/mcp';
const SCOPES = ['mcp:read', 'mcp:write'];
const JSON_TYPE = 'application/json; charset=utf-8';

const bare = `Bearer resource_metadata="${PRM}"`;
const bareScoped = `${bare}, scope="mcp:read mcp:write"`;
const invalidRequest = (description) =>
  `Bearer error="invalid_request", error_description="${description}", resource_metadata="${PRM}"`;
const invalidToken = (description, scope) =>
  `Bearer error="invalid_token", error_description="${description}", resource_metadata="${PRM}"${scope ? `, scope="${scope}"` : ''}`;
const MALFORMED_HEADER = 'The Authorization header must hold one Bearer token.';

const echoAuth = (req, res) =>
  res.json({ auth: { ...req.auth, resource: req.auth.resource?.href }, authorization: req.headers.authorization ?? null });

for (const [label, express] of Object.entries(EXPRESS_VERSIONS)) {
  describe(`bearerAuth('jwt') on the wire (${label})`, () => {
    let as;
    let server;
    let key;
    const events = [];
    const token = (extra = {}, signingKey = key, header = {}) =>
      signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ...extra }), signingKey, header);
    const get = (path, headers = []) => send(server, { path, headers });
    const withToken = (path, value) => get(path, [['Authorization', `Bearer ${value}`]]);

    before(async () => {
      key = generateKey('RS256', { kid: 'wire' });
      as = await startAuthServer({ keys: [key] });
      const mcpAuth = new MCPAuth({
        protectedResources: {
          metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })], scopesSupported: SCOPES },
          // Exact Bearer challenges here; the DPoP ones are dpop.test.mjs's.
          dpop: 'off',
        },
        onAuthEvent: (event) => events.push(event),
      });
      server = await serveApp(express, (app) => {
        app.use(mcpAuth.protectedResourceMetadataRouter());
        app.get('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), echoAuth);
        app.get('/scoped', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, requiredScopes: SCOPES }), echoAuth);
        app.get('/details', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, showErrorDetails: true }), echoAuth);
        app.get('/strip', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, stripAuthorizationHeader: true }), echoAuth);
        app.all('/cors', mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), (req, res) => res.status(204).end());
        app.get('/exposing', (req, res, next) => {
          res.setHeader('Access-Control-Expose-Headers', 'Mcp-Session-Id');
          next();
        }, mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), echoAuth);
        app.use(mcpAuth.bearerAuth('jwt', { resource: RESOURCE }));
        app.get('/after-global', echoAuth);
      });
    });
    after(async () => {
      await server?.close();
      await as?.close();
    });

    it('adds WWW-Authenticate to headers the app already exposes, keeping them', async () => {
      const res = await get('/exposing');
      assert.equal(res.status, 401);
      assert.equal(single(res, 'access-control-expose-headers'), 'Mcp-Session-Id, WWW-Authenticate');
    });

    it('no Authorization header: 401 bare challenge with resource_metadata, no error', async () => {
      const res = await get('/mcp');
      assert.equal(res.status, 401);
      assert.equal(single(res, 'www-authenticate'), bare);
      assert.deepEqual(parseWwwAuthenticate(single(res, 'www-authenticate')), { scheme: 'Bearer', params: { resource_metadata: PRM } });
      assert.equal(single(res, 'access-control-expose-headers'), 'WWW-Authenticate');
      assert.equal(single(res, 'content-type'), JSON_TYPE);
      assert.deepEqual(JSON.parse(res.body), {
        error: 'missing_auth_header',
        error_description: 'Missing `Authorization` header. Please provide a valid bearer token.',
      });
    });

    it('no Authorization header on a scoped route: the bare challenge names the scopes', async () => {
      const res = await get('/scoped');
      assert.equal(res.status, 401);
      assert.equal(single(res, 'www-authenticate'), bareScoped);
    });

    for (const credentials of ['Basic dXNlcjpwYXNz', 'DPoP abc.def.ghi', 'Digest username="a"', 'Bearerx tok']) {
      it(`unsupported scheme (${credentials.split(' ')[0]}): 401 bare challenge`, async () => {
        const res = await get('/mcp', [['Authorization', credentials]]);
        assert.equal(res.status, 401);
        assert.equal(single(res, 'www-authenticate'), bare);
        assert.equal(jsonBody(res).error, 'invalid_auth_header_format');
      });
    }

    for (const scheme of ['bearer', 'BEARER', 'Bearer  ']) {
      it(`accepts the scheme written ${JSON.stringify(scheme)} (case-insensitive, 1*SP)`, async () => {
        const res = await get('/mcp', [['Authorization', `${scheme} ${token()}`]]);
        assert.equal(res.status, 200);
      });
    }

    const malformed = {
      'two tokens': 'Bearer a b',
      'a comma': 'Bearer abc,def',
      'a quoted token': 'Bearer "abc"',
      'a tab separator': 'Bearer\tabc',
      'non-ASCII': 'Bearer ab\u00e9cd',
    };
    for (const [what, value] of Object.entries(malformed)) {
      it(`malformed header (${what}): 400 invalid_request`, async () => {
        const res = await get('/mcp', [['Authorization', value]]);
        assert.equal(res.status, 400);
        assert.equal(single(res, 'www-authenticate'), invalidRequest(MALFORMED_HEADER));
        parseWwwAuthenticate(single(res, 'www-authenticate'));
        assert.deepEqual(jsonBody(res), { error: 'invalid_request', error_description: MALFORMED_HEADER });
      });
    }

    it('"Bearer" with no token: no credentials, so the bare 401 (a client starts authorization)', async () => {
      for (const value of ['Bearer', 'Bearer    ']) {
        const res = await get('/scoped', [['Authorization', value]]);
        assert.equal(res.status, 401);
        assert.equal(single(res, 'www-authenticate'), bareScoped);
        assert.equal(jsonBody(res).error, 'missing_bearer_token');
      }
    });

    it('a token of b64token characters that is no JWS (= inside, + or /): 401 invalid_token', async () => {
      for (const value of ['ab==cd', 'a+b/c', 'abc.d=ef.ghi']) {
        const res = await withToken('/mcp', value);
        assert.equal(res.status, 401, value);
        assert.equal(single(res, 'www-authenticate'), invalidToken('The access token is malformed.'));
      }
    });

    it('duplicate Authorization headers: 400 invalid_request, even when both are valid', async () => {
      const res = await get('/mcp', [['Authorization', `Bearer ${token()}`], ['authorization', `Bearer ${token()}`]]);
      assert.equal(res.status, 400);
      assert.equal(single(res, 'www-authenticate'), invalidRequest('Only one Authorization header is allowed.'));
    });

    for (const path of ['/mcp?access_token=abc', '/mcp?x=1&access%5Ftoken=abc']) {
      it(`token in the query string (${path}): 400 invalid_request, with or without a header`, async () => {
        const expected = invalidRequest('Access tokens are not accepted in the query string.');
        const alone = await get(path);
        assert.equal(alone.status, 400);
        assert.equal(single(alone, 'www-authenticate'), expected);
        const withHeader = await get(path, [['Authorization', `Bearer ${token()}`]]);
        assert.equal(withHeader.status, 400);
        assert.equal(single(withHeader, 'www-authenticate'), expected);
      });
    }

    it('token over 8 KiB: 401 invalid_token before any parsing; 8 KiB exactly is parsed', async () => {
      const tooLarge = await withToken('/mcp', 'a'.repeat(8193));
      assert.equal(tooLarge.status, 401);
      assert.equal(single(tooLarge, 'www-authenticate'), invalidToken('The access token is too large.'));
      const atLimit = await withToken('/mcp', 'a'.repeat(8192));
      assert.equal(atLimit.status, 401);
      assert.equal(single(atLimit, 'www-authenticate'), invalidToken('The access token is malformed.'));
    });

    it('valid token: next() with req.auth as MCP SDK AuthInfo plus issuer, subject, audience, claims', async () => {
      const value = token({ scope: 'mcp:read mcp:write', sub: 'alice', client_id: 'app-1' });
      const res = await withToken('/mcp', value);
      assert.equal(res.status, 200);
      const { auth, authorization } = jsonBody(res);
      const payload = JSON.parse(Buffer.from(value.split('.')[1], 'base64url'));
      assert.deepEqual(auth, {
        issuer: as.issuer,
        clientId: 'app-1',
        scopes: ['mcp:read', 'mcp:write'],
        token: value,
        audience: RESOURCE,
        claims: payload,
        expiresAt: payload.exp,
        subject: 'alice',
        resource: RESOURCE,
        // No scopeHierarchy: the effective scopes are the granted ones.
        effectiveScopes: ['mcp:read', 'mcp:write'],
        resourceMetadataUrl: 'http://localhost:3001/.well-known/oauth-protected-resource/mcp',
      });
      assert.equal(authorization, `Bearer ${value}`);
    });

    it('clientId falls back to azp, scopes come from scp when scope is absent', async () => {
      const res = await withToken('/mcp', token({ client_id: undefined, azp: 'azp-app', scope: undefined, scp: ['a', 'b'] }));
      assert.equal(res.status, 200);
      const { auth } = jsonBody(res);
      assert.equal(auth.clientId, 'azp-app');
      assert.deepEqual(auth.scopes, ['a', 'b']);
    });

    const now = Math.floor(Date.now() / 1000);
    const invalid = {
      'a bad signature': () => token({}, generateKey('RS256', { kid: 'wire', seed: 'other-key' })),
      'an expired token': () => token({ exp: now - 120 }),
      'a token not valid yet': () => token({ nbf: now + 3600 }),
      'an untrusted issuer': () => token({ iss: 'https://evil.example' }),
      'another audience': () => token({ aud: 'https://other.example/mcp' }),
      'a trailing-slash audience': () => token({ aud: `${RESOURCE}/` }),
      'no exp': () => token({ exp: undefined }),
      'alg none': () => unsecuredJwt(claims({ issuer: as.issuer, audience: RESOURCE })),
      'HS256 with the public key': () => hs256({ alg: 'HS256', kid: 'wire' }, claims({ issuer: as.issuer, audience: RESOURCE }), key.publicPem),
      'an id_token typ': () => token({}, key, { typ: 'id_token+jwt' }),
      'a non-JWT string': () => 'not-a-jwt',
    };
    const descriptions = {
      'a bad signature': 'The access token signature is invalid.',
      'an expired token': 'The access token has expired.',
      'a token not valid yet': 'The access token is not valid yet.',
      'an untrusted issuer': 'The access token issuer is not trusted.',
      'another audience': 'The access token is not intended for this resource.',
      'a trailing-slash audience': 'The access token is not intended for this resource.',
    };
    for (const [what, make] of Object.entries(invalid)) {
      it(`${what}: 401 invalid_token with a fixed description and no token content`, async () => {
        const value = make();
        const res = await withToken('/mcp', value);
        assert.equal(res.status, 401);
        const challenge = single(res, 'www-authenticate');
        const { params } = parseWwwAuthenticate(challenge);
        assert.equal(params.error, 'invalid_token');
        assert.equal(params.resource_metadata, PRM);
        assert.match(params.error_description, /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
        if (descriptions[what]) assert.equal(challenge, invalidToken(descriptions[what]));
        const body = jsonBody(res);
        assert.deepEqual(body, { error: 'invalid_token', error_description: params.error_description });
        for (const part of value.split('.').filter((p) => p.length > 8)) {
          assert.ok(!res.body.includes(part) && !challenge.includes(part), 'token content echoed');
        }
      });
    }

    it('audiences compare as URLs: scheme and host case and a default port do not matter', async () => {
      for (const aud of ['HTTP://LOCALHOST:3001/mcp', 'http://localhost:3001/mcp', ['https://other', 'http://Localhost:3001/mcp']]) {
        const res = await withToken('/mcp', token({ aud }));
        assert.equal(res.status, 200, JSON.stringify(aud));
      }
    });

    it('validity before scopes: an expired token lacking scopes is 401 invalid_token, not 403', async () => {
      const res = await withToken('/scoped', token({ scope: 'other', exp: now - 120 }));
      assert.equal(res.status, 401);
      assert.equal(single(res, 'www-authenticate'), invalidToken('The access token has expired.', 'mcp:read mcp:write'));
    });

    it('insufficient scope: 403 with every required scope and resource_metadata', async () => {
      const res = await withToken('/scoped', token({ scope: 'mcp:read' }));
      assert.equal(res.status, 403);
      const challenge = single(res, 'www-authenticate');
      assert.equal(
        challenge,
        `Bearer error="insufficient_scope", error_description="The token does not contain the necessary scopes for this request.", resource_metadata="${PRM}", scope="mcp:read mcp:write"`,
      );
      assert.deepEqual(parseWwwAuthenticate(challenge).params.scope.split(' '), SCOPES);
      assert.equal(single(res, 'access-control-expose-headers'), 'WWW-Authenticate');
      assert.deepEqual(jsonBody(res), {
        error: 'insufficient_scope',
        error_description: 'The token does not contain the necessary scopes for this request.',
        missing_scopes: ['mcp:write'],
      });
      const ok = await withToken('/scoped', token({ scope: 'mcp:write other mcp:read' }));
      assert.equal(ok.status, 200);
    });

    it('scope matching is exact and case-sensitive', async () => {
      const res = await withToken('/scoped', token({ scope: 'MCP:READ mcp:write' }));
      assert.equal(res.status, 403);
      assert.deepEqual(jsonBody(res).missing_scopes, ['mcp:read']);
    });

    it('showErrorDetails adds the reason code, never the token payload', async () => {
      const value = token({ exp: now - 120, sub: 'secret-subject', jti: 'secret-jti' });
      const res = await withToken('/details', value);
      assert.equal(res.status, 401);
      const body = jsonBody(res);
      assert.equal(body.error, 'invalid_token');
      assert.equal(body.cause.code, 'expired');
      assert.equal(typeof body.cause.reason, 'string');
      assert.ok(!res.body.includes('secret-subject') && !res.body.includes('secret-jti'));
    });

    it('CORS preflight to a protected route passes through unchallenged; a plain OPTIONS does not', async () => {
      const preflight = await send(server, {
        method: 'OPTIONS',
        path: '/cors',
        headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']],
      });
      assert.equal(preflight.status, 204);
      const plain = await send(server, { method: 'OPTIONS', path: '/cors' });
      assert.equal(plain.status, 401);
    });

    it('stripAuthorizationHeader removes the token before the handler runs', async () => {
      const res = await withToken('/strip', token());
      assert.equal(res.status, 200);
      assert.equal(jsonBody(res).authorization, null);
    });

    it('the PRM route stays public when bearerAuth is mounted app-wide after it', async () => {
      const prm = await get('/.well-known/oauth-protected-resource/mcp');
      assert.equal(prm.status, 200);
      const guarded = await get('/after-global');
      assert.equal(guarded.status, 401);
    });

    it('a key-set refresh is reported once to onAuthEvent, naming the issuer, though six middlewares share it', () => {
      const refreshes = events.filter((e) => e.type === 'jwks_refreshed');
      assert.equal(refreshes.length, 1);
      assert.deepEqual(
        { issuer: refreshes[0].issuer, jwksUri: refreshes[0].jwksUri, keyCount: refreshes[0].keyCount },
        { issuer: as.issuer, jwksUri: as.jwksUri, keyCount: 1 },
      );
    });

    it('events: accepted/rejected carry codes and a token id, never the token', async () => {
      events.length = 0;
      const value = token({ jti: 'event-jti' });
      await withToken('/mcp', value);
      await withToken('/mcp', token({ exp: now - 120 }));
      await get('/mcp');
      await withToken('/scoped', token({ scope: 'mcp:read' }));
      const summary = events.filter((e) => e.type === 'accepted' || e.type === 'rejected')
        .map((e) => (e.type === 'accepted' ? [e.type, e.tokenId, e.resource] : [e.type, e.status, e.error, e.reason]));
      assert.deepEqual(summary, [
        // Derived from the token itself, never its jti (issue 20, item 8).
        ['accepted', `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`, RESOURCE],
        ['rejected', 401, 'invalid_token', 'expired'],
        ['rejected', 401, undefined, 'missing_authorization'],
        ['rejected', 403, 'insufficient_scope', 'insufficient_scope'],
      ]);
      assert.ok(!JSON.stringify(events).includes(value.split('.')[2]));
    });
  });
}

describe('bearerAuth: infrastructure failures are 503, never invalid_token', () => {
  const retryAfter = (res) => Number(single(res, 'retry-after'));

  const events = [];

  async function scenario({ faults, discovery = false }) {
    const key = generateKey('ES256', { kid: 'infra' });
    const as = await startAuthServer({ keys: [key] });
    const authServer = discovery ? { issuer: as.issuer, type: 'oidc' } : await fetchServerConfig(as.issuer, { type: 'oidc' });
    for (const [path, fault] of Object.entries(faults(as))) as.setFault(path, fault);
    const mcpAuth = new MCPAuth({
      protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [authServer] } },
      onAuthEvent: (event) => events.push(event),
    });
    const server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) =>
      app.get('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, remoteJwkSet: { timeoutDuration: 500 } }), echoAuth));
    const value = signJwt(claims({ issuer: as.issuer, audience: RESOURCE }), key);
    const res = await send(server, { path: '/mcp', headers: [['Authorization', `Bearer ${value}`]] });
    await server.close();
    await as.close();
    return res;
  }

  const expectServiceUnavailable = (res) => {
    assert.equal(res.status, 503);
    assert.ok(retryAfter(res) > 0);
    assert.equal(hasHeader(res, 'www-authenticate'), false);
    assert.deepEqual(jsonBody(res), {
      error: 'server_error',
      error_description: 'The authorization server is temporarily unavailable. Retry later.',
    });
  };

  for (const fault of ['down', 'html', 'not-json', { status: 500 }]) {
    it(`JWKS ${JSON.stringify(fault)} with nothing cached: 503 + Retry-After`, async () => {
      expectServiceUnavailable(await scenario({ faults: (as) => ({ [as.paths.jwks]: fault }) }));
    });
  }

  it('reports the outage as jwks_unavailable and the request as rejected with 503', async () => {
    events.length = 0;
    expectServiceUnavailable(await scenario({ faults: (as) => ({ [as.paths.jwks]: 'down' }) }));
    // Key-set events are queued from the addon's threads, so they may trail the response.
    for (let waited = 0; !events.some((e) => e.type === 'jwks_unavailable') && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const outage = events.find((e) => e.type === 'jwks_unavailable');
    assert.ok(outage && typeof outage.issuer === 'string' && typeof outage.reason === 'string');
    const rejected = events.filter((e) => e.type === 'rejected');
    assert.deepEqual(rejected.map((e) => [e.status, e.error, e.reason]), [[503, 'server_error', 'jwks_unavailable']]);
  });

  it('JWKS timing out: 503', async () => {
    expectServiceUnavailable(await scenario({ faults: (as) => ({ [as.paths.jwks]: 'hang' }) }));
  });

  it('discovery unreachable for a lazily discovered server: 503', async () => {
    expectServiceUnavailable(await scenario({ discovery: true, faults: () => ({ '*': 'down' }) }));
  });

  it('discovered metadata naming another issuer is never used: 503, not a verdict on the token', async () => {
    const forged = { body: { issuer: 'https://evil.example', jwks_uri: 'https://evil.example/jwks' } };
    expectServiceUnavailable(
      await scenario({ discovery: true, faults: (as) => ({ [as.paths.oauth]: forged, [as.paths.oidc]: forged }) }),
    );
  });

  it("a resolved server without jwks_uri fails at bearerAuth('jwt') setup, not per request", async () => {
    const mcpAuth = new MCPAuth({
      protectedResources: {
        metadata: {
          resource: RESOURCE,
          authorizationServers: [{
            type: 'oauth',
            metadata: {
              issuer: 'https://as.example', authorizationEndpoint: 'https://as.example/a', tokenEndpoint: 'https://as.example/t',
              responseTypesSupported: ['code'], codeChallengeMethodsSupported: ['S256'], registrationEndpoint: 'https://as.example/r',
            },
          }],
        },
      },
    });
    assert.throws(() => mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), (error) =>
      error instanceof MCPAuthAuthServerError && error.code === 'missing_jwks_uri');
    assert.equal(typeof mcpAuth.bearerAuth(() => ({}), { resource: RESOURCE }), 'function');
  });
});

describe('bearerAuth with several resources', () => {
  let servers;
  let asA;
  let asB;
  let keyA;
  const A = 'https://a.example.com/mcp';
  const B = 'https://b.example.com/tools/mcp';

  before(async () => {
    keyA = generateKey('RS256', { kid: 'res-a' });
    asA = await startAuthServer({ keys: [keyA] });
    asB = await startAuthServer({ keys: [generateKey('ES256', { kid: 'res-b' })] });
    const mcpAuth = new MCPAuth({
      protectedResources: [
        { metadata: { resource: A, authorizationServers: [await fetchServerConfig(asA.issuer, { type: 'oauth' })], scopesSupported: ['a'] } },
        { metadata: { resource: B, authorizationServers: [{ issuer: asB.issuer, type: 'oauth' }], scopesSupported: ['b'] } },
      ],
    });
    servers = await serveApp(EXPRESS_VERSIONS['express 4'], (app) => {
      app.use(mcpAuth.protectedResourceMetadataRouter());
      app.get('/a', mcpAuth.bearerAuth('jwt', { resource: A }), echoAuth);
      app.get('/b', mcpAuth.bearerAuth('jwt', { resource: B }), echoAuth);
    });
  });
  after(async () => {
    await servers?.close();
    await asA?.close();
    await asB?.close();
  });

  it("each route trusts only its own resource's issuers and audience, and names its own PRM", async () => {
    const forA = signJwt(claims({ issuer: asA.issuer, audience: A }), keyA);
    const a = await send(servers, { path: '/a', headers: [['Authorization', `Bearer ${forA}`]] });
    assert.equal(a.status, 200);
    const b = await send(servers, { path: '/b', headers: [['Authorization', `Bearer ${forA}`]] });
    assert.equal(b.status, 401);
    assert.equal(parseWwwAuthenticate(single(b, 'www-authenticate')).params.resource_metadata,
      'https://b.example.com/.well-known/oauth-protected-resource/tools/mcp');
    const wrongAudience = signJwt(claims({ issuer: asA.issuer, audience: B }), keyA);
    assert.equal((await send(servers, { path: '/a', headers: [['Authorization', `Bearer ${wrongAudience}`]] })).status, 401);
  });

  it('serves one PRM document per resource at its path-aware URL', async () => {
    const a = jsonBody(await send(servers, { path: '/.well-known/oauth-protected-resource/mcp' }));
    const b = jsonBody(await send(servers, { path: '/.well-known/oauth-protected-resource/tools/mcp' }));
    assert.deepEqual([a.resource, a.authorization_servers], [A, [asA.issuer]]);
    assert.deepEqual([b.resource, b.authorization_servers], [B, [asB.issuer]]);
  });
});

describe('bearerAuth audience defaults', () => {
  let as;
  let key;
  before(async () => {
    key = generateKey('RS256', { kid: 'aud' });
    as = await startAuthServer({ keys: [key] });
  });
  after(() => as?.close());

  const run = async (resource, options, aud) => {
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource, authorizationServers: [{ issuer: as.issuer, type: 'oidc' }] } } });
    const server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) => app.use(mcpAuth.bearerAuth('jwt', { resource, ...options }), echoAuth));
    const res = await send(server, { path: '/', headers: [['Authorization', `Bearer ${signJwt(claims({ issuer: as.issuer, audience: aud }), key)}`]] });
    await server.close();
    return res.status;
  };

  it('defaults to the resource, so a token for another audience is refused', async () => {
    assert.equal(await run('http://localhost:3001', {}, 'https://other.example'), 401);
  });

  it("a root resource matches the SDK client's trailing-slash form", async () => {
    assert.equal(await run('http://localhost:3001', {}, 'http://localhost:3001/'), 200);
    assert.equal(await run('http://localhost:3001/', {}, 'http://localhost:3001'), 200);
  });

  it('an explicit audience list replaces the default; audience: false turns the check off', async () => {
    assert.equal(await run('http://localhost:3001/mcp', { audience: ['api://todo'] }, 'api://todo'), 200);
    assert.equal(await run('http://localhost:3001/mcp', { audience: ['api://todo'] }, 'http://localhost:3001/mcp'), 401);
    assert.equal(await run('http://localhost:3001/mcp', { audience: false }, 'https://anything.example'), 200);
  });
});
