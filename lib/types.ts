// Public types, named as in mcp-auth 0.2 so existing annotations keep compiling,
// and the public option types (DPoP, Redis store, server metadata). Every
// module may import these, so this one imports only types from modules that
// never import it back (architecture.test.mjs checks there is no cycle).

import type { AuthEventListener } from './events.js';
import type { MaybePromise } from './maybe-promise.js';
import type { SharedStore } from './shared-store.js';

export type { MaybePromise } from './maybe-promise.js';

/** Which scopes each broader scope implies, e.g. `{ 'todos:admin': ['todos:read', 'todos:write'] }`. Transitive. */
export type ScopeHierarchy = Readonly<Record<string, readonly string[]>>;

/**
 * Who is calling, as `bearerAuth` puts it on `req.auth`. Structurally the MCP
 * SDK's `AuthInfo` (v1 and v2) plus mcp-auth's fields; it depends on neither
 * SDK, and both SDKs' `AuthInfo` are augmented with the same extra fields
 * (see `types/`), so tools read them from `extra.authInfo` (v1) or
 * `ctx.http.authInfo` (v2).
 */
export interface AuthInfo {
  /** The access token (never logged by this package). */
  token: string;
  /** The token's first present claim of `client_id`, `azp`, `appid`, `cid`; `''` when it has none. */
  clientId: string;
  /** The scopes the token was granted, as it carries them. */
  scopes: string[];
  /** `exp` of the token, in seconds since the epoch. */
  expiresAt?: number;
  /** The protected resource (RFC 8707) this request was accepted for. */
  resource?: URL;
  /**
   * URL of the RFC 9728 metadata document for that resource, exactly as our
   * 401 challenges advertise it; SDK v2's per-operation scope challenges
   * reuse it.
   */
  resourceMetadataUrl?: string;
  extra?: Record<string, unknown>;
  /** `iss` of the verified token. */
  issuer: string;
  /** `sub` of the verified token. */
  subject?: string;
  /** `aud` of the verified token, as the token carries it. */
  audience?: string | string[];
  /** Every claim of the verified token. */
  claims?: Record<string, unknown>;
  /**
   * The granted scopes plus every scope they imply under the resource's
   * `scopeHierarchy` (equal to `scopes` without one). Scope checks use this.
   */
  effectiveScopes?: string[];
  /**
   * On a route with several credential kinds (`bearerAuth([...verifiers])`):
   * the `name` of the verifier that accepted the request. Absent otherwise.
   */
  verifier?: string;
}

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;
/** `T` with its snake_case keys renamed to camelCase. @inline */
type CamelCaseKeys<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

export type AuthServerType = 'oauth' | 'oidc';

/** RFC 8414 / OIDC Discovery document, as served (snake_case). */
export type AuthorizationServerMetadata = {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  response_types_supported: string[];
  jwks_uri?: string;
  registration_endpoint?: string;
  scopes_supported?: string[];
  response_modes_supported?: string[];
  grant_types_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  service_documentation?: string;
  ui_locales_supported?: string[];
  op_policy_uri?: string;
  op_tos_uri?: string;
  revocation_endpoint?: string;
  revocation_endpoint_auth_methods_supported?: string[];
  revocation_endpoint_auth_signing_alg_values_supported?: string[];
  introspection_endpoint?: string;
  introspection_endpoint_auth_methods_supported?: string[];
  introspection_endpoint_auth_signing_alg_values_supported?: string[];
  code_challenge_methods_supported?: string[];
  userinfo_endpoint?: string;
};

/** {@link AuthorizationServerMetadata} with camelCase keys, as `ResolvedAuthServerConfig.metadata` takes it. @useDeclaredType */
export type CamelCaseAuthorizationServerMetadata = CamelCaseKeys<AuthorizationServerMetadata>;

/** RFC 9728 protected resource metadata, as served (snake_case). */
export type ProtectedResourceMetadata = {
  resource: string;
  authorization_servers?: string[];
  jwks_uri?: string;
  scopes_supported?: string[];
  bearer_methods_supported?: string[];
  resource_signing_alg_values_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
  resource_policy_uri?: string;
  resource_tos_uri?: string;
  tls_client_certificate_bound_access_tokens?: boolean;
  authorization_details_types_supported?: string[];
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  signed_metadata?: string;
};

/** {@link ProtectedResourceMetadata} with camelCase keys, as `ResourceServerConfig.metadata` takes it. @useDeclaredType */
export type CamelCaseProtectedResourceMetadata = CamelCaseKeys<ProtectedResourceMetadata>;

