//! The introspector's options as a binding passes them (`new Introspector(…)` in Node), and their checks
//! (RFC 7662 mode). Numbers go through `values.rs` like every option.

use crate::as_client::client_auth::ClientAuth;
use crate::as_client::options::{AssertionTarget, ClientOptions};
use crate::as_client::signing_key::PrivateKey;
use crate::error::{AuthError, AuthResult};
use crate::http::FetchOptions;
use crate::introspection::response::ResponseRules;
use crate::issuers::discovery::ServerType;
use crate::issuers::trusted::{check_issuer, check_server_url};
use crate::options::decode::{self, decode};
use crate::options::values::{
    integer, millis, number, parse_span, Span, DAY_MS, MAX_TOKEN_CACHE_SIZE,
};
use crate::options::verifier::{check_audiences, check_max_token_length};
use crate::tokens::claim_policy::ClaimPolicy;
use crate::tokens::claims::{normalize_audience, ClaimRules, DEFAULT_LEEWAY, MAX_LEEWAY};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use url::Url;

pub const DEFAULT_CACHE_MAX_AGE: Duration = Duration::from_secs(60);
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(10);
pub const DEFAULT_CACHE_SIZE: u64 = 4096;

// Serialized for the fleet's scope id (`fleet::introspection`): every
// option not excluded there separates the records of different settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntrospectorOptions {
    /// The trusted authorization server whose endpoint is called.
    pub issuer: String,
    /// How to discover its metadata when `endpoint` is absent (default `oauth`).
    pub issuer_type: Option<String>,
    /// The introspection endpoint; default: the metadata's `introspection_endpoint`.
    pub endpoint: Option<String>,
    /// The issuer's own `introspection_endpoint`, from metadata the binding
    /// already holds: used when `endpoint` is absent, instead of discovering
    /// it. Not in the fleet's scope: the issuer and its type name it, as for
    /// a discovered one, so both ways of configuring one server share records.
    pub metadata_endpoint: Option<String>,
    pub audiences: Option<Vec<String>>,
    pub allow_any_audience: Option<bool>,
    /// Accept an active response without `aud` (dangerous: see the README).
    pub accept_missing_audience: Option<bool>,
    pub clock_tolerance: Option<Span>,
    pub required_claims: Option<Vec<String>>,
    /// The claim options of `'jwt'` mode, applied to the response (`claim_policy.rs`).
    pub scope_claims: Option<Vec<String>>,
    pub client_ids: Option<Vec<String>>,
    pub required_claim_values: Option<std::collections::HashMap<String, String>>,
    #[serde(default, deserialize_with = "number")]
    pub max_token_length: Option<f64>,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub client_auth_method: Option<String>,
    /// PEM (PKCS#8, PKCS#1, SEC1) or a private JWK (`signing_key.rs`).
    pub private_key: Option<PrivateKey>,
    pub signing_algorithm: Option<String>,
    pub key_id: Option<String>,
    /// `aud` of a client assertion: `issuer` (default), `endpoint`, or a URL.
    pub assertion_audience: Option<String>,
    /// ms, default 5000, 1..=60000.
    #[serde(default, deserialize_with = "number")]
    pub timeout: Option<f64>,
    /// ms, default 60000, 0..=86400000.
    #[serde(default, deserialize_with = "number")]
    pub cache_max_age: Option<f64>,
    /// ms, default 10000, 0..=86400000.
    #[serde(default, deserialize_with = "number")]
    pub negative_cache_ttl: Option<f64>,
    /// entries, default 4096, 0..=1000000.
    #[serde(default, deserialize_with = "number")]
    pub cache_size: Option<f64>,
    /// bytes, default 65536, 1024..=1048576.
    #[serde(default, deserialize_with = "number")]
    pub max_response_bytes: Option<f64>,
    /// ms, default 250, 1..=60000: the deadline of one fleet store operation
    /// (checked only with a store, `fleet::introspection`).
    #[serde(default, deserialize_with = "number")]
    pub store_timeout: Option<f64>,
}

#[derive(Debug)]
pub struct IntrospectorConfig {
    pub issuer: String,
    pub issuer_type: ServerType,
    pub endpoint: Option<Url>,
    pub rules: ResponseRules,
    pub max_token_length: usize,
    pub auth: ClientAuth,
    pub assertion_audience: AssertionTarget,
    pub fetch: FetchOptions,
    pub cache_max_age: Duration,
    pub negative_ttl: Duration,
    pub cache_size: usize,
}

/// Where a field of `IntrospectorOptions` sits in the public options.
fn public_path(keys: &[&str]) -> String {
    match keys.first().copied().unwrap_or_default() {
        field @ ("scopeClaims" | "clientIds" | "requiredClaimValues") => format!("claims.{field}"),
        field @ ("clockTolerance" | "requiredClaims") => format!("jwtVerify.{field}"),
        "maxTokenLength" => "maxTokenLength".to_owned(),
        field => format!("introspection.{field}"),
    }
}

