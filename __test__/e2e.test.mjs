// End to end (issues 4 and 10): the example todo manager on MCP SDK v2
// protected by mcp-auth-rs, a real authorization server (oidc-provider,
// embedded) and the SDK v2 client's OAuth support. Checks the wire (status
// codes, challenges, metadata), the tokens the AS grants per account, the
// tutorial's RBAC outcomes, version negotiation (2026-07-28, and 2025-11-25
// clients), the 403 insufficient_scope step-up (refused, then granted after a
// policy change), refresh, and that tokens for another resource or with a
// broken signature are refused. All on 127.0.0.1.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DEMO_ACCOUNTS, startAuthorizationServer } from '../examples/todo-manager/authorization-server.mjs';
import { createTodoServer, TODO_SCOPES } from '../examples/todo-manager/server.mjs';
import { connectAs, decodeJwt, obtainAccessToken, Transcript } from '../examples/todo-manager/client.mjs';
import { parseWwwAuthenticate } from './helpers/http.mjs';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '0' } },
});

describe('todo manager end to end: oidc-provider + mcp-auth-rs + MCP SDK client', () => {
  let as;
  let todo;
  let user;
  let admin;
  const userTranscript = new Transcript();
  const adminTranscript = new Transcript();
  const otherResources = [];
  const todos = {};

  // A bare MCP initialize request, optionally with a token.
  const initialize = (token) =>
    fetch(todo.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: INITIALIZE,
    });

  // A bare tools/call, on 2026-07-28 (with the per-request envelope and
  // headers) or on 2025-11-25 (stateless, no initialize needed).
  const callToolRaw = (token, name, args, { era = 'modern', url = todo.url } = {}) => {
    const modern = era === 'modern';
    const params = { name, arguments: args };
    if (modern) {
      params._meta = {
        [PROTOCOL_VERSION_META_KEY]: '2026-07-28',
        [CLIENT_INFO_META_KEY]: { name: 'e2e', version: '0' },
        [CLIENT_CAPABILITIES_META_KEY]: {},
      };
    }
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        'mcp-protocol-version': modern ? '2026-07-28' : '2025-11-25',
        ...(modern ? { 'mcp-method': 'tools/call', 'mcp-name': name } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params }),
    });
  };
  // The result of a tools/call answered as JSON or as one SSE event.
  const toolResult = async (response) => {
    const body = await response.text();
    const json = response.headers.get('content-type')?.startsWith('text/event-stream')
      ? JSON.parse(body.split('\n').find((line) => line.startsWith('data:')).slice(5))
      : JSON.parse(body);
    return JSON.parse(json.result.content[0].text);
  };
  // The MCP requests (method, tool, status) a transcript recorded after `from`.
  const mcpRequests = (transcript, from, tool) =>
    transcript.entries
      .slice(from)
      .filter((e) => e.step === 'mcp-request' && (tool === undefined || e.data.tool === tool))
      .map((e) => e.data);
  const entriesSince = (transcript, from, step) => transcript.entries.slice(from).filter((e) => e.step === step);

  before(async () => {
    as = await startAuthorizationServer({
      // A third account to exercise create-todo's own scope check.
      accounts: { ...DEMO_ACCOUNTS, reader: { scopes: ['read:todos'] } },
    });
    todo = await createTodoServer({ issuer: as.issuer, port: 0 });
    as.addResource(todo.resource);
    // Two more resources the same AS issues tokens for: same origin with a
    // path, and another origin.
    otherResources.push(`${todo.resource}/reports`, 'https://calendar.example/mcp');
    for (const resource of otherResources) as.addResource(resource);
  });

  after(async () => {
    await user?.close();
    await admin?.close();
    await todo?.close();
    await as?.close();
  });

  it('no token: 401 with a bare Bearer challenge whose resource_metadata is the PRM URL', async () => {
    const response = await initialize();
    assert.equal(response.status, 401);
    const challenge = parseWwwAuthenticate(response.headers.get('www-authenticate'));
    assert.equal(challenge.scheme.toLowerCase(), 'bearer');
    assert.deepEqual(challenge.params, {
      resource_metadata: `${todo.resource}/.well-known/oauth-protected-resource`,
    });
  });

  it('protected resource metadata: public JSON with the resource verbatim, the issuer and the todo scopes', async () => {
    const response = await fetch(`${todo.resource}/.well-known/oauth-protected-resource`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^application\/json\b/);
    const prm = await response.json();
    assert.equal(prm.resource, todo.resource); // no trailing slash added
    assert.deepEqual(prm.authorization_servers, [as.issuer]);
    assert.deepEqual(prm.scopes_supported, [...TODO_SCOPES]);
    assert.deepEqual(prm.bearer_methods_supported, ['header']);
  });

  it('the authorization server: discovery with code + PKCE S256, registration and RFC 9207 iss', async () => {
    const response = await fetch(`${as.issuer}/.well-known/oauth-authorization-server`);
    assert.equal(response.status, 200);
    const metadata = await response.json();
    assert.equal(metadata.issuer, as.issuer);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.equal(metadata.registration_endpoint, `${as.issuer}/reg`);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('none'));
  });

  it('user: the SDK client goes 401 → PRM → AS metadata → registration → PKCE → token → MCP', async () => {
    user = await connectAs({ mcpUrl: todo.url, account: 'user', transcript: userTranscript });
    const steps = userTranscript.entries.map((entry) => entry.step).filter((step) => step !== 'mcp-request');
    assert.deepEqual(steps, ['challenge', 'prm', 'as-metadata', 'registration', 'authorize', 'login', 'token', 'mcp-authorized', 'connected']);

    const [challenge] = userTranscript.of('challenge');
    assert.equal(challenge.data.status, 401);
    assert.equal(challenge.data.authorized, false);
    const [registration] = userTranscript.of('registration');
    assert.equal(registration.data.status, 201);
    assert.equal(registration.data.request.token_endpoint_auth_method, 'none');
    const [authorize] = userTranscript.of('authorize');
    assert.equal(authorize.data.params.response_type, 'code');
    assert.equal(authorize.data.params.code_challenge_method, 'S256');
    assert.equal(authorize.data.params.resource, todo.resource);
    const [login] = userTranscript.of('login');
    assert.equal(login.data.iss, as.issuer);
    assert.equal(userTranscript.of('mcp-authorized')[0].data.status, 200);
  });

  it('user: the token endpoint grants only create:todos, in an RFC 9068 JWT for this resource', () => {
    const [token] = userTranscript.of('token');
    assert.equal(token.data.status, 200);
    assert.equal(token.data.resource, todo.resource);
    assert.equal(token.data.scope, 'create:todos');
    assert.equal(token.data.header.typ, 'at+jwt');
    assert.equal(token.data.claims.scope, 'create:todos');
    assert.equal(token.data.claims.aud, todo.resource);
    assert.equal(token.data.claims.sub, 'user');
    assert.equal(token.data.claims.iss, as.issuer);
  });

  it('admin: granted create:todos read:todos delete:todos for the same request', async () => {
    admin = await connectAs({ mcpUrl: todo.url, account: 'admin', transcript: adminTranscript });
    const [authorize] = adminTranscript.of('authorize');
    // Both clients ask for every advertised scope; the AS decides per account.
    assert.equal(authorize.data.params.scope, userTranscript.of('authorize')[0].data.params.scope);
    const [token] = adminTranscript.of('token');
    assert.equal(token.data.scope, 'create:todos read:todos delete:todos');
    assert.equal(admin.tokenClaims.sub, 'admin');
    assert.equal(admin.tokenClaims.aud, todo.resource);
  });

  it('create-todo: the todo belongs to the token subject', async () => {
    const milk = await user.callTool('create-todo', { content: 'Buy milk' });
    assert.equal(milk.isError, false);
    assert.equal(milk.value.ownerId, 'user');
    assert.equal(milk.value.content, 'Buy milk');
    const report = await admin.callTool('create-todo', { content: 'Review the report' });
    assert.equal(report.value.ownerId, 'admin');
    todos.milk = milk.value;
    todos.report = report.value;
  });

  it('get-todos without read:todos: the user sees only their own todos', async () => {
    const { value } = await user.callTool('get-todos');
    assert.deepEqual(value.map((t) => t.id), [todos.milk.id]);
  });

  it("delete-todo: the user cannot delete the admin's todo (step-up refused), and it stays", async () => {
    const result = await user.callTool('delete-todo', { id: todos.report.id });
    assert.equal(result.refused, 'delete:todos not granted');
    assert.equal(result.value, undefined);
    assert.ok(todo.todoService.getTodoById(todos.report.id));
  });

  it('delete-todo: the user may delete their own todo without delete:todos', async () => {
    const plants = await user.callTool('create-todo', { content: 'Water the plants' });
    const { value } = await user.callTool('delete-todo', { id: plants.value.id });
    assert.equal(value.message, `Todo ${plants.value.id} deleted`);
    assert.equal(todo.todoService.getTodoById(plants.value.id), undefined);
  });

  it('get-todos with read:todos: the admin sees every todo', async () => {
    const { value } = await admin.callTool('get-todos');
    assert.deepEqual(value.map((t) => t.id).sort(), [todos.milk.id, todos.report.id].sort());
  });

  it("delete-todo with delete:todos: the admin deletes the user's todo", async () => {
    const { value } = await admin.callTool('delete-todo', { id: todos.milk.id });
    assert.equal(value.message, `Todo ${todos.milk.id} deleted`);
    assert.equal(value.details.ownerId, 'user');
    assert.deepEqual((await user.callTool('get-todos')).value, []);
  });

  it('create-todo without create:todos: a tool error, nothing created', async () => {
    const reader = await connectAs({ mcpUrl: todo.url, account: 'reader' });
    try {
      assert.equal(reader.tokenClaims.scope, 'read:todos');
      const before = todo.todoService.getAllTodos().length;
      const result = await reader.callTool('create-todo', { content: 'Not allowed' });
      assert.equal(result.isError, true);
      assert.match(result.text, /necessary scopes/);
      assert.equal(todo.todoService.getAllTodos().length, before);
    } finally {
      await reader.close();
    }
  });

  it('version negotiation: the v2 client probes with server/discover and speaks 2026-07-28', () => {
    assert.equal(user.era, 'modern');
    assert.equal(user.protocolVersion, '2026-07-28');
    assert.equal(user.client.getProtocolEra(), 'modern');
    const requests = mcpRequests(userTranscript, 0);
    assert.equal(requests[0].rpcMethod, 'server/discover');
    assert.equal(requests[0].status, 401);
    const calls = requests.filter((r) => r.rpcMethod === 'tools/call');
    assert.ok(calls.length > 0);
    for (const call of calls) assert.equal(call.version, '2026-07-28');
    assert.ok(!requests.some((r) => r.rpcMethod === 'initialize'), 'no 2025 initialize on a 2026 connection');
  });

  it('a 2025-11-25 client is served: the v2 client in legacy mode', async () => {
    const transcript = new Transcript();
    const legacy = await connectAs({ mcpUrl: todo.url, account: 'admin', transcript, era: 'legacy' });
    try {
      assert.equal(legacy.era, 'legacy');
      assert.equal(legacy.protocolVersion, '2025-11-25');
      const requests = mcpRequests(transcript, 0);
      assert.equal(requests[0].rpcMethod, 'initialize');
      assert.ok(!requests.some((r) => r.rpcMethod === 'server/discover'));
      const { value } = await legacy.callTool('get-todos');
      assert.deepEqual(value.map((t) => t.id), [todos.report.id]);
    } finally {
      await legacy.close();
    }
  });

  it('a 2025-11-25 client is served: the v1 SDK client with a bearer token', async () => {
    const v1 = new V1Client({ name: 'e2e-v1', version: '0' });
    const transport = new V1Transport(new URL(todo.url), { requestInit: { headers: { authorization: `Bearer ${user.accessToken}` } } });
    await v1.connect(transport);
    try {
      assert.equal(transport.protocolVersion, '2025-11-25');
      const created = await v1.callTool({ name: 'create-todo', arguments: { content: 'From a v1 client' } });
      const todoFromV1 = JSON.parse(created.content[0].text);
      assert.equal(todoFromV1.ownerId, 'user');
      const listed = await v1.callTool({ name: 'get-todos', arguments: {} });
      assert.deepEqual(JSON.parse(listed.content[0].text).map((t) => t.id), [todoFromV1.id]);
      todos.fromV1 = todoFromV1;
    } finally {
      await v1.close();
    }
  });

  for (const era of ['modern', 'legacy']) {
    it(`403 on the wire (${era === 'modern' ? '2026-07-28' : '2025-11-25'}): deleting another's todo without delete:todos`, async () => {
      const unauthenticated = await initialize();
      const expectedMetadata = parseWwwAuthenticate(unauthenticated.headers.get('www-authenticate')).params.resource_metadata;
      await unauthenticated.body?.cancel();

      const response = await callToolRaw(user.accessToken, 'delete-todo', { id: todos.report.id }, { era });
      assert.equal(response.status, 403);
      const challenge = parseWwwAuthenticate(response.headers.get('www-authenticate'));
      assert.equal(challenge.scheme.toLowerCase(), 'bearer');
      assert.equal(challenge.params.error, 'insufficient_scope');
      assert.equal(challenge.params.scope, 'delete:todos');
      assert.equal(challenge.params.resource_metadata, expectedMetadata);
      const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
      assert.ok(exposed.includes('www-authenticate'), `Access-Control-Expose-Headers: ${exposed}`);
      assert.equal((await response.json()).error, 'insufficient_scope');
      assert.ok(todo.todoService.getTodoById(todos.report.id), 'nothing was deleted');
    });
  }

  it('403 also for an id that does not exist (no hint which ids exist); none for own todos or with delete:todos', async () => {
    const unknown = await callToolRaw(user.accessToken, 'delete-todo', { id: 'no-such-todo' });
    assert.equal(unknown.status, 403);
    assert.equal(parseWwwAuthenticate(unknown.headers.get('www-authenticate')).params.scope, 'delete:todos');
    await unknown.body?.cancel();

    const own = await callToolRaw(user.accessToken, 'delete-todo', { id: todos.fromV1.id });
    assert.equal(own.status, 200);
    assert.equal((await toolResult(own)).message, `Todo ${todos.fromV1.id} deleted`);

    const withScope = await callToolRaw(admin.accessToken, 'delete-todo', { id: 'no-such-todo' });
    assert.equal(withScope.status, 200);
    assert.deepEqual(await toolResult(withScope), { error: 'Failed to delete todo' });
  });

  it('step-up through the SDK: one 403, one re-authorization for the union of scopes, refused by the AS: no retry', async () => {
    const from = userTranscript.entries.length;
    const loginsBefore = user.logins;
    const result = await user.callTool('delete-todo', { id: todos.report.id });

    assert.deepEqual(mcpRequests(userTranscript, from, 'delete-todo').map((r) => r.status), [403]);
    const [authorize, ...moreAuthorizations] = entriesSince(userTranscript, from, 'authorize');
    assert.equal(moreAuthorizations.length, 0);
    const requested = authorize.data.params.scope.split(' ');
    for (const scope of ['create:todos', 'delete:todos']) assert.ok(requested.includes(scope), `requested ${requested}`);
    const [token] = entriesSince(userTranscript, from, 'token');
    assert.equal(token.data.grantType, 'authorization_code');
    assert.equal(token.data.scope, 'create:todos');
    assert.equal(user.logins, loginsBefore + 1);
    assert.deepEqual(result.stepUp, { challenged: ['delete:todos'], granted: ['create:todos'], missing: ['delete:todos'] });
    assert.equal(result.refused, 'delete:todos not granted');
    assert.ok(todo.todoService.getTodoById(todos.report.id));
  });

  it('step-up through the SDK after the policy grants delete:todos: 403, re-authorization, the call is sent again and succeeds', async () => {
    as.grantScopes('user', ['delete:todos']);
    const from = userTranscript.entries.length;
    const loginsBefore = user.logins;
    const result = await user.callTool('delete-todo', { id: todos.report.id });

    assert.deepEqual(mcpRequests(userTranscript, from, 'delete-todo').map((r) => r.status), [403, 200]);
    assert.equal(entriesSince(userTranscript, from, 'authorize').length, 1);
    assert.equal(user.logins, loginsBefore + 1);
    assert.equal(user.tokenClaims.scope, 'create:todos delete:todos');
    assert.deepEqual(result.stepUp.missing, []);
    assert.equal(result.value.message, `Todo ${todos.report.id} deleted`);
    assert.equal(todo.todoService.getTodoById(todos.report.id), undefined);
  });

  it('refresh tokens: issued as the metadata advertises, and used on a 401 without a new login', async () => {
    const metadata = await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.ok(metadata.grant_types_supported.includes('refresh_token'));
    assert.ok(metadata.scopes_supported.includes('offline_access'));
    assert.equal(userTranscript.of('token')[0].data.refreshTokenIssued, true);
    assert.equal(user.hasRefreshToken, true);

    const scopeBefore = user.tokenClaims.scope;
    user.spoilAccessToken();
    const from = userTranscript.entries.length;
    const loginsBefore = user.logins;
    const { value } = await user.callTool('get-todos');

    assert.deepEqual(value, []);
    assert.deepEqual(mcpRequests(userTranscript, from, 'get-todos').map((r) => r.status), [401, 200]);
    const tokens = entriesSince(userTranscript, from, 'token');
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0].data.grantType, 'refresh_token');
    assert.equal(tokens[0].data.status, 200);
    assert.equal(tokens[0].data.resource, todo.resource);
    assert.equal(user.logins, loginsBefore, 'no new login');
    assert.equal(entriesSince(userTranscript, from, 'authorize').length, 0);
    assert.equal(user.tokenClaims.scope, scopeBefore);
    assert.equal(user.tokenClaims.sub, 'user');
  });

  it("a resource whose path ends in '/': the 403's resource_metadata is the 401's (needs bearerAuth's resourceMetadataUrl)", async () => {
    const slashed = await createTodoServer({ issuer: as.issuer, port: 0, path: '/mcp/' });
    try {
      as.addResource(slashed.resource);
      const unauthenticated = await fetch(slashed.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: INITIALIZE });
      assert.equal(unauthenticated.status, 401);
      const expected = parseWwwAuthenticate(unauthenticated.headers.get('www-authenticate')).params.resource_metadata;
      await unauthenticated.body?.cancel();
      assert.equal((await fetch(expected)).status, 200, 'the 401 names metadata that exists');

      const tokens = await obtainAccessToken({ issuer: as.issuer, resource: slashed.resource, account: 'reader', scope: 'read:todos' });
      const response = await callToolRaw(tokens.access_token, 'delete-todo', { id: 'no-such-todo' }, { url: slashed.url });
      assert.equal(response.status, 403);
      await response.body?.cancel();
      assert.equal(parseWwwAuthenticate(response.headers.get('www-authenticate')).params.resource_metadata, expected);
    } finally {
      await slashed.close();
    }
  });

  it('control: a token this AS issues for the resource spelled with a trailing slash is accepted', async () => {
    const tokens = await obtainAccessToken({ issuer: as.issuer, resource: `${todo.resource}/`, account: 'user', scope: 'create:todos' });
    assert.equal(decodeJwt(tokens.access_token).payload.aud, `${todo.resource}/`);
    const response = await initialize(tokens.access_token);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });

  for (const which of ['same origin, another path', 'another origin']) {
    it(`a token from the same AS for another resource (${which}) is rejected: 401 invalid_token`, async () => {
      const resource = otherResources[which === 'another origin' ? 1 : 0];
      const tokens = await obtainAccessToken({
        issuer: as.issuer,
        resource,
        account: 'admin',
        scope: TODO_SCOPES.join(' '),
      });
      const { payload } = decodeJwt(tokens.access_token);
      // Otherwise a perfectly good token: same issuer, keys, subject and scopes.
      assert.equal(payload.aud, resource);
      assert.equal(payload.iss, as.issuer);
      assert.equal(payload.scope, TODO_SCOPES.join(' '));

      const response = await initialize(tokens.access_token);
      assert.equal(response.status, 401);
      const challenge = parseWwwAuthenticate(response.headers.get('www-authenticate'));
      assert.equal(challenge.params.error, 'invalid_token');
      assert.equal(challenge.params.resource_metadata, `${todo.resource}/.well-known/oauth-protected-resource`);
      assert.equal((await response.json()).error, 'invalid_token');
    });
  }

  it('a token with a broken signature is rejected: 401 invalid_token', async () => {
    const [header, payload, signature] = admin.accessToken.split('.');
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    const response = await initialize(`${header}.${payload}.${flipped}`);
    assert.equal(response.status, 401);
    assert.equal(parseWwwAuthenticate(response.headers.get('www-authenticate')).params.error, 'invalid_token');
    await response.body?.cancel();
  });
});
