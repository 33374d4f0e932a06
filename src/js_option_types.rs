//! The TypeScript shapes of the options the constructors take, for
//! `index.d.ts` only: nothing here is built or read in Rust. The core's serde
//! definitions (`mcp_auth_core::options`) are what is enforced; they refuse
//! any key these would allow but the core does not know.

// Declarations only: napi emits their types, Rust never constructs them.
#![allow(dead_code)]

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use serde_json::Value;
use std::collections::HashMap;

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct TrustedIssuerOptions {
    pub issuer: String,
    /// The issuer's JWKS URL; without it the metadata is discovered on first use.
    pub jwks_uri: Option<String>,
    /// How to discover metadata when `jwksUri` is absent (default `oauth`).
    #[napi(ts_type = "'oidc' | 'oauth'")]
    pub r#type: Option<String>,
    /// With a `{tenantid}` issuer template: the tenant GUIDs accepted (default any).
    pub tenants: Option<Vec<String>>,
}

/// jose `jwtVerify` option names, as mcp-auth passes them.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct JwtVerifyOptions {
    pub algorithms: Option<Vec<String>>,
    #[napi(ts_type = "number | string")]
    pub clock_tolerance: Option<Either<f64, String>>,
    #[napi(ts_type = "number | string")]
    pub max_token_age: Option<Either<f64, String>>,
    pub required_claims: Option<Vec<String>>,
    pub typ: Option<String>,
}

