//! The options JavaScript passes to `new Verifier(…)`, and their checks.
//!
//! Both our own option names and mcp-auth's (`jwtVerify` with jose's names,
//! `remoteJwkSet` in milliseconds) are accepted, so configuration written for
//! mcp-auth keeps working.

use crate::algorithms;
use crate::claim_policy::ClaimPolicy;
use crate::claims::{normalize_audience, ClaimRules, DEFAULT_LEEWAY, MAX_LEEWAY};
use crate::discovery::ServerType;
use crate::error::{AuthError, AuthResult};
use crate::http::FetchOptions;
use crate::key_set::KeySetOptions;
use crate::option_values::{
    integer, millis, parse_span, Span, DAY_MS, MAX_RESPONSE_BYTES, MAX_TOKEN_AGE,
    MAX_TOKEN_CACHE_SIZE, MAX_TOKEN_LENGTH,
};
use crate::token::DEFAULT_MAX_TOKEN_LENGTH;
use crate::token_cache;
use crate::verifier::{IssuerSource, Offload, VerifierConfig};
use napi_derive::napi;
use std::collections::HashMap;

#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct TrustedIssuerOptions {
    pub issuer: String,
    /// The issuer's JWKS URL; without it the metadata is discovered on first use.
    pub jwks_uri: Option<String>,
    /// How to discover metadata when `jwksUri` is absent (default `oauth`).
    #[napi(ts_type = "'oidc' | 'oauth'")]
    pub r#type: Option<String>,
    /// With a `{tenantid}` issuer template: the tenant GUIDs accepted (default any).
    pub tenants: Option<Vec<String>>,
}

/// jose `jwtVerify` option names, as mcp-auth passes them.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct JwtVerifyOptions {
    pub algorithms: Option<Vec<String>>,
    #[napi(ts_type = "number | string")]
    pub clock_tolerance: Option<Span>,
    #[napi(ts_type = "number | string")]
    pub max_token_age: Option<Span>,
    pub required_claims: Option<Vec<String>>,
    pub typ: Option<String>,
}

/// jose `createRemoteJWKSet` option names, in milliseconds.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct RemoteJwkSetOptions {
    pub timeout_duration: Option<f64>,
    pub cooldown_duration: Option<f64>,
    pub cache_max_age: Option<f64>,
}

#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct VerifierOptions {
    pub issuers: Vec<TrustedIssuerOptions>,
    /// Accepted `aud` values; URLs compare with scheme and host case-insensitive.
    pub audiences: Option<Vec<String>>,
    /// Explicitly skip the audience check (not recommended).
    pub allow_any_audience: Option<bool>,
    pub algorithms: Option<Vec<String>>,
    /// Leeway for `exp`, `nbf` and `iat` (default 30 s, at most 300 s).
    #[napi(ts_type = "number | string")]
    pub clock_tolerance: Option<Span>,
    #[napi(ts_type = "number | string")]
    pub max_token_age: Option<Span>,
    pub required_claims: Option<Vec<String>>,
    /// Require this `typ` header, e.g. `at+jwt` (RFC 9068).
    pub typ: Option<String>,
    /// Longest token accepted, in bytes (default 8192).
    pub max_token_length: Option<f64>,
    /// How long past its max age a key set is still used while refreshes fail (ms, default 1 h).
    pub stale_max_age: Option<f64>,
    /// Largest metadata or key-set response accepted (bytes, default 1 MiB).
    pub max_response_bytes: Option<f64>,
    /// Verified-token cache entries (default 4096; 0 turns the cache off).
    pub token_cache_size: Option<f64>,
    /// Longest time a verified token is served from the cache (ms, default 5 min).
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

