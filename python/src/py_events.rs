//! Events from the core's worker threads to a Python listener: the fleet
//! store's (`StoreEvent`) and a verifier's key sets (`KeySetEvent`), each
//! as a dict in the Python package's snake_case. Delivery is in order, off
//! the runtime's workers, with the GIL taken per call; a listener's
//! exception never reaches the work that reported the event.

use crate::py_runtime::runtime;
use mcp_auth_core::fleet::guard::StoreEvent;
use mcp_auth_core::keys::key_set::KeySetEvent;
use mcp_auth_core::keys::key_set_report::{outage_code, JwksIssuers};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// How one kind of event becomes the dict a listener receives.
pub trait ToDict: Send + 'static {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>>;
}

impl ToDict for StoreEvent {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("type", self.kind())?;
        match self {
            StoreEvent::Unavailable { operation, reason } => {
                dict.set_item("operation", operation.as_str())?;
                dict.set_item("reason", reason.as_str())?;
            }
            StoreEvent::Recovered => {}
            StoreEvent::RecordRejected { reason } => {
                dict.set_item("reason", reason.as_str())?;
            }
        }
        Ok(dict)
    }
}

/// A key-set event with the issuer its URL belongs to (when known), in the
/// Node package's shape: `jwks_refreshed` with `key_count` and `warnings`,
/// `jwks_unavailable` with a fixed `code` and the `reason` in words.
pub struct JwksEvent {
    pub event: KeySetEvent,
    pub issuer: Option<String>,
}

impl ToDict for JwksEvent {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        match &self.event {
            KeySetEvent::Refreshed {
                jwks_uri,
                key_count,
                warnings,
            } => {
                dict.set_item("type", "jwks_refreshed")?;
                dict.set_item("issuer", self.issuer.as_deref())?;
                dict.set_item("jwks_uri", jwks_uri)?;
                dict.set_item("key_count", key_count)?;
                dict.set_item("warnings", warnings)?;
            }
            KeySetEvent::Unavailable { jwks_uri, reason } => {
                dict.set_item("type", "jwks_unavailable")?;
                dict.set_item("issuer", self.issuer.as_deref())?;
                dict.set_item("jwks_uri", jwks_uri)?;
                dict.set_item("code", outage_code(reason))?;
                dict.set_item("reason", reason)?;
            }
        }
        Ok(dict)
    }
}

/// Calls the listener with the GIL; an exception it raises changes nothing
/// (reported as unraisable, as Python does for a callback with no caller).
fn deliver<E: ToDict>(listener: &Py<PyAny>, event: &E) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        Python::attach(|py| {
            let called = event
                .to_dict(py)
                .and_then(|dict| listener.call1(py, (dict,)));
            if let Err(err) = called {
                err.write_unraisable(py, Some(listener.bind(py)));
            }
        })
    }));
}

/// Events reach `listener` in order, off the runtime's workers (a listener
/// holding the GIL must not stall a deadline or a key fetch).
pub fn event_sink<E: ToDict>(listener: Py<PyAny>) -> Arc<dyn Fn(E) + Send + Sync> {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<E>();
    let listener = Arc::new(listener);
    runtime().spawn(async move {
        while let Some(event) = receiver.recv().await {
            let listener = listener.clone();
            let _ = tokio::task::spawn_blocking(move || deliver(&listener, &event)).await;
        }
    });
    Arc::new(move |event: E| {
        let _ = sender.send(event);
    })
}

/// A verifier's key-set events for `listener`, each naming its issuer.
pub fn key_set_sink(
    listener: Py<PyAny>,
    issuers: JwksIssuers,
) -> mcp_auth_core::keys::key_set::EventSink {
    let sink = event_sink::<JwksEvent>(listener);
    Arc::new(move |event: KeySetEvent| {
        let issuer = match &event {
            KeySetEvent::Refreshed { jwks_uri, .. } | KeySetEvent::Unavailable { jwks_uri, .. } => {
                issuers.issuer_of(jwks_uri).map(str::to_owned)
            }
        };
        sink(JwksEvent { event, issuer })
    })
}
