//! One fleet lookup per key in this process: concurrent requests for the
//! same key share one store lookup (and lock-and-poll loop) and its outcome,
//! as they share one endpoint call. Whoever finishes first retires the
//! flight, so the next request starts afresh (and finds the local cache).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::OnceCell;

type Flight<V> = Arc<OnceCell<V>>;

pub struct Coalesce<V> {
    running: Mutex<HashMap<String, Flight<V>>>,
}

impl<V> Default for Coalesce<V> {
    fn default() -> Self {
        Self {
            running: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> Coalesce<V> {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Flight<V>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `work` unless a flight for `key` is running, whose outcome is then shared.
    pub async fn share<F: Future<Output = V>>(&self, key: &str, work: F) -> V {
        let flight = self.lock().entry(key.to_owned()).or_default().clone();
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
/// else awaits it (its work panicked or was dropped midway).
struct Retire<'a, V: Clone> {
    flights: &'a Coalesce<V>,
    key: &'a str,
    flight: Option<Flight<V>>,
}

impl<V: Clone> Drop for Retire<'_, V> {
    fn drop(&mut self) {
        let mut running = self.flights.lock();
        let Some(mine) = self.flight.take() else {
            return;
        };
        let finished = mine.initialized();
        let current = running.get(self.key).filter(|f| Arc::ptr_eq(f, &mine));
        // Counted under the lock, after this guard's own reference is gone:
        // joiners clone under the same lock.
        drop(mine);
        if current.is_some_and(|f| finished || Arc::strong_count(f) == 1) {
            running.remove(self.key);
        }
    }
}
