//! The one process-wide tokio runtime every entry uses, and the two ways
//! Python waits on it: blocking a (non-tokio) thread with the GIL released,
//! or an asyncio awaitable. Panics in the work become `internal_error`.

use crate::py_error::{entry, py_error};
use mcp_auth_core::error::{AuthError, AuthResult};
use mcp_auth_core::panic_guard::guarded;
use mcp_auth_core::tokens::verifier::Spawner;
use pyo3::prelude::*;
use std::future::Future;
use std::sync::Arc;

/// pyo3-async-runtimes' global runtime: the core's pooled HTTP connections
/// belong to the runtime that opened them, so every binding entry (sync
/// `block_on` and asyncio futures alike) must use this same one.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

pub fn runtime_spawner() -> Spawner {
    Arc::new(|task| {
        runtime().spawn(task);
    })
}

/// Runs `work` to completion on the runtime, this thread blocked with the
/// GIL released. `name`: the entry, for the refusal on a runtime thread
/// (blocking there would stall or panic the runtime).
pub fn block_on<T, F>(py: Python<'_>, name: &str, work: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = AuthResult<T>> + Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(py_error(
            py,
            &AuthError::config(format!(
                "{name} blocks its thread and cannot run on a tokio runtime thread; await {name}_async instead."
            )),
        ));
    }
    py.detach(|| runtime().block_on(guarded(work)))
        .map_err(|err| py_error(py, &err))
}

/// `work` as an asyncio awaitable running on the runtime; `convert` builds
/// its Python value (with the GIL, panics caught).
pub fn awaitable<'py, T, F, C>(py: Python<'py>, work: F, convert: C) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    F: Future<Output = AuthResult<T>> + Send + 'static,
    C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let result = guarded(work).await;
        Python::attach(|py| match result {
            Ok(value) => entry(py, || convert(py, value)),
            Err(err) => Err(py_error(py, &err)),
        })
    })
}
