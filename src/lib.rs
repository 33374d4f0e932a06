//! mcp-auth-rs: OAuth 2.1 resource-server token verification for MCP servers.
//!
//! The logic lives in the binding-free core (`crates/mcp-auth-core`); this
//! crate is only the napi surface JavaScript calls into. Every error reaching
//! JavaScript is an `Error` with a stable `code` (see the core's `error.rs`),
//! and no Rust panic crosses the boundary.

mod completion;
mod js_error;
mod js_fleet;
mod js_json;
mod js_option_types;
mod js_options;
mod js_outcome;
mod js_store;
mod js_text;
mod napi_authenticator;
mod napi_credentials;
mod napi_dpop;
mod napi_exchange;
mod napi_introspector;
mod napi_metadata;
mod napi_operations;
mod napi_scopes;
mod napi_store;
mod napi_verifier;

use js_error::{internal, js_error};
use js_json::JsonObject;
use js_options::JsOptions;
use mcp_auth_core::decision::texts::TOKEN_ERROR_DESCRIPTIONS;
use mcp_auth_core::error;
use mcp_auth_core::issuers::discovery::{self, ServerType};
use mcp_auth_core::issuers::{server_config, trusted};
use mcp_auth_core::options::verifier::{
    bearer_limits_unrepresentable, check_bearer_limits as check_bearer_limits_in_core,
    check_verify_timeout as check_verify_timeout_in_core, check_verify_timeout_option,
};
use mcp_auth_core::tokens::claims;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;

/// Runs `work` on the runtime, turning a panic into an error value, and
/// settles a promise with its result on the JS thread.
pub(crate) fn spawn<'env, T, V, F, C>(
    env: &'env Env,
    work: F,
    convert: C,
) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = error::AuthResult<T>> + Send + 'static,
    C: FnOnce(&Env, T) -> Result<V> + 'static,
{
    let guarded = async move {
        // A panic inside `work` ends only its task; the JoinError becomes an
        // ordinary rejection instead of tearing through the runtime.
        let outcome = tokio::spawn(work)
            .await
            .unwrap_or_else(|_| Err(internal("internal error while verifying")));
        Ok(outcome)
    };
    env.spawn_future_with_callback(guarded, move |env, outcome| match outcome {
        Ok(value) => convert(env, value),
        Err(err) => Err(js_error(env, &err)),
    })
}

// ------------------------------------------------------ server metadata

#[napi(object)]
pub struct ServerConfigOptions {
    #[napi(ts_type = "'oidc' | 'oauth'")]
    pub r#type: String,
}

// Returned only: members (`__proto__` included) become own data properties.
#[napi(object, js_name = "ServerConfig", object_from_js = false)]
pub struct JsServerConfig {
    #[napi(ts_type = "'oidc' | 'oauth'")]
    pub r#type: String,
    #[napi(ts_type = "Record<string, any>")]
    pub metadata: JsonObject,
}

#[napi(object, object_from_js = false)]
pub struct MetadataDocument {
    /// The URL the document was fetched from.
    pub url: String,
    /// The document as served (snake_case member names).
    #[napi(ts_type = "Record<string, any>")]
    pub document: JsonObject,
}

impl From<server_config::ServerConfig> for JsServerConfig {
    fn from(c: server_config::ServerConfig) -> Self {
        Self {
            r#type: c.kind.as_str().to_owned(),
            metadata: JsonObject(c.metadata),
        }
    }
}

/// Discovers an authorization server's metadata (MCP discovery order), checks
/// that its `issuer` is exactly `issuer`, and returns `{ type, metadata }`.
#[napi(catch_unwind, ts_return_type = "Promise<ServerConfig>")]
pub fn fetch_server_config<'env>(
    env: &'env Env,
    issuer: String,
    options: ServerConfigOptions,
) -> Result<PromiseRaw<'env, JsServerConfig>> {
    let kind = ServerType::parse(&options.r#type);
    spawn(
        env,
        async move {
            let kind = kind?;
            let found = discovery::discover(&issuer, kind, &Default::default()).await?;
            server_config::to_server_config(kind, &found.document, Some(&issuer))
        },
        |_, config| Ok(config.into()),
    )
}

/// Fetches metadata from one well-known URL (no fallback, no issuer to compare with).
#[napi(catch_unwind, ts_return_type = "Promise<ServerConfig>")]
pub fn fetch_server_config_by_well_known_url<'env>(
    env: &'env Env,
    url: String,
    options: ServerConfigOptions,
) -> Result<PromiseRaw<'env, JsServerConfig>> {
    let kind = ServerType::parse(&options.r#type);
    spawn(
        env,
        async move {
            let kind = kind?;
            let found = discovery::fetch_well_known(&url, None, &Default::default()).await?;
            server_config::to_server_config(kind, &found.document, None)
        },
        |_, config| Ok(config.into()),
    )
}

/// Discovers the raw metadata document, for callers that transform it before
/// `toServerConfig` (mcp-auth's `transpileData`).
#[napi(catch_unwind)]
pub fn fetch_server_metadata<'env>(
    env: &'env Env,
    issuer: String,
    options: ServerConfigOptions,
) -> Result<PromiseRaw<'env, MetadataDocument>> {
    let kind = ServerType::parse(&options.r#type);
    spawn(
        env,
        async move { discovery::discover(&issuer, kind?, &Default::default()).await },
        |_, found| {
            Ok(MetadataDocument {
                url: found.url,
                document: JsonObject(found.document),
            })
        },
    )
}