/// jose `createRemoteJWKSet` option names, in milliseconds.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct RemoteJwkSetOptions {
    pub timeout_duration: Option<f64>,
    pub cooldown_duration: Option<f64>,
    pub cache_max_age: Option<f64>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct VerifierOptions {
    pub issuers: Vec<TrustedIssuerOptions>,
    /// Instead of `issuers`: one key set whose signatures are trusted for
    /// tokens of any `iss` (mcpauth's `create_verify_jwt`); the caller must
    /// check the issuer of what it accepts.
    pub any_issuer_jwks_uri: Option<String>,
    /// Accepted `aud` values; URLs compare with scheme and host case-insensitive.
    pub audiences: Option<Vec<String>>,
    /// Explicitly skip the audience check (not recommended).
    pub allow_any_audience: Option<bool>,
    pub algorithms: Option<Vec<String>>,
    /// Leeway for `exp`, `nbf` and `iat` (default 30 s, at most 300 s).
    #[napi(ts_type = "number | string")]
    pub clock_tolerance: Option<Either<f64, String>>,
    #[napi(ts_type = "number | string")]
    pub max_token_age: Option<Either<f64, String>>,
    pub required_claims: Option<Vec<String>>,
    /// Require this `typ` header, e.g. `at+jwt` (RFC 9068).
    pub typ: Option<String>,
    /// Longest token accepted, in bytes (default 8192).
    pub max_token_length: Option<f64>,
    /// How long past its max age a key set is still used while refreshes fail (ms, default 1 h).
    pub stale_max_age: Option<f64>,
    /// Largest metadata or key-set response accepted (bytes, default 1 MiB).
    pub max_response_bytes: Option<f64>,
    /// Verified-token cache entries (default 4096; 0 turns the cache off).
    pub token_cache_size: Option<f64>,
    /// Longest time a verified token is served from the cache (ms, default 5 min).
    pub token_cache_max_age: Option<f64>,
    pub jwt_verify: Option<JwtVerifyOptions>,
    pub remote_jwk_set: Option<RemoteJwkSetOptions>,
    /// Claims read for scopes, all of them (default: the first of `scope`, `scopes`, `scp`).
    pub scope_claims: Option<Vec<String>>,
    /// Clients (`client_id`, else `azp`, `appid`, `cid`) whose tokens are accepted (default any).
    pub client_ids: Option<Vec<String>>,
    /// Claims that must equal these strings exactly.
    pub required_claim_values: Option<HashMap<String, String>>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct IntrospectorOptions {
    /// The trusted authorization server whose endpoint is called.
    pub issuer: String,
    /// How to discover its metadata when `endpoint` is absent (default `oauth`).
    #[napi(ts_type = "'oidc' | 'oauth'")]
    pub issuer_type: Option<String>,
    /// The introspection endpoint; default: the metadata's `introspection_endpoint`.
    pub endpoint: Option<String>,
    /// The issuer's `introspection_endpoint` from metadata already held: used
    /// when `endpoint` is absent, instead of discovering it (same fleet scope).
    pub metadata_endpoint: Option<String>,
    pub audiences: Option<Vec<String>>,
    pub allow_any_audience: Option<bool>,
    /// Accept an active response without `aud` (dangerous: see the README).
    pub accept_missing_audience: Option<bool>,
    #[napi(ts_type = "number | string")]
    pub clock_tolerance: Option<Either<f64, String>>,
    pub required_claims: Option<Vec<String>>,
    /// The claim options of `'jwt'` mode, applied to the response (`claim_policy.rs`).
    pub scope_claims: Option<Vec<String>>,
    pub client_ids: Option<Vec<String>>,
    pub required_claim_values: Option<HashMap<String, String>>,
    pub max_token_length: Option<f64>,
    pub client_id: String,
    pub client_secret: Option<String>,
    #[napi(ts_type = "'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'")]
    pub client_auth_method: Option<String>,
    /// PKCS#8 PEM (the wrapper converts JWKs and KeyObjects).
    pub private_key: Option<String>,
    pub signing_algorithm: Option<String>,
    pub key_id: Option<String>,
    /// `aud` of a client assertion: `issuer` (default), `endpoint`, or a URL.
    pub assertion_audience: Option<String>,
    /// ms, default 5000, 1..=60000.
    pub timeout: Option<f64>,
    /// ms, default 60000, 0..=86400000.
    pub cache_max_age: Option<f64>,
    /// ms, default 10000, 0..=86400000.
    pub negative_cache_ttl: Option<f64>,
    /// entries, default 4096, 0..=1000000.
    pub cache_size: Option<f64>,
    /// bytes, default 65536, 1024..=1048576.
    pub max_response_bytes: Option<f64>,
    /// With a fleet store: one operation's deadline in ms (default 250, 1 to 60000).
    pub store_timeout: Option<f64>,
}

/// `tokenExchange` (RFC 8693, or Entra ID's on-behalf-of): the token
/// endpoint and how this server authenticates to it, set once.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct TokenExchangeOptions {
    /// The authorization server: where `tokenEndpoint` is discovered, and the default assertion `aud`.
    pub issuer: Option<String>,
    #[napi(ts_type = "'oidc' | 'oauth'")]
    pub issuer_type: Option<String>,
    /// Default: the issuer metadata's `token_endpoint`.
    pub token_endpoint: Option<String>,
    /// `token_exchange` (RFC 8693, default) or `on_behalf_of` (Entra ID's jwt-bearer grant).
    #[napi(ts_type = "'token_exchange' | 'on_behalf_of'")]
    pub grant: Option<String>,
    pub client_id: String,
    pub client_secret: Option<String>,
    #[napi(ts_type = "'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'")]
    pub client_auth_method: Option<String>,
    /// PKCS#8 PEM (the wrapper converts JWKs and KeyObjects).
    pub private_key: Option<String>,
    pub signing_algorithm: Option<String>,
    pub key_id: Option<String>,
    /// `aud` of a client assertion: `issuer` (default with an issuer), `endpoint`, or a URL.
    pub assertion_audience: Option<String>,
    /// ms, default 5000, 1..=60000.
    pub timeout: Option<f64>,
    /// bytes, default 65536, 1024..=1048576.
    pub max_response_bytes: Option<f64>,
    /// entries, default 1000, 0..=100000 (0: no cache).
    pub cache_size: Option<f64>,
    /// bytes, default 4194304, 0..=268435456 (0: no cache).
    pub cache_max_bytes: Option<f64>,
    /// ms, default 30000, 0..=3600000: stop reusing an issued token this long before it expires.
    pub expiry_margin: Option<f64>,
    /// With a fleet store: one operation's deadline in ms (default 250, 1 to 60000).
    pub store_timeout: Option<f64>,
}

