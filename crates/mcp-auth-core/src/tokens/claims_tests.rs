use super::*;
use serde_json::json;

const NOW: f64 = 1_800_000_000.0;

fn rules() -> ClaimRules {
    ClaimRules {
        audiences: vec![normalize_audience("https://mcp.example.com/mcp")],
        ..ClaimRules::default()
    }
}

fn claims(extra: Value) -> Map<String, Value> {
    let mut base = json!({ "aud": "https://mcp.example.com/mcp", "exp": NOW + 60.0 });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base.as_object().unwrap().clone()
}

fn identity(claims: &Map<String, Value>) -> Identity {
    Identity::from_claims(claims, &ClaimRules::default())
}

fn code(extra: Value) -> Option<ErrorCode> {
    rules().check(&claims(extra), NOW).err().map(|e| e.code)
}

#[test]
fn audience_normalisation() {
    assert_eq!(
        normalize_audience("HTTP://LocalHost:80"),
        "http://localhost/"
    );
    assert_eq!(
        normalize_audience("https://A.com:443/MCP"),
        "https://a.com/MCP"
    );
    assert_eq!(
        normalize_audience("http://localhost:3001"),
        "http://localhost:3001/"
    );
    assert_eq!(
        normalize_audience("http://localhost:3001/"),
        "http://localhost:3001/"
    );
    assert_eq!(
        normalize_audience("https://a.com?x=1"),
        "https://a.com/?x=1"
    );
    assert_ne!(
        normalize_audience("https://a.com/mcp/"),
        normalize_audience("https://a.com/mcp")
    );
    assert_eq!(normalize_audience("urn:my:API"), "urn:my:API");
    assert_eq!(normalize_audience("ftp://A.com"), "ftp://A.com");
}

#[test]
fn accepts_a_valid_claim_set() {
    assert_eq!(code(json!({})), None);
    assert_eq!(
        code(json!({ "aud": ["other", "https://MCP.example.com:443/mcp"] })),
        None
    );
    assert_eq!(code(json!({ "nbf": NOW + 20.0, "iat": NOW + 20.0 })), None);
}

#[test]
fn expiry_rules() {
    assert_eq!(code(json!({ "exp": null })), Some(ErrorCode::MissingClaim));
    assert_eq!(code(json!({ "exp": NOW - 31.0 })), Some(ErrorCode::Expired));
    // At the boundary `now == exp + leeway` the token is expired.
    assert_eq!(code(json!({ "exp": NOW - 30.0 })), Some(ErrorCode::Expired));
    assert_eq!(code(json!({ "exp": NOW - 29.0 })), None);
    assert_eq!(
        code(json!({ "exp": "1800000060" })),
        Some(ErrorCode::InvalidClaim)
    );
    assert_eq!(code(json!({ "exp": -1 })), Some(ErrorCode::InvalidClaim));
    assert_eq!(code(json!({ "exp": true })), Some(ErrorCode::InvalidClaim));
}

#[test]
fn not_before_and_issued_at() {
    assert_eq!(
        code(json!({ "nbf": NOW + 31.0 })),
        Some(ErrorCode::NotYetValid)
    );
    assert_eq!(
        code(json!({ "iat": NOW + 31.0 })),
        Some(ErrorCode::IssuedInFuture)
    );
    assert_eq!(
        code(json!({ "nbf": "soon" })),
        Some(ErrorCode::InvalidClaim)
    );
    assert_eq!(code(json!({ "iat": null, "nbf": null })), None);
}

#[test]
fn max_token_age() {
    let rules = ClaimRules {
        max_token_age: Some(600),
        ..rules()
    };
    let c = |iat: Value| {
        rules
            .check(&claims(json!({ "iat": iat })), NOW)
            .err()
            .map(|e| e.code)
    };
    assert_eq!(c(json!(NOW - 600.0)), None);
    assert_eq!(c(json!(NOW - 631.0)), Some(ErrorCode::TokenTooOld));
    assert_eq!(c(Value::Null), Some(ErrorCode::MissingClaim));
}

#[test]
fn audience_rules() {
    assert_eq!(code(json!({ "aud": null })), Some(ErrorCode::MissingClaim));
    assert_eq!(
        code(json!({ "aud": "https://evil.example.com/mcp" })),
        Some(ErrorCode::AudienceMismatch)
    );
    assert_eq!(
        code(json!({ "aud": "https://mcp.example.com/mcp/" })),
        Some(ErrorCode::AudienceMismatch)
    );
    assert_eq!(
        code(json!({ "aud": [] })),
        Some(ErrorCode::AudienceMismatch)
    );
    assert_eq!(
        code(json!({ "aud": "" })),
        Some(ErrorCode::AudienceMismatch)
    );
    assert_eq!(code(json!({ "aud": [1] })), Some(ErrorCode::InvalidClaim));
    assert_eq!(code(json!({ "aud": {} })), Some(ErrorCode::InvalidClaim));
    let any = ClaimRules::default();
    assert!(any.check(&claims(json!({ "aud": null })), NOW).is_ok());
}

