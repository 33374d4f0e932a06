// 'introspection' and 'auto' modes. The addon validates every option, calls
// the RFC 7662 endpoint and judges its answers; this file converts keys,
// routes tokens ('auto') and keeps the optional fleet store, whose records
// are signed and scoped (store-records.ts) and judged again by the addon
// when they are read back.

import { createHash, createPrivateKey, KeyObject } from 'node:crypto';
import { codedError } from './errors.js';
import type { AuthEventEmitter } from './events.js';
import { pickClaimOptions, toAuthInfo } from './jwt-verifier.js';
import { thenMaybe } from './maybe-promise.js';
import * as native from './native.js';
import { assertSecretString, nativeConfigError } from './native-config.js';
import { getIssuer } from './server-config.js';
import { fleetSingleFlight, guardStore, type GuardedStore } from './shared-store.js';
import { scopeId, signedStore, storeSecretBytes } from './store-records.js';
import type { AuthInfo, AuthServerConfig, ClaimOptions, IntrospectionOptions, MaybePromise } from './types.js';
import { definedMembers } from './case.js';
import { invalidConfig } from './setup-checks.js';

export interface IntrospectionSettings {
  authorizationServers: readonly AuthServerConfig[];
  audiences: readonly string[] | 'any';
  maxTokenLength: number;
  clockTolerance?: number | string;
  requiredClaims?: string[];
  claims?: ClaimOptions;
  introspection: IntrospectionOptions | undefined;
  resource: string | undefined;
  events: AuthEventEmitter;
}

/** A lock is held at most this long by the process introspecting a token for the fleet. */
const fleetLockTtlMs = 2_000;
const fleetPollMs = 25;

/** `native`: the addon's introspector when no fleet store is involved; the decision may then call it itself. */
export type IntrospectionVerifyFunction = ((token: string) => MaybePromise<AuthInfo>) & { native?: native.NativeIntrospector };

export function createIntrospectionVerifyFunction(settings: IntrospectionSettings): IntrospectionVerifyFunction {
  const options = settings.introspection;
  if (typeof options !== 'object' || options === null) {
    throw invalidConfig("bearerAuth 'introspection' and 'auto' need the `introspection` options (at least `clientId`).");
  }
  assertSecretString(options.clientSecret, 'introspection.clientSecret');
  const server = pickServer(settings.authorizationServers, options.issuer);
  const { store, storeTimeout, storeSecret, privateKey, issuer: _issuer, ...rest } = options;
  // Checked before anything else sees it; its value never appears in an error.
  const secret = store === undefined ? undefined : storeSecretBytes(storeSecret, 'introspection.storeSecret');
  const nativeOptions: native.NativeIntrospectorOptions = {
    ...rest,
    issuer: getIssuer(server),
    issuerType: server.type,
    ...(settings.audiences === 'any' ? { allowAnyAudience: true } : { audiences: [...settings.audiences] }),
    maxTokenLength: settings.maxTokenLength,
    ...definedMembers({ clockTolerance: settings.clockTolerance, requiredClaims: settings.requiredClaims }),
    ...(privateKey === undefined ? {} : { privateKey: toPkcs8Pem(privateKey) }),
    ...pickClaimOptions(settings.claims),
  };
  if (!options.endpoint && 'metadata' in server && typeof server.metadata.introspectionEndpoint === 'string') {
    nativeOptions.endpoint = server.metadata.introspectionEndpoint;
  }
  let introspector: native.NativeIntrospector;
  try {
    introspector = new native.Introspector(nativeOptions);
  } catch (error) {
    throw nativeConfigError(error);
  }
  const { resource } = settings;
  if (store === undefined || secret === undefined) {
    const verify = (token: string): MaybePromise<AuthInfo> => thenMaybe(introspector.check(token), (verified) => toAuthInfo(token, verified, resource));
    return Object.assign(verify, { native: introspector });
  }
  const emit = (event: Parameters<AuthEventEmitter['emit']>[0]): void => settings.events.emit(event);
  const shared = signedStore(guardStore(store, { ...definedMembers({ timeoutMs: storeTimeout }), onEvent: emit }), secret, emit);
  const scope = scopeId(secret, { ...verdictSettings(nativeOptions), resource: resource ?? null });
  // One store lookup (and lock-and-poll loop) per token in this process, shared by its concurrent requests.
  const flights = new Map<string, Promise<native.VerifiedToken>>();
  return (token) => {
    const hit = introspector.cached(token);
    if (hit) return toAuthInfo(token, hit, resource);
    // The key names the token by its hash only: the store never sees a token.
    const key = `introspection:${scope}:${createHash('sha256').update(token).digest('base64url')}`;
    let flight = flights.get(key);
    if (!flight) {
      flight = introspectForFleet(introspector, shared, token, key).finally(() => flights.delete(key));
      flights.set(key, flight);
    }
    return flight.then((verified) => toAuthInfo(token, verified, resource));
  };
}

