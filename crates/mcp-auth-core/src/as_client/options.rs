//! The options every endpoint client takes (introspection's, token
//! exchange's), as given under their `prefix`, and their checks: the client
//! authentication, the assertion's `aud`, and the HTTP bounds. Numbers go
//! through `options::values` like every option.

use super::client_auth::{basic_header, Assertions, ClientAuth};
use super::signing_key::PrivateKey;
use crate::error::{AuthError, AuthResult};
use crate::http::FetchOptions;
use crate::issuers::trusted::check_server_url;
use crate::options::values::{integer, millis};
use std::time::Duration;
use url::Url;

/// One endpoint call, connect to last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read (an answer is a few hundred bytes).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// The endpoint-client options of one options struct, borrowed.
pub struct ClientOptions<'a> {
    /// Where the options sit (`introspection`, `tokenExchange`): errors name `{prefix}.{field}`.
    pub prefix: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub method: Option<&'a str>,
    pub private_key: Option<&'a PrivateKey>,
    pub key_id: Option<&'a str>,
    pub signing_algorithm: Option<&'a str>,
    /// ms, default 5000, 1..=60000.
    pub timeout: Option<f64>,
    /// bytes, default 65536, 1024..=1048576.
    pub max_response_bytes: Option<f64>,
}

impl ClientOptions<'_> {
    /// The client authentication, then the HTTP bounds (checked in that order).
    pub fn check(&self) -> AuthResult<(ClientAuth, FetchOptions)> {
        let auth = self.client_auth()?;
        let prefix = self.prefix;
        let fetch = FetchOptions {
            timeout: millis(
                self.timeout,
                DEFAULT_TIMEOUT,
                &format!("{prefix}.timeout"),
                1..=60_000,
            )?,
            max_body_bytes: integer(
                self.max_response_bytes,
                DEFAULT_MAX_RESPONSE_BYTES,
                &format!("{prefix}.maxResponseBytes"),
                "bytes",
                1024..=1024 * 1024,
            )? as usize,
        };
        Ok((auth, fetch))
    }

    fn client_auth(&self) -> AuthResult<ClientAuth> {
        let prefix = self.prefix;
        if self.client_id.is_empty() {
            return Err(AuthError::config(format!(
                "`{prefix}.clientId` must not be empty"
            )));
        }
        let method = self.method.unwrap_or(match self.private_key {
            Some(_) => "private_key_jwt",
            None => "client_secret_basic",
        });
        let secret = || match self.client_secret {
            Some(s) if !s.is_empty() => Ok(s.to_owned()),
            _ => Err(AuthError::config(format!(
                "`{prefix}.clientSecret` is required with clientAuthMethod {method}"
            ))),
        };
        let mismatch = |what: &str| {
            AuthError::config(format!(
                "`{prefix}.{what}` does not go with clientAuthMethod {method}"
            ))
        };
        match method {
            "client_secret_basic" | "client_secret_post" if self.private_key.is_some() => {
                Err(mismatch("privateKey"))
            }
            "client_secret_basic" => Ok(ClientAuth::Basic {
                header: basic_header(self.client_id, &secret()?),
            }),
            "client_secret_post" => Ok(ClientAuth::Post {
                client_id: self.client_id.to_owned(),
                secret: secret()?,
            }),
            "private_key_jwt" if self.client_secret.is_some() => Err(mismatch("clientSecret")),
            "private_key_jwt" => {
                let key = self.private_key.ok_or_else(|| {
                    AuthError::config(format!(
                        "`{prefix}.privateKey` is required with private_key_jwt"
                    ))
                })?;
                Ok(ClientAuth::PrivateKeyJwt(Box::new(Assertions::new(
                    self.client_id.to_owned(),
                    self.key_id.map(str::to_owned),
                    key,
                    self.signing_algorithm,
                    prefix,
                )?)))
            }
            other => Err(AuthError::config(format!(
                "`{prefix}.clientAuthMethod` must be client_secret_basic, client_secret_post or private_key_jwt, got {other:?}"
            ))),
        }
    }
}

/// Whom a client assertion is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssertionTarget {
    Issuer(String),
    /// The endpoint called.
    Endpoint,
    Url(String),
}

impl AssertionTarget {
    /// `assertionAudience` under `prefix`: `issuer` (the default with an
    /// issuer), `endpoint` (the default without), or a URL.
    pub fn parse(value: Option<&str>, issuer: Option<&str>, prefix: &str) -> AuthResult<Self> {
        Ok(match (value, issuer) {
            (None | Some("issuer"), Some(issuer)) => Self::Issuer(issuer.to_owned()),
            (Some("issuer"), None) => {
                return Err(AuthError::config(format!(
                    "`{prefix}.assertionAudience` is issuer but there is no `issuer`"
                )))
            }
            (None | Some("endpoint"), _) => Self::Endpoint,
            (Some(url), _) => Self::Url(
                check_server_url(url, &format!("{prefix}.assertionAudience"))?.to_string(),
            ),
        })
    }

    /// The `aud` of an assertion sent to `endpoint`.
    pub fn audience(&self, endpoint: &Url) -> String {
        match self {
            Self::Issuer(issuer) => issuer.clone(),
            Self::Endpoint => endpoint.to_string(),
            Self::Url(url) => url.clone(),
        }
    }
}
