// End to end (issue 15): oidc-provider issues DPoP-bound access tokens
// (RFC 9449) to the official SDK v2 client, which signs its proofs with jose
// (its DpopSession), and the todo manager checks them: once with
// dpop: 'required', once with the default 'allowed' next to a Bearer client.
// All on 127.0.0.1.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DpopSession } from '@modelcontextprotocol/client';

import { startAuthorizationServer } from '../examples/todo-manager/authorization-server.mjs';
import { createTodoServer } from '../examples/todo-manager/server.mjs';
import { connectAs, obtainAccessToken } from '../examples/todo-manager/client.mjs';
import { parseWwwAuthenticateAll } from './helpers/http.mjs';

// A tools/call on 2025-11-25 (stateless), with the credentials given.
const callTool = (url, headers, name, args = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
const listTodos = (url, headers) => callTool(url, headers, 'get-todos');

// delete-todo of a todo that is not the caller's: the SDK's per-tool scope
// challenge answers 403 before the tool runs. Returns the parsed challenges.
async function deleteOthersTodo(todo, headers) {
  const res = await callTool(todo.url, headers, 'delete-todo', { id: 'not-the-callers-todo' });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error, 'insufficient_scope');
  return parseWwwAuthenticateAll(res.headers.get('www-authenticate'));
}

// RFC 9449 §7.1: the error sits in the challenge of the scheme used, with the tool's scope.
function assertStepUpChallenge(challenges, todo, { schemes, erroredScheme }) {
  assert.deepEqual(challenges.map((c) => c.scheme), schemes);
  const withError = challenges.filter((c) => c.params.error !== undefined);
  assert.deepEqual(withError.map((c) => c.scheme), [erroredScheme]);
  assert.equal(withError[0].params.error, 'insufficient_scope');
  assert.equal(withError[0].params.error_description, "Deleting another user's todo needs delete:todos");
  const prm = new URL('/.well-known/oauth-protected-resource', todo.url).href;
  for (const challenge of challenges) {
    assert.equal(challenge.params.scope, 'delete:todos');
    assert.equal(challenge.params.resource_metadata, prm);
    if (challenge.scheme === 'DPoP') assert.match(challenge.params.algs, /\bES256\b/);
  }
}

describe("todo manager end to end with DPoP-bound tokens from oidc-provider (dpop: 'required')", () => {
  let as;
  let todo;
  let user;
  before(async () => {
    as = await startAuthorizationServer({ dpop: true });
    todo = await createTodoServer({ issuer: as.issuer, port: 0, dpop: 'required' });
    as.addResource(todo.resource);
  });
  after(async () => {
    await user?.close();
    await todo?.close();
    await as?.close();
  });

  it('the metadata says DPoP is required; the v2 client gets a token bound to its key and the tools see who is calling', async () => {
    const prm = await (await fetch(new URL('/.well-known/oauth-protected-resource', todo.url))).json();
    assert.equal(prm.dpop_bound_access_tokens_required, true);
    assert.ok(prm.dpop_signing_alg_values_supported.includes('ES256'));

    user = await connectAs({ mcpUrl: todo.url, account: 'user', dpop: true });
    assert.equal(user.tokenType, 'DPoP');
    assert.equal(user.tokenClaims.cnf.jkt, user.dpopSession.thumbprint);
    const milk = await user.callTool('create-todo', { content: 'Buy milk' });
    assert.equal(milk.isError, false, milk.text);
    assert.equal(milk.value.ownerId, 'user');
    assert.deepEqual((await user.callTool('get-todos')).value.map((t) => t.content), ['Buy milk']);
  });

  it('the stolen token alone does not work: as Bearer, or with a proof of another key', async () => {
    const asBearer = await listTodos(todo.url, { authorization: `Bearer ${user.accessToken}` });
    assert.equal(asBearer.status, 401);
    const challenges = parseWwwAuthenticateAll(asBearer.headers.get('www-authenticate'));
    assert.deepEqual(challenges.map((c) => c.scheme), ['DPoP']);
    assert.equal(challenges[0].params.error, 'invalid_token');
    assert.equal((await asBearer.json()).error_description, 'This resource requires a DPoP-bound access token.');

    const thief = await DpopSession.create({ alg: 'ES256' });
    const proof = await thief.buildProof({ htm: 'POST', htu: new URL(todo.url), accessToken: user.accessToken });
    const withOtherKey = await listTodos(todo.url, { authorization: `DPoP ${user.accessToken}`, dpop: proof });
    assert.equal(withOtherKey.status, 401);
    assert.equal((await withOtherKey.json()).error, 'invalid_dpop_proof');
  });

  it('without credentials, the 401 body says a DPoP-bound token with its proof is needed, not a bearer token', async () => {
    const none = await listTodos(todo.url, {});
    assert.equal(none.status, 401);
    const body = await none.json();
    assert.equal(body.error, 'missing_auth_header');
    assert.equal(
      body.error_description,
      'Missing `Authorization` header. This resource requires a DPoP-bound access token: send "Authorization: DPoP <token>" with its proof in a `DPoP` header.',
    );
    assert.deepEqual(parseWwwAuthenticateAll(none.headers.get('www-authenticate')).map((c) => c.scheme), ['DPoP']);
    const basic = await (await listTodos(todo.url, { authorization: 'Basic dXNlcjpwYXNz' })).json();
    assert.equal(basic.error_description, 'Invalid `Authorization` header format. Expected "DPoP <token>" with its proof in a `DPoP` header.');
  });

  it("a tool's own 403 insufficient_scope names DPoP, the scheme used, not Bearer", async () => {
    const proof = await user.dpopSession.buildProof({ htm: 'POST', htu: new URL(todo.url), accessToken: user.accessToken });
    const challenges = await deleteOthersTodo(todo, { authorization: `DPoP ${user.accessToken}`, dpop: proof });
    assertStepUpChallenge(challenges, todo, { schemes: ['DPoP'], erroredScheme: 'DPoP' });
  });

  it("the client's own proof works once; replayed, it is refused", async () => {
    const proof = await user.dpopSession.buildProof({ htm: 'POST', htu: new URL(todo.url), accessToken: user.accessToken });
    const headers = { authorization: `DPoP ${user.accessToken}`, dpop: proof };
    assert.equal((await listTodos(todo.url, headers)).status, 200);
    const replay = await listTodos(todo.url, headers);
    assert.equal(replay.status, 401);
    assert.equal((await replay.json()).error_description, 'The DPoP proof was already used.');
  });
});

