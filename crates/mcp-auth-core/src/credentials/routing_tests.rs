use super::*;
use crate::error::ErrorCode;
use crate::options::credentials::VerifierKindOptions;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

fn jwt(name: &str, issuers: &[&str]) -> VerifierKindOptions {
    VerifierKindOptions {
        name: name.into(),
        kind: "jwt".into(),
        issuers: Some(issuers.iter().map(|s| s.to_string()).collect()),
        prefix: None,
        refresh_interval: None,
    }
}

fn api_key(name: &str, prefix: Option<&str>) -> VerifierKindOptions {
    VerifierKindOptions {
        name: name.into(),
        kind: "apiKey".into(),
        issuers: None,
        prefix: prefix.map(Into::into),
        refresh_interval: None,
    }
}

fn router(verifiers: Vec<VerifierKindOptions>) -> AuthResult<CredentialRouter> {
    CredentialRouter::new(&CredentialKindsOptions { verifiers })
}

// An unsigned JWS-shaped token naming `iss` (routing reads it unverified).
fn token_from(iss: &str) -> String {
    let part = |json: String| URL_SAFE_NO_PAD.encode(json);
    format!(
        "{}.{}.c2ln",
        part(r#"{"alg":"RS256"}"#.into()),
        part(format!(r#"{{"iss":"{iss}","sub":"x"}}"#))
    )
}

fn bearer(token: &str) -> Vec<(String, String)> {
    vec![("authorization".into(), format!("Bearer {token}"))]
}

#[test]
fn routes_by_issuer_and_prefix_in_order() {
    let r = router(vec![
        jwt("users", &["https://a.example"]),
        jwt("machines", &["https://b.example"]),
        api_key("keys", Some("mcpk_")),
    ])
    .unwrap();
    assert_eq!(r.route(&bearer(&token_from("https://a.example"))), 0);
    assert_eq!(r.route(&bearer(&token_from("https://b.example"))), 1);
    assert_eq!(r.route(&bearer("mcpk_abc")), 2);
    assert_eq!(r.names(), ["users", "machines", "keys"]);
}

#[test]
fn a_token_no_kind_matches_goes_to_the_first_jwt_verifier_only() {
    let r = router(vec![
        api_key("keys", Some("mcpk_")),
        jwt("users", &["https://a.example"]),
    ])
    .unwrap();
    // An unknown issuer, an unprefixed opaque token, no header: one answer, from 'users'.
    assert_eq!(r.route(&bearer(&token_from("https://evil.example"))), 1);
    assert_eq!(r.route(&bearer("opaque")), 1);
    assert_eq!(r.route(&[]), 1);
    assert_eq!(r.route(&[("authorization".into(), "Basic abc".into())]), 1);
}

#[test]
fn a_prefixless_api_key_verifier_takes_non_jws_tokens() {
    let r = router(vec![
        jwt("users", &["https://a.example"]),
        api_key("keys", None),
    ])
    .unwrap();
    assert_eq!(r.route_token("anything-opaque"), 1);
    // A JWS naming an unknown issuer is not an API key: the JWT verifier refuses it.
    assert_eq!(r.route_token(&token_from("https://other.example")), 0);
}

#[test]
fn the_dpop_scheme_routes_too() {
    let r = router(vec![
        api_key("keys", Some("k_")),
        jwt("users", &["https://a.example"]),
    ])
    .unwrap();
    let headers = vec![(
        "authorization".to_string(),
        format!("DPoP {}", token_from("https://a.example")),
    )];
    assert_eq!(r.route(&headers), 1);
}

#[test]
fn invalid_lists_are_refused() {
    let refused = |v: Vec<VerifierKindOptions>| router(v).unwrap_err().code;
    assert_eq!(refused(vec![]), ErrorCode::InvalidConfig);
    assert_eq!(
        refused(vec![
            jwt("a", &["https://a.example"]),
            jwt("a", &["https://b.example"])
        ]),
        ErrorCode::InvalidConfig
    );
    assert!(router(vec![
        jwt("a", &["https://a.example"]),
        jwt("b", &["https://a.example"])
    ])
    .is_err());
    assert!(router(vec![jwt("a", &[])]).is_err());
    assert!(router(vec![
        api_key("a", Some("mcpk_")),
        api_key("b", Some("mcpk_x"))
    ])
    .is_err());
    assert!(router(vec![api_key("a", None), api_key("b", None)]).is_err());
    assert!(router(vec![api_key("a", Some("has space"))]).is_err());
    let mut other = jwt("a", &["https://a.example"]);
    other.kind = "mtls".into();
    assert!(router(vec![other]).is_err());
    let mut jwt_with_prefix = jwt("a", &["https://a.example"]);
    jwt_with_prefix.prefix = Some("x".into());
    assert!(router(vec![jwt_with_prefix]).is_err());
    let mut slow = api_key("a", Some("k_"));
    slow.refresh_interval = Some(10.0);
    assert!(router(vec![slow]).is_err());
}

#[test]
fn refresh_interval_defaults_and_is_kept() {
    let mut fast = api_key("k", Some("k_"));
    fast.refresh_interval = Some(5_000.0);
    let r = router(vec![fast, api_key("d", Some("d_"))]).unwrap();
    assert_eq!(
        r.kinds()[0],
        Kind::ApiKey {
            prefix: Some("k_".into()),
            refresh_interval_ms: 5_000
        }
    );
    assert!(matches!(
        r.kinds()[1],
        Kind::ApiKey {
            refresh_interval_ms: 300_000,
            ..
        }
    ));
}
