//! mcp-auth-rs: OAuth 2.1 resource-server token verification for MCP servers.
//!
//! The logic lives in plain Rust modules; this file is only the napi surface
//! JavaScript calls into. Every error reaching JavaScript is an `Error` with a
//! stable `code` (see `error.rs`), and no Rust panic crosses the boundary.

pub mod claims;
pub mod config;
pub mod discovery;
pub mod error;
pub mod http;
mod js_json;
pub mod jwk;
pub mod key_set;
pub mod server_config;
pub mod strict_json;
pub mod token;
pub mod verifier;

#[cfg(test)]
mod test_keys;
#[cfg(test)]
pub mod test_server;

use config::VerifierOptions;
use discovery::ServerType;
use error::{AuthError, ErrorCode};
use js_json::JsonObject;
use key_set::{EventSink, KeySetEvent};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Map, Value};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

// ---------------------------------------------------------------- errors

/// Builds the JS error for `err`: `name`, `code`, `reason`, and `url` /
/// `retryAfter` when known.
fn js_error(env: &Env, err: &AuthError) -> Error {
    let build = || -> Result<Unknown<'_>> {
        let mut obj = env.create_error(Error::new(Status::GenericFailure, err.to_string()))?;
        let name = if err.code.is_infrastructure() || err.url.is_some() {
            "AuthServerError"
        } else {
            "TokenVerificationError"
        };
        obj.set_named_property("name", name)?;
        obj.set_named_property("code", err.code.as_str())?;
        obj.set_named_property("reason", err.reason.as_str())?;
        if let Some(url) = &err.url {
            obj.set_named_property("url", url.as_str())?;
        }
        if let Some(seconds) = err.retry_after {
            obj.set_named_property("retryAfter", seconds)?;
        }
        Ok(obj.to_unknown())
    };
    match build() {
        Ok(value) => Error::from(value),
        Err(e) => e,
    }
}

fn internal(reason: &str) -> AuthError {
    AuthError::new(ErrorCode::JwksUnavailable, reason)
}

/// Runs `work` on the runtime, turning a panic into an error value, and
/// settles a promise with its result on the JS thread.
fn spawn<'env, T, V, F, C>(env: &'env Env, work: F, convert: C) -> Result<PromiseRaw<'env, V>>
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

// ------------------------------------------------------------- verifier

/// A verified token. Header and claims come as the JSON text the issuer
/// signed (`JSON.parse` it): one string crosses the boundary far faster than
/// an object built property by property.
#[napi(object)]
pub struct VerifiedToken {
    pub header_json: String,
    pub claims_json: String,
    pub issuer: String,
    pub subject: Option<String>,
    /// `client_id`, else `azp`.
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
    pub audience: Vec<String>,
    /// `exp`, in seconds since the epoch.
    pub expires_at: f64,
}

impl From<Arc<verifier::Verified>> for VerifiedToken {
    fn from(v: Arc<verifier::Verified>) -> Self {
        // Copies only the strings JavaScript receives, never the claim maps:
        // on a cache hit the entry stays shared.
        Self {
            header_json: v.header_json.clone(),
            claims_json: v.claims_json.clone(),
            issuer: v.issuer.clone(),
            subject: v.identity.subject.clone(),
            client_id: v.identity.client_id.clone(),
            scopes: v.identity.scopes.clone(),
            audience: v.identity.audience.clone(),
            expires_at: v.identity.expires_at,
        }
    }
}

#[napi(object, js_name = "KeySetEvent")]
pub struct KeySetEventJs {
    #[napi(ts_type = "'jwks_refreshed' | 'jwks_unavailable'")]
    pub r#type: String,
    pub jwks_uri: String,
    pub key_count: Option<u32>,
    pub warnings: Option<Vec<String>>,
    pub reason: Option<String>,
}

