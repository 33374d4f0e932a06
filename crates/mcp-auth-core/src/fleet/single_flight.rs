//! The result stored under a key, or computed by exactly one process of the
//! fleet: the first to take the lock (set-if-absent of `<key>:lock`)
//! computes and stores it; the others poll for it until the lock's time is
//! up, then compute it themselves. A store that is unavailable at any step
//! means "compute here": the fleet is an optimisation, never a dependency.

use crate::fleet::guard::GuardedStore;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A guarded operation: `None` when the store is unavailable.
pub type RecordsFuture<'a, T> = Pin<Box<dyn Future<Output = Option<T>> + Send + 'a>>;

/// The operations the protocol needs, plain ([`GuardedStore`]) or signed
/// ([`crate::fleet::records::SignedStore`]).
pub trait Records: Send + Sync {
    fn get<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, Option<String>>;
    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> RecordsFuture<'a, ()>;
    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> RecordsFuture<'a, bool>;
    fn delete<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, ()>;
}

impl Records for GuardedStore {
    fn get<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, Option<String>> {
        Box::pin(GuardedStore::get(self, key))
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> RecordsFuture<'a, ()> {
        Box::pin(GuardedStore::set(self, key, value, ttl))
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> RecordsFuture<'a, bool> {
        Box::pin(GuardedStore::set_if_absent(self, key, value, ttl))
    }

    fn delete<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, ()> {
        Box::pin(GuardedStore::delete(self, key))
    }
}

/// How long the computing process may hold the lock, and how soon a
/// waiting one first looks for the result (then less often, up to 8×).
#[derive(Debug, Clone, Copy)]
pub struct FlightTiming {
    pub lock_ttl: Duration,
    pub poll: Duration,
}

/// The introspection fleet's timing: a lock held at most 2 s, polled from 25 ms.
pub const INTROSPECTION_TIMING: FlightTiming = FlightTiming {
    lock_ttl: Duration::from_millis(2_000),
    poll: Duration::from_millis(25),
};

/// The value and whether this process computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flown {
    pub value: String,
    pub computed: bool,
}

/// The value under `key`, or `compute`'s. `compute` returns the value to
/// store and its TTL (zero: do not store); its error is returned as is
/// (after the lock, if taken, is released).
pub async fn single_flight<S, E, F>(
    store: &S,
    key: &str,
    compute: F,
    timing: FlightTiming,
) -> Result<Flown, E>
where
    S: Records + ?Sized,
    F: Future<Output = Result<(String, Duration), E>>,
{
    let stored = store.get(key).await;
    if let Some(Some(value)) = stored {
        return Ok(Flown {
            value,
            computed: false,
        });
    }
    let compute_and_store = |compute: F| async move {
        let (value, ttl) = compute.await?;
        if !ttl.is_zero() {
            store.set(key, &value, ttl).await;
        }
        Ok(Flown {
            value,
            computed: true,
        })
    };
    if stored.is_none() {
        return compute_and_store(compute).await;
    }
    let lock_key = format!("{key}:lock");
    let lock = store.set_if_absent(&lock_key, "1", timing.lock_ttl).await;
    if lock != Some(false) {
        let result = compute_and_store(compute).await;
        if lock == Some(true) {
            store.delete(&lock_key).await;
        }
        return result;
    }
    // The wait doubles up to 8 × poll: a slow holder costs a few commands, not one pair per poll.
    let poll = timing.poll.max(Duration::from_millis(1));
    let (mut waited, mut wait) = (Duration::ZERO, poll);
    while waited < timing.lock_ttl {
        tokio::time::sleep(wait).await;
        match store.get(key).await {
            None => break,
            Some(Some(value)) => {
                return Ok(Flown {
                    value,
                    computed: false,
                })
            }
            Some(None) => {}
        }
        // The holder gave up (released the lock without storing): compute now.
        if store.get(&lock_key).await == Some(None) {
            break;
        }
        waited += wait;
        wait = (wait * 2).min(poll * 8);
    }
    compute_and_store(compute).await
}

#[cfg(test)]
#[path = "single_flight_tests.rs"]
mod tests;
