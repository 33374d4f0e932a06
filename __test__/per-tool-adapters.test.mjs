// Per-tool authorization (issue 23 item 1) on the other adapters, over real
// HTTP: the web-standard gate (webBearerAuth), Hono and Fastify. A smaller
// set than on Express (per-tool-express.test.mjs): public without a token,
// protected without one, a body refusal, and the body reaching the next
// layer (web: the returned parsedBody and a still readable Request; Hono:
// `parsedBody`, reused when set before; Fastify: `preHandler` only).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { getRequestListener } from '@hono/node-server';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import * as honoAuth from 'mcp-auth-rs/hono';
import * as fastifyAuth from 'mcp-auth-rs/fastify';
import { startAuthServer } from './helpers/auth-server.mjs';
import { parseWwwAuthenticate, startHttp } from './helpers/http.mjs';
import { claims, generateKey, signJwt } from './helpers/keys.mjs';

const RESOURCE = 'http://localhost:3001/mcp';
const OPERATIONS = Object.freeze({ tools: { search: 'public', 'delete-todo': ['todos:delete'] } });
const call = (name) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { q: 'café' } } });

// Each adapter serves POST/GET /mcp behind the gate; the handler answers what reached it:
// { auth: subject or null, body: the parsed body it was handed, raw: the body text it could still read }.
const servers = {
  async 'web-standard'(mcpAuth) {
    const gate = mcpAuth.webBearerAuth('jwt', { resource: RESOURCE, operations: OPERATIONS });
    return startHttp(
      getRequestListener(async (request) => {
        const result = await gate(request);
        if (result instanceof Response) return result;
        const raw = request.method === 'POST' ? await request.text() : null;
        return Response.json({ auth: result.authInfo?.subject ?? null, body: result.parsedBody ?? null, raw });
      }),
    );
  },
  async hono(mcpAuth) {
    const app = new Hono();
    // An SDK v2 app (createMcpHonoApp) leaves the parsed body in `parsedBody`: a test header sets one here.
    app.use('/mcp', async (c, next) => {
      const preset = c.req.header('x-preset-body');
      if (preset) c.set('parsedBody', JSON.parse(preset));
      await next();
    });
    app.on(['GET', 'POST'], '/mcp', honoAuth.bearerAuth(mcpAuth, 'jwt', { resource: RESOURCE, operations: OPERATIONS }), async (c) =>
      c.json({ auth: c.get('auth')?.subject ?? null, body: c.get('parsedBody') ?? null, raw: c.req.method === 'POST' ? await c.req.raw.text() : null }),
    );
    return startHttp(getRequestListener(app.fetch));
  },
  async fastify(mcpAuth) {
    let handle;
    const app = Fastify({ serverFactory: (handler) => ((handle = handler), http.createServer()) });
    const hook = fastifyAuth.bearerAuth(mcpAuth, 'jwt', { resource: RESOURCE, operations: OPERATIONS });
    const handler = async (request) => ({ auth: request.auth?.subject ?? null, body: request.body ?? null, raw: null });
    app.route({ method: ['GET', 'POST'], url: '/mcp', preHandler: hook, handler });
    // Mounted too early: the body is not parsed yet, so every JSON POST is refused (500).
    app.route({ method: ['POST'], url: '/early', onRequest: hook, handler });
    await app.ready();
    const server = await startHttp(handle);
    return { ...server, close: async () => (await server.close(), await app.close()) };
  },
};

