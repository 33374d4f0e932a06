// 'auto' mode with an issuer template (issue 20, item 1): a resource trusting
// Microsoft Entra ID's multi-tenant issuer (docs/providers.md) and a second
// authorization server whose RFC 7662 endpoint counts its calls. A JWS whose
// `iss` has the template's shape is judged locally, exactly as in 'jwt' mode,
// by the verifier's own issuer selection: a valid tenant token is accepted,
// a forged or mismatched one refused, and none reaches the endpoint.
// Opaque tokens are still introspected.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { generateKey, signJwt } from './helpers/keys.mjs';
import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import {
  TENANT, OTHER_TENANT, ENTRA_API, ENTRA_CLIENT, keys, times,
  authorizationServer, serveRecipe, accepted, refused, useProviderServers,
} from './helpers/providers.mjs';

useProviderServers();

describe("'auto' with the Entra issuer template and an introspecting server", () => {
  const iss = (tenant) => `https://login.microsoftonline.com/${tenant}/v2.0`;
  const payload = (extra = {}) => ({ aud: ENTRA_API, iss: iss(TENANT), ...times, azp: ENTRA_CLIENT, scp: 'todos.read', sub: 'ada', tid: TENANT, ver: '2.0', ...extra });
  const token = (extra) => signJwt(payload(extra), keys.entra, { typ: 'JWT' });
  let as;
  let recipe;
  before(async () => {
    as = await startIntrospectionServer();
    recipe = await serveRecipe(
      [
        authorizationServer('https://login.microsoftonline.com/{tenantid}/v2.0', '/entra/discovery/v2.0/keys', {
          authorize: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
          token: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
        }),
        { issuer: as.issuer, type: 'oauth' },
      ],
      {
        '/mcp': {
          mode: 'auto',
          audience: ENTRA_API,
          claims: { scopeClaims: ['scp', 'scope'] },
          introspection: { clientId: 'rs', clientSecret: 's3cret', issuer: as.issuer, timeout: 1000 },
        },
      },
    );
  });
  after(() => as?.close());

  it('a valid tenant JWT is accepted locally: the introspection endpoint receives nothing', async () => {
    as.state.calls = 0;
    as.state.answer = () => ({ body: { active: false } });
    const auth = await accepted(recipe, token());
    assert.equal(auth.issuer, iss(TENANT));
    assert.deepEqual(auth.scopes, ['todos.read']);
    assert.equal(as.state.calls, 0);
  });

  it('a forged tenant JWT, or one whose tid is not its iss tenant, is refused locally: nothing is introspected', async () => {
    as.state.calls = 0;
    as.state.answer = () => ({ body: as.active({ aud: ENTRA_API }) });
    const forger = generateKey('RS256', { kid: keys.entra.kid });
    await refused(recipe, signJwt(payload(), forger, { typ: 'JWT' }), 'bad_signature');
    await refused(recipe, token({ tid: OTHER_TENANT }), 'issuer_untrusted');
    await refused(recipe, token({ tid: undefined }), 'missing_claim');
    assert.equal(as.state.calls, 0);
  });

  it('an opaque token is still introspected at the other server', async () => {
    as.state.calls = 0;
    as.state.answer = () => ({ body: as.active({ aud: ENTRA_API }) });
    const auth = await accepted(recipe, 'opaque-reference-token');
    assert.equal(auth.issuer, as.issuer);
    assert.equal(as.state.calls, 1);
  });
});
