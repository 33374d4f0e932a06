//! Issued tokens kept until shortly before they expire, keyed by the
//! request's digest (`request.rs`: the subject token's SHA-256 and every
//! parameter). Bounded twice: in entries and in bytes held, least recently
//! used evicted first. Failures are never stored.

use super::answer::Exchanged;
use crate::tokens::cache::Digest;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

struct Entry {
    value: Arc<Exchanged>,
    until: Instant,
    bytes: usize,
}

struct Inner {
    entries: LruCache<Digest, Entry>,
    bytes: usize,
}

pub struct ExchangeCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

impl ExchangeCache {
    /// `None` when either bound is zero: caching disabled.
    pub fn new(entries: usize, max_bytes: usize) -> Option<Self> {
        if max_bytes == 0 {
            return None;
        }
        Some(Self {
            inner: Mutex::new(Inner {
                entries: LruCache::new(NonZeroUsize::new(entries)?),
                bytes: 0,
            }),
            max_bytes,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &Digest, now: Instant) -> Option<Arc<Exchanged>> {
        let mut inner = self.lock();
        let entry = inner.entries.get(key)?;
        if now < entry.until {
            return Some(entry.value.clone());
        }
        if let Some(gone) = inner.entries.pop(key) {
            inner.bytes -= gone.bytes;
        }
        None
    }

    /// Keeps `value` until `until`; a deadline already past, or a value
    /// larger than the whole byte bound, stores nothing.
    pub fn insert(&self, key: Digest, value: Arc<Exchanged>, until: Instant, now: Instant) {
        let bytes = value.size();
        if until <= now || bytes > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.pop(&key) {
            inner.bytes -= old.bytes;
        }
        while inner.bytes + bytes > self.max_bytes {
            match inner.entries.pop_lru() {
                Some((_, gone)) => inner.bytes -= gone.bytes,
                None => break,
            }
        }
        let entry = Entry {
            value,
            until,
            bytes,
        };
        // At the count bound `push` hands back the least recently used.
        if let Some((_, gone)) = inner.entries.push(key, entry) {
            inner.bytes -= gone.bytes;
        }
        inner.bytes += bytes;
    }

    #[cfg(test)]
    pub fn held(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn token(n: usize) -> Arc<Exchanged> {
        Arc::new(Exchanged {
            access_token: "t".repeat(n),
            token_type: "Bearer".into(),
            issued_token_type: "x".into(),
            expires_in: Some(60),
            scope: None,
        })
    }

    #[test]
    fn bounded_in_entries_and_bytes_and_time() {
        let now = Instant::now();
        let later = now + Duration::from_secs(60);
        let cache = ExchangeCache::new(2, 1000).unwrap();
        cache.insert([1; 32], token(100), later, now);
        cache.insert([2; 32], token(100), later, now);
        cache.insert([3; 32], token(100), later, now);
        assert_eq!(cache.held().0, 2);
        assert!(cache.get(&[1; 32], now).is_none());
        // Bytes: a 900-byte token pushes both others out.
        cache.insert([4; 32], token(900), later, now);
        assert_eq!(cache.held().0, 1);
        assert!(cache.held().1 <= 1000);
        // Larger than the whole bound: not stored, nothing evicted.
        cache.insert([5; 32], token(2000), later, now);
        assert!(cache.get(&[4; 32], now).is_some());
        assert!(cache.get(&[4; 32], later).is_none());
        assert_eq!(cache.held(), (0, 0));
        cache.insert([6; 32], token(1), now, now);
        assert!(cache.get(&[6; 32], now).is_none());
        assert!(ExchangeCache::new(0, 10).is_none());
        assert!(ExchangeCache::new(10, 0).is_none());
    }
}
