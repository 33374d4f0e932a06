//! A process-wide cache of each authorization server's JWK Set (C24).
//!
//! One `KeySetCache` per `jwks_uri` (and options), shared by every verifier:
//! N concurrent cold verifications cause one HTTP request (single flight);
//! a set is never used past its `ttl` (`cacheMaxAge`) while a fetch could
//! succeed, and is refreshed in the background shortly before; the cooldown
//! only spaces out retries after a failure and refetches for unknown kids;
//! the last good set stays usable for a bounded time while the server is
//! down (stale-if-error); a failure is remembered one cooldown, never longer.
//! Only the redacted URL (`http::shown_url`) leaves this module.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::{self, FetchOptions, Fetched};
use crate::keys::jwk::{self, KeySet};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySetOptions {
    /// How long a fetched set is fresh (jose `cacheMaxAge`, default 10 min).
    pub ttl: Duration,
    /// Minimum gap between fetches triggered by unknown kids, and between retries after a failure.
    pub cooldown: Duration,
    /// How long past `ttl` the last good set is still used while refreshes fail.
    pub stale_max: Duration,
    pub fetch: FetchOptions,
}

impl Default for KeySetOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(600),
            cooldown: Duration::from_secs(30),
            stale_max: Duration::from_secs(3600),
            fetch: FetchOptions::default(),
        }
    }
}

impl KeySetOptions {
    /// Refresh this long before expiry so requests never wait on a routine refresh.
    fn refresh_ahead(&self) -> Duration {
        Duration::from_secs(5).min(self.ttl / 2)
    }
}

/// What a fetch reports, for logs and metrics.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySetEvent {
    Refreshed {
        jwks_uri: String,
        key_count: usize,
        warnings: Vec<String>,
    },
    Unavailable {
        jwks_uri: String,
        reason: String,
    },
}

pub type EventSink = Arc<dyn Fn(KeySetEvent) + Send + Sync>;

/// The cached set as the synchronous path sees it.
pub enum Cached {
    Usable {
        keys: Arc<KeySet>,
        refresh_due: bool,
    },
    /// Past its ttl and a fetch may be tried: wait for one (`ensure`).
    Expired,
    Missing,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    last_error: Option<AuthError>,
    /// Bumped after every completed fetch; lets waiters see that someone else fetched.
    generation: u64,
    in_flight: bool,
}

pub struct KeySetCache {
    uri: Url,
    /// `uri` without credentials: what errors and events carry.
    shown: String,
    options: KeySetOptions,
    state: Mutex<State>,
    fetch_lock: tokio::sync::Mutex<()>,
}

/// Caches are shared only between verifiers that asked for the same behaviour.
type RegistryKey = (String, [u128; 4], usize);

fn registry_key(uri: &Url, o: &KeySetOptions) -> RegistryKey {
    let durations = [o.ttl, o.cooldown, o.stale_max, o.fetch.timeout].map(|d| d.as_millis());
    (uri.as_str().to_owned(), durations, o.fetch.max_body_bytes)
}
static REGISTRY: LazyLock<Mutex<HashMap<RegistryKey, Weak<KeySetCache>>>> =
    LazyLock::new(Default::default);

/// The process-wide cache for `uri` with these options.
pub fn shared(uri: &Url, options: &KeySetOptions) -> Arc<KeySetCache> {
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    registry.retain(|_, weak| weak.strong_count() > 0);
    let key = registry_key(uri, options);
    if let Some(existing) = registry.get(&key).and_then(Weak::upgrade) {
        return existing;
    }
    let cache = Arc::new(KeySetCache::new(uri.clone(), options.clone()));
    registry.insert(key, Arc::downgrade(&cache));
    cache
}