describe('per-tool authorization on the web-standard gate, Hono and Fastify', () => {
  let as;
  let key;
  let mcpAuth;
  const token = (scope) => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope }), key);

  before(async () => {
    key = generateKey('ES256', { kid: 'per-tool-adapters' });
    as = await startAuthServer({ keys: [key] });
    mcpAuth = new MCPAuth({
      protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })] } },
    });
  });
  after(async () => {
    await as?.close();
  });

  for (const [label, serve] of Object.entries(servers)) {
    describe(label, () => {
      let server;
      const post = (body, { token: bearer, contentType = 'application/json', headers = {}, path = '/mcp' } = {}) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': contentType, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });

      before(async () => {
        server = await serve(mcpAuth);
      });
      after(async () => {
        await server?.close();
      });

      it('a public tool without a token passes with no identity; the next layer gets the body', async () => {
        const text = JSON.stringify(call('search'), null, 1);
        const res = await post(text);
        assert.equal(res.status, 200);
        const seen = await res.json();
        assert.equal(seen.auth, null);
        assert.deepEqual(seen.body, call('search'));
        // Web and Hono read a clone: the Request itself is still readable, byte for byte.
        if (seen.raw !== null) assert.equal(seen.raw, text);
      });

      it('a protected tool without a token: 401 with the operation scope; with it: passes', async () => {
        const res = await post(call('delete-todo'));
        assert.equal(res.status, 401);
        assert.equal(parseWwwAuthenticate(res.headers.get('www-authenticate')).params.scope, 'todos:delete');
        await res.body?.cancel();
        const ok = await post(call('delete-todo'), { token: token('todos:delete') });
        assert.equal(ok.status, 200);
        assert.equal((await ok.json()).auth, 'user-1');
      });

      it('GET follows initialize: public', async () => {
        const res = await fetch(`${server.url}/mcp`);
        assert.equal(res.status, 200);
        assert.equal((await res.json()).auth, null);
      });

      if (label !== 'fastify') {
        it('a body refusal: 415 for a POST that is not JSON, 400 for invalid JSON (before the token)', async () => {
          const notJson = await post(call('search'), { contentType: 'text/plain', token: 'garbage' });
          assert.equal(notJson.status, 415);
          assert.equal(notJson.headers.get('www-authenticate'), null);
          assert.deepEqual(await notJson.json(), {
            jsonrpc: '2.0',
            error: { code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' },
            id: null,
          });
          const invalid = await post('{"jsonrpc":', { token: 'garbage' });
          assert.equal(invalid.status, 400);
          assert.equal((await invalid.json()).error.code, -32700);
        });
      } else {
        it('a body refusal: 415 for a text body Fastify parsed as a string; 500 when mounted at onRequest', async () => {
          const notJson = await post(call('search'), { contentType: 'text/plain' });
          assert.equal(notJson.status, 415);
          assert.equal((await notJson.json()).error.code, -32000);
          const early = await post(call('search'), { path: '/early' });
          assert.equal(early.status, 500);
          assert.deepEqual(await early.json(), {
            jsonrpc: '2.0',
            error: { code: -32603, message: 'Internal error: the request body was already read' },
            id: null,
          });
        });
      }

      if (label === 'hono') {
        it('a parsedBody an earlier layer set is reused: judged by it, kept for the handler', async () => {
          const res = await post(call('search'), { headers: { 'x-preset-body': JSON.stringify(call('delete-todo')) } });
          assert.equal(res.status, 401, 'judged by the parsed body, not the bytes');
          await res.body?.cancel();
          const open = await post(call('delete-todo'), { headers: { 'x-preset-body': JSON.stringify(call('search')) } });
          assert.equal(open.status, 200);
          assert.deepEqual((await open.json()).body, call('search'));
        });
      }

      it('toolMeta on what bearerAuth returned', () => {
        const gate =
          label === 'web-standard' ? mcpAuth.webBearerAuth('jwt', { resource: RESOURCE, operations: OPERATIONS })
          : label === 'hono' ? honoAuth.bearerAuth(mcpAuth, 'jwt', { resource: RESOURCE, operations: OPERATIONS })
          : fastifyAuth.bearerAuth(mcpAuth, 'jwt', { resource: RESOURCE, operations: OPERATIONS });
        assert.deepEqual(gate.toolMeta('search'), { securitySchemes: [{ type: 'noauth' }] });
        assert.deepEqual(gate.securitySchemes('delete-todo'), [{ type: 'oauth2', scopes: ['todos:delete'] }]);
      });
    });
  }
});
