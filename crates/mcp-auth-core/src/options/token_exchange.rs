//! The token-exchange client's options (`tokenExchange` in Node's and
//! Python's `MCPAuth` configuration), set once per process, and their
//! checks. Per-call parameters are `exchange::request::ExchangeParams`.

use crate::as_client::client_auth::ClientAuth;
use crate::as_client::options::AssertionTarget;
use crate::as_client::options::ClientOptions;
#[cfg(test)]
use crate::as_client::options::DEFAULT_TIMEOUT;
use crate::as_client::signing_key::PrivateKey;
use crate::error::{AuthError, AuthResult};
use crate::exchange::request::Grant;
use crate::http::FetchOptions;
use crate::issuers::discovery::ServerType;
use crate::issuers::trusted::{check_issuer, check_server_url};
use crate::options::decode::{self, decode};
use crate::options::values::{integer, millis, number};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use url::Url;

pub const DEFAULT_CACHE_SIZE: u64 = 1000;
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 4 * 1024 * 1024;
pub const DEFAULT_EXPIRY_MARGIN: Duration = Duration::from_secs(30);

// Serialized for the fleet's scope id (`fleet::exchange`): every option
// but credentials, timing and sizes names the records' keyspace.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenExchangeOptions {
    /// The authorization server: where `tokenEndpoint` is discovered, and
    /// the default `aud` of a client assertion.
    pub issuer: Option<String>,
    /// How to discover its metadata (`oauth`, default, or `oidc`).
    pub issuer_type: Option<String>,
    /// The token endpoint; default: the metadata's `token_endpoint`.
    pub token_endpoint: Option<String>,
    /// `token_exchange` (RFC 8693, default) or `on_behalf_of` (Entra ID).
    pub grant: Option<String>,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `client_secret_basic` (default), `client_secret_post` or `private_key_jwt`.
    pub client_auth_method: Option<String>,
    pub private_key: Option<PrivateKey>,
    pub signing_algorithm: Option<String>,
    pub key_id: Option<String>,
    /// `aud` of a client assertion: `issuer` (default with an issuer),
    /// `endpoint` (default without), or a URL.
    pub assertion_audience: Option<String>,
    /// ms, default 5000, 1..=60000: one exchange, connect to last byte.
    #[serde(default, deserialize_with = "number")]
    pub timeout: Option<f64>,
    /// bytes, default 65536, 1024..=1048576.
    #[serde(default, deserialize_with = "number")]
    pub max_response_bytes: Option<f64>,
    /// entries, default 1000, 0..=100000 (0: no cache).
    #[serde(default, deserialize_with = "number")]
    pub cache_size: Option<f64>,
    /// bytes, default 4194304, 0..=268435456 (0: no cache).
    #[serde(default, deserialize_with = "number")]
    pub cache_max_bytes: Option<f64>,
    /// ms, default 30000, 0..=3600000: how long before `expires_in` runs
    /// out an issued token stops being reused.
    #[serde(default, deserialize_with = "number")]
    pub expiry_margin: Option<f64>,
    /// ms, default 250, 1..=60000: the deadline of one fleet store operation
    /// (checked only with a store, by the same rule as introspection's:
    /// `fleet::guard::store_timeout`, in `fleet::exchange`).
    #[serde(default, deserialize_with = "number")]
    pub store_timeout: Option<f64>,
}

/// One of the resource's authorization servers as its binding knows it:
/// the default of an exchange configured without `issuer` and `tokenEndpoint`.
#[derive(Debug, Clone, Default)]
pub struct KnownServer {
    pub issuer: String,
    /// `oauth` or `oidc`; `None`: the default, `oauth`.
    pub server_type: Option<String>,
    /// Its metadata's `token_endpoint`, when the binding has fetched it.
    pub token_endpoint: Option<String>,
}

#[derive(Debug)]
pub struct TokenExchangeConfig {
    pub issuer: Option<String>,
    pub issuer_type: ServerType,
    pub endpoint: Option<Url>,
    pub grant: Grant,
    pub auth: ClientAuth,
    pub assertion_audience: AssertionTarget,
    pub fetch: FetchOptions,
    pub cache_size: usize,
    pub cache_max_bytes: usize,
    pub expiry_margin: Duration,
}

