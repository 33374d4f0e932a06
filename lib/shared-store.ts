// A key-value store that a fleet of processes shares (Redis, through
// `redisStore`), for caches that N processes behind a load balancer must not
// multiply by N. The store is an optimisation, never a dependency: every
// operation has a deadline, and a store that fails or is slow is reported
// (once per outage) and treated as a miss, so requests fall back to the local
// cache and the authorization server. While it is out, a circuit
// (store-circuit.ts) keeps requests from reaching it at all.

import { invalidConfig } from './setup-checks.js';
import { StoreCircuit, type CircuitOptions } from './store-circuit.js';

/** What a shared store must offer. Keys are chosen by this package; values are JSON text without tokens. */
export interface SharedStore {
  get(key: string): Promise<string | null | undefined>;
  /** Stores `value` for `ttlMs` milliseconds. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Atomically stores `value` for `ttlMs` unless `key` exists; `true` when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Optional: `false` while the client cannot send (disconnected, reconnecting); the store is then not called. */
  isReady?(): boolean;
}

type StoreOperation = 'get' | 'set' | 'setIfAbsent' | 'delete';

export type StoreEvent =
  | { type: 'store_unavailable'; operation: StoreOperation; reason: string }
  | { type: 'store_recovered' };

export interface GuardedStoreOptions {
  /** Longest a store operation may take, in ms (default 250, from 1 to 60000). */
  timeoutMs?: number;
  onEvent?: (event: StoreEvent) => void;
  /** The circuit's probe timing and clock (tests only). */
  circuit?: Omit<CircuitOptions, 'isReady'>;
}

/** A store operation's outcome: `ok: false` means "unavailable, carry on without it". */
export type StoreResult<T> = { ok: true; value: T } | { ok: false };

export interface GuardedStore {
  get(key: string): Promise<StoreResult<string | undefined>>;
  set(key: string, value: string, ttlMs: number): Promise<StoreResult<void>>;
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<StoreResult<boolean>>;
  delete(key: string): Promise<StoreResult<void>>;
}

const defaultTimeoutMs = 250;

/** Wraps a user's store with deadlines, a circuit and outage reporting; its promises never reject. */
export function guardStore(store: SharedStore, options: GuardedStoreOptions = {}): GuardedStore {
  assertStore(store);
  const { timeoutMs = defaultTimeoutMs, onEvent } = options;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw invalidConfig(`\`storeTimeout\` must be an integer number of milliseconds from 1 to 60000, got ${String(timeoutMs)}.`);
  }
  const circuit = new StoreCircuit({
    ...options.circuit,
    ...(typeof store.isReady === 'function' ? { isReady: () => store.isReady!() } : {}),
  });
  const report = (event: StoreEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A listener's failure is not the store's.
    }
  };

  const run = async <T>(operation: StoreOperation, call: () => Promise<T>): Promise<StoreResult<T>> => {
    const admission = circuit.admit();
    if (admission === 'tripped') report({ type: 'store_unavailable', operation, reason: 'the store is not ready' });
    if (admission === 'skip' || admission === 'tripped') return { ok: false };
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref?.();
      });
      const value = await Promise.race([Promise.resolve().then(call), deadline]);
      if (circuit.settle(admission, true) === 'closed') report({ type: 'store_recovered' });
      return { ok: true, value };
    } catch (error) {
      // The reason is the error's message only: a store URL with a password must not reach logs.
      if (circuit.settle(admission, false) === 'opened') report({ type: 'store_unavailable', operation, reason: describe(error) });
      return { ok: false };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    get: (key) => run('get', async () => (await store.get(key)) ?? undefined),
    set: (key, value, ttlMs) => run('set', () => store.set(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => run('setIfAbsent', async () => (await store.setIfAbsent(key, value, ttlMs)) === true),
    delete: (key) => run('delete', () => store.delete(key)),
  };
}

function assertStore(store: unknown): asserts store is SharedStore {
  const methods = ['get', 'set', 'setIfAbsent', 'delete'] as const;
  if (typeof store !== 'object' || store === null || methods.some((name) => typeof (store as Record<string, unknown>)[name] !== 'function')) {
    throw invalidConfig('`store` must have get, set, setIfAbsent and delete methods (see `redisStore`).');
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s/@]*@/gi, (match) => match.replace(/\/\/[^@]*@/, '//'));
}

export interface FleetSingleFlightOptions {
  /** How long the first process may hold the computation before others stop waiting, in ms. */
  lockTtlMs: number;
  /** How soon a waiting process first looks for the result, in ms (then less often). */
  pollMs: number;
}

/**
 * The result stored under `key`, or computed by exactly one process of the
 * fleet: the first to take the lock (set-if-absent) computes and stores it;
 * the others poll for it until the lock's time is up, then compute it
 * themselves. `compute` returns the value to store and its TTL (0: do not store).
 */
export async function fleetSingleFlight(
  store: GuardedStore,
  key: string,
  compute: () => Promise<{ value: string; ttlMs: number }>,
  { lockTtlMs, pollMs }: FleetSingleFlightOptions,
): Promise<{ value: string; computed: boolean }> {
  const stored = await store.get(key);
  if (stored.ok && stored.value !== undefined) return { value: stored.value, computed: false };

  const computeAndStore = async (): Promise<{ value: string; computed: boolean }> => {
    const result = await compute();
    if (result.ttlMs > 0) await store.set(key, result.value, result.ttlMs);
    return { value: result.value, computed: true };
  };
  if (!stored.ok) return computeAndStore();

  const lockKey = `${key}:lock`;
  const lock = await store.setIfAbsent(lockKey, '1', lockTtlMs);
  if (!lock.ok || lock.value) {
    try {
      return await computeAndStore();
    } finally {
      if (lock.ok) await store.delete(lockKey);
    }
  }
  // The wait doubles up to 8 × pollMs: a slow holder costs a few commands, not one pair per pollMs.
  for (let waited = 0, wait = pollMs; waited < lockTtlMs; waited += wait, wait = Math.min(wait * 2, pollMs * 8)) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    const polled = await store.get(key);
    if (!polled.ok) break;
    if (polled.value !== undefined) return { value: polled.value, computed: false };
    // The holder gave up (released the lock without storing): compute now.
    const held = await store.get(lockKey);
    if (held.ok && held.value === undefined) break;
  }
  return computeAndStore();
}
