use super::*;
use jsonwebtoken::Algorithm;
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
            clock_tolerance: Some(Span::Text("10s".into())),
            max_token_age: Some(Span::Seconds(600.0)),
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
            clock_tolerance: Some(Span::Seconds(301.0)),
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

#[test]
fn json_options_name_the_public_option_never_the_value() {
    use serde_json::json;
    let secret = "p4-s3cr3t-marker";
    let reason = |value: serde_json::Value| VerifierOptions::from_json(value).unwrap_err().reason;
    let issuers = json!([{ "issuer": "https://as.example.com" }]);
    for (options, expected) in [
        (
            json!({ "issuers": issuers, "tokenCacheSize": secret }),
            "`cache.tokenCacheSize` has a value of the wrong type (expected a number).",
        ),
        (
            json!({ "issuers": issuers, "jwtVerify": { "typ": [1, 2] } }),
            "`jwtVerify.typ` has a value of the wrong type (expected a string).",
        ),
        (
            json!({ "issuers": issuers, "requiredClaimValues": { "tenant": { "0": 1 } } }),
            "`claims.requiredClaimValues` has a value of the wrong type (expected a string).",
        ),
        (
            json!({ "issuers": [{ "issuer": "https://as.example.com", "jwksUri": 7 }] }),
            "`authorizationServers[].jwksUri` has a value of the wrong type (expected a string).",
        ),
        (
            json!({ "issuers": issuers, "clockTolerance": true }),
            "`clockTolerance` has a value of the wrong type (expected a number or a string).",
        ),
    ] {
        let r = reason(options);
        assert_eq!(r, expected);
        assert!(!r.contains(secret));
    }
    assert_eq!(
        VerifierOptions::unrepresentable(&["remoteJwkSet".into(), "cacheMaxAge".into()]).reason,
        "`remoteJwkSet.cacheMaxAge` has a value of the wrong type."
    );
}

#[test]
fn json_numbers_keep_their_range_checks() {
    use serde_json::json;
    let config = |extra: serde_json::Value| {
        let mut options = json!({ "issuers": [{ "issuer": "https://as.example.com" }], "audiences": ["https://mcp.example.com"] });
        options
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        VerifierOptions::from_json(options).and_then(|o| o.to_config())
    };
    let c = config(json!({ "tokenCacheSize": 0, "clockTolerance": "10s", "remoteJwkSet": { "timeoutDuration": 1000.0 } })).unwrap();
    assert_eq!((c.token_cache_entries, c.rules.leeway), (0, 10));
    // Bindings spell non-finite numbers as JavaScript prints them.
    let r = config(json!({ "remoteJwkSet": { "timeoutDuration": "NaN" } }))
        .unwrap_err()
        .reason;
    assert_eq!(
        r,
        "`remoteJwkSet.timeoutDuration` must be an integer number of milliseconds from 1 to 300000, got NaN"
    );
    let r = config(json!({ "maxTokenLength": 1.5 })).unwrap_err().reason;
    assert!(
        r.starts_with("`maxTokenLength` must be an integer number of bytes"),
        "{r}"
    );
    let r = config(json!({ "clockTolerance": "Infinity" }))
        .unwrap_err()
        .reason;
    assert!(
        r.contains("`jwtVerify.clockTolerance`") && r.contains("got inf"),
        "{r}"
    );
}

#[test]
fn bearer_limits_by_the_verifier_rules() {
    use serde_json::json;
    let limits = |v| check_bearer_limits(v).map_err(|e| e.reason);
    assert_eq!(limits(json!({ "audiences": false })), Ok(8192));
    assert_eq!(
        limits(json!({ "audiences": ["a"], "maxTokenLength": 64 })),
        Ok(64)
    );
    let audience =
        "`audience` must be a non-empty string or list of strings, or `false` to skip the check.";
    for bad in [
        json!([]),
        json!([""]),
        json!(["a", 1]),
        json!("a"),
        json!(true),
    ] {
        assert_eq!(limits(json!({ "audiences": bad })).unwrap_err(), audience);
    }
    for bad in [json!(0), json!("64"), json!("NaN"), json!(1.5), json!({})] {
        let r = limits(json!({ "audiences": false, "maxTokenLength": bad })).unwrap_err();
        assert!(
            r.starts_with("`maxTokenLength` must be an integer number of bytes from 1 to"),
            "{r}"
        );
    }
    let r = limits(json!({ "audiences": false, "maxTokenLength": "Infinity" })).unwrap_err();
    assert!(r.ends_with("got inf"), "{r}");
    let r = bearer_limits_unrepresentable(&["maxTokenLength".into()]).reason;
    assert!(r.starts_with("`maxTokenLength` must be"), "{r}");
    assert_eq!(
        bearer_limits_unrepresentable(&["audiences".into()]).reason,
        audience
    );
}

#[test]
fn any_issuer_jwks_uri_replaces_issuers() {
    let any = VerifierOptions {
        any_issuer_jwks_uri: Some("https://keys.example.com/jwks".into()),
        allow_any_audience: Some(true),
        ..Default::default()
    };
    let c = any.to_config().unwrap();
    assert_eq!(c.issuers.len(), 1);
    assert_eq!(c.issuers[0].issuer, ANY_ISSUER);
    assert_eq!(
        c.issuers[0].jwks_uri.as_deref(),
        Some("https://keys.example.com/jwks")
    );
    let both = VerifierOptions {
        any_issuer_jwks_uri: Some("https://keys.example.com/jwks".into()),
        ..base()
    };
    assert!(both.to_config().unwrap_err().reason.contains("not both"));
    // As a configured issuer, "*" is what it always was: not a URL.
    let mut star = base();
    star.issuers[0].issuer = ANY_ISSUER.into();
    assert!(star
        .to_config()
        .unwrap_err()
        .reason
        .contains("not an absolute URL"));
    let json = serde_json::json!({"anyIssuerJwksUri": "https://k.example.com/j", "allowAnyAudience": true});
    assert!(
        VerifierOptions::from_json(json).is_ok(),
        "no `issuers` needed"
    );
}

#[test]
fn verify_timeout_in_milliseconds_from_1_to_300000() {
    use serde_json::json;
    let timeout = |v| check_verify_timeout_option(&v).map_err(|e| e.reason);
    assert_eq!(timeout(json!({})), Ok(10_000));
    assert_eq!(timeout(json!({ "verifyTimeout": null })), Ok(10_000));
    assert_eq!(timeout(json!({ "verifyTimeout": 1 })), Ok(1));
    assert_eq!(timeout(json!({ "verifyTimeout": 300_000 })), Ok(300_000));
    for bad in [
        json!(0),
        json!(300_001),
        json!(2.5),
        json!("10"),
        json!(true),
        json!("NaN"),
    ] {
        let r = timeout(json!({ "verifyTimeout": bad })).unwrap_err();
        assert!(
            r.starts_with(
                "`verifyTimeout` must be an integer number of milliseconds from 1 to 300000"
            ),
            "{r}"
        );
    }
}
