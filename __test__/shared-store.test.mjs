// The fleet-shared store (the introspection cache's and the DPoP replay
// cache's backend) against a real redis-server on 127.0.0.1: the Redis
// adapter's commands, deadlines and outage reporting when Redis stops, and
// one computation per key for a fleet of two processes.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';

import { fleetSingleFlight, guardStore } from '../dist/shared-store.js';
import { redisStore } from '../dist/redis-store.js';
import { startRedis } from './helpers/redis.mjs';
import { startHttp } from './helpers/http.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('redisStore on a real redis-server', () => {
  let redis;
  let client;
  let store;
  before(async () => {
    redis = await startRedis();
    client = createClient({ url: redis.url });
    await client.connect();
    store = redisStore(client, { prefix: 'unit:' });
  });
  after(async () => {
    await client?.quit().catch(() => {});
    await redis?.stop();
  });

  it('get/set with a TTL in milliseconds, delete, and the prefix on every key', async () => {
    assert.equal(await store.get('a'), undefined);
    await store.set('a', '{"x":1}', 60_000);
    assert.equal(await store.get('a'), '{"x":1}');
    assert.equal(await client.get('unit:a'), '{"x":1}');
    const pttl = await client.pTTL('unit:a');
    assert.ok(pttl > 59_000 && pttl <= 60_000, `PTTL ${pttl}`);
    await store.delete('a');
    assert.equal(await store.get('a'), undefined);

    await store.set('short', 'v', 50);
    await sleep(150);
    assert.equal(await store.get('short'), undefined);
  });

  it('setIfAbsent is atomic: exactly one of many concurrent callers wins', async () => {
    const other = redisStore(client, { prefix: 'unit:' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).setIfAbsent('once', String(i), 60_000)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await store.setIfAbsent('once', 'again', 60_000), false);
  });
});

describe('guardStore: Redis down is a miss, reported once, never a hang', () => {
  it('answers within the deadline while Redis is stopped, reports the outage once and the recovery', async () => {
    const redis = await startRedis();
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {}); // node-redis reports reconnect failures here
    await client.connect();
    const events = [];
    const store = guardStore(redisStore(client), { timeoutMs: 200, onEvent: (event) => events.push(event) });
    try {
      assert.deepEqual(await store.set('k', 'v', 60_000), { ok: true, value: undefined });
      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        assert.deepEqual(await store.get('k'), { ok: false });
        assert.ok(Date.now() - started < 1000, 'a store operation outlived its deadline');
      }
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'store_unavailable');
      assert.equal(events[0].operation, 'get');

      const again = await startRedis({ port: redis.port });
      try {
        let answered;
        for (let i = 0; i < 50 && !answered?.ok; i++) {
          answered = await store.get('k');
          if (!answered.ok) await sleep(50);
        }
        assert.deepEqual(answered, { ok: true, value: undefined }); // a new, empty Redis
        assert.deepEqual(events.map((event) => event.type), ['store_unavailable', 'store_recovered']);
      } finally {
        await again.stop();
      }
    } finally {
      await client.disconnect().catch(() => {});
    }
  });

  it('refuses a store without the four methods, and a deadline out of range', () => {
    const configError = (pattern) => (error) => error.code === 'invalid_server_config' && pattern.test(error.cause.cause);
    assert.throws(() => guardStore({ get() {} }), configError(/get, set, setIfAbsent and delete/));
    const store = { get: async () => null, set: async () => {}, setIfAbsent: async () => true, delete: async () => {} };
    for (const timeoutMs of [0, -1, 1.5, 60_001, Number.NaN]) {
      assert.throws(() => guardStore(store, { timeoutMs }), configError(/`storeTimeout` must be an integer number of milliseconds from 1 to 60000/));
    }
  });
});

describe('fleetSingleFlight: one computation per key for the fleet', () => {
  let redis;
  let counter;
  let calls = 0;
  before(async () => {
    redis = await startRedis();
    counter = await startHttp((req, res) => {
      calls++;
      setTimeout(() => res.end(`result-${calls}`), 300);
    });
  });
  after(async () => {
    await counter?.close();
    await redis?.stop();
  });

  it('two processes asking at once: one computes, the other waits for its result', async () => {
    const worker = fileURLToPath(new URL('./helpers/fleet-worker.mjs', import.meta.url));
    const run = () => promisify(execFile)(process.execPath, [worker, redis.url, 'token-hash-1', counter.url]).then(({ stdout }) => JSON.parse(stdout));
    const outcomes = await Promise.all([run(), run()]);
    assert.equal(calls, 1);
    assert.deepEqual(outcomes.map((o) => o.value), ['result-1', 'result-1']);
    assert.deepEqual(outcomes.map((o) => o.computed).sort(), [false, true]);
    // Later processes find it stored.
    assert.deepEqual(await run(), { value: 'result-1', computed: false });
    assert.equal(calls, 1);
  });

  it('without a store that answers, each process computes for itself', async () => {
    const unavailable = guardStore(
      { get: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')), setIfAbsent: () => Promise.reject(new Error('down')), delete: () => Promise.reject(new Error('down')) },
      { timeoutMs: 100 },
    );
    let computed = 0;
    const result = await fleetSingleFlight(unavailable, 'k', async () => ({ value: `v${++computed}`, ttlMs: 1000 }), { lockTtlMs: 1000, pollMs: 10 });
    assert.deepEqual(result, { value: 'v1', computed: true });
  });
});
