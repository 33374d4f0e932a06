// docs/fleet.md's program (examples/fleet/server.mts, which the page
// includes) run as written, twice, as a fleet: two processes on one real
// redis-server (started here on 127.0.0.1) in front of a local introspection
// endpoint. Node 20 does not run TypeScript, so the file is transpiled as it is
// (types removed, nothing else) into target/; `npm run test:includes`
// type-checks it.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

import { includes } from '../scripts/include-examples.mjs';
import { freePort } from './helpers/examples.mjs';
import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import { startRedis } from './helpers/redis.mjs';

const EXAMPLE = 'examples/fleet/server.mts';

// Under the repository, so that `mcp-auth-rs` resolves by its package name as in examples/.
function transpiled() {
  const source = readFileSync(new URL(`../${EXAMPLE}`, import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const dir = fileURLToPath(new URL('../target/fleet-docs/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}server-${process.pid}.mjs`;
  writeFileSync(file, outputText);
  return file;
}

// One process of the fleet, on `port`; resolves once it serves its metadata.
async function startProcess(file, env) {
  const port = await freePort();
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${EXAMPLE} exited with ${child.exitCode}`);
    const up = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`).then((res) => res.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`${EXAMPLE} did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    call: (token) => fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' }),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

describe("docs/fleet.md's program (examples/fleet/server.mts), two processes on one Redis", () => {
  let as;
  let redis;
  let fleet = [];
  before(async () => {
    as = await startIntrospectionServer();
    // Slow answers, so that the first requests at both processes overlap.
    as.state.answer = (token) => ({ body: as.active({ sub: `user-of-${token}` }), delay: 150 });
    redis = await startRedis();
    const file = transpiled();
    const env = {
      REDIS_URL: redis.url,
      ISSUER: as.issuer,
      INTROSPECTION_SECRET: 'introspection-client-secret',
      MCP_AUTH_STORE_SECRET: 'store-secret-for-the-fleet-docs-test-0123456789',
      MCP_AUTH_NONCE_SECRET: 'nonce-secret-for-the-fleet-docs-test-0123456789',
    };
    fleet = await Promise.all([startProcess(file, env), startProcess(file, env)]);
  });
  after(async () => {
    await Promise.all(fleet.map((process) => process.stop()));
    await redis?.stop();
    await as?.close();
  });

  it('the page includes the file as it is', () => {
    const shown = includes().filter((entry) => entry.doc === 'docs/fleet.md');
    assert.deepEqual(shown.map((entry) => [entry.file, entry.matches]), [[EXAMPLE, true]]);
  });

  it('answers with the subject; one introspection call per token for the fleet; the client authenticated', async () => {
    const [a, b] = fleet;
    const together = await Promise.all([a.call('tok-1'), b.call('tok-1'), a.call('tok-1'), b.call('tok-1')]);
    for (const res of together) assert.equal(res.status, 200);
    assert.deepEqual(await together[1].json(), { subject: 'user-of-tok-1' });
    assert.equal(as.state.calls, 1, 'four concurrent requests at two processes: one endpoint call');
    const basic = Buffer.from('todo-resource-server:introspection-client-secret').toString('base64');
    assert.equal(as.state.last.authorization, `Basic ${basic}`);

    assert.equal((await a.call('tok-2')).status, 200);
    assert.equal((await b.call('tok-2')).status, 200);
    assert.equal(as.state.calls, 2, 'a token learnt by one process is read from Redis by the other');
  });

  it('an inactive token: 401 naming the metadata', async () => {
    as.state.answer = () => ({ body: { active: false } });
    const refused = await fleet[0].call('not-active');
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/);
  });
});