/**
 * An authorization server whose metadata is already known (e.g. from
 * `fetchServerConfig`, or written inline).
 *
 * A multi-tenant issuer is written as a template with one `{tenantid}` path
 * segment, e.g. `https://login.microsoftonline.com/{tenantid}/v2.0`: a token
 * is then trusted only when its `iss` is the template with the token's own
 * `tid` claim (a GUID) in place. A template needs `metadata.jwksUri` (it is
 * never discovered), and its keys verify only tokens of that template (C17).
 */
export type ResolvedAuthServerConfig = {
  metadata: CamelCaseAuthorizationServerMetadata;
  type: AuthServerType;
  /**
   * Only with a `{tenantid}` issuer template: the tenant ids (GUIDs, compared
   * case-insensitively) whose tokens are accepted; 1 to 1000 entries. Default:
   * any tenant. The protected-resource metadata then advertises each listed
   * tenant's own issuer in `authorization_servers`; without a list it
   * advertises nothing for the template (it is not an issuer a client can
   * discover). A token of another tenant gets 401 `tenant_not_allowed`.
   */
  tenants?: string[];
};

/** An authorization server discovered lazily, on the first request that needs it. */
export type AuthServerDiscoveryConfig = {
  issuer: string;
  type: AuthServerType;
};

export type AuthServerConfig = ResolvedAuthServerConfig | AuthServerDiscoveryConfig;

/** One protected resource (an MCP server URL) and the authorization servers it trusts. */
export type ResourceServerConfig = {
  metadata: Omit<CamelCaseProtectedResourceMetadata, 'authorizationServers'> & {
    authorizationServers?: AuthServerConfig[];
  };
  /**
   * Which scopes a broader scope implies (transitively), e.g.
   * `{ 'todos:admin': ['todos:read', 'todos:write', 'todos:delete'] }`.
   * Every scope check for this resource honours it. Cycles, non-array values,
   * invalid scopes and `offline_access` are refused at construction.
   */
  scopeHierarchy?: ScopeHierarchy;
  /**
   * DPoP (RFC 9449) for this resource: `'allowed'` (default), `'required'`,
   * `'off'`, or options (README, "DPoP"). The metadata advertises it.
   */
  dpop?: DpopSetting;
  /**
   * RFC 8705 certificate-bound access tokens (`cnf["x5t#S256"]`): where the
   * client certificate is read. Off by default (docs/mtls.md). The metadata
   * then says `tls_client_certificate_bound_access_tokens: true`.
   */
  mtls?: MtlsConfig;
};

/**
 * Where a resource reads the TLS client certificate: the connection (a
 * Node TLS server: Express, Fastify), and/or a header a trusted proxy sets
 * after terminating TLS. Set a header only when every request comes through
 * that proxy and it overwrites the header: anyone else could send it.
 */
export type MtlsConfig = {
  /** The TLS socket's peer certificate. */
  connection?: boolean;
  proxyHeader?: {
    name: string;
    /** `'escaped-pem'`: URL-encoded PEM (nginx `$ssl_client_escaped_cert`); `'xfcc'`: Envoy's `x-forwarded-client-cert` (`Hash=`/`Cert=`). */
    format: 'escaped-pem' | 'xfcc';
  };
};

/** The options both `AuthServerModeConfig` and `ResourceServerModeConfig` take. @inline */
type CommonConfig = {
  /** Observability hook: accepted/rejected requests and JWKS refreshes. Never receives a token. */
  onAuthEvent?: AuthEventListener;
  /** The token-exchange client behind `exchangeToken` (docs/token-exchange.md). */
  tokenExchange?: TokenExchangeConfig;
};

/**
 * How this server trades a caller's token for an upstream one (RFC 8693, or
 * Entra ID's on-behalf-of grant): set once. Times in milliseconds.
 */
