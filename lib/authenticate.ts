// The framework-neutral authentication decision: given a request's method,
// URL and headers, either accept it with an AuthInfo or describe the exact
// response to send (status, headers, JSON body). Adapters only copy it out.
//
// The decision itself is the addon's (`Authenticator`, the core's
// `decision/`): RFC 6750 parsing, the DPoP gate, scopes, challenges and
// every failure text. A JWT the native verifier checks from its cache or
// inline is decided in one call; a check on a worker or a key fetch is one
// promise. This file hands the request over, runs what only JavaScript can
// (a custom verify function), emits the events and applies the result.

import { isPlainObject, snakeCaseKeys } from './case.js';
import { callerIdentity, type CallerChecks } from './custom-verifier.js';
import { MCPAuthBearerAuthError, MCPAuthTokenVerificationError, MCPAuthAuthServerError, MCPAuthConfigError, nativeErrorKind } from './errors.js';
import { boundKey, type DpopGate } from './dpop.js';
import { AuthEventEmitter, tokenId } from './events.js';
import { unverifiedJws } from './jws-shape.js';
import * as native from './native.js';
import { thenMaybe } from './maybe-promise.js';
import { fixedReason } from './reason-codes.js';
import type { ScopeHierarchy } from './scopes.js';
import { serverFailure } from './server-failure.js';
import { nativeConfigError } from './native-config.js';
import { invalidConfig } from './setup-checks.js';
import type { Rechallenge } from './step-up.js';
import { authInfoOf, type VerifiedIdentity } from './jwt-verifier.js';
import type { AuthInfo, MaybePromise, MtlsConfig } from './types.js';
import type { OperationHelpers, OperationsOptions, SecurityScheme } from './operation-types.js';

export interface AuthRequest {
  method: string;
  /** Path and query as received (`req.url`). */
  url: string;
  /** Express: the URL before a mount path was stripped from `url`; the DPoP `htu` is checked against it. */
  originalUrl?: string;
  /** Lower-cased header names, as Node's `req.headers`. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Node's `req.rawHeaders`; needed to notice a repeated Authorization header, which Node folds away. */
  rawHeaders?: readonly string[];
}

/**
 * An authenticator's verdict on one request: the caller's `AuthInfo`, or the
 * status, headers and body of the refusal to send.
 */
export type AuthDecision =
  /**
   * `rechallenge`, on a resource that takes DPoP: rewrites a handler's own
   * `Bearer` 403 insufficient_scope challenge (SDK v2's per-operation scopes) into this resource's.
   */
  | { ok: true; auth: AuthInfo; rechallenge?: Rechallenge }
  | { ok: false; status: number; headers: Record<string, string>; body: string };

/**
 * Resolves synchronously whenever it can (cached keys), so await it only if it is a promise.
 * `certificate`: the DER client certificate the TLS connection presented
 * (read by adapters that see the socket, only when `readsConnectionCertificate`).
 */
export type Authenticator = ((request: AuthRequest, certificate?: Uint8Array | null) => AuthDecision | Promise<AuthDecision>) &
  Partial<OperationHelpers> & {
    /** The resource reads the TLS connection's client certificate (`mtls.connection`). */
    readsConnectionCertificate?: boolean;
    /**
     * Present when the route has `operations`: the per-operation decision,
     * which needs the request body. Calling the Authenticator itself
     * instead protects every request with the route's `requiredScopes`.
     */
    operations?: OperationGate;
  };

/**
 * What the request body is, for the per-operation decision: `none` for a
 * request that is not a POST; `not-json` for a POST whose Content-Type is
 * not `application/json`; `too-large` over `maxBodyBytes`; `unreadable` when
 * someone else consumed it and left nothing to reuse; else `json` with the
 * bytes (as received, or an earlier parser's value as JSON text).
 */
export type RequestBody =
  | { state: 'json'; bytes: string | Uint8Array }
  | { state: 'none' | 'not-json' | 'too-large' | 'unreadable'; bytes?: undefined };

/** `auth` is `undefined` for a public operation called without credentials (anonymous: no event is emitted). */
export type OperationDecision = AuthDecision | { ok: true; auth: undefined; rechallenge?: undefined };

