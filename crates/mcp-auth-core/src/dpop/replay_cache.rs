//! The in-process DPoP replay cache (RFC 9449 §11.1): a bounded set of proof
//! digests, each kept only as long as its proof could still be accepted, so
//! a flood of proofs frees its slots as soon as their windows close.
//!
//! Fairness: one key (the token's `cnf.jkt`) may hold only its share of the
//! slots, and a smaller share of proofs dated ahead of this clock (those are
//! kept longer), so one client cannot lock every other client out.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub type Digest = [u8; 32];
/// Which key a proof belongs to: 64 bits of a hash of its `jkt`, enough to
/// keep quotas apart (a collision only merges two keys' shares).
pub type KeyId = u64;

#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// Recorded now: the first time this proof was seen.
    Fresh,
    Replayed,
    /// Every slot holds an unexpired proof: refuse rather than forget one.
    /// Carries the seconds until the first slot frees.
    Full(u64),
    /// This key holds its whole share: seconds until one of its slots frees.
    KeyFull(u64),
}

/// How many slots the cache has, and how many one key may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub capacity: usize,
    pub per_key: usize,
    /// Of `per_key`, proofs dated ahead of this clock (kept up to twice as long).
    pub ahead_per_key: usize,
}

impl Limits {
    /// The default shares: a tenth of the cache per key, and a tenth of that
    /// for proofs dated ahead (at least one each).
    pub fn with_per_key(capacity: usize, per_key: Option<usize>) -> Self {
        let per_key = per_key
            .unwrap_or(capacity.div_ceil(10))
            .clamp(1, capacity.max(1));
        Self {
            capacity,
            per_key,
            ahead_per_key: per_key.div_ceil(10),
        }
    }
}

/// One proof to record.
#[derive(Debug, Clone, Copy)]
pub struct Proof {
    pub digest: Digest,
    pub key: KeyId,
    /// How long it stays acceptable.
    pub keep: Duration,
    /// Dated ahead of this clock.
    pub ahead: bool,
}

#[derive(Debug)]
pub struct ReplayCache {
    limits: Limits,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Each recorded proof and when it expires.
    seen: HashMap<Digest, Instant>,
    /// Soonest expiry first. A released proof's entry stays until it
    /// expires (or a compaction), recognised by `seen` no longer matching.
    expiries: BinaryHeap<Reverse<(Instant, Digest, KeyId, bool)>>,
    /// The slots each key holds; a key holding none has no entry.
    keys: HashMap<KeyId, KeyUse>,
}

/// One key's slots, soonest expiry first (all of them, and those dated ahead).
#[derive(Debug, Default)]
struct KeyUse {
    all: BinaryHeap<Reverse<Instant>>,
    ahead: BinaryHeap<Reverse<Instant>>,
}

/// Whole seconds until `expires`, rounded up so a retry then finds room.
fn seconds_until(expires: Option<&Reverse<Instant>>, now: Instant) -> u64 {
    expires.map_or(1, |Reverse(at)| {
        at.saturating_duration_since(now).as_secs() + 1
    })
}

impl State {
    fn expire(&mut self, now: Instant) {
        while let Some(Reverse((expires, digest, key, ahead))) = self.expiries.peek().copied() {
            if expires > now {
                break;
            }
            self.expiries.pop();
            if self.seen.get(&digest) != Some(&expires) {
                continue; // released earlier
            }
            self.seen.remove(&digest);
            // The globally soonest entry is also the soonest of its key.
            if let Some(used) = self.keys.get_mut(&key) {
                used.all.pop();
                if ahead {
                    used.ahead.pop();
                }
                if used.all.is_empty() {
                    self.keys.remove(&key);
                }
            }
        }
    }
}

/// Removes one entry expiring at `at` (a key's share is small).
fn remove_one(heap: &mut BinaryHeap<Reverse<Instant>>, at: Instant) {
    let mut entries = std::mem::take(heap).into_vec();
    if let Some(i) = entries.iter().position(|Reverse(e)| *e == at) {
        entries.swap_remove(i);
    }
    *heap = BinaryHeap::from(entries);
}

