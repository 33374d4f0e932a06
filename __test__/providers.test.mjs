// The provider recipes of docs/providers.md (JWT access tokens: Entra ID,
// Auth0, Keycloak, Okta, Cognito), each configured exactly as its recipe
// says, over real Express and HTTP. Issuers keep the providers' real forms;
// the metadata is inline with a loopback jwksUri, so nothing is fetched from
// the internet. Tokens are shaped like each provider's (header `typ`/`alg`/
// `kid`, issuer form, `aud` form, claim names) and signed with test keys.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth } from 'mcp-auth-rs';
import { signJwt } from './helpers/keys.mjs';
import {
  RESOURCE, TENANT, OTHER_TENANT, ENTRA_API, ENTRA_CLIENT, keys, times,
  authorizationServer, serveRecipe, accepted, refused, send, useProviderServers,
} from './helpers/providers.mjs';

useProviderServers();

describe('Microsoft Entra ID v2.0 (multi-tenant issuer template)', () => {
  const iss = (tenant) => `https://login.microsoftonline.com/${tenant}/v2.0`;
  const token = (extra = {}) =>
    signJwt(
      {
        aud: ENTRA_API, iss: iss(TENANT), ...times, azp: ENTRA_CLIENT, azpacr: '0', name: 'Ada',
        oid: 'b5f0e2a6-6b5d-4bd1-9c3b-3f1a6e1f6d2c', preferred_username: 'ada@contoso.example',
        scp: 'todos.read todos.write', sub: 'ZQ1Nm3p8_pairwise', tid: TENANT, uti: 'AbCdEf', ver: '2.0', ...extra,
      },
      keys.entra,
      { typ: 'JWT' },
    );
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [
        authorizationServer(
          'https://login.microsoftonline.com/{tenantid}/v2.0',
          '/entra/discovery/v2.0/keys',
          {
            authorize: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
            token: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
          },
          { tenants: [TENANT] },
        ),
      ],
      { '/mcp': { audience: ENTRA_API, claims: { scopeClaims: ['scp', 'roles'], clientIds: [ENTRA_CLIENT] } } },
    );
  });

  it('accepts a delegated token of the allowed tenant: scopes from scp, client from azp, the tenant issuer', async () => {
    const auth = await accepted(recipe, token());
    assert.deepEqual(auth.scopes, ['todos.read', 'todos.write']);
    assert.equal(auth.clientId, ENTRA_CLIENT);
    assert.equal(auth.subject, 'ZQ1Nm3p8_pairwise');
    assert.equal(auth.issuer, iss(TENANT));
  });

  it('accepts an app-only token: its app roles are its scopes', async () => {
    const auth = await accepted(recipe, token({ scp: undefined, roles: ['Todos.ReadWrite.All'], sub: ENTRA_CLIENT }));
    assert.deepEqual(auth.scopes, ['Todos.ReadWrite.All']);
  });

  it('refuses another tenant, an iss/tid mismatch, a missing or non-GUID tid', async () => {
    await refused(recipe, token({ iss: iss(OTHER_TENANT), tid: OTHER_TENANT }), 'tenant_not_allowed');
    await refused(recipe, token({ tid: OTHER_TENANT }), 'issuer_untrusted');
    await refused(recipe, token({ tid: undefined }), 'missing_claim');
    await refused(recipe, token({ iss: iss('common'), tid: 'common' }), 'invalid_claim');
    await refused(recipe, token({ iss: 'https://login.microsoftonline.com/{tenantid}/v2.0' }), 'issuer_untrusted');
  });

  it('refuses a client that is not allowed, and a token for another API (Microsoft Graph)', async () => {
    const challenge = await refused(recipe, token({ azp: '11111111-2222-3333-4444-555555555555' }), 'client_not_allowed');
    assert.equal(challenge.params.error_description, 'The access token was issued to a client that is not allowed here.');
    await refused(recipe, token({ aud: '00000003-0000-0000-c000-000000000000' }), 'audience_mismatch');
    await refused(recipe, token({ aud: `api://${ENTRA_API}` }), 'audience_mismatch');
    await refused(recipe, token({ scp: 7 }), 'invalid_claim');
  });

  it("advertises the allowed tenant's own issuer, never the template", async () => {
    const response = await send(recipe.server, { path: '/.well-known/oauth-protected-resource/mcp' });
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body).authorization_servers, [iss(TENANT)]);
  });
});

