//! Authorization-server metadata: discovery and well-known fetches (each a
//! blocking form for start-up code and an `_async` awaitable), plus the
//! checks and conversion of a document already in hand. Documents cross as
//! plain dicts (`py_json.rs`); a server config is `{"type", "metadata"}` with
//! camelCase metadata keys, as the core's `server_config` builds it.

use crate::py_error::{entry, py_error, to_py};
use crate::py_json::{from_python, to_python};
use crate::py_runtime::{awaitable, block_on};
use mcp_auth_core::error::{AuthError, AuthResult, ErrorCode};
use mcp_auth_core::issuers::discovery::{self, Discovered, ServerType};
use mcp_auth_core::issuers::server_config::{self, Finding, ServerConfig};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use serde_json::{json, Map, Value};

fn config_value(config: ServerConfig) -> Value {
    json!({ "type": config.kind.as_str(), "metadata": Value::Object(config.metadata) })
}

fn config_to_python(py: Python<'_>, config: ServerConfig) -> PyResult<Py<PyAny>> {
    to_python(py, &config_value(config))
}

fn metadata_to_python(py: Python<'_>, found: Discovered) -> PyResult<Py<PyAny>> {
    let document = to_python(py, &Value::Object(found.document))?;
    Ok(PyTuple::new(
        py,
        [found.url.into_pyobject(py)?.into_any().unbind(), document],
    )?
    .into_any()
    .unbind())
}

async fn server_config(issuer: String, kind: AuthResult<ServerType>) -> AuthResult<ServerConfig> {
    let kind = kind?;
    let found = discovery::discover(&issuer, kind, &Default::default()).await?;
    server_config::to_server_config(kind, &found.document, Some(&issuer))
}

async fn server_config_by_url(
    url: String,
    kind: AuthResult<ServerType>,
) -> AuthResult<ServerConfig> {
    let kind = kind?;
    let found = discovery::fetch_well_known(&url, None, &Default::default()).await?;
    server_config::to_server_config(kind, &found.document, None)
}

async fn server_metadata(issuer: String, kind: AuthResult<ServerType>) -> AuthResult<Discovered> {
    discovery::discover(&issuer, kind?, &Default::default()).await
}

async fn server_metadata_by_url(url: String) -> AuthResult<Discovered> {
    discovery::fetch_well_known(&url, None, &Default::default()).await
}

/// One fetch in both forms, its work written once: `$sync` blocks its thread
/// on the shared runtime (the GIL released) for start-up code; `$async_` is
/// the asyncio awaitable. Both names and parameter lists are the stubs'.
macro_rules! fetch_entry {
    (
        $(#[$doc:meta])*
        $sync:ident / $async_:ident ($($arg:ident: $ty:ty),*) => $work:expr, $convert:path
    ) => {
        $(#[$doc])*
        #[pyfunction]
        pub fn $sync(py: Python<'_>, $($arg: $ty),*) -> PyResult<Py<PyAny>> {
            entry(py, || {
                let value = block_on(py, stringify!($sync), $work)?;
                $convert(py, value)
            })
        }

        $(#[$doc])*
        #[pyfunction]
        pub fn $async_<'py>(py: Python<'py>, $($arg: $ty),*) -> PyResult<Bound<'py, PyAny>> {
            entry(py, || awaitable(py, $work, $convert))
        }
    };
}

fetch_entry! {
    /// Discovers an authorization server's metadata (MCP discovery order),
    /// checks that its `issuer` is exactly `issuer`, and returns the server config.
    fetch_server_config / fetch_server_config_async (issuer: String, kind: &str)
        => server_config(issuer, ServerType::parse(kind)), config_to_python
}

fetch_entry! {
    /// Fetches metadata from one well-known URL (no fallback, no issuer to compare with).
    fetch_server_config_by_well_known_url / fetch_server_config_by_well_known_url_async
        (url: String, kind: &str)
        => server_config_by_url(url, ServerType::parse(kind)), config_to_python
}

fetch_entry! {
    /// Discovers the raw (snake_case) metadata document: `(url, document)`.
    fetch_server_metadata / fetch_server_metadata_async (issuer: String, kind: &str)
        => server_metadata(issuer, ServerType::parse(kind)), metadata_to_python
}

fetch_entry! {
    /// Fetches the raw metadata document at one well-known URL: `(url, document)`.
    fetch_server_metadata_by_well_known_url / fetch_server_metadata_by_well_known_url_async
        (url: String)
        => server_metadata_by_url(url), metadata_to_python
}

fn bad_document() -> AuthError {
    AuthError::new(
        ErrorCode::InvalidServerMetadata,
        "server metadata must be a JSON object",
    )
}

/// Checks a raw metadata document (issuer exact match when
/// `expected_issuer` is given) and converts it to a server config.
#[pyfunction]
#[pyo3(signature = (kind, document, expected_issuer = None))]
pub fn to_server_config(
    py: Python<'_>,
    kind: &str,
    document: &Bound<'_, PyAny>,
    expected_issuer: Option<&str>,
) -> PyResult<Py<PyAny>> {
    entry(py, || {
        let kind = to_py(py, ServerType::parse(kind))?;
        let Value::Object(document) = from_python(py, document, bad_document)? else {
            return Err(py_error(py, &bad_document()));
        };
        let config = to_py(
            py,
            server_config::to_server_config(kind, &document, expected_issuer),
        )?;
        config_to_python(py, config)
    })
}

fn findings<'py>(py: Python<'py>, list: Vec<Finding>) -> PyResult<Bound<'py, PyList>> {
    let items = PyList::empty(py);
    for f in list {
        let item = PyDict::new(py);
        item.set_item("code", f.code)?;
        item.set_item("description", f.description)?;
        item.set_item("cause", f.cause)?;
        items.append(item)?;
    }
    Ok(items)
}

/// Validates a server config with mcp-auth's result codes:
/// `{is_valid, errors, warnings, successes}` (`successes` None unless `verbose`).
#[pyfunction]
#[pyo3(signature = (config, verbose = false))]
pub fn validate_server_config<'py>(
    py: Python<'py>,
    config: &Bound<'_, PyAny>,
    verbose: bool,
) -> PyResult<Bound<'py, PyDict>> {
    entry(py, || {
        let value = from_python(py, config, bad_document)?;
        let (_, metadata): (_, Map<String, Value>) = to_py(py, server_config::from_js(&value))?;
        let v = server_config::validate(&metadata);
        let result = PyDict::new(py);
        result.set_item("is_valid", v.is_valid)?;
        result.set_item("errors", findings(py, v.errors)?)?;
        result.set_item("warnings", findings(py, v.warnings)?)?;
        let successes = if verbose {
            Some(findings(py, v.successes)?)
        } else {
            None
        };
        result.set_item("successes", successes)?;
        Ok(result)
    })
}