// Options that shape no verdict: credentials (never hashed into a key), timing and sizes.
const notVerdictSettings = new Set([
  'clientSecret',
  'privateKey',
  'signingAlgorithm',
  'keyId',
  'clientAuthMethod',
  'assertionAudience',
  'timeout',
  'cacheMaxAge',
  'negativeCacheTtl',
  'cacheSize',
  'maxResponseBytes',
]);

// What a stored verdict depends on: every other option (issuer, endpoint, audiences, claim rules...),
// so an option added later splits the keyspace rather than sharing verdicts it should not.
function verdictSettings(options: native.NativeIntrospectorOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([name, value]) => value !== undefined && !notVerdictSettings.has(name)));
}

// The fleet's record for this token, or one endpoint call for all processes.
async function introspectForFleet(
  introspector: native.NativeIntrospector,
  store: GuardedStore,
  token: string,
  key: string,
): Promise<native.VerifiedToken> {
  let learnt: native.IntrospectionRecord | undefined;
  const { value, computed } = await fleetSingleFlight(
    store,
    key,
    async () => {
      learnt = await introspector.learn(token);
      return { value: learnt.record, ttlMs: learnt.ttlMs };
    },
    { lockTtlMs: fleetLockTtlMs, pollMs: fleetPollMs },
  );
  if (computed && learnt) return learnt.token ?? inactive();
  // Read back from the store: judged again by the same rules.
  const admitted = introspector.admit(token, value);
  if (admitted) return admitted;
  const fresh = await introspector.learn(token);
  return fresh.token ?? inactive();
}

function inactive(): never {
  throw codedError('token_inactive', 'token is not active');
}

function pickServer(servers: readonly AuthServerConfig[], issuer: string | undefined): AuthServerConfig {
  if (issuer !== undefined) {
    const found = servers.find((server) => getIssuer(server) === issuer);
    if (!found) throw invalidConfig(`\`introspection.issuer\` ${issuer} is not a configured authorization server.`);
    return found;
  }
  if (servers.length !== 1) {
    throw invalidConfig('Several authorization servers are trusted: set `introspection.issuer` to the one whose endpoint is asked.');
  }
  return servers[0]!;
}

// The addon signs with a PKCS#8 PEM; a JWK or KeyObject is converted here.
function toPkcs8Pem(key: unknown): string {
  try {
    const object =
      key instanceof KeyObject
        ? key
        : typeof key === 'string'
          ? createPrivateKey(key)
          : createPrivateKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (object.type !== 'private') throw new Error('not a private key');
    return object.export({ type: 'pkcs8', format: 'pem' }) as string;
  } catch {
    // The key's text never goes into the message.
    throw invalidConfig('`introspection.privateKey` must be a private key: PKCS#8/PKCS#1/SEC1 PEM, a private JWK, or a KeyObject.');
  }
}

/**
 * 'auto': a JWS whose `iss` names an issuer the JWT verifier trusts (a plain
 * issuer, or the shape of an issuer template such as Entra's) goes to that
 * verifier, and its verdict is final; anything else is introspected. The
 * verifier decides (`namesTrustedIssuer`), with the same issuer selection it
 * verifies with, so a token it would judge is never sent to another server.
 */
export function routeByTokenShape(
  verifier: Pick<native.NativeVerifier, 'namesTrustedIssuer'>,
  jwt: (token: string) => MaybePromise<AuthInfo>,
  introspect: (token: string) => MaybePromise<AuthInfo>,
): (token: string) => MaybePromise<AuthInfo> {
  return (token) => (isTrustedJwt(verifier, token) ? jwt(token) : introspect(token));
}

function isTrustedJwt(verifier: Pick<native.NativeVerifier, 'namesTrustedIssuer'>, token: string): boolean {
  return verifier.namesTrustedIssuer(token);
}
