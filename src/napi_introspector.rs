//! The `Introspector` class JavaScript uses ('introspection' mode): `check`
//! answers a local cache hit synchronously and returns a promise otherwise.
//! With a fleet store (`store`, `storeSecret`, the resource) the core's
//! fleet path (`fleet::introspection`) runs behind it, here and in the
//! `Authenticator`. The decisions live in the core; this file only converts.

use crate::completion::{Completions, Settle};
use crate::js_error::js_error;
use crate::js_fleet::{checked_store_secret, fleet_input, StoreEventJs};
use crate::js_options::JsOptions;
use crate::js_store::Readiness;
use crate::napi_verifier::VerifiedToken;
use mcp_auth_core::error::AuthResult;
use mcp_auth_core::fleet::introspection::IntrospectionFleet;
use mcp_auth_core::introspection::introspector;
use mcp_auth_core::options::introspection::IntrospectorOptions;
use mcp_auth_core::panic_guard::guarded;
use mcp_auth_core::tokens::verified::Verified;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::sync::Arc;

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
    /// The fleet store's path, when there is one.
    pub(crate) fleet: Option<Arc<IntrospectionFleet>>,
    /// Asks a JavaScript store's `isReady` on this thread.
    pub(crate) readiness: Option<Arc<Readiness>>,
    completions: Completions,
}

#[napi]
impl Introspector {
    /// `store` (a `SharedStore` object or a `NativeStore`) shares verdicts
    /// with the fleet: it needs `storeSecret`; `resource` is part of the
    /// records' scope; `onStoreEvent` receives the store's events.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "IntrospectorOptions")] options: JsOptions,
        #[napi(ts_arg_type = "object | undefined | null")] store: Option<Unknown>,
        #[napi(ts_arg_type = "string | Uint8Array | undefined | null")] store_secret: Option<
            Unknown,
        >,
        resource: Option<String>,
        #[napi(ts_arg_type = "((event: StoreEvent) => void) | undefined | null")]
        on_store_event: Option<Function<StoreEventJs, ()>>,
    ) -> Result<Self> {
        let options = options
            .decode(
                IntrospectorOptions::from_json,
                IntrospectorOptions::unrepresentable,
            )
            .map_err(|e| js_error(env, &e))?;
        let secret = checked_store_secret(
            env,
            store.as_ref(),
            store_secret,
            "introspection.storeSecret",
        )?;
        let config = options.to_config().map_err(|e| js_error(env, &e))?;
        let (fleet, readiness) = match (fleet_input(env, store, on_store_event)?, secret) {
            (Some(input), Some(secret)) => {
                let slack = input.dispatch_slack();
                let fleet = IntrospectionFleet::new(
                    input.store.clone(),
                    secret,
                    &options,
                    resource.as_deref(),
                    input.events.clone(),
                )
                .map_err(|e| js_error(env, &e))?
                .with_dispatch_slack(slack);
                input.set_deadline(fleet.store_timeout());
                (Some(Arc::new(fleet)), input.readiness)
            }
            _ => (None, None),
        };
        Ok(Self {
            inner: Arc::new(introspector::Introspector::new(config)),
            fleet,
            readiness,
            completions: Completions::new(env)?,
        })
    }

    /// The one call per token: the token when the local cache knows it,
    /// else a promise of the verdict (the fleet's record, or the endpoint's).
    /// Throws, or rejects, with a coded error (`token_inactive`, `introspection_unavailable`, …).
    #[napi(
        catch_unwind,
        ts_return_type = "VerifiedToken | Promise<VerifiedToken>"
    )]
    pub fn check<'env>(&self, env: &'env Env, token: String) -> Result<Unknown<'env>> {
        if let Some(readiness) = &self.readiness {
            readiness.refresh(env);
        }
        let value = match self.inner.cached(&token) {
            Some(result) => to_js(env, result)?,
            None => {
                let inner = self.inner.clone();
                let fleet = self.fleet.clone();
                self.later(
                    env,
                    async move {
                        match fleet {
                            Some(fleet) => fleet.verify(&inner, &token).await,
                            None => inner.verify(&token).await,
                        }
                    },
                    to_js,
                )?
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
