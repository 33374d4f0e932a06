use super::*;
use serde_json::json;

fn body(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn good() -> Value {
    json!({ "access_token": "up.stream.tok", "token_type": "Bearer",
            "issued_token_type": ACCESS_TOKEN_TYPE, "expires_in": 300, "scope": "read" })
}

fn with(member: &str, value: Value) -> Map<String, Value> {
    let mut b = body(good());
    if value.is_null() {
        b.remove(member);
    } else {
        b.insert(member.into(), value);
    }
    b
}

#[test]
fn accepts_a_well_formed_answer() {
    let x = judge(&body(good()), Grant::TokenExchange, None).unwrap();
    assert_eq!(x.access_token, "up.stream.tok");
    assert_eq!(x.expires_in, Some(300));
    assert_eq!(x.scope.as_deref(), Some("read"));
    let out = x.to_json();
    assert_eq!(out["accessToken"], "up.stream.tok");
    assert_eq!(out["issuedTokenType"], ACCESS_TOKEN_TYPE);
    assert!(!format!("{x:?}").contains("up.stream.tok"));
    // Entra's string expires_in, and no issued_token_type under on-behalf-of.
    let x = judge(
        &with("expires_in", json!("3599")),
        Grant::TokenExchange,
        None,
    )
    .unwrap();
    assert_eq!(x.expires_in, Some(3599));
    let x = judge(
        &with("issued_token_type", Value::Null),
        Grant::OnBehalfOf,
        None,
    )
    .unwrap();
    assert_eq!(x.issued_token_type, ACCESS_TOKEN_TYPE);
    // No expires_in: accepted, unknown (never cached).
    let x = judge(&with("expires_in", Value::Null), Grant::TokenExchange, None).unwrap();
    assert_eq!(x.expires_in, None);
    assert!(!x.to_json().contains_key("expiresIn"));
}

#[test]
fn refuses_anything_malformed_as_an_outage() {
    for b in [
        with("access_token", Value::Null),
        with("access_token", json!("")),
        with("access_token", json!("has space")),
        with("access_token", json!(42)),
        with("token_type", Value::Null),
        with("issued_token_type", Value::Null),
        with("expires_in", json!(-5)),
        with("expires_in", json!(0)),
        with("expires_in", json!(1.5)),
        with("expires_in", json!(1e300)),
        with("expires_in", json!(MAX_EXPIRES_IN_SECS + 1)),
        with("expires_in", json!("12x")),
        with("expires_in", json!(true)),
        with("scope", json!(["read"])),
    ] {
        let e = judge(&b, Grant::TokenExchange, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::TokenExchangeUnavailable, "{b:?}");
        assert!(e.retry_after.is_some());
        assert!(!e.reason.contains("up.stream.tok"));
    }
    let e = judge(
        &body(good()),
        Grant::TokenExchange,
        Some("urn:ietf:params:oauth:token-type:jwt"),
    )
    .unwrap_err();
    assert!(e.reason.contains("other than the one requested"));
}
