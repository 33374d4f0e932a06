//! The `Verifier` class JavaScript uses: one entry per token (`check`),
//! plus `verify` (always a promise), `verifySync` (never does I/O) and
//! `prepare`. The decisions live in `verifier.rs`; this file only converts.

use crate::completion::{self, Completions, Settle};
use crate::js_error::js_error;
use crate::js_options::JsOptions;
use mcp_auth_core::error::{AuthError, AuthResult, ErrorCode};
use mcp_auth_core::keys::key_set::{EventSink, KeySetEvent};
use mcp_auth_core::keys::key_set_report::outage_code;
use mcp_auth_core::options::verifier::VerifierOptions;
use mcp_auth_core::panic_guard::guarded;
use mcp_auth_core::tokens::verifier::{self, Offload, Spawner, Step};
use napi::bindgen_prelude::*;
use napi::sys;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
        Self::from(&*v)
    }
}

impl From<&verifier::Verified> for VerifiedToken {
    fn from(v: &verifier::Verified) -> Self {
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
    /// For `jwks_unavailable`: the reason as one of a fixed set of codes (see `outage_code`).
    #[napi(
        ts_type = "'timeout' | 'connection_failed' | 'redirect_refused' | 'http_status' | 'not_found' | 'content_type' | 'too_large' | 'invalid_json' | 'invalid_key_set' | 'no_usable_keys' | 'other'"
    )]
    pub code: Option<String>,
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
                code: None,
            },
            KeySetEvent::Unavailable { jwks_uri, reason } => Self {
                r#type: "jwks_unavailable".into(),
                jwks_uri,
                key_count: None,
                warnings: None,
                code: Some(outage_code(&reason).into()),
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

fn event_sink(callback: Function<KeySetEventJs, ()>) -> Result<EventSink> {
    let tsfn: EventCallback = callback
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    let tsfn = Arc::new(tsfn);
    let reported = Arc::new(AtomicBool::new(false));
    Ok(Arc::new(move |event: KeySetEvent| {
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
    }))
}

/// Where signature checks run, for benchmarks' A/B runs only:
/// `MCP_AUTH_RS_SIGNATURE_CHECKS=inline|worker` (default: decided by load).
fn offload_policy() -> Offload {
    match std::env::var("MCP_AUTH_RS_SIGNATURE_CHECKS").as_deref() {
        Ok("inline") => Offload::Never,
        Ok("worker") => Offload::Always,
        _ => Offload::Auto,
    }
}

fn runtime_spawner() -> Spawner {
    Arc::new(|task| {
        napi::bindgen_prelude::spawn(task);
    })
}

fn to_js(env: &Env, result: AuthResult<Arc<verifier::Verified>>) -> Result<sys::napi_value> {
    match result {
        Ok(verified) => unsafe { VerifiedToken::to_napi_value(env.raw(), verified.into()) },
        Err(err) => Err(js_error(env, &err)),
    }
}

/// Verifies access tokens for one trust configuration (issuers, audiences,
/// algorithms, claim rules). Key sets are cached process-wide.
#[napi]
pub struct Verifier {
    pub(crate) inner: Arc<verifier::Verifier>,
    completions: Completions,
}

#[napi]
impl Verifier {
    /// `onEvent` receives key-set events (refreshed, unavailable); it is held
    /// weakly, so it never keeps the process alive.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "VerifierOptions")] options: JsOptions,
        #[napi(ts_arg_type = "(event: KeySetEvent) => void")] on_event: Option<
            Function<KeySetEventJs, ()>,
        >,
    ) -> Result<Self> {
        let mut config = options
            .decode(VerifierOptions::from_json, VerifierOptions::unrepresentable)
            .and_then(|options| options.to_config())
            .map_err(|e| js_error(env, &e))?;
        config.offload = offload_policy();
        let events = on_event.map(event_sink).transpose()?;
        let inner = verifier::Verifier::new(config, events, runtime_spawner())
            .map_err(|e| js_error(env, &e))?;
        Ok(Self {
            inner: Arc::new(inner),
            completions: Completions::new(env)?,
        })
    }

    /// The one call per token: the verified token itself when it is known
    /// now (a cache hit, or a check cheap enough to run inline), else a
    /// promise (a signature check on a worker thread, or a key fetch).
    /// Throws, or rejects, with a coded error.
    #[napi(
        catch_unwind,
        ts_return_type = "VerifiedToken | Promise<VerifiedToken>"
    )]
    pub fn check<'env>(&self, env: &'env Env, token: String) -> Result<Unknown<'env>> {
        let value = match self.inner.step(&token, true) {
            Step::Settled(result) => to_js(env, result)?,
            Step::Offload(ready) => {
                let inner = self.inner.clone();
                self.later(env, async move { inner.complete(ready) })?
            }
            Step::Fetch(pending) => {
                let inner = self.inner.clone();
                self.later(env, async move { inner.resolve(pending).await })?
            }
        };
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// Verifies `token` as a promise. With the issuer's keys cached it
    /// settles inline, with no thread hop; otherwise it fetches keys first.
    #[napi(catch_unwind, ts_return_type = "Promise<VerifiedToken>")]
    pub fn verify<'env>(&self, env: &'env Env, token: String) -> Result<Unknown<'env>> {
        let value = match self.inner.step(&token, false) {
            Step::Settled(result) => completion::settled(env, to_js(env, result))?,
            Step::Offload(ready) => {
                let inner = self.inner.clone();
                self.later(env, async move { inner.complete(ready) })?
            }
            Step::Fetch(pending) => {
                let inner = self.inner.clone();
                self.later(env, async move { inner.resolve(pending).await })?
            }
        };
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// Verifies `token` with cached keys only; throws `keys_not_loaded` when
    /// the keys must be fetched first (call `verify` or `prepare`).
    #[napi(catch_unwind)]
    pub fn verify_sync(&self, env: &Env, token: String) -> Result<VerifiedToken> {
        let result = match self.inner.step(&token, false) {
            Step::Settled(result) => result,
            Step::Offload(ready) => self.inner.complete(ready),
            Step::Fetch(_) => Err(AuthError::new(
                ErrorCode::KeysNotLoaded,
                "signing keys are not loaded yet",
            )
            .with_retry_after(1)),
        };
        result.map(Into::into).map_err(|e| js_error(env, &e))
    }

    /// Whether `token` is a JWS whose `iss` names one of this verifier's
    /// issuers (exactly, or by a template's shape), by the same issuer
    /// selection `check` uses. Nothing is verified: 'auto' mode routes with
    /// it, and `check` then judges the token.
    #[napi(catch_unwind)]
    pub fn names_trusted_issuer(&self, token: String) -> bool {
        self.inner.names_trusted_issuer(&token)
    }

    /// Discovers metadata and loads keys for every trusted issuer.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn prepare<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let inner = self.inner.clone();
        let (promise, ticket) = self.completions.promise(env)?;
        napi::bindgen_prelude::spawn(async move {
            let outcome = guarded(async move { inner.prepare().await }).await;
            ticket.settle(Box::new(move |env| match outcome {
                Ok(()) => unsafe { <()>::to_napi_value(env.raw(), ()) },
                Err(err) => Err(js_error(env, &err)),
            }));
        });
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
    }

    /// A promise for `work`, run on the runtime and settled through the channel.
    fn later<F>(&self, env: &Env, work: F) -> Result<sys::napi_value>
    where
        F: std::future::Future<Output = AuthResult<Arc<verifier::Verified>>> + Send + 'static,
    {
        let (promise, ticket) = self.completions.promise(env)?;
        napi::bindgen_prelude::spawn(async move {
            let outcome = guarded(work).await;
            let settle: Settle = Box::new(move |env| to_js(env, outcome));
            ticket.settle(settle);
        });
        Ok(promise)
    }
}
