// Per-tool authorization (issue 23 item 1) on Express, over real HTTP: the
// `operations` option of bearerAuth. Public operations pass without a token
// (req.auth unset), a presented token is still verified, protected ones get
// the usual 401/403 with the operation's scope, batches are judged item by
// item, the body is bounded and refused before any token is looked at, a
// body parsed earlier is reused and a body read here reaches the next layer,
// and the 'tool-result' signal answers a JSON-RPC result (SEP-1489).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MCPAuth, MCPAuthAuthServerError, MCPAuthTokenVerificationError, fetchServerConfig, hashApiKey } from 'mcp-auth-rs';
import { EXPRESS_VERSIONS, serveApp, send, single, jsonBody, hasHeader } from './helpers/app.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { headerValues, parseWwwAuthenticate, rawRequest } from './helpers/http.mjs';
import { claims, generateKey, signJwt } from './helpers/keys.mjs';

const RESOURCE = 'http://localhost:3001/mcp';
const API_KEY = 'mcpk_per-tool-test-key-0123456789';
const PRM = 'http://localhost:3001/.well-known/oauth-protected-resource/mcp';

export const OPERATIONS = Object.freeze({
  tools: { search: 'public', 'get-todos': 'protected', 'delete-todo': ['todos:delete'], 'admin-report': ['todos:admin'] },
  prompts: { greeting: 'public' },
  resources: { 'docs://public/*': 'public', 'docs://public/secret': ['docs:read'] },
});

