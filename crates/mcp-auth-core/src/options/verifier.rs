//! The verifier's options as a binding passes them (`new Verifier(…)` in Node), and their checks.
//!
//! Both our own option names and mcp-auth's (`jwtVerify` with jose's names,
//! `remoteJwkSet` in milliseconds) are accepted, so configuration written for
//! mcp-auth keeps working.

use crate::error::{AuthError, AuthResult};
use crate::http::FetchOptions;
use crate::issuers::discovery::ServerType;
use crate::issuers::trusted::{check_issuer, ANY_ISSUER};
use crate::keys::algorithms;
use crate::keys::key_set::KeySetOptions;
use crate::options::decode::{self, decode};
use crate::options::values::{
    integer, millis, number, parse_span, Span, DAY_MS, MAX_RESPONSE_BYTES, MAX_TOKEN_AGE,
    MAX_TOKEN_CACHE_SIZE, MAX_TOKEN_LENGTH,
};
use crate::tokens::cache;
use crate::tokens::claim_policy::ClaimPolicy;
use crate::tokens::claims::{normalize_audience, ClaimRules, DEFAULT_LEEWAY, MAX_LEEWAY};
use crate::tokens::token::DEFAULT_MAX_TOKEN_LENGTH;
use crate::tokens::verifier::{IssuerSource, Offload, VerifierConfig};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrustedIssuerOptions {
    pub issuer: String,
    /// The issuer's JWKS URL; without it the metadata is discovered on first use.
    pub jwks_uri: Option<String>,
    /// How to discover metadata when `jwksUri` is absent (default `oauth`).
    pub r#type: Option<String>,
    /// With a `{tenantid}` issuer template: the tenant GUIDs accepted (default any).
    pub tenants: Option<Vec<String>>,
}

/// jose `jwtVerify` option names, as mcp-auth passes them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JwtVerifyOptions {
    pub algorithms: Option<Vec<String>>,
    pub clock_tolerance: Option<Span>,
    pub max_token_age: Option<Span>,
    pub required_claims: Option<Vec<String>>,
    pub typ: Option<String>,
}

/// jose `createRemoteJWKSet` option names, in milliseconds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteJwkSetOptions {
    #[serde(default, deserialize_with = "number")]
    pub timeout_duration: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub cooldown_duration: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub cache_max_age: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifierOptions {
    #[serde(default)]
    pub issuers: Vec<TrustedIssuerOptions>,
    /// Instead of `issuers`: one key set whose signatures are trusted for
    /// tokens of any `iss` (mcpauth's `create_verify_jwt`); the caller must
    /// check the issuer of what it accepts.
    pub any_issuer_jwks_uri: Option<String>,
    /// Accepted `aud` values; URLs compare with scheme and host case-insensitive.
    pub audiences: Option<Vec<String>>,
    /// Explicitly skip the audience check (not recommended).
    pub allow_any_audience: Option<bool>,
    pub algorithms: Option<Vec<String>>,
    /// Leeway for `exp`, `nbf` and `iat` (default 30 s, at most 300 s).
    pub clock_tolerance: Option<Span>,
    pub max_token_age: Option<Span>,
    pub required_claims: Option<Vec<String>>,
    /// Require this `typ` header, e.g. `at+jwt` (RFC 9068).
    pub typ: Option<String>,
    /// Longest token accepted, in bytes (default 8192).
    #[serde(default, deserialize_with = "number")]
    pub max_token_length: Option<f64>,
    /// How long past its max age a key set is still used while refreshes fail (ms, default 1 h).
    #[serde(default, deserialize_with = "number")]
    pub stale_max_age: Option<f64>,
    /// Largest metadata or key-set response accepted (bytes, default 1 MiB).
    #[serde(default, deserialize_with = "number")]
    pub max_response_bytes: Option<f64>,
    /// Verified-token cache entries (default 4096; 0 turns the cache off).
    #[serde(default, deserialize_with = "number")]
    pub token_cache_size: Option<f64>,
    /// Longest time a verified token is served from the cache (ms, default 5 min).
    #[serde(default, deserialize_with = "number")]
    pub token_cache_max_age: Option<f64>,
    pub jwt_verify: Option<JwtVerifyOptions>,
    pub remote_jwk_set: Option<RemoteJwkSetOptions>,
    /// Claims read for scopes, all of them (default: the first of `scope`, `scopes`, `scp`).
    pub scope_claims: Option<Vec<String>>,
    /// Clients (`client_id`, else `azp`, `appid`, `cid`) whose tokens are accepted (default any).
    pub client_ids: Option<Vec<String>>,
    /// Claims that must equal these strings exactly.
    pub required_claim_values: Option<HashMap<String, String>>,
}