impl From<KeySetEvent> for KeySetEventJs {
    fn from(event: KeySetEvent) -> Self {
        match event {
            KeySetEvent::Refreshed {
                jwks_uri,
                key_count,
                warnings,
            } => Self {
                r#type: "jwks_refreshed".into(),
                jwks_uri,
                key_count: Some(key_count as u32),
                warnings: Some(warnings),
                reason: None,
            },
            KeySetEvent::Unavailable { jwks_uri, reason } => Self {
                r#type: "jwks_unavailable".into(),
                jwks_uri,
                key_count: None,
                warnings: None,
                reason: Some(reason),
            },
        }
    }
}

/// Reports, once per listener, that it threw (as a process warning).
fn warn_listener_threw(env: &Env, error: &Error) {
    let message = format!(
        "A Verifier onEvent listener threw ({}); the error was ignored, and later ones are not reported.",
        error.reason
    );
    let emit = || -> Result<()> {
        let process: Object = env.get_global()?.get_named_property("process")?;
        let emit_warning: Function<FnArgs<(String, String, String)>, ()> =
            process.get_named_property("emitWarning")?;
        let args = (
            message,
            "Warning".to_owned(),
            "MCP_AUTH_RS_LISTENER_ERROR".to_owned(),
        );
        emit_warning.apply(process, args.into())
    };
    // Nothing else can be done if even the warning fails.
    let _ = emit();
}

type EventCallback = ThreadsafeFunction<KeySetEventJs, (), KeySetEventJs, Status, false, true>;

/// Verifies access tokens for one trust configuration (issuers, audiences,
/// algorithms, claim rules). Key sets are cached process-wide.
#[napi]
pub struct Verifier {
    inner: Arc<verifier::Verifier>,
}

