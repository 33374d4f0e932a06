// 'introspection' and 'auto' modes. The addon validates every option, calls
// the RFC 7662 endpoint, judges its answers and keeps the optional fleet
// store (the core's `fleet/`: signed, scoped records, lock-and-poll, the
// circuit); this file converts keys and values and routes tokens ('auto').

import type { AuthEvent, AuthEventEmitter } from './events.js';
import { pickClaimOptions, toAuthInfo } from './jwt-verifier.js';
import { thenMaybe } from './maybe-promise.js';
import * as native from './native.js';
import { assertSecretString, nativeConfigError, toPkcs8Pem } from './native-config.js';
import { getIssuer } from './server-config.js';
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

/** `native`: the addon's introspector (with the fleet store, if any); the decision calls it itself. */
export type IntrospectionVerifyFunction = ((token: string) => MaybePromise<AuthInfo>) & { native?: native.NativeIntrospector };

export function createIntrospectionVerifyFunction(settings: IntrospectionSettings): IntrospectionVerifyFunction {
  const options = settings.introspection;
  if (typeof options !== 'object' || options === null) {
    throw invalidConfig("bearerAuth 'introspection' and 'auto' need the `introspection` options (at least `clientId`).");
  }
  assertSecretString(options.clientSecret, 'introspection.clientSecret');
  const server = pickServer(settings.authorizationServers, options.issuer);
  const { store, storeTimeout, storeSecret, privateKey, issuer: _issuer, ...rest } = options;
  const nativeOptions: native.NativeIntrospectorOptions = {
    ...rest,
    issuer: getIssuer(server),
    issuerType: server.type,
    ...(settings.audiences === 'any' ? { allowAnyAudience: true } : { audiences: [...settings.audiences] }),
    maxTokenLength: settings.maxTokenLength,
    ...definedMembers({ clockTolerance: settings.clockTolerance, requiredClaims: settings.requiredClaims }),
    ...(privateKey === undefined ? {} : { privateKey: toPkcs8Pem(privateKey, 'introspection.privateKey') }),
    ...pickClaimOptions(settings.claims),
    // Checked (by the addon) only with a store, as it always was.
    ...(store === undefined ? {} : definedMembers({ storeTimeout })),
  };
  // The issuer's own endpoint, when its metadata is at hand (the addon prefers a chosen `endpoint`).
  if ('metadata' in server && typeof server.metadata.introspectionEndpoint === 'string') {
    nativeOptions.metadataEndpoint = server.metadata.introspectionEndpoint;
  }
  const { resource } = settings;
  let introspector: native.NativeIntrospector;
  try {
    // The store's secret, its records' scope (these options and the
    // resource) and its events are the addon's; the secret's value never
    // appears in an error.
    introspector = new native.Introspector(
      nativeOptions,
      store,
      store === undefined ? undefined : storeSecret,
      resource,
      store === undefined ? undefined : (event) => settings.events.emit(event as AuthEvent),
    );
  } catch (error) {
    throw nativeConfigError(error);
  }
  const verify = (token: string): MaybePromise<AuthInfo> => thenMaybe(introspector.check(token), (verified) => toAuthInfo(token, verified, resource));
  return Object.assign(verify, { native: introspector });
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
