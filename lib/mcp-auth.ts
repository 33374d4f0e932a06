// The MCPAuth entry point: validates the configuration up front, then hands
// out the metadata routers and bearer-token middleware built from it. All
// parsing, URL building and verifier creation happens here, at setup.

import type { RequestHandler, Router } from 'express';
import { createAuthenticator, type Authenticator, type NativeVerifiers } from './authenticate.js';
import { ApiKeyVerifier, credentialRouter, routeCredentials } from './credential-kinds.js';
import { toExpressMiddleware } from './adapters/express.js';
import { toExpressOperationsMiddleware, withOperationHelpers } from './adapters/express-operations.js';
import { resolveBearerPolicy } from './bearer-options.js';
import { snakeCaseKeys } from './case.js';
import { resolveConfig, type ResolvedConfig } from './config.js';
import { assertCanonicalHost, invalidConfig, warnOnce } from './setup-checks.js';
import { withTokenChecks, type CallerChecks } from './custom-verifier.js';
import { resolveDpop, type DpopGate } from './dpop.js';
import { AuthEventEmitter, timeVerification, type AuthEvent, type AuthEventListener } from './events.js';
import { createIntrospectionVerifyFunction, routeByTokenShape } from './introspection-verifier.js';
import { createJwtVerifyFunction, JwtVerifierPool } from './jwt-verifier.js';
import { createMetadataResponder, type ResolvedMetadataResponder } from './metadata-responder.js';
import { createMetadataRouter } from './adapters/express-metadata.js';
import * as native from './native.js';
import { assertBearerOptions, optionKeys } from './option-keys.js';
import { buildResourceMetadataDocument, protectedResourceMetadataUrl } from './resource-metadata.js';
import { compileScopeHierarchy, type ScopeHierarchy } from './scopes.js';
import { loadSdkV2, toTokenVerifier, type TokenVerifier } from './adapters/sdk-v2.js';
import { getIssuer, serverMetadataPaths } from './server-config.js';
import { createTokenExchange, type ExchangeToken } from './token-exchange.js';
import { createWebBearerAuth, toAuthRequest, toWebResponse, type WebBearerAuth } from './adapters/web.js';
import { createWebOperationsAuth, type WebOperationsAuth } from './adapters/web-operations.js';
import type { OperationHelpers, OperationsOptions } from './operation-types.js';
import type {
  AuthInfo,
  AuthServerConfig,
  ExchangedToken,
  BearerAuthConfig,
  CredentialVerifier,
  MaybePromise,
  MCPAuthConfig,
  TokenExchangeParams,
  MtlsConfig,
  VerifyAccessTokenFunction,
  VerifyAccessTokenMode,
  VerifyJwtConfig,
} from './types.js';

/** Options of `bearerAuth` (the trust list comes from the MCPAuth configuration). */
export type BearerAuthOptions = Omit<BearerAuthConfig, 'verifyAccessToken' | 'issuer'> & {
  /**
   * Per-tool authorization: which MCP operations are public and what each
   * protected one needs (docs/per-tool-authorization.md). Not on `tokenVerifier()`.
   */
  operations?: OperationsOptions;
};
/** `bearerAuth` options with `operations` (the web-standard gate then also returns the parsed body). */
export type OperationsBearerAuthOptions = BearerAuthOptions & { operations: OperationsOptions };

export class MCPAuth {
  /** The configuration as given. */
  readonly config: MCPAuthConfig;
  readonly #resolved: ResolvedConfig;
  readonly #verifiers = new JwtVerifierPool();
  readonly #listeners: AuthEventListener[] = [];
  #handedOut = false;

