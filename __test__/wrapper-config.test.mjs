// MCPAuth construction and bearerAuth setup validation (spec C7, C30): every
// unusable configuration fails at startup with mcp-auth's error class.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth, MCPAuthAuthServerError, fetchServerConfig, handleBearerAuth } from 'mcp-auth-rs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { EXPRESS_VERSIONS, serveApp, send, single } from './helpers/app.mjs';

const AS = { issuer: 'https://as.example.com', type: 'oauth' };
const resolvedAs = (metadata = {}) => ({
  type: 'oauth',
  metadata: {
    issuer: 'https://resolved.example.com',
    authorizationEndpoint: 'https://resolved.example.com/authorize',
    tokenEndpoint: 'https://resolved.example.com/token',
    jwksUri: 'https://resolved.example.com/jwks',
    registrationEndpoint: 'https://resolved.example.com/register',
    responseTypesSupported: ['code'],
    codeChallengeMethodsSupported: ['S256'],
    ...metadata,
  },
});
const resourceMode = (metadata) => ({ protectedResources: [metadata].flat().map((m) => ({ metadata: m })) });

const invalidServerConfig = (pattern) => (error) => {
  assert.ok(error instanceof MCPAuthAuthServerError, `expected MCPAuthAuthServerError, got ${error}`);
  assert.equal(error.code, 'invalid_server_config');
  // The message leads with mcp-auth's text and then says what is wrong (the reason also stays in `cause`).
  assert.ok(error.message.startsWith('The server configuration does not match the MCP specification. '), error.message);
  if (typeof error.cause?.cause === 'string') assert.ok(error.message.endsWith(error.cause.cause), error.message);
  if (pattern) assert.match(error.cause.cause, pattern);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

// Runs fn with console.warn captured; returns the warnings.
function captureWarnings(fn) {
  const original = console.warn;
  const warnings = [];
  console.warn = (...args) => warnings.push(args.join(' '));
  try {
    fn();
  } finally {
    console.warn = original;
  }
  return warnings;
}

describe('MCPAuth construction', () => {
  it('keeps the configuration as given and accepts both modes', () => {
    const config = resourceMode({ resource: 'https://mcp.example.com/mcp', authorizationServers: [AS] });
    assert.equal(new MCPAuth(config).config, config);
    captureWarnings(() => new MCPAuth({ server: AS }));
  });

  const rejected = {
    'an empty config': [{}, /protectedResources/],
    'both modes at once': [{ server: AS, ...resourceMode({ resource: 'https://a.example/mcp' }) }, /not both/],
    'a relative resource': [resourceMode({ resource: '/mcp' }), /absolute URL/],
    'a resource with a fragment': [resourceMode({ resource: 'https://a.example/mcp#x' }), /fragment/],
    'an empty fragment': [resourceMode({ resource: 'https://a.example/mcp#' }), /fragment/],
    'an http resource off loopback': [resourceMode({ resource: 'http://mcp.example.com/mcp' }), /https/],
    'a non-http resource': [resourceMode({ resource: 'urn:example:mcp' }), /https/],
    'a missing resource': [resourceMode({ scopesSupported: [] }), /metadata.resource/],
    'a duplicated resource': [resourceMode([{ resource: 'https://a.example/mcp' }, { resource: 'https://a.example/mcp' }]), /twice/],
    'two resources with one metadata path': [
      resourceMode([{ resource: 'https://a.example/mcp' }, { resource: 'https://b.example/mcp' }]),
      /same path/,
    ],
    'a duplicated issuer': [
      resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [AS, { ...AS, type: 'oidc' }] }),
      /listed twice/,
    ],
    'a duplicated issuer, resolved and discovered': [
      resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [resolvedAs(), { issuer: 'https://resolved.example.com', type: 'oauth' }] }),
      /listed twice/,
    ],
    'an issuer with a query': [resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [{ issuer: 'https://as.example?x=1', type: 'oauth' }] }), /query/],
    'an http issuer off loopback': [resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [{ issuer: 'http://as.example', type: 'oauth' }] }), /https/],
    'an authorization server without a type': [resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [{ issuer: 'https://as.example' }] }), /type/],
    'a scope with a space': [resourceMode({ resource: 'https://a.example/mcp', scopesSupported: ['read todos'] }), /scope/],
    'a scope with a quote': [resourceMode({ resource: 'https://a.example/mcp', scopesSupported: ['a"b'] }), /scope/],
    'an authorization server without the code flow': [
      resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [resolvedAs({ responseTypesSupported: ['token'] })] }),
      /code_response_type_not_supported/,
    ],
    'a legacy server with an https-less issuer': [{ server: { issuer: 'http://as.example', type: 'oidc' } }, /https/],
    // Not every resolver maps *.localhost to loopback; the addon would not fetch it over http either.
    'an http resource on a *.localhost name': [resourceMode({ resource: 'http://app.localhost/mcp' }), /https/],
    // IDN hosts must be configured as clients send them (WHATWG URL serialisation: punycode).
    'a resource with a non-ASCII host': [resourceMode({ resource: 'https://bücher.example/mcp' }), /https:\/\/xn--bcher-kva\.example/],
    'a resource with a percent-encoded host': [resourceMode({ resource: 'https://b%C3%BCcher.example/mcp' }), /xn--bcher-kva\.example/],
    'an issuer with a non-ASCII host': [
      resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [{ issuer: 'https://bücher.example', type: 'oauth' }] }),
      /xn--bcher-kva\.example/,
    ],
  };
  for (const [what, [config, pattern]] of Object.entries(rejected)) {
    it(`rejects ${what}`, () => {
      captureWarnings(() => assert.throws(() => new MCPAuth(config), invalidServerConfig(pattern)));
    });
  }

  for (const resource of ['http://localhost:3001', 'http://127.0.0.1:8080/mcp', 'http://[::1]:3000/mcp']) {
    it(`accepts the loopback development resource ${resource}`, () => {
      assert.doesNotThrow(() => new MCPAuth(resourceMode({ resource })));
    });
  }

  it('the same issuer may serve several resources', () => {
    assert.doesNotThrow(() => new MCPAuth(resourceMode([
      { resource: 'https://a.example/one', authorizationServers: [AS] },
      { resource: 'https://a.example/two', authorizationServers: [AS] },
    ])));
  });

  it('missing PKCE or registration support only warns (a resource server does not need them)', () => {
    const server = resolvedAs({ issuer: 'https://no-pkce.example.com', codeChallengeMethodsSupported: undefined, registrationEndpoint: undefined });
    const warnings = captureWarnings(() => new MCPAuth(resourceMode({ resource: 'https://a.example/mcp', authorizationServers: [server] })));
    assert.ok(warnings.some((w) => w.includes('https://no-pkce.example.com') && /PKCE/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /Dynamic Client Registration/.test(w)), warnings.join('\n'));
  });

  it('the legacy mode warns once per process', () => {
    const warnings = captureWarnings(() => {
      new MCPAuth({ server: { issuer: 'https://legacy-a.example', type: 'oauth' } });
      new MCPAuth({ server: { issuer: 'https://legacy-b.example', type: 'oauth' } });
    });
    assert.ok(warnings.filter((w) => /deprecated/.test(w)).length <= 1);
  });
});