export type TokenExchangeConfig = ClientAuthOptions & {
  /** The authorization server; default: the only one configured. Its metadata names the token endpoint. */
  issuer?: string;
  /** How its metadata is discovered: `'oauth'` (default) or `'oidc'`. */
  issuerType?: 'oauth' | 'oidc';
  /** The token endpoint; default: `token_endpoint` from the issuer's metadata. https (http for loopback only). */
  tokenEndpoint?: string;
  /** `'token_exchange'` (RFC 8693, default) or `'on_behalf_of'` (Entra ID: jwt-bearer grant, `scope` only). */
  grant?: 'token_exchange' | 'on_behalf_of';
  /** `aud` of client assertions: `'issuer'` (default with an issuer), `'endpoint'`, or a URL. */
  assertionAudience?: string;
  /** Deadline for one exchange, connect to last byte (default 5000, from 1 to 60000). */
  timeout?: number;
  /** Largest answer read, in bytes (default 65536, from 1024 to 1048576). */
  maxResponseBytes?: number;
  /** Issued tokens kept (default 1000, from 0 to 100000; 0 turns the cache off). */
  cacheSize?: number;
  /** Bytes the cache may hold (default 4194304, from 0 to 268435456; 0 turns it off). */
  cacheMaxBytes?: number;
  /** Stop reusing an issued token this long before `expires_in` runs out (default 30000, from 0 to 3600000). */
  expiryMargin?: number;
  /**
   * A store the fleet shares (e.g. `redisStore(client)`): one token-endpoint call per exchange for all
   * processes. Records hold the issued token encrypted (AES-256-GCM) and signed, kept no longer than the
   * local cache keeps them; while the store is down each process exchanges on its own.
   */
  store?: SharedStore;
  /**
   * Required with `store`: the fleet's shared secret (a string or Uint8Array of at least 32 bytes), the same
   * for every process; it signs the records and the encryption key is derived from it. Never logged.
   */
  storeSecret?: string | Uint8Array;
  /** Deadline for one store operation (default 250, from 1 to 60000). */
  storeTimeout?: number;
};

/** What one `exchangeToken` call asks for. */
export type TokenExchangeParams = {
  /** RFC 8693 `audience`: the upstream service's logical name(s). */
  audience?: string | string[];
  /** RFC 8707 `resource`: absolute URI(s) of the upstream API, without fragment. */
  resource?: string | string[];
  /** The narrowed scope: a space-separated string or a list (required with `on_behalf_of`). */
  scope?: string | string[];
  /** RFC 8693 `requested_token_type` (a URI); the answer must then be of that type. */
  requestedTokenType?: string;
};

/** The token to call upstream with. */
export type ExchangedToken = {
  accessToken: string;
  /** Usually `Bearer`; `N_A` for a token that is not an access token. */
  tokenType: string;
  issuedTokenType: string;
  /** Seconds; absent when the server did not say (such a token is not cached). */
  expiresIn?: number;
  /** The granted scope, when the server named it. */
  scope?: string;
};

/** @deprecated Use `ResourceServerModeConfig`. */
export type AuthServerModeConfig = CommonConfig & { server: AuthServerConfig };

export type ResourceServerModeConfig = CommonConfig & {
  protectedResources: ResourceServerConfig | ResourceServerConfig[];
};

export type MCPAuthConfig = AuthServerModeConfig | ResourceServerModeConfig;

/**
 * `'jwt'`: local JWT checks. `'introspection'`: every token is asked about at
 * the authorization server's RFC 7662 endpoint. `'auto'`: a JWT from a
 * trusted issuer is checked locally (that verdict is final), anything else is
 * introspected.
 */
export type VerifyAccessTokenMode = 'jwt' | 'introspection' | 'auto';

export type VerifyAccessTokenFunction = (token: string) => MaybePromise<AuthInfo>;

/** Throws when `tokenIssuer` is not trusted. */
/**
 * Judges a token's issuer: throwing, or returning `false`, means untrusted;
 * any other return means trusted. It must be synchronous (a returned promise
 * is treated as untrusted).
 */
export type ValidateIssuerFunction = (tokenIssuer: string) => void | boolean;

export type BearerAuthConfig = {
  verifyAccessToken: VerifyAccessTokenFunction;
  issuer: string | ValidateIssuerFunction;
  /**
   * Accepted `aud` value(s). In `protectedResources` mode this defaults to the
   * resource; `false` turns the audience check off (not recommended).
   */
  audience?: string | string[] | false;
  /** Every one of these scopes must be granted, otherwise 403 insufficient_scope. */
  requiredScopes?: string[];
  /**
   * Scope hierarchy for `handleBearerAuth` and the deprecated `server` mode;
   * with `protectedResources`, set it on the resource instead.
   */
  scopeHierarchy?: ScopeHierarchy;
  /** The protected resource (its `metadata.resource`); names the PRM URL in challenges. */
  resource?: string;
  /** Adds a `cause` to JSON error bodies. Never includes the token or its claims. */
  showErrorDetails?: boolean;
  /** Remove `Authorization` from the request before the next handler runs. */
  stripAuthorizationHeader?: boolean;
  /**
   * DPoP for `handleBearerAuth` and the deprecated `server` mode (default
   * off there; it needs `resource`). With `protectedResources`, set it on the resource.
   */
  dpop?: DpopSetting;
  /** Longest accepted token, in bytes; longer ones get 401 invalid_token. Default 8192. */
  maxTokenLength?: number;
  /**
   * Custom verifier only: milliseconds a verify function may take before the
   * request gets 503 + Retry-After. Default 10000, from 1 to 300000.
   */
  verifyTimeout?: number;
  onAuthEvent?: AuthEventListener;
};

