//! `mcp_auth_rs._native`: the PyO3 module over `mcp-auth-core`. It converts
//! values and owns nothing else; `mcp_auth_rs` (python/src/mcp_auth_rs) is
//! the public Python API.

mod py_error;
mod py_verifier;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "NativeAuthError",
        m.py().get_type::<py_error::NativeAuthError>(),
    )?;
    m.add_class::<py_verifier::Verifier>()?;
    Ok(())
}
