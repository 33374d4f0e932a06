// A fleet of two resource-server processes sharing their DPoP replay cache
// on a real redis-server (started here on 127.0.0.1): a proof accepted by
// one process is a replay at the other; Redis holds hashes only, for the
// proof's window; with Redis gone, 'required' fails closed (503) and
// 'allowed' carries on with each process's own cache, reporting the outage.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';

import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { dpopKey, proof } from './helpers/dpop.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { startRedis } from './helpers/redis.mjs';
import { startFleetProcess } from './helpers/fleet-process.mjs';

const ORIGIN = 'https://mcp.example.com';

async function startWorker(redisUrl, issuer) {
  const worker = await startFleetProcess('./dpop-worker.mjs', [redisUrl, issuer, ORIGIN]);
  return {
    ...worker,
    call: (path, accessToken, dpop) => fetch(`${worker.base}${path}`, { headers: { authorization: `DPoP ${accessToken}`, dpop } }),
  };
}

describe('DPoP replay cache shared by a fleet on Redis', () => {
  const asKey = generateKey('ES256', { kid: 'fleet-as' });
  const holder = dpopKey();
  let as;
  let redis;
  let a;
  let b;
  const tokenFor = (path) => signJwt(claims({ issuer: as.issuer, audience: `${ORIGIN}${path}`, scope: 'mcp', cnf: { jkt: holder.jkt } }), asKey);
  const proofFor = (path, accessToken) => proof(holder, { htu: `${ORIGIN}${path}`, token: accessToken });

  before(async () => {
    as = await startAuthServer({ keys: [asKey] });
    redis = await startRedis();
    [a, b] = await Promise.all([startWorker(redis.url, as.issuer), startWorker(redis.url, as.issuer)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await as?.close();
  });

  it('a proof used at one process is refused as a replay at the other', async () => {
    for (const path of ['/required', '/allowed']) {
      const accessToken = tokenFor(path);
      const once = proofFor(path, accessToken);
      assert.equal((await a.call(path, accessToken, once)).status, 200);
      const replay = await b.call(path, accessToken, once);
      assert.equal(replay.status, 401, path);
      assert.equal((await replay.json()).error, 'invalid_dpop_proof');
      assert.equal((await b.events()).filter((e) => e.type === 'rejected').at(-1).reason, 'dpop_replayed');
      // A fresh proof for the same token is fine at either process.
      assert.equal((await b.call(path, accessToken, proofFor(path, accessToken))).status, 200);
    }
  });

  it('Redis holds hashes, never a token or a proof, for the proof window', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const keys = await client.keys('fleet:dpop:*');
      assert.ok(keys.length >= 4, `keys: ${keys}`);
      for (const key of keys) {
        assert.match(key, /^fleet:dpop:[A-Za-z0-9_-]{43}$/);
        assert.equal(await client.get(key), '1');
        const ttl = await client.pTTL(key);
        // What is left of the 300 s window, plus 60 s of clock slack.
        assert.ok(ttl > 60_000 && ttl <= 361_000, `${key} TTL ${ttl}`);
      }
    } finally {
      await client.quit();
    }
  });

  it('Redis down: DPoP requests fail closed with 503 + Retry-After in both modes, Bearer ones carry on; the outage is reported once per resource', async () => {
    await redis.stop();
    const required = tokenFor('/required');
    for (let i = 0; i < 2; i++) {
      const res = await a.call('/required', required, proofFor('/required', required));
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
    const allowed = tokenFor('/allowed');
    const unchecked = await a.call('/allowed', allowed, proofFor('/allowed', allowed));
    assert.equal(unchecked.status, 503);
    assert.equal((await unchecked.json()).error_description, 'The DPoP replay check is temporarily unavailable. Retry later.');
    // A plain bearer token never needs the store.
    const plain = signJwt(claims({ issuer: as.issuer, audience: `${ORIGIN}/allowed`, scope: 'mcp' }), asKey);
    const bearer = await fetch(a.base + '/allowed', { headers: { authorization: `Bearer ${plain}` } });
    assert.equal(bearer.status, 200);
    const events = await a.events();
    // Once per outage for each resource's gate (two resources here), not once per request.
    assert.equal(events.filter((e) => e.type === 'store_unavailable').length, 2);
    assert.equal(events.filter((e) => e.type === 'rejected' && e.status === 503).at(-1).reason, 'dpop_replay_store_unavailable');
  });
});
