// bearerAuth(verifyFn) and handleBearerAuth: user-supplied (e.g. opaque
// token) verification over real HTTP, Express 4 and 5. The wrapper still
// enforces issuer, audience and scopes, and turns anything a verifier throws
// into a JSON response without leaking it.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  MCPAuth,
  handleBearerAuth,
  MCPAuthAuthServerError,
  MCPAuthBearerAuthError,
  MCPAuthTokenVerificationError,
} from 'mcp-auth-rs';
import { parseWwwAuthenticate } from './helpers/http.mjs';
import { EXPRESS_VERSIONS, serveApp, send, single, hasHeader, jsonBody } from './helpers/app.mjs';

const ISSUER = 'https://as.example.com';
const RESOURCE = 'https://mcp.example.com/mcp';
const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

// The "opaque token" each test sends names the behaviour the verifier should show.
const behaviours = {
  good: () => authInfo(),
  async: async () => authInfo({ subject: 'async-user' }),
  'foreign-issuer': () => authInfo({ issuer: 'https://evil.example' }),
  'foreign-audience': () => authInfo({ audience: ['https://other.example/mcp'] }),
  'no-audience': () => authInfo({ audience: undefined }),
  'slash-audience': () => authInfo({ audience: 'HTTPS://mcp.example.com:443/mcp' }),
  'no-scopes': () => authInfo({ scopes: undefined }),
  'token-error': () => {
    throw new MCPAuthTokenVerificationError('invalid_token', { reason: 'revoked' });
  },
  'scope-error': () => {
    throw new MCPAuthBearerAuthError('missing_required_scopes', { missingScopes: ['todo:write'] });
  },
  'server-error': () => {
    throw new MCPAuthAuthServerError('invalid_server_metadata');
  },
  'plain-error': () => {
    throw new Error('database password is hunter2');
  },
  'async-plain-error': async () => {
    throw new Error('database password is hunter2');
  },
  'throws-string': () => {
    throw 'hunter2';
  },
  nothing: () => undefined,
  'non-string-scope': () => authInfo({ scopes: ['todo:read', 42] }),
  'string-scopes': () => authInfo({ scopes: 'todo:read' }),
  'null-scopes': async () => authInfo({ scopes: null }),
  'expired': () => authInfo({ expiresAt: Math.floor(Date.now() / 1000) - 120 }),
  'expired-within-leeway': () => authInfo({ expiresAt: Math.floor(Date.now() / 1000) - 10 }),
  'expires-later': () => authInfo({ expiresAt: Math.floor(Date.now() / 1000) + 600 }),
  'nan-expiry': () => authInfo({ expiresAt: NaN }),
  'infinite-expiry': () => authInfo({ expiresAt: Infinity }),
  'string-expiry': () => authInfo({ expiresAt: '4102444800' }),
  'async-expired': async () => authInfo({ expiresAt: 1 }),
  'never-settles': () => new Promise(() => {}),
  'hostile-message': () => {
    const error = new MCPAuthTokenVerificationError('invalid_token');
    error.message = 'bad "quote" \\ back\r\nslash\u00e9';
    throw error;
  },
};

function authInfo(overrides = {}) {
  return { token: 'opaque', clientId: 'client', scopes: ['todo:read'], issuer: ISSUER, audience: RESOURCE, subject: 'user', ...overrides };
}

const verifyAccessToken = (token) => behaviours[token]();

