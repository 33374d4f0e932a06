// Provider recipe through RFC 7662 introspection (docs/providers.md): Okta's
// org authorization server, whose access tokens are opaque to resource
// servers. A local endpoint answers as Okta's /oauth2/v1/introspect does
// (client_secret_basic, `client_id` and a `scope` string where the JWTs of a
// custom server carry `cid` and an `scp` array); the issuer keeps Okta's form.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startHttp } from './helpers/http.mjs';
import { nowSeconds } from './helpers/keys.mjs';
import { RESOURCE, authorizationServer, serveRecipe, accepted, refused, send, useProviderServers } from './helpers/providers.mjs';

useProviderServers();

describe('Okta org authorization server (opaque tokens, introspection)', () => {
  const ORG = 'https://dev-123456.okta.com';
  const CLIENT = { clientId: '0oa1resourceserver', clientSecret: 'okta-secret' };
  const basic = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;
  const now = nowSeconds();
  const answers = {
    'okta-good': { aud: ORG, client_id: '0oa1mcpclient' },
    'okta-other-client': { aud: ORG, client_id: '0oa1someoneelse' },
    'okta-other-org': { aud: 'https://dev-999999.okta.com', client_id: '0oa1mcpclient' },
  };
  let endpoint;
  let recipe;
  before(async () => {
    endpoint = await startHttp(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const token = new URLSearchParams(body).get('token');
      res.writeHead(req.headers.authorization === basic ? 200 : 401, { 'content-type': 'application/json' });
      if (req.headers.authorization !== basic) return res.end('{"errorCode":"invalid_client"}');
      const answer = answers[token];
      res.end(JSON.stringify(answer
        ? { active: true, scope: 'openid todos:read', username: 'ada@example.com', exp: now + 3600, iat: now, sub: 'ada@example.com', iss: ORG, jti: 'AT.opaque1', token_type: 'Bearer', uid: '00u1ada', ...answer }
        : { active: false }));
    });
    recipe = await serveRecipe(
      [authorizationServer(ORG, '/okta/oauth2/default/v1/keys', { authorize: `${ORG}/oauth2/v1/authorize`, token: `${ORG}/oauth2/v1/token` })],
      {
        '/mcp': {
          mode: 'introspection',
          audience: ORG,
          claims: { clientIds: ['0oa1mcpclient'] },
          // Okta's is https://{domain}/oauth2/v1/introspect; here the local stand-in.
          introspection: { ...CLIENT, endpoint: `${endpoint.url}/oauth2/v1/introspect` },
        },
      },
    );
  });
  after(() => endpoint?.close());

  it('accepts an active answer for the allowed client: scope string, client_id, sub', async () => {
    const auth = await accepted(recipe, 'okta-good');
    assert.deepEqual(auth.scopes, ['openid', 'todos:read']);
    assert.equal(auth.clientId, '0oa1mcpclient');
    assert.equal(auth.subject, 'ada@example.com');
    assert.equal(auth.issuer, ORG);
    assert.equal(auth.claims.username, 'ada@example.com');
  });

  it('refuses another client of the org, another org, and an inactive token', async () => {
    await refused(recipe, 'okta-other-client', 'client_not_allowed');
    await refused(recipe, 'okta-other-org', 'audience_mismatch');
    await refused(recipe, 'okta-revoked', 'token_inactive');
  });

  it('the protected resource metadata names the org issuer, where clients get their tokens', async () => {
    const response = await send(recipe.server, { path: `/.well-known/oauth-protected-resource${new URL(RESOURCE).pathname}` });
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body).authorization_servers, [ORG]);
  });
});
