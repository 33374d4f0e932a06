//! A bounded cache of verified tokens (C26), so an MCP client reusing its
//! access token for many calls pays for one signature check, not one per call.
//!
//! Keyed by the SHA-256 of the whole token (computed once per verification,
//! by the caller); only successes are stored. A hit is honoured only while
//! the key that verified the token (same kid, same key material) is still in
//! its issuer's current set, so a refetch drops exactly the entries whose key
//! was removed or changed (C26), within the entry's maximum age, and after
//! the claim rules pass again (so `exp` is re-checked on every use).

use crate::keys::jwk::KeySet;
use crate::tokens::verified::Verified;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Longer JWTs are not kept in the verified-token cache, whose entries hold
/// the whole payload (the introspection cache has no such limit: `hash`).
pub const MAX_CACHED_TOKEN_LENGTH: usize = 4096;
pub const DEFAULT_ENTRIES: usize = 4096;
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

pub type Digest = [u8; 32];

/// The verified-token cache key of `token`; `None` for tokens too long to
/// cache here (an entry holds the whole payload).
pub fn digest(token: &str) -> Option<Digest> {
    if token.len() > MAX_CACHED_TOKEN_LENGTH {
        return None;
    }
    Some(hash(token))
}

/// The SHA-256 of `token`, whatever its length. The introspection cache and
/// single flight use it for every token within `maxTokenLength`: their
/// entries hold the answer, not the token.
pub fn hash(token: &str) -> Digest {
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut digest = [0u8; 32];
    digest.copy_from_slice(hash.as_ref());
    digest
}

struct Entry {
    verified: Arc<Verified>,
    issuer: usize,
    /// The set the key was last seen in: a hit against that very set needs no search.
    keys: Weak<KeySet>,
    /// The verifying key's fingerprint (`VerificationKey::fingerprint`).
    key: [u8; 32],
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
    key: [u8; 32],
}

/// Whether a hit's key is still current.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// Verified against this very set.
    SameSet,
    /// The set was refetched and still holds the key: rebind the entry.
    StillPresent,
    /// The key was removed or changed.
    Gone,
}

impl Hit {
    pub fn key_status(&self, current: &Arc<KeySet>) -> KeyStatus {
        if std::ptr::eq(self.keys.as_ptr(), Arc::as_ptr(current)) {
            KeyStatus::SameSet
        } else if current.contains(&self.key) {
            KeyStatus::StillPresent
        } else {
            KeyStatus::Gone
        }
    }
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

    pub fn get(&self, key: &Digest, now: Instant) -> Option<Hit> {
        let mut entries = self.lock();
        let entry = entries.get(key)?;
        if now.saturating_duration_since(entry.stored_at) >= self.max_age {
            entries.pop(key);
            return None;
        }
        Some(Hit {
            verified: entry.verified.clone(),
            issuer: entry.issuer,
            keys: entry.keys.clone(),
            key: entry.key,
        })
    }

    pub fn insert(
        &self,
        key: Digest,
        verified: Arc<Verified>,
        issuer: usize,
        keys: &Arc<KeySet>,
        fingerprint: [u8; 32],
        now: Instant,
    ) {
        let entry = Entry {
            verified,
            issuer,
            keys: Arc::downgrade(keys),
            key: fingerprint,
            stored_at: now,
        };
        self.lock().put(key, entry);
    }

    /// Points an entry whose key survived a refetch at the new set.
    pub fn rebind(&self, key: &Digest, keys: &Arc<KeySet>) {
        if let Some(entry) = self.lock().peek_mut(key) {
            entry.keys = Arc::downgrade(keys);
        }
    }

    pub fn remove(&self, key: &Digest) {
        self.lock().pop(key);
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
    use crate::tokens::claims::Identity;
    use serde_json::Map;

    fn verified() -> Arc<Verified> {
        Arc::new(Verified {
            header: Map::new(),
            claims: Map::new(),
            header_json: "{}".into(),
            claims_json: "{}".into(),
            issuer: "https://as.example.com".into(),
            identity: Identity::from_claims(
                &Map::new(),
                &crate::tokens::claims::ClaimRules::default(),
            ),
        })
    }

    fn d(token: &str) -> Digest {
        digest(token).unwrap()
    }

    #[test]
    fn bounded_lru() {
        let cache = TokenCache::new(2, DEFAULT_MAX_AGE).unwrap();
        let keys = Arc::new(KeySet::default());
        let now = Instant::now();
        for t in ["a", "b", "c"] {
            cache.insert(d(t), verified(), 0, &keys, [0; 32], now);
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&d("a"), now).is_none());
        assert!(cache.get(&d("c"), now).is_some());
        assert!(TokenCache::new(0, DEFAULT_MAX_AGE).is_none());
    }

    #[test]
    fn entries_expire_and_follow_their_key() {
        let cache = TokenCache::new(8, Duration::from_secs(10)).unwrap();
        let keys = Arc::new(KeySet::default());
        let now = Instant::now();
        cache.insert(d("t"), verified(), 0, &keys, [7; 32], now);
        let hit = cache.get(&d("t"), now + Duration::from_secs(9)).unwrap();
        assert_eq!(hit.key_status(&keys), KeyStatus::SameSet);
        // A refetched set without that key: gone.
        assert_eq!(
            hit.key_status(&Arc::new(KeySet::default())),
            KeyStatus::Gone
        );
        assert!(cache.get(&d("t"), now + Duration::from_secs(10)).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn long_tokens_are_not_cached() {
        assert!(digest(&"x".repeat(MAX_CACHED_TOKEN_LENGTH + 1)).is_none());
        assert!(digest(&"x".repeat(MAX_CACHED_TOKEN_LENGTH)).is_some());
    }
}
