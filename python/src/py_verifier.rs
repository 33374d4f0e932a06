//! The `Verifier` class Python uses. The decisions live in the core's
//! `tokens/verifier.rs`; this file only converts, releases the GIL around
//! the checks, and runs key fetches on the one process-wide tokio runtime.

use crate::py_error::{entry, to_py};
use crate::py_events::key_set_sink;
use crate::py_json::loads;
use crate::py_runtime::{awaitable, block_on, runtime_spawner};
use mcp_auth_core::error::{AuthError, AuthResult, ErrorCode};
use mcp_auth_core::keys::key_set_report::JwksIssuers;
use mcp_auth_core::options::verifier::VerifierOptions;
use mcp_auth_core::tokens::verifier::{self, Step};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// Options arrive as the JSON text the Node binding would build, so the
/// core alone checks names, types, units and ranges.
fn options_from_json(text: &str) -> AuthResult<VerifierOptions> {
    let value = serde_json::from_str(text)
        .map_err(|_| AuthError::config("options are not one valid JSON text"))?;
    VerifierOptions::from_json(value)
}

pub(crate) fn to_dict<'py>(
    py: Python<'py>,
    v: &verifier::Verified,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("issuer", v.issuer.as_str())?;
    dict.set_item("subject", v.identity.subject.as_deref())?;
    dict.set_item("client_id", v.identity.client_id.as_deref())?;
    dict.set_item("scopes", &v.identity.scopes)?;
    dict.set_item("audience", &v.identity.audience)?;
    dict.set_item("expires_at", v.identity.expires_at)?;
    // Claims cross as the issuer's JSON text, parsed by Python (as `JSON.parse` in Node).
    dict.set_item("claims", loads(py, &v.claims_json)?)?;
    Ok(dict)
}

/// Verifies access tokens for one trust configuration. Key sets are cached
/// process-wide, shared with every other Verifier in the process.
#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct Verifier {
    pub(crate) inner: Arc<verifier::Verifier>,
}

#[pymethods]
impl Verifier {
    /// `on_event` receives the key-set events (`jwks_refreshed`,
    /// `jwks_unavailable`) as dicts, on a worker thread, in order.
    #[new]
    #[pyo3(signature = (options_json, on_event = None))]
    fn new(py: Python<'_>, options_json: &str, on_event: Option<Py<PyAny>>) -> PyResult<Self> {
        entry(py, || {
            let config = to_py(
                py,
                options_from_json(options_json).and_then(|o| o.to_config()),
            )?;
            let issuers = JwksIssuers::new(&config.issuers);
            let events = on_event.map(|listener| key_set_sink(listener, issuers));
            let inner = to_py(
                py,
                verifier::Verifier::new(config, events, runtime_spawner()),
            )?;
            Ok(Self {
                inner: Arc::new(inner),
            })
        })
    }

    /// Verifies `token` with cached keys only, the GIL released during the
    /// check; raises `keys_not_loaded` when keys must be fetched first
    /// (call `prepare` or `prepare_async`).
    fn verify_sync<'py>(&self, py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || {
            let inner = &self.inner;
            let result = py.detach(|| match inner.step(token, false) {
                Step::Settled(result) => result,
                Step::Offload(ready) => inner.complete(ready),
                Step::Fetch(_) => Err(AuthError::new(
                    ErrorCode::KeysNotLoaded,
                    "signing keys are not loaded yet",
                )
                .with_retry_after(1)),
            });
            to_dict(py, &*to_py(py, result)?)
        })
    }

    /// Verifies `token`, fetching keys first when they are not cached (or the
    /// token names an unknown key), blocking this thread while it does (the
    /// GIL released). For synchronous callers such as mcpauth's
    /// `create_verify_jwt`; from asyncio use the `Authenticator`.
    fn verify<'py>(&self, py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || {
            let inner = &self.inner;
            let result = match py.detach(|| inner.step(token, false)) {
                Step::Settled(result) => to_py(py, result)?,
                Step::Offload(ready) => to_py(py, py.detach(|| inner.complete(ready)))?,
                Step::Fetch(pending) => {
                    let inner = inner.clone();
                    block_on(py, "verify", async move { inner.resolve(pending).await })?
                }
            };
            to_dict(py, &result)
        })
    }

    /// Discovers metadata and loads keys for every trusted issuer, blocking
    /// this thread (not others: the GIL is released). For start-up code;
    /// from asyncio use `prepare_async`.
    fn prepare(&self, py: Python<'_>) -> PyResult<()> {
        entry(py, || {
            let inner = self.inner.clone();
            block_on(py, "prepare", async move { inner.prepare().await })
        })
    }

    /// `prepare` as an awaitable: runs on the tokio runtime, never on the
    /// event loop's thread.
    fn prepare_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        entry(py, || {
            let inner = self.inner.clone();
            awaitable(py, async move { inner.prepare().await }, |py, ()| {
                Ok(py.None())
            })
        })
    }
}