describe('bearerAuth setup', () => {
  const resource = 'https://mcp.example.com/mcp';
  const mcpAuth = new MCPAuth(resourceMode({ resource, authorizationServers: [AS], scopesSupported: ['read'] }));

  const rejected = {
    'no resource in protectedResources mode': [{}, /resource/],
    'an unknown resource': [{ resource: 'https://other.example/mcp' }, /not a configured/],
    'an empty audience list': [{ resource, audience: [] }, /audience/],
    'offline_access as a required scope': [{ resource, requiredScopes: ['offline_access'] }, /offline_access/],
    'a malformed required scope': [{ resource, requiredScopes: ['a b'] }, /scope/],
    'a non-positive maxTokenLength': [{ resource, maxTokenLength: 0 }, /maxTokenLength/],
    'an issuer override': [{ resource, issuer: 'https://evil.example' }, /issuer/],
    "'none' as an algorithm": [{ resource, jwtVerify: { algorithms: ['none'] } }, /none/],
    'an issuer filter naming no configured server': [{ resource, jwtVerify: { issuer: 'https://evil.example' } }, /at least one/],
    'an audience with a non-ASCII host': [{ resource, audience: ['https://mcp.example.com/mcp', 'https://bücher.example/mcp'] }, /xn--bcher-kva\.example/],
  };
  for (const [what, [options, pattern]] of Object.entries(rejected)) {
    it(`rejects ${what}`, () => {
      assert.throws(() => mcpAuth.bearerAuth('jwt', options), invalidServerConfig(pattern));
    });
  }

  it('rejects a non-ASCII host wherever a resource or issuer is named, even with audience: false', () => {
    const options = { resource: 'https://bücher.example/mcp', audience: false };
    let legacy;
    captureWarnings(() => (legacy = new MCPAuth({ server: AS })));
    assert.throws(() => legacy.bearerAuth('jwt', options), invalidServerConfig(/xn--bcher-kva\.example/));
    const verifyAccessToken = () => ({});
    assert.throws(() => handleBearerAuth({ verifyAccessToken, issuer: AS.issuer, ...options }), invalidServerConfig(/xn--bcher-kva/));
    assert.throws(() => handleBearerAuth({ verifyAccessToken, issuer: 'https://bücher.example' }), invalidServerConfig(/xn--bcher-kva/));
  });

  it("rejects a mode other than 'jwt' or a function", () => {
    assert.throws(() => mcpAuth.bearerAuth('opaque', { resource }), TypeError);
  });

  it('requiring scopes the metadata does not list only warns', () => {
    const bare = new MCPAuth(resourceMode({ resource: 'https://bare.example/mcp', authorizationServers: [AS] }));
    const warnings = captureWarnings(() => bare.bearerAuth('jwt', { resource: 'https://bare.example/mcp', requiredScopes: ['x'] }));
    assert.ok(warnings.some((w) => /scopesSupported/.test(w)));
  });
});