/** JWT checks, under jose's option names. */
export type JwtVerifyOptions = {
  algorithms?: string[];
  /** Leeway for exp/nbf/iat, in seconds or as a duration string such as '30s'. */
  clockTolerance?: number | string;
  maxTokenAge?: number | string;
  requiredClaims?: string[];
  typ?: string;
  /** Accepted audience(s), used when `audience` is not given. */
  audience?: string | string[];
  /** Narrows the trusted issuers to these (they must be configured authorization servers). */
  issuer?: string | string[];
};

/** JWKS fetching, under jose's option names (milliseconds). */
export type RemoteJwkSetOptions = {
  timeoutDuration?: number;
  cooldownDuration?: number;
  cacheMaxAge?: number;
};

/** Caching beyond jose's options (all times in milliseconds). */
export type VerifierCacheOptions = {
  /** How long past `cacheMaxAge` the last good key set is used while refreshes fail (default 1 h). */
  staleMaxAge?: number;
  /** Verified-token cache entries (default 4096; 0 turns it off). */
  tokenCacheSize?: number;
  /** Longest time a verified token is served from the cache (default 5 min). */
  tokenCacheMaxAge?: number;
  /** Largest metadata or key-set response accepted, in bytes (default 1 MiB). */
  maxResponseBytes?: number;
};

/**
 * Which claims name the token's scopes and client, and claims that must hold
 * an exact value. General options the provider recipes combine
 * (docs/providers.md); the addon validates them at setup.
 */
export type ClaimOptions = {
  /**
   * Claims whose scopes are granted, all of them, in order (duplicates
   * dropped): a string is split on spaces, an array of strings taken as is,
   * any other shape gets 401 `invalid_claim`. 1 to 32 distinct names, e.g.
   * `['scp', 'roles']` (Entra ID) or `['permissions']` (Auth0). Default: the
   * first of `scope`, `scopes`, `scp` present.
   */
  scopeClaims?: string[];
  /**
   * Clients whose tokens are accepted, compared exactly; 1 to 1000 ids.
   * The token's client is its first present claim of `client_id` (RFC 9068),
   * `azp`, `appid` (Entra ID v1), `cid` (Okta); none → 401 `missing_claim`,
   * another → 401 `client_not_allowed`. Default: any client.
   */
  clientIds?: string[];
  /**
   * Claims that must equal these strings exactly, e.g. `{ token_use: 'access' }`
   * (Cognito); at most 32. Absent → 401 `missing_claim`, another value or
   * type → 401 `invalid_claim`. Default: none.
   */
  requiredClaimValues?: Record<string, string>;
};

/**
 * How this server authenticates at its authorization server's endpoints, as
 * `introspection` and `tokenExchange` both take it.
 */
export type ClientAuthOptions = {
  /** This server's client id at the authorization server (required). */
  clientId: string;
  /** For `client_secret_basic` / `client_secret_post`. Never logged nor echoed. */
  clientSecret?: string;
  /** Default `client_secret_basic`, or `private_key_jwt` when `privateKey` is given. */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** `private_key_jwt` key: PKCS#8 PEM, a private JWK, or a private KeyObject. */
  privateKey?: string | import('node:crypto').JsonWebKey | import('node:crypto').KeyObject;
  /** Assertion algorithm (asymmetric only); default from the key: RS256, ES256, ES384 or EdDSA. */
  signingAlgorithm?: string;
  /** `kid` header of client assertions. */
  keyId?: string;
};