export interface OperationGate extends OperationHelpers {
  /** The body bound in bytes (`operations.maxBodyBytes`). */
  readonly maxBodyBytes: number;
  /** The decision for `request` and its body: body refusals first (400/413/415/500), then the operation's requirement. */
  authenticate(request: AuthRequest, body: RequestBody, certificate?: Uint8Array | null): OperationDecision | Promise<OperationDecision>;
}

export interface AuthenticatorConfig {
  /** Returns the token's AuthInfo or throws (a coded addon error or an MCPAuth error). */
  verifyToken: (token: string) => MaybePromise<AuthInfo>;
  /**
   * The native verifiers behind `verifyToken` ('jwt', 'introspection',
   * 'auto'): the addon then checks such tokens itself, in the same call as
   * the decision (a fleet store's path and DPoP claim included).
   */
  native?: NativeVerifiers;
  /** The protected resource, reported in events. */
  resource?: string;
  /** PRM URL advertised in every challenge (RFC 9728 §5.1). */
  resourceMetadataUrl?: string;
  requiredScopes?: readonly string[];
  /** The resource's scope hierarchy (M16), validated; scopes are checked against the expanded set. */
  scopeHierarchy?: ScopeHierarchy;
  showErrorDetails?: boolean;
  /** Longest accepted token in characters (C11). */
  maxTokenLength: number;
  events: AuthEventEmitter;
  /** The resource's DPoP gate; without one only `Bearer` is accepted. */
  dpop?: DpopGate;
  /**
   * The verifier may return an `AuthInfo` without the token's claims (a
   * custom verify function): then a Bearer JWT's own payload stands in for
   * them, only to refuse it when it is bound (`cnf`).
   */
  claimsMayBeMissing?: boolean;
  /** A custom verify function's identity: `finish` checks its issuer, audience and expiry. */
  callerChecks?: CallerChecks;
  /** RFC 8705: where the client certificate is read; `undefined`: off. */
  mtls?: MtlsConfig;
  /** Per-operation requirements (the addon validates them). */
  operations?: OperationsOptions;
}

/** Which native verifier takes which token; a token neither takes goes to `verifyToken`. */
export interface NativeVerifiers {
  route: 'jwt' | 'auto' | 'introspection';
  verifier?: native.NativeVerifier;
  introspector?: native.NativeIntrospector;
}

type Scheme = 'bearer' | 'dpop';
type Outcome = string | native.AuthAnswer | native.AuthVerify;

/**
 * `Authenticator.authenticate`'s JSON text for a request it accepted: an array
 * whose places are fixed (`place` in crates/mcp-auth-core/src/accepted_json.rs).
 */
type CheckedAccept = [
  claims: Record<string, unknown>,
  scheme: Scheme,
  tokenLength: number,
  issuer: string,
  subject: string | null,
  clientId: string | null,
  scopes: string[],
  expiresAt: number,
  /** Present when the hierarchy added scopes (or `null`, when only verifyMs follows). */
  effectiveScopes?: string[] | null,
  verifyMs?: number,
];
type Accepted = { scheme: Scheme; effectiveScopes?: string[] };

/**
 * A CORS preflight carries no credentials by design; it must not be challenged
 * (C9). Per the Fetch spec it is an OPTIONS with both `Origin` and
 * `Access-Control-Request-Method`; any other request is authenticated.
 */
export function isCorsPreflight(request: Pick<AuthRequest, 'method' | 'headers'>): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}