/// One exchange's target (`exchangeToken(authInfo, params)`).
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ExchangeParams {
    /// RFC 8693 `audience`: the target service's logical name(s).
    #[napi(ts_type = "string | string[]")]
    pub audience: Option<Either<String, Vec<String>>>,
    /// RFC 8707 `resource`: absolute URI(s) of the target API, no fragment.
    #[napi(ts_type = "string | string[]")]
    pub resource: Option<Either<String, Vec<String>>>,
    /// The narrowed scope: a space-separated string or a list.
    #[napi(ts_type = "string | string[]")]
    pub scope: Option<Either<String, Vec<String>>>,
    /// RFC 8693 `requested_token_type` (a URI); default: the server's choice.
    pub requested_token_type: Option<String>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct DpopOptions {
    /// The configured resource URL: its origin plus the request path is the expected `htu`.
    pub resource: String,
    #[napi(ts_type = "'off' | 'allowed' | 'required'")]
    pub mode: Option<String>,
    /// Accepted proof algorithms (default: every asymmetric algorithm of the table).
    pub algorithms: Option<Vec<String>>,
    /// Largest accepted |now − iat|, in seconds (default 300, 1 to 3600).
    pub iat_window: Option<f64>,
    /// Require server nonces (default false).
    pub nonce: Option<bool>,
    /// HMAC secret shared by a fleet (at least 32 bytes); default: random per process.
    pub nonce_secret: Option<String>,
    /// Seconds per nonce slot (default 300, 10 to 86400); a nonce lives one to two slots.
    pub nonce_lifetime: Option<f64>,
    /// Proofs the in-process replay cache holds (default 100000, 1 to 10000000).
    pub replay_cache_size: Option<f64>,
    /// Of those, how many one key (`cnf.jkt`) may hold (default a tenth of
    /// the cache, rounded up; 1 to `replayCacheSize`). A tenth of this share,
    /// rounded up, may be proofs dated more than 5 s ahead.
    pub replay_cache_per_key: Option<f64>,
    /// With a fleet store: one operation's deadline in ms (default 250, 1 to 60000).
    pub store_timeout: Option<f64>,
}

/// The core's Redis store (`NativeStore.redis`); checked by
/// `mcp_auth_core::options::redis_store`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeRedisStoreOptions {
    /// `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS) or
    /// `redis+unix:///path?db=N&pass=…`; `?protocol=resp2` for Redis before 6.
    pub url: String,
    /// Prepended to every key (default `mcp-auth-rs:`, at most 1024 bytes).
    pub prefix: Option<String>,
    /// ms, default 1000, 1..=60000: one connection attempt.
    pub connect_timeout: Option<f64>,
    /// ms, default 200, 1..=60000: one command's reply.
    pub response_timeout: Option<f64>,
    /// ms, default 5000, 100..=300000: longest wait between reconnection attempts.
    pub reconnect_max_delay: Option<f64>,
    /// commands, default 1000, 1..=100000: awaiting a reply at once.
    pub max_in_flight: Option<f64>,
}

/// The DPoP members a metadata document reports.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct DpopAdvertOptions {
    /// `dpop: 'required'`.
    pub required: bool,
    /// The proof algorithms the checker accepts.
    pub algorithms: Vec<String>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct MetadataDocumentOptions {
    /// The resource's `metadata` option as JSON text, members in the
    /// option's order; `authorizationServers` as `{ issuer, tenants? }`.
    pub metadata: String,
    /// Absent when DPoP is off for the resource.
    pub dpop: Option<DpopAdvertOptions>,
    /// The resource checks certificate-bound tokens (RFC 8705): advertise it.
    pub mtls: Option<bool>,
}

