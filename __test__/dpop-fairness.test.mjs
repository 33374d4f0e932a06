// DPoP replay-cache fairness on the wire (issue 20, item 4): one key cannot
// fill the per-resource replay cache and lock every other DPoP client out,
// and a proof is used up only once the request is accepted (token, proof
// and scopes), so a 403 holds no slot, locally or in a fleet store.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import express from 'express';
import { MCPAuth } from 'mcp-auth-rs';
import { generateKey, signJwt, claims, nowSeconds } from './helpers/keys.mjs';
import { dpopKey, proof } from './helpers/dpop.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { serveApp, send, single } from './helpers/app.mjs';

const ORIGIN = 'https://mcp.example.com';
const FLOOD = `${ORIGIN}/flood`;
const SCOPED = `${ORIGIN}/scoped`;
const FLEET = `${ORIGIN}/fleet`;
const WINDOW = 60;
// Eight slots, three per key, one of those for proofs dated ahead.
const SMALL_CACHE = { iatWindow: WINDOW, replayCacheSize: 8, replayCachePerKey: 3 };

const asKey = generateKey('ES256', { kid: 'fair-as' });
let as;
let server;
const events = [];
// A fleet store in memory that counts what it is asked.
const claimed = new Map();
const store = {
  get: async () => null,
  set: async () => {},
  setIfAbsent: async (key) => {
    if (claimed.has(key)) return false;
    claimed.set(key, true);
    return true;
  },
  delete: async () => {},
};

const tokenFor = (holder, resource, scope = 'mcp:read') =>
  signJwt(claims({ issuer: as.issuer, audience: resource, scope, cnf: { jkt: holder.jkt } }), asKey);

function call(resource, accessToken, dpopProof) {
  return send(server, {
    path: new URL(resource).pathname,
    headers: [
      ['Authorization', `DPoP ${accessToken}`],
      ['DPoP', dpopProof],
    ],
  });
}

/** A fresh proof for `resource`, dated `ahead` seconds from now. */
const freshProof = (holder, resource, accessToken, ahead = 0) => proof(holder, { htu: resource, token: accessToken, iat: nowSeconds() + ahead });
const lastRejection = () => events.filter((e) => e.type === 'rejected').at(-1);

before(async () => {
  as = await startAuthServer({ keys: [asKey] });
  const authorizationServers = [{ issuer: as.issuer, type: 'oidc' }];
  const mcpAuth = new MCPAuth({
    protectedResources: [
      { metadata: { resource: FLOOD, authorizationServers }, dpop: SMALL_CACHE },
      { metadata: { resource: SCOPED, authorizationServers }, dpop: SMALL_CACHE },
      { metadata: { resource: FLEET, authorizationServers }, dpop: { ...SMALL_CACHE, store } },
    ],
    onAuthEvent: (event) => events.push(event),
  });
  server = await serveApp(express, (app) => {
    app.get('/flood', mcpAuth.bearerAuth('jwt', { resource: FLOOD }), (req, res) => res.json({ sub: req.auth.subject }));
    for (const [path, resource] of [['/scoped', SCOPED], ['/fleet', FLEET]]) {
      app.get(path, mcpAuth.bearerAuth('jwt', { resource, requiredScopes: ['mcp:write'] }), (req, res) => res.json({ sub: req.auth.subject }));
    }
  });
});
after(async () => {
  await server?.close();
  await as?.close();
});

describe('DPoP replay cache: one key cannot lock the others out', () => {
  it('a key flooding (proofs dated ahead, then dated now) gets 503 over its share; another key still gets 200', async () => {
    const flooder = dpopKey();
    const flooderToken = tokenFor(flooder, FLOOD);
    // Dated as far ahead as the window allows: each would be kept two windows.
    const ahead = [];
    for (let i = 0; i < 6; i++) ahead.push(await call(FLOOD, flooderToken, freshProof(flooder, FLOOD, flooderToken, WINDOW - 1)));
    assert.deepEqual(ahead.map((r) => r.status), [200, 503, 503, 503, 503, 503]);
    const refused = ahead[1];
    assert.equal(JSON.parse(refused.body).error, 'server_error');
    assert.equal(lastRejection().reason, 'dpop_replay_share_exceeded');
    // Honest: the one proof dated ahead frees its slot after about two windows.
    const retryAfter = Number(single(refused, 'retry-after'));
    assert.ok(retryAfter > WINDOW && retryAfter <= 2 * WINDOW + 1, `Retry-After ${retryAfter}`);

    const now = [];
    for (let i = 0; i < 6; i++) now.push(await call(FLOOD, flooderToken, freshProof(flooder, FLOOD, flooderToken)));
    assert.deepEqual(now.map((r) => r.status), [200, 200, 503, 503, 503, 503]);
    // The share's soonest slot frees when the first proof dated now expires, about one window on.
    const shareRetry = Number(single(now[2], 'retry-after'));
    assert.ok(shareRetry >= WINDOW - 2 && shareRetry <= WINDOW + 1, `Retry-After ${shareRetry}`);

    // Other keys are unaffected.
    for (const holder of [dpopKey(), dpopKey()]) {
      const accessToken = tokenFor(holder, FLOOD);
      const res = await call(FLOOD, accessToken, freshProof(holder, FLOOD, accessToken));
      assert.equal(res.status, 200, res.body);
    }
  });

  it('a replayed proof is still refused', async () => {
    const holder = dpopKey();
    const accessToken = tokenFor(holder, FLOOD);
    const once = freshProof(holder, FLOOD, accessToken);
    assert.equal((await call(FLOOD, accessToken, once)).status, 200);
    const replay = await call(FLOOD, accessToken, once);
    assert.equal(replay.status, 401);
    assert.equal(JSON.parse(replay.body).error, 'invalid_dpop_proof');
    assert.equal(lastRejection().reason, 'dpop_replayed');
  });
});

describe('DPoP: a proof is recorded only once scopes are accepted', () => {
  for (const [label, resource] of [['local cache', SCOPED], ['fleet store', FLEET]]) {
    it(`403 insufficient_scope holds no slot (${label}); the same proof replayed still grants nothing`, async () => {
      const holder = dpopKey();
      const unscoped = tokenFor(holder, resource, 'mcp:read');
      const storeKeys = claimed.size;
      const proofs = [];
      for (let i = 0; i < 10; i++) {
        const p = freshProof(holder, resource, unscoped);
        proofs.push(p);
        const res = await call(resource, unscoped, p);
        assert.equal(res.status, 403, res.body);
      }
      assert.equal(claimed.size, storeKeys, 'a refused request never reached the fleet store');
      // Its first use got 403, so it was never recorded: a replay is 403 again, never 200.
      const replayed = await call(resource, unscoped, proofs[0]);
      assert.equal(replayed.status, 403);
      assert.equal(JSON.parse(replayed.body).error, 'insufficient_scope');

      // The key's whole share is still free for requests that are accepted.
      const scoped = tokenFor(holder, resource, 'mcp:read mcp:write');
      const accepted = [];
      for (let i = 0; i < 3; i++) accepted.push((await call(resource, scoped, freshProof(holder, resource, scoped))).status);
      assert.deepEqual(accepted, [200, 200, 200]);
      if (resource === FLEET) assert.equal(claimed.size, storeKeys + 3);
      const once = freshProof(holder, resource, scoped);
      assert.equal((await call(resource, scoped, once)).status, 503);
      assert.equal(lastRejection().reason, 'dpop_replay_share_exceeded');
    });
  }
});