fn public_path(keys: &[&str]) -> String {
    format!(
        "tokenExchange.{}",
        keys.first().copied().unwrap_or_default()
    )
}

impl TokenExchangeOptions {
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    /// Without `issuer` and `tokenEndpoint`, the resource's sole
    /// authorization server fills them in: its issuer, its type (where
    /// discovery starts; it also scopes a fleet's records, so every binding
    /// given the same server shares them) and its known `token_endpoint`.
    /// Servers with one issuer count as one; none, or several issuers, are
    /// refused.
    pub fn with_sole_server(mut self, servers: &[KnownServer]) -> AuthResult<Self> {
        if self.issuer.is_some() || self.token_endpoint.is_some() {
            return Ok(self);
        }
        let sole = match servers.first() {
            Some(first) if servers.iter().all(|s| s.issuer == first.issuer) => first,
            _ => return Err(AuthError::config(
                "`tokenExchange` needs `issuer` or `tokenEndpoint` when not exactly one authorization server is configured.",
            )),
        };
        self.issuer = Some(sole.issuer.clone());
        self.issuer_type = self.issuer_type.or_else(|| sole.server_type.clone());
        self.token_endpoint = servers
            .iter()
            .filter_map(|s| s.token_endpoint.clone())
            .find(|endpoint| !endpoint.is_empty());
        Ok(self)
    }