describe('Microsoft Entra ID v1.0 (sts.windows.net template)', () => {
  const iss = (tenant) => `https://sts.windows.net/${tenant}/`;
  const token = (extra = {}, header = {}) =>
    signJwt(
      {
        aud: `api://${ENTRA_API}`, iss: iss(TENANT), ...times, appid: ENTRA_CLIENT, appidacr: '0',
        oid: 'b5f0e2a6-6b5d-4bd1-9c3b-3f1a6e1f6d2c', scp: 'todos.read', sub: 'v1-sub', tid: TENANT,
        unique_name: 'ada@contoso.example', uti: 'XyZ', ver: '1.0', ...extra,
      },
      keys.entra,
      { typ: 'JWT', x5t: keys.entra.kid, ...header },
    );
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [
        authorizationServer('https://sts.windows.net/{tenantid}/', '/entra/discovery/v2.0/keys', {
          authorize: 'https://login.microsoftonline.com/organizations/oauth2/authorize',
          token: 'https://login.microsoftonline.com/organizations/oauth2/token',
        }),
      ],
      { '/mcp': { audience: [`api://${ENTRA_API}`, ENTRA_API], claims: { scopeClaims: ['scp', 'roles'], clientIds: [ENTRA_CLIENT] } } },
    );
  });

  it('accepts a v1.0 token of any tenant: client from appid, api:// audience compared byte for byte', async () => {
    const auth = await accepted(recipe, token());
    assert.equal(auth.clientId, ENTRA_CLIENT);
    assert.deepEqual(auth.scopes, ['todos.read']);
    assert.equal(auth.issuer, iss(TENANT));
    assert.equal((await accepted(recipe, token({ iss: iss(OTHER_TENANT), tid: OTHER_TENANT }))).issuer, iss(OTHER_TENANT));
    await refused(recipe, token({ aud: `API://${ENTRA_API}` }), 'audience_mismatch');
    await refused(recipe, token({ aud: ENTRA_API.toUpperCase() }), 'audience_mismatch');
  });

  it('refuses a v2.0 token, an iss/tid mismatch and another client', async () => {
    await refused(recipe, token({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0` }), 'issuer_untrusted');
    await refused(recipe, token({ tid: OTHER_TENANT }), 'issuer_untrusted');
    await refused(recipe, token({ appid: 'another-client' }), 'client_not_allowed');
  });

  it('advertises no authorization server for a template without a tenant list', async () => {
    const response = await send(recipe.server, { path: '/.well-known/oauth-protected-resource/mcp' });
    assert.equal(JSON.parse(response.body).authorization_servers, undefined);
  });
});

describe('Auth0 (custom API, RBAC permissions)', () => {
  const ISS = 'https://example-tenant.us.auth0.com/';
  const token = (extra = {}, header = {}) =>
    signJwt(
      {
        iss: ISS, sub: 'auth0|64f1c0ffee', aud: [RESOURCE, `${ISS}userinfo`], ...times, azp: 'Zx8AUTH0client',
        scope: 'openid profile todos:read', permissions: ['todos:read', 'todos:write'], ...extra,
      },
      keys.auth0,
      { typ: 'JWT', ...header },
    );
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [authorizationServer(ISS, '/auth0/.well-known/jwks.json', { authorize: `${ISS}authorize`, token: `${ISS}oauth/token` })],
      { '/mcp': { claims: { scopeClaims: ['permissions'] } } },
    );
  });

  it('accepts an aud array holding our resource and /userinfo; the permissions are the scopes', async () => {
    const auth = await accepted(recipe, token());
    assert.deepEqual(auth.scopes, ['todos:read', 'todos:write']);
    assert.equal(auth.clientId, 'Zx8AUTH0client');
    assert.equal(auth.subject, 'auth0|64f1c0ffee');
  });

  it('accepts the RFC 9068 profile (at+jwt, client_id)', async () => {
    const auth = await accepted(recipe, token({ azp: undefined, client_id: 'Zx8AUTH0client', jti: 'j1' }, { typ: 'at+jwt' }));
    assert.equal(auth.clientId, 'Zx8AUTH0client');
  });

  it('refuses a /userinfo-only audience, an ID token, and a non-array permissions claim', async () => {
    await refused(recipe, token({ aud: `${ISS}userinfo` }), 'audience_mismatch');
    await refused(recipe, token({ aud: 'Zx8AUTH0client', nonce: 'n', scope: undefined, permissions: undefined }), 'audience_mismatch');
    await refused(recipe, token({ permissions: ['todos:read', 7] }), 'invalid_claim');
  });
});

describe('Keycloak (realm issuer, audience mapper)', () => {
  const ISS = 'https://keycloak.example.com/realms/acme';
  const token = (extra = {}) =>
    signJwt(
      {
        exp: times.exp, iat: times.iat, jti: 'onrtac:8f1c', iss: ISS, aud: RESOURCE, sub: 'f3a9c1de-user', typ: 'Bearer',
        azp: 'mcp-client', sid: 'c0ffee-session', acr: '1', 'allowed-origins': ['http://localhost:3000'],
        realm_access: { roles: ['default-roles-acme'] }, scope: 'openid profile todos:read', preferred_username: 'ada', ...extra,
      },
      keys.keycloak,
      { typ: 'JWT' },
    );
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [
        authorizationServer(ISS, '/keycloak/realms/acme/protocol/openid-connect/certs', {
          authorize: `${ISS}/protocol/openid-connect/auth`,
          token: `${ISS}/protocol/openid-connect/token`,
        }),
      ],
      {
        '/mcp': { claims: { clientIds: ['mcp-client'], requiredClaimValues: { typ: 'Bearer' } } },
        // What the recipe warns against: `account` accepted as an audience.
        '/account-too': { audience: [RESOURCE, 'account'], claims: { clientIds: ['mcp-client'] } },
      },
    );
  });

  it('accepts a token whose aud names our resource (alone or next to account); client from azp', async () => {
    const auth = await accepted(recipe, token());
    assert.equal(auth.clientId, 'mcp-client');
    assert.deepEqual(auth.scopes, ['openid', 'profile', 'todos:read']);
    assert.equal(auth.subject, 'f3a9c1de-user');
    await accepted(recipe, token({ aud: ['account', RESOURCE] }));
  });

  it("refuses the default realm's account-only audience, unless account is listed", async () => {
    await refused(recipe, token({ aud: 'account' }), 'audience_mismatch');
    await refused(recipe, token({ aud: undefined }), 'missing_claim');
    await accepted(recipe, token({ aud: 'account' }), '/account-too');
  });

  it('refuses an ID token, a non-Bearer token type and another client', async () => {
    await refused(recipe, token({ typ: 'ID', aud: 'mcp-client', nonce: 'n' }), 'audience_mismatch');
    await refused(recipe, token({ typ: 'ID' }), 'invalid_claim');
    await refused(recipe, token({ typ: undefined }), 'missing_claim');
    await refused(recipe, token({ azp: 'admin-cli' }), 'client_not_allowed');
  });
});

describe('Okta (custom authorization server)', () => {
  const ISS = 'https://dev-123456.okta.com/oauth2/default';
  const token = (extra = {}) =>
    signJwt(
      {
        ver: 1, jti: 'AT.x8pXb2kT0bJq', iss: ISS, aud: 'api://default', iat: times.iat, exp: times.exp,
        cid: '0oa1mcpclient', uid: '00u1ada', scp: ['openid', 'todos:read'], auth_time: times.iat, sub: 'ada@example.com', ...extra,
      },
      keys.okta,
      { typ: undefined },
    );
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [authorizationServer(ISS, '/okta/oauth2/default/v1/keys', { authorize: `${ISS}/v1/authorize`, token: `${ISS}/v1/token` })],
      { '/mcp': { audience: 'api://default', claims: { clientIds: ['0oa1mcpclient'] } } },
    );
  });

  it('accepts an access token: scopes from the scp array, client from cid', async () => {
    const auth = await accepted(recipe, token());
    assert.deepEqual(auth.scopes, ['openid', 'todos:read']);
    assert.equal(auth.clientId, '0oa1mcpclient');
    assert.equal(auth.subject, 'ada@example.com');
  });

  it("refuses an ID token, another client, and the org authorization server's tokens", async () => {
    await refused(recipe, token({ aud: '0oa1mcpclient', scp: undefined, cid: undefined, amr: ['pwd'], nonce: 'n' }), 'audience_mismatch');
    await refused(recipe, token({ cid: '0oa9other' }), 'client_not_allowed');
    await refused(recipe, token({ iss: 'https://dev-123456.okta.com' }), 'issuer_untrusted');
  });
});

describe('Amazon Cognito (user pool access tokens)', () => {
  const ISS = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1';
  const CLIENT = '7example23456789client';
  const accessToken = (extra = {}) =>
    signJwt(
      {
        sub: 'aaaaaaaa-bbbb-cccc-dddd-example', 'cognito:groups': ['admins'], iss: ISS, version: 2, client_id: CLIENT,
        origin_jti: 'o-1', token_use: 'access', scope: 'todos/read todos/write', auth_time: times.iat,
        exp: times.exp, iat: times.iat, jti: 'j-1', username: 'ada', ...extra,
      },
      keys.cognito,
      { typ: undefined },
    );
  const idToken = () =>
    signJwt(
      {
        sub: 'aaaaaaaa-bbbb-cccc-dddd-example', aud: CLIENT, email_verified: true, token_use: 'id', auth_time: times.iat,
        iss: ISS, 'cognito:username': 'ada', exp: times.exp, iat: times.iat, jti: 'j-2', origin_jti: 'o-1', email: 'ada@example.com',
      },
      keys.cognito,
      { typ: undefined },
    );
  let recipe;
  before(async () => {
    recipe = await serveRecipe(
      [
        authorizationServer(ISS, '/cognito/.well-known/jwks.json', {
          authorize: 'https://example.auth.us-east-1.amazoncognito.com/oauth2/authorize',
          token: 'https://example.auth.us-east-1.amazoncognito.com/oauth2/token',
        }),
      ],
      { '/mcp': { audience: false, claims: { clientIds: [CLIENT], requiredClaimValues: { token_use: 'access' } } } },
    );
  });

  it('accepts an access token without aud: bound to our app client by client_id instead', async () => {
    const auth = await accepted(recipe, accessToken());
    assert.equal(auth.clientId, CLIENT);
    assert.deepEqual(auth.scopes, ['todos/read', 'todos/write']);
    assert.equal(auth.subject, 'aaaaaaaa-bbbb-cccc-dddd-example');
  });

  it('refuses an ID token, another app client and a token without client_id', async () => {
    await refused(recipe, idToken(), 'invalid_claim');
    await refused(recipe, accessToken({ token_use: 'id' }), 'invalid_claim');
    await refused(recipe, accessToken({ token_use: undefined }), 'missing_claim');
    await refused(recipe, accessToken({ client_id: 'another-app-client' }), 'client_not_allowed');
    await refused(recipe, accessToken({ client_id: undefined }), 'missing_claim');
  });
});

describe('claim options are validated by the addon at setup', () => {
  const ISS = 'https://keycloak.example.com/realms/acme';
  const build = (server, options) => {
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [server] } } });
    return () => mcpAuth.bearerAuth('jwt', { resource: RESOURCE, ...options });
  };
  const plain = () => authorizationServer(ISS, '/keycloak/realms/acme/protocol/openid-connect/certs', { authorize: `${ISS}/a`, token: `${ISS}/t` });
  const refusedWith = (fn, pattern) =>
    assert.throws(fn, (err) => {
      assert.equal(err.code, 'invalid_server_config');
      assert.match(String(err.cause?.cause ?? err.cause?.reason ?? err.cause), pattern);
      return true;
    });

  it('names the option that is wrong', () => {
    refusedWith(build(plain(), { claims: { clientIds: [] } }), /`clientIds` must be a list of 1 to 1000/);
    refusedWith(build(plain(), { claims: { scopeClaims: ['scp', 'scp'] } }), /`scopeClaims` must be a list of 1 to 32 distinct/);
    refusedWith(build(plain(), { claims: { requiredClaimValues: { token_use: 7 } } }), /./);
    refusedWith(build({ ...plain(), tenants: [TENANT] }, {}), /`tenants` is only for an issuer with a \{tenantid\} placeholder/);
    const template = authorizationServer('https://login.microsoftonline.com/{tenantid}/v2.0', '/entra/discovery/v2.0/keys', {
      authorize: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
      token: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
    });
    refusedWith(build({ ...template, tenants: ['common'] }, {}), /`tenants` must be a list of 1 to 1000 tenant ids, each a GUID/);
  });
});
