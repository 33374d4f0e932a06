// Memory through a long store outage under load (issue 20, item 5): a real
// resource server in 'introspection' mode, in a child process run with
// --expose-gc, its fleet store on a real redis-server that first hangs
// (SIGSTOP: the connection stays open, nothing answers) and then is killed.
// Without a circuit every request leaves its abandoned store commands queued
// in the node-redis client (about 2.6 KiB each); with one, the heap after a
// full gc stays flat from one point of the outage to a later one.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';

const requests = 4000;
// Far below the ~2600 bytes per request seen without a circuit; heap noise over 4000 requests stays well under this.
const maxBytesPerRequest = 300;

describe('a store outage does not grow memory per request', () => {
  let as;
  let redis;
  let worker;
  let serial = 0;
  // New tokens each time, so every request needs the store (a local cache hit would not).
  const load = async (count) => {
    const lanes = 20;
    const statuses = new Map();
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let i = 0; i < count / lanes; i++) {
          const res = await fetch(`${worker.base}/mcp`, { headers: { authorization: `Bearer tok-${++serial}` } });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    assert.deepEqual([...statuses.keys()], [200], 'the endpoint answers every request while the store is out');
  };
  const heap = async () => (await (await fetch(`${worker.base}/heap`)).json()).heapUsed;
  const growthPerRequest = async () => {
    // The outage is noticed; caches, pools and compiled code (the gc route's too) reach their size.
    await load(1000);
    await heap();
    await load(3000);
    const start = await heap();
    await load(requests);
    return ((await heap()) - start) / requests;
  };

  before(async () => {
    as = await startIntrospectionServer();
    as.state.answer = () => ({ body: as.active() });
    redis = await startRedis();
    worker = await startFleetProcess('./introspection-worker.mjs', [redis.url, as.issuer, JSON.stringify({ storeTimeout: 20, cacheSize: 64, storeEventsOnly: true })], {
      nodeArgs: ['--expose-gc'],
    });
    await load(200);
  });
  after(async () => {
    await worker?.stop();
    await redis?.stop();
    await as?.close();
  });

  let seen;
  it('while Redis hangs', async () => {
    // A busy machine may have timed out an operation already (storeTimeout is 20 ms here).
    seen = (await worker.events()).length;
    redis.pause();
    const growth = await growthPerRequest();
    console.log(`# heap growth while Redis hangs: ${growth.toFixed(0)} bytes per request`);
    assert.ok(growth < maxBytesPerRequest, `heap grew ${growth.toFixed(0)} bytes per request while Redis hung`);
    assert.deepEqual((await worker.events()).slice(seen).map((event) => event.type), ['store_unavailable'], 'reported once');
  });

  it('while Redis is down', async () => {
    await redis.stop();
    const growth = await growthPerRequest();
    console.log(`# heap growth while Redis is down: ${growth.toFixed(0)} bytes per request`);
    assert.ok(growth < maxBytesPerRequest, `heap grew ${growth.toFixed(0)} bytes per request while Redis was down`);
    assert.deepEqual((await worker.events()).slice(seen).map((event) => event.type), ['store_unavailable'], 'one outage: the hang went straight into the kill');
  });
});