const call = (name, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

/** A JSON-RPC error body as the refusals send it. */
const rpcError = (code, message) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

/** Sends `body` (an object is JSON-encoded) as a POST with the given token and Content-Type. */
function post(server, path, body, { token, contentType = 'application/json', extraHeaders = [] } = {}) {
  const headers = [['Content-Type', contentType], ...extraHeaders];
  if (token !== undefined) headers.push(['Authorization', `Bearer ${token}`]);
  return send(server, { method: 'POST', path, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

function assertRefusal(res, status, code, message) {
  assert.equal(res.status, status, res.body);
  assert.equal(hasHeader(res, 'www-authenticate'), false, 'a body refusal carries no challenge');
  assert.deepEqual(jsonBody(res), rpcError(code, message));
}

describe('per-tool authorization on Express (operations)', () => {
  let as;
  let key;
  let mcpAuth;
  let server;
  const events = [];
  const token = (scope, extra = {}) => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope, ...extra }), key);
  // The handler after bearerAuth: what reached it.
  const echo = (req, res) => res.json({ auth: req.auth ? { sub: req.auth.subject, scopes: req.auth.scopes } : null, body: req.body ?? null });
  const route = (extra = {}) => mcpAuth.bearerAuth('jwt', { resource: RESOURCE, requiredScopes: ['mcp'], operations: OPERATIONS, ...extra });

  before(async () => {
    key = generateKey('RS256', { kid: 'per-tool' });
    as = await startAuthServer({ keys: [key] });
    mcpAuth = new MCPAuth({
      protectedResources: {
        metadata: {
          resource: RESOURCE,
          authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })],
          scopesSupported: ['mcp', 'todos:delete', 'todos:admin', 'docs:read'],
        },
        scopeHierarchy: { 'todos:admin': ['todos:delete'] },
      },
      onAuthEvent: (event) => events.push(event),
    });
    const express = EXPRESS_VERSIONS['express 5'];
    server = await serveApp(express, (app) => {
      // The demo's layout: bearerAuth reads the body itself, express.json() after it must still work.
      app.all('/mcp', route(), express.json(), echo);
      // An SDK-made app: express.json() before us, its value reused.
      app.all('/parsed', express.json(), route(), echo);
      app.post('/text', express.text({ type: 'application/json' }), route(), echo);
      app.post('/small', route({ operations: { ...OPERATIONS, maxBodyBytes: 1024 } }), echo);
      app.post('/result', route({ operations: { ...OPERATIONS, signal: 'tool-result' } }), echo);
      // Someone read the stream and kept nothing: it cannot be judged.
      app.post('/consumed', (req, _res, next) => req.on('data', () => {}).on('end', () => next()), route(), echo);
      app.all('/strict', route({ operations: { ...OPERATIONS, discovery: 'protected', methods: { 'logging/setLevel': 'public' } } }), echo);
      // Several credential kinds: the member the router picks decides, requests without credentials included.
      app.post(
        '/kinds',
        mcpAuth.bearerAuth(
          [{ mode: 'jwt', requiredScopes: ['mcp'] }, { mode: 'apiKey', prefix: 'mcpk_', keys: [{ hash: hashApiKey(API_KEY), subject: 'ci-bot', scopes: ['todos:delete'] }] }],
          { resource: RESOURCE, operations: OPERATIONS },
        ),
        echo,
      );
      // A custom verifier: "custom-" + base64url of the scopes; anything else is refused by it.
      const verify = (value) => {
        if (!value.startsWith('custom-')) throw new MCPAuthTokenVerificationError('invalid_token');
        const scopes = Buffer.from(value.slice('custom-'.length), 'base64url').toString().split(' ');
        return { token: value, clientId: 'c', scopes, issuer: as.issuer, audience: RESOURCE, subject: 'custom-user' };
      };
      app.post('/custom', mcpAuth.bearerAuth(verify, { resource: RESOURCE, operations: { ...OPERATIONS, signal: 'tool-result' } }), echo);
      // No operations: nothing changes, the body is not touched.
      app.post('/plain', mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), (req, res) => res.json({ readable: !req.readableEnded && !req.readableDidRead }));
    });
  });

  after(async () => {
    await server?.close();
    await as?.close();
  });

  it('a public tool without a token passes, req.auth unset, and no auth event is emitted', async () => {
    const before = events.length;
    const res = await post(server, '/mcp', call('search'));
    assert.equal(res.status, 200);
    assert.deepEqual(jsonBody(res), { auth: null, body: call('search') });
    assert.equal(events.length, before);
  });

  it('discovery is public by default: tools/list, initialize, notifications without a token', async () => {
    for (const body of [list, { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} }, { jsonrpc: '2.0', method: 'notifications/initialized' }]) {
      const res = await post(server, '/mcp', body);
      assert.equal(res.status, 200, `${body.method}: ${res.body}`);
      assert.equal(jsonBody(res).auth, null);
    }
  });

  it('GET follows initialize: public by default, protected with discovery "protected"', async () => {
    const open = await send(server, { path: '/mcp' });
    assert.equal(open.status, 200);
    assert.equal(jsonBody(open).auth, null);
    const strict = await send(server, { path: '/strict' });
    assert.equal(strict.status, 401);
    assert.equal(parseWwwAuthenticate(single(strict, 'www-authenticate')).params.scope, 'mcp');
  });

  it('a public tool with a garbage token: 401 invalid_token', async () => {
    const res = await post(server, '/mcp', call('search'), { token: 'not-a-jwt' });
    assert.equal(res.status, 401);
    const challenge = parseWwwAuthenticate(single(res, 'www-authenticate'));
    assert.equal(challenge.params.error, 'invalid_token');
    assert.equal(challenge.params.resource_metadata, PRM);
  });

  it('a public tool with a valid token lacking the route scopes: passes with req.auth set', async () => {
    const res = await post(server, '/mcp', call('search'), { token: token('other') });
    assert.equal(res.status, 200);
    assert.deepEqual(jsonBody(res).auth, { sub: 'user-1', scopes: ['other'] });
  });

  it('a protected tool without a token: bare 401 with scope = route ∪ operation and resource_metadata', async () => {
    const res = await post(server, '/mcp', call('delete-todo'));
    assert.equal(res.status, 401);
    const challenge = parseWwwAuthenticate(single(res, 'www-authenticate'));
    assert.deepEqual(challenge.params, { resource_metadata: PRM, scope: 'mcp todos:delete' });
    const plain = parseWwwAuthenticate(single(await post(server, '/mcp', call('get-todos')), 'www-authenticate'));
    assert.equal(plain.params.scope, 'mcp');
  });

  it('an undeclared tool gets default (protected)', async () => {
    const res = await post(server, '/mcp', call('not-declared'));
    assert.equal(res.status, 401);
    assert.equal(parseWwwAuthenticate(single(res, 'www-authenticate')).params.scope, 'mcp');
  });

  it('a protected tool with too few scopes: 403 insufficient_scope naming the operation scopes', async () => {
    const res = await post(server, '/mcp', call('delete-todo'), { token: token('mcp') });
    assert.equal(res.status, 403);
    const challenge = parseWwwAuthenticate(single(res, 'www-authenticate'));
    assert.equal(challenge.params.error, 'insufficient_scope');
    assert.equal(challenge.params.scope, 'mcp todos:delete');
    assert.equal(challenge.params.resource_metadata, PRM);
  });

  it('a protected tool with its scopes passes; the hierarchy is applied', async () => {
    const exact = await post(server, '/mcp', call('delete-todo'), { token: token('mcp todos:delete') });
    assert.equal(exact.status, 200);
    assert.deepEqual(jsonBody(exact).auth.scopes, ['mcp', 'todos:delete']);
    const implied = await post(server, '/mcp', call('delete-todo'), { token: token('mcp todos:admin') });
    assert.equal(implied.status, 200, 'todos:admin implies todos:delete');
    const narrower = await post(server, '/mcp', call('admin-report'), { token: token('mcp todos:delete') });
    assert.equal(narrower.status, 403);
  });

  it('resources: prefix and exact keys, the exact key first', async () => {
    const read = (uri, options) => post(server, '/mcp', { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri } }, options);
    assert.equal((await read('docs://public/readme')).status, 200);
    const secret = await read('docs://public/secret');
    assert.equal(secret.status, 401);
    assert.equal(parseWwwAuthenticate(single(secret, 'www-authenticate')).params.scope, 'mcp docs:read');
    assert.equal((await read('docs://private/x')).status, 401);
  });

  it('a batch: all public passes; one protected item makes it need the union of the scopes', async () => {
    const open = await post(server, '/mcp', [call('search', 1), list]);
    assert.equal(open.status, 200);
    const mixed = await post(server, '/mcp', [call('search', 1), call('delete-todo', 2), call('admin-report', 3)]);
    assert.equal(mixed.status, 401);
    assert.equal(parseWwwAuthenticate(single(mixed, 'www-authenticate')).params.scope, 'mcp todos:delete todos:admin');
    const partly = await post(server, '/mcp', [call('search', 1), call('delete-todo', 2), call('admin-report', 3)], { token: token('mcp todos:delete') });
    assert.equal(partly.status, 403);
    const all = await post(server, '/mcp', [call('search', 1), call('delete-todo', 2), call('admin-report', 3)], { token: token('mcp todos:admin') });
    assert.equal(all.status, 200);
  });

  describe('body refusals, before any token is looked at', () => {
    const valid = () => token('mcp todos:delete todos:admin');

    it('415 for a POST that is not application/json', async () => {
      for (const contentType of ['text/plain', 'application/vnd.api+json', 'application/x-www-form-urlencoded']) {
        const res = await post(server, '/mcp', call('search'), { contentType, token: valid() });
        assertRefusal(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
      }
      // Parameters and case do not matter.
      assert.equal((await post(server, '/mcp', call('search'), { contentType: 'Application/JSON; charset=utf-8' })).status, 200);
    });

    it('413 over maxBodyBytes: by Content-Length, and by the bytes of a chunked body', async () => {
      const big = JSON.stringify({ ...call('search'), params: { name: 'search', arguments: { pad: 'x'.repeat(2000) } } });
      assertRefusal(await post(server, '/small', big), 413, -32000, 'Payload Too Large: the body exceeds maxBodyBytes');
      const chunked = await rawRequest(
        server.port,
        ['POST /small HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Transfer-Encoding: chunked', '', ''].join('\r\n') +
          [big.slice(0, 900), big.slice(900)].map((part) => `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`).join('') +
          '0\r\n\r\n',
      );
      assertRefusal(chunked, 413, -32000, 'Payload Too Large: the body exceeds maxBodyBytes');
      // Under the bound it passes.
      assert.equal((await post(server, '/small', call('search'))).status, 200);
    });

    const parseErrors = {
      'invalid JSON': '{"jsonrpc":"2.0",',
      'an empty body': '',
      'a duplicate method': '{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list"}',
      'a duplicate params.name': '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","name":"delete-todo"}}',
    };
    for (const [label, body] of Object.entries(parseErrors)) {
      it(`400 -32700 for ${label}`, async () => {
        assertRefusal(await post(server, '/mcp', body, { token: valid() }), 400, -32700, 'Parse error: Invalid JSON');
      });
    }

    it('400 -32700 for invalid UTF-8', async () => {
      const head = ['POST /mcp HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', 'Content-Type: application/json'];
      const body = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
      const res = await rawRequest(server.port, Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
      assertRefusal(res, 400, -32700, 'Parse error: Invalid JSON');
    });

    const invalid = {
      'a number': '42',
      'an empty array': '[]',
      'an array of 101 items': JSON.stringify(Array.from({ length: 101 }, (_, i) => call('search', i))),
      'an item that is not an object': JSON.stringify([call('search'), 7]),
      'a method that is not a string': '{"jsonrpc":"2.0","id":1,"method":7}',
    };
    for (const [label, body] of Object.entries(invalid)) {
      it(`400 -32600 for ${label}`, async () => {
        assertRefusal(await post(server, '/mcp', body, { token: valid() }), 400, -32600, 'Invalid Request');
      });
    }

    it('500 -32603 when an earlier layer consumed the body and kept nothing', async () => {
      assertRefusal(await post(server, '/consumed', call('search')), 500, -32603, 'Internal error: the request body was already read');
    });

    it('each refusal is one rejected event with its reason', async () => {
      const from = events.length;
      await post(server, '/mcp', call('search'), { contentType: 'text/plain' });
      await post(server, '/mcp', '{');
      const rejected = events.slice(from).filter((e) => e.type === 'rejected');
      assert.deepEqual(rejected.map((e) => [e.status, e.error, e.reason]), [
        [415, 'invalid_request', 'body_not_json'],
        [400, 'invalid_request', 'body_invalid'],
      ]);
    });
  });

  describe('the body reaches the next layer', () => {
    const tricky = { jsonrpc: '2.0', id: 'a-1', method: 'tools/call', params: { name: 'search', arguments: { q: 'café ☕', n: [1, 2.5, null] } } };

    it('read here: express.json() after bearerAuth and the handler see the identical body', async () => {
      const res = await post(server, '/mcp', JSON.stringify(tricky, null, 2));
      assert.equal(res.status, 200);
      assert.deepEqual(jsonBody(res).body, tricky);
    });

    it('parsed before (express.json()): reused, and judged by what was parsed', async () => {
      const res = await post(server, '/parsed', tricky);
      assert.deepEqual(jsonBody(res), { auth: null, body: tricky });
      const protectedCall = await post(server, '/parsed', call('delete-todo'));
      assert.equal(protectedCall.status, 401);
      assert.equal(parseWwwAuthenticate(single(protectedCall, 'www-authenticate')).params.scope, 'mcp todos:delete');
    });

    it('a text parser before: its string is judged as the JSON text', async () => {
      assert.equal((await post(server, '/text', call('search'))).status, 200);
      assert.equal((await post(server, '/text', call('delete-todo'))).status, 401);
    });

    for (const [label, express] of Object.entries(EXPRESS_VERSIONS)) {
      it(`${label}: read by bearerAuth, then express.json() and the handler; or parsed before and reused`, async () => {
        const app = await serveApp(express, (a) => {
          a.post('/after', route(), express.json(), echo);
          a.post('/before', express.json(), route(), echo);
        });
        try {
          for (const path of ['/after', '/before']) {
            const res = await post(app, path, tricky);
            assert.equal(res.status, 200, `${path}: ${res.body}`);
            assert.deepEqual(jsonBody(res), { auth: null, body: tricky });
            assert.equal((await post(app, path, call('delete-todo'))).status, 401);
          }
        } finally {
          await app.close();
        }
      });
    }

    it('a route without operations does not read the body', async () => {
      const res = await post(server, '/plain', call('search'), { token: token('mcp') });
      assert.equal(res.status, 200);
      assert.deepEqual(jsonBody(res), { readable: true });
    });
  });

  describe("signal: 'tool-result'", () => {
    it('a single tools/call without a token: 200 with the SEP-1489 result carrying the HTTP challenge', async () => {
      const http401 = await post(server, '/mcp', call('delete-todo', 'call-7'));
      const res = await post(server, '/result', call('delete-todo', 'call-7'));
      assert.equal(res.status, 200);
      assert.equal(hasHeader(res, 'www-authenticate'), false);
      assert.match(single(res, 'content-type'), /^application\/json/);
      const description = jsonBody(http401).error_description;
      assert.equal(
        res.body,
        JSON.stringify({
          jsonrpc: '2.0',
          id: 'call-7',
          result: {
            content: [{ type: 'text', text: description }],
            isError: true,
            _meta: { 'mcp/www_authenticate': headerValues(http401.headers, 'www-authenticate') },
            resultType: 'complete',
          },
        }),
      );
    });

    it('the id is echoed byte-exact (a big integer), and a 403 becomes a result too', async () => {
      const body = '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"tools/call","params":{"name":"delete-todo"}}';
      const res = await post(server, '/result', body, { token: token('mcp') });
      assert.equal(res.status, 200);
      assert.ok(res.body.startsWith('{"jsonrpc":"2.0","id":123456789012345678901234567890,"result":{'), res.body);
      const result = JSON.parse(res.body).result;
      assert.equal(result.isError, true);
      const [challenge] = result._meta['mcp/www_authenticate'];
      assert.equal(parseWwwAuthenticate(challenge).params.error, 'insufficient_scope');
      assert.equal(parseWwwAuthenticate(challenge).params.scope, 'mcp todos:delete');
    });

    it('batches and other methods stay HTTP; public calls pass', async () => {
      assert.equal((await post(server, '/result', [call('delete-todo', 1), call('search', 2)])).status, 401);
      assert.equal((await post(server, '/result', { jsonrpc: '2.0', id: 4, method: 'tasks/get', params: {} })).status, 401);
      assert.equal((await post(server, '/result', call('search'))).status, 200);
    });
  });

  describe('with several credential kinds and with a custom verifier', () => {
    it('credential kinds: anonymous public passes; the API key member judges its keys, its name is reported', async () => {
      assert.deepEqual(jsonBody(await post(server, '/kinds', call('search'))).auth, null);
      // Without credentials the router picks the first member (the JWT one, with its requiredScopes).
      const refused = await post(server, '/kinds', call('delete-todo'));
      assert.equal(refused.status, 401);
      assert.equal(parseWwwAuthenticate(single(refused, 'www-authenticate')).params.scope, 'mcp todos:delete');
      const byKey = await post(server, '/kinds', call('delete-todo'), { token: API_KEY });
      assert.equal(byKey.status, 200, byKey.body);
      assert.deepEqual(jsonBody(byKey).auth, { sub: 'ci-bot', scopes: ['todos:delete'] });
      // The JWT member keeps its own requiredScopes: mcp, then the tool's.
      const jwt = await post(server, '/kinds', call('delete-todo'), { token: token('todos:delete') });
      assert.equal(jwt.status, 403);
      assert.equal(parseWwwAuthenticate(single(jwt, 'www-authenticate')).params.scope, 'mcp todos:delete');
    });

    it("a custom verifier: its refusal and the scope check follow the operation's signal (tool-result)", async () => {
      const custom = (scopes) => `custom-${Buffer.from(scopes).toString('base64url')}`;
      const refused = await post(server, '/custom', call('delete-todo', 9), { token: 'not-custom' });
      assert.equal(refused.status, 200, refused.body);
      const result = JSON.parse(refused.body).result;
      assert.equal(result.isError, true);
      assert.equal(parseWwwAuthenticate(result._meta['mcp/www_authenticate'][0]).params.error, 'invalid_token');
      const narrow = JSON.parse((await post(server, '/custom', call('delete-todo', 10), { token: custom('mcp') })).body).result;
      assert.equal(parseWwwAuthenticate(narrow._meta['mcp/www_authenticate'][0]).params.error, 'insufficient_scope');
      const ok = await post(server, '/custom', call('delete-todo', 11), { token: custom('mcp todos:delete') });
      assert.equal(ok.status, 200);
      assert.deepEqual(jsonBody(ok).auth, { sub: 'custom-user', scopes: ['mcp', 'todos:delete'] });
      // Public: the custom verifier still judges a presented token (HTTP: not a tools/call result mode case).
      assert.equal((await post(server, '/custom', list, { token: 'not-custom' })).status, 401);
    });
  });

  describe('methods overrides and discovery "protected"', () => {
    it('discovery "protected" needs a token for tools/list; methods makes logging/setLevel public', async () => {
      assert.equal((await post(server, '/strict', list)).status, 401);
      assert.equal((await post(server, '/strict', list, { token: token('mcp') })).status, 200);
      assert.equal((await post(server, '/strict', { jsonrpc: '2.0', id: 5, method: 'logging/setLevel', params: { level: 'info' } })).status, 200);
    });
  });

  describe('tool descriptors: toolMeta and securitySchemes', () => {
    it('public → noauth; protected → oauth2 with route ∪ tool scopes; undeclared → default', () => {
      const auth = route();
      assert.deepEqual(auth.securitySchemes('search'), [{ type: 'noauth' }]);
      assert.deepEqual(auth.toolMeta('delete-todo'), { securitySchemes: [{ type: 'oauth2', scopes: ['mcp', 'todos:delete'] }] });
      assert.deepEqual(auth.securitySchemes('get-todos'), [{ type: 'oauth2', scopes: ['mcp'] }]);
      assert.deepEqual(auth.securitySchemes('not-declared'), [{ type: 'oauth2', scopes: ['mcp'] }]);
      const open = mcpAuth.bearerAuth('jwt', { resource: RESOURCE, operations: { default: 'public' } });
      assert.deepEqual(open.securitySchemes('anything'), [{ type: 'noauth' }]);
    });

    it('the same helpers on mcpAuth.authenticator(); without operations they throw a config error', () => {
      const authenticator = mcpAuth.authenticator('jwt', { resource: RESOURCE, operations: OPERATIONS });
      assert.deepEqual(authenticator.toolMeta('search'), { securitySchemes: [{ type: 'noauth' }] });
      const plain = mcpAuth.bearerAuth('jwt', { resource: RESOURCE });
      assert.throws(() => plain.toolMeta('search'), (error) => error instanceof MCPAuthAuthServerError && /operations/.test(String(error.cause?.cause ?? error.message)));
    });
  });

  describe('setup', () => {
    const configError = (fn) => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof MCPAuthAuthServerError, `expected MCPAuthAuthServerError, got ${error}`);
        assert.equal(error.code, 'invalid_server_config');
        return String(error.cause?.cause ?? error.message);
      }
      assert.fail('expected a configuration error');
    };
    const withOperations = (operations) => () => mcpAuth.bearerAuth('jwt', { resource: RESOURCE, operations });

    it('a misspelt key is refused with a suggestion', () => {
      assert.match(configError(withOperations({ tool: {} })), /`operations\.tool`.*did you mean `operations\.tools`/);
    });

    it('the addon refuses invalid values, naming the path', () => {
      assert.match(configError(withOperations({ tools: { search: 'open' } })), /operations\.tools/);
      assert.match(configError(withOperations({ tools: { '': 'public' } })), /operations\.tools/);
      assert.match(configError(withOperations({ maxBodyBytes: 10 })), /maxBodyBytes/);
      assert.match(configError(withOperations({ maxBodyBytes: 1024.5 })), /maxBodyBytes/);
      assert.match(configError(withOperations({ signal: 'header' })), /signal/);
      assert.match(configError(withOperations({ resources: { 'docs://*/x': 'public' } })), /operations\.resources/);
      assert.match(configError(withOperations({ tools: { search: ['bad scope'] } })), /operations\.tools/);
    });

    it('tokenVerifier() refuses operations: SDK v2 gate cannot admit anonymous requests', () => {
      assert.match(configError(() => mcpAuth.tokenVerifier({ resource: RESOURCE, operations: OPERATIONS })), /bearerAuth/);
    });
  });
});

