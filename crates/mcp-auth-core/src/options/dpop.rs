//! DPoP options (plain data) → a validated `DpopChecker`: the one place
//! these options are checked, by name, unit and range.

use crate::dpop::nonce::{NonceSource, MIN_SECRET_BYTES};
use crate::dpop::proof::{normalize_htu, DpopChecker, DpopRules, Mode};
use crate::dpop::replay_cache::Limits;
use crate::error::{AuthError, AuthResult};
use crate::keys::algorithms;
use crate::options::decode::{self, decode};
use crate::options::values::{integer, number};
use serde::Deserialize;
use serde_json::Value;

pub const DEFAULT_IAT_WINDOW: u64 = 300;
pub const DEFAULT_NONCE_LIFETIME: u64 = 300;
pub const DEFAULT_REPLAY_CACHE_SIZE: u64 = 100_000;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DpopOptions {
    /// The configured resource URL: its origin plus the request path is the expected `htu`.
    pub resource: String,
    pub mode: Option<String>,
    /// Accepted proof algorithms (default: every asymmetric algorithm of the table).
    pub algorithms: Option<Vec<String>>,
    /// Largest accepted |now − iat|, in seconds (default 300, 1 to 3600).
    #[serde(default, deserialize_with = "number")]
    pub iat_window: Option<f64>,
    /// Require server nonces (default false).
    pub nonce: Option<bool>,
    /// HMAC secret shared by a fleet (at least 32 bytes); default: random per process.
    pub nonce_secret: Option<String>,
    /// Seconds per nonce slot (default 300, 10 to 86400); a nonce lives one to two slots.
    #[serde(default, deserialize_with = "number")]
    pub nonce_lifetime: Option<f64>,
    /// Proofs the in-process replay cache holds (default 100000, 1 to 10000000).
    #[serde(default, deserialize_with = "number")]
    pub replay_cache_size: Option<f64>,
    /// Of those, how many one key (`cnf.jkt`) may hold (default a tenth of
    /// the cache, rounded up; 1 to `replayCacheSize`). A tenth of this share,
    /// rounded up, may be proofs dated more than 5 s ahead.
    #[serde(default, deserialize_with = "number")]
    pub replay_cache_per_key: Option<f64>,
    /// ms, default 250, 1..=60000: the deadline of one fleet store operation
    /// (checked only with a store, `fleet::dpop`).
    #[serde(default, deserialize_with = "number")]
    pub store_timeout: Option<f64>,
}

