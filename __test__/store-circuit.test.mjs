// The circuit in front of a fleet store (issue 20, item 5): once an
// operation fails, operations are answered "unavailable" without calling the
// store; one probe at a time goes through, at a growing but bounded interval
// or as soon as the client reports ready again; a probe's success closes it.
// The clock is the test's, so nothing here depends on timing.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { guardStore } from '../dist/shared-store.js';

function fakeStore() {
  const state = { calls: 0, failing: false, ready: undefined };
  const answer = (value) => {
    state.calls++;
    return state.failing ? Promise.reject(new Error('connection refused')) : Promise.resolve(value);
  };
  const store = {
    get: () => answer('v'),
    set: () => answer(undefined),
    setIfAbsent: () => answer(true),
    delete: () => answer(undefined),
  };
  return { state, store };
}

function guarded(store, withReady) {
  let now = 1_000_000;
  const events = [];
  const target = withReady ? { ...store.store, isReady: () => store.state.ready } : store.store;
  const guard = guardStore(target, {
    timeoutMs: 100,
    onEvent: (event) => events.push(event.type),
    circuit: { now: () => now, probeMinMs: 100, probeMaxMs: 400 },
  });
  return { guard, events, advance: (ms) => (now += ms) };
}

describe('the store circuit', () => {
  it('opens on a failure, answers without calling the store, probes at a doubling interval up to its bound, and closes on a probe that succeeds', async () => {
    const fake = fakeStore();
    const { guard, events, advance } = guarded(fake, false);
    assert.deepEqual(await guard.get('k'), { ok: true, value: 'v' });
    fake.state.failing = true;
    assert.deepEqual(await guard.get('k'), { ok: false });
    assert.deepEqual(events, ['store_unavailable']);
    const afterFailure = fake.state.calls;

    for (let i = 0; i < 50; i++) assert.deepEqual(await guard.setIfAbsent('k', 'v', 1000), { ok: false });
    assert.equal(fake.state.calls, afterFailure, 'an open circuit called the store');

    // Probes after 100, then 200, then 400 ms, and never further apart than 400.
    let expected = afterFailure;
    for (const wait of [100, 200, 400, 400]) {
      advance(wait - 1);
      assert.deepEqual(await guard.get('k'), { ok: false });
      assert.equal(fake.state.calls, expected, `a probe before ${wait} ms`);
      advance(1);
      const probe = guard.get('k');
      assert.deepEqual(await guard.get('k'), { ok: false }, 'while the probe is out');
      assert.deepEqual(await probe, { ok: false });
      expected += 1;
      assert.equal(fake.state.calls, expected, `one probe after ${wait} ms, one at a time`);
    }
    assert.deepEqual(events, ['store_unavailable'], 'one event per outage');

    fake.state.failing = false;
    advance(400);
    assert.deepEqual(await guard.get('k'), { ok: true, value: 'v' }, 'the probe');
    assert.deepEqual(events, ['store_unavailable', 'store_recovered']);
    const closed = fake.state.calls;
    await Promise.all([guard.get('k'), guard.set('k', 'v', 1000), guard.delete('k')]);
    assert.equal(fake.state.calls, closed + 3, 'closed: every operation reaches the store');
  });

  it('a store whose client is not ready is not called; when it is ready again one probe goes at once', async () => {
    const fake = fakeStore();
    const { guard, events, advance } = guarded(fake, true);
    fake.state.ready = false;
    for (let i = 0; i < 10; i++) assert.deepEqual(await guard.get('k'), { ok: false });
    assert.equal(fake.state.calls, 0, 'a store that is not ready was called');
    assert.deepEqual(events, ['store_unavailable']);
    advance(10_000);
    assert.deepEqual(await guard.get('k'), { ok: false });
    assert.equal(fake.state.calls, 0, 'not ready: no probe either');

    fake.state.ready = true;
    assert.deepEqual(await guard.get('k'), { ok: true, value: 'v' }, 'ready again: probed at once');
    assert.equal(fake.state.calls, 1);
    assert.deepEqual(events, ['store_unavailable', 'store_recovered']);
  });

  it('a hung store: the first operation times out and opens the circuit, later ones do not wait', async () => {
    const store = { get: () => new Promise(() => {}), set: () => new Promise(() => {}), setIfAbsent: () => new Promise(() => {}), delete: () => new Promise(() => {}) };
    let calls = 0;
    const counted = Object.fromEntries(Object.entries(store).map(([name, fn]) => [name, (...args) => (calls++, fn(...args))]));
    const events = [];
    const guard = guardStore(counted, { timeoutMs: 20, onEvent: (event) => events.push(event.type), circuit: { now: () => 0 } });
    // The guard's deadline timer does not hold the process open; this does, for the test.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      assert.deepEqual(await guard.get('k'), { ok: false });
    } finally {
      clearInterval(keepAlive);
    }
    for (let i = 0; i < 100; i++) assert.deepEqual(await guard.get('k'), { ok: false });
    assert.equal(calls, 1, 'each abandoned operation would stay queued in the client');
    assert.deepEqual(events, ['store_unavailable']);
  });
});
