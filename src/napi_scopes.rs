//! `scopeHierarchy` validation for the wrapper's setup: the core's one rule
//! (`options/scopes.rs`), with the messages naming the option.

// Only the JavaScript exports call these; test builds do not register exports.
#![cfg_attr(test, allow(dead_code))]

use crate::js_error::js_error;
use crate::js_options::JsOptions;
use crate::napi_authenticator::ScopeRule;
use mcp_auth_core::options::scopes::ScopeHierarchyOptions;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Validates a `scopeHierarchy` option (given as its entries in key order)
/// and returns it with each implied list without repeats; throws
/// `invalid_config` naming `option` for a wrong shape, an invalid scope,
/// `offline_access`, or a cycle.
#[napi(catch_unwind)]
pub fn compile_scope_hierarchy(
    env: &Env,
    #[napi(ts_arg_type = "ScopeHierarchyOptions")] options: JsOptions,
) -> Result<Vec<ScopeRule>> {
    options
        .decode(
            ScopeHierarchyOptions::from_json,
            ScopeHierarchyOptions::unrepresentable,
        )
        .and_then(|options| options.compile())
        .map(|(entries, _)| {
            entries
                .into_iter()
                .map(|(scope, implies)| ScopeRule { scope, implies })
                .collect()
        })
        .map_err(|e| js_error(env, &e))
}