describe("todo manager end to end, DPoP 'allowed' (the default): a DPoP client and a Bearer client side by side", () => {
  let as;
  let todo;
  let user;
  let admin;
  before(async () => {
    as = await startAuthorizationServer({ dpop: true });
    todo = await createTodoServer({ issuer: as.issuer, port: 0 });
    as.addResource(todo.resource);
  });
  after(async () => {
    await user?.close();
    await admin?.close();
    await todo?.close();
    await as?.close();
  });

  it('both sign in and call tools; the DPoP-bound token still needs its proof', async () => {
    user = await connectAs({ mcpUrl: todo.url, account: 'user', dpop: true });
    admin = await connectAs({ mcpUrl: todo.url, account: 'admin' });
    assert.equal(user.tokenType, 'DPoP');
    assert.equal(admin.tokenType, 'Bearer');
    assert.equal(admin.tokenClaims.cnf, undefined);
    assert.equal((await user.callTool('create-todo', { content: 'Buy milk' })).isError, false);
    assert.equal((await admin.callTool('create-todo', { content: 'Review the report' })).isError, false);
    assert.equal((await admin.callTool('get-todos')).value.length, 2);

    const asBearer = await listTodos(todo.url, { authorization: `Bearer ${user.accessToken}` });
    assert.equal(asBearer.status, 401);
    const body = await asBearer.json();
    assert.equal(body.error, 'invalid_token');
    assert.equal(body.error_description, 'The access token is sender-constrained: it cannot be used as a Bearer token.');
    assert.equal((await listTodos(todo.url, { authorization: `Bearer ${admin.accessToken}` })).status, 200);
  });

  it("a tool's own 403 offers both schemes, the error in the one the request used", async () => {
    const proof = await user.dpopSession.buildProof({ htm: 'POST', htu: new URL(todo.url), accessToken: user.accessToken });
    const viaDpop = await deleteOthersTodo(todo, { authorization: `DPoP ${user.accessToken}`, dpop: proof });
    assertStepUpChallenge(viaDpop, todo, { schemes: ['Bearer', 'DPoP'], erroredScheme: 'DPoP' });

    const { access_token: bearer } = await obtainAccessToken({ issuer: as.issuer, resource: todo.resource, account: 'user', scope: 'create:todos' });
    const viaBearer = await deleteOthersTodo(todo, { authorization: `Bearer ${bearer}` });
    assertStepUpChallenge(viaBearer, todo, { schemes: ['Bearer', 'DPoP'], erroredScheme: 'Bearer' });
  });
});
