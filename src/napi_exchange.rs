//! The `TokenExchanger` class JavaScript uses (`MCPAuth.exchangeToken`):
//! options checked once by the core, then one promise per exchange. The
//! exchange (request, answer, cache, single flight) lives in the core.

use crate::js_error::js_error;
use crate::js_json::JsonObject;
use crate::js_options::JsOptions;
use crate::spawn;
use mcp_auth_core::exchange::exchanger;
use mcp_auth_core::exchange::request::ExchangeParams;
use mcp_auth_core::options::token_exchange::TokenExchangeOptions;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// Trades a caller's access token for one aimed at an upstream API.
#[napi]
pub struct TokenExchanger {
    inner: Arc<exchanger::TokenExchanger>,
}

#[napi]
impl TokenExchanger {
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "TokenExchangeOptions")] options: JsOptions,
    ) -> Result<Self> {
        let config = options
            .decode(
                TokenExchangeOptions::from_json,
                TokenExchangeOptions::unrepresentable,
            )
            .and_then(|o| o.to_config())
            .map_err(|e| js_error(env, &e))?;
        Ok(Self {
            inner: Arc::new(exchanger::TokenExchanger::new(config)),
        })
    }

    /// Resolves to `{ accessToken, tokenType, issuedTokenType, expiresIn?, scope? }`;
    /// rejects with a coded error (`token_exchange_refused`,
    /// `token_exchange_unavailable`, `invalid_config` for bad parameters).
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn exchange<'env>(
        &self,
        env: &'env Env,
        subject_token: String,
        #[napi(ts_arg_type = "ExchangeParams")] params: JsOptions,
    ) -> Result<PromiseRaw<'env, JsonObject>> {
        let request = params
            .decode(ExchangeParams::from_json, ExchangeParams::unrepresentable)
            .and_then(|p| self.inner.check(&p));
        let inner = self.inner.clone();
        spawn(
            env,
            async move {
                let request = request?;
                inner.exchange(&subject_token, &request).await
            },
            |_, issued| Ok(JsonObject(issued.to_json())),
        )
    }
}
