//! The `DpopChecker` class JavaScript uses: one call per DPoP request
//! (`check`), plus the nonce to hand out. The checks live in `dpop.rs`.

use crate::dpop::{self, ProofRequest};
use crate::dpop_config::DpopOptions;
use crate::js_error::js_error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Longest DPoP proof accepted, in bytes: the wrapper refuses a longer one
/// before it verifies the token, with the addon's own limit.
#[napi]
// Only the JavaScript export reads it; test builds do not register exports.
#[cfg_attr(test, allow(dead_code))]
pub const DPOP_MAX_PROOF_LENGTH: u32 = dpop::MAX_PROOF_LENGTH as u32;

/// Seconds a fleet replay key outlives the proof's window on this clock.
const FLEET_CLOCK_SLACK_SECS: u64 = 60;

/// An accepted proof: what a fleet replay store needs (never the proof itself).
#[napi(object)]
pub struct AcceptedProof {
    /// base64url SHA-256 of the key thumbprint and `jti`.
    pub replay_key: String,
    /// How long the replay key must be kept, in milliseconds.
    pub ttl_ms: f64,
}

#[napi(js_name = "DpopChecker")]
pub struct JsDpopChecker {
    inner: dpop::DpopChecker,
}

#[napi]
impl JsDpopChecker {
    #[napi(constructor, catch_unwind)]
    pub fn new(env: &Env, options: DpopOptions) -> Result<Self> {
        let inner = options.to_checker().map_err(|e| js_error(env, &e))?;
        Ok(Self { inner })
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
            .map(|alg| crate::algorithms::name(*alg))
            .collect()
    }

    #[napi(getter)]
    pub fn nonces(&self) -> bool {
        self.inner.nonces.is_some()
    }

    /// Checks one request's proof against the verified token's `cnf.jkt`;
    /// throws a coded error (`dpop_*`).
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
        let request = ProofRequest {
            method: &method,
            path: &path,
            access_token: &access_token,
            jkt: &jkt,
        };
        let checked = self
            .inner
            .check(&proof, &request)
            .map_err(|e| js_error(env, &e))?;
        Ok(AcceptedProof {
            replay_key: URL_SAFE_NO_PAD.encode(checked.replay_digest),
            // Slack for peers whose clocks run behind this one's.
            ttl_ms: (checked.remaining + FLEET_CLOCK_SLACK_SECS) as f64 * 1000.0,
        })
    }

    /// A fresh server nonce, when nonces are enabled.
    #[napi(catch_unwind)]
    pub fn nonce(&self) -> Option<String> {
        self.inner.nonce()
    }
}
