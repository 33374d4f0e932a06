//! One piece of work per key in flight in this process: concurrent requests
//! for the same key share one endpoint call (introspection, token exchange)
//! or one fleet lookup, and its outcome, failures included. Whoever finishes
//! first retires the flight, so the next request starts afresh (and finds
//! the cache, or after an outage calls again).

use crate::error::AuthResult;
use crate::tokens::cache::Digest;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::OnceCell;

type Flight<V> = Arc<OnceCell<V>>;

pub struct InFlight<K, V> {
    running: Mutex<HashMap<K, Flight<V>>>,
}

/// Endpoint calls in progress, one per digest (of a token, or of a token
/// exchange's whole request).
pub type Flights<T> = InFlight<Digest, AuthResult<T>>;

impl<K, V> Default for InFlight<K, V> {
    fn default() -> Self {
        Self {
            running: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> InFlight<K, V> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, Flight<V>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `work` unless a flight for `key` is running, whose outcome is then shared.
    pub async fn share<F: Future<Output = V>>(&self, key: K, work: F) -> V {
        let flight = self.lock().entry(key.clone()).or_default().clone();
        // A guard, so a call that panics or is dropped midway retires it too.
        let retire = Retire {
            flights: self,
            key,
            flight: Some(flight),
        };
        let Some(flight) = &retire.flight else {
            return work.await;
        };
        flight.get_or_init(|| work).await.clone()
    }

    /// Flights running now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Retires its flight when dropped: once it has an outcome, or when nobody
/// else awaits it (its work panicked or was dropped midway; a remaining
/// waiter would otherwise take the work over).
struct Retire<'a, K: Eq + Hash + Clone, V: Clone> {
    flights: &'a InFlight<K, V>,
    key: K,
    flight: Option<Flight<V>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Drop for Retire<'_, K, V> {
    fn drop(&mut self) {
        let mut running = self.flights.lock();
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
