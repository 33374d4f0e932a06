// Several credential kinds on one route (issue 23 item 2) over real HTTP on
// Express: user JWTs from one issuer, machine JWTs from another with
// clientIds, and API keys; one verifier judges each token, never a second.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { MCPAuth, fetchServerConfig, hashApiKey, MCPAuthAuthServerError } from 'mcp-auth-rs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { EXPRESS_VERSIONS, serveApp, send, single, jsonBody } from './helpers/app.mjs';

const RESOURCE = 'http://localhost:3001/mcp';
const PRM = 'http://localhost:3001/.well-known/oauth-protected-resource/mcp';
const KEY = 'mcpk_live_0123456789abcdefghij';
const OTHER_KEY = 'mcpk_live_zyxwvutsrqponmlkjihg';
const ROTATED_KEY = 'mcpk_live_rotated_0123456789ab';

const echoAuth = (req, res) => res.json({ ...req.auth, resource: req.auth.resource?.href });

describe('bearerAuth([...verifiers]) on the wire (express 5)', () => {
  let users;
  let machines;
  let server;
  let userKey;
  let machineKey;
  let loaded = [{ hash: hashApiKey(KEY), subject: 'ci-bot', clientId: 'ci', scopes: ['mcp:read'] }];
  const events = [];
  let failing = true;
  const userToken = (extra = {}) =>
    signJwt(claims({ issuer: users.issuer, audience: RESOURCE, scope: 'mcp:read', ...extra }), userKey);
  const machineToken = (extra = {}, key = machineKey) =>
    signJwt(claims({ issuer: machines.issuer, audience: RESOURCE, scope: 'mcp:read', client_id: 'svc-a', ...extra }), key);
  const call = (path, token) => send(server, { path, headers: token === undefined ? [] : [['Authorization', `Bearer ${token}`]] });

  before(async () => {
    userKey = generateKey('RS256', { kid: 'users' });
    machineKey = generateKey('ES256', { kid: 'machines' });
    users = await startAuthServer({ keys: [userKey] });
    machines = await startAuthServer({ keys: [machineKey] });
    const mcpAuth = new MCPAuth({
      protectedResources: {
        metadata: {
          resource: RESOURCE,
          authorizationServers: [
            await fetchServerConfig(users.issuer, { type: 'oidc' }),
            await fetchServerConfig(machines.issuer, { type: 'oidc' }),
          ],
        },
        dpop: 'off',
      },
      onAuthEvent: (event) => events.push(event),
    });
    const verifiers = [
      { mode: 'jwt', name: 'users', issuer: users.issuer },
      { mode: 'jwt', name: 'machines', issuer: machines.issuer, clientIds: ['svc-a'] },
      { mode: 'apiKey', name: 'keys', prefix: 'mcpk_', loadKeys: async () => loaded, refreshInterval: 1000 },
    ];
    server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) => {
      app.get('/mcp', mcpAuth.bearerAuth(verifiers, { resource: RESOURCE }), echoAuth);
      app.get('/static', mcpAuth.bearerAuth([
        { mode: 'apiKey', keys: [{ hash: hashApiKey(OTHER_KEY), subject: 'batch' }], prefix: 'mcpk_', requiredScopes: ['mcp:write'] },
        { mode: 'jwt' },
      ], { resource: RESOURCE }), echoAuth);
      app.get('/failing', mcpAuth.bearerAuth([
        { mode: 'apiKey', prefix: 'mcpk_', loadKeys: async () => {
          if (failing) throw new Error('secret store down');
          return [{ hash: hashApiKey(KEY), subject: 'late' }];
        } },
      ], { resource: RESOURCE }), echoAuth);
      // The single-mode route is unchanged: no `verifier` in its AuthInfo.
      app.get('/single', mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), echoAuth);
    });
  });
  after(async () => {
    await server?.close();
    await users?.close();
    await machines?.close();
  });

  it('a user JWT is accepted by the first verifier, which AuthInfo names', async () => {
    const res = await call('/mcp', userToken());
    assert.equal(res.status, 200);
    const auth = jsonBody(res);
    assert.equal(auth.verifier, 'users');
    assert.equal(auth.issuer, users.issuer);
    assert.equal(auth.subject, 'user-1');
  });

  it("a machine JWT from the second issuer is judged by 'machines', with its clientIds", async () => {
    const ok = await call('/mcp', machineToken());
    assert.equal(ok.status, 200);
    assert.equal(jsonBody(ok).verifier, 'machines');
    assert.equal(jsonBody(ok).clientId, 'svc-a');
    const other = await call('/mcp', machineToken({ client_id: 'svc-b' }));
    assert.equal(other.status, 401);
    assert.match(single(other, 'www-authenticate'), /error="invalid_token"/);
    // The users verifier has no clientIds: its tokens from any client pass.
    assert.equal((await call('/mcp', userToken({ client_id: 'svc-b' }))).status, 200);
  });

  it('an API key is accepted with its fixed identity and no expiry', async () => {
    const res = await call('/mcp', KEY);
    assert.equal(res.status, 200);
    const auth = jsonBody(res);
    assert.equal(auth.verifier, 'keys');
    assert.equal(auth.subject, 'ci-bot');
    assert.equal(auth.clientId, 'ci');
    assert.deepEqual(auth.scopes, ['mcp:read']);
    assert.equal(auth.issuer, '');
    assert.equal(auth.expiresAt, undefined);
  });

  it('a wrong API key is 401 invalid_token', async () => {
    const res = await call('/mcp', 'mcpk_live_wrong_wrong_wrong_wrong');
    assert.equal(res.status, 401);
    assert.equal(
      single(res, 'www-authenticate'),
      `Bearer error="invalid_token", error_description="The access token is not active.", resource_metadata="${PRM}"`,
    );
  });

  it('a forged JWT naming issuer A is refused by A alone: no other verifier is asked', async () => {
    machines.resetHits();
    const before = events.filter((e) => e.type === 'verification').length;
    // Signed with the machines' key but claiming the users' issuer.
    const forged = signJwt(claims({ issuer: users.issuer, audience: RESOURCE, client_id: 'svc-a' }), machineKey);
    const res = await call('/mcp', forged);
    assert.equal(res.status, 401);
    assert.match(single(res, 'www-authenticate'), /error="invalid_token"/);
    assert.equal(machines.hitCount(), 0, "the machines' verifier never looked at it");
    assert.equal(events.filter((e) => e.type === 'verification').length - before, 1, 'one verification');
  });

  it('a token no kind matches gets the first JWT verifier’s answer; no token gets the bare challenge', async () => {
    const stranger = await call('/mcp', 'opaque-token-without-prefix');
    assert.equal(stranger.status, 401);
    const none = await call('/mcp');
    assert.equal(none.status, 401);
    assert.equal(single(none, 'www-authenticate'), `Bearer resource_metadata="${PRM}"`);
  });

  it('each verifier has its own requiredScopes: a static key without them is 403', async () => {
    const res = await call('/static', OTHER_KEY);
    assert.equal(res.status, 403);
    assert.match(single(res, 'www-authenticate'), /error="insufficient_scope"/);
    assert.equal((await call('/static', userToken())).status, 200);
  });

  it('keys rotate without a restart: the loader is read again after refreshInterval', async () => {
    loaded = [{ hash: hashApiKey(ROTATED_KEY), subject: 'rotated' }];
    await sleep(1100);
    // The first call after the interval starts the read; one shortly after sees the new keys.
    let res;
    for (let attempt = 0; attempt < 20; attempt++) {
      res = await call('/mcp', ROTATED_KEY);
      if (res.status === 200) break;
      await sleep(50);
    }
    assert.equal(res.status, 200);
    assert.equal(jsonBody(res).subject, 'rotated');
    assert.equal((await call('/mcp', KEY)).status, 401, 'the old key is gone');
  });

  it('a loader that fails before any keys are loaded is 503, and is retried by the next request', async () => {
    const res = await call('/failing', KEY);
    assert.equal(res.status, 503);
    failing = false;
    const again = await call('/failing', KEY);
    assert.equal(again.status, 200);
    assert.equal(jsonBody(again).subject, 'late');
  });

  it('the single-mode route is unchanged', async () => {
    const res = await call('/single', userToken());
    assert.equal(res.status, 200);
    assert.equal(jsonBody(res).verifier, undefined);
  });
});

