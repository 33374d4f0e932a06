//! The `DpopChecker` class: the core's DPoP proof checker (RFC 9449) for an
//! `Authenticator`, and with a fleet store the core's replay claim
//! (`fleet::dpop`: a proof used at one process is a replay at the others).
//! The checks live in the core's `dpop/proof.rs`; this file converts, as
//! `src/napi_dpop.rs` does for Node.

use crate::py_error::{entry, to_py};
use crate::py_fleet::{event_sink, RedisStore};
use crate::py_json::options_value;
use mcp_auth_core::dpop::proof as dpop;
use mcp_auth_core::fleet::dpop::DpopFleet;
use mcp_auth_core::options::dpop::DpopOptions;
use pyo3::prelude::*;
use std::sync::Arc;

#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct DpopChecker {
    pub(crate) inner: Arc<dpop::DpopChecker>,
    /// The fleet's replay markers, when a store is shared.
    pub(crate) fleet: Option<Arc<DpopFleet>>,
}

#[pymethods]
impl DpopChecker {
    /// `options_json`: the core's DPoP options (`resource`, `mode`,
    /// `algorithms`, `iatWindow`, `nonce`, `nonceSecret`, `nonceLifetime`,
    /// `replayCacheSize`, `replayCachePerKey`, `storeTimeout`). `store`
    /// shares the replay cache with the fleet; `on_store_event` receives its events.
    #[new]
    #[pyo3(signature = (options_json, store = None, on_store_event = None))]
    fn new(
        py: Python<'_>,
        options_json: &str,
        store: Option<Bound<'_, RedisStore>>,
        on_store_event: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        entry(py, || {
            let value = options_value(py, options_json)?;
            let options = to_py(py, DpopOptions::from_json(value))?;
            let inner = to_py(py, options.to_checker())?;
            let fleet = match store {
                Some(store) => {
                    let fleet = DpopFleet::new(
                        store.get().inner.clone(),
                        &options,
                        on_store_event.map(event_sink),
                    );
                    Some(Arc::new(to_py(py, fleet)?))
                }
                None => None,
            };
            Ok(Self {
                inner: Arc::new(inner),
                fleet,
            })
        })
    }

    /// `'off'`, `'allowed'` or `'required'`.
    #[getter]
    fn mode(&self, py: Python<'_>) -> PyResult<&'static str> {
        entry(py, || Ok(self.inner.mode.as_str()))
    }

    /// The accepted proof algorithms, for challenges and metadata.
    #[getter]
    fn algorithms(&self, py: Python<'_>) -> PyResult<Vec<&'static str>> {
        entry(py, || {
            Ok(self
                .inner
                .rules
                .algorithms
                .iter()
                .map(|alg| mcp_auth_core::keys::algorithms::name(*alg))
                .collect())
        })
    }

    /// Whether server nonces are required.
    #[getter]
    fn nonces(&self, py: Python<'_>) -> PyResult<bool> {
        entry(py, || Ok(self.inner.nonces.is_some()))
    }

    /// A fresh server nonce, when nonces are enabled.
    fn nonce(&self, py: Python<'_>) -> PyResult<Option<String>> {
        entry(py, || Ok(self.inner.nonce()))
    }
}
