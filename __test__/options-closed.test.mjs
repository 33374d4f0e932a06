// Issue 20 item 12: every options object is closed. An unknown key is refused
// at setup with `invalid_server_config`, naming the key and, when it is close
// to a known one, the likely intended name; the error's own message says
// what is wrong. mcp-auth 0.2's option names keep working.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth, MCPAuthAuthServerError, fetchServerConfig, fetchServerConfigByWellKnownUrl, handleBearerAuth, redisStore } from 'mcp-auth-rs';
import * as honoAuth from 'mcp-auth-rs/hono';
import * as fastifyAuth from 'mcp-auth-rs/fastify';
import { instrument } from 'mcp-auth-rs/opentelemetry';
import { startAuthServer } from './helpers/auth-server.mjs';
import { EXPRESS_VERSIONS, serveApp, send } from './helpers/app.mjs';
import { claims, generateKey, signJwt } from './helpers/keys.mjs';
import { resolvedAuthServer } from './helpers/metadata.mjs';

const RESOURCE = 'https://mcp.example.com/mcp';
const generic = 'The server configuration does not match the MCP specification.';
const resolvedAs = resolvedAuthServer;
const config = (resource = {}, entry = {}, top = {}) => ({
  protectedResources: [{ metadata: { resource: RESOURCE, authorizationServers: [resolvedAs()], ...resource }, ...entry }],
  ...top,
});
const mcpAuth = () => new MCPAuth(config());

/** The refusal names `key` in its own message (and in `cause.cause`, as before), with `suggestion` when given. */
const refused = (key, suggestion) => (error) => {
  assert.ok(error instanceof MCPAuthAuthServerError, `expected MCPAuthAuthServerError, got ${error}`);
  assert.equal(error.code, 'invalid_server_config');
  assert.ok(error.message.startsWith(generic), error.message);
  assert.ok(error.message.includes(`unknown option \`${key}\``), error.message);
  if (suggestion) assert.ok(error.message.includes(`did you mean \`${suggestion}\`?`), error.message);
  else assert.ok(!error.message.includes('did you mean'), error.message);
  assert.ok(error.message.endsWith(error.cause.cause), 'the reason is also the cause');
  assert.ok(String(error).includes(key) && error.stack.split('\n')[0].includes(key), 'the top line says it');
  return true;
};