#[napi(catch_unwind)]
pub fn fetch_server_metadata_by_well_known_url<'env>(
    env: &'env Env,
    url: String,
) -> Result<PromiseRaw<'env, MetadataDocument>> {
    spawn(
        env,
        async move { discovery::fetch_well_known(&url, None, &Default::default()).await },
        |_, found| {
            Ok(MetadataDocument {
                url: found.url,
                document: JsonObject(found.document),
            })
        },
    )
}

/// Checks a raw metadata document (issuer exact match when `expectedIssuer`
/// is given) and converts it to `{ type, metadata }` with camelCase keys.
#[napi(catch_unwind, ts_return_type = "ServerConfig")]
pub fn to_server_config(
    env: &Env,
    #[napi(ts_arg_type = "'oidc' | 'oauth'")] kind: String,
    document: Map<String, Value>,
    expected_issuer: Option<String>,
) -> Result<JsServerConfig> {
    let kind = ServerType::parse(&kind).map_err(|e| js_error(env, &e))?;
    server_config::to_server_config(kind, &document, expected_issuer.as_deref())
        .map(Into::into)
        .map_err(|e| js_error(env, &e))
}

#[napi(object)]
pub struct ValidationFinding {
    pub code: String,
    pub description: String,
    pub cause: Option<String>,
}

#[napi(object)]
pub struct ServerConfigValidation {
    pub is_valid: bool,
    pub errors: Vec<ValidationFinding>,
    pub warnings: Vec<ValidationFinding>,
    pub successes: Option<Vec<ValidationFinding>>,
}

fn findings(list: Vec<server_config::Finding>) -> Vec<ValidationFinding> {
    list.into_iter()
        .map(|f| ValidationFinding {
            code: f.code.to_owned(),
            description: f.description.to_owned(),
            cause: f.cause,
        })
        .collect()
}

/// Validates `{ type, metadata }` with mcp-auth's result codes.
#[napi(catch_unwind)]
pub fn validate_server_config(
    env: &Env,
    #[napi(ts_arg_type = "ServerConfig")] config: Value,
    verbose: Option<bool>,
) -> Result<ServerConfigValidation> {
    let (_, metadata) = server_config::from_js(&config).map_err(|e| js_error(env, &e))?;
    let v = server_config::validate(&metadata);
    Ok(ServerConfigValidation {
        is_valid: v.is_valid,
        errors: findings(v.errors),
        warnings: findings(v.warnings),
        successes: verbose.unwrap_or(false).then(|| findings(v.successes)),
    })
}

/// The form audiences are compared in: scheme and host lower-cased, default
/// port dropped, an empty path made `/`; anything else kept byte for byte.
#[napi(catch_unwind)]
pub fn normalize_audience(audience: String) -> String {
    claims::normalize_audience(&audience)
}

/// Checks a server URL by the addon's rule (absolute, https, http only for
/// loopback hosts; an issuer also without query or fragment), so the wrapper
/// and the addon cannot disagree. Throws `invalid_config` naming `what`.
#[napi(catch_unwind)]
pub fn check_server_url(
    env: &Env,
    url: String,
    #[napi(ts_arg_type = "'resource' | 'issuer'")] what: String,
) -> Result<()> {
    let checked = match what.as_str() {
        "issuer" => trusted::check_issuer(&url),
        _ => trusted::check_server_url(&url, "resource"),
    };
    checked.map(|_| ()).map_err(|e| js_error(env, &e))
}

/// The limits every bearer middleware shares, checked by the rules the
/// verifier applies: `audiences` (a list, or `false` for "any") and
/// `maxTokenLength` (bytes). Returns the effective `maxTokenLength`.
#[napi(catch_unwind)]
pub fn check_bearer_limits(
    env: &Env,
    #[napi(ts_arg_type = "BearerLimitsOptions")] options: JsOptions,
) -> Result<u32> {
    options
        .decode(check_bearer_limits_in_core, bearer_limits_unrepresentable)
        .map(|n| n as u32)
        .map_err(|e| js_error(env, &e))
}

/// `verifyTimeout` (milliseconds a custom verify function may take) by the
/// core's rule: the effective value, its default when absent.
#[napi(catch_unwind)]
pub fn check_verify_timeout(
    env: &Env,
    #[napi(ts_arg_type = "{ verifyTimeout?: number }")] options: JsOptions,
) -> Result<u32> {
    options
        .decode(
            |value| check_verify_timeout_option(&value),
            |_| match check_verify_timeout_in_core(Some(f64::NAN)) {
                Err(err) => err,
                Ok(_) => mcp_auth_core::panic_guard::internal("verifyTimeout"),
            },
        )
        // The range ends at 300000, well inside u32.
        .map(|n| n as u32)
        .map_err(|e| js_error(env, &e))
}

/// The stable error codes and whose fault each is (`token` → 401,
/// `infrastructure` → 503, `server` → 500): the wrapper's table is built
/// from this list, so a code is defined in Rust only.
#[napi(object, object_from_js = false)]
pub struct ErrorCodeInfo {
    pub code: String,
    #[napi(ts_type = "'token' | 'infrastructure' | 'server' | 'proof' | 'nonce'")]
    pub fault: String,
}

#[napi]
pub fn error_codes() -> Vec<ErrorCodeInfo> {
    error::ErrorCode::ALL
        .iter()
        .map(|code| ErrorCodeInfo {
            code: code.as_str().to_owned(),
            fault: code.fault().as_str().to_owned(),
        })
        .collect()
}

/// The fixed `error_description` of every token, proof and nonce code, from
/// the core's one table (`decision/texts.rs`).
#[napi(catch_unwind)]
pub fn token_error_descriptions() -> HashMap<String, String> {
    TOKEN_ERROR_DESCRIPTIONS
        .iter()
        .map(|(code, text)| ((*code).to_owned(), (*text).to_owned()))
        .collect()
}
