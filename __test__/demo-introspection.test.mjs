// The demo's authorization server (examples/todo-manager) issues opaque
// access tokens for resources registered with tokenFormat 'opaque' and
// answers RFC 7662 introspection for the resource server's own client only.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startAuthorizationServer } from '../examples/todo-manager/authorization-server.mjs';
import { obtainAccessToken } from '../examples/todo-manager/client.mjs';

describe('demo authorization server: opaque tokens and introspection', () => {
  let as;
  let endpoint;
  const opaque = 'http://127.0.0.1:9/opaque';
  const jwt = 'http://127.0.0.1:9/jwt';
  const introspect = (token, { clientId, clientSecret } = as.introspectionClient) =>
    fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });

  before(async () => {
    as = await startAuthorizationServer();
    as.addResource(opaque, { tokenFormat: 'opaque' });
    as.addResource(jwt);
    endpoint = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()).introspection_endpoint;
  });
  after(() => as?.close());

  it('an opaque token for its resource introspects as active, with aud, scope, sub, client_id, exp and iss', async () => {
    const { access_token: token } = await obtainAccessToken({ issuer: as.issuer, resource: opaque, account: 'admin', scope: 'create:todos read:todos' });
    assert.equal(token.split('.').length, 1, 'expected an opaque token');
    const response = await introspect(token);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.active, true);
    assert.equal(body.aud, opaque);
    assert.equal(body.iss, as.issuer);
    assert.equal(body.sub, 'admin');
    assert.equal(body.scope, 'create:todos read:todos');
    assert.equal(typeof body.client_id, 'string');
    assert.ok(body.exp > Date.now() / 1000);
  });

  it('JWT resources still get JWTs; unknown tokens and wrong credentials are refused', async () => {
    const { access_token: token } = await obtainAccessToken({ issuer: as.issuer, resource: jwt, account: 'user', scope: 'create:todos' });
    assert.equal(token.split('.').length, 3);
    assert.deepEqual(await (await introspect('not-a-token')).json(), { active: false });
    const wrongSecret = await introspect('not-a-token', { clientId: as.introspectionClient.clientId, clientSecret: 'wrong' });
    assert.equal(wrongSecret.status, 401);
  });
});
