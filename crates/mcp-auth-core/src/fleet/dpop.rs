//! The DPoP replay markers a fleet shares (RFC 9449 §11.1): a proof used at
//! one process is a replay at the others. After the local replay cache
//! accepted a proof, a set-if-absent of `dpop:<base64url replay digest>`
//! (a hash of key thumbprint and `jti`, never the proof) for as long as the
//! proof can be accepted, plus clock slack: exactly one process wins.
//!
//! The marker needs no fleet secret: its presence can only refuse a proof,
//! never accept one, and a writer able to forge markers could as well
//! delete them. While the store is out the claim fails closed in every mode
//! (503 with Retry-After): a bound token has no Bearer way in, so an
//! unchecked proof could be replayed at every other process.

use crate::dpop::proof::{CheckedProof, DpopChecker};
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::fleet::guard::{store_timeout, EventSink, GuardOptions, GuardedStore};
use crate::fleet::store::SharedStore;
use crate::options::dpop::DpopOptions;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;
use std::time::Duration;

/// How long a marker outlives the proof's window on this clock: slack for
/// peers whose clocks run behind this one's.
pub const CLOCK_SLACK: Duration = Duration::from_secs(60);
/// Seconds a client waits before retrying while the store is out.
const RETRY_AFTER_SECS: u32 = 1;

pub struct DpopFleet {
    store: GuardedStore,
}

/// The store key of an accepted proof.
pub fn marker_key(checked: &CheckedProof) -> String {
    format!("dpop:{}", URL_SAFE_NO_PAD.encode(checked.replay_digest))
}

/// How long the marker is kept.
pub fn marker_ttl(checked: &CheckedProof) -> Duration {
    Duration::from_secs(checked.remaining) + CLOCK_SLACK
}

impl DpopFleet {
    /// Refuses a `storeTimeout` out of range.
    pub fn new(
        store: Arc<dyn SharedStore>,
        options: &DpopOptions,
        events: Option<EventSink>,
    ) -> AuthResult<Self> {
        let timeout = store_timeout(options.store_timeout, "dpop.storeTimeout")?;
        Ok(Self {
            store: GuardedStore::new(
                store,
                GuardOptions {
                    timeout,
                    ..GuardOptions::default()
                },
                events,
            ),
        })
    }

    /// See [`GuardedStore::with_dispatch_slack`].
    pub fn with_dispatch_slack(mut self, slack: Duration) -> Self {
        self.store = self.store.with_dispatch_slack(slack);
        self
    }

    /// The deadline of one store operation.
    pub fn store_timeout(&self) -> Duration {
        self.store.timeout()
    }

    /// Claims a proof the checker recorded: refused as a replay when another
    /// process claimed it, or with a 503 code when the store is out. A
    /// refused proof's local slot is given back (the request is not
    /// accepted, so the proof was not used here; the key's share stays for
    /// requests that are): acceptance needs the fleet's atomic claim, so
    /// this never lets a proof in twice.
    pub async fn claim(&self, checker: &DpopChecker, checked: &CheckedProof) -> AuthResult<()> {
        let claimed = self
            .store
            .set_if_absent(&marker_key(checked), "1", marker_ttl(checked))
            .await;
        let refused = match claimed {
            Some(true) => return Ok(()),
            Some(false) => AuthError::new(ErrorCode::DpopReplayed, "DPoP proof was already used"),
            None => AuthError::new(
                ErrorCode::DpopReplayStoreUnavailable,
                "DPoP replay store is unavailable",
            )
            .with_retry_after(RETRY_AFTER_SECS),
        };
        checker.release(checked);
        Err(refused)
    }
}

#[cfg(test)]
#[path = "dpop_tests.rs"]
mod tests;