describe('bearerAuth options that change verification', () => {
  let as;
  let key;
  before(async () => {
    key = generateKey('ES256', { kid: 'opts' });
    as = await startAuthServer({ keys: [key] });
  });
  after(() => as?.close());

  it('maxTokenLength caps the token; jwtVerify and remoteJwkSet reach the verifier', async () => {
    const resource = 'http://localhost:3001/mcp';
    const mcpAuth = new MCPAuth(resourceMode({ resource, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oauth' })] }));
    const server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) => {
      app.get('/short', mcpAuth.bearerAuth('jwt', { resource, maxTokenLength: 64 }), (req, res) => res.end('ok'));
      app.get('/rs-only', mcpAuth.bearerAuth('jwt', { resource, jwtVerify: { algorithms: ['RS256'] } }), (req, res) => res.end('ok'));
      app.get('/typed', mcpAuth.bearerAuth('jwt', { resource, jwtVerify: { typ: 'at+jwt' }, remoteJwkSet: { cacheMaxAge: 60_000 } }), (req, res) => res.end('ok'));
    });
    try {
      const token = signJwt(claims({ issuer: as.issuer, audience: resource }), key);
      const call = (path, value = token) => send(server, { path, headers: [['Authorization', `Bearer ${value}`]] });
      assert.match(single(await call('/short'), 'www-authenticate'), /The access token is too large/);
      assert.match(single(await call('/rs-only'), 'www-authenticate'), /algorithm is not allowed/);
      assert.equal((await call('/typed')).status, 200);
      const untyped = signJwt(claims({ issuer: as.issuer, audience: resource }), key, { typ: 'JWT' });
      assert.equal((await call('/typed', untyped)).status, 401);
    } finally {
      await server.close();
    }
  });

  it('cache options reach the verifier, and cannot smuggle in trust settings', async () => {
    const resource = 'http://localhost:3001/mcp';
    const mcpAuth = new MCPAuth(resourceMode({ resource, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oauth' })] }));
    // Trust settings in `cache` are unknown options there: refused at setup (issue 20 item 12).
    const smuggled = { tokenCacheSize: 0, allowAnyAudience: true, audiences: ['https://evil.example.com'] };
    assert.throws(() => mcpAuth.bearerAuth('jwt', { resource, cache: smuggled }), invalidServerConfig(/unknown option `cache.allowAnyAudience`/));
    const server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) => {
      app.get('/mcp', mcpAuth.bearerAuth('jwt', { resource, cache: { tokenCacheSize: 0 } }), (req, res) => res.end('ok'));
    });
    try {
      const call = (audience) =>
        send(server, { path: '/mcp', headers: [['Authorization', `Bearer ${signJwt(claims({ issuer: as.issuer, audience }), key)}`]] });
      assert.equal((await call(resource)).status, 200);
      assert.equal((await call('https://evil.example.com')).status, 401);
    } finally {
      await server.close();
    }
  });
});

describe('IDN hosts (issue 12, finding 5)', () => {
  it('a punycode resource: challenge, metadata and audience agree', async () => {
    const resource = 'https://xn--bcher-kva.example/mcp';
    const mcpAuth = new MCPAuth(resourceMode({ resource, authorizationServers: [AS] }));
    const verify = (token) => ({ token, clientId: 'c', scopes: [], issuer: AS.issuer, audience: 'https://XN--BCHER-KVA.example/mcp' });
    const server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) => {
      app.use(mcpAuth.protectedResourceMetadataRouter());
      app.get('/mcp', mcpAuth.bearerAuth(verify, { resource }), (req, res) => res.json({ ok: true }));
    });
    try {
      const challenge = single(await send(server, { path: '/mcp' }), 'www-authenticate');
      const prm = new URL(/resource_metadata="([^"]+)"/.exec(challenge)[1]);
      assert.equal(prm.origin, 'https://xn--bcher-kva.example');
      const document = JSON.parse((await send(server, { path: prm.pathname })).body);
      assert.equal(new URL(document.resource).origin, prm.origin);
      assert.equal((await send(server, { path: '/mcp', headers: [['Authorization', 'Bearer opaque']] })).status, 200);
    } finally {
      await server.close();
    }
  });
});