    pub fn to_config(&self) -> AuthResult<TokenExchangeConfig> {
        if let Some(issuer) = &self.issuer {
            check_issuer(issuer)?;
        }
        let endpoint = self
            .token_endpoint
            .as_deref()
            .map(|e| check_server_url(e, "tokenExchange.tokenEndpoint"))
            .transpose()?;
        if endpoint.is_none() && self.issuer.is_none() {
            return Err(AuthError::config(
                "`tokenExchange` needs `tokenEndpoint` or an `issuer` whose metadata names it",
            ));
        }
        let grant = match self.grant.as_deref() {
            None | Some("token_exchange") => Grant::TokenExchange,
            Some("on_behalf_of") => Grant::OnBehalfOf,
            Some(other) => {
                return Err(AuthError::config(format!(
                    "`tokenExchange.grant` must be token_exchange or on_behalf_of, got {other:?}"
                )))
            }
        };
        let assertion_audience = AssertionTarget::parse(
            self.assertion_audience.as_deref(),
            self.issuer.as_deref(),
            "tokenExchange",
        )?;
        let issuer_type = ServerType::parse(self.issuer_type.as_deref().unwrap_or("oauth"))?;
        let (auth, fetch) = ClientOptions {
            prefix: "tokenExchange",
            client_id: &self.client_id,
            client_secret: self.client_secret.as_deref(),
            method: self.client_auth_method.as_deref(),
            private_key: self.private_key.as_ref(),
            key_id: self.key_id.as_deref(),
            signing_algorithm: self.signing_algorithm.as_deref(),
            timeout: self.timeout,
            max_response_bytes: self.max_response_bytes,
        }
        .check()?;
        Ok(TokenExchangeConfig {
            issuer: self.issuer.clone(),
            issuer_type,
            endpoint,
            grant,
            auth,
            assertion_audience,
            fetch,
            cache_size: integer(
                self.cache_size,
                DEFAULT_CACHE_SIZE,
                "tokenExchange.cacheSize",
                "entries",
                0..=100_000,
            )? as usize,
            cache_max_bytes: integer(
                self.cache_max_bytes,
                DEFAULT_CACHE_MAX_BYTES,
                "tokenExchange.cacheMaxBytes",
                "bytes",
                0..=256 * 1024 * 1024,
            )? as usize,
            expiry_margin: millis(
                self.expiry_margin,
                DEFAULT_EXPIRY_MARGIN,
                "tokenExchange.expiryMargin",
                0..=3_600_000,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn config(value: Value) -> AuthResult<TokenExchangeConfig> {
        TokenExchangeOptions::from_json(value)?.to_config()
    }

    #[test]
    fn defaults_and_refusals_by_name() {
        let c = config(json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": "s3cret" })).unwrap();
        assert_eq!(c.grant, Grant::TokenExchange);
        assert_eq!(c.fetch.timeout, DEFAULT_TIMEOUT);
        assert_eq!(
            (c.cache_size, c.expiry_margin),
            (1000, DEFAULT_EXPIRY_MARGIN)
        );
        assert!(matches!(c.assertion_audience, AssertionTarget::Issuer(_)));
        let refused = |value: Value| config(value).unwrap_err();
        for (value, starts) in [
            (
                json!({ "clientId": "rs", "clientSecret": "s3cret" }),
                "`tokenExchange` needs",
            ),
            (
                json!({ "tokenEndpoint": "http://as.example.com/token", "clientId": "rs", "clientSecret": "s3cret" }),
                "The tokenExchange.tokenEndpoint",
            ),
            (
                json!({ "issuer": "https://as.example.com", "clientId": "rs" }),
                "`tokenExchange.clientSecret` is required",
            ),
            (
                json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": "s3cret", "grant": "password" }),
                "`tokenExchange.grant`",
            ),
            (
                json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": "s3cret", "expiryMargin": -1 }),
                "`tokenExchange.expiryMargin` must be",
            ),
            (
                json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": "s3cret", "timeout": 0 }),
                "`tokenExchange.timeout` must be",
            ),
            (
                json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": "s3cret", "cacheTtl": 1 }),
                "unknown option `tokenExchange.cacheTtl`",
            ),
            (
                json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": 5 }),
                "`tokenExchange.clientSecret` has a value of the wrong type",
            ),
        ] {
            let e = refused(value);
            assert_eq!(e.code, ErrorCode::InvalidConfig);
            assert!(e.reason.starts_with(starts), "{}", e.reason);
            assert!(!e.reason.contains("s3cret"));
        }
        let c = config(json!({ "tokenEndpoint": "https://as.example.com/token", "clientId": "rs", "clientSecret": "s", "grant": "on_behalf_of", "cacheSize": 0 })).unwrap();
        assert_eq!((c.grant, c.cache_size), (Grant::OnBehalfOf, 0));
        assert_eq!(c.assertion_audience, AssertionTarget::Endpoint);
    }

    #[test]
    fn the_sole_server_fills_in_issuer_type_and_endpoint() {
        let options = |value: Value| TokenExchangeOptions::from_json(value).unwrap();
        let server = |issuer: &str, server_type: &str, endpoint: Option<&str>| KnownServer {
            issuer: issuer.into(),
            server_type: Some(server_type.into()),
            token_endpoint: endpoint.map(Into::into),
        };
        let bare = json!({ "clientId": "rs", "clientSecret": "s3cret" });
        // Two configs of one issuer are one server; the fetched one's endpoint is used.
        let filled = options(bare.clone())
            .with_sole_server(&[
                server("https://as.example.com", "oidc", None),
                server(
                    "https://as.example.com",
                    "oidc",
                    Some("https://as.example.com/token"),
                ),
            ])
            .unwrap();
        assert_eq!(filled.issuer.as_deref(), Some("https://as.example.com"));
        assert_eq!(filled.issuer_type.as_deref(), Some("oidc"));
        assert_eq!(
            filled.token_endpoint.as_deref(),
            Some("https://as.example.com/token")
        );
        // Without a fetched endpoint it is discovered later (an empty one counts as none).
        let lazy = options(bare.clone())
            .with_sole_server(&[server("https://as.example.com", "oauth", Some(""))])
            .unwrap();
        assert_eq!(lazy.token_endpoint, None);
        // What the user set is kept, whatever the servers.
        let own = options(
            json!({ "issuer": "https://other.example.com", "clientId": "rs", "clientSecret": "s" }),
        )
        .with_sole_server(&[])
        .unwrap();
        assert_eq!(
            (own.issuer.as_deref(), own.issuer_type),
            (Some("https://other.example.com"), None)
        );
        for servers in [
            vec![],
            vec![
                server("https://a.example.com", "oauth", None),
                server("https://b.example.com", "oauth", None),
            ],
        ] {
            let e = options(bare.clone())
                .with_sole_server(&servers)
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidConfig);
            assert!(
                e.reason.starts_with(
                    "`tokenExchange` needs `issuer` or `tokenEndpoint` when not exactly one"
                ),
                "{}",
                e.reason
            );
        }
    }
}
