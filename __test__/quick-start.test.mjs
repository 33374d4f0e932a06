// Runs README.md's Node quick starts as written: each is a file under
// examples/quick-start/ that the README includes (`<!-- include: … -->`,
// checked by `npm run test:includes`), imported here with ISSUER (a local
// authorization server) and RESOURCE set, served on 127.0.0.1, and called with
// raw JSON-RPC POSTs as an SDK client sends them (stateless, 2025-11-25).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { includes } from '../scripts/include-examples.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { freePort } from './helpers/examples.mjs';
import { parseWwwAuthenticate, startHttp } from './helpers/http.mjs';
import { claims, generateKey, signJwt } from './helpers/keys.mjs';

const NAMES = ['v2', 'v1'];

async function serve(name, issuer) {
  const port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  Object.assign(process.env, { ISSUER: issuer, RESOURCE: resource });
  const { app } = await import(new URL(`../examples/quick-start/${name}.mjs`, import.meta.url).href);
  return { resource, ...(await startHttp(app, { port })) };
}

const call = (server, tool, token) =>
  fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } }),
  });

// The JSON-RPC result, from a JSON or an SSE answer.
async function result(response) {
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('text/event-stream')
    ? JSON.parse(text.split('\n').find((line) => line.startsWith('data:')).slice(5))
    : JSON.parse(text);
  return json.result;
}

describe("README.md's Node quick starts (examples/quick-start/) run as written", () => {
  let as;
  let key;

  before(async () => {
    key = generateKey('ES256', { kid: 'quick-start' });
    as = await startAuthServer({ keys: [key] });
  });
  after(() => as?.close());

  it('the README includes each file as it is', () => {
    const shown = includes().filter((entry) => entry.doc === 'README.md' && entry.file?.startsWith('examples/quick-start/'));
    assert.deepEqual(shown.map((entry) => entry.file).sort(), ['python_sdk.py', 'v1.mjs', 'v2.mjs'].map((f) => `examples/quick-start/${f}`));
    assert.deepEqual(shown.filter((entry) => !entry.matches), []);
  });

  for (const name of NAMES) {
    it(`${name}: no token is a 401 naming the metadata; a valid token reaches whoami, which names the subject`, async () => {
      const server = await serve(name, as.issuer);
      const scope = name === 'v1' ? 'read:todos' : undefined; // v1 requires read:todos on the route
      const token = (s) => signJwt(claims({ issuer: as.issuer, audience: server.resource, sub: 'alice', scope: s }), key);
      try {
        const refused = await call(server, 'whoami');
        assert.equal(refused.status, 401);
        const metadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', server.resource).href;
        assert.equal(parseWwwAuthenticate(refused.headers.get('www-authenticate')).params.resource_metadata, metadataUrl);
        await refused.body?.cancel();

        const metadata = await fetch(metadataUrl);
        assert.equal(metadata.status, 200);
        assert.deepEqual((await metadata.json()).authorization_servers, [as.issuer]);

        const answered = await call(server, 'whoami', token(scope));
        assert.equal(answered.status, 200);
        assert.deepEqual((await result(answered)).content, [{ type: 'text', text: 'alice' }]);

        if (name === 'v1') {
          const narrow = await call(server, 'whoami', token('write:todos'));
          assert.equal(narrow.status, 403);
          assert.equal(parseWwwAuthenticate(narrow.headers.get('www-authenticate')).params.error, 'insufficient_scope');
          await narrow.body?.cancel();
        } else {
          // purge needs todos:delete: 403 insufficient_scope naming it, then the stepped-up token passes.
          const stepUp = await call(server, 'purge', token(undefined));
          assert.equal(stepUp.status, 403);
          const challenge = parseWwwAuthenticate(stepUp.headers.get('www-authenticate')).params;
          assert.equal(challenge.error, 'insufficient_scope');
          assert.match(challenge.scope, /\btodos:delete\b/);
          await stepUp.body?.cancel();
          const purged = await call(server, 'purge', token('todos:delete'));
          assert.equal(purged.status, 200);
          assert.deepEqual((await result(purged)).content, [{ type: 'text', text: 'purged' }]);
        }
      } finally {
        await server.close();
      }
    });
  }
});
