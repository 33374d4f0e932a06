//! Response rules, one per member.
use super::*;
use crate::tokens::claims::normalize_audience;
use serde_json::json;

const NOW: f64 = 1_800_000_000.0;
const ISS: &str = "https://as.example.com";

fn rules(accept_missing_audience: bool) -> ResponseRules {
    ResponseRules {
        issuer: ISS.into(),
        claims: ClaimRules {
            audiences: vec![normalize_audience("https://mcp.example.com")],
            leeway: 0,
            max_token_age: None,
            required_claims: Vec::new(),
            required_typ: None,
            ..ClaimRules::default()
        },
        accept_missing_audience,
    }
}

fn good() -> Value {
    json!({ "active": true, "iss": ISS, "aud": "https://mcp.example.com", "exp": NOW + 60.0,
            "scope": "read  write", "client_id": "app", "sub": "alice", "username": "a", "extra": 1 })
}

fn judge(value: Value) -> AuthResult<Verdict> {
    rules(false).judge(value.as_object().unwrap(), NOW)
}

fn code(value: Value) -> ErrorCode {
    judge(value).expect_err("refused").code
}

fn with(name: &str, value: Value) -> Value {
    let mut v = good();
    v[name] = value;
    v
}

fn without(name: &str) -> Value {
    let mut v = good();
    v.as_object_mut().unwrap().remove(name);
    v
}

#[test]
fn an_active_answer_gives_identity_and_keeps_only_known_members() {
    let Verdict::Active(v) = judge(good()).unwrap() else {
        panic!("inactive")
    };
    assert_eq!(v.identity.scopes, ["read", "write"]);
    assert_eq!(v.identity.subject.as_deref(), Some("alice"));
    assert_eq!(v.identity.client_id.as_deref(), Some("app"));
    assert_eq!(v.issuer, ISS);
    assert!(!v.claims.contains_key("extra"));
    assert!(v.claims_json.contains("\"username\":\"a\""));
}

#[test]
fn each_rule_refuses() {
    assert!(matches!(
        judge(json!({ "active": false })),
        Ok(Verdict::Inactive)
    ));
    for bad in [
        json!({}),
        json!({ "active": "true" }),
        json!({ "active": 1 }),
    ] {
        assert_eq!(code(bad), ErrorCode::IntrospectionUnavailable);
    }
    assert_eq!(
        code(with("iss", json!("https://evil.example"))),
        ErrorCode::IssuerUntrusted
    );
    assert_eq!(
        code(with("aud", json!("https://other.example"))),
        ErrorCode::AudienceMismatch
    );
    assert_eq!(code(without("aud")), ErrorCode::AudienceMismatch);
    assert_eq!(
        code(with("token_type", json!("refresh_token"))),
        ErrorCode::TypeNotAllowed
    );
    assert_eq!(code(with("exp", json!(NOW - 1.0))), ErrorCode::Expired);
    assert_eq!(
        code(with("cnf", json!({ "jkt": "x" }))),
        ErrorCode::SenderConstrained
    );
    for name in [
        "iss",
        "scope",
        "client_id",
        "sub",
        "username",
        "token_type",
        "aud",
    ] {
        assert_eq!(
            code(with(name, json!(5))),
            ErrorCode::InvalidClaim,
            "{name}"
        );
    }
    assert_eq!(
        code(with("aud", json!(["https://mcp.example.com", 1]))),
        ErrorCode::InvalidClaim
    );
    assert_eq!(code(with("exp", json!("soon"))), ErrorCode::InvalidClaim);
    // An array naming this resource among others is fine.
    assert!(judge(with("aud", json!(["x", "https://MCP.example.com"]))).is_ok());
}

#[test]
fn missing_audience_and_exp_need_policy_and_bound_the_cache() {
    let r = rules(true);
    let answer = without("aud");
    assert!(matches!(
        r.judge(answer.as_object().unwrap(), NOW),
        Ok(Verdict::Active(_))
    ));
    let Verdict::Active(v) = judge(without("exp")).unwrap() else {
        panic!()
    };
    assert_eq!(v.identity.expires_at, 0.0);
    let (max_age, negative) = (Duration::from_secs(300), Duration::from_secs(7));
    let no_exp = judge(without("exp")).unwrap();
    assert_eq!(r.reuse_for(&no_exp, NOW, max_age, negative), max_age);
    let soon = judge(good()).unwrap();
    assert_eq!(
        r.reuse_for(&soon, NOW, max_age, negative),
        Duration::from_secs(60)
    );
    assert_eq!(
        r.reuse_for(&Verdict::Inactive, NOW, max_age, negative),
        negative
    );
}