impl IntrospectorOptions {
    /// The options as a binding passes them (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    pub fn to_config(&self) -> AuthResult<IntrospectorConfig> {
        check_issuer(&self.issuer)?;
        let issuer_type = ServerType::parse(self.issuer_type.as_deref().unwrap_or("oauth"))?;
        // An empty `endpoint` gives way to the metadata's, as the wrappers always did.
        let endpoint = match (&self.endpoint, &self.metadata_endpoint) {
            (Some(chosen), Some(own)) if chosen.is_empty() => Some(own),
            (Some(chosen), _) => Some(chosen),
            (None, own) => own.as_ref(),
        };
        let endpoint = endpoint
            .map(|e| check_server_url(e, "introspection endpoint"))
            .transpose()?;
        let audiences = match (&self.audiences, self.allow_any_audience.unwrap_or(false)) {
            (None, true) => Vec::new(),
            (list, _) => check_audiences(list.as_deref().unwrap_or_default())?
                .iter()
                .map(|a| normalize_audience(a))
                .collect(),
        };
        let leeway = match &self.clock_tolerance {
            Some(span) => parse_span(span, "jwtVerify.clockTolerance", MAX_LEEWAY)?,
            None => DEFAULT_LEEWAY,
        };
        let assertion_audience = AssertionTarget::parse(
            self.assertion_audience.as_deref(),
            Some(&self.issuer),
            "introspection",
        )?;
        let policy = ClaimPolicy::new(
            self.scope_claims.clone(),
            self.client_ids.clone(),
            self.required_claim_values.clone(),
        )?;
        let max_token_length = check_max_token_length(self.max_token_length)?;
        let (auth, fetch) = ClientOptions {
            prefix: "introspection",
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
        Ok(IntrospectorConfig {
            issuer: self.issuer.clone(),
            issuer_type,
            endpoint,
            rules: ResponseRules {
                issuer: self.issuer.clone(),
                claims: ClaimRules {
                    audiences,
                    leeway,
                    max_token_age: None,
                    required_claims: self.required_claims.clone().unwrap_or_default(),
                    required_typ: None,
                    policy,
                },
                accept_missing_audience: self.accept_missing_audience.unwrap_or(false),
            },
            max_token_length,
            auth,
            assertion_audience,
            fetch,
            cache_max_age: millis(
                self.cache_max_age,
                DEFAULT_CACHE_MAX_AGE,
                "introspection.cacheMaxAge",
                0..=DAY_MS,
            )?,
            negative_ttl: millis(
                self.negative_cache_ttl,
                DEFAULT_NEGATIVE_TTL,
                "introspection.negativeCacheTtl",
                0..=DAY_MS,
            )?,
            cache_size: integer(
                self.cache_size,
                DEFAULT_CACHE_SIZE,
                "introspection.cacheSize",
                "entries",
                0..=MAX_TOKEN_CACHE_SIZE,
            )? as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    pub fn base() -> IntrospectorOptions {
        IntrospectorOptions {
            issuer: "https://as.example.com".into(),
            audiences: Some(vec!["https://mcp.example.com".into()]),
            client_id: "rs".into(),
            client_secret: Some("s3cret".into()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_and_refusals() {
        let c = base().to_config().unwrap();
        assert_eq!(c.cache_max_age, DEFAULT_CACHE_MAX_AGE);
        assert_eq!(c.negative_ttl, DEFAULT_NEGATIVE_TTL);
        assert!(matches!(c.auth, ClientAuth::Basic { .. }));
        assert!(!format!("{:?}", c.auth).contains("s3cret"));
        let err = |o: IntrospectorOptions| o.to_config().unwrap_err();
        for o in [
            IntrospectorOptions {
                client_secret: None,
                ..base()
            },
            IntrospectorOptions {
                client_auth_method: Some("none".into()),
                ..base()
            },
            IntrospectorOptions {
                endpoint: Some("http://as.example.com/introspect".into()),
                ..base()
            },
            IntrospectorOptions {
                audiences: None,
                ..base()
            },
            IntrospectorOptions {
                private_key: Some(PrivateKey::Pem("not a key".into())),
                client_secret: None,
                ..base()
            },
        ] {
            let e = err(o);
            assert_eq!(e.code, ErrorCode::InvalidConfig);
            assert!(!e.reason.contains("s3cret"), "{}", e.reason);
        }
        let e = err(IntrospectorOptions {
            cache_max_age: Some(-1.0),
            ..base()
        });
        assert!(e.reason.starts_with("`introspection.cacheMaxAge` must be"));
        let c = IntrospectorOptions {
            cache_size: Some(0.0),
            cache_max_age: Some(0.0),
            ..base()
        }
        .to_config()
        .unwrap();
        assert_eq!((c.cache_size, c.cache_max_age), (0, Duration::ZERO));
    }

    #[test]
    fn json_options_name_the_public_option_never_the_value() {
        let reason =
            |value: serde_json::Value| IntrospectorOptions::from_json(value).unwrap_err().reason;
        let r = reason(
            serde_json::json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": 918273645 }),
        );
        assert_eq!(
            r,
            "`introspection.clientSecret` has a value of the wrong type (expected a string)."
        );
        let r = reason(
            serde_json::json!({ "issuer": "https://as.example.com", "clientId": { "0": 112 } }),
        );
        assert_eq!(
            r,
            "`introspection.clientId` has a value of the wrong type (expected a string)."
        );
        let r = reason(
            serde_json::json!({ "issuer": "https://as.example.com", "clientId": "rs", "scopeClaims": "scp" }),
        );
        assert_eq!(
            r,
            "`claims.scopeClaims` has a value of the wrong type (expected an array)."
        );
        let r = reason(
            serde_json::json!({ "issuer": "https://as.example.com", "clientId": "rs", "clockTolerance": [] }),
        );
        assert_eq!(r, "`jwtVerify.clockTolerance` has a value of the wrong type (expected a number or a string).");
    }
}
