// A fleet of two resource-server processes in 'introspection' mode sharing
// their cache on a real redis-server (started here on 127.0.0.1): one
// introspection call per token for the whole fleet, the store holds token
// hashes and the validated answer only, and with Redis gone both processes
// keep answering from the endpoint and report the outage once.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';

import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';

async function startWorker(redisUrl, issuer) {
  const worker = await startFleetProcess('./introspection-worker.mjs', [redisUrl, issuer]);
  return { ...worker, call: (token) => fetch(`${worker.base}/mcp`, { headers: { authorization: `Bearer ${token}` } }) };
}

describe('introspection cache shared by a fleet on Redis', () => {
  let as;
  let redis;
  let a;
  let b;
  before(async () => {
    as = await startIntrospectionServer();
    // The endpoint answers slowly, so concurrent first requests overlap.
    as.state.answer = (token) => ({ body: as.active({ sub: `user-of-${token}` }), delay: 150 });
    redis = await startRedis();
    [a, b] = await Promise.all([startWorker(redis.url, as.issuer), startWorker(redis.url, as.issuer)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await as?.close();
  });

  it('one endpoint call per token for the fleet: concurrent, then each process in turn', async () => {
    const before = as.state.calls;
    const together = await Promise.all([a.call('tok-1'), b.call('tok-1'), a.call('tok-1'), b.call('tok-1')]);
    for (const res of together) assert.equal(res.status, 200);
    assert.deepEqual(await together[1].json(), { sub: 'user-of-tok-1', scopes: ['read', 'write'] });
    assert.equal(as.state.calls - before, 1, 'four concurrent requests at two processes: one call');

    assert.equal((await a.call('tok-2')).status, 200);
    assert.equal((await b.call('tok-2')).status, 200);
    assert.equal((await b.call('tok-3')).status, 200);
    assert.equal((await a.call('tok-3')).status, 200);
    assert.equal(as.state.calls - before, 3, 'a token learnt by one process is read from Redis by the other');
  });

  it('Redis holds hashes of tokens and the validated answer, never a token, with a TTL', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const keys = await client.keys('fleet:*');
      assert.ok(keys.length >= 3, `keys: ${keys}`);
      for (const key of keys) {
        assert.ok(!/tok-\d/.test(key), `a key names a token: ${key}`);
        const value = await client.get(key);
        if (value !== null) assert.ok(!/"tok-\d"/.test(value), 'a value holds a token');
        const ttl = await client.pTTL(key);
        assert.ok(ttl > 0 && ttl <= 60_000, `${key} TTL ${ttl}`);
      }
    } finally {
      await client.quit();
    }
  });

  it('with Redis down both processes still answer (local cache, then the endpoint) and report the outage once', async () => {
    await redis.stop();
    const before = as.state.calls;
    assert.equal((await a.call('tok-1')).status, 200, 'a local hit needs no store');
    assert.equal(as.state.calls, before);
    assert.equal((await a.call('tok-4')).status, 200);
    assert.equal((await a.call('tok-5')).status, 200);
    assert.equal((await b.call('tok-4')).status, 200);
    assert.equal(as.state.calls - before, 3, 'without the store each process asks the endpoint itself');
    const outages = (await a.events()).filter((e) => e.type === 'store_unavailable');
    assert.equal(outages.length, 1, JSON.stringify(outages));
    assert.equal(typeof outages[0].reason, 'string');
  });
});
