// The fleet-shared store (the introspection cache's and the DPoP replay
// cache's backend) against a real redis-server on 127.0.0.1: the Redis
// adapter's commands, and through the public API the deadlines and outage
// reporting when Redis stops. The guard, the circuit and lock-and-poll are
// the core's; their unit tests are in crates/mcp-auth-core/src/fleet/.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';

import { MCPAuth } from 'mcp-auth-rs';
import { redisStore } from '../dist/redis-store.js';
import { startRedis } from './helpers/redis.mjs';
import { startIntrospectionServer, RESOURCE } from './helpers/introspection-server.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const SECRET = 'fleet-secret-for-tests-0123456789abcdef';

/** A framework-neutral authenticator in 'introspection' mode whose fleet store is `store`. */
function introspecting(issuer, store, introspection = {}, onAuthEvent = undefined) {
  const auth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer, type: 'oauth' }] } }, onAuthEvent });
  const decide = auth.authenticator('introspection', {
    resource: RESOURCE,
    introspection: { clientId: 'rs', clientSecret: 's3cret', endpoint: `${issuer}/introspect`, store, storeSecret: SECRET, ...introspection },
  });
  return async (token) => decide({ method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` } });
}

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

describe('a fleet store that goes down is a miss, reported once, never a hang', () => {
  it('answers within the deadline while Redis is stopped, reports the outage once and the recovery', async () => {
    const as = await startIntrospectionServer();
    as.state.answer = () => ({ body: as.active() });
    const redis = await startRedis();
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {}); // node-redis reports reconnect failures here
    await client.connect();
    const events = [];
    const decide = introspecting(as.issuer, redisStore(client), { storeTimeout: 200 }, (event) => {
      if (event.type.startsWith('store_')) events.push(event);
    });
    try {
      assert.equal((await decide('tok-0')).ok, true);
      await redis.stop();
      for (let i = 1; i <= 3; i++) {
        const started = Date.now();
        assert.equal((await decide(`tok-${i}`)).ok, true, 'the endpoint answers without the store');
        assert.ok(Date.now() - started < 1000, 'a store operation outlived its deadline');
      }
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'store_unavailable');
      assert.equal(events[0].operation, 'get');
      assert.equal(typeof events[0].reason, 'string');

      const again = await startRedis({ port: redis.port });
      try {
        let keys = [];
        for (let i = 0; i < 50 && keys.length === 0; i++) {
          await decide(`tok-back-${i}`);
          keys = await client.keys('mcp-auth-rs:introspection:*').catch(() => []);
          if (keys.length === 0) await sleep(50);
        }
        assert.ok(keys.length > 0, 'the store was used again');
        assert.deepEqual(events.map((event) => event.type), ['store_unavailable', 'store_recovered']);
      } finally {
        await again.stop();
      }
    } finally {
      await client.disconnect().catch(() => {});
      await as.close();
    }
  });

  it('refuses a store without the four methods, and a deadline out of range', () => {
    const configError = (pattern) => (error) => error.code === 'invalid_server_config' && pattern.test(error.cause.cause);
    const issuer = 'https://as.example.com';
    assert.throws(() => introspecting(issuer, { get() {} }), configError(/get, set, setIfAbsent and delete/));
    const store = { get: async () => null, set: async () => {}, setIfAbsent: async () => true, delete: async () => {} };
    for (const storeTimeout of [0, -1, 1.5, 60_001, Number.NaN]) {
      assert.throws(() => introspecting(issuer, store, { storeTimeout }), configError(/`introspection\.storeTimeout` must be an integer number of milliseconds from 1 to 60000/));
    }
  });
});