#[test]
fn required_and_confirmation_claims() {
    let rules = ClaimRules {
        required_claims: vec!["jti".into()],
        ..rules()
    };
    assert_eq!(
        rules.check(&claims(json!({})), NOW).unwrap_err().code,
        ErrorCode::MissingClaim
    );
    assert!(rules.check(&claims(json!({ "jti": "x" })), NOW).is_ok());
    // Only a DPoP binding with a well-formed thumbprint passes here (the
    // DPoP layer then requires the proof); every other binding fails closed.
    let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    assert_eq!(code(json!({ "cnf": { "jkt": jkt } })), None);
    assert_eq!(
        dpop_jkt(&claims(json!({ "cnf": { "jkt": jkt } }))),
        Some(jkt)
    );
    for bad in [
        json!({ "jkt": "abc" }),
        json!({ "jkt": format!("{jkt}=") }),
        json!({ "jkt": jkt.replace('-', "+") }),
        json!({ "jkt": 7 }),
        json!({ "jkt": jkt, "x5t#S256": "abc" }),
        json!({ "jwk": { "kty": "EC" } }),
        json!({}),
        json!("jkt"),
    ] {
        assert_eq!(
            code(json!({ "cnf": bad.clone() })),
            Some(ErrorCode::SenderConstrained),
            "{bad}"
        );
    }
}

#[test]
fn type_rules() {
    let header = |typ: Value| {
        json!({ "alg": "RS256", "typ": typ })
            .as_object()
            .unwrap()
            .clone()
    };
    let relaxed = ClaimRules::default();
    for ok in ["at+jwt", "application/at+JWT", "JWT"] {
        assert!(relaxed.check_type(&header(json!(ok))).is_ok(), "{ok}");
    }
    assert!(relaxed
        .check_type(&json!({ "alg": "RS256" }).as_object().unwrap().clone())
        .is_ok());
    for bad in [
        "dpop+jwt",
        "logout+jwt",
        "secevent+jwt",
        "id_token+jwt",
        "JOSE",
    ] {
        assert_eq!(
            relaxed.check_type(&header(json!(bad))).unwrap_err().code,
            ErrorCode::TypeNotAllowed,
            "{bad}"
        );
    }
    assert_eq!(
        relaxed.check_type(&header(json!(1))).unwrap_err().code,
        ErrorCode::Malformed
    );
    let strict = ClaimRules {
        required_typ: Some("at+jwt".into()),
        ..ClaimRules::default()
    };
    assert!(strict
        .check_type(&header(json!("application/at+jwt")))
        .is_ok());
    assert_eq!(
        strict.check_type(&header(json!("JWT"))).unwrap_err().code,
        ErrorCode::TypeNotAllowed
    );
}

#[test]
fn identity_extraction() {
    let id = identity(&claims(json!({
        "sub": "u1", "azp": "c2", "scope": "  read:todos   create:todos ", "aud": ["a", 1, "b"]
    })));
    assert_eq!(id.subject.as_deref(), Some("u1"));
    assert_eq!(id.client_id.as_deref(), Some("c2"));
    assert_eq!(id.scopes, vec!["read:todos", "create:todos"]);
    assert_eq!(id.audience, vec!["a", "b"]);
    assert_eq!(id.expires_at, NOW + 60.0);
    let arr = identity(&claims(
        json!({ "client_id": "c1", "azp": "c2", "scp": ["a", "b"] }),
    ));
    assert_eq!(arr.client_id.as_deref(), Some("c1"));
    assert_eq!(arr.scopes, vec!["a", "b"]);
    let wrong = identity(&claims(json!({ "scope": 7, "scp": "x" })));
    assert!(wrong.scopes.is_empty());
    let mixed = identity(&claims(json!({ "scope": ["a", 2] })));
    assert!(mixed.scopes.is_empty());
}

#[test]
fn check_times_is_the_clock_part_of_check() {
    let times = |extra: Value, rules: &ClaimRules| {
        rules.check_times(&claims(extra), NOW).err().map(|e| e.code)
    };
    let r = rules();
    // What a cache hit re-checks: every rule that depends on the clock...
    assert_eq!(
        times(json!({ "exp": NOW - 3600.0 }), &r),
        Some(ErrorCode::Expired)
    );
    assert_eq!(
        times(json!({ "nbf": NOW + 3600.0 }), &r),
        Some(ErrorCode::NotYetValid)
    );
    assert_eq!(
        times(json!({ "iat": NOW + 3600.0 }), &r),
        Some(ErrorCode::IssuedInFuture)
    );
    assert_eq!(
        times(json!({ "exp": null }), &r),
        Some(ErrorCode::MissingClaim)
    );
    let aged = ClaimRules {
        max_token_age: Some(10),
        ..rules()
    };
    assert_eq!(
        times(json!({ "iat": NOW - 3600.0 }), &aged),
        Some(ErrorCode::TokenTooOld)
    );
    // ...and none that does not: those held when the token was cached.
    assert_eq!(times(json!({ "aud": "https://other.example" }), &r), None);
    assert_eq!(
        code(json!({ "aud": "https://other.example" })),
        Some(ErrorCode::AudienceMismatch)
    );
    assert_eq!(
        code(json!({ "exp": NOW - 3600.0 })),
        Some(ErrorCode::Expired)
    );
}

#[test]
fn certificate_confirmation() {
    let x5t = "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2";
    let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    // RFC 8705 §3.1, alone or beside a DPoP key: the flow checks both.
    assert_eq!(code(json!({ "cnf": { "x5t#S256": x5t } })), None);
    assert_eq!(
        code(json!({ "cnf": { "x5t#S256": x5t, "jkt": jkt } })),
        None
    );
    assert_eq!(
        certificate_x5t(&claims(json!({ "cnf": { "x5t#S256": x5t } }))),
        Some(x5t)
    );
    for bad in [
        json!({ "x5t#S256": format!("{x5t}=") }),
        json!({ "x5t#S256": x5t.replace('_', "/") }),
        json!({ "x5t#S256": 1 }),
        json!({ "x5t#S256": x5t, "jwk": { "kty": "EC" } }),
        json!({ "x5t": x5t }),
    ] {
        assert_eq!(
            code(json!({ "cnf": bad.clone() })),
            Some(ErrorCode::SenderConstrained),
            "{bad}"
        );
    }
}