describe('unknown options are refused, with the likely intended name', () => {
  it("bearerAuth: `requiredScope: ['admin']` (the typo that left routes open)", () => {
    assert.throws(() => mcpAuth().bearerAuth('jwt', { resource: RESOURCE, requiredScope: ['admin'] }), refused('requiredScope', 'requiredScopes'));
  });

  it('snake_case and case slips are recognised', () => {
    assert.throws(() => mcpAuth().bearerAuth('jwt', { resource: RESOURCE, required_scopes: ['admin'] }), refused('required_scopes', 'requiredScopes'));
    assert.throws(() => mcpAuth().bearerAuth('jwt', { resource: RESOURCE, ShowErrorDetails: true }), refused('ShowErrorDetails', 'showErrorDetails'));
  });

  it('a key close to nothing is refused without a guess', () => {
    assert.throws(() => mcpAuth().bearerAuth('jwt', { resource: RESOURCE, frobnicate: 1 }), refused('frobnicate'));
  });

  const nested = {
    jwtVerify: [{ jwtVerify: { clockTolerence: 5 } }, 'jwtVerify.clockTolerence', 'jwtVerify.clockTolerance'],
    remoteJwkSet: [{ remoteJwkSet: { cooldownDuraton: 5 } }, 'remoteJwkSet.cooldownDuraton', 'remoteJwkSet.cooldownDuration'],
    cache: [{ cache: { tokenCacheSise: 5 } }, 'cache.tokenCacheSise', 'cache.tokenCacheSize'],
    claims: [{ claims: { scopeClaim: ['scp'] } }, 'claims.scopeClaim', 'claims.scopeClaims'],
    introspection: [{ introspection: { clientId: 'rs', clientSecrett: 'x' } }, 'introspection.clientSecrett', 'introspection.clientSecret'],
  };
  for (const [name, [options, key, suggestion]] of Object.entries(nested)) {
    it(`bearerAuth ${name}`, () => {
      assert.throws(() => mcpAuth().bearerAuth('jwt', { resource: RESOURCE, ...options }), refused(key, suggestion));
    });
  }

  it("jose options mcp-auth passed on but this package does not implement say so", () => {
    assert.throws(
      () => mcpAuth().bearerAuth('jwt', { resource: RESOURCE, jwtVerify: { subject: 'alice' } }),
      (error) => refused('jwtVerify.subject')(error) && /does not implement/.test(error.message),
    );
  });

  it('every MCPAuth entry point: webBearerAuth, authenticator, tokenVerifier, Hono, Fastify', () => {
    const auth = mcpAuth();
    const options = { resource: RESOURCE, requiredScope: ['admin'] };
    assert.throws(() => auth.webBearerAuth('jwt', options), refused('requiredScope', 'requiredScopes'));
    assert.throws(() => auth.authenticator('jwt', options), refused('requiredScope', 'requiredScopes'));
    assert.throws(() => auth.tokenVerifier(options), refused('requiredScope', 'requiredScopes'));
    assert.throws(() => honoAuth.bearerAuth(auth, 'jwt', options), refused('requiredScope', 'requiredScopes'));
    assert.throws(() => fastifyAuth.bearerAuth(auth, 'jwt', options), refused('requiredScope', 'requiredScopes'));
  });

  it('handleBearerAuth', () => {
    const verifyAccessToken = () => ({});
    assert.throws(
      () => handleBearerAuth({ verifyAccessToken, issuer: 'https://as.example.com', resource: RESOURCE, requiredScope: ['admin'] }),
      refused('requiredScope', 'requiredScopes'),
    );
  });

  it('the MCPAuth configuration: top level, each protected resource, each authorization server', () => {
    assert.throws(() => new MCPAuth({ ...config(), onAuthEvnt: () => {} }), refused('onAuthEvnt', 'onAuthEvent'));
    assert.throws(() => new MCPAuth(config({}, { scopeHierachy: {} })), refused('protectedResources[].scopeHierachy', 'protectedResources[].scopeHierarchy'));
    const path = 'protectedResources[].metadata.authorizationServers[].';
    assert.throws(
      () => new MCPAuth(config({ authorizationServers: [resolvedAs({ tenant: ['x'] })] })),
      refused(`${path}tenant`, `${path}tenants`),
    );
    assert.throws(
      () => new MCPAuth(config({ authorizationServers: [{ issuer: 'https://as.example.com', type: 'oauth', jwksUri: 'https://as.example.com/jwks' }] })),
      refused(`${path}jwksUri`),
    );
    assert.throws(() => new MCPAuth({ server: { issuer: 'https://as.example.com', typ: 'oauth', type: 'oauth' } }), refused('server.typ', 'server.type'));
  });

  it('resource metadata: a likely typo is refused, an RFC 9728 extension member is not', () => {
    assert.throws(
      () => new MCPAuth(config({ scopesSuported: ['a'] })),
      refused('protectedResources[].metadata.scopesSuported', 'protectedResources[].metadata.scopesSupported'),
    );
    assert.throws(
      () => new MCPAuth(config({ scopes_supported: ['a'] })),
      refused('protectedResources[].metadata.scopes_supported', 'protectedResources[].metadata.scopesSupported'),
    );
    assert.doesNotThrow(() => new MCPAuth(config({ extraMember: { nestedKey: 1 } })));
  });

  it('dpop and dpop.nonce', () => {
    assert.throws(() => new MCPAuth(config({}, { dpop: { iatWindw: 30 } })), refused('dpop.iatWindw', 'dpop.iatWindow'));
    assert.throws(
      () => new MCPAuth(config({}, { dpop: { nonce: { secrett: 'x'.repeat(32) } } })),
      refused('dpop.nonce.secrett', 'dpop.nonce.secret'),
    );
  });

  it('instrument() and redisStore()', () => {
    assert.throws(() => instrument(mcpAuth(), { recordEndUserID: true }), refused('recordEndUserID', 'recordEnduserId'));
    assert.throws(() => redisStore({ sendCommand: async () => null }, { prefx: 'a:' }), refused('prefx', 'prefix'));
  });

  it('fetchServerConfig and fetchServerConfigByWellKnownUrl (refused before any request)', async () => {
    const transpileDta = (data) => data;
    await assert.rejects(fetchServerConfig('http://127.0.0.1:9', { type: 'oauth', transpileDta }), refused('transpileDta', 'transpileData'));
    await assert.rejects(
      fetchServerConfigByWellKnownUrl('http://127.0.0.1:9/.well-known/oauth-authorization-server', { type: 'oauth', transpileDta }),
      refused('transpileDta', 'transpileData'),
    );
  });

  it('a key that is not an identifier is shown escaped and shortened', () => {
    const key = `x\`\n${'y'.repeat(100)}`;
    assert.throws(
      () => mcpAuth().bearerAuth('jwt', { resource: RESOURCE, [key]: 1 }),
      (error) => error.code === 'invalid_server_config' && !error.message.includes('\n') && !error.message.includes('y'.repeat(65)),
    );
  });
});

describe("mcp-auth 0.2's option names keep working", () => {
  const key = generateKey('ES256', { kid: 'closed' });
  let as;
  let server;
  before(async () => {
    as = await startAuthServer({ keys: [key] });
    const authorizationServers = [{ issuer: as.issuer, type: 'oauth' }];
    const auth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers, scopesSupported: ['admin'] } } });
    const jwtOptions = {
      resource: RESOURCE,
      audience: RESOURCE,
      requiredScopes: ['admin'],
      showErrorDetails: true,
      jwtVerify: { algorithms: ['ES256'], clockTolerance: 5, maxTokenAge: 3600, requiredClaims: ['sub'], audience: RESOURCE, issuer: as.issuer },
      remoteJwkSet: { timeoutDuration: 2000, cooldownDuration: 1000, cacheMaxAge: 60_000 },
    };
    server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) => {
      app.get('/mcp', auth.bearerAuth('jwt', jwtOptions), (req, res) => res.json({ sub: req.auth.subject }));
      app.get(
        '/custom',
        handleBearerAuth({
          verifyAccessToken: (token) => ({ token, issuer: as.issuer, clientId: 'c', scopes: ['admin'], audience: RESOURCE }),
          issuer: as.issuer,
          audience: RESOURCE,
          requiredScopes: ['admin'],
          resource: RESOURCE,
          showErrorDetails: false,
        }),
        (req, res) => res.json({ ok: true }),
      );
    });
  });
  after(async () => {
    await server?.close();
    await as?.close();
  });

  const call = (path, scope) =>
    send(server, { path, headers: [['Authorization', `Bearer ${signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope }), key)}`]] });

  it("bearerAuth('jwt', …) with audience, requiredScopes, resource, showErrorDetails, jwtVerify and remoteJwkSet", async () => {
    assert.equal((await call('/mcp', 'admin')).status, 200);
    // The spelled-right `requiredScopes` is enforced on the wire.
    assert.equal((await call('/mcp', 'read')).status, 403);
  });

  it('handleBearerAuth with its mcp-auth options', async () => {
    assert.equal((await call('/custom', 'admin')).status, 200);
  });
});
