//! A [`SharedStore`] in this process's memory: for tests of the fleet logic
//! (in Rust, and in bindings that want a store without a server). It can be
//! told to fail, to hang or to report not ready, and it counts the calls
//! that reached it, so the circuit's promises can be checked.

use crate::fleet::store::{SharedStore, StoreError, StoreFuture};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, (String, Instant)>>,
    calls: AtomicUsize,
    failing: AtomicBool,
    hanging: AtomicBool,
    not_ready: AtomicBool,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Operations that reached the store (whatever their outcome).
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Every operation fails with "connection refused" while set.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Every operation started while set never answers.
    pub fn set_hanging(&self, hanging: bool) {
        self.hanging.store(hanging, Ordering::SeqCst);
    }

    /// What `is_ready` answers.
    pub fn set_ready(&self, ready: bool) {
        self.not_ready.store(!ready, Ordering::SeqCst);
    }

    /// The live keys, sorted (expired ones left out).
    pub fn keys(&self) -> Vec<String> {
        let now = Instant::now();
        let mut keys: Vec<String> = self
            .lock()
            .iter()
            .filter(|(_, (_, until))| *until > now)
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// The raw stored value under `key` (no call counted).
    pub fn raw(&self, key: &str) -> Option<String> {
        let now = Instant::now();
        self.lock()
            .get(key)
            .filter(|(_, until)| *until > now)
            .map(|(value, _)| value.clone())
    }

    /// How long `key` has left.
    pub fn ttl(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        self.lock()
            .get(key)
            .and_then(|(_, until)| until.checked_duration_since(now))
    }

    /// Writes a raw value, as another writer of the keyspace could.
    pub fn put_raw(&self, key: &str, value: &str, ttl: Duration) {
        self.lock()
            .insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the call, then runs `op` unless the store fails or hangs.
    fn answer<'a, T: Send + 'a>(
        &'a self,
        op: impl FnOnce(&mut HashMap<String, (String, Instant)>) -> T + Send + 'a,
    ) -> StoreFuture<'a, T> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let hanging = self.hanging.load(Ordering::SeqCst);
        let failing = self.failing.load(Ordering::SeqCst);
        Box::pin(async move {
            if hanging {
                std::future::pending::<()>().await;
            }
            if failing {
                return Err(StoreError("connection refused".to_owned()));
            }
            let mut entries = self.lock();
            let now = Instant::now();
            entries.retain(|_, (_, until)| *until > now);
            Ok(op(&mut entries))
        })
    }
}

impl SharedStore for MemoryStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>> {
        self.answer(move |entries| entries.get(key).map(|(value, _)| value.clone()))
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        self.answer(move |entries| {
            entries.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
        })
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        self.answer(move |entries| {
            if entries.contains_key(key) {
                return false;
            }
            entries.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
            true
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.answer(move |entries| {
            entries.remove(key);
        })
    }

    fn is_ready(&self) -> bool {
        !self.not_ready.load(Ordering::SeqCst)
    }
}