impl ReplayCache {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            state: Mutex::default(),
        }
    }

    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// Records `proof` unless it is already there or there is no room for it.
    pub fn insert(&self, proof: Proof, now: Instant) -> Seen {
        // A poisoned lock only means another thread panicked mid-insert; the
        // set is still a set.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.expire(now);
        if state.seen.contains_key(&proof.digest) {
            return Seen::Replayed;
        }
        if let Some(used) = state.keys.get(&proof.key) {
            if used.all.len() >= self.limits.per_key {
                return Seen::KeyFull(seconds_until(used.all.peek(), now));
            }
            if proof.ahead && used.ahead.len() >= self.limits.ahead_per_key {
                return Seen::KeyFull(seconds_until(used.ahead.peek(), now));
            }
        }
        if state.seen.len() >= self.limits.capacity {
            let first_free = state.expiries.peek().map_or(1, |Reverse((expires, ..))| {
                expires.saturating_duration_since(now).as_secs() + 1
            });
            return Seen::Full(first_free);
        }
        let expires = now + proof.keep;
        state.seen.insert(proof.digest, expires);
        state
            .expiries
            .push(Reverse((expires, proof.digest, proof.key, proof.ahead)));
        let used = state.keys.entry(proof.key).or_default();
        used.all.push(Reverse(expires));
        if proof.ahead {
            used.ahead.push(Reverse(expires));
        }
        Seen::Fresh
    }

    /// Gives back the slot of a proof recorded but then refused elsewhere
    /// (a fleet store): it was not used here, and its key's share is freed.
    pub fn release(&self, proof: &Proof) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(expires) = state.seen.remove(&proof.digest) else {
            return;
        };
        if let Some(used) = state.keys.get_mut(&proof.key) {
            remove_one(&mut used.all, expires);
            if proof.ahead {
                remove_one(&mut used.ahead, expires);
            }
            if used.all.is_empty() {
                state.keys.remove(&proof.key);
            }
        }
        // Stale heap entries are bounded: rebuilt once they outnumber the live ones.
        if state.expiries.len() > 2 * state.seen.len() + 1024 {
            let State { seen, expiries, .. } = &mut *state;
            expiries.retain(|Reverse((at, digest, ..))| seen.get(digest) == Some(at));
        }
    }

    /// Slots in use, and keys holding any (for tests).
    #[cfg(test)]
    fn usage(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.seen.len(), state.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn cache(capacity: usize) -> ReplayCache {
        ReplayCache::new(Limits {
            capacity,
            per_key: capacity,
            ahead_per_key: capacity,
        })
    }

    fn proof(digest: u8, key: KeyId, keep: Duration) -> Proof {
        Proof {
            digest: [digest; 32],
            key,
            keep,
            ahead: false,
        }
    }

    fn ahead(digest: u8, key: KeyId, keep: Duration) -> Proof {
        Proof {
            ahead: true,
            ..proof(digest, key, keep)
        }
    }

    #[test]
    fn refuses_a_replay_until_it_expires() {
        let cache = cache(10);
        let t0 = Instant::now();
        assert_eq!(cache.insert(proof(1, 0, MINUTE), t0), Seen::Fresh);
        assert_eq!(
            cache.insert(proof(1, 0, MINUTE), t0 + Duration::from_secs(59)),
            Seen::Replayed
        );
        assert_eq!(cache.insert(proof(2, 0, MINUTE), t0), Seen::Fresh);
        assert_eq!(cache.insert(proof(1, 0, MINUTE), t0 + MINUTE), Seen::Fresh);
    }

    #[test]
    fn each_entry_lives_its_own_time() {
        let cache = cache(10);
        let t0 = Instant::now();
        assert_eq!(cache.insert(proof(1, 0, 10 * MINUTE), t0), Seen::Fresh);
        assert_eq!(
            cache.insert(proof(2, 0, Duration::from_secs(5)), t0),
            Seen::Fresh
        );
        let later = t0 + Duration::from_secs(6);
        assert_eq!(cache.insert(proof(2, 0, MINUTE), later), Seen::Fresh);
        assert_eq!(cache.insert(proof(1, 0, MINUTE), later), Seen::Replayed);
    }

    #[test]
    fn is_bounded_and_fails_closed_when_full() {
        let cache = cache(2);
        let t0 = Instant::now();
        assert_eq!(cache.insert(proof(1, 0, MINUTE), t0), Seen::Fresh);
        assert_eq!(
            cache.insert(proof(2, 1, Duration::from_secs(20)), t0),
            Seen::Fresh
        );
        // Full: the first slot frees in 20 s.
        assert_eq!(cache.insert(proof(3, 2, MINUTE), t0), Seen::Full(21));
        assert_eq!(cache.insert(proof(1, 0, MINUTE), t0), Seen::Replayed);
        // Expired entries make room again.
        assert_eq!(
            cache.insert(proof(3, 2, MINUTE), t0 + Duration::from_secs(21)),
            Seen::Fresh
        );
    }

    #[test]
    fn one_key_holds_only_its_share_and_others_still_get_in() {
        let cache = ReplayCache::new(Limits {
            capacity: 10,
            per_key: 3,
            ahead_per_key: 1,
        });
        let t0 = Instant::now();
        for (digest, keep) in [(1, 30), (2, 10), (3, 20)] {
            let p = proof(digest, 7, Duration::from_secs(keep));
            assert_eq!(cache.insert(p, t0), Seen::Fresh);
        }
        // Over its share: refused, with the time its soonest slot frees (10 s).
        assert_eq!(cache.insert(proof(4, 7, MINUTE), t0), Seen::KeyFull(11));
        // A replay is still a replay, not a quota matter.
        assert_eq!(cache.insert(proof(1, 7, MINUTE), t0), Seen::Replayed);
        // Another key is unaffected.
        assert_eq!(cache.insert(proof(5, 8, MINUTE), t0), Seen::Fresh);
        // Once one of its slots frees, the key gets one more.
        let later = t0 + Duration::from_secs(11);
        assert_eq!(cache.insert(proof(4, 7, MINUTE), later), Seen::Fresh);
        assert_eq!(cache.insert(proof(6, 7, MINUTE), later), Seen::KeyFull(10));
        assert_eq!(cache.usage(), (4, 2));
    }

    #[test]
    fn proofs_dated_ahead_have_a_smaller_share() {
        let cache = ReplayCache::new(Limits {
            capacity: 10,
            per_key: 4,
            ahead_per_key: 1,
        });
        let t0 = Instant::now();
        assert_eq!(cache.insert(ahead(1, 7, 2 * MINUTE), t0), Seen::Fresh);
        assert_eq!(
            cache.insert(ahead(2, 7, 2 * MINUTE), t0),
            Seen::KeyFull(121)
        );
        // Proofs dated now still fit in the rest of the key's share.
        assert_eq!(cache.insert(proof(3, 7, MINUTE), t0), Seen::Fresh);
        assert_eq!(cache.insert(ahead(4, 8, MINUTE), t0), Seen::Fresh);
        // Once its proof expires, the key may date one ahead again.
        let later = t0 + 2 * MINUTE;
        assert_eq!(cache.insert(ahead(2, 7, MINUTE), later), Seen::Fresh);
        assert_eq!(cache.usage(), (1, 1));
    }

    #[test]
    fn a_key_that_holds_nothing_is_forgotten() {
        let cache = ReplayCache::new(Limits::with_per_key(100, None));
        let t0 = Instant::now();
        for key in 0..50 {
            assert_eq!(cache.insert(proof(key as u8, key, MINUTE), t0), Seen::Fresh);
        }
        assert_eq!(cache.usage(), (50, 50));
        assert_eq!(
            cache.insert(proof(200, 0, MINUTE), t0 + MINUTE),
            Seen::Fresh
        );
        assert_eq!(cache.usage(), (1, 1));
    }

    #[test]
    fn a_released_proof_frees_its_slot_and_its_share() {
        let cache = ReplayCache::new(Limits {
            capacity: 2,
            per_key: 1,
            ahead_per_key: 1,
        });
        let t0 = Instant::now();
        let first = proof(1, 7, MINUTE);
        assert_eq!(cache.insert(first, t0), Seen::Fresh);
        assert_eq!(cache.insert(proof(2, 7, MINUTE), t0), Seen::KeyFull(61));
        cache.release(&first);
        assert_eq!(cache.usage(), (0, 0));
        // Its key may record another proof, and the released one is not a replay.
        assert_eq!(cache.insert(proof(2, 7, MINUTE), t0), Seen::Fresh);
        cache.release(&proof(2, 7, MINUTE));
        assert_eq!(cache.insert(first, t0), Seen::Fresh);
        // The stale expiry of a released entry does not evict a live one.
        let later = t0 + MINUTE / 2;
        assert_eq!(cache.insert(proof(3, 8, MINUTE), later), Seen::Fresh);
        assert_eq!(cache.insert(first, t0 + MINUTE), Seen::Fresh);
        assert_eq!(
            cache.insert(proof(3, 8, MINUTE), t0 + MINUTE),
            Seen::Replayed
        );
        // Releasing what is not there changes nothing.
        cache.release(&proof(9, 9, MINUTE));
        assert_eq!(cache.usage(), (2, 2));
    }

    #[test]
    fn default_shares() {
        let limits = |capacity, per_key| {
            let l = Limits::with_per_key(capacity, per_key);
            (l.per_key, l.ahead_per_key)
        };
        assert_eq!(limits(100_000, None), (10_000, 1_000));
        assert_eq!(limits(8, None), (1, 1));
        assert_eq!(limits(1, None), (1, 1));
        assert_eq!(limits(100, Some(25)), (25, 3));
        assert_eq!(limits(10, Some(50)), (10, 1));
    }
}
