//! The in-process DPoP replay cache (RFC 9449 §11.1): a bounded set of proof
//! digests, each kept only as long as its proof could still be accepted, so
//! a flood of proofs frees its slots as soon as their windows close.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub type Digest = [u8; 32];

#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// Recorded now: the first time this proof was seen.
    Fresh,
    Replayed,
    /// Every slot holds an unexpired proof: refuse rather than forget one.
    /// Carries the seconds until the first slot frees.
    Full(u64),
}

#[derive(Debug)]
pub struct ReplayCache {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    seen: HashSet<Digest>,
    /// Soonest expiry first.
    expiries: BinaryHeap<Reverse<(Instant, Digest)>>,
}

impl ReplayCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: Mutex::default(),
        }
    }

    /// Records `digest` for `keep` unless it is already there.
    pub fn insert(&self, digest: Digest, now: Instant, keep: Duration) -> Seen {
        // A poisoned lock only means another thread panicked mid-insert; the
        // set is still a set.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(Reverse((expires, old))) = state.expiries.peek().copied() {
            if expires > now {
                break;
            }
            state.expiries.pop();
            state.seen.remove(&old);
        }
        if state.seen.contains(&digest) {
            return Seen::Replayed;
        }
        if state.seen.len() >= self.capacity {
            let first_free = state.expiries.peek().map_or(1, |Reverse((expires, _))| {
                expires.saturating_duration_since(now).as_secs() + 1
            });
            return Seen::Full(first_free);
        }
        state.seen.insert(digest);
        state.expiries.push(Reverse((now + keep, digest)));
        Seen::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn refuses_a_replay_until_it_expires() {
        let cache = ReplayCache::new(10);
        let t0 = Instant::now();
        assert_eq!(cache.insert([1; 32], t0, MINUTE), Seen::Fresh);
        assert_eq!(
            cache.insert([1; 32], t0 + Duration::from_secs(59), MINUTE),
            Seen::Replayed
        );
        assert_eq!(cache.insert([2; 32], t0, MINUTE), Seen::Fresh);
        assert_eq!(cache.insert([1; 32], t0 + MINUTE, MINUTE), Seen::Fresh);
    }

    #[test]
    fn each_entry_lives_its_own_time() {
        let cache = ReplayCache::new(10);
        let t0 = Instant::now();
        assert_eq!(cache.insert([1; 32], t0, 10 * MINUTE), Seen::Fresh);
        assert_eq!(
            cache.insert([2; 32], t0, Duration::from_secs(5)),
            Seen::Fresh
        );
        let later = t0 + Duration::from_secs(6);
        assert_eq!(cache.insert([2; 32], later, MINUTE), Seen::Fresh);
        assert_eq!(cache.insert([1; 32], later, MINUTE), Seen::Replayed);
    }

    #[test]
    fn is_bounded_and_fails_closed_when_full() {
        let cache = ReplayCache::new(2);
        let t0 = Instant::now();
        assert_eq!(cache.insert([1; 32], t0, MINUTE), Seen::Fresh);
        assert_eq!(
            cache.insert([2; 32], t0, Duration::from_secs(20)),
            Seen::Fresh
        );
        // Full: the first slot frees in 20 s.
        assert_eq!(cache.insert([3; 32], t0, MINUTE), Seen::Full(21));
        assert_eq!(cache.insert([1; 32], t0, MINUTE), Seen::Replayed);
        // Expired entries make room again.
        assert_eq!(
            cache.insert([3; 32], t0 + Duration::from_secs(21), MINUTE),
            Seen::Fresh
        );
    }
}