for (const [label, express] of Object.entries(EXPRESS_VERSIONS)) {
  describe(`bearerAuth(verifyFn) (${label})`, () => {
    let server;
    const call = (path, token) => send(server, { path, headers: [['Authorization', `Bearer ${token}`]] });

    before(async () => {
      const mcpAuth = new MCPAuth({
        // Exact Bearer challenges here; the DPoP ones are dpop.test.mjs's.
        protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: ISSUER, type: 'oauth' }], scopesSupported: ['todo:read'] }, dpop: 'off' },
      });
      server = await serveApp(express, (app) => {
        app.get('/mcp', mcpAuth.bearerAuth(verifyAccessToken, { resource: RESOURCE }), (req, res) => res.json(req.auth));
        app.get('/scoped', mcpAuth.bearerAuth(verifyAccessToken, { resource: RESOURCE, requiredScopes: ['todo:read'] }), (req, res) => res.json(req.auth));
        app.get('/details', mcpAuth.bearerAuth(verifyAccessToken, { resource: RESOURCE, showErrorDetails: true }), (req, res) => res.json(req.auth));
        app.get('/any-audience', mcpAuth.bearerAuth(verifyAccessToken, { resource: RESOURCE, audience: false }), (req, res) => res.json(req.auth));
        app.get('/quick', mcpAuth.bearerAuth(verifyAccessToken, { resource: RESOURCE, verifyTimeout: 200 }), (req, res) => res.json(req.auth));
      });
    });
    after(() => server?.close());

    it('accepts what the verifier returns (sync or async) and exposes it as req.auth', async () => {
      const res = await call('/mcp', 'good');
      assert.equal(res.status, 200);
      // What the verifier returned, plus the effective scopes and the metadata URL bearerAuth adds.
      assert.deepEqual(jsonBody(res), { ...authInfo(), effectiveScopes: authInfo().scopes, resourceMetadataUrl: PRM });
      assert.equal(jsonBody(await call('/mcp', 'async')).subject, 'async-user');
    });

    it('an issuer outside the resource\'s authorization servers: 401 invalid_token', async () => {
      const res = await call('/mcp', 'foreign-issuer');
      assert.equal(res.status, 401);
      assert.equal(
        single(res, 'www-authenticate'),
        `Bearer error="invalid_token", error_description="The token issuer does not match the expected issuer.", resource_metadata="${PRM}"`,
      );
    });

    it('the audience defaults to the resource (URL-aware); audience: false skips it', async () => {
      for (const token of ['foreign-audience', 'no-audience']) {
        const res = await call('/mcp', token);
        assert.equal(res.status, 401, token);
        assert.equal(parseWwwAuthenticate(single(res, 'www-authenticate')).params.error_description,
          'The token audience does not match the expected audience.');
      }
      assert.equal((await call('/mcp', 'slash-audience')).status, 200);
      assert.equal((await call('/any-audience', 'foreign-audience')).status, 200);
    });

    it('expiresAt in the past (beyond the 30 s leeway) or not a finite number: 401 invalid_token', async () => {
      const expected = (description) =>
        `Bearer error="invalid_token", error_description="${description}", resource_metadata="${PRM}"`;
      for (const token of ['expired', 'async-expired']) {
        const res = await call('/mcp', token);
        assert.equal(res.status, 401, token);
        assert.equal(single(res, 'www-authenticate'), expected('The access token has expired.'));
        assert.deepEqual(jsonBody(res), { error: 'invalid_token', error_description: 'The access token has expired.' });
      }
      for (const token of ['nan-expiry', 'infinite-expiry', 'string-expiry']) {
        const res = await call('/mcp', token);
        assert.equal(res.status, 401, token);
        assert.equal(single(res, 'www-authenticate'), expected('The access token has an invalid claim.'));
      }
      // Within the leeway, in the future, or unknown (opaque tokens): accepted.
      for (const token of ['expired-within-leeway', 'expires-later', 'good']) assert.equal((await call('/mcp', token)).status, 200, token);
    });

    it('a verifier that never settles: 503 + Retry-After, JSON, after verifyTimeout', async () => {
      const started = Date.now();
      const res = await call('/quick', 'never-settles');
      assert.equal(res.status, 503);
      assert.ok(Date.now() - started >= 150, 'waited for the timeout');
      assert.ok(Number(single(res, 'retry-after')) > 0);
      assert.equal(hasHeader(res, 'www-authenticate'), false);
      assert.equal(jsonBody(res).error, 'server_error');
      assert.equal((await call('/quick', 'async')).status, 200, 'a prompt verifier is unaffected');
    });

    it('MCPAuthTokenVerificationError: 401 invalid_token with its message', async () => {
      const res = await call('/mcp', 'token-error');
      assert.equal(res.status, 401);
      assert.deepEqual(jsonBody(res), { error: 'invalid_token', error_description: 'The provided token is invalid or malformed.' });
      const detailed = jsonBody(await call('/details', 'token-error'));
      assert.deepEqual(detailed.cause, { reason: 'revoked' });
    });

    it('a message set by user code is cut to the RFC 6750 charset in header and body alike', async () => {
      const res = await call('/mcp', 'hostile-message');
      assert.equal(res.status, 401);
      const challenge = single(res, 'www-authenticate');
      assert.equal(parseWwwAuthenticate(challenge).params.error_description, 'bad quote  backslash');
      assert.equal(jsonBody(res).error_description, 'bad quote  backslash');
    });

    it('missing scopes, thrown or computed: 403 insufficient_scope', async () => {
      const thrown = await call('/mcp', 'scope-error');
      assert.equal(thrown.status, 403);
      assert.equal(parseWwwAuthenticate(single(thrown, 'www-authenticate')).params.error, 'insufficient_scope');
      assert.deepEqual(jsonBody(thrown).missing_scopes, ['todo:write']);
      const computed = await call('/scoped', 'no-scopes');
      assert.equal(computed.status, 403);
      assert.equal(parseWwwAuthenticate(single(computed, 'www-authenticate')).params.scope, 'todo:read');
    });

    for (const token of ['plain-error', 'async-plain-error', 'throws-string', 'nothing']) {
      it(`a verifier that ${token === 'nothing' ? 'returns nothing' : `fails with ${token}`}: JSON 500, nothing leaked`, async () => {
        for (const path of ['/mcp', '/details']) {
          const res = await call(path, token);
          assert.equal(res.status, 500);
          assert.equal(hasHeader(res, 'www-authenticate'), false);
          assert.deepEqual(jsonBody(res), {
            error: 'server_error',
            error_description: 'An unexpected error occurred while authenticating the request.',
          });
        }
      });
    }

    it('absent scopes grant none: accepted where no scope is required, with empty effective scopes', async () => {
      const res = await call('/mcp', 'no-scopes');
      assert.equal(res.status, 200);
      assert.deepEqual(jsonBody(res).effectiveScopes, []);
    });

    it('scopes that are not a list of strings are a broken verifier: JSON 500, nothing granted or guessed', async () => {
      for (const token of ['non-string-scope', 'string-scopes', 'null-scopes']) {
        for (const path of ['/mcp', '/scoped']) {
          const res = await call(path, token);
          assert.equal(res.status, 500, `${token} on ${path}`);
          assert.equal(hasHeader(res, 'www-authenticate'), false);
          assert.deepEqual(jsonBody(res), {
            error: 'server_error',
            error_description: 'An unexpected error occurred while authenticating the request.',
          });
        }
      }
    });

    it('MCPAuthAuthServerError: JSON 500; details name the code only when asked', async () => {
      const res = await call('/mcp', 'server-error');
      assert.equal(res.status, 500);
      assert.deepEqual(jsonBody(res), { error: 'server_error', error_description: 'An error occurred with the authorization server.' });
      assert.deepEqual(jsonBody(await call('/details', 'server-error')).cause, {
        error: 'invalid_server_metadata',
        error_description: 'The server metadata is invalid or malformed.',
      });
    });
  });
}

