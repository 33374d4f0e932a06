//! Errors as Python sees them: one exception type, `NativeAuthError`, whose
//! instances carry the core's stable `code`, its `fault`, the fixed `reason`,
//! and `url` / `retry_after` (None when unknown). The Python layer maps it
//! onto mcpauth-compatible classes; this file only converts.

use mcp_auth_core::error::{AuthError, AuthResult};
use mcp_auth_core::panic_guard::internal;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

// A plain subclass of Exception: with abi3 below Python 3.12, PyO3 cannot
// give an exception class Rust fields (`extends = PyException`), so the
// attributes are set on each instance instead.
create_exception!(
    mcp_auth_rs._native,
    NativeAuthError,
    PyException,
    "A verification or configuration failure with the core's stable `code`."
);

/// `err` as a `NativeAuthError` with its attributes set.
pub fn py_error(py: Python<'_>, err: &AuthError) -> PyErr {
    let exc = NativeAuthError::new_err(err.to_string());
    let value = exc.value(py);
    let set = || -> PyResult<()> {
        value.setattr("code", err.code.as_str())?;
        value.setattr("fault", err.code.fault().as_str())?;
        value.setattr("reason", err.reason.as_str())?;
        value.setattr("url", err.url.as_deref())?;
        value.setattr("retry_after", err.retry_after)?;
        Ok(())
    };
    match set() {
        Ok(()) => exc,
        // Setting an attribute on a fresh exception only fails when Python
        // itself is failing (memory); report that rather than a half-built error.
        Err(e) => e,
    }
}

/// Runs one entry point: a panic becomes the core's `internal_error` as a
/// `NativeAuthError`, never PyO3's `PanicException` (a `BaseException` that
/// `except Exception` would miss).
pub fn entry<T>(py: Python<'_>, work: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(_) => Err(py_error(py, &internal("internal error while verifying"))),
    }
}

/// A core result as a Python result.
pub fn to_py<T>(py: Python<'_>, result: AuthResult<T>) -> PyResult<T> {
    result.map_err(|e| py_error(py, &e))
}
