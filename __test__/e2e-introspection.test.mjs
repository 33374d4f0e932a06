// End to end (issue 14): the todo manager (MCP SDK v2 server, real v2
// client with its OAuth support) in 'introspection' and in 'auto' mode,
// against the embedded oidc-provider issuing opaque access tokens and serving
// RFC 7662 introspection for the todo server's own client. All on 127.0.0.1.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import express from 'express';

import { MCPAuth } from 'mcp-auth-rs';
import { serveApp, send, single } from './helpers/app.mjs';
import { startAuthorizationServer } from '../examples/todo-manager/authorization-server.mjs';
import { createTodoServer } from '../examples/todo-manager/server.mjs';
import { connectAs, obtainAccessToken } from '../examples/todo-manager/client.mjs';

const isJwt = (token) => token.split('.').length === 3;

// A tools/call on 2025-11-25 (stateless): enough to see whether a token is accepted.
const listTodos = (url, token) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get-todos', arguments: {} } }),
  });

for (const mode of ['introspection', 'auto']) {
  describe(`todo manager end to end in '${mode}' mode: opaque tokens from oidc-provider`, () => {
    let as;
    let todo;
    let user;
    let admin;
    before(async () => {
      as = await startAuthorizationServer();
      todo = await createTodoServer({ issuer: as.issuer, port: 0, mode, introspection: as.introspectionClient });
      as.addResource(todo.resource, { tokenFormat: 'opaque' });
    });
    after(async () => {
      await user?.close();
      await admin?.close();
      await todo?.close();
      await as?.close();
    });

    it('the v2 client signs in, gets an opaque token, and the tools see who is calling', async () => {
      user = await connectAs({ mcpUrl: todo.url, account: 'user' });
      admin = await connectAs({ mcpUrl: todo.url, account: 'admin' });
      assert.equal(isJwt(user.accessToken), false, 'expected an opaque access token');
      const milk = await user.callTool('create-todo', { content: 'Buy milk' });
      assert.equal(milk.isError, false, milk.text);
      assert.equal(milk.value.ownerId, 'user');
      await admin.callTool('create-todo', { content: 'Review the report' });
      // The user's token has no read:todos: only their own todo; the admin's has it: both.
      assert.deepEqual((await user.callTool('get-todos')).value.map((t) => t.content), ['Buy milk']);
      assert.equal((await admin.callTool('get-todos')).value.length, 2);
    });

    it('an opaque token for another resource, or one the AS never issued, gets 401 invalid_token', async () => {
      const other = `${todo.resource}/elsewhere`;
      as.addResource(other, { tokenFormat: 'opaque' });
      const { access_token: foreign } = await obtainAccessToken({ issuer: as.issuer, resource: other, account: 'admin', scope: 'read:todos' });
      for (const token of [foreign, 'not-a-token-the-as-issued']) {
        const response = await listTodos(todo.url, token);
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate'), /error="invalid_token"/);
      }
    });

    if (mode === 'auto') {
      it("'auto' also takes the AS's JWTs, verified locally", async () => {
        as.addResource(todo.resource, { tokenFormat: 'jwt' });
        const { access_token: jwt } = await obtainAccessToken({ issuer: as.issuer, resource: todo.resource, account: 'admin', scope: 'read:todos' });
        assert.equal(isJwt(jwt), true);
        assert.equal((await listTodos(todo.url, jwt)).status, 200);
        const [header, payload] = jwt.split('.');
        assert.equal((await listTodos(todo.url, `${header}.${payload}.${'A'.repeat(86)}`)).status, 401);
      });
    } else {
      it("'introspection' refuses the AS's JWTs for another audience the same way", async () => {
        const other = 'https://calendar.example/mcp';
        as.addResource(other);
        const { access_token: jwt } = await obtainAccessToken({ issuer: as.issuer, resource: other, account: 'admin', scope: 'read:todos' });
        assert.equal((await listTodos(todo.url, jwt)).status, 401);
      });
    }
  });
}

// Issue 20, item 7: oidc-provider 8.8 introspects a refresh token as active,
// with neither token_type nor aud (lib/actions/introspection.js). Under
// either audience opt-out it must still never pass for an access token.
describe('a refresh token from oidc-provider is never an access token, under either audience opt-out', () => {
  const resource = 'https://mcp.example.com/mcp';
  let as;
  let rs;
  before(async () => {
    as = await startAuthorizationServer();
    as.addResource(resource, { tokenFormat: 'opaque' });
    const mcpAuth = new MCPAuth({
      protectedResources: { metadata: { resource, authorizationServers: [{ issuer: as.issuer, type: 'oidc' }] } },
    });
    const introspection = as.introspectionClient;
    rs = await serveApp(express, (app) => {
      app.get('/missing-aud', mcpAuth.bearerAuth('introspection', { resource, introspection: { ...introspection, acceptMissingAudience: true } }), (req, res) => res.json({ sub: req.auth.subject }));
      app.get('/no-aud-check', mcpAuth.bearerAuth('introspection', { resource, audience: false, introspection }), (req, res) => res.json({ sub: req.auth.subject }));
    });
  });
  after(async () => {
    await rs?.close();
    await as?.close();
  });

  it('401 for the refresh token at both routes; the access token of the same grant is accepted', async () => {
    const grant = await obtainAccessToken({ issuer: as.issuer, resource, account: 'user', scope: 'openid offline_access create:todos' });
    assert.equal(typeof grant.refresh_token, 'string', 'expected a refresh token');
    for (const path of ['/missing-aud', '/no-aud-check']) {
      const call = (token) => send(rs, { path, headers: [['Authorization', `Bearer ${token}`]] });
      const access = await call(grant.access_token);
      assert.equal(access.status, 200, `${path}: ${access.body}`);
      const refresh = await call(grant.refresh_token);
      assert.equal(refresh.status, 401, `${path}: ${refresh.body}`);
      assert.match(single(refresh, 'www-authenticate'), /error="invalid_token"/);
    }
  });
});