impl KeySetCache {
    pub fn new(uri: Url, options: KeySetOptions) -> Self {
        Self {
            shown: http::shown_url(&uri),
            uri,
            options,
            state: Mutex::new(State::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The key-set URL, redacted.
    pub fn uri(&self) -> &str {
        &self.shown
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of
        // plain data; the data is still consistent enough to serve.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The set usable right now, without I/O.
    pub fn cached(&self, now: Instant) -> Cached {
        self.snapshot(now).0
    }

    /// The usable set together with the fetch generation it belongs to, read
    /// under one lock: a fetch that completes between a look and a decision to
    /// fetch must not cause a second request.
    fn snapshot(&self, now: Instant) -> (Cached, u64) {
        let state = self.state();
        let generation = state.generation;
        (self.usable(&state, now), generation)
    }

    fn usable(&self, state: &State, now: Instant) -> Cached {
        let (Some(keys), Some(fetched_at)) = (&state.keys, state.fetched_at) else {
            return Cached::Missing;
        };
        let age = now.saturating_duration_since(fetched_at);
        let o = &self.options;
        let failing = self.failing(state, now);
        if age >= o.ttl + o.stale_max {
            return Cached::Missing;
        }
        if age >= o.ttl && !failing {
            return Cached::Expired;
        }
        Cached::Usable {
            keys: keys.clone(),
            refresh_due: age + o.refresh_ahead() >= o.ttl && !state.in_flight && !failing,
        }
    }

    /// A fetch failed within the last cooldown: do not retry yet.
    fn failing(&self, state: &State, now: Instant) -> bool {
        state.last_error.is_some() && self.cooling_down(state, now)
    }

    fn cooling_down(&self, state: &State, now: Instant) -> bool {
        state
            .last_attempt
            .is_some_and(|at| now.saturating_duration_since(at) < self.options.cooldown)
    }

    /// Whether an unknown kid may trigger a fetch now.
    pub fn may_refetch(&self, now: Instant) -> bool {
        !self.cooling_down(&self.state(), now)
    }

    /// A usable set, fetching one if needed (single flight). A failure seen
    /// within the last cooldown is returned again without a new request; the
    /// last good set stands in for a failed fetch while it is within bounds.
    pub async fn ensure(
        &self,
        now: Instant,
        events: Option<&EventSink>,
    ) -> AuthResult<Arc<KeySet>> {
        let (cached, seen) = self.snapshot(now);
        match cached {
            Cached::Usable { keys, .. } => return Ok(keys),
            Cached::Expired => {}
            Cached::Missing => {
                if let Some(err) = self.recent_failure(now) {
                    return Err(err);
                }
            }
        }
        let fetched = self.fetch(now, seen, events).await;
        match (fetched, self.cached(now)) {
            (Ok(keys), _) => Ok(keys),
            (Err(_), Cached::Usable { keys, .. }) => Ok(keys),
            (Err(err), _) => Err(err),
        }
    }

    /// Refetch for an unknown kid, at most once per cooldown; otherwise the
    /// current set. Either way the caller looks the kid up once more.
    pub async fn refetch_for_unknown_kid(
        &self,
        now: Instant,
        events: Option<&EventSink>,
    ) -> AuthResult<Arc<KeySet>> {
        let seen = self.state().generation;
        if self.may_refetch(now) {
            if let Ok(keys) = self.fetch(now, seen, events).await {
                return Ok(keys);
            }
        }
        self.ensure(now, events).await
    }

    /// A background refresh before or after expiry; failures keep the old set.
    pub async fn refresh(&self, now: Instant, events: Option<&EventSink>) {
        if let (
            Cached::Usable {
                refresh_due: true, ..
            },
            seen,
        ) = self.snapshot(now)
        {
            let _ = self.fetch(now, seen, events).await;
        }
    }

    fn recent_failure(&self, now: Instant) -> Option<AuthError> {
        let state = self.state();
        let err = state.last_error.as_ref()?;
        let at = state.last_attempt?;
        let remaining = self
            .options
            .cooldown
            .checked_sub(now.saturating_duration_since(at))?;
        Some(
            err.clone()
                .with_retry_after(remaining.as_secs().max(1) as u32),
        )
    }

    /// Fetches the set unless a fetch completed since generation `seen`
    /// (single flight: waiters share that fetch's result).
    async fn fetch(
        &self,
        now: Instant,
        seen: u64,
        events: Option<&EventSink>,
    ) -> AuthResult<Arc<KeySet>> {
        let _guard = self.fetch_lock.lock().await;
        {
            // Someone else completed a fetch while we waited: share its result.
            let state = self.state();
            if state.generation != seen {
                return match (&state.last_error, &state.keys) {
                    (None, Some(keys)) => Ok(keys.clone()),
                    (Some(err), _) => Err(err.clone()),
                    (None, None) => Err(self.unavailable("no key set")),
                };
            }
        }
        self.state().in_flight = true;
        let result = self.download().await;
        let mut state = self.state();
        state.in_flight = false;
        state.generation += 1;
        state.last_attempt = Some(now);
        match result {
            Ok(set) => {
                let keys = Arc::new(set);
                state.keys = Some(keys.clone());
                state.fetched_at = Some(now);
                state.last_error = None;
                drop(state);
                if let Some(sink) = events {
                    sink(KeySetEvent::Refreshed {
                        jwks_uri: self.uri().to_owned(),
                        key_count: keys.keys.len(),
                        warnings: keys.warnings.clone(),
                    });
                }
                Ok(keys)
            }
            Err(err) => {
                state.last_error = Some(err.clone());
                drop(state);
                if let Some(sink) = events {
                    sink(KeySetEvent::Unavailable {
                        jwks_uri: self.uri().to_owned(),
                        reason: err.reason.clone(),
                    });
                }
                Err(err)
            }
        }
    }

    fn unavailable(&self, reason: &str) -> AuthError {
        AuthError::new(ErrorCode::JwksUnavailable, reason)
            .with_url(self.shown.as_str())
            .with_retry_after(self.options.cooldown.as_secs().max(1) as u32)
    }

    async fn download(&self) -> AuthResult<KeySet> {
        let retry = self.options.cooldown.as_secs().max(1) as u32;
        // Whatever went wrong with the key set is the server's problem, not the
        // token's: report it as unavailable (503 at the edge), never as invalid.
        // What `http` found out (the server's Retry-After, the redacted URL) stays.
        let as_unavailable = |e: AuthError| AuthError {
            code: ErrorCode::JwksUnavailable,
            retry_after: e.retry_after.or(Some(retry)),
            url: e.url.or_else(|| Some(self.shown.clone())),
            ..e
        };
        match http::get_json_object(&self.uri, &self.options.fetch, ErrorCode::JwksUnavailable)
            .await
            .map_err(as_unavailable)?
        {
            Fetched::NotFound => Err(self.unavailable("key set not found (404)")),
            Fetched::Object(doc) => {
                let set = jwk::parse_key_set(&doc).map_err(as_unavailable)?;
                // A set with nothing usable cannot verify anything: that is an
                // outage (503, old keys kept), not a reason to reject tokens.
                if set.keys.is_empty() {
                    return Err(self.unavailable("key set has no usable keys"));
                }
                Ok(set)
            }
        }
    }
}

#[cfg(test)]
#[path = "key_set_tests.rs"]
mod tests;