describe('bearerAuth([...verifiers]) setup', () => {
  const mcpAuth = new MCPAuth({
    protectedResources: {
      metadata: { resource: RESOURCE, authorizationServers: [{ type: 'oauth', metadata: { issuer: 'https://as.example', authorizationEndpoint: 'https://as.example/a', tokenEndpoint: 'https://as.example/t', responseTypesSupported: ['code'], jwksUri: 'https://as.example/jwks' } }] },
    },
  });
  const refused = (verifiers) => assert.throws(() => mcpAuth.bearerAuth(verifiers, { resource: RESOURCE }), MCPAuthAuthServerError);

  it('refuses plain keys, clashing names, unknown issuers and overlapping prefixes', () => {
    refused([{ mode: 'apiKey', keys: [{ hash: KEY, subject: 'x' }] }]);
    refused([{ mode: 'jwt' }, { mode: 'jwt' }]);
    refused([{ mode: 'jwt', issuer: 'https://other.example' }]);
    refused([{ mode: 'apiKey', prefix: 'mcpk_', keys: [] }, { mode: 'apiKey', name: 'b', prefix: 'mcpk_x', keys: [] }]);
    refused([{ mode: 'apiKey', keys: [], loadKeys: async () => [] }]);
    refused([{ mode: 'apiKey', loadKeys: async () => [], refreshInterval: 10 }]);
    refused([]);
  });

  it('hashApiKey is the base64url SHA-256, and refuses a short key', () => {
    assert.match(hashApiKey(KEY), /^sha256:[A-Za-z0-9_-]{43}$/);
    assert.throws(() => hashApiKey('short'), MCPAuthAuthServerError);
  });
});
