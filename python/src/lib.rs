//! `mcp_auth_rs._native`: the PyO3 module over `mcp-auth-core`. It converts
//! values and owns nothing else; `mcp_auth_rs` (python/src/mcp_auth_rs) is
//! the public Python API.

mod py_authenticator;
mod py_credentials;
mod py_discovery;
mod py_dpop;
mod py_error;
mod py_events;
mod py_exchange;
mod py_fleet;
mod py_functions;
mod py_introspector;
mod py_json;
mod py_metadata;
mod py_outcome;
mod py_runtime;
mod py_verifier;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "NativeAuthError",
        m.py().get_type::<py_error::NativeAuthError>(),
    )?;
    m.add_class::<py_verifier::Verifier>()?;
    m.add_class::<py_authenticator::Authenticator>()?;
    m.add_class::<py_introspector::Introspector>()?;
    m.add_class::<py_dpop::DpopChecker>()?;
    m.add_class::<py_exchange::TokenExchanger>()?;
    m.add_class::<py_fleet::RedisStore>()?;
    m.add_class::<py_metadata::MetadataResponder>()?;
    m.add_class::<py_outcome::Answer>()?;
    m.add_class::<py_outcome::Verify>()?;
    m.add_class::<py_outcome::Accepted>()?;
    m.add_class::<py_credentials::CredentialRouter>()?;
    m.add_class::<py_credentials::ApiKeyStore>()?;
    m.add_function(wrap_pyfunction!(py_credentials::hash_api_key, m)?)?;
    m.add_function(wrap_pyfunction!(py_discovery::fetch_server_config, m)?)?;
    m.add_function(wrap_pyfunction!(
        py_discovery::fetch_server_config_async,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        py_discovery::fetch_server_config_by_well_known_url,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        py_discovery::fetch_server_config_by_well_known_url_async,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(py_discovery::fetch_server_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(
        py_discovery::fetch_server_metadata_async,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        py_discovery::fetch_server_metadata_by_well_known_url,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        py_discovery::fetch_server_metadata_by_well_known_url_async,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(py_discovery::to_server_config, m)?)?;
    m.add_function(wrap_pyfunction!(py_discovery::validate_server_config, m)?)?;
    m.add_function(wrap_pyfunction!(
        py_functions::protected_resource_metadata,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        py_functions::protected_resource_metadata_url,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(py_functions::error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(py_functions::token_error_descriptions, m)?)?;
    m.add_function(wrap_pyfunction!(py_functions::check_server_url, m)?)?;
    m.add_function(wrap_pyfunction!(py_functions::normalize_audience, m)?)?;
    m.add_function(wrap_pyfunction!(py_functions::check_bearer_limits, m)?)?;
    m.add_function(wrap_pyfunction!(py_functions::check_verify_timeout, m)?)?;
    m.add_function(wrap_pyfunction!(py_functions::compile_scope_hierarchy, m)?)?;
    m.add_function(wrap_pyfunction!(py_functions::is_cors_preflight, m)?)?;
    Ok(())
}
