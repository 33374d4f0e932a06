// docs/adapters.md's web-standard example (examples/adapters/web.mjs) served the
// way Bun.serve/Deno.serve would serve its `fetch` (here through
// @hono/node-server on Node; `npm run test:runtimes` runs Bun and Deno), and
// the adapters' `stripAuthorizationHeader` (C12).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { readFileSync } from 'node:fs';
import { getRequestListener } from '@hono/node-server';
import { includes } from '../scripts/include-examples.mjs';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { ADAPTERS } from './helpers/adapters.mjs';
import { send, single } from './helpers/app.mjs';
import { startHttp } from './helpers/http.mjs';
import { claims, generateKey, signJwt } from './helpers/keys.mjs';

const key = generateKey('ES256', { kid: 'web' });
let as;
before(async () => {
  as = await startAuthServer({ keys: [key] });
});
after(() => as?.close());

describe('docs/adapters.md: web-standard handler (examples/adapters/web.mjs)', () => {
  let server;
  let resource;
  before(async () => {
    server = await startHttp(getRequestListener((request) => handler.fetch(request)));
    resource = `${server.url}/mcp`;
    process.env.ISSUER = as.issuer;
    process.env.RESOURCE = resource;
    handler = (await import('../examples/adapters/web.mjs')).default;
  });
  let handler;
  after(() => server?.close());

  it('401 with our challenge, 200 for a valid token with WWW-Authenticate exposed, the metadata, a preflight passed to CORS', async () => {
    const rejected = await send(server, { path: '/mcp' });
    assert.equal(rejected.status, 401);
    const prm = `${server.url}/.well-known/oauth-protected-resource/mcp`;
    // DPoP is 'allowed' by default: its challenge follows Bearer's (RFC 9449 §7.1).
    assert.match(single(rejected, 'www-authenticate'), new RegExp(`^Bearer resource_metadata="${prm}", DPoP algs="[A-Za-z0-9 ]+", resource_metadata="${prm}"$`));
    const bearer = signJwt(claims({ issuer: as.issuer, audience: resource, sub: 'web-user' }), key);
    const accepted = await send(server, { path: '/mcp', headers: [['Authorization', `Bearer ${bearer}`], ['Origin', 'https://app.example']] });
    assert.equal(accepted.status, 200);
    assert.deepEqual(JSON.parse(accepted.body), { subject: 'web-user' });
    assert.equal(single(accepted, 'access-control-expose-headers'), 'WWW-Authenticate');
    const metadata = await send(server, { path: '/.well-known/oauth-protected-resource/mcp' });
    assert.equal(JSON.parse(metadata.body).resource, resource);
    const preflight = await send(server, { method: 'OPTIONS', path: '/mcp', headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']] });
    assert.equal(preflight.status, 204);
  });
});

describe('stripAuthorizationHeader: the handler no longer sees the token', () => {
  for (const label of ['web-standard', 'hono', 'fastify']) {
    it(label, async () => {
      const mcpAuth = new MCPAuth({
        protectedResources: { metadata: { resource: 'https://mcp.example.com/mcp', authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oauth' })] } },
      });
      const seen = [];
      const verify = (token) => (seen.push(token.length), { token, clientId: 'c', scopes: [], issuer: as.issuer, audience: 'https://mcp.example.com/mcp' });
      const server = await ADAPTERS[label](mcpAuth, [
        { path: '/mcp', methods: ['GET'], mode: verify, reply: 'headers', options: { resource: 'https://mcp.example.com/mcp', stripAuthorizationHeader: true } },
      ]);
      try {
        const res = await send(server, { path: '/mcp', headers: [['Authorization', 'Bearer opaque-token-value']] });
        assert.equal(res.status, 200);
        assert.equal(seen.length, 1);
        assert.equal(JSON.parse(res.body).authorization, null);
      } finally {
        await server.close();
      }
    });
  }
});

describe('docs: every adapter section includes its example file (the tests run those files)', () => {
  // docs/adapters.md and docs/observability.md: the page, its section title, the
  // example file; the block is the file by `npm run test:includes`' rule.
  const sections = [
    ['adapters.md', 'Hono', 'hono.mjs'],
    ['adapters.md', 'Fastify', 'fastify.mjs'],
    ['adapters.md', 'Web-standard (Bun, Deno, Workers-style handlers)', 'web.mjs'],
    ['observability.md', 'OpenTelemetry', 'opentelemetry.mjs'],
  ];
  const all = includes();
  for (const [page, title, file] of sections) {
    it(`docs/${page} ${title}: examples/adapters/${file}`, () => {
      const doc = readFileSync(new URL(`../docs/${page}`, import.meta.url), 'utf8');
      const start = doc.indexOf(`\n## ${title}\n`);
      assert.ok(start >= 0, `no "## ${title}" section in docs/${page}`);
      const end = doc.indexOf('\n## ', start + 1);
      // The marker's line lies inside the section.
      const [first, last] = [start, end < 0 ? doc.length : end].map((at) => doc.slice(0, at).split('\n').length + 1);
      const marker = all.find((entry) => entry.doc === `docs/${page}` && entry.file === `examples/adapters/${file}`);
      assert.ok(marker, `docs/${page} does not include examples/adapters/${file}`);
      assert.ok(marker.line >= first && marker.line < last, `the include of ${file} is not in "## ${title}" (docs/${page}:${marker.line})`);
      assert.equal(marker.matches, true, `${file} differs from docs/${page}:${marker.line} (npm run docs:include)`);
    });
  }
});
