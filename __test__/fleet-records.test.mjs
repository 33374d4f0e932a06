// Fleet store records are authenticated and scoped (issue 20, item 2), on a
// real redis-server with real resource-server processes: a record that this
// fleet did not write (unsigned, or signed for another key) is a miss that
// raises `store_record_rejected`; a record stored under one authorization
// server, resource or set of claim rules never serves another.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createClient } from 'redis';

import { startIntrospectionServer } from './helpers/introspection-server.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';
import { MCPAuth } from 'mcp-auth-rs';

const tokenHash = (token) => createHash('sha256').update(token).digest('base64url');

async function startWorker(redisUrl, issuer, config) {
  const worker = await startFleetProcess('./introspection-worker.mjs', [redisUrl, issuer, ...(config ? [JSON.stringify(config)] : [])]);
  return { ...worker, call: (token, path = '/mcp') => fetch(`${worker.base}${path}`, { headers: { authorization: `Bearer ${token}` } }) };
}

describe('fleet store records are authenticated and scoped', () => {
  let x;
  let y;
  let redis;
  let client;
  const workers = [];
  const start = async (...args) => {
    const worker = await startWorker(...args);
    workers.push(worker);
    return worker;
  };
  before(async () => {
    [x, y, redis] = await Promise.all([startIntrospectionServer(), startIntrospectionServer(), startRedis()]);
    client = createClient({ url: redis.url });
    await client.connect();
  });
  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await client?.quit().catch(() => {});
    await redis?.stop();
    await Promise.all([x?.close(), y?.close()]);
  });

  it('a record this fleet did not write is a miss: the endpoint is asked and store_record_rejected is emitted, without key or value', async () => {
    x.state.answer = (token) => ({ body: token === 'tok-seed' ? x.active({ sub: 'seed' }) : { active: false } });
    const [writer, reader] = await Promise.all([start(redis.url, x.issuer), start(redis.url, x.issuer)]);
    assert.equal((await writer.call('tok-seed')).status, 200);
    const [seedKey] = await client.keys(`fleet:introspection:*${tokenHash('tok-seed')}`);
    assert.ok(seedKey, 'the seed record is stored');
    const keyFor = (token) => seedKey.slice(0, -tokenHash('tok-seed').length) + tokenHash(token);
    const signed = await client.get(seedKey);
    const plain = JSON.stringify({ v: 1, until: Date.now() + 60_000, response: x.active({ sub: 'mallory' }) });
    // Hostile writes: an unsigned record, and the fleet's own signed record moved under another token's key.
    await client.set(keyFor('tok-unsigned'), plain, { PX: 60_000 });
    await client.set(keyFor('tok-moved'), signed, { PX: 60_000 });

    const before = x.state.calls;
    for (const token of ['tok-unsigned', 'tok-moved']) {
      const res = await reader.call(token);
      assert.equal(res.status, 401, `${token}: a forged record was accepted`);
    }
    assert.equal(x.state.calls - before, 2, 'each forged record is a miss: the endpoint is asked');
    const rejected = (await reader.events()).filter((event) => event.type === 'store_record_rejected');
    assert.deepEqual(
      rejected.map((event) => event.reason),
      ['unreadable', 'bad_mac'],
    );
    for (const event of rejected) assert.deepEqual(Object.keys(event).sort(), ['reason', 'type']);
  });

  it('a record stored by a resource trusting server X never serves a resource trusting server Y: Y is asked', async () => {
    // X answers without `iss`; Y does not know the token.
    x.state.answer = () => {
      const { iss: _iss, ...answer } = x.active({ sub: 'from-x' });
      return { body: answer };
    };
    y.state.answer = () => ({ body: { active: false } });
    const [onX, onY] = await Promise.all([start(redis.url, x.issuer), start(redis.url, y.issuer)]);
    assert.equal((await onX.call('tok-cross')).status, 200);
    const before = y.state.calls;
    const res = await onY.call('tok-cross');
    assert.equal(y.state.calls - before, 1, "Y's endpoint was not asked");
    assert.equal(res.status, 401);
  });

  it('two resources sharing one Redis keep their own records', async () => {
    const other = 'https://mcp.example.com/other';
    x.state.answer = () => ({ body: x.active({ aud: ['https://mcp.example.com/mcp', other] }) });
    const [one, two] = await Promise.all([
      start(redis.url, x.issuer),
      start(redis.url, x.issuer, { routes: [{ path: '/other', resource: other }] }),
    ]);
    assert.equal((await one.call('tok-two-resources')).status, 200);
    const before = x.state.calls;
    assert.equal((await two.call('tok-two-resources', '/other')).status, 200);
    assert.equal(x.state.calls - before, 1, 'the second resource read the first one\'s record');
  });

  it('a route with stricter claim rules gets its own record, so a valid token passes there', async () => {
    x.state.answer = () => ({ body: x.active({ token_use: 'access' }) });
    const [lax, strict] = await Promise.all([
      start(redis.url, x.issuer),
      start(redis.url, x.issuer, { routes: [{ path: '/strict', claims: { requiredClaimValues: { token_use: 'access' } } }] }),
    ]);
    assert.equal((await lax.call('tok-claims')).status, 200);
    const before = x.state.calls;
    const res = await strict.call('tok-claims', '/strict');
    assert.equal(res.status, 200, 'the lax route\'s record made a valid token fail');
    assert.equal(x.state.calls - before, 1);
  });
});

describe('introspection.storeSecret', () => {
  const resource = 'https://mcp.example.com/mcp';
  const issuer = 'https://as.example.com';
  const store = { get: async () => null, set: async () => {}, setIfAbsent: async () => true, delete: async () => {} };
  const setUp = (storeSecret) =>
    new MCPAuth({ protectedResources: { metadata: { resource, authorizationServers: [{ issuer, type: 'oauth' }] } } }).bearerAuth('introspection', {
      resource,
      introspection: { clientId: 'rs', clientSecret: 'client-secret', endpoint: `${issuer}/introspect`, store, ...(storeSecret === undefined ? {} : { storeSecret }) },
    });

  it('is required with a store: a string or byte array of at least 32 bytes, refused by name and range, never echoed', () => {
    const short = 'short-secret-value-31-bytes-xxx';
    for (const secret of [undefined, short, Buffer.from(short), 12345678901234567890123456789012, { toString: () => 'x'.repeat(40) }, ['x'.repeat(40)]]) {
      assert.throws(
        () => setUp(secret),
        (error) => {
          const text = `${error.message} ${JSON.stringify(error.cause)}`;
          assert.equal(error.code, 'invalid_server_config');
          assert.match(text, /`introspection\.storeSecret`.*at least 32 bytes/);
          assert.ok(!text.includes('short-secret-value') && !text.includes('1234567890') && !text.includes('xxxxxxxx'), 'the value is echoed');
          return true;
        },
      );
    }
    assert.equal(typeof setUp('s'.repeat(32)), 'function');
    assert.equal(typeof setUp(new Uint8Array(32)), 'function');
  });
});
