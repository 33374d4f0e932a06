// The SharedStore of a fleet on Redis, in one of two ways:
//
// - over a client of the `redis` package (node-redis 4 or 5, the client
//   Redis maintains) that the application creates, connects and owns. Raw
//   commands keep it independent of the option shapes that changed between
//   node-redis majors;
// - over the addon's own Redis client, configured by URL (`redisStore(url)`),
//   the same client every binding of the core gets. It sends the same
//   commands under the same keys, so processes using either way share one
//   fleet.
//
// During an outage node-redis keeps what it cannot send or was not answered;
// the guard's circuit stops sending, and these client options bound the rest:
// `disableOfflineQueue: true` (refuse at once while reconnecting),
// `commandsQueueMaxLength` (e.g. 1000: a hung server's pending replies), and
// `socket.reconnectStrategy` with a capped delay. The addon's client has
// those bounds built in (`responseTimeout`, `maxInFlight`, `reconnectMaxDelay`).

import { NativeStore } from './native.js';
import { nativeConfigError } from './native-config.js';
import { assertKnownKeys, optionKeys } from './option-keys.js';
import type { SharedStore } from './shared-store.js';
import type { RedisStoreOptions, RedisUrlStoreOptions } from './types.js';

/** The part of a node-redis client this adapter uses. */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
  /** node-redis: connected and ready for commands. */
  readonly isReady?: boolean;
}

// Declared with the other public option types (types.ts), so option-keys.ts imports no module that imports it.
export type { RedisStoreOptions, RedisUrlStoreOptions } from './types.js';

/** The addon's own Redis client (`redisStore(url)`). Creating it does no I/O: it connects on first use and in the background. */

/** A fleet store over the application's node-redis client. */
export function redisStore(client: RedisCommandClient, options?: RedisStoreOptions): SharedStore;
/** A fleet store over the addon's own Redis client, configured by URL. */
export function redisStore(url: string, options?: Omit<RedisUrlStoreOptions, 'url'>): SharedStore;
/** A fleet store over the addon's own Redis client, configured by `options.url`. */
export function redisStore(options: RedisUrlStoreOptions): SharedStore;
export function redisStore(
  target: RedisCommandClient | RedisUrlStoreOptions | string,
  options: RedisStoreOptions | Omit<RedisUrlStoreOptions, 'url'> = {},
): SharedStore {
  if (typeof target === 'string') {
    // The URL is given once: here, not again in the options.
    assertKnownKeys(options, urlOptionKeys, { owner: 'redisStore' });
    return nativeRedisStore({ ...options, url: target });
  }
  if (typeof (target as Partial<RedisCommandClient>)?.sendCommand !== 'function' && isUrlOptions(target)) {
    return nativeRedisStore(target);
  }
  const client = target as RedisCommandClient;
  if (typeof client?.sendCommand !== 'function') {
    throw new TypeError('redisStore needs a node-redis client (createClient() from the `redis` package).');
  }
  assertKnownKeys(options, optionKeys.redisStore, { owner: 'redisStore' });
  const { prefix = 'mcp-auth-rs:' } = options;
  const ttl = (ms: number): string => String(Math.max(1, Math.ceil(ms)));
  return {
    get: async (key) => {
      const value = await client.sendCommand(['GET', prefix + key]);
      return typeof value === 'string' ? value : undefined;
    },
    set: async (key, value, ttlMs) => {
      await client.sendCommand(['SET', prefix + key, value, 'PX', ttl(ttlMs)]);
    },
    setIfAbsent: async (key, value, ttlMs) => (await client.sendCommand(['SET', prefix + key, value, 'PX', ttl(ttlMs), 'NX'])) === 'OK',
    delete: async (key) => {
      await client.sendCommand(['DEL', prefix + key]);
    },
    // While the client reconnects, the store is not called at all (no queued command).
    isReady: () => client.isReady !== false,
  };
}

const urlOptionKeys: ReadonlySet<string> = new Set([...optionKeys.redisUrlStore].filter((key) => key !== 'url'));

function isUrlOptions(value: unknown): value is RedisUrlStoreOptions {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'url');
}

// The addon's handle, which the fleet wiring recognises; the core checks
// every option (names, types, ranges) and never echoes the URL.
function nativeRedisStore(options: RedisUrlStoreOptions | Record<string, unknown>): SharedStore {
  assertKnownKeys(options, optionKeys.redisUrlStore, { owner: 'redisStore' });
  try {
    return NativeStore.redis(options as RedisUrlStoreOptions) as unknown as SharedStore;
  } catch (error) {
    throw nativeConfigError(error);
  }
}