/// `audience`: a non-empty string or list of non-empty strings.
pub fn check_audiences(list: &[String]) -> AuthResult<&[String]> {
    if list.is_empty() || list.iter().any(String::is_empty) {
        return Err(AuthError::config(
            "`audience` must be a non-empty string or list of strings, or `false` to skip the check.",
        ));
    }
    Ok(list)
}

/// `maxTokenLength`, in bytes (the default when absent).
pub fn check_max_token_length(value: Option<f64>) -> AuthResult<usize> {
    let n = integer(
        value,
        DEFAULT_MAX_TOKEN_LENGTH as u64,
        "maxTokenLength",
        "bytes",
        1..=MAX_TOKEN_LENGTH,
    )?;
    Ok(n as usize)
}

/// The limits every bearer middleware shares, as a binding passes them:
/// `{ audiences: [...] | false, maxTokenLength? }`. Checked by the rules
/// the verifier applies; returns the effective `maxTokenLength`.
pub fn check_bearer_limits(options: Value) -> AuthResult<usize> {
    let audiences = match options.get("audiences") {
        Some(Value::Bool(false)) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .unwrap_or_default(),
        ),
        _ => Some(Vec::new()),
    };
    if let Some(list) = audiences {
        check_audiences(&list)?;
    }
    check_max_token_length(option_number(&options, "maxTokenLength"))
}

/// `verifyTimeout`'s default and upper bound, in milliseconds.
pub const DEFAULT_VERIFY_TIMEOUT_MS: u64 = 10_000;
pub const MAX_VERIFY_TIMEOUT_MS: u64 = 300_000;

/// `verifyTimeout`: how long a binding lets a caller's own (asynchronous)
/// verify function run before the request gets 503 `verify_timeout`
/// (the default when absent). Bindings run the timer; the rule lives here.
pub fn check_verify_timeout(value: Option<f64>) -> AuthResult<u64> {
    integer(
        value,
        DEFAULT_VERIFY_TIMEOUT_MS,
        "verifyTimeout",
        "milliseconds",
        1..=MAX_VERIFY_TIMEOUT_MS,
    )
}

/// `check_verify_timeout` of `options.verifyTimeout` as a binding passes it (JSON).
pub fn check_verify_timeout_option(options: &Value) -> AuthResult<u64> {
    check_verify_timeout(option_number(options, "verifyTimeout"))
}

// A binding's spelling of a non-finite number (or a wrong type) reads as NaN, which no range holds.
fn option_number(options: &Value, key: &str) -> Option<f64> {
    match options.get(key) {
        None | Some(Value::Null) => None,
        Some(value) => Some(number(value.clone()).ok().flatten().unwrap_or(f64::NAN)),
    }
}

/// `check_bearer_limits`' refusal for a value a binding could not express as JSON.
pub fn bearer_limits_unrepresentable(keys: &[String]) -> AuthError {
    let refusal = match keys.first().map(String::as_str) {
        Some("maxTokenLength") => check_max_token_length(Some(f64::NAN)).err(),
        _ => check_audiences(&[]).err(),
    };
    refusal.unwrap_or_else(|| AuthError::config("An option has a value of the wrong type."))
}

fn algorithms(names: &[String]) -> AuthResult<Vec<jsonwebtoken::Algorithm>> {
    names
        .iter()
        .map(|name| {
            algorithms::parse(name).ok_or_else(|| {
                AuthError::config(format!(
                    "algorithm {name:?} is not supported (asymmetric JWS algorithms only)"
                ))
            })
        })
        .collect()
}

/// Where a field of `VerifierOptions` sits in the public options.
fn public_path(keys: &[&str]) -> String {
    match keys {
        ["issuers", field, ..] => format!("authorizationServers[].{field}"),
        [group @ ("jwtVerify" | "remoteJwkSet"), field, ..] => format!("{group}.{field}"),
        [field, ..] => match *field {
            "staleMaxAge" | "tokenCacheSize" | "tokenCacheMaxAge" | "maxResponseBytes" => {
                format!("cache.{field}")
            }
            "scopeClaims" | "clientIds" | "requiredClaimValues" => format!("claims.{field}"),
            _ => (*field).to_owned(),
        },
        [] => String::new(),
    }
}

impl VerifierOptions {
    /// The options as a binding passes them (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    pub fn to_config(&self) -> AuthResult<VerifierConfig> {
        let jose = self.jwt_verify.clone().unwrap_or_default();
        let remote = self.remote_jwk_set.clone().unwrap_or_default();

