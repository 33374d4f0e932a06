// Token exchange shared by a fleet (issue 23, item 3): two processes with
// `tokenExchange.store` on a real redis-server (127.0.0.1) and one local
// token endpoint. One endpoint call per exchange for the fleet; Redis holds
// the issued token encrypted (its bytes never appear), under keys that name
// no subject token; with Redis down each process carries on by itself.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createClient } from 'redis';

import { MCPAuth } from 'mcp-auth-rs';
import { listenFresh } from './helpers/ports.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';

const ISSUED_PREFIX = 'upstream-issued-';

// A token endpoint that answers slowly (so concurrent first exchanges
// overlap) with a token named after the subject token's call count.
async function startTokenEndpoint() {
  const state = { hits: 0 };
  const server = http.createServer(async (req, res) => {
    for await (const _ of req);
    if (new URL(req.url, 'http://x').pathname !== '/token') return res.writeHead(404).end();
    state.hits += 1;
    await new Promise((r) => setTimeout(r, 200));
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        access_token: `${ISSUED_PREFIX}${state.hits}-0123456789abcdef`,
        token_type: 'Bearer',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        expires_in: 600,
      }),
    );
  });
  const port = await listenFresh(server);
  state.issuer = `http://127.0.0.1:${port}`;
  state.close = () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));
  return state;
}

async function startWorker(redisUrl, issuer) {
  const worker = await startFleetProcess('./exchange-worker.mjs', [redisUrl, issuer]);
  return {
    ...worker,
    exchange: async (subject) => {
      const res = await fetch(`${worker.base}/exchange?subject=${encodeURIComponent(subject)}`);
      assert.equal(res.status, 200);
      return res.json();
    },
  };
}

describe('token exchange shared by a fleet on Redis', () => {
  let as;
  let redis;
  let a;
  let b;
  before(async () => {
    as = await startTokenEndpoint();
    redis = await startRedis();
    [a, b] = await Promise.all([startWorker(redis.url, as.issuer), startWorker(redis.url, as.issuer)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await as?.close();
  });

  it('concurrent exchanges for one caller at two processes: one token-endpoint call', async () => {
    const together = await Promise.all([a.exchange('caller-1'), b.exchange('caller-1'), a.exchange('caller-1'), b.exchange('caller-1')]);
    assert.equal(as.hits, 1, 'four concurrent exchanges at two processes: one call');
    for (const token of together) assert.equal(token.accessToken, together[0].accessToken);
    assert.ok(together[0].accessToken.startsWith(ISSUED_PREFIX));
    // Learnt by one process, read (and decrypted) by the other.
    const first = await a.exchange('caller-2');
    assert.deepEqual((await b.exchange('caller-2')).accessToken, first.accessToken);
    assert.equal(as.hits, 2);
  });

  it('Redis never holds an issued token or a subject token, and records expire before the token', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const keys = await client.keys('fleet:*');
      const records = keys.filter((key) => !key.endsWith(':lock'));
      assert.equal(records.length, 2, `keys: ${keys}`);
      for (const key of keys) {
        assert.ok(key.startsWith('fleet:exchange:') && !key.includes('caller'), key);
        const value = await client.get(key);
        if (value === null) continue;
        assert.ok(!value.includes(ISSUED_PREFIX) && !value.includes('0123456789abcdef'), 'a value holds the issued token');
        assert.ok(!Buffer.from(value).toString('latin1').includes('Bearer'), 'a value is plain text');
        const ttl = await client.pTTL(key);
        // 600 s less the default 30 s margin.
        assert.ok(ttl > 0 && ttl <= 570_000, `${key} TTL ${ttl}`);
      }
    } finally {
      await client.quit();
    }
  });

  it('with Redis down the exchanges still work, each process on its own', async () => {
    await redis.stop();
    const before = as.hits;
    assert.ok((await a.exchange('caller-1')).accessToken.startsWith(ISSUED_PREFIX), 'a local hit needs no store');
    assert.equal(as.hits, before);
    const [x, y] = [await a.exchange('caller-3'), await b.exchange('caller-3')];
    assert.ok(x.accessToken.startsWith(ISSUED_PREFIX) && y.accessToken.startsWith(ISSUED_PREFIX));
    assert.equal(as.hits - before, 2, 'without the store each process asks the endpoint itself');
    const outages = (await a.events()).filter((e) => e.type === 'store_unavailable');
    assert.equal(outages.length, 1, JSON.stringify(outages));
  });
});

describe('tokenExchange store options', () => {
  it('refuses a store without a long enough storeSecret, and a storeTimeout out of range, by name', async () => {
    const base = {
      protectedResources: { metadata: { resource: 'https://mcp.example.com/mcp', authorizationServers: [{ issuer: 'https://as.example.com', type: 'oauth' }] } },
    };
    const store = { get: async () => null, set: async () => {}, setIfAbsent: async () => true, delete: async () => {} };
    const tokenExchange = { clientId: 'rs', clientSecret: 's', tokenEndpoint: 'https://as.example.com/token', store };
    for (const [extra, pattern] of [
      [{}, /`tokenExchange.storeSecret` is required with a fleet store/],
      [{ storeSecret: 'too-short' }, /`tokenExchange.storeSecret` is required/],
      [{ storeSecret: 'x'.repeat(32), storeTimeout: 0 }, /`tokenExchange\.storeTimeout` must be an integer number of milliseconds from 1 to 60000/],
    ]) {
      assert.throws(
        () => new MCPAuth({ ...base, tokenExchange: { ...tokenExchange, ...extra } }),
        (error) => error.code === 'invalid_server_config' && pattern.test(error.cause?.reason ?? error.message) && !/too-short/.test(JSON.stringify(error)),
      );
    }
    // Without a store, storeTimeout is not checked (as introspection's).
    new MCPAuth({ ...base, tokenExchange: { clientId: 'rs', clientSecret: 's', tokenEndpoint: 'https://as.example.com/token', storeTimeout: 0 } });
  });
});
