// End to end (issue 4): the example todo manager protected by mcp-auth-rs, a
// real authorization server (oidc-provider, embedded) and the MCP SDK's OAuth
// client. Checks the wire (status codes, challenge, metadata), the tokens the
// AS grants per account, the tutorial's RBAC outcomes, and that tokens for
// another resource or with a broken signature are refused. All on 127.0.0.1.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

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
    const steps = userTranscript.entries.map((entry) => entry.step);
    assert.deepEqual(steps, ['challenge', 'prm', 'as-metadata', 'registration', 'authorize', 'login', 'token', 'mcp-authorized']);

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

  it("delete-todo: the user cannot delete the admin's todo, and it stays", async () => {
    const { value } = await user.callTool('delete-todo', { id: todos.report.id });
    assert.deepEqual(value, { error: 'Failed to delete todo' });
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
