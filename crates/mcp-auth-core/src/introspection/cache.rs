//! The local introspection cache: verdicts keyed by the SHA-256 of the token
//! (`token_cache::digest`), each kept until its own deadline (`min(exp,
//! cacheMaxAge)` for active tokens, `negativeCacheTtl` for inactive ones),
//! bounded in count (least recently used evicted first). Outages are never
//! stored. `Flights` shares one endpoint call among concurrent requests for
//! the same token.

use crate::error::AuthResult;
use crate::introspection::response::Verdict;
use crate::tokens::cache::Digest;
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::OnceCell;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

struct Entry {
    verdict: Verdict,
    until: Instant,
}

pub struct VerdictCache {
    entries: Mutex<LruCache<Digest, Entry>>,
}

impl VerdictCache {
    /// `None` when `entries` is zero: caching disabled.
    pub fn new(entries: usize) -> Option<Self> {
        Some(Self {
            entries: Mutex::new(LruCache::new(NonZeroUsize::new(entries)?)),
        })
    }

    pub fn get(&self, key: &Digest, now: Instant) -> Option<Verdict> {
        let mut entries = lock(&self.entries);
        let entry = entries.get(key)?;
        if now >= entry.until {
            entries.pop(key);
            return None;
        }
        Some(entry.verdict.clone())
    }

    /// Stores `verdict` until `until`; a deadline already past stores nothing.
    pub fn insert(&self, key: Digest, verdict: Verdict, until: Instant, now: Instant) {
        if until > now {
            lock(&self.entries).put(key, Entry { verdict, until });
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }
}

type Flight<T> = Arc<OnceCell<AuthResult<T>>>;

/// Endpoint calls in progress, one per digest (of a token, or of a token
/// exchange's whole request).
pub struct Flights<T = Verdict> {
    running: Mutex<HashMap<Digest, Flight<T>>>,
}

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Self {
            running: Mutex::default(),
        }
    }
}

impl<T: Clone> Flights<T> {
    /// Runs `call` unless a call for `key` is already running, in which case
    /// its outcome (success, inactive or outage alike) is shared.
    pub async fn share<F>(&self, key: Digest, call: F) -> AuthResult<T>
    where
        F: std::future::Future<Output = AuthResult<T>>,
    {
        let flight = lock(&self.running).entry(key).or_default().clone();
        // Whoever finishes first retires the flight; the next request for this
        // token finds the cache (or, after an outage, calls again). A guard,
        // so a call that panics or is dropped midway retires it too.
        let retire = Retire {
            flights: self,
            key,
            flight: Some(flight),
        };
        let Some(flight) = &retire.flight else {
            return call.await;
        };
        flight.get_or_init(|| call).await.clone()
    }
}

impl<T> Flights<T> {
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        lock(&self.running).is_empty()
    }
}

/// Retires its flight from `running` when dropped: once the flight has an
/// outcome, or when nobody else awaits it (its call panicked or was dropped
/// midway; a remaining waiter would otherwise take the call over).
struct Retire<'a, T> {
    flights: &'a Flights<T>,
    key: Digest,
    flight: Option<Flight<T>>,
}

impl<T> Drop for Retire<'_, T> {
    fn drop(&mut self) {
        let mut running = lock(&self.flights.running);
        let Some(mine) = self.flight.take() else {
            return;
        };
        let finished = mine.initialized();
        let current = running.get(&self.key).filter(|f| Arc::ptr_eq(f, &mine));
        // Counted under the lock, after this guard's own reference is gone:
        // joiners clone under the same lock.
        drop(mine);
        if current.is_some_and(|f| finished || Arc::strong_count(f) == 1) {
            running.remove(&self.key);
        }
    }
}