/// The limits every bearer middleware shares (the core reads them as loose
/// JSON, each by its own rule, so no struct mirrors this one).
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct BearerLimitsOptions {
    /// The accepted audiences, or `false` for any.
    #[napi(ts_type = "readonly unknown[] | false")]
    pub audiences: Value,
    /// Longest token accepted, in bytes (default 8192).
    #[napi(ts_type = "unknown")]
    pub max_token_length: Option<Value>,
}

/// One implied scope: the string, or how JavaScript prints anything else.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ImpliedScope {
    pub scope: Option<String>,
    pub printed: Option<String>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct HierarchyEntry {
    pub scope: String,
    /// Absent when the value is not an array.
    pub implies: Option<Vec<ImpliedScope>>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ScopeHierarchyOptions {
    /// How messages name the option.
    pub option: String,
    /// The object's entries in key order; absent when it is not an object.
    pub entries: Option<Vec<HierarchyEntry>>,
}

/// One verifier of a route's ordered list, as the router sees it.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct VerifierKindOptions {
    pub name: String,
    /// `'jwt'` or `'apiKey'`.
    pub kind: String,
    pub issuers: Option<Vec<String>>,
    pub prefix: Option<String>,
    /// Milliseconds between reads of an API-key loader (1000 to 86400000; default 300000).
    #[napi(ts_type = "unknown")]
    pub refresh_interval: Option<Value>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct CredentialKindsOptions {
    pub verifiers: Vec<VerifierKindOptions>,
}

/// One stored API key: the hash (`sha256:<base64url>`, see `hashApiKey`) and its fixed identity.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ApiKeyEntry {
    pub hash: String,
    pub subject: String,
    pub client_id: Option<String>,
    pub scopes: Option<Vec<String>>,
}

#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ApiKeysOptions {
    pub keys: Vec<ApiKeyEntry>,
}

/// Per-tool authorization: which MCP operations are public and what each
/// protected one needs. A requirement is `'public'` (no token needed; a
/// presented one is still verified), `'protected'` (a valid token with the
/// route's `requiredScopes`) or scopes (the route's and these).
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct OperationsOptions {
    /// `tools/call` by `params.name`.
    #[napi(ts_type = "Record<string, 'public' | 'protected' | Array<string>>")]
    pub tools: Option<HashMap<String, Value>>,
    /// `prompts/get` by `params.name`.
    #[napi(ts_type = "Record<string, 'public' | 'protected' | Array<string>>")]
    pub prompts: Option<HashMap<String, Value>>,
    /// `resources/read|subscribe|unsubscribe` by `params.uri`: an exact key, or a key ending in `*` (a prefix; the longest wins, exact keys first).
    #[napi(ts_type = "Record<string, 'public' | 'protected' | Array<string>>")]
    pub resources: Option<HashMap<String, Value>>,
    /// Any JSON-RPC method; overrides every other rule for that method.
    #[napi(ts_type = "Record<string, 'public' | 'protected' | Array<string>>")]
    pub methods: Option<HashMap<String, Value>>,
    /// The discovery and session methods (default `'public'`); requests without a body follow `initialize`.
    #[napi(ts_type = "'public' | 'protected' | Array<string>")]
    pub discovery: Option<Value>,
    /// Anything not listed (default `'protected'`).
    #[napi(ts_type = "'public' | 'protected' | Array<string>")]
    pub default: Option<Value>,
    /// How a refused `tools/call` is answered: HTTP 401/403 (default) or a JSON-RPC tool error result.
    #[napi(ts_type = "'http' | 'tool-result'")]
    pub signal: Option<String>,
    /// Largest body read, in bytes (default 4194304, 1024 to 67108864).
    pub max_body_bytes: Option<f64>,
}