export function createAuthenticator(config: AuthenticatorConfig): Authenticator {
  const { verifyToken, resource, resourceMetadataUrl, showErrorDetails = false, events, dpop } = config;
  const newDecider = () =>
    new native.Authenticator(
      {
        resourceMetadataUrl,
        requiredScopes: [...(config.requiredScopes ?? [])],
        scopeHierarchy: config.scopeHierarchy && Object.entries(config.scopeHierarchy).map(([scope, implies]) => ({ scope, implies: [...implies] })),
        showErrorDetails,
        maxTokenLength: config.maxTokenLength,
        route: config.native?.route ?? 'caller',
        callerChecks: config.callerChecks && { issuers: config.callerChecks.issuers, audiences: config.callerChecks.audiences },
        ...(config.mtls === undefined ? {} : { mtls: config.mtls }),
        ...(config.operations === undefined ? {} : { operations: config.operations }),
      },
      config.native?.verifier ?? null,
      dpop?.checker ?? null,
      config.native?.introspector ?? null,
    );
  const decider = config.operations === undefined ? newDecider() : operationsDecider(newDecider);
  const rechallenges: Partial<Record<Scheme, Rechallenge>> =
    dpop === undefined
      ? {}
      : {
          bearer: (header) => decider.rechallenge('bearer', header) ?? undefined,
          dpop: (header) => decider.rechallenge('dpop', header) ?? undefined,
        };

  function reject(answer: { status: number; headers: Record<string, string>; body: string; error?: string | null; reason: string }): AuthDecision {
    if (events.active) {
      // A custom verifier's error may carry any code: events and metrics see fixed codes only.
      events.emit({ type: 'rejected', resource, status: answer.status, error: answer.error ?? undefined, reason: fixedReason(answer.reason) });
    }
    return { ok: false, status: answer.status, headers: answer.headers, body: answer.body };
  }

  const respond = (answer: native.AuthAnswer): AuthDecision => reject({ ...answer, headers: headerRecord(answer.headers) });
  // `operation`: an operations route's selection, whose flow and signal apply.
  const refuse = (error: unknown, used: Scheme | undefined, operation?: string): AuthDecision =>
    respond(decider.refuse(refusalOf(error, showErrorDetails), used, operation));

  function accept(token: string, auth: AuthInfo, accepted: Accepted): AuthDecision {
    // `scopes` stays what was granted; checks here and in tools use the expanded set
    // (sent only when the hierarchy added to it).
    auth.effectiveScopes = accepted.effectiveScopes ?? [...auth.scopes];
    // SDK v2's per-operation challenges advertise this; a verifier-set value wins, as in the SDK.
    if (resourceMetadataUrl !== undefined) auth.resourceMetadataUrl ??= resourceMetadataUrl;
    return acceptedAs(token, auth, rechallenges[accepted.scheme]);
  }

  function acceptedAs(token: string, auth: AuthInfo, rechallenge: Rechallenge | undefined): AuthDecision {
    if (events.active) {
      events.emit({ type: 'accepted', resource, issuer: auth.issuer, subject: auth.subject, clientId: auth.clientId, tokenId: tokenId(token) });
    }
    return rechallenge === undefined ? { ok: true, auth } : { ok: true, auth, rechallenge };
  }

  // A token the addon does not check itself: the caller's verifier, then the addon's finish.
  // `operation`: the selection an operations route's AuthVerify carried, handed back to `finish`.
  function verifyThenFinish(request: AuthRequest, { token, scheme, proof, certificate }: native.AuthVerify, operation?: string): MaybePromise<AuthDecision> {
    let verified: MaybePromise<AuthInfo>;
    try {
      verified = verifyToken(token);
    } catch (error) {
      return refuse(error, scheme, operation);
    }
    // A promise resolved with accept's promise settles with its decision.
    return thenMaybe(
      verified,
      (auth): MaybePromise<AuthDecision> => {
        if (typeof auth !== 'object' || auth === null) return respond(decider.refuse({ kind: 'unexpected' }, undefined, operation));
        // A bound token needs its proof, an unbound one may not use the DPoP scheme (RFC 9449 §7).
        const claims = auth.claims ?? (config.claimsMayBeMissing && scheme === 'bearer' ? unverifiedJws(token)?.payload : undefined);
        // Absent scopes grant none; anything but a list of strings is a broken verifier: 500, never a guess.
        const granted = auth.scopes === undefined ? [] : auth.scopes;
        if (!Array.isArray(granted) || !granted.every((s) => typeof s === 'string')) return respond(decider.refuse({ kind: 'unexpected' }, undefined, operation));
        const outcome = decider.finish(
          scheme,
          claims?.cnf !== undefined,
          boundKey(auth.claims) ?? null,
          proof ?? null,
          request.method,
          request.originalUrl ?? request.url,
          token,
          granted,
          config.callerChecks && callerIdentity(config.callerChecks, auth),
          certificateBound(claims?.cnf),
          certificate,
          operation,
        );
        // With a fleet replay store the addon claims the proof first: a promise.
        return thenMaybe(outcome, (settled) => ('status' in settled ? respond(settled) : accept(token, auth, settled)));
      },
      (error: unknown) => refuse(error, scheme, operation),
    ) as MaybePromise<AuthDecision>;
  }

  // `withOperation`: an operations route, whose AuthVerify carries the selection for `finish`.
  function settle(request: AuthRequest, headers: string[], outcome: Outcome, withOperation?: true): MaybePromise<AuthDecision> {
    if (typeof outcome === 'string') return acceptChecked(headers, outcome);
    if ('status' in outcome) {
      if (outcome.verifyMs != null && events.active) {
        // The native verifier ran in the call; `valid` is its verdict on the token alone, as a timed verifyToken's.
        events.emit({ type: 'verification', resource, durationMs: outcome.verifyMs, valid: outcome.verifyValid === true });
      }
      return respond(outcome);
    }
    return withOperation ? verifyThenFinish(request, outcome, outcome.operation) : verifyThenFinish(request, outcome);
  }

  // The addon checked the token and accepted the request: its identity comes as one JSON text.
  function acceptChecked(headers: string[], json: string): AuthDecision {
    const accepted = JSON.parse(json) as CheckedAccept;
    const verifyMs = accepted[9];
    if (verifyMs !== undefined && events.active) {
      events.emit({ type: 'verification', resource, durationMs: verifyMs, valid: true });
    }
    // The token is the end of the Authorization value (the first header passed).
    const authorization = headers[1]!;
    const token = authorization.slice(authorization.length - accepted[2]);
    const scopes = accepted[6];
    const identity: VerifiedIdentity = {
      issuer: accepted[3],
      clientId: accepted[5] ?? undefined,
      scopes,
      expiresAt: accepted[7],
      subject: accepted[4] ?? undefined,
    };
    // Built whole, in accept's key order: on a server's request objects a
    // property added later is a map transition in V8's runtime (bench/README.md).
    const auth = authInfoOf(token, identity, accepted[0], resource, {
      effectiveScopes: accepted[8] ?? [...scopes],
      resourceMetadataUrl,
    });
    return accepted[1] === 'bearer' ? acceptedAs(token, auth, rechallenges.bearer) : acceptedAs(token, auth, rechallenges.dpop);
  }

  // The decision never throws or rejects: a bug or a hostile value becomes a 500, never a pass.
  const internalError = (error: unknown): AuthDecision => {
    // Built here, not by the addon: the addon may be what failed.
    const failure = serverFailure(error, false);
    return reject({ ...failure, headers: { ...failure.headers, 'Content-Type': 'application/json; charset=utf-8' } });
  };
  const authenticate = config.mtls !== undefined ? withCertificates(config.mtls) : withoutCertificates();
  attachOperationHelpers(authenticate, config.operations === undefined ? undefined : operationGate(config.mtls));
  return authenticate;

  function withoutCertificates(): Authenticator {
    return (request) => {
      try {
        // With listeners, the addon also times its verifier (`verification` events).
        const headers = credentialHeaders(request);
        // The usual request (one Authorization header, no DPoP) passes the value alone.
        const outcome =
          headers.length === 2 && headers[0] === 'authorization'
            ? decider.authenticateOne(request.method, request.url, request.originalUrl ?? null, headers[1]!, events.active)
            : decider.authenticate(request.method, request.url, request.originalUrl ?? null, headers, events.active);
        return settleFirst(request, headers, outcome);
      } catch (error) {
        return internalError(error);
      }
    };
  }

  // The first answer of `authenticate` or `authenticateTls`.
  function settleFirst(request: AuthRequest, headers: string[], outcome: Outcome | Promise<Outcome>): AuthDecision | Promise<AuthDecision> {
    // The hot path: a cache hit or an inline check accepted the request.
    if (typeof outcome === 'string') return acceptChecked(headers, outcome);
    const decided = outcome instanceof Promise ? outcome.then((settled) => settle(request, headers, settled)) : settle(request, headers, outcome);
    return thenMaybe(decided, (decision) => decision, internalError) as AuthDecision | Promise<AuthDecision>;
  }

  // The same on a resource with `mtls`: the connection's certificate and the
  // proxy's header go to the addon too. A separate function, so a resource
  // without mTLS runs the one above unchanged.
  function withCertificates(mtls: MtlsConfig): Authenticator {
    const header = mtls.proxyHeader?.name.toLowerCase();
    const authenticate: Authenticator = (request, certificate) => {
      try {
        const headers = credentialHeaders(request);
        if (header !== undefined) pushHeader(headers, request, header);
        const outcome = decider.authenticateTls(
          request.method,
          request.url,
          request.originalUrl ?? null,
          headers,
          events.active,
          certificateBuffer(certificate),
        );
        return settleFirst(request, headers, outcome);
      } catch (error) {
        return internalError(error);
      }
    };
    authenticate.readsConnectionCertificate = mtls.connection === true;
    return authenticate;
  }

  // The per-operation decision (an `operations` route): the addon classifies
  // the body and picks the operation's requirement; a public operation without
  // credentials comes back as `null` (anonymous, no event).
  function operationGate(mtls: MtlsConfig | undefined): OperationGate {
    const header = mtls?.proxyHeader?.name.toLowerCase();
    const gate = {
      maxBodyBytes: decider.maxBodyBytes() ?? 0,
      authenticate(request: AuthRequest, body: RequestBody, certificate?: Uint8Array | null): MaybePromise<OperationDecision> {
        try {
          const headers = credentialHeaders(request);
          if (header !== undefined) pushHeader(headers, request, header);
          const outcome = decider.authenticateOperation(
            request.method,
            request.url,
            request.originalUrl ?? null,
            headers,
            events.active,
            mtls === undefined ? null : certificateBuffer(certificate),
            body.bytes === undefined ? null : typeof body.bytes === 'string' ? body.bytes : asBuffer(body.bytes),
            body.state,
          );
          const decided = outcome instanceof Promise ? outcome.then((settled) => settleOperation(request, headers, settled)) : settleOperation(request, headers, outcome);
          return thenMaybe(decided, (decision) => decision, internalError) as MaybePromise<OperationDecision>;
        } catch (error) {
          return internalError(error);
        }
      },
      securitySchemes: (tool: string) => securitySchemesOf(decider, tool),
      toolMeta: (tool: string) => ({ securitySchemes: securitySchemesOf(decider, tool) }),
    };
    return gate;
  }

  function settleOperation(request: AuthRequest, headers: string[], outcome: Outcome | null): MaybePromise<OperationDecision> {
    return outcome === null ? anonymous : settle(request, headers, outcome, true);
  }
}