#[test]
fn stored_records_are_judged_again() {
    let verdict = judge(good()).unwrap();
    let text = record(&verdict, NOW * 1000.0 + 5000.0);
    assert!(!text.contains("extra"));
    let (again, until) = from_record(&rules(false), &text, NOW).unwrap().unwrap();
    assert!(matches!(again, Verdict::Active(_)));
    assert_eq!(until, NOW * 1000.0 + 5000.0);
    // Later than exp: refused, not trusted.
    assert_eq!(
        from_record(&rules(false), &text, NOW + 120.0)
            .unwrap_err()
            .code,
        ErrorCode::Expired
    );
    // A record for another audience's rules fails those rules.
    let mut other = rules(false);
    other.claims.audiences = vec![normalize_audience("https://b.example")];
    assert_eq!(
        from_record(&other, &text, NOW).unwrap_err().code,
        ErrorCode::AudienceMismatch
    );
    for junk in [
        "",
        "{}",
        "{\"v\":1,\"v\":1}",
        "{\"v\":2,\"until\":1,\"response\":{}}",
        "[]",
    ] {
        assert!(
            from_record(&rules(false), junk, NOW).unwrap().is_none(),
            "{junk}"
        );
    }
}

#[test]
fn answers_that_show_a_refresh_token_are_refused() {
    let opted_out = rules(true);
    let refused = |value: Value| {
        opted_out
            .judge(value.as_object().unwrap(), NOW)
            .expect_err("refused")
            .code
    };
    // oidc-provider 8.8: a refresh token has no token_type and no aud, and
    // its scope holds the offline_access that got it issued.
    let mut oidc_provider = without("aud");
    oidc_provider["scope"] = json!("openid offline_access create:todos");
    assert_eq!(refused(oidc_provider), ErrorCode::TypeNotAllowed);
    for (name, value) in [
        ("token_type", "refresh_token"),
        ("token_type", "Refresh"),
        ("token_use", "refresh_token"),
        ("typ", "Refresh"),
        ("typ", "Offline"),
    ] {
        assert_eq!(
            refused(with(name, json!(value))),
            ErrorCode::TypeNotAllowed,
            "{name}: {value}"
        );
    }
    // An access token for this resource may carry offline_access; other
    // values of the markers are not refresh tokens.
    assert!(judge(with("scope", json!("read offline_access"))).is_ok());
    for (name, value) in [
        ("token_type", "Bearer"),
        ("token_use", "access_token"),
        ("typ", "Bearer"),
    ] {
        assert!(judge(with(name, json!(value))).is_ok(), "{name}: {value}");
    }
}

#[test]
fn far_future_numbers_are_clamped_never_a_panic() {
    let (max_age, negative) = (Duration::from_secs(300), Duration::from_secs(7));
    for exp in [1e300, f64::MAX, NOW + 1e12] {
        let verdict = judge(with("exp", json!(exp))).unwrap();
        assert_eq!(
            rules(false).reuse_for(&verdict, NOW, max_age, negative),
            max_age,
            "{exp}"
        );
    }
    assert_eq!(time_left(f64::INFINITY, NOW, max_age), max_age);
    assert_eq!(time_left(f64::NAN, NOW, max_age), Duration::ZERO);
    assert_eq!(time_left(NOW - 5.0, NOW, max_age), Duration::ZERO);
    assert_eq!(
        time_left(NOW + 1.5, NOW, max_age),
        Duration::from_millis(1500)
    );
    // A record with a huge `until` is read; the caller clamps it.
    let text = r#"{"v":1,"until":1e300,"response":{"active":false}}"#;
    let (_, until) = from_record(&rules(false), text, NOW).unwrap().unwrap();
    assert_eq!(until, 1e300);
}