// The operation gate forwards the client certificate like the plain one: here
// from a trusted proxy's header (RFC 8705 through nginx's escaped PEM).
describe('per-tool authorization on a resource with mTLS (proxy header)', () => {
  const MTLS = 'https://mcp.example.com/bound';
  let as;
  let key;
  let server;
  let cert;
  let dir;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'per-tool-mtls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'c.key', '-subj', '/CN=alice', '-days', '1', '-out', 'c.pem'], { cwd: dir, stdio: 'pipe' });
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
    cert = { pem, x5t: createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url') };
    key = generateKey('ES256', { kid: 'per-tool-mtls' });
    as = await startAuthServer({ keys: [key] });
    const mcpAuth = new MCPAuth({
      protectedResources: {
        metadata: { resource: MTLS, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })] },
        mtls: { proxyHeader: { name: 'X-Client-Cert', format: 'escaped-pem' } },
      },
    });
    server = await serveApp(EXPRESS_VERSIONS['express 5'], (app) =>
      app.post('/mcp', mcpAuth.bearerAuth('jwt', { resource: MTLS, operations: OPERATIONS }), (req, res) => res.json({ sub: req.auth?.subject ?? null })),
    );
  });
  after(async () => {
    await server?.close();
    await as?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('public without a token passes; a bound token needs its certificate', async () => {
    assert.deepEqual(jsonBody(await post(server, '/mcp', call('search'))), { sub: null });
    const bound = signJwt(claims({ issuer: as.issuer, audience: MTLS, scope: 'todos:delete', cnf: { 'x5t#S256': cert.x5t } }), key);
    const withCert = await post(server, '/mcp', call('delete-todo'), { token: bound, extraHeaders: [['X-Client-Cert', encodeURIComponent(cert.pem)]] });
    assert.equal(withCert.status, 200, withCert.body);
    assert.deepEqual(jsonBody(withCert), { sub: 'user-1' });
    const without = await post(server, '/mcp', call('delete-todo'), { token: bound });
    assert.equal(without.status, 401);
    assert.equal(parseWwwAuthenticate(single(without, 'www-authenticate')).params.error, 'invalid_token');
  });
});
