//! Encryption of records that hold a secret (an issued access token, in
//! `exchange.rs`): signing alone would let anyone who reads the store's
//! keyspace use the token. AES-256-GCM under a key derived from the fleet
//! secret by HKDF-SHA-256 (its own info label, so it is never the MAC key),
//! a random 96-bit nonce per record, and the store key as associated data:
//! a record moved under another key does not decrypt. Stored as base64url
//! of `nonce ‖ ciphertext ‖ tag`.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hkdf::{Salt, HKDF_SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// HKDF's info: names what the derived key is for (and its format's version).
const INFO: &[u8] = b"mcp-auth-rs fleet record encryption v1";
/// A fixed salt: the secret is already uniformly chosen (RFC 5869 §3.1 allows none).
const SALT: &[u8] = b"mcp-auth-rs fleet";

pub struct RecordCipher {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordCipher(..)")
    }
}

impl RecordCipher {
    /// The cipher of the fleet secret `secret` (checked for length by the
    /// caller). `None` never happens in practice: HKDF refuses only outputs
    /// longer than 255 hash lengths, and this one is 32 bytes.
    pub fn derive(secret: &[u8]) -> Option<Self> {
        let prk = Salt::new(HKDF_SHA256, SALT).extract(secret);
        let info = [INFO];
        let okm = prk.expand(&info, &AES_256_GCM).ok()?;
        Some(Self {
            key: LessSafeKey::new(UnboundKey::from(okm)),
            random: SystemRandom::new(),
        })
    }

    /// `plaintext` encrypted for the store key `key`; `None` only when the
    /// system's random source fails (then nothing is stored).
    pub fn encrypt(&self, key: &str, plaintext: &str) -> Option<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).ok()?;
        let mut sealed = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(key.as_bytes()),
                &mut sealed,
            )
            .ok()?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The plaintext of a record stored under `key`, or `None` when it was
    /// not encrypted by this fleet for this key (or was altered).
    pub fn decrypt(&self, key: &str, stored: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(stored).ok()?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(key.as_bytes()), &mut sealed)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bound_to_secret_key_and_bytes() {
        let cipher = RecordCipher::derive(&[7; 32]).unwrap();
        let sealed = cipher.encrypt("k1", "the issued token").unwrap();
        assert!(!sealed.contains("issued"));
        assert_eq!(
            cipher.decrypt("k1", &sealed).as_deref(),
            Some("the issued token")
        );
        // A fresh nonce per record: the same plaintext never encrypts the same.
        assert_ne!(cipher.encrypt("k1", "the issued token").unwrap(), sealed);
        // Another key (moved record), another secret, altered bytes: nothing.
        assert_eq!(cipher.decrypt("k2", &sealed), None);
        assert_eq!(
            RecordCipher::derive(&[8; 32])
                .unwrap()
                .decrypt("k1", &sealed),
            None
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(cipher.decrypt("k1", &URL_SAFE_NO_PAD.encode(&bytes)), None);
        for garbage in ["", "!!", "AAAA"] {
            assert_eq!(cipher.decrypt("k1", garbage), None);
        }
    }
}