const anonymous: OperationDecision = Object.freeze({ ok: true, auth: undefined });

// The addon's constructor, its setup errors (an invalid `operations`) as `invalid_server_config`.
function operationsDecider(construct: () => native.NativeAuthenticator): native.NativeAuthenticator {
  try {
    return construct();
  } catch (error) {
    throw nativeConfigError(error);
  }
}

function securitySchemesOf(decider: native.NativeAuthenticator, tool: string): SecurityScheme[] {
  const json = decider.securitySchemes(String(tool));
  if (json === null) throw invalidConfig('`toolMeta` and `securitySchemes` need the `operations` option on this bearerAuth.');
  return JSON.parse(json) as SecurityScheme[];
}

/** `toolMeta`/`securitySchemes` on an Authenticator: its gate's, or ones that say the route has no `operations`. */
export function attachOperationHelpers(authenticate: Authenticator, gate: OperationGate | undefined): void {
  if (gate !== undefined) authenticate.operations = gate;
  authenticate.securitySchemes = gate?.securitySchemes ?? noOperations;
  authenticate.toolMeta = gate?.toolMeta ?? noOperations;
}

function noOperations(): never {
  throw invalidConfig('`toolMeta` and `securitySchemes` need the `operations` option on this bearerAuth.');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function certificateBuffer(certificate: Uint8Array | null | undefined): Buffer | null {
  return certificate == null ? null : asBuffer(certificate);
}

// `cnf["x5t#S256"]` of a caller-verified token, when `cnf` holds nothing else
// but a DPoP `jkt`: any other member keeps the token refused as before.
function certificateBound(cnf: unknown): string | null {
  if (typeof cnf !== 'object' || cnf === null) return null;
  const x5t = (cnf as Record<string, unknown>)['x5t#S256'];
  const only = Object.keys(cnf).every((key) => key === 'x5t#S256' || key === 'jkt');
  return typeof x5t === 'string' && only ? x5t : null;
}

// The proxy's certificate header, every line received (the core takes exactly one).
function pushHeader(list: string[], request: AuthRequest, lower: string): void {
  const raw = request.rawHeaders;
  if (raw === undefined) return push(list, lower, request.headers[lower]);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === lower) list.push(lower, raw[i + 1]!);
  }
}

