//! A bounded cache of verified tokens (C26), so an MCP client reusing its
//! access token for many calls pays for one signature check, not one per call.
//!
//! Keyed by the SHA-256 of the whole token; only successes are stored. A hit
//! is honoured only while the key set that verified the token is still the
//! current one (a refresh or rotation drops it, so removed keys stop working),
//! within the entry's maximum age, and after the claim rules pass again (so
//! `exp` is re-checked on every use).

use crate::jwk::KeySet;
use crate::verifier::Verified;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Longer tokens are not cached: hashing and storing them costs more than it saves.
pub const MAX_CACHED_TOKEN_LENGTH: usize = 4096;
pub const DEFAULT_ENTRIES: usize = 4096;
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

type Digest = [u8; 32];

struct Entry {
    verified: Arc<Verified>,
    issuer: usize,
    /// The key set that verified the token; compared by identity, never kept alive.
    keys: Weak<KeySet>,
    stored_at: Instant,
}

pub struct TokenCache {
    entries: Mutex<LruCache<Digest, Entry>>,
    max_age: Duration,
}

/// A cached verification still to be confirmed against the current key set.
pub struct Hit {
    pub verified: Arc<Verified>,
    pub issuer: usize,
    keys: Weak<KeySet>,
}

impl Hit {
    pub fn verified_by(&self, current: &Arc<KeySet>) -> bool {
        std::ptr::eq(self.keys.as_ptr(), Arc::as_ptr(current))
    }
}

fn digest(token: &str) -> Option<Digest> {
    if token.len() > MAX_CACHED_TOKEN_LENGTH {
        return None;
    }
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    hash.as_ref().try_into().ok()
}

impl TokenCache {
    /// `None` when `entries` is zero: caching disabled.
    pub fn new(entries: usize, max_age: Duration) -> Option<Self> {
        Some(Self {
            entries: Mutex::new(LruCache::new(NonZeroUsize::new(entries)?)),
            max_age,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Digest, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, token: &str, now: Instant) -> Option<Hit> {
        let key = digest(token)?;
        let mut entries = self.lock();
        let entry = entries.get(&key)?;
        if now.saturating_duration_since(entry.stored_at) >= self.max_age {
            entries.pop(&key);
            return None;
        }
        Some(Hit {
            verified: entry.verified.clone(),
            issuer: entry.issuer,
            keys: entry.keys.clone(),
        })
    }

    pub fn insert(
        &self,
        token: &str,
        verified: Arc<Verified>,
        issuer: usize,
        keys: &Arc<KeySet>,
        now: Instant,
    ) {
        if let Some(key) = digest(token) {
            let entry = Entry {
                verified,
                issuer,
                keys: Arc::downgrade(keys),
                stored_at: now,
            };
            self.lock().put(key, entry);
        }
    }

    pub fn remove(&self, token: &str) {
        if let Some(key) = digest(token) {
            self.lock().pop(&key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Identity;
    use serde_json::Map;

    fn verified() -> Arc<Verified> {
        Arc::new(Verified {
            header: Map::new(),
            claims: Map::new(),
            header_json: "{}".into(),
            claims_json: "{}".into(),
            issuer: "https://as.example.com".into(),
            identity: Identity::from_claims(&Map::new()),
        })
    }

    #[test]
    fn bounded_lru() {
        let cache = TokenCache::new(2, DEFAULT_MAX_AGE).unwrap();
        let keys = Arc::new(KeySet::default());
        let now = Instant::now();
        for t in ["a", "b", "c"] {
            cache.insert(t, verified(), 0, &keys, now);
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get("a", now).is_none());
        assert!(cache.get("c", now).is_some());
        assert!(TokenCache::new(0, DEFAULT_MAX_AGE).is_none());
    }

    #[test]
    fn entries_expire_and_follow_their_key_set() {
        let cache = TokenCache::new(8, Duration::from_secs(10)).unwrap();
        let keys = Arc::new(KeySet::default());
        let now = Instant::now();
        cache.insert("t", verified(), 0, &keys, now);
        let hit = cache.get("t", now + Duration::from_secs(9)).unwrap();
        assert!(hit.verified_by(&keys));
        assert!(!hit.verified_by(&Arc::new(KeySet::default())));
        assert!(cache.get("t", now + Duration::from_secs(10)).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn long_tokens_are_not_cached() {
        let cache = TokenCache::new(8, DEFAULT_MAX_AGE).unwrap();
        let long = "x".repeat(MAX_CACHED_TOKEN_LENGTH + 1);
        cache.insert(
            &long,
            verified(),
            0,
            &Arc::new(KeySet::default()),
            Instant::now(),
        );
        assert!(cache.is_empty());
    }
}
