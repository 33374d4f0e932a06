//! The `DpopChecker` class JavaScript uses: `verify` a request's proof,
//! then `record` it once the request is otherwise accepted (or `check` for
//! both at once), plus the nonce to hand out. With a fleet store, the
//! `Authenticator` claims accepted proofs there too (the core's
//! `fleet::dpop`). The checks live in the core's `dpop/proof.rs`.

use crate::js_error::js_error;
use crate::js_fleet::{fleet_input, StoreEventJs};
use crate::js_options::JsOptions;
use crate::js_store::Readiness;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mcp_auth_core::dpop::proof::{self as dpop, ProofRequest};
use mcp_auth_core::fleet::dpop::{marker_ttl, DpopFleet};
use mcp_auth_core::options::dpop::DpopOptions;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// Longest DPoP proof accepted, in bytes: the wrapper refuses a longer one
/// before it verifies the token, with the addon's own limit.
#[napi]
// Only the JavaScript export reads it; test builds do not register exports.
#[cfg_attr(test, allow(dead_code))]
pub const DPOP_MAX_PROOF_LENGTH: u32 = dpop::MAX_PROOF_LENGTH as u32;

/// An accepted proof: what a fleet replay store needs (never the proof itself).
#[napi(object)]
pub struct AcceptedProof {
    /// base64url SHA-256 of the key thumbprint and `jti`.
    pub replay_key: String,
    /// How long the replay key must be kept, in milliseconds.
    pub ttl_ms: f64,
}

/// A proof that passed every check but the replay cache: hand it to
/// `record` once the request is otherwise accepted.
#[napi]
pub struct VerifiedProof {
    checked: dpop::CheckedProof,
}

#[napi]
impl VerifiedProof {
    /// base64url SHA-256 of the key thumbprint and `jti` (the fleet store's key).
    #[napi(getter)]
    pub fn replay_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.checked.replay_digest)
    }

    /// How long a fleet store must keep the replay key, in milliseconds.
    #[napi(getter)]
    pub fn ttl_ms(&self) -> f64 {
        fleet_ttl_ms(&self.checked)
    }
}

// Slack for peers whose clocks run behind this one's (the core's rule).
pub(crate) fn fleet_ttl_ms(checked: &dpop::CheckedProof) -> f64 {
    marker_ttl(checked).as_millis() as f64
}

#[napi(js_name = "DpopChecker")]
pub struct JsDpopChecker {
    pub(crate) inner: Arc<dpop::DpopChecker>,
    /// The fleet's replay markers, when a store is shared.
    pub(crate) fleet: Option<Arc<DpopFleet>>,
    /// Asks a JavaScript store's `isReady` on this thread.
    pub(crate) readiness: Option<Arc<Readiness>>,
}

#[napi]
impl JsDpopChecker {
    /// `store` (a `SharedStore` object or a `NativeStore`) shares the
    /// replay cache with the fleet; `onStoreEvent` receives its events.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "DpopOptions")] options: JsOptions,
        #[napi(ts_arg_type = "object | undefined | null")] store: Option<Unknown>,
        #[napi(ts_arg_type = "((event: StoreEvent) => void) | undefined | null")]
        on_store_event: Option<Function<StoreEventJs, ()>>,
    ) -> Result<Self> {
        let options = options
            .decode(DpopOptions::from_json, DpopOptions::unrepresentable)
            .map_err(|e| js_error(env, &e))?;
        let inner = options.to_checker().map_err(|e| js_error(env, &e))?;
        let (fleet, readiness) = match fleet_input(env, store, on_store_event)? {
            Some(input) => {
                let fleet = DpopFleet::new(input.store.clone(), &options, input.events.clone())
                    .map_err(|e| js_error(env, &e))?
                    .with_dispatch_slack(input.dispatch_slack());
                input.set_deadline(fleet.store_timeout());
                (Some(Arc::new(fleet)), input.readiness)
            }
            None => (None, None),
        };
        Ok(Self {
            inner: Arc::new(inner),
            fleet,
            readiness,
        })
    }

    #[napi(getter, ts_return_type = "'off' | 'allowed' | 'required'")]
    pub fn mode(&self) -> &'static str {
        self.inner.mode.as_str()
    }

    /// The accepted proof algorithms, for challenges and metadata.
    #[napi(getter)]
    pub fn algorithms(&self) -> Vec<&'static str> {
        self.inner
            .rules
            .algorithms
            .iter()
            .map(|alg| mcp_auth_core::keys::algorithms::name(*alg))
            .collect()
    }

    #[napi(getter)]
    pub fn nonces(&self) -> bool {
        self.inner.nonces.is_some()
    }

    /// Checks one request's proof against the verified token's `cnf.jkt`,
    /// all but the replay cache; throws a coded error (`dpop_*`).
    #[napi(catch_unwind)]
    pub fn verify(
        &self,
        env: &Env,
        proof: String,
        method: String,
        path: String,
        access_token: String,
        jkt: String,
    ) -> Result<VerifiedProof> {
        let request = ProofRequest {
            method: &method,
            path: &path,
            access_token: &access_token,
            jkt: &jkt,
        };
        let checked = self
            .inner
            .verify(&proof, &request)
            .map_err(|e| js_error(env, &e))?;
        Ok(VerifiedProof { checked })
    }

    /// Uses up a verified proof in the local replay cache; throws
    /// `dpop_replayed`, or a 503 code with `retryAfter` when there is no room.
    #[napi(catch_unwind)]
    pub fn record(&self, env: &Env, proof: &VerifiedProof) -> Result<()> {
        self.inner
            .record(&proof.checked)
            .map_err(|e| js_error(env, &e))
    }

    /// `verify` and `record` in one call.
    #[napi(catch_unwind)]
    pub fn check(
        &self,
        env: &Env,
        proof: String,
        method: String,
        path: String,
        access_token: String,
        jkt: String,
    ) -> Result<AcceptedProof> {
        let verified = self.verify(env, proof, method, path, access_token, jkt)?;
        self.record(env, &verified)?;
        Ok(AcceptedProof {
            replay_key: URL_SAFE_NO_PAD.encode(verified.checked.replay_digest),
            ttl_ms: fleet_ttl_ms(&verified.checked),
        })
    }

    /// A fresh server nonce, when nonces are enabled.
    #[napi(catch_unwind)]
    pub fn nonce(&self) -> Option<String> {
        self.inner.nonce()
    }
}