describe('handleBearerAuth (standalone)', () => {
  let server;
  before(async () => {
    server = await serveApp(EXPRESS_VERSIONS['express 4'], (app) => {
      app.get('/string', handleBearerAuth({ verifyAccessToken, issuer: ISSUER, resource: RESOURCE }), (req, res) => res.json(req.auth));
      app.get('/function', handleBearerAuth({
        verifyAccessToken,
        issuer: (iss) => {
          if (iss !== ISSUER) throw new Error('untrusted');
        },
        requiredScopes: ['todo:read'],
      }), (req, res) => res.json(req.auth));
      app.get('/boolean', handleBearerAuth({ verifyAccessToken, issuer: (iss) => iss === ISSUER, resource: RESOURCE }), (req, res) => res.json(req.auth));
      app.get('/expiry', handleBearerAuth({ verifyAccessToken, issuer: ISSUER, resource: RESOURCE }), (req, res) => res.json(req.auth));
    });
  });
  after(() => server?.close());

  const call = (path, token) => send(server, { path, headers: [['Authorization', `Bearer ${token}`]] });

  it('checks the issuer given as a string or a validating function', async () => {
    assert.equal((await call('/string', 'good')).status, 200);
    assert.equal((await call('/string', 'foreign-issuer')).status, 401);
    assert.equal((await call('/function', 'good')).status, 200);
    assert.equal((await call('/function', 'foreign-issuer')).status, 401);
  });

  it('an issuer function returning false means untrusted, like one that throws', async () => {
    assert.equal((await call('/boolean', 'good')).status, 200);
    const res = await call('/boolean', 'foreign-issuer');
    assert.equal(res.status, 401);
    assert.equal(jsonBody(res).error_description, 'The token issuer does not match the expected issuer.');
  });

  it('checks expiresAt as bearerAuth(verifyFn) does', async () => {
    assert.equal((await call('/expiry', 'expired')).status, 401);
    assert.equal((await call('/expiry', 'nan-expiry')).status, 401);
    assert.equal((await call('/expiry', 'expires-later')).status, 200);
  });

  it('verifyTimeout is validated at setup, naming the option and its range', () => {
    for (const verifyTimeout of [0, -1, 1.5, '100', 300_001, Infinity, NaN]) {
      for (const create of [
        () => handleBearerAuth({ verifyAccessToken, issuer: ISSUER, verifyTimeout }),
        () => new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE } } }).bearerAuth(verifyAccessToken, { resource: RESOURCE, verifyTimeout }),
      ]) {
        assert.throws(create, (error) => {
          assert.ok(error instanceof MCPAuthAuthServerError, String(error));
          assert.equal(error.code, 'invalid_server_config');
          assert.match(error.cause.cause, /verifyTimeout.*1.*300000/);
          return true;
        }, String(verifyTimeout));
      }
    }
    assert.doesNotThrow(() => handleBearerAuth({ verifyAccessToken, issuer: ISSUER, verifyTimeout: 300_000 }));
  });

  it('without a resource there is no resource_metadata and no default audience', async () => {
    const res = await send(server, { path: '/function' });
    assert.equal(res.status, 401);
    assert.equal(single(res, 'www-authenticate'), 'Bearer scope="todo:read"');
    assert.equal((await call('/function', 'foreign-audience')).status, 200);
  });

  it('rejects unusable arguments when created', () => {
    assert.throws(() => handleBearerAuth({ verifyAccessToken: 'nope', issuer: ISSUER }), TypeError);
    assert.throws(() => handleBearerAuth({ verifyAccessToken, issuer: 'not a url' }), TypeError);
    assert.throws(() => handleBearerAuth({ verifyAccessToken, issuer: ISSUER, resource: '/relative' }), TypeError);
  });
});
