// Store load for one new token (issue 20, item 6): concurrent requests in one
// process share one store lookup and one lock-and-poll loop, as they share
// one endpoint call. Commands are counted on the real redis-server
// (INFO commandstats), for two processes of 200 concurrent requests each.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';

import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';

const perProcess = 200;

// Calls of the store's commands so far (INFO itself and the test's own client excluded).
async function storeCommands(client) {
  const info = await client.info('commandstats');
  let total = 0;
  for (const [, name, calls] of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    if (['get', 'set', 'del'].includes(name)) total += Number(calls);
  }
  return total;
}

describe('one store lookup per token and process', () => {
  let as;
  let redis;
  let client;
  let workers = [];
  before(async () => {
    as = await startIntrospectionServer();
    as.state.answer = (token) => ({ body: as.active({ sub: `user-of-${token}` }), delay: 150 });
    redis = await startRedis();
    client = createClient({ url: redis.url });
    await client.connect();
    workers = await Promise.all([0, 1].map(() => startFleetProcess('./introspection-worker.mjs', [redis.url, as.issuer])));
  });
  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await client?.quit().catch(() => {});
    await redis?.stop();
    await as?.close();
  });

  it('200 concurrent requests with one new token at each of two processes: a handful of Redis commands, one endpoint call, all accepted', async () => {
    const before = await storeCommands(client);
    const calls = as.state.calls;
    const responses = await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: perProcess }, () => fetch(`${worker.base}/mcp`, { headers: { authorization: 'Bearer tok-crowd' } })),
      ),
    );
    const statuses = await Promise.all(responses.map(async (res) => (await res.arrayBuffer(), res.status)));
    assert.deepEqual([...new Set(statuses)], [200]);
    const sent = (await storeCommands(client)) - before;
    assert.ok(sent <= 20, `${sent} store commands for ${2 * perProcess} requests`);
    assert.equal(as.state.calls - calls, 1);
  });
});
