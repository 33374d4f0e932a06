//! A fleet store behind a deadline and a circuit ([`GuardedStore`]). The
//! store is an optimisation, never a dependency: every operation has a
//! deadline, and a store that fails, hangs or is not ready is reported
//! (once per outage) and answered "unavailable", so requests fall back to
//! the local cache and the authorization server (introspection) or fail
//! closed (DPoP). Operations in flight are bounded; a panic in a store
//! becomes a failure; a failure's reason has URL credentials removed.

use crate::error::AuthResult;
use crate::fleet::circuit::{Admission, Circuit, Transition, DEFAULT_PROBE_MAX, DEFAULT_PROBE_MIN};
use crate::fleet::store::{SharedStore, StoreFuture};
use crate::options::values::millis;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::time::Instant;

/// Default deadline of one store operation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// A `storeTimeout` option: milliseconds, default 250, from 1 to 60000.
/// `option` is its full name (`dpop.storeTimeout`), which a refusal names.
pub fn store_timeout(value: Option<f64>, option: &str) -> AuthResult<Duration> {
    millis(value, DEFAULT_TIMEOUT, option, 1..=60_000)
}
/// Operations one guarded store lets run at once; more are answered
/// "unavailable" without reaching the store, so a slow store cannot gather
/// an unbounded queue before its first deadline opens the circuit.
pub const MAX_IN_FLIGHT: usize = 1024;
/// Longest reason an outage event carries, in characters.
const MAX_REASON_CHARS: usize = 200;

/// The store operations, as events name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Get,
    Set,
    SetIfAbsent,
    Delete,
}

impl Operation {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Set => "set",
            Self::SetIfAbsent => "setIfAbsent",
            Self::Delete => "delete",
        }
    }
}

/// Why a record read from the store was refused (fixed codes, never its key or value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRejection {
    /// Not signed with this fleet's secret for this key.
    BadMac,
    /// Not a signed record at all.
    Unreadable,
    /// Signed, but not encrypted by this fleet for this key (`cipher.rs`).
    Undecryptable,
}

impl RecordRejection {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadMac => "bad_mac",
            Self::Unreadable => "unreadable",
            Self::Undecryptable => "undecryptable",
        }
    }
}

/// What a binding reports to its listeners (`store_unavailable`,
/// `store_recovered`, `store_record_rejected`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEvent {
    Unavailable {
        operation: Operation,
        reason: String,
    },
    Recovered,
    RecordRejected {
        reason: RecordRejection,
    },
}

impl StoreEvent {
    /// The event's `type`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => "store_unavailable",
            Self::Recovered => "store_recovered",
            Self::RecordRejected { .. } => "store_record_rejected",
        }
    }
}

/// Receives store events; called on whatever thread ran the operation.
pub type EventSink = Arc<dyn Fn(StoreEvent) + Send + Sync>;

/// Deadline and circuit timing (the probe bounds are for tests).
#[derive(Debug, Clone, Copy)]
pub struct GuardOptions {
    pub timeout: Duration,
    pub probe_min: Duration,
    pub probe_max: Duration,
}

impl Default for GuardOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            probe_min: DEFAULT_PROBE_MIN,
            probe_max: DEFAULT_PROBE_MAX,
        }
    }
}

/// A fleet store whose operations never fail, hang or panic: `None` means
/// "unavailable, carry on without it".
pub struct GuardedStore {
    store: Arc<dyn SharedStore>,
    timeout: Duration,
    /// See [`GuardedStore::with_dispatch_slack`].
    dispatch_slack: Duration,
    circuit: Circuit,
    events: Option<EventSink>,
    in_flight: AtomicUsize,
}

/// Settles its circuit admission when dropped, so an operation abandoned
/// midway (its caller dropped) still frees the probe slot.
struct Attempt<'a> {
    guard: &'a GuardedStore,
    admission: Admission,
    operation: Operation,
    outcome: Option<Result<(), String>>,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.guard.in_flight.fetch_sub(1, Ordering::Relaxed);
        let now = Instant::now();
        let Some(outcome) = self.outcome.take() else {
            // Abandoned by its caller: nothing learnt about the store, but a
            // probe's slot must go back.
            if self.admission == Admission::Probe {
                self.guard.circuit.settle(self.admission, false, now);
            }
            return;
        };
        match (
            self.guard
                .circuit
                .settle(self.admission, outcome.is_ok(), now),
            outcome,
        ) {
            (Some(Transition::Closed), _) => self.guard.report(StoreEvent::Recovered),
            (Some(Transition::Opened), Err(reason)) => self.guard.report(StoreEvent::Unavailable {
                operation: self.operation,
                reason,
            }),
            _ => {}
        }
    }
}

