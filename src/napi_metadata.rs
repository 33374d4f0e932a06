//! The RFC 9728 protected-resource metadata document, built by the core
//! (`decision/metadata.rs`) once per resource at setup.

// Only the JavaScript exports call these; test builds do not register exports.
#![cfg_attr(test, allow(dead_code))]

use crate::js_error::js_error;
use crate::js_options::JsOptions;
use mcp_auth_core::options::metadata::MetadataDocumentOptions;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Where a resource's metadata document is served, and its exact JSON text.
#[napi(object, object_from_js = false)]
pub struct ResourceMetadataDocument {
    /// The RFC 9728 §3.1 well-known URL.
    pub url: String,
    /// The document as served.
    pub document: String,
}

/// Builds a resource's metadata document: `resource` first, the other
/// members snake-cased in the option's order with their values as written,
/// then `authorization_servers` (tenant templates expanded), the
/// `scopes_supported` without `offline_access`, the header-only bearer
/// method and the DPoP members; empty members left out.
#[napi(catch_unwind)]
pub fn protected_resource_metadata(
    env: &Env,
    #[napi(ts_arg_type = "MetadataDocumentOptions")] options: JsOptions,
) -> Result<ResourceMetadataDocument> {
    options
        .decode(
            MetadataDocumentOptions::from_json,
            MetadataDocumentOptions::unrepresentable,
        )
        .and_then(|options| options.build())
        .map(|built| ResourceMetadataDocument {
            url: built.url,
            document: built.document,
        })
        .map_err(|e| js_error(env, &e))
}

/// The RFC 9728 §3.1 well-known URL of a resource's metadata (the query
/// kept, the fragment and user info dropped). Throws `invalid_config` for
/// a URL without a host.
#[napi(catch_unwind)]
pub fn protected_resource_metadata_url(env: &Env, resource: String) -> Result<String> {
    mcp_auth_core::decision::metadata::well_known_url(&resource).map_err(|e| js_error(env, &e))
}
