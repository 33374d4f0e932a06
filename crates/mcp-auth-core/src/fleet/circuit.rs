//! The circuit in front of a fleet store. During an outage a store client
//! keeps every command it cannot answer (an offline queue, pending replies),
//! so each request that still tried the store would grow memory. Once an
//! operation fails the circuit opens: operations are answered "unavailable"
//! at once without reaching the store, while one probe at a time goes
//! through, when the client says it is ready again or at a growing interval
//! (bounded), and its success closes the circuit.
//!
//! Pure state: the caller passes the time and the client's readiness.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub const DEFAULT_PROBE_MIN: Duration = Duration::from_millis(250);
pub const DEFAULT_PROBE_MAX: Duration = Duration::from_secs(5);

/// What the guard may do with one operation: call the store (`Pass`, or
/// `Probe` while open), or answer "unavailable" without calling it (`Skip`;
/// `Tripped` when this very check opened the circuit, an outage to report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Pass,
    Probe,
    Skip,
    Tripped,
}

/// A change worth an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Opened,
    Closed,
}

#[derive(Debug)]
struct State {
    open: bool,
    probing: bool,
    interval: Duration,
    next_probe_at: Option<Instant>,
    /// The client reported not ready during this outage: its return to
    /// ready is worth a probe at once.
    was_not_ready: bool,
}

#[derive(Debug)]
pub struct Circuit {
    min: Duration,
    max: Duration,
    state: Mutex<State>,
}

impl Circuit {
    pub fn new(probe_min: Duration, probe_max: Duration) -> Self {
        Self {
            min: probe_min,
            max: probe_max.max(probe_min),
            state: Mutex::new(State {
                open: false,
                probing: false,
                interval: Duration::ZERO,
                next_probe_at: None,
                was_not_ready: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_open(&self) -> bool {
        self.lock().open
    }

    /// Whether the store may be called now; a `Probe` must be answered with `settle`.
    pub fn admit(&self, ready: bool, now: Instant) -> Admission {
        let mut s = self.lock();
        if !s.open {
            if ready {
                return Admission::Pass;
            }
            self.trip(&mut s, now);
            s.was_not_ready = true;
            return Admission::Tripped;
        }
        if !ready {
            s.was_not_ready = true;
            return Admission::Skip;
        }
        let early = s.next_probe_at.is_some_and(|at| now < at);
        if s.probing || (!s.was_not_ready && early) {
            return Admission::Skip;
        }
        s.probing = true;
        s.was_not_ready = false;
        Admission::Probe
    }

    /// An operation's outcome, and the transition it caused, if any.
    pub fn settle(&self, admission: Admission, ok: bool, now: Instant) -> Option<Transition> {
        let mut s = self.lock();
        if admission == Admission::Probe {
            s.probing = false;
            if ok {
                s.open = false;
                return Some(Transition::Closed);
            }
            s.interval = (s.interval * 2).min(self.max);
            s.next_probe_at = Some(now + s.interval);
            return None;
        }
        // An operation let through before the circuit opened says nothing new once it is open.
        if admission != Admission::Pass || ok || s.open {
            return None;
        }
        self.trip(&mut s, now);
        Some(Transition::Opened)
    }

    fn trip(&self, s: &mut State, now: Instant) {
        s.open = true;
        s.interval = self.min;
        s.next_probe_at = Some(now + self.min);
    }
}
