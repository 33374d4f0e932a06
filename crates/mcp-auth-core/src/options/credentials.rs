//! The options of several credential kinds on one route: the ordered
//! verifier list the router needs (names, kinds, issuers, API-key prefixes,
//! refresh intervals) and the API-key entries (hashes, never keys).

use crate::error::{AuthError, AuthResult};
use crate::options::decode::{self, decode};
use crate::options::values::{integer, number};
use serde::Deserialize;
use serde_json::Value;

/// Longest allowed API-key prefix; a prefix only tells kinds apart.
pub const MAX_PREFIX_LENGTH: usize = 32;
/// At most this many verifiers on one route.
pub const MAX_VERIFIERS: usize = 16;
/// Default milliseconds between two reads of an API-key loader.
pub const DEFAULT_REFRESH_INTERVAL_MS: u64 = 300_000;
/// Refresh bounds: often enough to rotate, rarely enough not to hammer a secret store.
pub const MIN_REFRESH_INTERVAL_MS: u64 = 1_000;
pub const MAX_REFRESH_INTERVAL_MS: u64 = 86_400_000;

/// One verifier as the router sees it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifierKindOptions {
    /// Reported in AuthInfo as the verifier that accepted the request.
    pub name: String,
    /// `jwt` or `apiKey`.
    pub kind: String,
    /// `jwt`: the issuers whose tokens this verifier judges.
    pub issuers: Option<Vec<String>>,
    /// `apiKey`: tokens starting with it are API keys for this verifier.
    pub prefix: Option<String>,
    /// `apiKey` with a loader: milliseconds between reads.
    #[serde(default, deserialize_with = "number")]
    pub refresh_interval: Option<f64>,
}

/// The ordered list given to one `bearerAuth`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialKindsOptions {
    pub verifiers: Vec<VerifierKindOptions>,
}

/// One stored API key: its hash and the fixed identity it stands for.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKeyEntry {
    /// `sha256:<base64url of the SHA-256 of the key>`.
    pub hash: String,
    pub subject: String,
    pub client_id: Option<String>,
    pub scopes: Option<Vec<String>>,
}

/// A full set of API keys (a configuration or one loader answer).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKeysOptions {
    pub keys: Vec<ApiKeyEntry>,
}

fn public_path(keys: &[&str]) -> String {
    keys.join(".")
}

impl CredentialKindsOptions {
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }
}

impl ApiKeysOptions {
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }
}

/// A refresh interval in range, or the default when absent.
pub fn refresh_interval(name: &str, value: Option<f64>) -> AuthResult<u64> {
    integer(
        value,
        DEFAULT_REFRESH_INTERVAL_MS,
        &format!("refreshInterval of verifier '{name}'"),
        "milliseconds",
        MIN_REFRESH_INTERVAL_MS..=MAX_REFRESH_INTERVAL_MS,
    )
}
