// A fleet store the application writes itself (a JavaScript object with
// get, set, setIfAbsent, delete and an optional isReady), called by the
// addon: a method that throws, rejects, never settles or answers with a
// wrong type is a store failure (introspection carries on from the
// endpoint, DPoP fails closed), reported once, never a crash; a store that
// says it is not ready is not called. And the DPoP fleet claim's refusal
// gives the proof's local replay slot back (RFC 9449 §11.1: the proof was
// not used), so a client retrying the same request after a 503 is served.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth } from 'mcp-auth-rs';
import { startIntrospectionServer, RESOURCE } from './helpers/introspection-server.mjs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { dpopKey, proof } from './helpers/dpop.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';

const SECRET = 'fleet-secret-for-tests-0123456789abcdef';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store in memory; `behaviour(op)` may replace an operation's answer. */
function memoryStore(behaviour = () => undefined) {
  const entries = new Map();
  const state = { calls: 0 };
  const answer = (op, compute) => {
    state.calls++;
    const replaced = behaviour(op);
    return replaced === undefined ? Promise.resolve(compute()) : replaced();
  };
  const store = {
    get: (key) => answer('get', () => entries.get(key) ?? null),
    set: (key, value) => answer('set', () => void entries.set(key, value)),
    setIfAbsent: (key, value) => answer('setIfAbsent', () => (entries.has(key) ? false : (entries.set(key, value), true))),
    delete: (key) => answer('delete', () => void entries.delete(key)),
  };
  return { store, state, entries };
}

