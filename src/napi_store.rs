//! A fleet store implemented in Rust (the core's own Redis client), handed to
//! JavaScript as an opaque handle that the options of `bearerAuth` accept
//! where a `SharedStore` object is expected.

use crate::js_error::js_error;
use crate::js_options::JsOptions;
use mcp_auth_core::fleet::redis_store::RedisStore;
use mcp_auth_core::fleet::store::SharedStore;
use mcp_auth_core::options::redis_store::RedisStoreOptions;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// A fleet store the addon speaks to itself, without a JavaScript client.
#[napi]
pub struct NativeStore {
    pub(crate) inner: Arc<dyn SharedStore>,
}

#[napi]
impl NativeStore {
    /// The core's Redis client, configured by URL. Does no I/O: it connects
    /// on first use and in the background. Throws `invalid_config` naming
    /// the option (never the URL or its password).
    #[napi(factory, catch_unwind)]
    pub fn redis(
        env: &Env,
        #[napi(ts_arg_type = "NativeRedisStoreOptions")] options: JsOptions,
    ) -> Result<Self> {
        let config = options
            .decode(
                RedisStoreOptions::from_json,
                RedisStoreOptions::unrepresentable,
            )
            .and_then(|options| options.to_config())
            .map_err(|e| js_error(env, &e))?;
        Ok(Self {
            inner: Arc::new(RedisStore::new(config)),
        })
    }

    /// `false` while the store cannot send (disconnected, reconnecting);
    /// `true` before its first use.
    #[napi(catch_unwind)]
    pub fn is_ready(&self) -> bool {
        self.inner.is_ready()
    }
}