        let mut issuers = self
            .issuers
            .iter()
            .map(|i| {
                if i.issuer == ANY_ISSUER {
                    // Only `anyIssuerJwksUri` means it; as an issuer it is not a URL.
                    check_issuer(&i.issuer)?;
                }
                Ok(IssuerSource {
                    issuer: i.issuer.clone(),
                    jwks_uri: i.jwks_uri.clone(),
                    kind: ServerType::parse(i.r#type.as_deref().unwrap_or("oauth"))?,
                    tenants: i.tenants.clone(),
                })
            })
            .collect::<AuthResult<Vec<_>>>()?;
        if let Some(jwks_uri) = &self.any_issuer_jwks_uri {
            if !issuers.is_empty() {
                return Err(AuthError::config(
                    "Give either `issuers` or `anyIssuerJwksUri`, not both.",
                ));
            }
            issuers.push(IssuerSource {
                issuer: ANY_ISSUER.to_owned(),
                jwks_uri: Some(jwks_uri.clone()),
                kind: ServerType::OAuth,
                tenants: None,
            });
        }

        let any_audience = self.allow_any_audience.unwrap_or(false);
        let audiences = match (&self.audiences, any_audience) {
            (None, true) => Vec::new(),
            (list, _) => check_audiences(list.as_deref().unwrap_or_default())?
                .iter()
                .map(|a| normalize_audience(a))
                .collect(),
        };

        let algorithms = match self.algorithms.as_ref().or(jose.algorithms.as_ref()) {
            Some(names) => algorithms(names)?,
            None => algorithms::all(),
        };
        let leeway = match self
            .clock_tolerance
            .as_ref()
            .or(jose.clock_tolerance.as_ref())
        {
            Some(span) => parse_span(span, "jwtVerify.clockTolerance", MAX_LEEWAY)?,
            None => DEFAULT_LEEWAY,
        };
        let max_token_age = self
            .max_token_age
            .as_ref()
            .or(jose.max_token_age.as_ref())
            .map(|span| parse_span(span, "jwtVerify.maxTokenAge", MAX_TOKEN_AGE))
            .transpose()?;

        let defaults = KeySetOptions::default();
        let fetch = FetchOptions {
            timeout: millis(
                remote.timeout_duration,
                defaults.fetch.timeout,
                "remoteJwkSet.timeoutDuration",
                1..=300_000,
            )?,
            max_body_bytes: integer(
                self.max_response_bytes,
                defaults.fetch.max_body_bytes as u64,
                "cache.maxResponseBytes",
                "bytes",
                1024..=MAX_RESPONSE_BYTES,
            )? as usize,
        };
        let key_sets = KeySetOptions {
            ttl: millis(
                remote.cache_max_age,
                defaults.ttl,
                "remoteJwkSet.cacheMaxAge",
                1..=7 * DAY_MS,
            )?,
            cooldown: millis(
                remote.cooldown_duration,
                defaults.cooldown,
                "remoteJwkSet.cooldownDuration",
                0..=DAY_MS,
            )?,
            stale_max: millis(
                self.stale_max_age,
                defaults.stale_max,
                "cache.staleMaxAge",
                0..=7 * DAY_MS,
            )?,
            fetch: fetch.clone(),
        };
        let max_token_length = check_max_token_length(self.max_token_length)?;
        let token_cache_entries = integer(
            self.token_cache_size,
            cache::DEFAULT_ENTRIES as u64,
            "cache.tokenCacheSize",
            "tokens",
            0..=MAX_TOKEN_CACHE_SIZE,
        )? as usize;
        let token_cache_max_age = millis(
            self.token_cache_max_age,
            cache::DEFAULT_MAX_AGE,
            "cache.tokenCacheMaxAge",
            0..=DAY_MS,
        )?;

        Ok(VerifierConfig {
            issuers,
            algorithms,
            rules: ClaimRules {
                audiences,
                leeway,
                max_token_age,
                required_claims: self
                    .required_claims
                    .clone()
                    .or(jose.required_claims)
                    .unwrap_or_default(),
                required_typ: self.typ.clone().or(jose.typ),
                policy: ClaimPolicy::new(
                    self.scope_claims.clone(),
                    self.client_ids.clone(),
                    self.required_claim_values.clone(),
                )?,
            },
            max_token_length,
            key_sets,
            discovery: fetch,
            token_cache_entries,
            token_cache_max_age,
            offload: Offload::Auto,
        })
    }
}

#[cfg(test)]
#[path = "verifier_tests.rs"]
mod tests;