// The shapes above are written for `index.d.ts`; the core's serde structs are
// the definition. This test fails when a shape's fields differ from its
// struct's, so the two cannot drift.
#[cfg(test)]
mod tests {
    use mcp_auth_core::exchange::request;
    use mcp_auth_core::options::{
        credentials, dpop, introspection, metadata, operations, redis_store, scopes,
        token_exchange, verifier,
    };
    use serde::de::{self, Deserialize, Deserializer, Visitor};

    /// The field names a serde struct declares (as they are spelled in JSON).
    fn fields_of<'de, T: Deserialize<'de>>() -> Vec<String> {
        struct Capture(Vec<String>);
        impl<'de> Deserializer<'de> for &mut Capture {
            type Error = de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0 = fields.iter().map(|f| (*f).to_owned()).collect();
                Err(de::Error::custom("captured"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str string bytes byte_buf
                option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut capture = Capture(Vec::new());
        let _ = T::deserialize(&mut capture);
        let mut names = capture.0;
        names.sort();
        names
    }

    /// The fields of `pub struct name` in this file, camelCased as napi declares them.
    fn declared(name: &str) -> Vec<String> {
        let source = include_str!("js_option_types.rs");
        let start = source
            .find(&format!("pub struct {name} {{"))
            .unwrap_or_else(|| panic!("{name} is not declared"));
        let body = &source[start..start + source[start..].find("\n}").unwrap()];
        let mut names: Vec<String> = body
            .lines()
            .filter_map(|line| line.trim().strip_prefix("pub ")?.split_once(':'))
            .map(|(field, _)| camel_case(field.trim_start_matches("r#")))
            .collect();
        names.sort();
        names
    }

    fn camel_case(field: &str) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in field.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn every_declared_shape_has_the_core_struct_fields() {
        let pairs: [(&str, Vec<String>); 19] = [
            (
                "VerifierKindOptions",
                fields_of::<credentials::VerifierKindOptions>(),
            ),
            (
                "CredentialKindsOptions",
                fields_of::<credentials::CredentialKindsOptions>(),
            ),
            ("ApiKeyEntry", fields_of::<credentials::ApiKeyEntry>()),
            ("ApiKeysOptions", fields_of::<credentials::ApiKeysOptions>()),
            (
                "TrustedIssuerOptions",
                fields_of::<verifier::TrustedIssuerOptions>(),
            ),
            (
                "JwtVerifyOptions",
                fields_of::<verifier::JwtVerifyOptions>(),
            ),
            (
                "RemoteJwkSetOptions",
                fields_of::<verifier::RemoteJwkSetOptions>(),
            ),
            ("VerifierOptions", fields_of::<verifier::VerifierOptions>()),
            (
                "IntrospectorOptions",
                fields_of::<introspection::IntrospectorOptions>(),
            ),
            ("DpopOptions", fields_of::<dpop::DpopOptions>()),
            (
                "TokenExchangeOptions",
                fields_of::<token_exchange::TokenExchangeOptions>(),
            ),
            ("ExchangeParams", fields_of::<request::ExchangeParams>()),
            (
                "NativeRedisStoreOptions",
                fields_of::<redis_store::RedisStoreOptions>(),
            ),
            (
                "DpopAdvertOptions",
                fields_of::<metadata::DpopAdvertOptions>(),
            ),
            (
                "MetadataDocumentOptions",
                fields_of::<metadata::MetadataDocumentOptions>(),
            ),
            ("ImpliedScope", fields_of::<scopes::ImpliedScope>()),
            (
                "OperationsOptions",
                fields_of::<operations::OperationsOptions>(),
            ),
            ("HierarchyEntry", fields_of::<scopes::HierarchyEntry>()),
            (
                "ScopeHierarchyOptions",
                fields_of::<scopes::ScopeHierarchyOptions>(),
            ),
        ];
        for (name, core) in pairs {
            assert!(!core.is_empty(), "{name}: no fields captured");
            assert_eq!(declared(name), core, "{name}");
        }
    }
}
