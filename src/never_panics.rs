//! Property tests standing in for a fuzzer (cargo-fuzz needs a nightly
//! toolchain, which this project's machines do not have): every parser that
//! sees attacker-controlled bytes must return a value, never panic.
//!
//! `cargo test --lib never_panics` runs the default number of cases;
//! `PROPTEST_CASES=20000 cargo test --release --lib never_panics` (what
//! `npm run fuzz` does) runs a longer campaign.

use crate::claims::{ClaimRules, Identity};
use crate::discovery::check_metadata;
use crate::jwk::parse_key_set;
use crate::server_config::{to_server_config, validate};
use crate::strict_json::{parse_object, DOCUMENT_MAX_DEPTH};
use crate::token::{parse, DEFAULT_MAX_TOKEN_LENGTH};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Arbitrary JSON, biased towards the shapes the parsers look at.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-zA-Z0-9_\\-+/=.:]{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("RSA"),
            Just("EC"),
            Just("OKP"),
            Just("oct"),
            Just("P-256"),
            Just("P-384"),
            Just("Ed25519"),
            Just("RS256"),
            Just("ES256"),
            Just("EdDSA"),
            Just("none"),
            Just("sig"),
            Just("enc"),
            Just("AQAB"),
            Just("at+jwt"),
            Just("JWT"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((member_name(), inner), 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just("kty"),
            Just("kid"),
            Just("alg"),
            Just("use"),
            Just("key_ops"),
            Just("n"),
            Just("e"),
            Just("x"),
            Just("y"),
            Just("crv"),
            Just("d"),
            Just("keys"),
            Just("issuer"),
            Just("jwks_uri"),
            Just("exp"),
            Just("nbf"),
            Just("iat"),
            Just("aud"),
            Just("iss"),
            Just("scope"),
            Just("scp"),
            Just("typ"),
            Just("crit"),
            Just("cty"),
            Just("cnf"),
            Just("jwk"),
            Just("htm"),
            Just("htu"),
            Just("jti"),
            Just("ath"),
            Just("nonce"),
            Just("response_types_supported"),
            Just("token_endpoint"),
        ]
        .prop_map(str::to_owned),
        "[a-z_]{1,12}",
    ]
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((member_name(), json()), 0..10).prop_map(|m| m.into_iter().collect())
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        json().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        "[A-Za-z0-9_\\-=+/. ]{0,30}",
    ]
}

proptest! {
    #[test]
    fn token_parser_takes_any_string(token in any::<String>()) {
        let _ = parse(&token, DEFAULT_MAX_TOKEN_LENGTH, &crate::algorithms::all());
    }

    #[test]
    fn token_parser_takes_near_valid_tokens(parts in prop::collection::vec(segment(), 1..7)) {
        let token = parts.join(".");
        if let Ok(parsed) = parse(&token, DEFAULT_MAX_TOKEN_LENGTH, &crate::algorithms::all()) {
            let rules = ClaimRules { audiences: vec!["https://mcp.example.com/".into()], ..ClaimRules::default() };
            let _ = rules.check_type(&parsed.header);
            let _ = rules.check(&parsed.claims, 1.8e9);
            let _ = Identity::from_claims(&parsed.claims, &rules);
        }
    }

    #[test]
    fn json_parser_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_object(&bytes, DOCUMENT_MAX_DEPTH);
    }

    #[test]
    fn key_set_parser_takes_any_document(doc in object(), keys in prop::collection::vec(object(), 0..6)) {
        let _ = parse_key_set(&doc);
        let mut with_keys = doc.clone();
        with_keys.insert("keys".into(), Value::Array(keys.into_iter().map(Value::Object).collect()));
        let _ = parse_key_set(&with_keys);
    }

    #[test]
    fn metadata_checks_take_any_document(doc in object()) {
        let _ = check_metadata(&doc, Some("https://as.example.com"));
        if let Ok(config) = to_server_config(crate::discovery::ServerType::Oidc, &doc, None) {
            let _ = validate(&config.metadata);
        }
        let _ = validate(&doc);
    }

    #[test]
    fn claim_rules_take_any_claims(claims in object(), header in object()) {
        let rules = ClaimRules { audiences: vec!["https://mcp.example.com/".into()], max_token_age: Some(60), ..ClaimRules::default() };
        let _ = rules.check(&claims, 1.8e9);
        let _ = rules.check_type(&header);
        let _ = Identity::from_claims(&claims, &rules);
    }

    #[test]
    fn dpop_proof_checks_take_any_proof(
        parts in prop::collection::vec(segment(), 1..5),
        header in object(),
        claims in object(),
        htu in "[a-zA-Z0-9:/%.?#]{0,40}",
    ) {
        let rules = crate::dpop::DpopRules {
            algorithms: crate::algorithms::all(),
            iat_window: 300,
            origin: "https://mcp.example.com".into(),
        };
        let request = crate::dpop::ProofRequest { method: "POST", path: "/mcp", access_token: "t", jkt: "k" };
        let _ = crate::dpop::check_proof(&parts.join("."), &request, &rules, 1.8e9);
        let forged = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header.clone()).to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string()),
            URL_SAFE_NO_PAD.encode("sig"),
        );
        let _ = crate::dpop::check_proof(&forged, &request, &rules, 1.8e9);
        let _ = crate::jwk_thumbprint::thumbprint(&header);
        let _ = crate::dpop::normalize_htu(&htu);
    }
}
