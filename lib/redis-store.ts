// The SharedStore of a fleet on Redis, through a client of the `redis`
// package (node-redis 4 or 5, the client Redis maintains) that the
// application creates, connects and owns. Raw commands keep it independent
// of the option shapes that changed between node-redis majors.
//
// During an outage node-redis keeps what it cannot send or was not answered;
// the guard's circuit stops sending, and these client options bound the rest:
// `disableOfflineQueue: true` (refuse at once while reconnecting),
// `commandsQueueMaxLength` (e.g. 1000: a hung server's pending replies), and
// `socket.reconnectStrategy` with a capped delay.

import { assertKnownKeys, optionKeys } from './option-keys.js';
import type { SharedStore } from './shared-store.js';
import type { RedisStoreOptions } from './types.js';

/** The part of a node-redis client this adapter uses. */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
  /** node-redis: connected and ready for commands. */
  readonly isReady?: boolean;
}

// Declared with the other public option types (types.ts), so option-keys.ts imports no module that imports it.
export type { RedisStoreOptions } from './types.js';

export function redisStore(client: RedisCommandClient, options: RedisStoreOptions = {}): SharedStore {
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