fn origin_of(resource: &str) -> AuthResult<String> {
    let url = url::Url::parse(resource)
        .map_err(|_| AuthError::config("DPoP `resource` must be an absolute URL"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(AuthError::config(
            "DPoP `resource` must be an http(s) URL with a host",
        ));
    }
    let origin = url.origin().ascii_serialization();
    normalize_htu(&origin)
        .map(|o| o.trim_end_matches('/').to_owned())
        .ok_or_else(|| AuthError::config("DPoP `resource` has no usable origin"))
}

/// Where a field of `DpopOptions` sits in the public options.
fn public_path(keys: &[&str]) -> String {
    match keys.first().copied().unwrap_or_default() {
        "nonceSecret" => "dpop.nonce.secret".to_owned(),
        "nonceLifetime" => "dpop.nonce.lifetime".to_owned(),
        field => format!("dpop.{field}"),
    }
}

impl DpopOptions {
    /// The options as a binding passes them (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    pub fn to_checker(&self) -> AuthResult<DpopChecker> {
        let mode = match self.mode.as_deref() {
            None => Mode::Allowed,
            Some(name) => Mode::parse(name).ok_or_else(|| {
                AuthError::config("`dpop` must be 'off', 'allowed' or 'required'")
            })?,
        };
        let algorithms = match &self.algorithms {
            None => algorithms::all(),
            Some(names) if names.is_empty() => {
                return Err(AuthError::config("`dpop.algorithms` must not be empty"))
            }
            Some(names) => names
                .iter()
                .map(|name| {
                    algorithms::parse(name).ok_or_else(|| {
                        AuthError::config(format!(
                            "DPoP algorithm {name:?} is not supported (asymmetric JWS algorithms only)"
                        ))
                    })
                })
                .collect::<AuthResult<Vec<_>>>()?,
        };
        let iat_window = integer(
            self.iat_window,
            DEFAULT_IAT_WINDOW,
            "dpop.iatWindow",
            "seconds",
            1..=3600,
        )?;
        let lifetime = integer(
            self.nonce_lifetime,
            DEFAULT_NONCE_LIFETIME,
            "dpop.nonce.lifetime",
            "seconds",
            10..=86_400,
        )?;
        let capacity = integer(
            self.replay_cache_size,
            DEFAULT_REPLAY_CACHE_SIZE,
            "dpop.replayCacheSize",
            "entries",
            1..=10_000_000,
        )?;
        let per_key = integer(
            self.replay_cache_per_key,
            capacity.div_ceil(10),
            "dpop.replayCachePerKey",
            "entries",
            1..=capacity,
        )?;
        let secret = self.nonce_secret.as_deref().map(str::as_bytes);
        if secret.is_some_and(|s| s.len() < MIN_SECRET_BYTES) {
            return Err(AuthError::config(format!(
                "`dpop.nonce.secret` must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        if secret.is_some() && self.nonce != Some(true) {
            return Err(AuthError::config(
                "`dpop.nonce.secret` is set but nonces are not enabled",
            ));
        }
        let nonces = (self.nonce == Some(true)).then(|| NonceSource::new(secret, lifetime));
        let rules = DpopRules {
            algorithms,
            iat_window,
            origin: origin_of(&self.resource)?,
        };
        let limits = Limits::with_per_key(capacity as usize, Some(per_key as usize));
        Ok(DpopChecker::new(mode, rules, nonces, limits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(resource: &str) -> DpopOptions {
        DpopOptions {
            resource: resource.into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_and_origin() {
        let checker = options("HTTPS://MCP.Example.com:443/mcp?x")
            .to_checker()
            .unwrap();
        assert_eq!(checker.mode, Mode::Allowed);
        assert_eq!(checker.rules.origin, "https://mcp.example.com");
        assert_eq!(checker.rules.iat_window, 300);
        assert!(checker.nonces.is_none());
        let limits = checker.replay_limits();
        assert_eq!(
            (limits.capacity, limits.per_key, limits.ahead_per_key),
            (100_000, 10_000, 1_000)
        );
        let port = options("http://127.0.0.1:8080/").to_checker().unwrap();
        assert_eq!(port.rules.origin, "http://127.0.0.1:8080");
    }

    #[test]
    fn refuses_bad_options_by_name() {
        let bad = [
            DpopOptions {
                mode: Some("on".into()),
                ..options("https://a.example")
            },
            DpopOptions {
                algorithms: Some(vec!["HS256".into()]),
                ..options("https://a.example")
            },
            DpopOptions {
                algorithms: Some(vec!["none".into()]),
                ..options("https://a.example")
            },
            DpopOptions {
                algorithms: Some(vec![]),
                ..options("https://a.example")
            },
            DpopOptions {
                iat_window: Some(0.0),
                ..options("https://a.example")
            },
            DpopOptions {
                iat_window: Some(3601.0),
                ..options("https://a.example")
            },
            DpopOptions {
                iat_window: Some(f64::NAN),
                ..options("https://a.example")
            },
            DpopOptions {
                nonce: Some(true),
                nonce_secret: Some("short".into()),
                ..options("https://a.example")
            },
            DpopOptions {
                nonce_secret: Some("x".repeat(32)),
                ..options("https://a.example")
            },
            DpopOptions {
                nonce: Some(true),
                nonce_lifetime: Some(1.0),
                ..options("https://a.example")
            },
            DpopOptions {
                replay_cache_size: Some(0.0),
                ..options("https://a.example")
            },
            DpopOptions {
                replay_cache_per_key: Some(0.0),
                ..options("https://a.example")
            },
            DpopOptions {
                replay_cache_size: Some(10.0),
                replay_cache_per_key: Some(11.0),
                ..options("https://a.example")
            },
            options("urn:x"),
            options("/mcp"),
        ];
        for options in bad {
            assert!(options.to_checker().is_err(), "{options:?}");
        }
    }

    #[test]
    fn json_options_name_the_public_option_never_the_value() {
        let reason = |value: serde_json::Value| DpopOptions::from_json(value).unwrap_err().reason;
        let r = reason(
            serde_json::json!({ "resource": "https://a.example", "nonceSecret": 918273645 }),
        );
        assert_eq!(
            r,
            "`dpop.nonce.secret` has a value of the wrong type (expected a string)."
        );
        let r = reason(
            serde_json::json!({ "resource": "https://a.example", "algorithms": { "0": "E" } }),
        );
        assert_eq!(
            r,
            "`dpop.algorithms` has a value of the wrong type (expected an array)."
        );
        let r =
            reason(serde_json::json!({ "resource": "https://a.example", "nonceLifetime": "soon" }));
        assert_eq!(
            r,
            "`dpop.nonce.lifetime` has a value of the wrong type (expected a number)."
        );
        let options = DpopOptions::from_json(
            serde_json::json!({ "resource": "https://a.example", "iatWindow": "NaN" }),
        )
        .unwrap();
        assert!(options.to_checker().is_err());
    }
}
