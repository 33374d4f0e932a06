//! Several credential kinds on one route: the core's router and API-key
//! store as Python classes, and `hash_api_key`. Options cross as JSON text
//! for the core to check.

use crate::py_error::{entry, to_py};
use crate::py_json::options_value;
use mcp_auth_core::credentials::api_keys::{self, ApiKeyStore as CoreStore};
use mcp_auth_core::credentials::routing::{CredentialRouter as CoreRouter, Kind};
use mcp_auth_core::options::credentials::{ApiKeysOptions, CredentialKindsOptions};
use pyo3::prelude::*;

/// The stored form of an API key: `sha256:` and the base64url SHA-256.
#[pyfunction]
pub fn hash_api_key(py: Python<'_>, key: &str) -> PyResult<String> {
    entry(py, || to_py(py, api_keys::hash_api_key(key)))
}

/// Which verifier of an ordered list judges a request.
#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct CredentialRouter {
    inner: CoreRouter,
}

#[pymethods]
impl CredentialRouter {
    /// `options_json`: `{"verifiers": [{"name", "kind", "issuers"?, "prefix"?, "refreshInterval"?}]}`.
    #[new]
    fn new(py: Python<'_>, options_json: &str) -> PyResult<Self> {
        entry(py, || {
            let value = options_value(py, options_json)?;
            let inner = to_py(
                py,
                CredentialKindsOptions::from_json(value).and_then(|o| CoreRouter::new(&o)),
            )?;
            Ok(Self { inner })
        })
    }

    /// The index of the verifier for these `Authorization` header values.
    fn route(&self, py: Python<'_>, authorization: Vec<String>) -> PyResult<usize> {
        entry(py, || {
            let headers: Vec<(String, String)> = authorization
                .into_iter()
                .map(|value| ("authorization".to_owned(), value))
                .collect();
            Ok(self.inner.route(&headers))
        })
    }

    /// Each verifier's loader refresh interval in milliseconds (`None` for a JWT verifier).
    fn refresh_intervals(&self, py: Python<'_>) -> PyResult<Vec<Option<u64>>> {
        entry(py, || {
            Ok(self
                .inner
                .kinds()
                .iter()
                .map(|kind| match kind {
                    Kind::ApiKey {
                        refresh_interval_ms,
                        ..
                    } => Some(*refresh_interval_ms),
                    Kind::Jwt { .. } => None,
                })
                .collect())
        })
    }
}

/// The API keys of one verifier: hashes only, replaced whole by `set_keys`.
#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct ApiKeyStore {
    inner: CoreStore,
}

#[pymethods]
impl ApiKeyStore {
    /// `keys_json`: `{"keys": [{"hash", "subject", "clientId"?, "scopes"?}]}`.
    #[new]
    fn new(py: Python<'_>, keys_json: &str) -> PyResult<Self> {
        entry(py, || {
            let value = options_value(py, keys_json)?;
            let inner = to_py(
                py,
                ApiKeysOptions::from_json(value).and_then(|o| CoreStore::new(&o.keys)),
            )?;
            Ok(Self { inner })
        })
    }

    /// Replaces every key at once; on an error the old keys stay.
    fn set_keys(&self, py: Python<'_>, keys_json: &str) -> PyResult<()> {
        entry(py, || {
            let value = options_value(py, keys_json)?;
            to_py(
                py,
                ApiKeysOptions::from_json(value).and_then(|o| self.inner.set_keys(&o.keys)),
            )
        })
    }

    /// `(subject, client_id, scopes)`; raises `token_inactive` for an unknown key.
    fn verify(
        &self,
        py: Python<'_>,
        token: &str,
    ) -> PyResult<(String, Option<String>, Vec<String>)> {
        entry(py, || {
            let identity = to_py(py, self.inner.verify(token))?;
            Ok((
                identity.subject.clone(),
                identity.client_id.clone(),
                identity.scopes.clone(),
            ))
        })
    }
}
