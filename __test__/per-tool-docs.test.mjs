// Runs every Node example of docs/per-tool-authorization.md: each is a file
// under examples/per-tool/ that the page includes (`<!-- include: … -->`,
// checked by `npm run test:includes`), imported here with ISSUER (a local
// authorization server) and RESOURCE set, and served on 127.0.0.1; then the
// wire is checked: public without a token, protected with its 401 scope, the
// token accepted, the descriptors' `_meta`.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';

import { getRequestListener } from '@hono/node-server';
import { includes } from '../scripts/include-examples.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { freePort } from './helpers/examples.mjs';
import { parseWwwAuthenticate, startHttp } from './helpers/http.mjs';
import { claims, generateKey, signJwt } from './helpers/keys.mjs';

const folder = new URL('../examples/per-tool/', import.meta.url);

// Serves one example: its module exports an Express/Hono/Fastify `app` or a `fetchHandler`.
async function serveExample(name, issuer) {
  const port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  Object.assign(process.env, { ISSUER: issuer, RESOURCE: resource });
  const module = await import(new URL(`${name}.mjs`, folder).href);
  if (module.fetchHandler) return { resource, ...(await startHttp(getRequestListener(module.fetchHandler), { port })) };
  const { app } = module;
  if (typeof app.fetch === 'function' && typeof app.route === 'function' && !app.server) {
    return { resource, ...(await startHttp(getRequestListener(app.fetch), { port })) };
  }
  if (app.server) {
    await app.listen({ port, host: '127.0.0.1' });
    return { resource, url: `http://127.0.0.1:${port}`, close: () => app.close() };
  }
  return { resource, ...(await startHttp(app, { port })) };
}

// A 2025-11-25 request without a session (the SDKs' stateless mode).
const rpc = (server, body, token) =>
  fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });

async function result(response) {
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('text/event-stream')
    ? JSON.parse(text.split('\n').find((line) => line.startsWith('data:')).slice(5))
    : JSON.parse(text);
  return json.result;
}

const call = (name, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });

describe('docs/per-tool-authorization.md: every Node example (examples/per-tool/) runs as written', () => {
  let as;
  let key;

  before(async () => {
    key = generateKey('ES256', { kid: 'per-tool-docs' });
    as = await startAuthServer({ keys: [key] });
  });
  after(() => as?.close());

  it('the page includes the examples this test runs, each as its file', () => {
    const names = ['express', 'fastify', 'hono', 'sdk-v1', 'tool-result', 'web'];
    assert.deepEqual(readdirSync(folder).filter((file) => file.endsWith('.mjs')).sort(), names.map((name) => `${name}.mjs`));
    const shown = includes().filter((entry) => entry.doc === 'docs/per-tool-authorization.md' && entry.file?.startsWith('examples/per-tool/'));
    assert.deepEqual(shown.map((entry) => entry.file).sort(), names.map((name) => `examples/per-tool/${name}.mjs`));
    assert.deepEqual(shown.filter((entry) => !entry.matches), [], 'every included block is its file (npm run docs:include)');
  });

  for (const name of ['express', 'sdk-v1', 'web', 'hono', 'fastify']) {
    it(`${name}: tools/list and the public tool anonymously; a protected tool needs a token`, async () => {
      const server = await serveExample(name, as.issuer);
      const token = (scope) => signJwt(claims({ issuer: as.issuer, audience: server.resource, scope }), key);
      try {
        const listed = await rpc(server, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
        assert.equal(listed.status, 200);
        const search = (await result(listed)).tools.find((tool) => tool.name === 'search');
        assert.deepEqual(search._meta, { securitySchemes: [{ type: 'noauth' }] });

        const open = await rpc(server, call('search'));
        assert.equal(open.status, 200);
        const opened = await result(open);
        assert.notEqual(opened.isError, true);
        if (name === 'express' || name === 'sdk-v1') {
          assert.equal(JSON.parse(opened.content[0].text).caller, null, 'anonymous: no identity');
          // A public tool with a valid token (no scopes at all): the tool sees the caller.
          const signed = await result(await rpc(server, call('search'), token(undefined)));
          assert.equal(JSON.parse(signed.content[0].text).caller, 'user-1');
        }

        // delete-todo where the example declares it, else any undeclared tool: default 'protected'.
        const protectedTool = name === 'express' || name === 'sdk-v1' ? 'delete-todo' : 'not-declared';
        const refused = await rpc(server, call(protectedTool));
        assert.equal(refused.status, 401);
        const challenge = parseWwwAuthenticate(refused.headers.get('www-authenticate'));
        assert.equal(challenge.params.resource_metadata, new URL('/.well-known/oauth-protected-resource/mcp', server.resource).href);
        if (protectedTool === 'delete-todo') assert.equal(challenge.params.scope, 'todos:delete');
        await refused.body?.cancel();

        if (protectedTool === 'delete-todo') {
          const accepted = await rpc(server, call('delete-todo'), token('todos:delete'));
          assert.equal(accepted.status, 200);
          assert.equal(JSON.parse((await result(accepted)).content[0].text).deletedBy, 'user-1');
          assert.deepEqual((await result(await rpc(server, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }))).tools.find((t) => t.name === 'delete-todo')._meta, {
            securitySchemes: [{ type: 'oauth2', scopes: ['todos:delete'] }],
          });
        }
      } finally {
        await server.close();
      }
    });
  }

  it('tool-result: a protected call without a token is a 200 result carrying the challenge', async () => {
    const server = await serveExample('tool-result', as.issuer);
    try {
      const res = await rpc(server, call('delete-todo', 7));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('www-authenticate'), null);
      const body = await res.json();
      assert.equal(body.id, 7);
      assert.equal(body.result.isError, true);
      const [challenge] = body.result._meta['mcp/www_authenticate'];
      assert.equal(parseWwwAuthenticate(challenge).params.resource_metadata, new URL('/.well-known/oauth-protected-resource/mcp', server.resource).href);
      const open = await rpc(server, call('search', 8));
      assert.deepEqual(await open.json(), { jsonrpc: '2.0', id: 8, result: { content: [] } });
    } finally {
      await server.close();
    }
  });
});
