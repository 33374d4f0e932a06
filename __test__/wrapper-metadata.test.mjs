// Metadata endpoints over real HTTP: RFC 9728 protected resource metadata
// (spec C27, C28) and the legacy AS-metadata mirror (C29), Express 4 and 5.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth, fetchServerConfig, MCPAuthAuthServerError } from 'mcp-auth-rs';
import { generateKey } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { EXPRESS_VERSIONS, serveApp, send, single, hasHeader, jsonBody } from './helpers/app.mjs';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

for (const [label, express] of Object.entries(EXPRESS_VERSIONS)) {
  describe(`protectedResourceMetadataRouter (${label})`, () => {
    let as;
    let server;
    let issuer;

    before(async () => {
      as = await startAuthServer({ keys: [generateKey('ES256', { kid: 'prm' })] });
      issuer = as.issuer;
      const authServer = await fetchServerConfig(as.issuer, { type: 'oauth' });
      const mcpAuth = new MCPAuth({
        protectedResources: [
          { metadata: { resource: 'http://localhost:3001', authorizationServers: [authServer], scopesSupported: ['create:todos', 'read:todos'] } },
          {
            metadata: {
              resource: 'https://MCP.Example.com:443/Tools/mcp',
              authorizationServers: [authServer, { issuer: 'https://second.example/tenant', type: 'oidc' }],
              scopesSupported: ['tools:run', 'offline_access'],
              resourceName: 'Tool server',
              resourceDocumentation: undefined,
              resourcePolicyUri: '',
              resourceSigningAlgValuesSupported: [],
              bearerMethodsSupported: ['header', 'body'],
              dpopBoundAccessTokensRequired: false,
              extraMember: { nestedKey: 1 },
            },
          },
          { metadata: { resource: 'https://q.example/mcp?tenant=a' } },
        ],
      });
      server = await serveApp(express, (app) => {
        app.use(mcpAuth.protectedResourceMetadataRouter());
        app.use('/mounted', mcpAuth.protectedResourceMetadataRouter());
        app.use(mcpAuth.bearerAuth('jwt', { resource: 'http://localhost:3001' }));
      });
    });
    after(async () => {
      await server?.close();
      await as?.close();
    });

    it('root resource: GET at the bare well-known path, exact bytes', async () => {
      const res = await send(server, { path: WELL_KNOWN });
      assert.equal(res.status, 200);
      assert.equal(single(res, 'content-type'), 'application/json; charset=utf-8');
      assert.equal(single(res, 'access-control-allow-origin'), '*');
      assert.equal(
        res.body,
        `{"resource":"http://localhost:3001","authorization_servers":["${issuer}"],"scopes_supported":["create:todos","read:todos"],"bearer_methods_supported":["header"],"dpop_signing_alg_values_supported":["RS256","RS384","RS512","PS256","PS384","PS512","ES256","ES384","EdDSA"]}`,
      );
    });

    it('path resource: path-aware URL, resource verbatim, issuers as strings, empty members and offline_access left out', async () => {
      const res = await send(server, { path: `${WELL_KNOWN}/Tools/mcp` });
      assert.equal(res.status, 200);
      assert.deepEqual(jsonBody(res), {
        resource: 'https://MCP.Example.com:443/Tools/mcp',
        authorization_servers: [issuer, 'https://second.example/tenant'],
        scopes_supported: ['tools:run'],
        bearer_methods_supported: ['header'],
        resource_name: 'Tool server',
        extra_member: { nested_key: 1 },
        // The DPoP members say what the middleware enforces (`dpop`, default 'allowed'), not what was written.
        dpop_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'],
      });
    });

    it('a resource with a query keeps it in the metadata URL (RFC 9728 §3.1)', async () => {
      const res = await send(server, { path: `${WELL_KNOWN}/mcp?tenant=a` });
      assert.equal(res.status, 200);
      assert.equal(jsonBody(res).resource, 'https://q.example/mcp?tenant=a');
      assert.equal((await send(server, { path: `${WELL_KNOWN}/mcp?tenant=b` })).status, 401);
    });

    it('HEAD: 200 with the GET headers and no body', async () => {
      const get = await send(server, { path: WELL_KNOWN });
      const head = await send(server, { method: 'HEAD', path: WELL_KNOWN });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.equal(single(head, 'content-length'), single(get, 'content-length'));
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
      assert.equal(hasHeader(res, 'www-authenticate'), false);
    });

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      it(`${method}: 405 with Allow`, async () => {
        const res = await send(server, { method, path: WELL_KNOWN, body: '{}' });
        assert.equal(res.status, 405);
        assert.equal(single(res, 'allow'), 'GET, HEAD, OPTIONS');
        assert.equal(hasHeader(res, 'www-authenticate'), false);
      });
    }

    it('never authenticates, whatever Authorization says', async () => {
      const res = await send(server, { path: WELL_KNOWN, headers: [['Authorization', 'Bearer garbage']] });
      assert.equal(res.status, 200);
    });

    it('matches paths exactly and relative to the mount point', async () => {
      assert.equal((await send(server, { path: `${WELL_KNOWN}/` })).status, 401);
      assert.equal((await send(server, { path: `${WELL_KNOWN}/other` })).status, 401);
      assert.equal((await send(server, { path: `/mounted${WELL_KNOWN}` })).status, 200);
    });
  });
}

