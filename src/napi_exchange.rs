//! The `TokenExchanger` class JavaScript uses (`MCPAuth.exchangeToken`):
//! options checked once by the core, then one promise per exchange. The
//! exchange (request, answer, cache, single flight) lives in the core, and
//! with a fleet store (`store`, `storeSecret`) so does the fleet path
//! (`fleet::exchange`: encrypted records, one endpoint call per fleet).

use crate::js_error::js_error;
use crate::js_fleet::{checked_store_secret, fleet_input, StoreEventJs};
use crate::js_json::JsonObject;
use crate::js_options::JsOptions;
use crate::js_store::Readiness;
use crate::spawn;
use mcp_auth_core::exchange::exchanger;
use mcp_auth_core::exchange::request::ExchangeParams;
use mcp_auth_core::fleet::exchange::ExchangeFleet;
use mcp_auth_core::options::token_exchange::{KnownServer, TokenExchangeOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// One of the resource's authorization servers: the default when the
/// options name neither `issuer` nor `tokenEndpoint`.
#[napi(object)]
pub struct ExchangeServer {
    pub issuer: String,
    #[napi(ts_type = "'oauth' | 'oidc'")]
    pub r#type: Option<String>,
    /// Its metadata's `token_endpoint`, when fetched.
    pub token_endpoint: Option<String>,
}

/// Trades a caller's access token for one aimed at an upstream API.
#[napi]
pub struct TokenExchanger {
    inner: Arc<exchanger::TokenExchanger>,
    fleet: Option<Arc<ExchangeFleet>>,
    /// Asks a JavaScript store's `isReady` on this thread.
    readiness: Option<Arc<Readiness>>,
}

#[napi]
impl TokenExchanger {
    /// `servers`: the resource's authorization servers (the core picks the
    /// sole one when `options` name no issuer or endpoint). `store` (a
    /// `SharedStore` object or a `NativeStore`) shares issued tokens with
    /// the fleet, encrypted: it needs `storeSecret`; `onStoreEvent` receives
    /// the store's events.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "TokenExchangeOptions")] options: JsOptions,
        servers: Vec<ExchangeServer>,
        #[napi(ts_arg_type = "object | undefined | null")] store: Option<Unknown>,
        #[napi(ts_arg_type = "string | Uint8Array | undefined | null")] store_secret: Option<
            Unknown,
        >,
        #[napi(ts_arg_type = "((event: StoreEvent) => void) | undefined | null")]
        on_store_event: Option<Function<StoreEventJs, ()>>,
    ) -> Result<Self> {
        let options = options
            .decode(
                TokenExchangeOptions::from_json,
                TokenExchangeOptions::unrepresentable,
            )
            .and_then(|options| options.with_sole_server(&known(servers)))
            .map_err(|e| js_error(env, &e))?;
        let secret = checked_store_secret(
            env,
            store.as_ref(),
            store_secret,
            "tokenExchange.storeSecret",
        )?;
        let config = options.to_config().map_err(|e| js_error(env, &e))?;
        let (fleet, readiness) = match (fleet_input(env, store, on_store_event)?, secret) {
            (Some(input), Some(secret)) => {
                let slack = input.dispatch_slack();
                let fleet =
                    ExchangeFleet::new(input.store.clone(), secret, &options, input.events.clone())
                        .map_err(|e| js_error(env, &e))?
                        .with_dispatch_slack(slack);
                input.set_deadline(fleet.store_timeout());
                (Some(Arc::new(fleet)), input.readiness)
            }
            _ => (None, None),
        };
        Ok(Self {
            inner: Arc::new(exchanger::TokenExchanger::new(config)),
            fleet,
            readiness,
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
        if let Some(readiness) = &self.readiness {
            readiness.refresh(env);
        }
        let inner = self.inner.clone();
        let fleet = self.fleet.clone();
        spawn(
            env,
            async move {
                let request = request?;
                match fleet {
                    Some(fleet) => fleet.exchange(&inner, &subject_token, &request).await,
                    None => inner.exchange(&subject_token, &request).await,
                }
            },
            |_, issued| Ok(JsonObject(issued.to_json())),
        )
    }
}

fn known(servers: Vec<ExchangeServer>) -> Vec<KnownServer> {
    servers
        .into_iter()
        .map(|server| KnownServer {
            issuer: server.issuer,
            server_type: server.r#type,
            token_endpoint: server.token_endpoint,
        })
        .collect()
}
