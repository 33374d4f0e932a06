// Provider recipes of docs/providers.md for servers that issue RFC 9068
// `at+jwt` access tokens, or whose tokens are bound to our resource by
// RFC 8707 (Clerk, better-auth, WorkOS AuthKit, Logto): configured exactly as
// each recipe says, over real Express and HTTP, JWKS on 127.0.0.1.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import { signJwt } from './helpers/keys.mjs';
import {
  RESOURCE, keys, times, authorizationServer, serveRecipe, accepted, refused, useProviderServers,
} from './helpers/providers.mjs';

useProviderServers();

describe('Clerk (OAuth access tokens as JWTs)', () => {
  const ISS = 'https://clerk.example.com';
  const CLIENT = 'oac_2xMcpClientExample';
  const oauthToken = (extra = {}, header = { typ: 'at+jwt' }) =>
    signJwt({ iss: ISS, sub: 'user_2abcExample', aud: RESOURCE, client_id: CLIENT, scope: 'profile email', jti: 'oat_1', ...times, ...extra }, keys.clerk, header);
  // A Clerk session token: same issuer and keys, `azp` is the page origin, no `typ: at+jwt`.
  const sessionToken = (extra = {}) =>
    signJwt({ iss: ISS, sub: 'user_2abcExample', azp: 'https://app.example.com', sid: 'sess_2abc', v: 2, ...times, ...extra }, keys.clerk, { typ: 'JWT' });
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [authorizationServer(ISS, '/clerk/.well-known/jwks.json', { authorize: `${ISS}/oauth/authorize`, token: `${ISS}/oauth/token` })],
      { '/mcp': { jwtVerify: { typ: 'at+jwt' }, claims: { clientIds: [CLIENT] } } },
    );
  });

  it('accepts an OAuth access token typed at+jwt for our resource', async () => {
    const auth = await accepted(recipe, oauthToken());
    assert.equal(auth.clientId, CLIENT);
    assert.equal(auth.subject, 'user_2abcExample');
    assert.deepEqual(auth.scopes, ['profile', 'email']);
  });

  it('refuses a session token (even one with our aud), a token without typ, another OAuth client', async () => {
    await refused(recipe, sessionToken(), 'type_not_allowed');
    await refused(recipe, sessionToken({ aud: RESOURCE }), 'type_not_allowed');
    await refused(recipe, oauthToken({}, { typ: undefined }), 'type_not_allowed');
    await refused(recipe, oauthToken({ client_id: 'oac_other' }), 'client_not_allowed');
  });
});

describe('better-auth (oauth-provider plugin, JWT plugin keys)', () => {
  const ISS = 'https://auth.example.com/api/auth';
  const token = (extra = {}, header = { typ: 'at+jwt' }) =>
    signJwt({ iss: ISS, sub: 'usr_1', aud: RESOURCE, azp: 'mcp-client', scope: 'openid todos:read', ...times, ...extra }, keys.betterAuth, header);
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [authorizationServer(ISS, '/better-auth/api/auth/jwks', { authorize: `${ISS}/oauth2/authorize`, token: `${ISS}/oauth2/token` })],
      { '/mcp': { jwtVerify: { typ: 'at+jwt' }, claims: { clientIds: ['mcp-client'] } } },
    );
  });

  it('accepts an EdDSA at+jwt token for our resource', async () => {
    const auth = await accepted(recipe, token());
    assert.equal(auth.clientId, 'mcp-client');
    assert.deepEqual(auth.scopes, ['openid', 'todos:read']);
  });

  it('refuses a JWT-plugin session token and an ID token from the same issuer and keys', async () => {
    // The session JWT of the JWT plugin: same iss, aud may be ours, no at+jwt.
    await refused(recipe, token({ azp: undefined, email: 'ada@example.com' }, { typ: 'JWT' }), 'type_not_allowed');
    // An ID token: aud is the client id, no typ.
    await refused(recipe, token({ aud: 'mcp-client', nonce: 'n' }, { typ: undefined }), 'type_not_allowed');
    await refused(recipe, token({ azp: 'some-other-client' }), 'client_not_allowed');
  });
});

describe('WorkOS AuthKit (MCP authorization server)', () => {
  const ISS = 'https://example-app.authkit.app';
  const token = (extra = {}) =>
    signJwt({ iss: ISS, sub: 'user_01EXAMPLE', aud: RESOURCE, sid: 'session_01EXAMPLE', jti: '01J', scope: 'openid todos:read', ...times, ...extra }, keys.workos, { typ: 'JWT' });
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [authorizationServer(ISS, '/workos/oauth2/jwks', { authorize: `${ISS}/oauth2/authorize`, token: `${ISS}/oauth2/token` })],
      { '/mcp': {} },
    );
  });

  it('accepts a token bound to our resource and refuses one for another resource or issuer', async () => {
    const auth = await accepted(recipe, token());
    assert.equal(auth.subject, 'user_01EXAMPLE');
    assert.deepEqual(auth.scopes, ['openid', 'todos:read']);
    await refused(recipe, token({ aud: 'https://other.example.com/mcp' }), 'audience_mismatch');
    await refused(recipe, token({ aud: 'client_01EXAMPLE' }), 'audience_mismatch');
    await refused(recipe, token({ iss: 'https://api.workos.com' }), 'issuer_untrusted');
  });
});

describe('Logto (API resource indicator)', () => {
  const ISS = 'https://example.logto.app/oidc';
  const token = (extra = {}) =>
    signJwt({ iss: ISS, sub: 'u1logto', aud: RESOURCE, client_id: 'logto-app', scope: 'read:todos write:todos', jti: 'j', ...times, ...extra }, keys.logto, { typ: 'at+jwt' });
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [authorizationServer(ISS, '/logto/oidc/jwks', { authorize: `${ISS}/auth`, token: `${ISS}/token` })],
      { '/mcp': { jwtVerify: { typ: 'at+jwt' } } },
    );
  });

  it('accepts an ES384 token whose aud is our resource indicator', async () => {
    const auth = await accepted(recipe, token());
    assert.equal(auth.clientId, 'logto-app');
    assert.deepEqual(auth.scopes, ['read:todos', 'write:todos']);
  });

  it('refuses an organization token and a token for another API resource', async () => {
    await refused(recipe, token({ aud: 'urn:logto:organization:org_1' }), 'audience_mismatch');
    await refused(recipe, token({ aud: 'https://api.other.example.com' }), 'audience_mismatch');
  });
});
