// 'jwt' mode: native verifiers built once at setup and shared by every
// middleware with the same trust settings, so each JWKS is fetched and cached
// once. The addon validates every verifier option; this file only passes
// them through and maps its errors.

import { definedMembers } from './case.js';
import { MCPAuthAuthServerError } from './errors.js';
import { nativeConfigError } from './native-config.js';
import { AuthEventEmitter, type AuthEventListener } from './events.js';
import { thenMaybe } from './maybe-promise.js';
import * as native from './native.js';
import { getIssuer } from './server-config.js';
import type { AuthInfo, AuthServerConfig, ClaimOptions, JwtVerifyOptions, MaybePromise, RemoteJwkSetOptions, VerifierCacheOptions } from './types.js';

export interface JwtVerifierSettings {
  authorizationServers: readonly AuthServerConfig[];
  /** Accepted audiences, or `'any'` when the check is explicitly turned off. */
  audiences: readonly string[] | 'any';
  jwtVerify?: JwtVerifyOptions;
  remoteJwkSet?: RemoteJwkSetOptions;
  cache?: VerifierCacheOptions;
  claims?: ClaimOptions;
  maxTokenLength: number;
}

interface SharedVerifier {
  verifier: native.NativeVerifier;
  /** JWKS events go to every middleware using this verifier. */
  events: AuthEventEmitter;
}

export class JwtVerifierPool {
  private readonly verifiers = new Map<string, SharedVerifier>();

  /** The verifier for these settings, created on first use; `listeners` will receive its JWKS events. */
  acquire(settings: JwtVerifierSettings, listeners: ReadonlyArray<AuthEventListener | undefined>): native.NativeVerifier {
    const options = toNativeOptions(settings);
    const key = JSON.stringify(options);
    let shared = this.verifiers.get(key);
    if (!shared) {
      const jwksEvents = new AuthEventEmitter();
      const issuerOf = jwksIssuerLookup(options.issuers);
      let verifier: native.NativeVerifier;
      try {
        verifier = new native.Verifier(options, (event) =>
          jwksEvents.emit(
            event.type === 'jwks_refreshed'
              ? { type: event.type, issuer: issuerOf(event.jwksUri), jwksUri: event.jwksUri, keyCount: event.keyCount, warnings: event.warnings }
              : { type: event.type, issuer: issuerOf(event.jwksUri), jwksUri: event.jwksUri, code: event.code ?? 'other', reason: event.reason },
          ),
        );
      } catch (error) {
        // The addon is the one validator of these options; a value of the wrong
        // type fails in its argument conversion, which is a configuration error too.
        throw nativeConfigError(error);
      }
      shared = { verifier, events: jwksEvents };
      this.verifiers.set(key, shared);
    }
    // Added once each, however many middlewares share the verifier.
    for (const listener of listeners) shared.events.add(listener);
    return shared.verifier;
  }
}

// Key-set events name the JWKS URL; map it back to the issuer when that is known.
function jwksIssuerLookup(issuers: native.NativeVerifierOptions['issuers']): (jwksUri: string) => string | undefined {
  const byJwksUri = new Map(issuers.filter((entry) => entry.jwksUri).map((entry) => [entry.jwksUri, entry.issuer]));
  const onlyIssuer = issuers.length === 1 ? issuers[0]!.issuer : undefined;
  return (jwksUri) => byJwksUri.get(jwksUri) ?? onlyIssuer;
}

function toNativeOptions(settings: JwtVerifierSettings): native.NativeVerifierOptions {
  const { audience: _audience, issuer: issuerFilter, ...jwtVerify } = settings.jwtVerify ?? {};
  const allowedIssuers = issuerFilter === undefined ? undefined : [issuerFilter].flat();
  const issuers = settings.authorizationServers
    .filter((server) => !allowedIssuers || allowedIssuers.includes(getIssuer(server)))
    .map(toNativeIssuer);
  // An empty list is the addon's to refuse, like every other verifier option.
  return {
    issuers,
    ...(settings.audiences === 'any' ? { allowAnyAudience: true } : { audiences: [...settings.audiences] }),
    maxTokenLength: settings.maxTokenLength,
    ...(Object.keys(jwtVerify).length > 0 ? { jwtVerify } : {}),
    ...(settings.remoteJwkSet ? { remoteJwkSet: { ...settings.remoteJwkSet } } : {}),
    ...pickCacheOptions(settings.cache),
    ...pickClaimOptions(settings.claims),
  };
}

