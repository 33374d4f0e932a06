// Fleet parity (issue 22): one Node process and one Python process on one
// real redis-server, both on the core's own Redis client with the same
// options. A token introspected by one is served from the store by the
// other (one endpoint call in all); a token exchanged by one is reused by the
// other; a DPoP proof used at one is refused at the other; a record not
// signed with the fleet's secret is refused by both.
// The Python side runs with the venv `npm run build:python` makes.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { createClient } from 'redis';

import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';
import { signJwt, claims } from './helpers/keys.mjs';
import { dpopKey, proof } from './helpers/dpop.mjs';
import { PYTHON } from './helpers/adapters.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PYTHON_WORKER = path.join(ROOT, 'python/tests/fleet_worker.py');
const SECRET = 'mixed-fleet-secret-0123456789abcdef';
const DPOP_RESOURCE = 'https://mcp.example.com/dpop';
const tokenHash = (token) => createHash('sha256').update(token).digest('base64url');

async function startPython(args) {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`npm run build:python\` first`);
  const child = spawn(PYTHON, [PYTHON_WORKER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the Python worker exited (${code})`);
  });
  const [line] = await Promise.race([once(createInterface({ input: child.stdout }), 'line'), exited]);
  exited.catch(() => {}); // its later exit (stop) is expected
  const base = `http://127.0.0.1:${JSON.parse(line).port}`;
  return {
    base,
    events: async () => (await fetch(`${base}/events`)).json(),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

describe('a fleet of one Node and one Python process on one redis-server', () => {
  let as;
  let redis;
  let node;
  let python;
  const call = (worker, token) => fetch(`${worker.base}/mcp`, { headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    as = await startIntrospectionServer();
    as.state.answer = (token) =>
      token.startsWith('tok-') ? { body: as.active({ sub: `user-of-${token}` }), delay: 100 } : { body: { active: false } };
    redis = await startRedis();
    [node, python] = await Promise.all([
      startFleetProcess('./mixed-fleet-node.mjs', [redis.url, as.issuer, SECRET]),
      startPython([redis.url, as.issuer, SECRET]),
    ]);
  });
  after(async () => {
    await Promise.all([node?.stop(), python?.stop()]);
    await redis?.stop();
    await as?.close();
  });

  it('a token introspected by one process is served from the store by the other: one endpoint call', async () => {
    const before = as.state.calls;
    const first = await call(node, 'tok-1');
    assert.equal(first.status, 200);
    const second = await call(python, 'tok-1');
    assert.equal(second.status, 200);
    assert.deepEqual(await second.json(), { sub: 'user-of-tok-1', scopes: ['read', 'write'] });
    assert.equal(as.state.calls - before, 1, 'Python read the record Node wrote');

    assert.equal((await call(python, 'tok-2')).status, 200);
    assert.equal((await call(node, 'tok-2')).status, 200);
    assert.equal(as.state.calls - before, 2, 'and Node reads what Python wrote');

    const together = await Promise.all([call(node, 'tok-3'), call(python, 'tok-3'), call(python, 'tok-3'), call(node, 'tok-3')]);
    for (const answer of together) assert.equal(answer.status, 200);
    assert.equal(as.state.calls - before, 3, 'concurrent first requests at both: one call (the lock is shared)');
  });

  it('a token exchanged by one process is reused by the other (an OIDC-typed server): one token endpoint call', async () => {
    const exchange = async (worker, token) => {
      const answer = await fetch(`${worker.base}/exchange`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(answer.status, 200);
      return (await answer.json()).issued;
    };
    const before = as.state.tokenCalls;
    const issued = await exchange(node, 'tok-x1');
    assert.equal(await exchange(python, 'tok-x1'), issued, 'Python read the record Node wrote');
    assert.equal(as.state.tokenCalls - before, 1);
    const other = await exchange(python, 'tok-x2');
    assert.equal(await exchange(node, 'tok-x2'), other, 'and Node reads what Python wrote');
    assert.equal(as.state.tokenCalls - before, 2);
  });

  it('a DPoP proof used at one process is refused at the other, both ways', async () => {
    const holder = dpopKey();
    const token = signJwt(claims({ issuer: as.issuer, audience: DPOP_RESOURCE, scope: 'read', cnf: { jkt: holder.jkt } }), as.key);
    const dpopCall = (worker, once) => fetch(`${worker.base}/dpop`, { headers: { authorization: `DPoP ${token}`, dpop: once } });
    for (const [first, second] of [
      [node, python],
      [python, node],
    ]) {
      const once = proof(holder, { htu: DPOP_RESOURCE, token });
      assert.equal((await dpopCall(first, once)).status, 200);
      const replay = await dpopCall(second, once);
      assert.equal(replay.status, 401);
      assert.equal((await replay.json()).error, 'invalid_dpop_proof');
      assert.equal((await second.events()).filter((e) => e.type === 'rejected').at(-1).reason, 'dpop_replayed');
      assert.equal((await dpopCall(second, proof(holder, { htu: DPOP_RESOURCE, token }))).status, 200, 'a fresh proof is fine');
    }
  });

  it('a forged record (not signed with the fleet secret) is refused by both and reported', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const [known] = (await client.keys('fleet:introspection:*')).filter((key) => key.endsWith(tokenHash('tok-1')));
      assert.ok(known, 'the record of tok-1');
      const record = (await client.get(known)).slice(44);
      const forge = async (token) => {
        await client.set(known.slice(0, -tokenHash('tok-1').length) + tokenHash(token), `${'A'.repeat(43)}.${record}`, { PX: 60_000 });
      };
      await forge('forged-at-node');
      await forge('forged-at-python');
    } finally {
      await client.quit();
    }
    const before = as.state.calls;
    assert.equal((await call(node, 'forged-at-node')).status, 401);
    assert.equal((await call(python, 'forged-at-python')).status, 401);
    assert.equal(as.state.calls - before, 2, 'each forged record is a miss: the endpoint decides (inactive)');
    const rejectedBy = async (worker) => {
      for (let i = 0; i < 100; i += 1) {
        const found = (await worker.events()).filter((e) => e.type === 'store_record_rejected');
        if (found.length) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
      return [];
    };
    assert.deepEqual(await rejectedBy(node), [{ type: 'store_record_rejected', reason: 'bad_mac' }]);
    assert.deepEqual(await rejectedBy(python), [{ type: 'store_record_rejected', reason: 'bad_mac' }]);
  });
});
