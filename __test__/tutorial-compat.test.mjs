// Compatibility with mcp-auth's todo-manager tutorial: the server in
// compat/todo-manager.ts uses the tutorial's APIs with only the import
// changed. It is type-checked and compiled with tsc against our published
// typings, run as its own process, and driven by the MCP SDK client with
// bearer tokens for two users (create:todos only) and an admin (all scopes).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { send, single } from './helpers/app.mjs';

const compatDir = fileURLToPath(new URL('./compat/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const RESOURCE = 'http://localhost:3001';
const ALL_SCOPES = ['create:todos', 'read:todos', 'delete:todos'];

// The compat project depends on this package as `file:../..`; link it the way npm would.
function linkPackage() {
  const link = new URL('./compat/node_modules/mcp-auth-rs', import.meta.url);
  if (existsSync(link)) return;
  mkdirSync(new URL('./compat/node_modules/', import.meta.url), { recursive: true });
  symlinkSync('../../..', link, 'dir');
}

function startTodoServer(env) {
  const child = spawn(process.execPath, ['dist/todo-manager.js'], {
    cwd: compatDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const port = new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /listening on (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`todo server exited (${code}): ${stderr}`)));
  });
  return { child, port };
}

describe('todo-manager tutorial, with the import changed to mcp-auth-rs', () => {
  let as;
  let key;
  let server;
  let serverUrl;
  const clients = [];

  const tokenFor = (sub, scopes, extra = {}) =>
    signJwt(claims({ issuer: as.issuer, audience: `${RESOURCE}/`, sub, scope: scopes.join(' '), ...extra }), key);

  async function connectAs(token) {
    const client = new Client({ name: 'todo-compat-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  }

  async function callTool(client, name, args = {}) {
    const result = await client.callTool({ name, arguments: args });
    const text = result.content[0].text;
    return result.isError ? { error: text } : JSON.parse(text);
  }

  before(async () => {
    linkPackage();
    await promisify(execFile)(process.execPath, [tsc, '-p', compatDir]);
    key = generateKey('RS256', { kid: 'tutorial' });
    as = await startAuthServer({ keys: [key] });
    server = startTodoServer({ ISSUER: as.issuer, PORT: '0', RESOURCE_ID: RESOURCE });
    serverUrl = `http://127.0.0.1:${await server.port}/`;
  });

  after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    server?.child.kill();
    await as?.close();
  });

  it('serves the protected resource metadata and challenges unauthenticated MCP requests', async () => {
    const port = Number(new URL(serverUrl).port);
    const prm = await send({ port }, { path: '/.well-known/oauth-protected-resource' });
    assert.equal(prm.status, 200);
    assert.equal(
      prm.body,
      `{"resource":"${RESOURCE}","authorization_servers":["${as.issuer}"],"scopes_supported":["create:todos","read:todos","delete:todos"],"bearer_methods_supported":["header"],"dpop_signing_alg_values_supported":["RS256","RS384","RS512","PS256","PS384","PS512","ES256","ES384","EdDSA"]}`,
    );
    const mcp = await send({ port }, { method: 'POST', path: '/', headers: [['Content-Type', 'application/json']], body: '{}' });
    assert.equal(mcp.status, 401);
    const prmUrl = `${RESOURCE}/.well-known/oauth-protected-resource`;
    // The tutorial's Bearer challenge, then DPoP's ('allowed' by default, RFC 9449 §7.1).
    assert.equal(
      single(mcp, 'www-authenticate'),
      `Bearer resource_metadata="${prmUrl}", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA", resource_metadata="${prmUrl}"`,
    );
  });

  it('refuses a client whose token has expired', async () => {
    await assert.rejects(connectAs(tokenFor('alice', ['create:todos'], { exp: Math.floor(Date.now() / 1000) - 600 })), (error) => {
      assert.equal(error.code, 401);
      assert.match(error.message, /"error":"invalid_token"/);
      return true;
    });
  });

  it('users see and delete only their own todos; admins see and delete all', async () => {
    const alice = await connectAs(tokenFor('alice', ['create:todos']));
    const bob = await connectAs(tokenFor('bob', ['create:todos']));
    const admin = await connectAs(tokenFor('admin', ALL_SCOPES));

    const { tools } = await alice.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['create-todo', 'delete-todo', 'get-todos']);

    const aliceTodo = await callTool(alice, 'create-todo', { content: 'buy milk' });
    assert.equal(aliceTodo.ownerId, 'alice');
    assert.equal(aliceTodo.content, 'buy milk');
    assert.match(aliceTodo.id, /^[0-9a-z]{1,8}$/);
    const bobTodo = await callTool(bob, 'create-todo', { content: 'walk dog' });

    assert.deepEqual((await callTool(alice, 'get-todos')).map((todo) => todo.id), [aliceTodo.id]);
    assert.deepEqual((await callTool(bob, 'get-todos')).map((todo) => todo.id), [bobTodo.id]);
    assert.deepEqual((await callTool(admin, 'get-todos')).map((todo) => todo.id), [aliceTodo.id, bobTodo.id]);

    assert.deepEqual(await callTool(alice, 'delete-todo', { id: bobTodo.id }), { error: 'Failed to delete todo' });
    assert.deepEqual(await callTool(alice, 'delete-todo', { id: 'missing' }), { error: 'Failed to delete todo' });
    const deleted = await callTool(alice, 'delete-todo', { id: aliceTodo.id });
    assert.equal(deleted.message, `Todo ${aliceTodo.id} deleted`);
    assert.deepEqual(deleted.details, aliceTodo);

    const adminDeleted = await callTool(admin, 'delete-todo', { id: bobTodo.id });
    assert.equal(adminDeleted.message, `Todo ${bobTodo.id} deleted`);
    assert.deepEqual(await callTool(admin, 'get-todos'), []);
  });

  it('a tool throwing MCPAuthBearerAuthError becomes a tool error with its message', async () => {
    const reader = await connectAs(tokenFor('carol', ['read:todos']));
    assert.deepEqual(await callTool(reader, 'create-todo', { content: 'nope' }), {
      error: 'The token does not contain the necessary scopes for this request.',
    });
  });
});
