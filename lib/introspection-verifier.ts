// 'introspection' and 'auto' modes. The addon validates every option, calls
// the RFC 7662 endpoint and judges its answers; this file converts keys,
// routes tokens ('auto') and keeps the optional fleet store, whose records
// the addon judges again when they are read back.

import { createHash, createPrivateKey, KeyObject } from 'node:crypto';
import { codedError, MCPAuthAuthServerError } from './errors.js';
import type { AuthEventEmitter } from './events.js';
import { pickClaimOptions, toAuthInfo } from './jwt-verifier.js';
import { thenMaybe } from './maybe-promise.js';
import * as native from './native.js';
import { getIssuer } from './server-config.js';
import { fleetSingleFlight, guardStore, type GuardedStore } from './shared-store.js';
import type { AuthInfo, AuthServerConfig, ClaimOptions, IntrospectionOptions, MaybePromise } from './types.js';
import { definedMembers } from './case.js';
import { invalidConfig } from './config.js';
import { unverifiedJws } from './jws-shape.js';

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

export function createIntrospectionVerifyFunction(settings: IntrospectionSettings): (token: string) => MaybePromise<AuthInfo> {
  const options = settings.introspection;
  if (typeof options !== 'object' || options === null) {
    throw invalidConfig("bearerAuth 'introspection' and 'auto' need the `introspection` options (at least `clientId`).");
  }
  const server = pickServer(settings.authorizationServers, options.issuer);
  const { store, storeTimeout, privateKey, issuer: _issuer, ...rest } = options;
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
    const cause = native.isNativeError(error) ? error.reason : error instanceof Error ? error.message : String(error);
    throw new MCPAuthAuthServerError('invalid_server_config', { cause });
  }
  const { resource } = settings;
  if (store === undefined) {
    return (token) => thenMaybe(introspector.check(token), (verified) => toAuthInfo(token, verified, resource));
  }
  const shared = guardStore(store, {
    ...definedMembers({ timeoutMs: storeTimeout }),
    onEvent: (event) => settings.events.emit(event),
  });
  return (token) => {
    const hit = introspector.cached(token);
    if (hit) return toAuthInfo(token, hit, resource);
    return introspectForFleet(introspector, shared, token).then((verified) => toAuthInfo(token, verified, resource));
  };
}

// The fleet's record for this token, or one endpoint call for all processes.
async function introspectForFleet(introspector: native.NativeIntrospector, store: GuardedStore, token: string): Promise<native.VerifiedToken> {
  // The key names the token by its hash only: the store never sees a token.
  const key = `introspection:${createHash('sha256').update(token).digest('base64url')}`;
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
 * 'auto': a token shaped like a JWS whose payload names a trusted issuer goes
 * to the local JWT verifier, and that verdict is final; anything else is
 * introspected.
 */
export function routeByTokenShape(
  issuers: readonly string[],
  jwt: (token: string) => MaybePromise<AuthInfo>,
  introspect: (token: string) => MaybePromise<AuthInfo>,
): (token: string) => MaybePromise<AuthInfo> {
  const trusted = new Set(issuers);
  return (token) => (isTrustedJwt(token, trusted) ? jwt(token) : introspect(token));
}

function isTrustedJwt(token: string, trusted: ReadonlySet<string>): boolean {
  const jws = unverifiedJws(token);
  if (typeof jws?.header?.alg !== 'string') return false;
  const issuer = jws.payload?.iss;
  return typeof issuer === 'string' && trusted.has(issuer);
}

