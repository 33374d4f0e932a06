//! JSON values across the boundary: a document or claims reach Python as
//! plain objects built by `json.loads` (as `JSON.parse` does in the Node
//! binding), and a Python dict reaches the core through `json.dumps`.

use crate::py_error::py_error;
use mcp_auth_core::error::AuthError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use serde_json::Value;

fn json_function<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("json")?.getattr(name)?.unbind())
    })
    .map(|f| f.bind(py))
}

/// `json.loads(text)`.
pub fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    json_function(py, &LOADS, "loads")?.call1((text,))
}

/// A JSON value as a Python object.
pub fn to_python(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value).map_err(|_| {
        py_error(
            py,
            &mcp_auth_core::panic_guard::internal("unserializable value"),
        )
    })?;
    Ok(loads(py, &text)?.unbind())
}

/// A Python value as JSON; `refusal` when it has no JSON form (a set, NaN,
/// an object) so the core's typed error names what was wrong, never the value.
pub fn from_python(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    refusal: impl FnOnce() -> AuthError,
) -> PyResult<Value> {
    static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let kwargs = PyDict::new(py);
    kwargs.set_item("allow_nan", false)?;
    let text = json_function(py, &DUMPS, "dumps")?
        .call((value,), Some(&kwargs))
        .and_then(|text| text.extract::<String>());
    text.ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| py_error(py, &refusal()))
}

/// An options JSON text as a value (`refusal` for text that is not JSON).
pub fn options_value(py: Python<'_>, text: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(|_| {
        py_error(
            py,
            &AuthError::config("options are not one valid JSON text"),
        )
    })
}