// Only the known members, for the same reason; the addon validates them.
export function pickClaimOptions(claims: ClaimOptions | undefined): ClaimOptions {
  const { scopeClaims, clientIds, requiredClaimValues } = claims ?? {};
  return definedMembers({ scopeClaims, clientIds, requiredClaimValues });
}

// Only the known members: a plain-JS caller must not be able to smuggle trust
// settings (issuers, audiences) in through this object.
function pickCacheOptions(cache: VerifierCacheOptions | undefined): VerifierCacheOptions {
  const { staleMaxAge, tokenCacheSize, tokenCacheMaxAge, maxResponseBytes } = cache ?? {};
  return definedMembers({ staleMaxAge, tokenCacheSize, tokenCacheMaxAge, maxResponseBytes });
}

function toNativeIssuer(server: AuthServerConfig): native.NativeVerifierOptions['issuers'][number] {
  if (!('metadata' in server)) return { issuer: server.issuer, type: server.type };
  const { issuer, jwksUri } = server.metadata;
  if (!jwksUri) {
    throw new MCPAuthAuthServerError('missing_jwks_uri', {
      cause: `The metadata of authorization server ${issuer} has no jwks_uri.`,
    });
  }
  return { issuer, jwksUri, type: server.type, ...(server.tenants === undefined ? {} : { tenants: server.tenants }) };
}

/** Token → AuthInfo (MCP SDK fields plus mcp-auth's issuer, subject, audience, claims). */
export function toAuthInfo(
  token: string,
  verified: Pick<native.VerifiedToken, 'claimsJson' | 'issuer' | 'clientId' | 'scopes' | 'expiresAt' | 'subject'>,
  resource: string | undefined,
): AuthInfo {
  // The addon hands over the payload as JSON text: one JSON.parse is cheaper
  // than an object built property by property across the boundary.
  const claims = JSON.parse(verified.claimsJson) as Record<string, unknown>;
  return authInfoOf(token, verified, claims, resource);
}

/** A verified token's identity fields, as `VerifiedToken` has them and as the Authenticator's accepted JSON holds them. */
export type VerifiedIdentity = Pick<native.VerifiedToken, 'issuer' | 'clientId' | 'scopes' | 'expiresAt' | 'subject'>;

/** The AuthInfo of a verified token whose payload is already parsed (`claims`, fresh for this request). */
export function authInfoOf(
  token: string,
  verified: VerifiedIdentity,
  claims: Record<string, unknown>,
  resource: string | undefined,
  accepted?: { effectiveScopes: string[]; resourceMetadataUrl: string | undefined },
): AuthInfo {
  const auth: AuthInfo = {
    issuer: verified.issuer,
    clientId: verified.clientId ?? '',
    scopes: verified.scopes,
    token,
    audience: claims.aud as string | string[] | undefined,
    claims,
    expiresAt: verified.expiresAt,
    subject: verified.subject,
  };
  // A fresh URL each time: handlers may mutate what they receive.
  if (resource !== undefined) auth.resource = new URL(resource);
  if (accepted !== undefined) {
    auth.effectiveScopes = accepted.effectiveScopes;
    if (accepted.resourceMetadataUrl !== undefined) auth.resourceMetadataUrl = accepted.resourceMetadataUrl;
  }
  return auth;
}

export function createJwtVerifyFunction(
  verifier: native.NativeVerifier,
  resource: string | undefined,
): (token: string) => MaybePromise<AuthInfo> {
  // One native call per token: the addon answers a cache hit or a check it
  // ran inline synchronously, and hands back a promise only when the check
  // went to a worker thread or keys must be fetched (bench/README.md).
  return (token) => {
    const verified = verifier.check(token);
    return thenMaybe(verified, (settled) => toAuthInfo(token, settled, resource));
  };
}
