//! A fleet store implemented in Rust (the core's own Redis client), handed to
//! JavaScript as an opaque handle that the options of `bearerAuth` accept
//! where a `SharedStore` object is expected.

use mcp_auth_core::fleet::store::SharedStore;
use napi_derive::napi;
use std::sync::Arc;

/// A fleet store the addon speaks to itself, without a JavaScript client.
#[napi]
pub struct NativeStore {
    pub(crate) inner: Arc<dyn SharedStore>,
}
