//! The `TokenExchanger` class (`MCPAuth.exchange_token`): the core's token
//! exchange client (RFC 8693, or Entra ID's on-behalf-of grant), as for
//! `src/napi_exchange.rs`. The request, the answer's checks, the cache and
//! single flight live in the core, and with a fleet store so does the fleet
//! path (`fleet::exchange`); this file only converts.

use crate::py_error::{entry, to_py};
use crate::py_fleet::{checked_store_secret, event_sink, RedisStore};
use crate::py_json::{options_value, to_python};
use crate::py_runtime::awaitable;
use mcp_auth_core::exchange::exchanger;
use mcp_auth_core::exchange::request::ExchangeParams;
use mcp_auth_core::fleet::exchange::ExchangeFleet;
use mcp_auth_core::options::token_exchange::{KnownServer, TokenExchangeOptions};
use pyo3::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// Trades a caller's access token for one aimed at an upstream API.
#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct TokenExchanger {
    inner: Arc<exchanger::TokenExchanger>,
    fleet: Option<Arc<ExchangeFleet>>,
}

#[pymethods]
impl TokenExchanger {
    /// `options_json`: the core's token-exchange options (the Node keys).
    /// `servers`: the resource's authorization servers as (issuer, type,
    /// token_endpoint); the core picks the sole one when the options name
    /// no issuer or endpoint. `store` shares issued tokens with the fleet,
    /// encrypted: it needs `store_secret` (the same for every process);
    /// `on_store_event` receives the store's events.
    #[new]
    #[pyo3(signature = (options_json, servers, store = None, store_secret = None, on_store_event = None))]
    fn new(
        py: Python<'_>,
        options_json: &str,
        servers: Vec<(String, Option<String>, Option<String>)>,
        store: Option<Bound<'_, RedisStore>>,
        store_secret: Option<Bound<'_, PyAny>>,
        on_store_event: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        entry(py, || {
            let value = options_value(py, options_json)?;
            let servers: Vec<KnownServer> = servers
                .into_iter()
                .map(|(issuer, server_type, token_endpoint)| KnownServer {
                    issuer,
                    server_type,
                    token_endpoint,
                })
                .collect();
            let options = to_py(
                py,
                TokenExchangeOptions::from_json(value)
                    .and_then(|options| options.with_sole_server(&servers)),
            )?;
            // Checked before anything else sees it; its value never appears in an error.
            let secret = checked_store_secret(
                py,
                store.is_some(),
                store_secret.as_ref(),
                "tokenExchange.storeSecret",
            )?;
            let config = to_py(py, options.to_config())?;
            let fleet = match (store, secret) {
                (Some(store), Some(secret)) => {
                    let fleet = ExchangeFleet::new(
                        store.get().inner.clone(),
                        secret,
                        &options,
                        on_store_event.map(event_sink),
                    );
                    Some(Arc::new(to_py(py, fleet)?))
                }
                _ => None,
            };
            Ok(Self {
                inner: Arc::new(exchanger::TokenExchanger::new(config)),
                fleet,
            })
        })
    }

    /// An awaitable of `{accessToken, tokenType, issuedTokenType,
    /// expiresIn?, scope?}`; raises a coded error (`token_exchange_refused`,
    /// `token_exchange_unavailable`, `invalid_config` for bad parameters).
    fn exchange_async<'py>(
        &self,
        py: Python<'py>,
        subject_token: String,
        params_json: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        entry(py, || {
            let value = options_value(py, params_json)?;
            let params = to_py(py, ExchangeParams::from_json(value))?;
            let request = to_py(py, self.inner.check(&params))?;
            let inner = self.inner.clone();
            let fleet = self.fleet.clone();
            let work = async move {
                match fleet {
                    Some(fleet) => fleet.exchange(&inner, &subject_token, &request).await,
                    None => inner.exchange(&subject_token, &request).await,
                }
            };
            awaitable(py, work, |py, issued| {
                to_python(py, &Value::Object(issued.to_json()))
            })
        })
    }
}
