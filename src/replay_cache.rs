//! The in-process DPoP replay cache (RFC 9449 §11.1): a bounded set of proof
//! digests, each kept for a fixed time. A fixed lifetime makes expiry follow
//! insertion order, so purging is a pop from the front.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub type Digest = [u8; 32];

#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// Recorded now: the first time this proof was seen.
    Fresh,
    Replayed,
    /// Every slot holds an unexpired proof: refuse rather than forget one.
    Full,
}

#[derive(Debug)]
pub struct ReplayCache {
    capacity: usize,
    lifetime: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    seen: HashSet<Digest>,
    order: VecDeque<(Instant, Digest)>,
}

impl ReplayCache {
    pub fn new(capacity: usize, lifetime: Duration) -> Self {
        Self {
            capacity,
            lifetime,
            state: Mutex::default(),
        }
    }

    /// Records `digest` unless it is already there.
    pub fn insert(&self, digest: Digest, now: Instant) -> Seen {
        // A poisoned lock only means another thread panicked mid-insert; the
        // set is still a set.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((expires, old)) = state.order.front().copied() {
            if expires > now {
                break;
            }
            state.order.pop_front();
            state.seen.remove(&old);
        }
        if state.seen.contains(&digest) {
            return Seen::Replayed;
        }
        if state.seen.len() >= self.capacity {
            return Seen::Full;
        }
        state.seen.insert(digest);
        state.order.push_back((now + self.lifetime, digest));
        Seen::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_replay_until_it_expires() {
        let cache = ReplayCache::new(10, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(cache.insert([1; 32], t0), Seen::Fresh);
        assert_eq!(
            cache.insert([1; 32], t0 + Duration::from_secs(59)),
            Seen::Replayed
        );
        assert_eq!(cache.insert([2; 32], t0), Seen::Fresh);
        assert_eq!(
            cache.insert([1; 32], t0 + Duration::from_secs(60)),
            Seen::Fresh
        );
    }

    #[test]
    fn is_bounded_and_fails_closed_when_full() {
        let cache = ReplayCache::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(cache.insert([1; 32], t0), Seen::Fresh);
        assert_eq!(cache.insert([2; 32], t0), Seen::Fresh);
        assert_eq!(cache.insert([3; 32], t0), Seen::Full);
        assert_eq!(cache.insert([1; 32], t0), Seen::Replayed);
        // Expired entries make room again.
        assert_eq!(
            cache.insert([3; 32], t0 + Duration::from_secs(61)),
            Seen::Fresh
        );
    }
}
