//! Records in a fleet store are authenticated: anyone who can write to the
//! store's keyspace must not be able to mint a record this fleet accepts.
//! Each value is stored as `<MAC>.<value>`, the MAC an HMAC-SHA-256 under
//! the fleet's secret over `"<key length>:<key>"` and the value (base64url,
//! 43 characters), so a record forged, altered or moved under another key
//! is a miss (and reported), never an acceptance. The format is the one the
//! TypeScript wrapper wrote, so every process of a fleet reads every other's.

use crate::error::{AuthError, AuthResult};
use crate::fleet::cipher::RecordCipher;
use crate::fleet::guard::{
    store_timeout, EventSink, GuardOptions, GuardedStore, RecordRejection, StoreEvent,
};
use crate::fleet::single_flight::{Records, RecordsFuture};
use crate::fleet::store::SharedStore;
use aws_lc_rs::{constant_time, hmac};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;
use std::time::Duration;

/// Shortest fleet secret accepted, in bytes (a 256-bit HMAC key).
pub const MIN_SECRET_BYTES: usize = 32;
/// base64url of 32 bytes, unpadded.
const MAC_LENGTH: usize = 43;

/// The fleet's shared secret, checked for length: its MAC key (the secret
/// itself) and the encryption key derived from it (`cipher.rs`).
#[derive(Clone)]
pub struct StoreSecret(hmac::Key, Arc<RecordCipher>);

impl std::fmt::Debug for StoreSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreSecret(..)")
    }
}

impl StoreSecret {
    /// `bytes` is `None` when the binding found no value of an accepted
    /// type (`accepted` says which, in its language). `option` names the
    /// option in the refusal; the value never appears.
    pub fn new(bytes: Option<&[u8]>, option: &str, accepted: &str) -> AuthResult<Self> {
        match bytes {
            Some(bytes) if bytes.len() >= MIN_SECRET_BYTES => match RecordCipher::derive(bytes) {
                Some(cipher) => Ok(Self(
                    hmac::Key::new(hmac::HMAC_SHA256, bytes),
                    Arc::new(cipher),
                )),
                None => Err(AuthError::config(format!(
                    "`{option}` could not be turned into an encryption key."
                ))),
            },
            _ => Err(AuthError::config(format!(
                "`{option}` is required with a fleet store and must be {accepted} of at least {MIN_SECRET_BYTES} bytes, the same for every process of the fleet."
            ))),
        }
    }

    /// Encrypts and decrypts records that hold a secret.
    pub fn cipher(&self) -> &RecordCipher {
        &self.1
    }

    /// base64url HMAC-SHA-256 of the parts, in order.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> String {
        let mut context = hmac::Context::with_key(&self.0);
        for part in parts {
            context.update(part);
        }
        URL_SAFE_NO_PAD.encode(context.sign().as_ref())
    }

    fn record_mac(&self, key: &str, value: &str) -> String {
        // The key's length as JavaScript counts it (UTF-16 units), as the wrapper did.
        let prefix = format!("{}:", key.encode_utf16().count());
        self.mac(&[prefix.as_bytes(), key.as_bytes(), value.as_bytes()])
    }

    /// `value` as stored under `key`: `<mac>.<value>`.
    pub fn seal(&self, key: &str, value: &str) -> String {
        format!("{}.{value}", self.record_mac(key, value))
    }

    /// The value of a stored record, or why it is refused.
    pub fn open<'a>(&self, key: &str, stored: &'a str) -> Result<&'a str, RecordRejection> {
        let bytes = stored.as_bytes();
        let readable = bytes.len() > MAC_LENGTH
            && bytes[MAC_LENGTH] == b'.'
            && bytes[..MAC_LENGTH]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !readable {
            return Err(RecordRejection::Unreadable);
        }
        let value = &stored[MAC_LENGTH + 1..];
        let expected = self.record_mac(key, value);
        constant_time::verify_slices_are_equal(&bytes[..MAC_LENGTH], expected.as_bytes())
            .map_err(|_| RecordRejection::BadMac)?;
        Ok(value)
    }
}

/// A guarded store whose values are signed on the way in and checked on the
/// way out; a value that fails its check is a miss, reported as an event.
pub struct SignedStore {
    store: Arc<GuardedStore>,
    secret: StoreSecret,
}

impl SignedStore {
    pub fn new(store: Arc<GuardedStore>, secret: StoreSecret) -> Self {
        Self { store, secret }
    }

    /// Records in `store` behind a guard with an option's `storeTimeout`
    /// (milliseconds; refused out of range, naming `timeout_option`) and the
    /// default circuit.
    pub fn guarded(
        store: Arc<dyn SharedStore>,
        secret: StoreSecret,
        (store_timeout_ms, timeout_option): (Option<f64>, &str),
        events: Option<EventSink>,
    ) -> AuthResult<Self> {
        let options = GuardOptions {
            timeout: store_timeout(store_timeout_ms, timeout_option)?,
            ..GuardOptions::default()
        };
        let guard = GuardedStore::new(store, options, events);
        Ok(Self::new(Arc::new(guard), secret))
    }

    pub fn secret(&self) -> &StoreSecret {
        &self.secret
    }

    pub fn guard(&self) -> &GuardedStore {
        &self.store
    }

    /// The same records over a changed guard (before the guard is shared).
    pub fn map_guard(self, change: impl FnOnce(GuardedStore) -> GuardedStore) -> Self {
        match Arc::try_unwrap(self.store) {
            Ok(guard) => Self {
                store: Arc::new(change(guard)),
                secret: self.secret,
            },
            Err(store) => Self {
                store,
                secret: self.secret,
            },
        }
    }
}

impl Records for SignedStore {
    fn get<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, Option<String>> {
        let read = self.store.get(key);
        Box::pin(async move {
            let stored = read.await?;
            let Some(stored) = stored else {
                return Some(None);
            };
            match self.secret.open(key, &stored) {
                Ok(value) => Some(Some(value.to_owned())),
                Err(reason) => {
                    self.store.report(StoreEvent::RecordRejected { reason });
                    Some(None)
                }
            }
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> RecordsFuture<'a, ()> {
        let sealed = self.secret.seal(key, value);
        Box::pin(async move { self.store.set(key, &sealed, ttl).await })
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> RecordsFuture<'a, bool> {
        let sealed = self.secret.seal(key, value);
        Box::pin(async move { self.store.set_if_absent(key, &sealed, ttl).await })
    }

    fn delete<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, ()> {
        Box::pin(self.store.delete(key))
    }
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
