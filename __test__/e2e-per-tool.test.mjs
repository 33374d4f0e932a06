// End to end, per-tool authorization (issue 23 item 1): the todo manager
// with `perTool` (examples/todo-manager/server.mjs, PER_TOOL_OPERATIONS), the
// real authorization server (oidc-provider) and the official SDK v2 client.
// An anonymous session connects, lists tools (each descriptor's
// `_meta.securitySchemes` from bearerAuth's toolMeta) and calls the public
// tool without any traffic to the authorization server; the first protected
// call gets a 401 naming its scope, the client signs in and the call is sent
// again and succeeds, once. All on 127.0.0.1.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startAuthorizationServer } from '../examples/todo-manager/authorization-server.mjs';
import { createTodoServer } from '../examples/todo-manager/server.mjs';
import { connectAnonymously, Transcript } from '../examples/todo-manager/client.mjs';
import { parseWwwAuthenticate } from './helpers/http.mjs';

// A JSON-RPC answer sent as JSON or as one SSE event.
async function rpcResult(response) {
  const body = await response.text();
  const json = response.headers.get('content-type')?.startsWith('text/event-stream')
    ? JSON.parse(body.split('\n').find((line) => line.startsWith('data:')).slice(5))
    : JSON.parse(body);
  return json;
}

// A 2025-11-25 request without a session (the SDK's stateless legacy fallback).
const rawRpc = (url, body, token) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });

const OAUTH_STEPS = new Set(['prm', 'as-metadata', 'registration', 'authorize', 'login', 'token']);

describe('per-tool authorization end to end: oidc-provider + mcp-auth-rs + MCP SDK v2 client', () => {
  let as;
  let todo;
  let session;
  const transcript = new Transcript();

  before(async () => {
    as = await startAuthorizationServer();
    todo = await createTodoServer({ issuer: as.issuer, port: 0, perTool: true });
    as.addResource(todo.resource);
  });

  after(async () => {
    await session?.close();
    await todo?.close();
    await as?.close();
  });

  it('an anonymous session connects, lists tools and calls the public tool: no challenge, no authorization server traffic', async () => {
    const asRequests = as.requestCount;
    session = await connectAnonymously({ mcpUrl: todo.url, account: 'user', transcript });
    assert.equal(session.era, 'modern');
    const { tools } = await session.client.listTools();
    const about = await session.callTool('about');

    assert.equal(about.isError, false);
    assert.deepEqual(about.value.signedInAs, null);
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    assert.deepEqual(Object.keys(byName).sort(), ['about', 'create-todo', 'delete-todo', 'get-todos']);
    assert.deepEqual(byName.about._meta, { securitySchemes: [{ type: 'noauth' }] });
    assert.deepEqual(byName['create-todo']._meta, { securitySchemes: [{ type: 'oauth2', scopes: ['create:todos'] }] });
    assert.deepEqual(byName['get-todos']._meta, { securitySchemes: [{ type: 'oauth2', scopes: [] }] });

    assert.equal(as.requestCount, asRequests, 'the authorization server saw no request');
    const steps = transcript.entries.map((e) => e.step);
    assert.ok(!steps.some((step) => step === 'challenge' || OAUTH_STEPS.has(step)), `steps: ${steps}`);
    const requests = transcript.of('mcp-request').map((e) => e.data);
    assert.ok(requests.length >= 3);
    for (const request of requests) {
      assert.equal(request.authorized, false);
      assert.ok(request.status < 400, `${request.rpcMethod}: ${request.status}`);
    }
  });

  it('the raw tools/list JSON carries each tool descriptor\'s _meta.securitySchemes', async () => {
    const response = await rawRpc(todo.url, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    assert.equal(response.status, 200);
    const { result } = await rpcResult(response);
    const about = result.tools.find((tool) => tool.name === 'about');
    assert.deepEqual(about._meta.securitySchemes, [{ type: 'noauth' }]);
    const deleteTodo = result.tools.find((tool) => tool.name === 'delete-todo');
    assert.deepEqual(deleteTodo._meta.securitySchemes, [{ type: 'oauth2', scopes: [] }]);
  });

  it('a protected call: 401 with its scope → OAuth → the same call sent again succeeds, once', async () => {
    const from = transcript.entries.length;
    const created = await session.callTool('create-todo', { content: 'Buy milk' });

    assert.equal(created.isError, false);
    assert.equal(created.signedIn, true);
    assert.equal(created.value.ownerId, 'user');
    assert.deepEqual(todo.todoService.getAllTodos().map((t) => t.content), ['Buy milk'], 'the tool ran once');
    const since = transcript.entries.slice(from);
    const calls = since.filter((e) => e.step === 'mcp-request' && e.data.tool === 'create-todo').map((e) => [e.data.status, e.data.authorized]);
    assert.deepEqual(calls, [[401, false], [200, true]]);
    const [challenge] = since.filter((e) => e.step === 'challenge');
    assert.deepEqual(parseWwwAuthenticate(challenge.data.wwwAuthenticate).params, {
      resource_metadata: `${todo.resource}/.well-known/oauth-protected-resource`,
      scope: 'create:todos',
    });
    const steps = since.map((e) => e.step).filter((step) => OAUTH_STEPS.has(step) || step === 'challenge' || step === 'signed-in');
    assert.deepEqual(steps, ['challenge', 'prm', 'as-metadata', 'registration', 'authorize', 'login', 'token', 'signed-in']);
    const [authorize] = since.filter((e) => e.step === 'authorize');
    assert.ok(authorize.data.params.scope.split(' ').includes('create:todos'), authorize.data.params.scope);
    assert.equal(authorize.data.params.resource, todo.resource);
  });

  it('the same session afterwards: the public tool sees the signed-in caller; protected tools need no new sign-in', async () => {
    const from = transcript.entries.length;
    const about = await session.callTool('about');
    assert.equal(about.value.signedInAs, 'user');
    const { value } = await session.callTool('get-todos');
    assert.deepEqual(value.map((t) => t.content), ['Buy milk']);
    assert.ok(!transcript.entries.slice(from).some((e) => e.step === 'challenge' || OAUTH_STEPS.has(e.step)));
  });

  it('a 2025-11-25 client connects anonymously too (initialize and its GET stream are public)', async () => {
    const legacyTranscript = new Transcript();
    const legacy = await connectAnonymously({ mcpUrl: todo.url, account: 'user', transcript: legacyTranscript, era: 'legacy' });
    try {
      assert.equal(legacy.era, 'legacy');
      assert.equal((await legacy.callTool('about')).value.signedInAs, null);
      assert.equal(legacyTranscript.of('challenge').length, 0);
      assert.equal(legacyTranscript.of('mcp-request')[0].data.rpcMethod, 'initialize');
    } finally {
      await legacy.close();
    }
  });

  it('a garbage token on the public tool: 401 invalid_token, not an anonymous pass', async () => {
    const response = await rawRpc(todo.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'about', arguments: {} } }, 'garbage');
    assert.equal(response.status, 401);
    assert.equal(parseWwwAuthenticate(response.headers.get('www-authenticate')).params.error, 'invalid_token');
    await response.body?.cancel();
  });
});
