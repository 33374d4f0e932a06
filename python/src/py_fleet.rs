//! The fleet store from Python: `RedisStore` (the core's own Redis client,
//! configured by URL, the same keys, records and TTLs as the Node addon's
//! `redisStore(url)`), the fleet secret (`str` as UTF-8, or `bytes`, for
//! the core to check) and the listener that receives the store's events.

use crate::py_error::{entry, to_py};
use crate::py_json::options_value;
use mcp_auth_core::fleet::guard::{EventSink, StoreEvent};
use mcp_auth_core::fleet::records::StoreSecret;
use mcp_auth_core::fleet::redis_store;
use mcp_auth_core::fleet::store::SharedStore;
use mcp_auth_core::options::redis_store::RedisStoreOptions;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::sync::Arc;

/// A fleet store the module speaks to itself.
#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct RedisStore {
    pub(crate) inner: Arc<dyn SharedStore>,
}

#[pymethods]
impl RedisStore {
    /// `options_json`: the core's Redis store options (`url`, `prefix`,
    /// `connectTimeout`, …). Does no I/O: it connects on first use and in
    /// the background. Refusals name the option, never the URL or its password.
    #[new]
    fn new(py: Python<'_>, options_json: &str) -> PyResult<Self> {
        entry(py, || {
            let value = options_value(py, options_json)?;
            let config = to_py(
                py,
                RedisStoreOptions::from_json(value).and_then(|o| o.to_config()),
            )?;
            Ok(Self {
                inner: Arc::new(redis_store::RedisStore::new(config)),
            })
        })
    }

    /// `False` while the store cannot send (disconnected, reconnecting);
    /// `True` before its first use.
    fn is_ready(&self, py: Python<'_>) -> PyResult<bool> {
        entry(py, || Ok(self.inner.is_ready()))
    }
}

/// The secret's bytes: a `str`'s UTF-8 (as the Node addon takes a string)
/// or `bytes`; `None` for any other value, which the core refuses by name.
pub fn secret_bytes(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<u8>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Some(text.to_str()?.as_bytes().to_vec()));
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(Some(bytes.as_bytes().to_vec()));
    }
    Ok(None)
}

/// How the refusal names the accepted secret types.
pub const SECRET_TYPES: &str = "a str or bytes";

/// With a store given, its secret checked by the core under `option`'s
/// name; `None` without a store. Its value never appears in an error.
pub fn checked_store_secret(
    py: Python<'_>,
    has_store: bool,
    secret: Option<&Bound<'_, PyAny>>,
    option: &str,
) -> PyResult<Option<StoreSecret>> {
    if !has_store {
        return Ok(None);
    }
    let bytes = secret_bytes(secret)?;
    to_py(py, StoreSecret::new(bytes.as_deref(), option, SECRET_TYPES)).map(Some)
}

/// The store's events for `listener` (`py_events.rs`).
pub fn event_sink(listener: Py<PyAny>) -> EventSink {
    crate::py_events::event_sink::<StoreEvent>(listener)
}