describe('a JavaScript store that misbehaves is a store failure, never a crash', () => {
  let as;
  before(async () => {
    as = await startIntrospectionServer();
    as.state.answer = () => ({ body: as.active() });
  });
  after(() => as?.close());

  const introspecting = (store) => {
    const events = [];
    const auth = new MCPAuth({
      protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oauth' }] } },
      onAuthEvent: (event) => event.type.startsWith('store_') && events.push(event),
    });
    const decide = auth.authenticator('introspection', {
      resource: RESOURCE,
      introspection: { clientId: 'rs', clientSecret: 's3cret', store, storeSecret: SECRET, storeTimeout: 50 },
    });
    return { events, decide: (token) => decide({ method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` } }) };
  };

  const misbehaviours = {
    'throws': () => {
      throw new Error('connect ECONNREFUSED redis://default:hunter2@10.0.0.1:6379');
    },
    'rejects': () => Promise.reject(new Error('connection refused')),
    'rejects with a non-error': () => Promise.reject(42),
    'never settles': () => new Promise(() => {}),
    'answers a number': () => Promise.resolve(12),
    'answers synchronously with an object': () => ({ not: 'a string' }),
  };
  for (const [n, [what, misbehave]] of Object.entries(misbehaviours).entries()) {
    it(`get ${what}: the endpoint answers, the outage is reported once`, async () => {
      const { store, state } = memoryStore((op) => (op === 'get' ? misbehave : undefined));
      const { events, decide } = introspecting(store);
      const before = as.state.calls;
      for (let i = 0; i < 5; i++) assert.equal((await decide(`tok-${n}-${i}`)).ok, true);
      assert.equal(as.state.calls - before, 5);
      assert.deepEqual(events.map((event) => event.type), ['store_unavailable']);
      assert.equal(events[0].operation, 'get');
      assert.deepEqual(Object.keys(events[0]).sort(), ['operation', 'reason', 'type']);
      assert.ok(!events[0].reason.includes('hunter2'), 'a URL password reached the event');
      assert.equal(state.calls, 1, 'the open circuit kept calling the store');
    });
  }

  it('a store whose isReady says false is not called; isReady is asked again per request', async () => {
    let ready = false;
    const { store, state } = memoryStore();
    const { events, decide } = introspecting({ ...store, isReady: () => ready });
    for (let i = 0; i < 3; i++) assert.equal((await decide(`tok-not-ready-${i}`)).ok, true);
    assert.equal(state.calls, 0);
    assert.deepEqual(events, [{ type: 'store_unavailable', operation: 'get', reason: 'the store is not ready' }]);
    ready = true;
    assert.equal((await decide('tok-ready')).ok, true);
    assert.ok(state.calls > 0, 'ready again: probed at once');
    assert.deepEqual(events.map((event) => event.type), ['store_unavailable', 'store_recovered']);
  });

  it('a working store: one record per token, signed, read back by another authenticator', async () => {
    const { store, entries } = memoryStore();
    const one = introspecting(store);
    const two = introspecting(store);
    const before = as.state.calls;
    assert.equal((await one.decide('tok-shared')).ok, true);
    assert.equal((await two.decide('tok-shared')).ok, true);
    assert.equal(as.state.calls - before, 1);
    const records = [...entries.keys()].filter((key) => !key.endsWith(':lock'));
    assert.equal(records.length, 1);
    assert.match(records[0], /^introspection:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/);
    assert.match(entries.get(records[0]), /^[A-Za-z0-9_-]{43}\./);
  });
});

describe('DPoP with a JavaScript fleet store', () => {
  const ORIGIN = 'https://mcp.example.com';
  const resource = `${ORIGIN}/dpop`;
  const asKey = generateKey('ES256', { kid: 'js-store-as' });
  const holder = dpopKey();
  let as;
  let token;
  before(async () => {
    as = await startAuthServer({ keys: [asKey] });
    token = signJwt(claims({ issuer: as.issuer, audience: resource, scope: 'mcp', cnf: { jkt: holder.jkt } }), asKey);
  });
  after(() => as?.close());

  const gate = (store) => {
    const events = [];
    const auth = new MCPAuth({
      protectedResources: { metadata: { resource, authorizationServers: [{ issuer: as.issuer, type: 'oidc' }] }, dpop: { store, storeTimeout: 50 } },
      onAuthEvent: (event) => events.push(event),
    });
    const decide = auth.authenticator('jwt', { resource });
    const call = (dpop) => decide({ method: 'GET', url: '/dpop', headers: { authorization: `DPoP ${token}`, dpop } });
    return { events, call, fresh: () => proof(holder, { htu: resource, token }) };
  };

  it('setIfAbsent answering a wrong type fails closed (503), never a pass or a replay', async () => {
    const { store } = memoryStore((op) => (op === 'setIfAbsent' ? () => Promise.resolve('OK') : undefined));
    const { events, call, fresh } = gate(store);
    const refused = await call(fresh());
    assert.equal(refused.ok, false);
    assert.equal(refused.status, 503);
    assert.equal(events.filter((e) => e.type === 'rejected').at(-1).reason, 'dpop_replay_store_unavailable');
  });

  it('a proof refused while the store is out holds no local slot: the same request retried later is served once', async () => {
    let down = true;
    const { store } = memoryStore((op) => (down && op === 'setIfAbsent' ? () => Promise.reject(new Error('down')) : undefined));
    const { events, call, fresh } = gate(store);
    const once = fresh();
    assert.equal((await call(once)).status, 503);
    down = false;
    let retried;
    for (let i = 0; i < 40; i++) {
      retried = await call(once);
      if (retried.ok || retried.status !== 503) break;
      await sleep(25); // the circuit's first probe comes 250 ms after the failure
    }
    assert.equal(retried.ok, true, `retry: ${retried.status} ${retried.body}`);
    const replay = await call(once);
    assert.equal(replay.status, 401);
    assert.equal(events.filter((e) => e.type === 'rejected').at(-1).reason, 'dpop_replayed');
  });

  it('a proof another process claimed is a replay here, and a fresh one is fine', async () => {
    const { store, entries } = memoryStore();
    const a = gate(store);
    const b = gate(store);
    const once = a.fresh();
    assert.equal((await a.call(once)).ok, true);
    const replay = await b.call(once);
    assert.equal(replay.status, 401);
    assert.equal(b.events.filter((e) => e.type === 'rejected').at(-1).reason, 'dpop_replayed');
    assert.equal((await b.call(b.fresh())).ok, true);
    for (const [key, value] of entries) {
      assert.match(key, /^dpop:[A-Za-z0-9_-]{43}$/);
      assert.equal(value, '1');
    }
  });
});
