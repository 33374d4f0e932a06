//! Module functions that check or build one value: the resource metadata
//! document, server URLs, audiences, bearer limits, the scope hierarchy,
//! and the core's tables of error codes and token error descriptions.

use crate::py_error::{entry, py_error, to_py};
use crate::py_json::options_value;
use mcp_auth_core::decision::credentials;
use mcp_auth_core::decision::texts::TOKEN_ERROR_DESCRIPTIONS;
use mcp_auth_core::error::ErrorCode;
use mcp_auth_core::issuers::trusted;
use mcp_auth_core::options::metadata::MetadataDocumentOptions;
use mcp_auth_core::options::scopes::ScopeHierarchyOptions;
use mcp_auth_core::options::verifier::{
    check_bearer_limits as check_bearer_limits_in_core, check_verify_timeout_option,
};
use mcp_auth_core::tokens::claims;
use pyo3::prelude::*;
use std::collections::HashMap;

/// Builds a resource's metadata document from the core's
/// `MetadataDocumentOptions` as one JSON text: `(url, document)`, the
/// RFC 9728 §3.1 well-known URL and the document's exact text as served.
#[pyfunction]
pub fn protected_resource_metadata(
    py: Python<'_>,
    options_json: &str,
) -> PyResult<(String, String)> {
    entry(py, || {
        let value = options_value(py, options_json)?;
        let built = to_py(
            py,
            MetadataDocumentOptions::from_json(value).and_then(|options| options.build()),
        )?;
        Ok((built.url, built.document))
    })
}

/// The RFC 9728 §3.1 well-known URL of a resource's metadata.
#[pyfunction]
pub fn protected_resource_metadata_url(py: Python<'_>, resource: &str) -> PyResult<String> {
    entry(py, || {
        to_py(
            py,
            mcp_auth_core::decision::metadata::well_known_url(resource),
        )
    })
}

/// The stable error codes and whose fault each is.
#[pyfunction]
pub fn error_codes(py: Python<'_>) -> PyResult<Vec<(&'static str, &'static str)>> {
    entry(py, || {
        Ok(ErrorCode::ALL
            .iter()
            .map(|code| (code.as_str(), code.fault().as_str()))
            .collect())
    })
}

/// The fixed `error_description` of every token, proof and nonce code.
#[pyfunction]
pub fn token_error_descriptions(py: Python<'_>) -> PyResult<HashMap<&'static str, &'static str>> {
    entry(py, || {
        Ok(TOKEN_ERROR_DESCRIPTIONS.iter().copied().collect())
    })
}

/// Checks a server URL by the core's rule (absolute, https, http only for
/// loopback hosts; an issuer also without query or fragment). `what`:
/// `resource` or `issuer`; raises `invalid_config` naming it.
#[pyfunction]
pub fn check_server_url(py: Python<'_>, value: &str, what: &str) -> PyResult<()> {
    entry(py, || {
        let checked = match what {
            "issuer" => trusted::check_issuer(value),
            _ => trusted::check_server_url(value, "resource"),
        };
        checked.map(|_| ()).map_err(|e| py_error(py, &e))
    })
}

/// The form audiences are compared in.
#[pyfunction]
pub fn normalize_audience(py: Python<'_>, audience: &str) -> PyResult<String> {
    entry(py, || Ok(claims::normalize_audience(audience)))
}

/// The limits every bearer middleware shares (`{"audiences": [...] | false,
/// "maxTokenLength"?}` as JSON text); returns the effective `maxTokenLength`.
#[pyfunction]
pub fn check_bearer_limits(py: Python<'_>, options_json: &str) -> PyResult<usize> {
    entry(py, || {
        let value = options_value(py, options_json)?;
        to_py(py, check_bearer_limits_in_core(value))
    })
}

/// `{"verifyTimeout"?}` as JSON text: the effective milliseconds a custom
/// verify function may take (the core's default and range).
#[pyfunction]
pub fn check_verify_timeout(py: Python<'_>, options_json: &str) -> PyResult<u64> {
    entry(py, || {
        let value = options_value(py, options_json)?;
        to_py(py, check_verify_timeout_option(&value))
    })
}

/// Validates a scope hierarchy (the core's `ScopeHierarchyOptions` as JSON
/// text) and returns its entries in order, each implied list without repeats.
#[pyfunction]
pub fn compile_scope_hierarchy(
    py: Python<'_>,
    options_json: &str,
) -> PyResult<Vec<(String, Vec<String>)>> {
    entry(py, || {
        let value = options_value(py, options_json)?;
        let compiled = to_py(
            py,
            ScopeHierarchyOptions::from_json(value).and_then(|options| options.compile()),
        )?;
        Ok(compiled.0)
    })
}

/// Whether a request is a CORS preflight (the core's rule), from its method
/// and the names of the headers it carries (their values do not matter).
#[pyfunction]
pub fn is_cors_preflight(
    py: Python<'_>,
    method: &str,
    header_names: Vec<String>,
) -> PyResult<bool> {
    entry(py, || {
        let headers: Vec<(String, String)> = header_names
            .into_iter()
            .map(|name| (name, String::new()))
            .collect();
        Ok(credentials::is_cors_preflight(method, &headers))
    })
}
