//! The `Introspector` class ('introspection' and 'auto' routes): the core's
//! RFC 7662 introspector and, with a fleet store, the core's fleet path
//! (`fleet::introspection`: signed verdicts shared by every process, one
//! endpoint call per token for the fleet). The `Authenticator` runs it; the
//! decisions live in the core, as for `src/napi_introspector.rs`.

use crate::py_error::{entry, to_py};
use crate::py_fleet::{checked_store_secret, event_sink, RedisStore};
use crate::py_json::options_value;
use crate::py_runtime::awaitable;
use crate::py_verifier::to_dict;
use mcp_auth_core::fleet::introspection::IntrospectionFleet;
use mcp_auth_core::introspection::introspector;
use mcp_auth_core::options::introspection::IntrospectorOptions;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// Introspects access tokens at one trusted authorization server.
#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct Introspector {
    pub(crate) inner: Arc<introspector::Introspector>,
    /// The fleet store's path, when there is one.
    pub(crate) fleet: Option<Arc<IntrospectionFleet>>,
}

#[pymethods]
impl Introspector {
    /// `options_json`: the core's introspector options (the Node addon's
    /// keys). `store` shares verdicts with the fleet: it needs
    /// `store_secret` (the same for every process); `resource` is part of
    /// the records' scope; `on_store_event` receives the store's events.
    #[new]
    #[pyo3(signature = (options_json, store = None, store_secret = None, resource = None, on_store_event = None))]
    fn new(
        py: Python<'_>,
        options_json: &str,
        store: Option<Bound<'_, RedisStore>>,
        store_secret: Option<Bound<'_, PyAny>>,
        resource: Option<String>,
        on_store_event: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        entry(py, || {
            let value = options_value(py, options_json)?;
            let options = to_py(py, IntrospectorOptions::from_json(value))?;
            // Checked before anything else sees it; its value never appears in an error.
            let secret = checked_store_secret(
                py,
                store.is_some(),
                store_secret.as_ref(),
                "introspection.storeSecret",
            )?;
            let config = to_py(py, options.to_config())?;
            let fleet = match (store, secret) {
                (Some(store), Some(secret)) => {
                    let fleet = IntrospectionFleet::new(
                        store.get().inner.clone(),
                        secret,
                        &options,
                        resource.as_deref(),
                        on_store_event.map(event_sink),
                    );
                    Some(Arc::new(to_py(py, fleet)?))
                }
                _ => None,
            };
            Ok(Self {
                inner: Arc::new(introspector::Introspector::new(config)),
                fleet,
            })
        })
    }

    /// The local cache only: the token's verification, None on a miss;
    /// raises for a cached inactive token.
    fn cached<'py>(&self, py: Python<'py>, token: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        entry(py, || match self.inner.cached(token) {
            None => Ok(None),
            Some(result) => Ok(Some(to_dict(py, &*to_py(py, result)?)?)),
        })
    }

    /// The token's verification: the local cache, the fleet's record, or
    /// the endpoint; raises a coded error (`token_inactive`, …).
    fn check_async<'py>(&self, py: Python<'py>, token: String) -> PyResult<Bound<'py, PyAny>> {
        entry(py, || {
            let inner = self.inner.clone();
            let fleet = self.fleet.clone();
            let work = async move {
                match fleet {
                    Some(fleet) => fleet.verify(&inner, &token).await,
                    None => inner.verify(&token).await,
                }
            };
            awaitable(py, work, |py, verified| {
                Ok(to_dict(py, &verified)?.into_any().unbind())
            })
        })
    }
}