impl GuardedStore {
    pub fn new(
        store: Arc<dyn SharedStore>,
        options: GuardOptions,
        events: Option<EventSink>,
    ) -> Self {
        Self {
            store,
            timeout: options.timeout,
            dispatch_slack: Duration::ZERO,
            circuit: Circuit::new(options.probe_min, options.probe_max),
            events,
            in_flight: AtomicUsize::new(0),
        }
    }

    /// For a store whose operations first wait for another thread to start
    /// them (one written in a binding's language, called on that language's
    /// thread) and which bounds its own part by [`Self::timeout`] from the
    /// moment it starts: the guard's deadline grows by `slack`, so a busy
    /// thread is not mistaken for a store outage, while a stuck one still is.
    pub fn with_dispatch_slack(mut self, slack: Duration) -> Self {
        self.dispatch_slack = slack;
        self
    }

    /// The deadline of one operation.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Hands `event` to the sink; a sink that panics is not the store's failure.
    pub fn report(&self, event: StoreEvent) {
        if let Some(sink) = &self.events {
            let _ = catch_unwind(AssertUnwindSafe(|| sink(event)));
        }
    }

    pub fn get<'a>(
        &'a self,
        key: &'a str,
    ) -> impl Future<Output = Option<Option<String>>> + Send + 'a {
        self.run(Operation::Get, move |s| s.get(key))
    }

    pub fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> impl Future<Output = Option<()>> + Send + 'a {
        self.run(Operation::Set, move |s| s.set(key, value, ttl))
    }

    pub fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> impl Future<Output = Option<bool>> + Send + 'a {
        self.run(Operation::SetIfAbsent, move |s| {
            s.set_if_absent(key, value, ttl)
        })
    }

    pub fn delete<'a>(&'a self, key: &'a str) -> impl Future<Output = Option<()>> + Send + 'a {
        self.run(Operation::Delete, move |s| s.delete(key))
    }

    fn ready(&self) -> bool {
        catch_unwind(AssertUnwindSafe(|| self.store.is_ready())).unwrap_or(false)
    }

    /// Admits the operation now (when called, not when first polled), then
    /// runs it under the deadline.
    fn run<'a, T: Send + 'a>(
        &'a self,
        operation: Operation,
        call: impl FnOnce(&'a dyn SharedStore) -> StoreFuture<'a, T> + Send + 'a,
    ) -> impl Future<Output = Option<T>> + Send + 'a {
        let admission = self.circuit.admit(self.ready(), Instant::now());
        if admission == Admission::Tripped {
            self.report(StoreEvent::Unavailable {
                operation,
                reason: "the store is not ready".to_owned(),
            });
        }
        let admitted = matches!(admission, Admission::Pass | Admission::Probe)
            && self.in_flight.fetch_add(1, Ordering::Relaxed) < MAX_IN_FLIGHT;
        let mut attempt = match admitted {
            true => Some(Attempt {
                guard: self,
                admission,
                operation,
                outcome: None,
            }),
            false => {
                if matches!(admission, Admission::Pass | Admission::Probe) {
                    // Over the bound: not counted, and a probe slot goes back unused.
                    self.in_flight.fetch_sub(1, Ordering::Relaxed);
                    if admission == Admission::Probe {
                        self.circuit.settle(admission, false, Instant::now());
                    }
                }
                None
            }
        };
        async move {
            let attempt_ref = attempt.as_mut()?;
            let store: &'a dyn SharedStore = &*self.store;
            let result = match catch_unwind(AssertUnwindSafe(|| call(store))) {
                Ok(future) => match tokio::time::timeout(
                    self.timeout + self.dispatch_slack,
                    unwind_safe(future),
                )
                .await
                {
                    Ok(Some(Ok(value))) => Ok(value),
                    Ok(Some(Err(err))) => Err(scrub(&err.0)),
                    Ok(None) => Err("the store failed".to_owned()),
                    Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
                },
                Err(_) => Err("the store failed".to_owned()),
            };
            match result {
                Ok(value) => {
                    attempt_ref.outcome = Some(Ok(()));
                    Some(value)
                }
                Err(reason) => {
                    attempt_ref.outcome = Some(Err(reason));
                    None
                }
            }
        }
    }
}

/// `future`'s output, or `None` when polling it panicked.
async fn unwind_safe<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| {
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Some(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    })
    .await
}

/// `message` without the user information of any URL in it (a store URL
/// with a password must not reach logs), cut to a bounded length.
pub fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_REASON_CHARS));
    let mut rest = message;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let scheme_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-');
        let has_scheme = rest[..at].chars().next_back().is_some_and(scheme_char);
        out.push_str(&rest[..at + 3]);
        let end = after.find(|c: char| c.is_whitespace() || c == '/' || c == '@');
        rest = match end {
            Some(end) if has_scheme && after[end..].starts_with('@') => &after[end + 1..],
            _ => after,
        };
    }
    out.push_str(rest);
    match out.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
