//! Static API keys: the store holds SHA-256 hashes only, compares them in
//! constant time, and maps each to a fixed identity. Rotation swaps the
//! whole set at once, so a request sees either the old or the new keys.

use crate::decision::scopes::is_scope_token;
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::options::credentials::ApiKeyEntry;
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// How a stored hash names its algorithm.
pub const HASH_PREFIX: &str = "sha256:";
/// Shortest key `hash_api_key` accepts: a key must be guess-proof.
pub const MIN_KEY_LENGTH: usize = 20;

/// Who an API key stands for: fixed, with no issuer and no expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyIdentity {
    pub subject: String,
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
}

struct StoredKey {
    digest: [u8; 32],
    identity: Arc<ApiKeyIdentity>,
}

/// The current set of keys; cheap to read, replaced whole.
pub struct ApiKeyStore {
    keys: RwLock<Arc<Vec<StoredKey>>>,
}

/// The stored form of `key` (`sha256:<base64url>`), for setting keys up.
pub fn hash_api_key(key: &str) -> AuthResult<String> {
    if key.len() < MIN_KEY_LENGTH {
        return Err(AuthError::config(format!(
            "an API key must be at least {MIN_KEY_LENGTH} characters long."
        )));
    }
    Ok(format!(
        "{HASH_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(digest(&SHA256, key.as_bytes()))
    ))
}

impl ApiKeyStore {
    pub fn new(entries: &[ApiKeyEntry]) -> AuthResult<Self> {
        Ok(Self {
            keys: RwLock::new(Arc::new(compile(entries)?)),
        })
    }

    /// Replaces every key at once; on an error the old set stays.
    pub fn set_keys(&self, entries: &[ApiKeyEntry]) -> AuthResult<()> {
        let compiled = Arc::new(compile(entries)?);
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = compiled;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.current().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The identity of `token`, or `token_inactive` (401 invalid_token).
    /// Every stored hash is compared, each in constant time.
    pub fn verify(&self, token: &str) -> AuthResult<Arc<ApiKeyIdentity>> {
        let presented = digest(&SHA256, token.as_bytes());
        let keys = self.current();
        let mut found = None;
        for key in keys.iter() {
            if verify_slices_are_equal(presented.as_ref(), &key.digest).is_ok() {
                found = Some(Arc::clone(&key.identity));
            }
        }
        found.ok_or_else(|| AuthError::new(ErrorCode::TokenInactive, "unknown API key"))
    }

    fn current(&self) -> Arc<Vec<StoredKey>> {
        Arc::clone(&self.keys.read().unwrap_or_else(|e| e.into_inner()))
    }
}

fn compile(entries: &[ApiKeyEntry]) -> AuthResult<Vec<StoredKey>> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let digest = parse_hash(&entry.hash).ok_or_else(|| {
                AuthError::config(format!(
                    "keys[{index}].hash must be '{HASH_PREFIX}' and the base64url SHA-256 of the key (see hashApiKey); plain keys are not accepted."
                ))
            })?;
            if !seen.insert(digest) {
                return Err(AuthError::config(format!("keys[{index}].hash is listed twice.")));
            }
            if entry.subject.is_empty() {
                return Err(AuthError::config(format!("keys[{index}].subject must not be empty.")));
            }
            if entry.client_id.as_deref() == Some("") {
                return Err(AuthError::config(format!("keys[{index}].clientId must not be empty.")));
            }
            let scopes = entry.scopes.clone().unwrap_or_default();
            if scopes.iter().any(|s| !is_scope_token(s)) {
                return Err(AuthError::config(format!("keys[{index}].scopes holds an invalid scope.")));
            }
            Ok(StoredKey {
                digest,
                identity: Arc::new(ApiKeyIdentity {
                    subject: entry.subject.clone(),
                    client_id: entry.client_id.clone(),
                    scopes,
                }),
            })
        })
        .collect()
}

fn parse_hash(hash: &str) -> Option<[u8; 32]> {
    let encoded = hash.strip_prefix(HASH_PREFIX)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
#[path = "api_keys_tests.rs"]
mod tests;
