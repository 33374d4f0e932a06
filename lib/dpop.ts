// DPoP (RFC 9449) for one protected resource: its mode, the addon's proof
// checker (which keeps the in-process replay cache and the server nonces)
// and, for a fleet, the shared replay store. Built once per resource at
// setup and shared by every middleware of that resource, so a proof used at
// one middleware is a replay at the next. The addon validates every option.

import { definedMembers } from './case.js';
import { invalidConfig } from './setup-checks.js';
import { codedError } from './errors.js';
import { AuthEventEmitter, type AuthEventListener } from './events.js';
import * as native from './native.js';
import { assertSecretString, nativeConfigError } from './native-config.js';
import { assertKnownKeys, optionKeys } from './option-keys.js';
import { guardStore, type GuardedStore } from './shared-store.js';
import type { DpopMode, DpopOptions } from './types.js';

// Declared with the other public option types (types.ts), so that module imports nothing that imports it back.
export type { DpopMode, DpopOptions, DpopSetting } from './types.js';

export interface DpopGate {
  readonly mode: 'allowed' | 'required';
  /** For the `DPoP algs="…"` challenge and `dpop_signing_alg_values_supported`. */
  readonly algorithms: readonly string[];
  /** The addon's proof checker (in-process replay cache, nonces); the decision uses it directly. */
  readonly checker: native.NativeDpopChecker;
  /**
   * With a fleet store: claims a proof the checker accepted and used up
   * locally (its replay key, never the proof); rejects with a coded error on
   * a replay at another process or when the store is out.
   */
  readonly claim?: (replayKey: string, ttlMs: number) => Promise<void>;
  /** Adds a listener for the replay store's outage events. */
  listen(listener: AuthEventListener | undefined): void;
}

/**
 * The gate for `resource`, or `undefined` when DPoP is off. Without a
 * setting DPoP is `'allowed'` when there is a resource URL to check `htu`
 * against, else off.
 */
export function resolveDpop(setting: unknown, resource: string | undefined): DpopGate | undefined {
  if (setting === undefined && resource === undefined) return undefined;
  const options: DpopOptions =
    setting === undefined ? {} : typeof setting === 'string' ? { mode: setting as DpopMode } : (setting as DpopOptions);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidConfig("`dpop` must be 'off', 'allowed', 'required' or an options object.");
  }
  assertKnownKeys(options, optionKeys.dpop, { owner: 'dpop', path: 'dpop.' });
  if (options.mode === 'off') return undefined;
  if (resource === undefined) {
    throw invalidConfig("`dpop` needs `resource`: a proof's `htu` is checked against the resource's origin.");
  }
  const { store, storeTimeout, nonce, mode, algorithms, iatWindow, replayCacheSize, replayCachePerKey } = options;
  const nonceOptions = typeof nonce === 'object' && nonce !== null ? nonce : undefined;
  assertKnownKeys(nonceOptions, optionKeys.dpopNonce, { owner: 'dpop', path: 'dpop.nonce.' });
  assertSecretString(nonceOptions?.secret, 'dpop.nonce.secret');
  let checker: native.NativeDpopChecker;
  try {
    checker = new native.DpopChecker({
      resource,
      ...definedMembers({ mode, algorithms, iatWindow, replayCacheSize, replayCachePerKey }),
      ...(nonce === undefined ? {} : { nonce: nonce === true || nonceOptions !== undefined }),
      ...definedMembers({ nonceSecret: nonceOptions?.secret, nonceLifetime: nonceOptions?.lifetime }),
    });
  } catch (error) {
    // The core is the one validator; its reasons name the option by its public path (`dpop.…`).
    throw nativeConfigError(error);
  }
  const gateMode = checker.mode as 'allowed' | 'required';
  const events = new AuthEventEmitter();
  const shared =
    store === undefined
      ? undefined
      : guardStore(store, { ...definedMembers({ timeoutMs: storeTimeout }), onEvent: (event) => events.emit(event) });

  return {
    mode: gateMode,
    algorithms: Object.freeze(checker.algorithms),
    checker,
    ...(shared === undefined ? {} : { claim: (replayKey: string, ttlMs: number) => claimInFleet(shared, replayKey, ttlMs) }),
    listen: (listener) => events.add(listener),
  };
}

// Set-if-absent of the proof's key (a hash of key thumbprint and jti, never
// the proof) for as long as the proof can be accepted: exactly one process wins.
// The marker needs no fleet secret: its presence can only refuse a proof,
// never accept one, and a writer able to forge markers could as well delete
// them, which no signature prevents. While the store is out, the guard's circuit answers
// "unavailable" at once: 503, nothing queued in the client.
async function claimInFleet(store: GuardedStore, replayKey: string, ttlMs: number): Promise<void> {
  const claimed = await store.setIfAbsent(`dpop:${replayKey}`, '1', ttlMs);
  if (claimed.ok) {
    if (!claimed.value) throw codedError('dpop_replayed', 'DPoP proof was already used');
    return;
  }
  // Fail closed in every mode: a bound token has no Bearer way in, so an
  // unchecked proof could be replayed at every other process. Bearer
  // requests do not touch the store and carry on (README, "DPoP").
  throw Object.assign(codedError('dpop_replay_store_unavailable', 'DPoP replay store is unavailable'), { retryAfter: 1 });
}

/** The token's `cnf.jkt` (RFC 9449 §6.1) when it is DPoP-bound. */
export function boundKey(claims: Record<string, unknown> | undefined): string | undefined {
  const cnf = claims?.cnf;
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const jkt = (cnf as Record<string, unknown>).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}
