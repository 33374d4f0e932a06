// DPoP (RFC 9449) for one protected resource: its mode and the addon's proof
// checker, which keeps the in-process replay cache, the server nonces and,
// for a fleet, the shared replay store (the core's `fleet/dpop.rs` claims
// each accepted proof there, in the same call as the decision). Built once
// per resource at setup and shared by every middleware of that resource, so
// a proof used at one middleware is a replay at the next. The addon
// validates every option.

import { definedMembers } from './case.js';
import { invalidConfig } from './setup-checks.js';
import { AuthEventEmitter, type AuthEvent, type AuthEventListener } from './events.js';
import * as native from './native.js';
import { assertSecretString, nativeConfigError } from './native-config.js';
import { assertKnownKeys, optionKeys } from './option-keys.js';
import type { DpopMode, DpopOptions } from './types.js';

// Declared with the other public option types (types.ts), so that module imports nothing that imports it back.
export type { DpopMode, DpopOptions, DpopSetting } from './types.js';

export interface DpopGate {
  readonly mode: 'allowed' | 'required';
  /** For the `DPoP algs="…"` challenge and `dpop_signing_alg_values_supported`. */
  readonly algorithms: readonly string[];
  /** The addon's proof checker (in-process replay cache, nonces, the fleet store); the decision uses it directly. */
  readonly checker: native.NativeDpopChecker;
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
  const events = new AuthEventEmitter();
  let checker: native.NativeDpopChecker;
  try {
    checker = new native.DpopChecker(
      {
        resource,
        ...definedMembers({ mode, algorithms, iatWindow, replayCacheSize, replayCachePerKey }),
        // Checked (by the addon) only with a store, as it always was.
        ...(store === undefined ? {} : definedMembers({ storeTimeout })),
        ...(nonce === undefined ? {} : { nonce: nonce === true || nonceOptions !== undefined }),
        ...definedMembers({ nonceSecret: nonceOptions?.secret, nonceLifetime: nonceOptions?.lifetime }),
      },
      store,
      store === undefined ? undefined : (event) => events.emit(event as AuthEvent),
    );
  } catch (error) {
    // The core is the one validator; its reasons name the option by its public path (`dpop.…`).
    throw nativeConfigError(error);
  }
  const gateMode = checker.mode as 'allowed' | 'required';

  return {
    mode: gateMode,
    algorithms: Object.freeze(checker.algorithms),
    checker,
    listen: (listener) => events.add(listener),
  };
}

/** The token's `cnf.jkt` (RFC 9449 §6.1) when it is DPoP-bound. */
export function boundKey(claims: Record<string, unknown> | undefined): string | undefined {
  const cnf = claims?.cnf;
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const jkt = (cnf as Record<string, unknown>).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}