  /** @throws {MCPAuthAuthServerError} `invalid_server_config` when the configuration is unusable. */
  constructor(config: MCPAuthConfig) {
    this.#resolved = resolveConfig(config);
    this.config = config;
    if (config.tokenExchange !== undefined) {
      const servers =
        this.#resolved.mode === 'legacy'
          ? [this.#resolved.server]
          : [...this.#resolved.resources.values()].flatMap((r) => r.authorizationServers);
      // Store events reach the listeners known when they happen (`onAuthEvent` and any added later).
      const onStoreEvent = (event: native.StoreEvent) => {
        const events = new AuthEventEmitter();
        [config.onAuthEvent, ...this.#listeners].forEach((listener) => events.add(listener));
        events.emit(event as AuthEvent);
      };
      this.#exchange = createTokenExchange(config.tokenExchange, servers, onStoreEvent);
    }
  }
  readonly #exchange: ExchangeToken | undefined;

  /**
   * Trades the caller's access token (`authInfo.token`) for one aimed at an
   * upstream API, at the `tokenExchange` authorization server (RFC 8693, or
   * Entra ID's on-behalf-of grant). Issued tokens are reused until shortly
   * before they expire; concurrent identical exchanges share one call.
   *
   * @throws {MCPAuthTokenExchangeError} `token_exchange_refused` (answer 403)
   *   or `token_exchange_unavailable` (answer 503, `retryAfter` seconds).
   */
  exchangeToken(authInfo: AuthInfo, params?: TokenExchangeParams): Promise<ExchangedToken> {
    if (!this.#exchange) return Promise.reject(invalidConfig('`exchangeToken` needs the `tokenExchange` configuration.'));
    return this.#exchange(authInfo, params);
  }

  /**
   * Serves RFC 9728 protected resource metadata for every configured resource,
   * at `/.well-known/oauth-protected-resource` + the resource's path.
   */
  protectedResourceMetadataRouter(): Router {
    return createMetadataRouter(this.#resourceMetadataEndpoints('protectedResourceMetadataRouter'));
  }

  /**
   * The framework-neutral answer behind `protectedResourceMetadataRouter`:
   * the status, headers and body for a request to one of the documents, or
   * `undefined` for any other request.
   */
  protectedResourceMetadataResponder(): ResolvedMetadataResponder {
    return createMetadataResponder(this.#resourceMetadataEndpoints('protectedResourceMetadataResponder'));
  }

  /**
   * Web-standard `protectedResourceMetadataRouter`: the metadata Response when
   * `request` is for one of the documents (GET/HEAD 200, OPTIONS 204, else
   * 405), else `undefined`. Matches the Request URL's path from the origin.
   */
  protectedResourceMetadataResponse(request: Request): Response | undefined {
    this.#webMetadata ??= this.protectedResourceMetadataResponder();
    const answer = this.#webMetadata(toAuthRequest(request));
    return answer && toWebResponse(answer);
  }
  #webMetadata: ResolvedMetadataResponder | undefined;

  #resourceMetadataEndpoints(method: string) {
    if (this.#resolved.mode !== 'resource') throw invalidConfig(`\`${method}\` needs the \`protectedResources\` configuration.`);
    return [...this.#resolved.resources.values()].map(({ metadata, metadataUrl, dpop, mtls }) => {
      const body = buildResourceMetadataDocument(metadata, dpop, mtls !== undefined);
      return { path: metadataUrl.pathname, query: metadataUrl.search.slice(1), body: () => body };
    });
  }

  /**
   * Mirrors the authorization server's metadata at
   * `/.well-known/oauth-authorization-server`, for MCP clients of the
   * 2025-03-26 revision. Legacy `server` mode only.
   *
   * @deprecated Use `protectedResources` and {@link protectedResourceMetadataRouter}.
   */
  delegatedRouter(): Router {
    if (this.#resolved.mode !== 'legacy') {
      throw invalidConfig('`delegatedRouter` is only available with the deprecated `server` configuration.');
    }
    return createMetadataRouter([
      { path: serverMetadataPaths.oauth, query: '', body: authServerMetadataBody(this.#resolved.server) },
    ]);
  }

  /**
   * Express middleware that admits only requests with an acceptable access
   * token (with `operations`: only the operations that need one). Its
   * `toolMeta(name)`/`securitySchemes(name)` describe the `operations` declaration.
   */
  bearerAuth(verifyAccessToken: VerifyAccessTokenFunction, options?: BearerAuthOptions): RequestHandler & OperationHelpers;
  bearerAuth(mode: VerifyAccessTokenMode, options?: BearerAuthOptions & VerifyJwtConfig): RequestHandler & OperationHelpers;
  /** Several credential kinds on one route: the first verifier whose kind matches a token judges it (docs/credential-kinds.md). */
  bearerAuth(verifiers: readonly CredentialVerifier[], options?: BearerAuthOptions): RequestHandler & OperationHelpers;
  bearerAuth(
    modeOrVerify: VerifyAccessTokenMode | VerifyAccessTokenFunction | readonly CredentialVerifier[],
    options: BearerAuthOptions & VerifyJwtConfig = {},
  ): RequestHandler & OperationHelpers {
    const authenticate = this.authenticator(modeOrVerify, options);
    const gate = authenticate.operations;
    const middleware = gate === undefined ? toExpressMiddleware(authenticate, options) : toExpressOperationsMiddleware(authenticate, gate, options);
    return withOperationHelpers(middleware, authenticate);
  }

  /**
   * Web-standard `bearerAuth` (same modes and options): resolves to the
   * accepted AuthInfo or to the exact Response to return (status,
   * `WWW-Authenticate`, CORS expose header, JSON body), and to `undefined`
   * for a CORS preflight, which carries no credentials.
   */
  webBearerAuth(verifyAccessToken: VerifyAccessTokenFunction, options: OperationsBearerAuthOptions): WebOperationsAuth;
  webBearerAuth(mode: VerifyAccessTokenMode, options: OperationsBearerAuthOptions & VerifyJwtConfig): WebOperationsAuth;
  webBearerAuth(verifiers: readonly CredentialVerifier[], options: OperationsBearerAuthOptions): WebOperationsAuth;
  webBearerAuth(verifyAccessToken: VerifyAccessTokenFunction, options?: BearerAuthOptions): WebBearerAuth;
  webBearerAuth(mode: VerifyAccessTokenMode, options?: BearerAuthOptions & VerifyJwtConfig): WebBearerAuth;
  webBearerAuth(verifiers: readonly CredentialVerifier[], options?: BearerAuthOptions): WebBearerAuth;
  webBearerAuth(
    modeOrVerify: VerifyAccessTokenMode | VerifyAccessTokenFunction | readonly CredentialVerifier[],
    options: BearerAuthOptions & VerifyJwtConfig = {},
  ): WebBearerAuth | WebOperationsAuth {
    const authenticate = this.authenticator(modeOrVerify, options);
    const gate = authenticate.operations;
    return gate === undefined ? createWebBearerAuth(authenticate, options) : createWebOperationsAuth(authenticate, gate, options);
  }

  /**
   * The framework-neutral decision behind `bearerAuth`, for servers that are
   * not Express: call it with the request's method, URL and headers. With
   * `operations`, call its `operations.authenticate(request, body)` instead.
   */
  authenticator(
    modeOrVerify: VerifyAccessTokenMode | VerifyAccessTokenFunction | readonly CredentialVerifier[],
    options: BearerAuthOptions & VerifyJwtConfig = {},
  ): Authenticator {
    if (Array.isArray(modeOrVerify)) return this.#credentialRoute(modeOrVerify, options);
    return this.#authenticatorFor(modeOrVerify as VerifyAccessTokenMode | VerifyAccessTokenFunction, options);
  }

  // Each verifier of the list is its own Authenticator over the route's options;
  // the addon's router picks exactly one per request.
  #credentialRoute(verifiers: readonly CredentialVerifier[], options: BearerAuthOptions): Authenticator {
    assertBearerOptions(options, 'bearerAuth', optionKeys.bearerAuth);
    const { authorizationServers } = this.#target(options.resource, options.scopeHierarchy, options.dpop);
    const configured = authorizationServers.map(getIssuer);
    const issuersOf = (verifier: CredentialVerifier): readonly string[] => {
      if (verifier.mode !== 'jwt' || verifier.issuer === undefined) return configured;
      const issuers = [verifier.issuer].flat();
      const unknown = issuers.find((issuer) => !configured.includes(issuer));
      if (unknown !== undefined) throw invalidConfig(`verifier '${verifier.name ?? 'jwt'}': ${unknown} is not an authorization server of this resource.`);
      return issuers;
    };
    const router = credentialRouter(verifiers, issuersOf);
    const intervals = router.refreshIntervals();
    const members = verifiers.map((verifier, index) => {
      const requiredScopes = verifier.requiredScopes ?? options.requiredScopes;
      if (verifier.mode === 'apiKey') {
        const keys = new ApiKeyVerifier(verifier, intervals[index] ?? 0);
        return { name: verifier.name ?? 'apiKey', authenticator: this.#authenticatorFor(keys.verify, { ...options, requiredScopes }, { apiKey: true }) };
      }
      const { jwtVerify, remoteJwkSet, cache, clientIds } = verifier;
      const claims = clientIds === undefined ? verifier.claims : { ...verifier.claims, clientIds };
      const jwtOptions = { ...options, requiredScopes, jwtVerify, remoteJwkSet, cache, claims };
      return { name: verifier.name ?? 'jwt', authenticator: this.#authenticatorFor('jwt', jwtOptions, { issuers: issuersOf(verifier) }) };
    });
    return routeCredentials(router, members);
  }

  // `only.issuers`: a route member trusting some of the resource's issuers;
  // `only.apiKey`: a member whose identity has no issuer, audience or expiry.
  #authenticatorFor(
    modeOrVerify: VerifyAccessTokenMode | VerifyAccessTokenFunction,
    options: BearerAuthOptions & VerifyJwtConfig,
    only: { issuers?: readonly string[]; apiKey?: true } = {},
  ): Authenticator {
    if ('issuer' in options || 'verifyAccessToken' in options) {
      throw invalidConfig('`issuer` and `verifyAccessToken` cannot be bearerAuth options: trust comes from the configuration.');
    }
    assertBearerOptions(options, 'bearerAuth', optionKeys.bearerAuth);
    const target = this.#target(options.resource, options.scopeHierarchy, options.dpop);
    const { resource, resourceMetadataUrl, scopesSupported, scopeHierarchy, dpop, mtls } = target;
    const authorizationServers = only.issuers === undefined
      ? target.authorizationServers
      : target.authorizationServers.filter((server) => only.issuers!.includes(getIssuer(server)));
    const policy = resolveBearerPolicy(
      { ...options, audience: options.audience ?? options.jwtVerify?.audience },
      resource,
    );
    if (this.#resolved.mode === 'resource' && policy.requiredScopes.length > 0 && !scopesSupported?.length) {
      warnOnce(`bearerAuth requires scopes for ${resource}, but its metadata lists no \`scopesSupported\`.`);
    }

    this.#handedOut = true;
    const listeners = [this.config.onAuthEvent, ...this.#listeners, options.onAuthEvent];
    const events = new AuthEventEmitter();
    listeners.forEach((listener) => events.add(listener));
    listeners.forEach((listener) => dpop?.listen(listener));

    let verifyToken: (token: string) => MaybePromise<AuthInfo>;
    // The native verifiers the addon's decision may call itself, in the same call.
    let nativeVerifiers: NativeVerifiers | undefined;
    let callerChecks: CallerChecks | undefined;
    const acquireJwtVerifier = () =>
      this.#verifiers.acquire(
        {
          authorizationServers,
          audiences: policy.audiences,
          maxTokenLength: policy.maxTokenLength,
          jwtVerify: options.jwtVerify,
          remoteJwkSet: options.remoteJwkSet,
          cache: options.cache,
          claims: options.claims,
        },
        listeners,
      );
    const jwt = (verifier: native.NativeVerifier) => createJwtVerifyFunction(verifier, resource);
    const introspect = () =>
      createIntrospectionVerifyFunction({
        authorizationServers,
        audiences: policy.audiences,
        maxTokenLength: policy.maxTokenLength,
        clockTolerance: options.jwtVerify?.clockTolerance,
        requiredClaims: options.jwtVerify?.requiredClaims,
        claims: options.claims,
        introspection: options.introspection,
        resource,
        events,
      });
    if (modeOrVerify === 'jwt') {
      const verifier = acquireJwtVerifier();
      verifyToken = jwt(verifier);
      nativeVerifiers = { route: 'jwt', verifier };
    } else if (modeOrVerify === 'introspection') {
      const introspection = introspect();
      verifyToken = introspection;
      nativeVerifiers = { route: 'introspection', introspector: introspection.native };
    } else if (modeOrVerify === 'auto') {
      // One definition of a trusted issuer: the JWT verifier's own (templates included).
      const verifier = acquireJwtVerifier();
      const introspection = introspect();
      verifyToken = routeByTokenShape(verifier, jwt(verifier), introspection);
      nativeVerifiers = { route: 'auto', verifier, introspector: introspection.native };
    } else if (only.apiKey) {
      // The key is bound to this route by configuration: nothing to check but the scopes.
      verifyToken = modeOrVerify as VerifyAccessTokenFunction;
      callerChecks = {};
    } else if (typeof modeOrVerify === 'function') {
      ({ verifyToken, callerChecks } = withTokenChecks(modeOrVerify, {
        issuer: authorizationServers.map(getIssuer),
        audiences: policy.audiences,
        verifyTimeout: policy.verifyTimeout,
      }));
    } else {
      throw new TypeError("bearerAuth expects 'jwt', 'introspection', 'auto' or a function that verifies an access token.");
    }

    return createAuthenticator({
      verifyToken: timeVerification(verifyToken, events, resource),
      native: nativeVerifiers,
      resource,
      resourceMetadataUrl,
      requiredScopes: policy.requiredScopes,
      scopeHierarchy,
      dpop,
      mtls,
      claimsMayBeMissing: typeof modeOrVerify === 'function',
      callerChecks,
      showErrorDetails: policy.showErrorDetails,
      maxTokenLength: policy.maxTokenLength,
      events,
      ...(options.operations === undefined ? {} : { operations: options.operations }),
    });
  }

  /**
   * Adds a listener for the auth events of every middleware created after
   * this call, alongside the configuration's `onAuthEvent` (instrumentation
   * such as `mcp-auth-rs/opentelemetry` uses it).
   *
   * @throws {MCPAuthConfigError} once a middleware has been created: it would never hear of it.
   */
  addAuthEventListener(listener: AuthEventListener): void {
    if (this.#handedOut) throw invalidConfig('Add auth event listeners before creating bearerAuth middleware.');
    this.#listeners.push(listener);
  }

  /**
   * An SDK v2 `OAuthTokenVerifier` over the same verification as `bearerAuth`
   * (same modes and options), for servers that put v2's `requireBearerAuth`
   * in front. Second best: see the README for what v2's gate loses. Rejections
   * are v2 `OAuthError`s: `invalid_token` (401), `insufficient_scope` (403),
   * `invalid_request` (400), `server_error` (500; v2's gate has no 503).
   *
   * @throws {MCPAuthConfigError} `missing_sdk` when `@modelcontextprotocol/server` is not installed.
   */
  tokenVerifier(verifyAccessToken: VerifyAccessTokenFunction, options?: BearerAuthOptions): TokenVerifier;
  tokenVerifier(options?: BearerAuthOptions & VerifyJwtConfig): TokenVerifier;
  tokenVerifier(
    modeOrOptions?: VerifyAccessTokenFunction | (BearerAuthOptions & VerifyJwtConfig),
    maybeOptions: BearerAuthOptions = {},
  ): TokenVerifier {
    const sdk = loadSdkV2();
    const custom = typeof modeOrOptions === 'function';
    const options = (custom ? maybeOptions : modeOrOptions) ?? {};
    if (typeof options === 'object' && options !== null && 'operations' in options) {
      throw invalidConfig(
        '`operations` cannot be a tokenVerifier() option: SDK v2\'s requireBearerAuth refuses every request without a token. Put `bearerAuth` with `operations` in front of the MCP endpoint instead.',
      );
    }
    return toTokenVerifier(sdk, this.authenticator(custom ? modeOrOptions : 'jwt', options));
  }

  // Which resource a middleware protects, the authorization servers it trusts, and its scope hierarchy.
  #target(
    resource: string | undefined,
    scopeHierarchy: unknown,
    dpopSetting: unknown,
  ): {
    resource: string | undefined;
    authorizationServers: readonly AuthServerConfig[];
    resourceMetadataUrl: string | undefined;
    scopesSupported?: readonly string[];
    scopeHierarchy: ScopeHierarchy | undefined;
    dpop: DpopGate | undefined;
    mtls?: MtlsConfig;
  } {
    if (this.#resolved.mode === 'legacy') {
      if (resource !== undefined && !URL.canParse(resource)) throw invalidConfig('`resource` must be an absolute URL.');
      if (resource !== undefined) assertCanonicalHost(resource, 'resource');
      return {
        resource,
        authorizationServers: [this.#resolved.server],
        resourceMetadataUrl: resource === undefined ? undefined : protectedResourceMetadataUrl(new URL(resource)).href,
        scopeHierarchy: compileScopeHierarchy(scopeHierarchy),
        dpop: resolveDpop(dpopSetting ?? 'off', resource),
      };
    }
    if (scopeHierarchy !== undefined) {
      throw invalidConfig('With `protectedResources`, set `scopeHierarchy` on the protected resource, not on bearerAuth.');
    }
    if (dpopSetting !== undefined) {
      throw invalidConfig('With `protectedResources`, set `dpop` on the protected resource, not on bearerAuth.');
    }
    if (resource === undefined) {
      throw invalidConfig('bearerAuth needs `resource` (one of the configured protected resources).');
    }
    const protectedResource = this.#resolved.resources.get(resource);
    if (!protectedResource) throw invalidConfig(`bearerAuth: ${resource} is not a configured protected resource.`);
    return {
      resource,
      authorizationServers: protectedResource.authorizationServers,
      resourceMetadataUrl: protectedResource.metadataUrl.href,
      scopesSupported: protectedResource.metadata.scopesSupported,
      scopeHierarchy: protectedResource.scopeHierarchy,
      dpop: protectedResource.dpop,
      mtls: protectedResource.mtls,
    };
  }
}

// A resolved server's document is fixed; a discovered one is fetched on first
// use and kept, while a failed fetch is retried by the next request.
function authServerMetadataBody(server: AuthServerConfig): () => string | Promise<string> {
  if ('metadata' in server) {
    const body = JSON.stringify(snakeCaseKeys(server.metadata));
    return () => body;
  }
  let pending: Promise<string> | undefined;
  return () =>
    (pending ??= native.fetchServerConfig(server.issuer, { type: server.type }).then(
      (config) => JSON.stringify(snakeCaseKeys(config.metadata)),
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    ));
}