impl VerifierOptions {
    pub fn to_config(&self) -> AuthResult<VerifierConfig> {
        let jose = self.jwt_verify.clone().unwrap_or_default();
        let remote = self.remote_jwk_set.clone().unwrap_or_default();

        let issuers = self
            .issuers
            .iter()
            .map(|i| {
                Ok(IssuerSource {
                    issuer: i.issuer.clone(),
                    jwks_uri: i.jwks_uri.clone(),
                    kind: ServerType::parse(i.r#type.as_deref().unwrap_or("oauth"))?,
                    tenants: i.tenants.clone(),
                })
            })
            .collect::<AuthResult<Vec<_>>>()?;

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
            token_cache::DEFAULT_ENTRIES as u64,
            "cache.tokenCacheSize",
            "tokens",
            0..=MAX_TOKEN_CACHE_SIZE,
        )? as usize;
        let token_cache_max_age = millis(
            self.token_cache_max_age,
            token_cache::DEFAULT_MAX_AGE,
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
mod tests {
    use super::*;
    use jsonwebtoken::Algorithm;
    use napi::Either;
    use std::time::Duration;

    fn base() -> VerifierOptions {
        VerifierOptions {
            issuers: vec![TrustedIssuerOptions {
                issuer: "https://as.example.com".into(),
                ..Default::default()
            }],
            audiences: Some(vec!["https://MCP.example.com".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn defaults() {
        let c = base().to_config().unwrap();
        assert_eq!(c.algorithms, algorithms::all());
        assert_eq!(c.rules.leeway, 30);
        assert_eq!(c.rules.audiences, vec!["https://mcp.example.com/"]);
        assert_eq!(c.issuers[0].kind, ServerType::OAuth);
        assert_eq!(c.key_sets, KeySetOptions::default());
        assert_eq!(c.max_token_length, 8192);
    }

    #[test]
    fn accepts_mcp_auth_option_names() {
        let c = VerifierOptions {
            jwt_verify: Some(JwtVerifyOptions {
                algorithms: Some(vec!["ES256".into()]),
                clock_tolerance: Some(Either::B("10s".into())),
                max_token_age: Some(Either::A(600.0)),
                typ: Some("at+jwt".into()),
                required_claims: Some(vec!["jti".into()]),
            }),
            remote_jwk_set: Some(RemoteJwkSetOptions {
                timeout_duration: Some(1000.0),
                cooldown_duration: Some(5000.0),
                cache_max_age: Some(60_000.0),
            }),
            ..base()
        }
        .to_config()
        .unwrap();
        assert_eq!(c.algorithms, vec![Algorithm::ES256]);
        assert_eq!(c.rules.leeway, 10);
        assert_eq!(c.rules.max_token_age, Some(600));
        assert_eq!(c.rules.required_typ.as_deref(), Some("at+jwt"));
        assert_eq!(c.rules.required_claims, vec!["jti"]);
        assert_eq!(c.key_sets.fetch.timeout, Duration::from_secs(1));
        assert_eq!(c.key_sets.cooldown, Duration::from_secs(5));
        assert_eq!(c.key_sets.ttl, Duration::from_secs(60));
    }

    #[test]
    fn rejects_unsafe_options() {
        let err = |o: VerifierOptions| o.to_config().unwrap_err().code;
        use crate::error::ErrorCode::InvalidConfig;
        assert_eq!(
            err(VerifierOptions {
                audiences: None,
                ..base()
            }),
            InvalidConfig
        );
        assert!(VerifierOptions {
            audiences: None,
            allow_any_audience: Some(true),
            ..base()
        }
        .to_config()
        .is_ok());
        for alg in ["none", "HS256", "RS1"] {
            assert_eq!(
                err(VerifierOptions {
                    algorithms: Some(vec![alg.into()]),
                    ..base()
                }),
                InvalidConfig
            );
        }
        let mut bad_type = base();
        bad_type.issuers[0].r#type = Some("saml".into());
        assert_eq!(err(bad_type), InvalidConfig);
        assert_eq!(
            err(VerifierOptions {
                remote_jwk_set: Some(RemoteJwkSetOptions {
                    cache_max_age: Some(-5.0),
                    ..Default::default()
                }),
                ..base()
            }),
            InvalidConfig
        );
    }

    #[test]
    fn claim_options_reach_the_rules() {
        let c = VerifierOptions {
            scope_claims: Some(vec!["scp".into(), "roles".into()]),
            client_ids: Some(vec!["app".into()]),
            required_claim_values: Some(HashMap::from([("token_use".into(), "access".into())])),
            ..base()
        }
        .to_config()
        .unwrap();
        let p = &c.rules.policy;
        assert_eq!(
            p.scope_claims.as_deref(),
            Some(&["scp".to_string(), "roles".to_string()][..])
        );
        assert_eq!(p.client_ids, vec!["app"]);
        assert_eq!(
            p.required_values,
            vec![("token_use".to_string(), "access".to_string())]
        );
        let mut tenants = base();
        tenants.issuers[0].tenants = Some(vec!["72f988bf-86f1-41af-91ab-2d7cd011db47".into()]);
        assert_eq!(
            tenants.to_config().unwrap().issuers[0]
                .tenants
                .as_ref()
                .unwrap()
                .len(),
            1
        );
        let err = VerifierOptions {
            client_ids: Some(vec![]),
            ..base()
        }
        .to_config()
        .unwrap_err();
        assert!(err.reason.starts_with("`clientIds`"), "{}", err.reason);
    }

    #[test]
    fn numeric_options_are_range_checked_by_name() {
        let reason = |o: VerifierOptions| o.to_config().unwrap_err().reason;
        let r = reason(VerifierOptions {
            token_cache_size: Some(-1.0),
            ..base()
        });
        assert_eq!(
            r,
            "`cache.tokenCacheSize` must be an integer number of tokens from 0 to 1000000, got -1"
        );
        let r = reason(VerifierOptions {
            max_response_bytes: Some(-1.0),
            ..base()
        });
        assert!(
            r.starts_with("`cache.maxResponseBytes` must be an integer number of bytes from 1024"),
            "{r}"
        );
        for bad in [f64::NAN, f64::INFINITY, 1.5, -1.0, 1e20] {
            for (name, o) in [
                (
                    "maxTokenLength",
                    VerifierOptions {
                        max_token_length: Some(bad),
                        ..base()
                    },
                ),
                (
                    "cache.tokenCacheMaxAge",
                    VerifierOptions {
                        token_cache_max_age: Some(bad),
                        ..base()
                    },
                ),
                (
                    "cache.staleMaxAge",
                    VerifierOptions {
                        stale_max_age: Some(bad),
                        ..base()
                    },
                ),
                (
                    "remoteJwkSet.timeoutDuration",
                    VerifierOptions {
                        remote_jwk_set: Some(RemoteJwkSetOptions {
                            timeout_duration: Some(bad),
                            ..Default::default()
                        }),
                        ..base()
                    },
                ),
            ] {
                let r = reason(o);
                assert!(
                    r.starts_with(&format!("`{name}` must be an integer number of ")),
                    "{r}"
                );
            }
            assert!(reason(VerifierOptions {
                max_token_length: Some(bad),
                ..base()
            })
            .starts_with("`maxTokenLength` must be an integer number of bytes"));
        }
        let r = reason(VerifierOptions {
            jwt_verify: Some(JwtVerifyOptions {
                clock_tolerance: Some(Either::A(301.0)),
                ..Default::default()
            }),
            ..base()
        });
        assert!(
            r.contains("`jwtVerify.clockTolerance`") && r.contains("0 to 300"),
            "{r}"
        );
        let ok = VerifierOptions {
            token_cache_size: Some(0.0),
            ..base()
        }
        .to_config()
        .unwrap();
        assert_eq!(ok.token_cache_entries, 0);
    }
}
