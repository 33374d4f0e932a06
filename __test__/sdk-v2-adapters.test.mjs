// SDK v2 servers on Hono (@modelcontextprotocol/hono) and Fastify
// (@modelcontextprotocol/fastify): docs/adapters.md's examples (examples/adapters/),
// run as they are, each driven by the SDK v2 client through the full OAuth
// flow against the embedded authorization server; the tool sees the caller.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startExample } from './helpers/examples.mjs';
import { startAuthorizationServer } from '../examples/todo-manager/authorization-server.mjs';
import { connectAs } from '../examples/todo-manager/client.mjs';

describe('SDK v2 servers on Hono and Fastify, full OAuth flow', () => {
  let as;
  before(async () => {
    as = await startAuthorizationServer({ scopes: ['whoami'], accounts: { alice: { scopes: ['whoami'] }, bob: { scopes: [] } } });
  });
  after(() => as?.close());

  for (const example of ['hono.mjs', 'fastify.mjs']) {
    it(`${example}: the v2 client signs in, the tool sees the caller; no token, 401 with our challenge`, async () => {
      const server = await startExample(example, { ISSUER: as.issuer });
      try {
        as.addResource(server.resource);
        const unauthenticated = await fetch(server.resource, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        assert.equal(unauthenticated.status, 401);
        assert.match(unauthenticated.headers.get('www-authenticate'), /^Bearer resource_metadata="(http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp)", scope="whoami", DPoP algs="[A-Za-z0-9 ]+", resource_metadata="\1", scope="whoami"$/);
        const metadata = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', server.resource));
        assert.equal((await metadata.json()).resource, server.resource);

        const session = await connectAs({ mcpUrl: server.resource, account: 'alice' });
        try {
          assert.equal(session.protocolVersion, '2026-07-28');
          const result = await session.client.callTool({ name: 'whoami', arguments: {} });
          const seen = JSON.parse(result.content[0].text);
          assert.equal(seen.subject, 'alice');
          assert.ok(seen.scopes.includes('whoami'));
        } finally {
          await session.client.close();
        }
      } finally {
        await server.stop();
      }
    });
  }
});