// The `Authorization` and `DPoP` headers as `[name, value, …]`, one entry
// per header received, the Authorization entries first. Node folds a repeat
// away in `headers` (or joins it with ", "); `rawHeaders` keeps every line,
// so when it is given the values are read from it alone.
function credentialHeaders(request: AuthRequest): string[] {
  const raw = request.rawHeaders;
  if (raw === undefined) return fromHeaders(request.headers);
  const list: string[] = [];
  let proofs: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && isName(name, 'authorization')) list.push('authorization', raw[i + 1]!);
    else if (name.length === 4 && isName(name, 'dpop')) (proofs ??= []).push('dpop', raw[i + 1]!);
  }
  return proofs === undefined ? list : list.concat(proofs);
}

// Case-insensitive, without a lower-cased copy for the usual spellings.
function isName(name: string, lower: string): boolean {
  return name === lower || name.toLowerCase() === lower;
}

function fromHeaders(headers: AuthRequest['headers']): string[] {
  const list: string[] = [];
  push(list, 'authorization', headers.authorization);
  push(list, 'dpop', headers.dpop);
  return list;
}

function push(list: string[], name: string, value: string | string[] | undefined): void {
  if (value === undefined) return;
  if (typeof value === 'string') list.push(name, value);
  else for (const item of value) list.push(name, item);
}

