// Several credential kinds on one route: an ordered list of verifiers, each
// its own Authenticator. The addon's router picks the one verifier that
// judges a request (by the token's shape and issuer); no other is asked, so
// a refused token gets no second opinion. API keys are checked by the
// addon's store (hashes, constant time); loading them from a callback and
// re-reading it on a timer are JavaScript facts and live here.

import { attachOperationHelpers, type Authenticator, type AuthDecision, type AuthRequest, type OperationDecision, type OperationGate } from './authenticate.js';
import { codedError } from './errors.js';
import { isPromiseLike } from './maybe-promise.js';
import * as native from './native.js';
import { nativeConfigError } from './native-config.js';
import { invalidConfig } from './setup-checks.js';
import type { ApiKeyEntry, ApiKeyVerifierConfig, AuthInfo, CredentialVerifier } from './types.js';

export interface RouteMember {
  /** The name AuthInfo reports as `verifier`. */
  name: string;
  authenticator: Authenticator;
}

/** The router's view of each verifier, validated by the addon. */
export function credentialRouter(
  verifiers: readonly CredentialVerifier[],
  jwtIssuers: (verifier: CredentialVerifier) => readonly string[],
): native.NativeCredentialRouter {
  if (!Array.isArray(verifiers)) throw invalidConfig('bearerAuth expects an array of verifiers.');
  const kinds = verifiers.map((verifier, index) => {
    if (typeof verifier !== 'object' || verifier === null) throw invalidConfig(`verifiers[${index}] must be an object.`);
    const name = verifier.name ?? verifier.mode;
    return verifier.mode === 'apiKey'
      ? { name, kind: 'apiKey', prefix: verifier.prefix, refreshInterval: verifier.refreshInterval }
      : { name, kind: verifier.mode, issuers: [...jwtIssuers(verifier)] };
  });
  try {
    return new native.CredentialRouter({ verifiers: kinds });
  } catch (error) {
    throw nativeConfigError(error);
  }
}

/** One Authenticator over the route's members; AuthInfo names the one that accepted. */
export function routeCredentials(router: native.NativeCredentialRouter, members: readonly RouteMember[]): Authenticator {
  const routed: Authenticator = (request: AuthRequest, certificate?: Uint8Array | null) => {
    const header = request.headers.authorization;
    const member = members[router.route(header === undefined ? [] : [header].flat())]!;
    const decision = member.authenticator(request, certificate);
    return isPromiseLike(decision) ? decision.then((d) => named(d, member.name)) : named(decision, member.name);
  };
  // Every member protects the same resource: one mTLS setting.
  const reads = members[0]?.authenticator.readsConnectionCertificate;
  if (reads !== undefined) routed.readsConnectionCertificate = reads;
  attachOperationHelpers(routed, routedOperations(router, members));
  return routed;
}

// With `operations` every member has the same declaration (over its own
// `requiredScopes`): the member the router picks decides; a request without
// credentials goes to the one the router picks for none. The descriptors'
// schemes are the first member's.
function routedOperations(router: native.NativeCredentialRouter, members: readonly RouteMember[]): OperationGate | undefined {
  const first = members[0]?.authenticator.operations;
  if (first === undefined) return undefined;
  return {
    maxBodyBytes: first.maxBodyBytes,
    securitySchemes: first.securitySchemes,
    toolMeta: first.toolMeta,
    authenticate(request, body, certificate) {
      const header = request.headers.authorization;
      const member = members[router.route(header === undefined ? [] : [header].flat())]!;
      const decision = member.authenticator.operations!.authenticate(request, body, certificate);
      return isPromiseLike(decision) ? decision.then((d) => named(d, member.name)) : named(decision, member.name);
    },
  };
}

function named<D extends AuthDecision | OperationDecision>(decision: D, name: string): D {
  if (decision.ok && decision.auth !== undefined) decision.auth.verifier = name;
  return decision;
}

/**
 * An API-key verify function over the addon's store. Keys from `keys` are
 * fixed until `rotate`; keys from `loadKeys` are read before the first
 * request and again once `refreshInterval` has passed (one read at a time;
 * a failed read keeps the keys it had).
 */
export class ApiKeyVerifier {
  readonly #store: InstanceType<typeof native.NativeApiKeyStore>;
  readonly #load: (() => ApiKeyEntry[] | Promise<ApiKeyEntry[]>) | undefined;
  readonly #interval: number;
  #loadedAt = -Infinity;
  #loading: Promise<void> | undefined;
  #loadedOnce = false;

  constructor(config: ApiKeyVerifierConfig, refreshInterval: number) {
    const { keys, loadKeys } = config;
    if ((keys === undefined) === (loadKeys === undefined)) {
      throw invalidConfig(`verifier '${config.name ?? 'apiKey'}' needs exactly one of \`keys\` and \`loadKeys\`.`);
    }
    if (loadKeys !== undefined && typeof loadKeys !== 'function') throw invalidConfig('`loadKeys` must be a function.');
    this.#store = newStore(keys ?? []);
    this.#load = loadKeys;
    this.#interval = refreshInterval;
    this.#loadedOnce = keys !== undefined;
  }

  /** Replaces every key at once (rotation without a restart). */
  rotate(keys: readonly ApiKeyEntry[]): void {
    try {
      this.#store.setKeys({ keys: [...keys] });
    } catch (error) {
      throw nativeConfigError(error);
    }
  }

  readonly verify = (token: string): AuthInfo | Promise<AuthInfo> => {
    const pending = this.#refresh();
    return pending === undefined ? this.#verifyNow(token) : pending.then(() => this.#verifyNow(token));
  };

  #verifyNow(token: string): AuthInfo {
    const identity = this.#store.verify(token);
    // A static key has no issuer and never expires.
    return { token, issuer: '', subject: identity.subject, clientId: identity.clientId ?? '', scopes: identity.scopes };
  }

  // Undefined when the keys are fresh; the first request waits for the first read.
  #refresh(): Promise<void> | undefined {
    if (this.#load === undefined || performance.now() - this.#loadedAt < this.#interval) return undefined;
    const load = this.#load;
    this.#loading ??= (async () => {
      try {
        this.rotate(await load());
        this.#loadedOnce = true;
      } finally {
        // Once keys are loaded a failed read keeps them and is retried after the
        // interval; before that every request retries (it has no keys to use).
        if (this.#loadedOnce) this.#loadedAt = performance.now();
        this.#loading = undefined;
      }
    })();
    const loading = this.#loading;
    if (this.#loadedOnce) {
      loading.catch(() => undefined);
      return undefined;
    }
    // No keys yet: the loader's outage is ours, never the caller's (503, not 401).
    return loading.catch(() => {
      throw codedError('keys_not_loaded', 'the API keys could not be loaded');
    });
  }
}

function newStore(keys: readonly ApiKeyEntry[]): InstanceType<typeof native.NativeApiKeyStore> {
  try {
    return new native.NativeApiKeyStore({ keys: [...keys] });
  } catch (error) {
    throw nativeConfigError(error);
  }
}

/**
 * The stored form of an API key (`sha256:` and the base64url SHA-256 of the
 * key), for `ApiKeyEntry.hash`: run it once at setup and keep only the hash.
 */
export function hashApiKey(key: string): string {
  try {
    return native.hashApiKey(key);
  } catch (error) {
    throw nativeConfigError(error);
  }
}
