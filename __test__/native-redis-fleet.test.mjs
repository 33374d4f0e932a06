// The addon's own Redis client (`redisStore(url)`, the core's
// fleet/redis_store.rs) in a real fleet: processes on it and processes on
// node-redis share one keyspace and one set of signed records, so a fleet
// can mix clients (and, later, languages). With Redis hung, a process on the
// native client keeps answering from the endpoint and reports the outage once.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createClient } from 'redis';

import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';

const tokenHash = (token) => createHash('sha256').update(token).digest('base64url');

async function startWorker(redisUrl, issuer, client) {
  const worker = await startFleetProcess('./introspection-worker.mjs', [redisUrl, issuer, JSON.stringify({ client })]);
  return { ...worker, call: (token) => fetch(`${worker.base}/mcp`, { headers: { authorization: `Bearer ${token}` } }) };
}

describe('a fleet mixing the native Redis client and node-redis', () => {
  let as;
  let redis;
  let viaNative;
  let viaNodeRedis;
  before(async () => {
    as = await startIntrospectionServer();
    as.state.answer = (token) => ({ body: as.active({ sub: `user-of-${token}` }), delay: 150 });
    redis = await startRedis();
    [viaNative, viaNodeRedis] = await Promise.all([
      startWorker(redis.url, as.issuer, 'native'),
      startWorker(redis.url, as.issuer, 'node-redis'),
    ]);
  });
  after(async () => {
    await Promise.all([viaNative?.stop(), viaNodeRedis?.stop()]);
    await redis?.stop();
    await as?.close();
  });

  it('one endpoint call per token across both clients, in either order and at once', async () => {
    const before = as.state.calls;
    assert.equal((await viaNative.call('tok-n1')).status, 200);
    assert.equal((await viaNodeRedis.call('tok-n1')).status, 200);
    assert.equal((await viaNodeRedis.call('tok-n2')).status, 200);
    const res = await viaNative.call('tok-n2');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sub: 'user-of-tok-n2', scopes: ['read', 'write'] });
    assert.equal(as.state.calls - before, 2, 'a record written through one client is read through the other');

    const together = await Promise.all([viaNative.call('tok-n3'), viaNodeRedis.call('tok-n3'), viaNative.call('tok-n3')]);
    for (const answer of together) assert.equal(answer.status, 200);
    assert.equal(as.state.calls - before, 3, 'concurrent first requests at both processes: one call (the lock is shared)');
  });

  it('the native client writes the same keys and signed records, with a TTL, and no token', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      assert.equal((await viaNative.call('tok-n4')).status, 200);
      const [key] = await client.keys(`fleet:introspection:*${tokenHash('tok-n4')}`);
      assert.ok(key, 'the record is under the prefix and the scheme node-redis processes use');
      const value = await client.get(key);
      assert.match(value, /^[A-Za-z0-9_-]{43}\./, 'a signed record');
      // The subject is `user-of-tok-n4`; the token itself would appear as a whole JSON string.
      assert.ok(!value.includes('"tok-n4"'), 'the record holds no token');
      const ttl = await client.pTTL(key);
      assert.ok(ttl > 0, `the record expires (PTTL ${ttl})`);
    } finally {
      await client.quit();
    }
  });

  it('with Redis hung, the native-client process answers from the endpoint and reports the outage once', async () => {
    redis.pause();
    try {
      const before = as.state.calls;
      for (const token of ['tok-h1', 'tok-h2', 'tok-h3']) {
        const res = await viaNative.call(token);
        assert.equal(res.status, 200, `${token} during the outage`);
      }
      assert.equal(as.state.calls - before, 3, 'each token asked at the endpoint');
    } finally {
      redis.resume();
    }
    const outages = (await viaNative.events()).filter((event) => event.type === 'store_unavailable');
    assert.equal(outages.length, 1, `one outage event: ${JSON.stringify(outages)}`);
    assert.ok(!JSON.stringify(outages).includes('tok-h'), 'no token in the event');
  });
});
