// The metadata documents under every adapter (helpers/adapters.mjs): the same
// bytes and the same GET/HEAD/OPTIONS/405 answers as the Express router
// (wrapper-metadata.test.mjs has the Express-only cases: mount points, the
// legacy mirror), and resources that differ only by query kept apart (C27).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth } from 'mcp-auth-rs';
import { ADAPTERS } from './helpers/adapters.mjs';
import { send, single, hasHeader, jsonBody } from './helpers/app.mjs';
import { resolvedAuthServer } from './helpers/metadata.mjs';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';
const authServer = resolvedAuthServer();
const ROOT_DOCUMENT = '{"resource":"http://localhost:3001","authorization_servers":["https://as.example.com"],"scopes_supported":["read:todos"],"bearer_methods_supported":["header"],"dpop_signing_alg_values_supported":["RS256","RS384","RS512","PS256","PS384","PS512","ES256","ES384","EdDSA"]}';

for (const [label, serve] of Object.entries(ADAPTERS)) {
  describe(`protected resource metadata (${label})`, () => {
    let server;
    before(async () => {
      const mcpAuth = new MCPAuth({
        protectedResources: [
          { metadata: { resource: 'http://localhost:3001', authorizationServers: [authServer], scopesSupported: ['read:todos'] } },
          { metadata: { resource: 'https://s.example/mcp', authorizationServers: [authServer] } },
          { metadata: { resource: 'https://s.example/mcp?tenant=2', authorizationServers: [authServer] } },
        ],
      });
      server = await serve(mcpAuth, [
        { path: '/mcp', methods: ['GET'], mode: 'jwt', reply: 'echo', options: { resource: 'http://localhost:3001' } },
      ]);
    });
    after(() => server?.close());

    it('GET: 200, exact bytes, CORS open', async () => {
      const res = await send(server, { path: WELL_KNOWN });
      assert.equal(res.status, 200);
      assert.equal(single(res, 'content-type'), 'application/json; charset=utf-8');
      assert.equal(single(res, 'access-control-allow-origin'), '*');
      assert.equal(res.body, ROOT_DOCUMENT);
    });

    it('HEAD: 200 with the GET headers and no body', async () => {
      const head = await send(server, { method: 'HEAD', path: WELL_KNOWN });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.equal(single(head, 'content-type'), 'application/json; charset=utf-8');
    });

    it('OPTIONS: 204 CORS preflight open to any origin', async () => {
      const res = await send(server, {
        method: 'OPTIONS',
        path: WELL_KNOWN,
        headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'GET'], ['Access-Control-Request-Headers', 'mcp-protocol-version']],
      });
      assert.equal(res.status, 204);
      assert.equal(single(res, 'access-control-allow-origin'), '*');
      assert.equal(single(res, 'access-control-allow-methods'), 'GET, HEAD, OPTIONS');
      assert.equal(single(res, 'access-control-allow-headers'), 'mcp-protocol-version');
      assert.equal(single(res, 'access-control-max-age'), '86400');
    });

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      it(`${method}: 405 with Allow, JSON`, async () => {
        const res = await send(server, { method, path: WELL_KNOWN, headers: [['Content-Type', 'application/json']], body: '{}' });
        assert.equal(res.status, 405);
        assert.equal(single(res, 'allow'), 'GET, HEAD, OPTIONS');
        assert.deepEqual(jsonBody(res), { error: 'method_not_allowed' });
        assert.equal(hasHeader(res, 'www-authenticate'), false);
      });
    }

    it('never authenticates, whatever Authorization says', async () => {
      assert.equal((await send(server, { path: WELL_KNOWN, headers: [['Authorization', 'Bearer garbage']] })).status, 200);
    });

    it('paths and queries match exactly; anything else is passed on', async () => {
      assert.equal(jsonBody(await send(server, { path: `${WELL_KNOWN}/mcp` })).resource, 'https://s.example/mcp');
      assert.equal(jsonBody(await send(server, { path: `${WELL_KNOWN}/mcp?tenant=2` })).resource, 'https://s.example/mcp?tenant=2');
      for (const path of [`${WELL_KNOWN}/`, `${WELL_KNOWN}/other`, `${WELL_KNOWN}/mcp?tenant=3`, `${WELL_KNOWN}/mcp?tenant=2&x=1`]) {
        assert.equal((await send(server, { path })).status, 404, path);
      }
      // The gate behind them still answers for its own route.
      assert.equal((await send(server, { path: '/mcp' })).status, 401);
    });
  });
}
