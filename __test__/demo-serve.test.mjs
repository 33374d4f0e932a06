// `npm run demo -- --serve` (issue 20, item 13): the servers it keeps up
// have the starting account policy (so a client still meets the 403
// step-up, refused), honour --dpop, --tokens and --mode, and print what a
// client needs. The demo runs as its own process, as a user starts it, on
// free ports of 127.0.0.1.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { connectAnonymously, connectAs } from '../examples/todo-manager/client.mjs';
import { parseDemoOptions } from '../examples/todo-manager/demo-options.mjs';

const demo = fileURLToPath(new URL('../examples/todo-manager/demo.mjs', import.meta.url));

/** Starts `demo.mjs --serve …`; resolves with its printed help once the servers are up. */
function serveDemo(args) {
  const child = spawn(process.execPath, [demo, '--serve', ...args], {
    env: { ...process.env, PORT: '0', AS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      // The last line of the help.
      if (/Use \S+ exactly/.test(output)) resolve(output);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  return { ready, stop };
}

const field = (help, pattern) => {
  const match = pattern.exec(help);
  assert.ok(match, `${pattern} in:\n${help}`);
  return match[1];
};

describe('npm run demo -- --serve', () => {
  const running = [];
  const sessions = [];
  after(async () => {
    await Promise.all(sessions.map((session) => session.close().catch(() => {})));
    await Promise.all(running.map((demoProcess) => demoProcess.stop()));
  });

  it('serves with the starting policy: "user" meets the 403 step-up for delete:todos, and it is refused', async () => {
    const served = serveDemo([]);
    running.push(served);
    const help = await served.ready;
    const mcpUrl = field(help, /MCP server\s+(\S+)/);
    assert.match(help, /user → create:todos;/);
    assert.match(help, /npx @modelcontextprotocol\/inspector@0\.15\.0/);
    assert.match(help, /Node 22\.19 or newer/);

    const user = await connectAs({ mcpUrl, account: 'user' });
    sessions.push(user);
    const refused = await user.callTool('delete-todo', { id: 'someone-elses-todo' });
    assert.deepEqual(refused.stepUp?.challenged, ['delete:todos']);
    assert.equal(refused.refused, 'delete:todos not granted');
  });

  it('--per-tool: an anonymous client connects and calls `about`; a protected tool signs in first', async () => {
    const served = serveDemo(['--per-tool']);
    running.push(served);
    const help = await served.ready;
    const mcpUrl = field(help, /MCP server\s+(\S+)/);
    assert.match(help, /per-tool\s+`about`/);
    const session = await connectAnonymously({ mcpUrl, account: 'user' });
    sessions.push(session);
    assert.equal((await session.callTool('about')).value.signedInAs, null);
    const milk = await session.callTool('create-todo', { content: 'Buy milk' });
    assert.equal(milk.signedIn, true);
    assert.equal(milk.value.ownerId, 'user');
  });

  it("--dpop=required --tokens=opaque: DPoP-bound opaque tokens, introspected with the printed client's credentials", async () => {
    const served = serveDemo(['--dpop=required', '--tokens=opaque']);
    running.push(served);
    const help = await served.ready;
    const mcpUrl = field(help, /MCP server\s+(\S+)/);
    const endpoint = field(help, /^\s+introspection\s+(http\S+)/m);
    const clientId = field(help, /client: id (\S+),/);
    const clientSecret = field(help, /secret (\S+)/);
    assert.match(help, /opaque reference tokens, checked by the introspection endpoint/);
    assert.match(help, /DPoP\s+required/);

    const prm = await (await fetch(new URL('/.well-known/oauth-protected-resource', mcpUrl))).json();
    assert.equal(prm.dpop_bound_access_tokens_required, true);

    const user = await connectAs({ mcpUrl, account: 'user', dpop: true });
    sessions.push(user);
    assert.equal(user.tokenType, 'DPoP');
    assert.equal(user.accessToken.split('.').length, 1, 'an opaque token');
    const milk = await user.callTool('create-todo', { content: 'Buy milk' });
    assert.equal(milk.isError, false, milk.text);
    const refused = await user.callTool('delete-todo', { id: 'someone-elses-todo' });
    assert.equal(refused.refused, 'delete:todos not granted');

    // The printed credentials are the ones the authorization server takes.
    const introspected = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: user.accessToken }),
    });
    const answer = await introspected.json();
    assert.equal(answer.active, true);
    assert.equal(answer.cnf?.jkt, user.dpopSession.thumbprint);
  });

  it('options: flags win over the environment; bad values and combinations are refused with the usage', () => {
    assert.deepEqual(parseDemoOptions(['--serve'], {}), { serve: true, dpop: 'allowed', tokens: 'jwt', mode: 'jwt', perTool: false, port: 3001, asPort: 3002 });
    assert.equal(parseDemoOptions(['--serve', '--per-tool'], {}).perTool, true);
    assert.equal(parseDemoOptions(['--serve'], { PER_TOOL: '1' }).perTool, true);
    assert.throws(() => parseDemoOptions(['--per-tool'], {}), /add --serve/);
    assert.deepEqual(parseDemoOptions(['--serve', '--mode=auto'], { DPOP: 'required', TOKENS: 'opaque', MODE: 'introspection', PORT: '0' }), {
      serve: true,
      dpop: 'required',
      tokens: 'opaque',
      mode: 'auto',
      perTool: false,
      port: 0,
      asPort: 3002,
    });
    assert.throws(() => parseDemoOptions(['--serve', '--dpop=on'], {}), /--dpop must be one of allowed, required, off/);
    assert.throws(() => parseDemoOptions(['--serve', '--tokens=opaque', '--mode=jwt'], {}), /Opaque tokens cannot be checked locally/);
    assert.throws(() => parseDemoOptions(['--dpop=required'], {}), /add --serve/);
    assert.throws(() => parseDemoOptions(['--serv'], {}), /Unknown option/);
  });
});
