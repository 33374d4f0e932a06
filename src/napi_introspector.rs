//! The `Introspector` class JavaScript uses ('introspection' mode): `check`
//! answers a local cache hit synchronously and returns a promise otherwise;
//! `cached`, `learn` and `admit` serve a fleet store kept in JavaScript.
//! The decisions live in `introspector.rs`; this file only converts.

use crate::completion::{Completions, Settle};
use crate::js_error::js_error;
use crate::js_options::JsOptions;
use crate::napi_verifier::VerifiedToken;
use mcp_auth_core::error::AuthResult;
use mcp_auth_core::introspection::introspector::{self, Learnt};
use mcp_auth_core::introspection::response::Verdict;
use mcp_auth_core::options::introspection::IntrospectorOptions;
use mcp_auth_core::panic_guard::guarded;
use mcp_auth_core::tokens::verified::Verified;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::sync::Arc;

/// What one endpoint call learnt: the token when active, the record to share
/// and how long it may be shared (ms; 0: do not share).
#[napi(object, js_name = "IntrospectionRecord")]
pub struct IntrospectionRecord {
    pub token: Option<VerifiedToken>,
    pub record: String,
    pub ttl_ms: f64,
}

impl From<Learnt> for IntrospectionRecord {
    fn from(learnt: Learnt) -> Self {
        Self {
            token: match learnt.verdict {
                Verdict::Active(verified) => Some(verified.into()),
                Verdict::Inactive => None,
            },
            record: learnt.record,
            ttl_ms: learnt.reuse_for.as_millis() as f64,
        }
    }
}

fn to_js(env: &Env, result: AuthResult<Arc<Verified>>) -> Result<sys::napi_value> {
    match result {
        Ok(verified) => unsafe { VerifiedToken::to_napi_value(env.raw(), verified.into()) },
        Err(err) => Err(js_error(env, &err)),
    }
}

/// Introspects access tokens at one trusted authorization server (RFC 7662).
#[napi]
pub struct Introspector {
    pub(crate) inner: Arc<introspector::Introspector>,
    completions: Completions,
}

#[napi]
impl Introspector {
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "IntrospectorOptions")] options: JsOptions,
    ) -> Result<Self> {
        let config = options
            .decode(
                IntrospectorOptions::from_json,
                IntrospectorOptions::unrepresentable,
            )
            .and_then(|options| options.to_config())
            .map_err(|e| js_error(env, &e))?;
        Ok(Self {
            inner: Arc::new(introspector::Introspector::new(config)),
            completions: Completions::new(env)?,
        })
    }

    /// The one call per token: the token when the local cache knows it,
    /// else a promise of the endpoint's verdict. Throws, or rejects, with a
    /// coded error (`token_inactive`, `introspection_unavailable`, …).
    #[napi(
        catch_unwind,
        ts_return_type = "VerifiedToken | Promise<VerifiedToken>"
    )]
    pub fn check<'env>(&self, env: &'env Env, token: String) -> Result<Unknown<'env>> {
        let value = match self.inner.cached(&token) {
            Some(result) => to_js(env, result)?,
            None => {
                let inner = self.inner.clone();
                self.later(env, async move { inner.verify(&token).await }, to_js)?
            }
        };
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// The local cache only: the token, `null` on a miss; throws for a
    /// cached inactive token.
    #[napi(catch_unwind)]
    pub fn cached(&self, env: &Env, token: String) -> Result<Option<VerifiedToken>> {
        self.inner
            .cached(&token)
            .transpose()
            .map(|hit| hit.map(Into::into))
            .map_err(|e| js_error(env, &e))
    }

    /// Calls the endpoint (one call per token in flight) and returns what a
    /// fleet store keeps. Rejects on an outage or a token the rules refuse.
    #[napi(catch_unwind, ts_return_type = "Promise<IntrospectionRecord>")]
    pub fn learn<'env>(&self, env: &'env Env, token: String) -> Result<Unknown<'env>> {
        let inner = self.inner.clone();
        let value = self.later(
            env,
            async move { inner.introspect(&token).await },
            |env, result| match result {
                Ok(learnt) => unsafe {
                    IntrospectionRecord::to_napi_value(env.raw(), learnt.into())
                },
                Err(err) => Err(js_error(env, &err)),
            },
        )?;
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// Judges a record read from the fleet store with the same rules and
    /// seeds the local cache: the token, `null` for an unreadable or stale
    /// record (a miss); throws for an inactive or refused token.
    #[napi(catch_unwind)]
    pub fn admit(&self, env: &Env, token: String, record: String) -> Result<Option<VerifiedToken>> {
        self.inner
            .admit(&token, &record)
            .map(|hit| hit.map(Into::into))
            .map_err(|e| js_error(env, &e))
    }

    /// A promise for `work`, run on the runtime and settled through the channel.
    fn later<T, F, C>(&self, env: &Env, work: F, convert: C) -> Result<sys::napi_value>
    where
        T: Send + 'static,
        F: std::future::Future<Output = AuthResult<T>> + Send + 'static,
        C: FnOnce(&Env, AuthResult<T>) -> Result<sys::napi_value> + Send + 'static,
    {
        let (promise, ticket) = self.completions.promise(env)?;
        napi::bindgen_prelude::spawn(async move {
            let outcome = guarded(work).await;
            let settle: Settle = Box::new(move |env| convert(env, outcome));
            ticket.settle(settle);
        });
        Ok(promise)
    }
}
