// A key-value store that a fleet of processes shares (Redis, through
// `redisStore`), for caches that N processes behind a load balancer must not
// multiply by N. Only its shape lives here: the addon calls its methods, and
// the rules on top (deadlines, the circuit, outage events, signed records,
// keys and TTLs, lock-and-poll) are the core's (`crates/mcp-auth-core/src/fleet`).

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
