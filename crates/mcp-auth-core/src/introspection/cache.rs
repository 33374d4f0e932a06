//! The local introspection cache: verdicts keyed by the SHA-256 of the token
//! (`token_cache::digest`), each kept until its own deadline (`min(exp,
//! cacheMaxAge)` for active tokens, `negativeCacheTtl` for inactive ones),
//! bounded in count (least recently used evicted first). Outages are never
//! stored.

use crate::introspection::response::Verdict;
use crate::tokens::cache::Digest;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

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
