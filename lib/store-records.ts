// Records in a fleet store are authenticated: anyone who can write to the
// store's keyspace must not be able to mint a record this fleet accepts.
// Each value is stored as `<MAC>.<value>`, the MAC an HMAC-SHA256 under the
// fleet's secret over the key and the value, so a record forged, altered or
// moved under another key is a miss (and reported), never an acceptance.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalidConfig } from './setup-checks.js';
import type { GuardedStore, StoreResult } from './shared-store.js';

export type StoreSecret = string | Uint8Array;

/** A record that failed its check: fixed codes only, never its key or value. */
export type StoreRecordEvent = { type: 'store_record_rejected'; reason: 'bad_mac' | 'unreadable' };

const minSecretBytes = 32;
const macLength = 43; // base64url of 32 bytes, unpadded

/** The secret as bytes; refused unless it is a string or byte array of at least 32 bytes. `option` names it in the error, the value never appears. */
export function storeSecretBytes(secret: unknown, option: string): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret instanceof Uint8Array ? Buffer.from(secret) : undefined;
  if (bytes === undefined || bytes.length < minSecretBytes) {
    throw invalidConfig(
      `\`${option}\` is required with a fleet store and must be a string or a Uint8Array (Buffer) of at least ${minSecretBytes} bytes, the same for every process of the fleet.`,
    );
  }
  return bytes;
}

/**
 * A short, keyed name for what a record's verdict depends on (authorization
 * server, resource, claim rules...): records stored under other settings
 * live under other keys. Keyed, so the key reveals nothing of the settings.
 */
export function scopeId(secret: Buffer, settings: Record<string, unknown>): string {
  return createHmac('sha256', secret).update(`scope\n${canonicalJson(settings)}`).digest('base64url').slice(0, 22);
}

/** `store` with every value signed on the way in and checked on the way out; a value that fails is a miss. */
export function signedStore(store: GuardedStore, secret: Buffer, onReject: (event: StoreRecordEvent) => void): GuardedStore {
  const mac = (key: string, value: string): string =>
    createHmac('sha256', secret).update(`${key.length}:${key}`).update(value).digest('base64url');
  const seal = (key: string, value: string): string => `${mac(key, value)}.${value}`;
  const open = (key: string, stored: string): string | undefined => {
    const given = stored.slice(0, macLength);
    if (stored.charAt(macLength) !== '.' || !/^[A-Za-z0-9_-]+$/.test(given)) {
      onReject({ type: 'store_record_rejected', reason: 'unreadable' });
      return undefined;
    }
    const value = stored.slice(macLength + 1);
    if (!timingSafeEqual(Buffer.from(given), Buffer.from(mac(key, value)))) {
      onReject({ type: 'store_record_rejected', reason: 'bad_mac' });
      return undefined;
    }
    return value;
  };
  return {
    get: async (key): Promise<StoreResult<string | undefined>> => {
      const result = await store.get(key);
      if (!result.ok || result.value === undefined) return result;
      return { ok: true, value: open(key, result.value) };
    },
    set: (key, value, ttlMs) => store.set(key, seal(key, value), ttlMs),
    setIfAbsent: (key, value, ttlMs) => store.setIfAbsent(key, seal(key, value), ttlMs),
    delete: (key) => store.delete(key),
  };
}

// JSON with object members in key order, so equal settings give equal text.
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    typeof member === 'object' && member !== null && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}
