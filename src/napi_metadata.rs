//! The RFC 9728 protected-resource metadata document, built by the core
//! (`decision/metadata.rs`) once per resource at setup, and the answers at
//! the documents' paths (`decision/metadata_responder.rs`).

// Only the JavaScript exports call these; test builds do not register exports.
#![cfg_attr(test, allow(dead_code))]

use crate::js_error::js_error;
use crate::js_options::JsOptions;
use mcp_auth_core::decision::{
    MetadataAnswer, MetadataEndpoint, MetadataResponder as CoreResponder,
};
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

/// Where one document is served: its exact path and query (`''`: none).
#[napi(object)]
pub struct MetadataEndpointOptions {
    pub path: String,
    pub query: String,
}

/// The answer for a request to one of the documents: `endpoint` (its index)
/// when the body is that document, else `body` (absent for a preflight's 204).
#[napi(object, object_from_js = false)]
pub struct MetadataReply {
    pub status: u32,
    /// `[name, value, …]` in wire order.
    pub headers: Vec<String>,
    pub endpoint: Option<u32>,
    pub body: Option<String>,
}

/// The core's answers at the documents' exact paths (`decision/metadata_responder.rs`).
#[napi]
pub struct MetadataResponder {
    inner: CoreResponder,
}

#[napi]
impl MetadataResponder {
    #[napi(constructor, catch_unwind)]
    pub fn new(endpoints: Vec<MetadataEndpointOptions>) -> Self {
        let endpoints = endpoints
            .into_iter()
            .map(|e| MetadataEndpoint {
                path: e.path,
                query: e.query,
            })
            .collect();
        Self {
            inner: CoreResponder::new(endpoints),
        }
    }

    /// `null`: not a request for a document (pass it on). `query`: after the
    /// first `?`, `null` without one.
    #[napi(catch_unwind)]
    pub fn answer(
        &self,
        method: String,
        path: String,
        query: Option<String>,
        requested_headers: Option<String>,
    ) -> Option<MetadataReply> {
        let answer = self.inner.answer(
            &method,
            &path,
            query.as_deref(),
            requested_headers.as_deref(),
        )?;
        let (endpoint, response) = match answer {
            MetadataAnswer::Document { endpoint, response } => (Some(endpoint as u32), response),
            MetadataAnswer::Respond(response) => (None, response),
        };
        let body = (endpoint.is_none() && response.status != 204).then_some(response.body);
        Some(MetadataReply {
            status: u32::from(response.status),
            headers: response
                .headers
                .into_iter()
                .flat_map(|(name, value)| [name, value])
                .collect(),
            endpoint,
            body,
        })
    }
}