#[napi]
impl Verifier {
    /// `onEvent` receives key-set events (refreshed, unavailable); it is held
    /// weakly, so it never keeps the process alive.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        options: VerifierOptions,
        #[napi(ts_arg_type = "(event: KeySetEvent) => void")] on_event: Option<
            Function<KeySetEventJs, ()>,
        >,
    ) -> Result<Self> {
        let events = match on_event {
            None => None,
            Some(callback) => {
                let tsfn: EventCallback = callback
                    .build_threadsafe_function()
                    .callee_handled::<false>()
                    .weak::<true>()
                    .build()?;
                let tsfn = Arc::new(tsfn);
                let reported = Arc::new(AtomicBool::new(false));
                let sink: EventSink = Arc::new(move |event: KeySetEvent| {
                    let reported = reported.clone();
                    // A throwing listener must not become a fatal exception.
                    tsfn.call_with_return_value(
                        event.into(),
                        ThreadsafeFunctionCallMode::NonBlocking,
                        move |outcome, env| {
                            if let Err(error) = outcome {
                                if !reported.swap(true, Ordering::Relaxed) {
                                    warn_listener_threw(&env, &error);
                                }
                            }
                            Ok(())
                        },
                    );
                });
                Some(sink)
            }
        };
        let config = options.to_config().map_err(|e| js_error(env, &e))?;
        let inner = verifier::Verifier::new(config, events).map_err(|e| js_error(env, &e))?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Verifies `token`. With the issuer's keys cached this settles inline,
    /// with no thread hop (cheapest per call); otherwise it fetches metadata
    /// and keys first.
    #[napi(catch_unwind)]
    pub fn verify<'env>(
        &self,
        env: &'env Env,
        token: String,
    ) -> Result<PromiseRaw<'env, VerifiedToken>> {
        match self.inner.try_verify(&token) {
            verifier::Attempt::Done { result, refresh } => self.settle(env, result, refresh),
            verifier::Attempt::NeedsKeys(pending) => self.fetch_keys_then_verify(env, pending),
        }
    }

    /// Like `verify`, but a signature check runs on a worker thread, keeping
    /// the JS thread free for other requests; a verified-token cache hit or an
    /// early rejection still settles inline. Each hop costs more than it
    /// saves in a loop, less than it saves in a busy server.
    #[napi(catch_unwind)]
    pub fn verify_off_thread<'env>(
        &self,
        env: &'env Env,
        token: String,
    ) -> Result<PromiseRaw<'env, VerifiedToken>> {
        match self.inner.begin(&token) {
            verifier::Begun::Settled(verifier::Attempt::Done { result, refresh }) => {
                self.settle(env, result, refresh)
            }
            verifier::Begun::Settled(verifier::Attempt::NeedsKeys(pending)) => {
                self.fetch_keys_then_verify(env, pending)
            }
            verifier::Begun::Ready(mut ready) => {
                if let Some(cache) = ready.refresh.take() {
                    self.refresh_in_background(env, cache)?;
                }
                let inner = self.inner.clone();
                spawn(env, async move { inner.complete(ready) }, |_, v| {
                    Ok(v.into())
                })
            }
        }
    }

    /// The verified-token cache's answer for `token`, without other work:
    /// `null` when the token is not cached; throws when a cached token is no
    /// longer valid (expired, say). Lets a caller answer repeated tokens
    /// synchronously and `verify` the rest.
    #[napi(catch_unwind)]
    pub fn verify_cached(&self, env: &Env, token: String) -> Result<Option<VerifiedToken>> {
        match self.inner.cached(&token, std::time::Instant::now()) {
            Some(verifier::Attempt::Done { result, refresh }) => {
                if let Some(cache) = refresh {
                    self.refresh_in_background(env, cache)?;
                }
                result
                    .map(|v| Some(v.into()))
                    .map_err(|e| js_error(env, &e))
            }
            _ => Ok(None),
        }
    }

    /// Verifies `token` with cached keys only; throws `keys_not_loaded` when
    /// the keys must be fetched first (call `verify` or `prepare`).
    #[napi(catch_unwind)]
    pub fn verify_sync(&self, env: &Env, token: String) -> Result<VerifiedToken> {
        match self.inner.try_verify(&token) {
            verifier::Attempt::Done { result, refresh } => {
                if let Some(cache) = refresh {
                    self.refresh_in_background(env, cache)?;
                }
                result.map(Into::into).map_err(|e| js_error(env, &e))
            }
            verifier::Attempt::NeedsKeys(_) => Err(js_error(
                env,
                &AuthError::new(ErrorCode::KeysNotLoaded, "signing keys are not loaded yet")
                    .with_retry_after(1),
            )),
        }
    }

    /// Discovers metadata and loads keys for every trusted issuer.
    #[napi(catch_unwind)]
    pub fn prepare<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        spawn(env, async move { inner.prepare().await }, |_, ()| Ok(()))
    }

    /// A promise settled now with `result`, after starting a due refresh.
    fn settle<'env>(
        &self,
        env: &'env Env,
        result: error::AuthResult<Arc<verifier::Verified>>,
        refresh: Option<Arc<key_set::KeySetCache>>,
    ) -> Result<PromiseRaw<'env, VerifiedToken>> {
        if let Some(cache) = refresh {
            self.refresh_in_background(env, cache)?;
        }
        match result {
            Ok(verified) => PromiseRaw::resolve(env, verified.into()),
            Err(err) => PromiseRaw::reject(env, js_error(env, &err)),
        }
    }

    fn fetch_keys_then_verify<'env>(
        &self,
        env: &'env Env,
        pending: verifier::Pending,
    ) -> Result<PromiseRaw<'env, VerifiedToken>> {
        let inner = self.inner.clone();
        spawn(env, async move { inner.resolve(pending).await }, |_, v| {
            Ok(v.into())
        })
    }

    fn refresh_in_background(&self, env: &Env, cache: Arc<key_set::KeySetCache>) -> Result<()> {
        let events = self.inner.events().cloned();
        let task = async move {
            cache
                .refresh(std::time::Instant::now(), events.as_ref())
                .await;
            Ok(())
        };
        // Fire and forget: the request that noticed is already answered.
        spawn(env, task, |_, ()| Ok(())).map(|_| ())
    }
}
#[cfg(test)]
mod never_panics;
pub mod token_cache;