describe('delegatedRouter (legacy server mode)', () => {
  let as;
  before(async () => {
    as = await startAuthServer({ keys: [generateKey('ES256', { kid: 'legacy' })] });
  });
  after(() => as?.close());

  it('mirrors resolved metadata, snake_case, at /.well-known/oauth-authorization-server only', async () => {
    const mcpAuth = new MCPAuth({ server: await fetchServerConfig(as.issuer, { type: 'oidc' }) });
    const server = await serveApp(EXPRESS_VERSIONS['express 4'], (app) => app.use(mcpAuth.delegatedRouter()));
    try {
      const res = await send(server, { path: '/.well-known/oauth-authorization-server' });
      assert.equal(res.status, 200);
      const body = jsonBody(res);
      assert.equal(body.issuer, as.issuer);
      assert.equal(body.jwks_uri, as.jwksUri);
      assert.deepEqual(body.response_types_supported, ['code']);
      assert.equal((await send(server, { path: '/.well-known/openid-configuration' })).status, 404);
    } finally {
      await server.close();
    }
  });

  it('fetches a discovery config once, answers 503 while the server is down, and retries after', async () => {
    const mcpAuth = new MCPAuth({ server: { issuer: as.issuer, type: 'oauth' } });
    const server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) => app.use(mcpAuth.delegatedRouter()));
    try {
      as.setFault('*', 'down');
      const down = await send(server, { path: '/.well-known/oauth-authorization-server' });
      assert.equal(down.status, 503);
      assert.ok(Number(single(down, 'retry-after')) > 0);
      assert.equal(jsonBody(down).error, 'server_error');

      as.clearFaults();
      as.resetHits();
      for (let i = 0; i < 2; i++) {
        const res = await send(server, { path: '/.well-known/oauth-authorization-server' });
        assert.equal(res.status, 200);
        assert.equal(jsonBody(res).issuer, as.issuer);
      }
      assert.equal(as.hitCount(as.paths.oauth), 1);
    } finally {
      as.clearFaults();
      await server.close();
    }
  });

  it('each router is only available in its own mode', async () => {
    const legacy = new MCPAuth({ server: { issuer: as.issuer, type: 'oauth' } });
    const modern = new MCPAuth({ protectedResources: { metadata: { resource: 'https://r.example/mcp' } } });
    const isConfigError = (error) => error instanceof MCPAuthAuthServerError && error.code === 'invalid_server_config';
    assert.throws(() => legacy.protectedResourceMetadataRouter(), isConfigError);
    assert.throws(() => modern.delegatedRouter(), isConfigError);
  });
});

// Issue 12, finding 4: resources that differ only by query must not shadow
// each other, whatever the configuration order (RFC 9728 §3.3).
describe('resources that differ only by query', () => {
  const plain = 'https://s.example/mcp';
  const tenant = 'https://s.example/mcp?tenant=2';
  for (const [label, express] of Object.entries(EXPRESS_VERSIONS)) {
    for (const order of [[plain, tenant], [tenant, plain]]) {
      it(`each challenge leads to its own document, exact query only (${label}, ${order[0] === plain ? 'plain first' : 'query first'})`, async () => {
        const mcpAuth = new MCPAuth({ protectedResources: order.map((resource) => ({ metadata: { resource } })) });
        const verify = (token) => ({ token, clientId: 'c', scopes: [], issuer: 'x', audience: token });
        const server = await serveApp(express, (app) => {
          app.use(mcpAuth.protectedResourceMetadataRouter());
          app.get('/plain', mcpAuth.bearerAuth(verify, { resource: plain }), (req, res) => res.end());
          app.get('/tenant', mcpAuth.bearerAuth(verify, { resource: tenant }), (req, res) => res.end());
          app.use((req, res) => res.status(404).json({ error: 'not_found' }));
        });
        try {
          for (const [route, resource] of [['/plain', plain], ['/tenant', tenant]]) {
            const challenge = single(await send(server, { path: route }), 'www-authenticate');
            const url = new URL(/resource_metadata="([^"]+)"/.exec(challenge)[1]);
            const res = await send(server, { path: url.pathname + url.search });
            assert.equal(res.status, 200);
            assert.equal(jsonBody(res).resource, resource);
          }
          for (const query of ['?tenant=3', '?tenant=2&x=1', '?']) {
            assert.equal((await send(server, { path: `${WELL_KNOWN}/mcp${query}` })).status, 404, query);
          }
        } finally {
          await server.close();
        }
      });
    }
  }
});
