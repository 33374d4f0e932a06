//! Server-issued DPoP nonces (RFC 9449 §8): stateless and rotating. A nonce
//! is a time slot number plus an HMAC of it, so any process holding the same
//! secret accepts it; the current and the previous slot are accepted, so a
//! nonce lives between one and two lifetimes.

use aws_lc_rs::{constant_time, hmac, rand};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Shortest shared secret accepted, in bytes (a 256-bit HMAC key).
pub const MIN_SECRET_BYTES: usize = 32;
const TAG_BYTES: usize = 16;
const CONTEXT: &[u8] = b"mcp-auth-rs dpop nonce v1";

pub struct NonceSource {
    key: hmac::Key,
    /// Seconds per slot.
    lifetime: u64,
}

impl std::fmt::Debug for NonceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceSource")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl NonceSource {
    /// `secret` is shared by a fleet; without one, each process draws its own
    /// (its nonces are then valid at that process only).
    pub fn new(secret: Option<&[u8]>, lifetime: u64) -> Self {
        let key = match secret {
            Some(secret) => hmac::Key::new(hmac::HMAC_SHA256, secret),
            None => {
                let mut random = [0u8; 32];
                // A failing system RNG is not something to recover from.
                rand::fill(&mut random).expect("system random number generator");
                hmac::Key::new(hmac::HMAC_SHA256, &random)
            }
        };
        Self {
            key,
            lifetime: lifetime.max(1),
        }
    }

    fn tag(&self, slot: u64) -> hmac::Tag {
        let mut input = Vec::with_capacity(CONTEXT.len() + 8);
        input.extend_from_slice(CONTEXT);
        input.extend_from_slice(&slot.to_be_bytes());
        hmac::sign(&self.key, &input)
    }

    /// The nonce of the slot `now` (seconds since the epoch) falls in.
    pub fn issue(&self, now: u64) -> String {
        let slot = now / self.lifetime;
        let mut bytes = [0u8; 8 + TAG_BYTES];
        bytes[..8].copy_from_slice(&slot.to_be_bytes());
        bytes[8..].copy_from_slice(&self.tag(slot).as_ref()[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Whether `nonce` was issued (with this secret) in the current or the previous slot.
    pub fn accepts(&self, nonce: &str, now: u64) -> bool {
        if nonce.len() != 32 {
            return false;
        }
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let Ok(slot) = <[u8; 8]>::try_from(&bytes[..8]) else {
            return false;
        };
        let slot = u64::from_be_bytes(slot);
        let current = now / self.lifetime;
        if slot != current && slot.checked_add(1) != Some(current) {
            return false;
        }
        constant_time::verify_slices_are_equal(&bytes[8..], &self.tag(slot).as_ref()[..TAG_BYTES])
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_and_accepts_the_previous_slot_only() {
        let source = NonceSource::new(Some(&[7u8; 32]), 60);
        let nonce = source.issue(6_000);
        assert!(source.accepts(&nonce, 6_000));
        assert!(source.accepts(&nonce, 6_059));
        assert!(source.accepts(&nonce, 6_119), "previous slot");
        assert!(!source.accepts(&nonce, 6_120), "two slots later");
        assert!(!source.accepts(&nonce, 5_999), "from the future");
        assert_ne!(source.issue(6_000), source.issue(6_060));
    }

    #[test]
    fn a_shared_secret_works_across_processes_and_others_do_not() {
        let a = NonceSource::new(Some(b"a fleet-wide secret of 32+ bytes!"), 300);
        let b = NonceSource::new(Some(b"a fleet-wide secret of 32+ bytes!"), 300);
        let stranger = NonceSource::new(None, 300);
        let nonce = a.issue(1_000_000);
        assert!(b.accepts(&nonce, 1_000_000));
        assert!(!stranger.accepts(&nonce, 1_000_000));
    }

    #[test]
    fn refuses_forged_and_malformed_nonces() {
        let source = NonceSource::new(None, 300);
        let nonce = source.issue(1_000_000);
        let mut forged = nonce.clone().into_bytes();
        forged[31] = if forged[31] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        for bad in ["", "abc", &forged, &format!("{nonce}A"), &"!".repeat(32)] {
            assert!(!source.accepts(bad, 1_000_000), "{bad}");
        }
    }
}