/** RFC 7662 token introspection ('introspection' and 'auto' modes). Times in milliseconds. */
export type IntrospectionOptions = ClientAuthOptions & {
  /** The authorization server asked; default: the only one configured (required when several are). */
  issuer?: string;
  /** The endpoint; default: `introspection_endpoint` from the issuer's metadata. https (http for loopback only). */
  endpoint?: string;
  /**
   * `aud` of client assertions: `'issuer'` (default; oidc-provider, Keycloak),
   * `'endpoint'` (the introspection URL; Okta), or an explicit URL.
   */
  assertionAudience?: string;
  /** Deadline for one endpoint call (default 5000, from 1 to 60000). */
  timeout?: number;
  /** Longest an active verdict is reused, also bounded by `exp` (default 60000, from 0 to 86400000; 0: ask every time). */
  cacheMaxAge?: number;
  /** How long an inactive verdict is reused (default 10000, from 0 to 86400000). */
  negativeCacheTtl?: number;
  /** Local cache entries (default 4096, from 0 to 1000000; 0 turns the cache off). */
  cacheSize?: number;
  /** Largest response read, in bytes (default 65536, from 1024 to 1048576). */
  maxResponseBytes?: number;
  /**
   * Accept an active answer without `aud` although an audience is configured.
   * Dangerous: a token issued for another resource is then accepted here. Default false.
   */
  acceptMissingAudience?: boolean;
  /** A store the fleet shares (e.g. `redisStore(client)`): one endpoint call per token for all processes. */
  store?: SharedStore;
  /**
   * Required with `store`: the fleet's shared secret (a string or Uint8Array of at least 32 bytes),
   * the key of the HMAC-SHA256 that signs every record. A record it does not verify is a miss.
   */
  storeSecret?: string | Uint8Array;
  /** Deadline for one store operation (default 250, from 1 to 60000). */
  storeTimeout?: number;
};

export type VerifyJwtConfig = {
  jwtVerify?: JwtVerifyOptions;
  /** Claim rules beyond jose's (see `ClaimOptions`). */
  claims?: ClaimOptions;
  remoteJwkSet?: RemoteJwkSetOptions;
  cache?: VerifierCacheOptions;
  introspection?: IntrospectionOptions;
};

export type AuthServerSuccessCode =
  | 'server_metadata_valid'
  | 'dynamic_registration_supported'
  | 'pkce_supported'
  | 's256_code_challenge_method_supported'
  | 'authorization_code_grant_supported'
  | 'code_response_type_supported';

export type AuthServerSuccess = { code: AuthServerSuccessCode; description: string };

export type AuthServerConfigErrorCode =
  | 'invalid_server_metadata'
  | 'code_response_type_not_supported'
  | 'authorization_code_grant_not_supported'
  | 'pkce_not_supported'
  | 's256_code_challenge_method_not_supported';

export type AuthServerConfigError = { code: AuthServerConfigErrorCode; description: string; cause?: unknown };

export type AuthServerConfigWarningCode = 'dynamic_registration_not_supported';

export type AuthServerConfigWarning = { code: AuthServerConfigWarningCode; description: string };

export type AuthServerConfigValidationResult =
  | { isValid: true; warnings: AuthServerConfigWarning[] }
  | { isValid: false; errors: AuthServerConfigError[]; warnings: AuthServerConfigWarning[] };

export type ServerMetadataConfig = {
  type: AuthServerType;
  /**
   * Rewrites the raw (snake_case) document before it is validated, e.g. to
   * patch a non-conforming server. May be async; returning nothing keeps the
   * document as fetched.
   */
  transpileData?: (data: object) => MaybePromise<AuthorizationServerMetadata | Record<string, unknown> | undefined>;
};

export type DpopMode = 'off' | 'allowed' | 'required';

/** DPoP for a protected resource. Times in seconds unless named otherwise. */
export type DpopOptions = {
  /**
   * `'allowed'` (default): `Bearer` and `DPoP` tokens are both accepted, a
   * DPoP-bound token only with its proof. `'required'`: only `DPoP`.
   * `'off'`: only `Bearer`. A DPoP-bound token presented as `Bearer` is refused in every mode.
   */
  mode?: DpopMode;
  /** Accepted proof algorithms (asymmetric only); default every algorithm of the addon's table. */
  algorithms?: string[];
  /** Largest accepted difference between a proof's `iat` and now (default 300, from 1 to 3600). */
  iatWindow?: number;
  /**
   * Require server nonces (RFC 9449 §8): `true`, or `{ secret, lifetime }`. `secret` (at least
   * 32 bytes) lets a fleet accept each other's nonces (default: random per process);
   * `lifetime` is the rotation slot (default 300, from 10 to 86400; a nonce lives one to two slots).
   */
  nonce?: boolean | { secret?: string; lifetime?: number };
  /** Proofs the in-process replay cache holds (default 100000, from 1 to 10000000). */
  replayCacheSize?: number;
  /**
   * Of those, how many one key (`cnf.jkt`) may hold at once (default a tenth of
   * `replayCacheSize`, rounded up; from 1 to `replayCacheSize`); a tenth of this
   * share, rounded up, may be proofs dated more than 5 s ahead. Over it: 503 + Retry-After.
   */
  replayCachePerKey?: number;
  /**
   * A store the fleet shares (e.g. `redisStore(client)`): a proof used at one process is a replay at the others.
   * Needs no secret: it holds existence markers only, which can refuse a proof but never accept one.
   */
  store?: SharedStore;
  /** Deadline for one store operation, in milliseconds (default 250, from 1 to 60000). */
  storeTimeout?: number;
};

