use super::*;
use crate::error::ErrorCode;
use serde_json::json;

fn params(value: Value) -> ExchangeParams {
    ExchangeParams::from_json(value).unwrap()
}

#[test]
fn token_exchange_form_names_every_parameter() {
    let r = params(json!({ "audience": "billing", "resource": ["https://api.example.com/v1"],
                           "scope": "write read", "requestedTokenType": "urn:ietf:params:oauth:token-type:jwt" }))
        .check(Grant::TokenExchange)
        .unwrap();
    assert_eq!(r.scopes, ["read", "write"]);
    let form = r.form(Grant::TokenExchange, "sub.tok");
    let expected: Vec<(&str, &str)> = vec![
        ("grant_type", TOKEN_EXCHANGE_GRANT),
        ("subject_token", "sub.tok"),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("audience", "billing"),
        ("resource", "https://api.example.com/v1"),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:jwt",
        ),
        ("scope", "read write"),
    ];
    let got: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(got, expected);
}

#[test]
fn on_behalf_of_form_and_its_limits() {
    let r = params(json!({ "scope": ["api://upstream/.default"] }))
        .check(Grant::OnBehalfOf)
        .unwrap();
    let form = r.form(Grant::OnBehalfOf, "sub.tok");
    let got: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("grant_type", JWT_BEARER_GRANT),
            ("assertion", "sub.tok"),
            ("requested_token_use", "on_behalf_of"),
            ("scope", "api://upstream/.default"),
        ]
    );
    for bad in [json!({}), json!({ "scope": "a", "audience": "x" })] {
        assert_eq!(
            params(bad).check(Grant::OnBehalfOf).unwrap_err().code,
            ErrorCode::InvalidConfig
        );
    }
}

#[test]
fn refuses_bad_values_by_name() {
    for (value, name) in [
        (json!({ "resource": "not a uri" }), "exchangeToken.resource"),
        (
            json!({ "resource": "https://api.example.com/#frag" }),
            "exchangeToken.resource",
        ),
        (json!({ "scope": "a\"b" }), "exchangeToken.scope"),
        (json!({ "audience": "" }), "exchangeToken.audience"),
        (json!({ "audience": "a\nb" }), "exchangeToken.audience"),
        (
            json!({ "requestedTokenType": "jwt" }),
            "exchangeToken.requestedTokenType",
        ),
    ] {
        let e = params(value).check(Grant::TokenExchange).unwrap_err();
        assert!(e.reason.contains(name), "{}", e.reason);
    }
    let e = ExchangeParams::from_json(json!({ "scopes": "a" })).unwrap_err();
    assert_eq!(e.reason, "unknown option `exchangeToken.scopes`.");
    let many: Vec<String> = (0..40).map(|i| format!("s{i}")).collect();
    assert!(params(json!({ "scope": many }))
        .check(Grant::TokenExchange)
        .is_err());
}

#[test]
fn key_separates_subject_and_every_parameter_but_not_scope_order() {
    let r = |v: Value| params(v).check(Grant::TokenExchange).unwrap();
    let a = r(json!({ "audience": "x", "scope": "a b" }));
    let k = a.key(Grant::TokenExchange, "tok");
    assert_eq!(
        k,
        r(json!({ "audience": ["x"], "scope": ["b", "a"] })).key(Grant::TokenExchange, "tok")
    );
    assert_ne!(k, a.key(Grant::TokenExchange, "tok2"));
    assert_ne!(k, a.key(Grant::OnBehalfOf, "tok"));
    assert_ne!(
        k,
        r(json!({ "resource": "x:", "scope": "a b" })).key(Grant::TokenExchange, "tok")
    );
    assert_ne!(
        k,
        r(json!({ "audience": "x", "scope": "a" })).key(Grant::TokenExchange, "tok")
    );
    assert_ne!(
        k,
        r(json!({ "audience": "x", "scope": "a b", "requestedTokenType": "urn:x" }))
            .key(Grant::TokenExchange, "tok")
    );
}