function headerRecord(flat: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) headers[flat[i]!] = flat[i + 1]!;
  return headers;
}

// What a thrown error means, for the addon's `refuse`: which class of error it is, never a decision.
function refusalOf(error: unknown, showErrorDetails: boolean): native.AuthRefusal {
  if (native.isNativeError(error)) {
    return { kind: 'coded', code: error.code, fault: nativeErrorKind(error.code), reason: error.reason, retryAfter: error.retryAfter };
  }
  if (error instanceof MCPAuthBearerAuthError && error.code === 'missing_required_scopes') {
    const missing = (error.cause as { missingScopes?: string[] } | undefined)?.missingScopes;
    return { kind: 'missingScopes', missing: missing === undefined ? undefined : [...missing] };
  }
  if (error instanceof MCPAuthBearerAuthError || error instanceof MCPAuthTokenVerificationError) {
    // Only plain data from user-thrown errors reaches a body, and only with showErrorDetails.
    const cause = showErrorDetails ? causeDetails(error.cause) : undefined;
    return { kind: 'described', code: error.code, message: String(error.message), causeJson: cause === undefined ? undefined : JSON.stringify(cause) };
  }
  if (error instanceof MCPAuthAuthServerError || error instanceof MCPAuthConfigError) {
    return { kind: 'server', code: error.code, description: error.message };
  }
  return { kind: 'unexpected' };
}

function causeDetails(cause: unknown): unknown {
  return typeof cause === 'string' || isPlainObject(cause) ? snakeCaseKeys(cause) : undefined;
}