export type DpopSetting = DpopMode | DpopOptions;

export interface RedisStoreOptions {
  /** Prepended to every key, so several applications can share one Redis (default `mcp-auth-rs:`). */
  prefix?: string;
}

export interface RedisUrlStoreOptions extends RedisStoreOptions {
  /**
   * The server: `redis://[user[:password]@]host[:port][/db]`, `rediss://…`
   * (TLS, the certificate checked against the system's roots) or
   * `redis+unix:///path/to/socket?db=N&user=…&pass=…`. The client speaks
   * RESP3 (Redis 6 and later); add `?protocol=resp2` for an older server.
   * Errors show it without user, password or query.
   */
  url: string;
  /** Milliseconds one connection attempt may take, TLS and authentication included (default 1000, 1 to 60000). */
  connectTimeout?: number;
  /**
   * Milliseconds a command may wait for its reply; past it the command fails
   * and the connection is replaced (default 200, 1 to 60000). Keep it below
   * `storeTimeout` (default 250) so that the client notices a hung server.
   */
  responseTimeout?: number;
  /** Longest wait in milliseconds between connection attempts while Redis is unreachable; waits start at 100 and double (default 5000, 100 to 300000). */
  reconnectMaxDelay?: number;
  /** Commands that may await a reply at once; more fail at once rather than queue (default 1000, 1 to 100000). */
  maxInFlight?: number;
}

/** One stored API key: the hash of the key (never the key) and the fixed identity it stands for. */
export type ApiKeyEntry = {
  /** `sha256:` and the base64url SHA-256 of the key: `hashApiKey(key)`. */
  hash: string;
  /** AuthInfo `subject`. */
  subject: string;
  /** AuthInfo `clientId` (default `''`). */
  clientId?: string;
  /** AuthInfo `scopes` (default none). */
  scopes?: string[];
};

/** A 'jwt' verifier on a route with several credential kinds. */
export type JwtVerifierConfig = Pick<BearerAuthConfig, 'requiredScopes'> &
  Pick<VerifyJwtConfig, 'jwtVerify' | 'claims' | 'remoteJwkSet' | 'cache'> & {
    mode: 'jwt';
    /** Reported as AuthInfo `verifier`; default `'jwt'`. Names must be distinct. */
    name?: string;
    /** The issuers whose tokens this verifier judges (each configured for the resource); default: all of them. */
    issuer?: string | string[];
    /** Shorthand for `claims.clientIds`: only these clients' tokens are accepted. */
    clientIds?: string[];
  };

/** An 'apiKey' verifier: static keys, compared by hash in constant time. */
export type ApiKeyVerifierConfig = Pick<BearerAuthConfig, 'requiredScopes'> & {
  mode: 'apiKey';
  /** Reported as AuthInfo `verifier`; default `'apiKey'`. */
  name?: string;
  /** Tokens starting with it are API keys (e.g. `'mcpk_'`); without one, any token not shaped as a JWT. */
  prefix?: string;
  /** The keys, fixed. Exactly one of `keys` and `loadKeys`. */
  keys?: ApiKeyEntry[];
  /** Reads the keys (e.g. from a secret store) before the first request and again every `refreshInterval`. */
  loadKeys?: () => ApiKeyEntry[] | Promise<ApiKeyEntry[]>;
  /** Milliseconds between reads of `loadKeys`: 1000 to 86400000, default 300000 (5 min). */
  refreshInterval?: number;
};

/** One verifier of `bearerAuth([...])`: the first whose kind matches a token judges it. */
export type CredentialVerifier = JwtVerifierConfig | ApiKeyVerifierConfig;
