//! Property tests standing in for a fuzzer (cargo-fuzz needs a nightly
//! toolchain, which this project's machines do not have): every parser that
//! sees attacker-controlled bytes must return a value, never panic.
//!
//! `cargo test --lib never_panics` runs the default number of cases;
//! `PROPTEST_CASES=20000 cargo test --release --lib never_panics` (what
//! `npm run fuzz` does) runs a longer campaign.

use crate::introspection::introspector::Introspector;
use crate::introspection::response::{from_record, record, ResponseRules};
use crate::issuers::discovery::check_metadata;
use crate::issuers::server_config::{to_server_config, validate};
use crate::keys::jwk::parse_key_set;
use crate::tokens::claims::{ClaimRules, Identity};
use crate::tokens::strict_json::{parse_object, DOCUMENT_MAX_DEPTH};
use crate::tokens::token::{parse, DEFAULT_MAX_TOKEN_LENGTH};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::time::Duration;

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
            Just("active"),
            Just("token_type"),
            Just("token_use"),
            Just("client_id"),
            Just("tid"),
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

/// A JSON number: any finite f64 (serde_json has no others), biased towards
/// the far future and the edges.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>(),
        Just(1e300),
        Just(f64::MAX),
        Just(-1e300),
        Just(0.0),
        1.0e9..1.0e20f64,
    ]
    .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
}

fn introspection_rules(accept_missing_audience: bool) -> ResponseRules {
    ResponseRules {
        issuer: "https://as.example.com".into(),
        claims: ClaimRules {
            audiences: vec!["https://mcp.example.com/".into()],
            ..ClaimRules::default()
        },
        accept_missing_audience,
    }
}

/// An introspector that is never asked to call anything: `admit` reads records only.
fn introspector() -> Introspector {
    let options = crate::options::introspection::IntrospectorOptions {
        issuer: "https://as.example.com".into(),
        endpoint: Some("https://as.example.com/introspect".into()),
        audiences: Some(vec!["https://mcp.example.com/".into()]),
        client_id: "rs".into(),
        client_secret: Some("s".into()),
        ..Default::default()
    };
    Introspector::new(options.to_config().expect("valid options"))
}

/// A verifier trusting one plain issuer and Entra's template; never fetches.
fn router() -> crate::tokens::verifier::Verifier {
    use crate::tokens::verifier::{IssuerSource, Offload, Verifier, VerifierConfig};
    let source = |issuer: &str| IssuerSource {
        issuer: issuer.into(),
        jwks_uri: Some("https://keys.example.com/jwks".into()),
        kind: crate::issuers::discovery::ServerType::Oidc,
        tenants: None,
    };
    let config = VerifierConfig {
        issuers: vec![source("https://as.example.com"), source(TEMPLATE)],
        algorithms: crate::keys::algorithms::all(),
        rules: ClaimRules::default(),
        max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
        key_sets: Default::default(),
        discovery: Default::default(),
        token_cache_entries: 0,
        token_cache_max_age: Duration::from_secs(1),
        offload: Offload::Never,
    };
    Verifier::new(config, None, std::sync::Arc::new(|_| {})).expect("valid config")
}

const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

fn jws(header: &Value, payload: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", part(header), part(payload))
}

proptest! {
    #[test]
    fn auto_routing_takes_any_token(
        parts in prop::collection::vec(segment(), 1..5),
        mut payload in object(),
        tenant in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        tid_matches in any::<bool>(),
    ) {
        let router = router();
        let _ = router.names_trusted_issuer(&parts.join("."));
        let header = serde_json::json!({ "alg": "RS256" });
        let _ = router.names_trusted_issuer(&jws(&header, &Value::Object(payload.clone())));
        // Any token whose iss has the template's shape is the verifier's to
        // judge, whatever its tid: it never goes to an introspection endpoint.
        payload.insert("iss".into(), Value::from(TEMPLATE.replace("{tenantid}", &tenant)));
        if tid_matches {
            payload.insert("tid".into(), Value::from(tenant));
        }
        prop_assert!(router.names_trusted_issuer(&jws(&header, &Value::Object(payload.clone()))));
        payload.insert("iss".into(), Value::from("https://as.example.com"));
        prop_assert!(router.names_trusted_issuer(&jws(&header, &Value::Object(payload.clone()))));
        payload.insert("iss".into(), Value::from("https://other.example.com"));
        prop_assert!(!router.names_trusted_issuer(&jws(&header, &Value::Object(payload.clone()))));
        let no_alg = Value::Object(Map::new());
        prop_assert!(!router.names_trusted_issuer(&jws(&no_alg, &Value::Object(payload))));
    }

    #[test]
    fn introspection_answers_are_judged_never_a_panic(
        mut answer in object(),
        active in any::<bool>(),
        exp in number(),
        max_age_ms in 0u64..=86_400_000,
        missing_audience in any::<bool>(),
    ) {
        answer.insert("active".into(), Value::Bool(active));
        if !exp.is_null() {
            answer.insert("exp".into(), exp);
        }
        let rules = introspection_rules(missing_audience);
        let max_age = Duration::from_millis(max_age_ms);
        for now in [0.0, 1.8e9, 1e300] {
            if let Ok(verdict) = rules.judge(&answer, now) {
                prop_assert!(rules.reuse_for(&verdict, now, max_age, Duration::from_secs(10)) <= max_age.max(Duration::from_secs(10)));
                let _ = record(&verdict, now * 1000.0);
            }
        }
    }

    #[test]
    fn store_records_are_read_never_a_panic(
        text in any::<String>(),
        until in number(),
        mut response in object(),
        active in any::<bool>(),
        exp in number(),
    ) {
        let rules = introspection_rules(false);
        let introspector = introspector();
        let _ = from_record(&rules, &text, 1.8e9);
        let _ = introspector.admit("t", &text);
        response.insert("active".into(), Value::Bool(active));
        response.insert("iss".into(), Value::from("https://as.example.com"));
        response.insert("aud".into(), Value::from("https://mcp.example.com/"));
        response.insert("exp".into(), exp);
        let stored = serde_json::json!({ "v": 1, "until": until, "response": response }).to_string();
        let _ = from_record(&rules, &stored, 1.8e9);
        let _ = introspector.admit("t", &stored);
    }

    #[test]
    fn token_parser_takes_any_string(token in any::<String>()) {
        let _ = parse(&token, DEFAULT_MAX_TOKEN_LENGTH, &crate::keys::algorithms::all());
    }

    #[test]
    fn token_parser_takes_near_valid_tokens(parts in prop::collection::vec(segment(), 1..7)) {
        let token = parts.join(".");
        if let Ok(parsed) = parse(&token, DEFAULT_MAX_TOKEN_LENGTH, &crate::keys::algorithms::all()) {
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
    fn jsonrpc_body_reader_takes_any_body(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        method in prop_oneof![
            Just("tools/call"), Just("prompts/get"), Just("resources/read"), Just("completion/complete")
        ],
        id in json(),
        params in json(),
        reference in object(),
    ) {
        let _ = crate::operations::classify::read(&bytes);
        let mut with_ref = params.clone();
        if let Value::Object(map) = &mut with_ref {
            map.insert("ref".into(), Value::Object(reference));
        }
        for params in [params, with_ref] {
            let message = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            let text = message.to_string();
            let _ = crate::operations::classify::read(text.as_bytes());
            let _ = crate::operations::classify::read(format!("[{text},{text}]").as_bytes());
        }
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
        if let Ok(config) = to_server_config(crate::issuers::discovery::ServerType::Oidc, &doc, None) {
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
        let rules = crate::dpop::proof::DpopRules {
            algorithms: crate::keys::algorithms::all(),
            iat_window: 300,
            origin: "https://mcp.example.com".into(),
        };
        let request = crate::dpop::proof::ProofRequest { method: "POST", path: "/mcp", access_token: "t", jkt: "k" };
        let _ = crate::dpop::proof::check_proof(&parts.join("."), &request, &rules, 1.8e9);
        let forged = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header.clone()).to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string()),
            URL_SAFE_NO_PAD.encode("sig"),
        );
        let _ = crate::dpop::proof::check_proof(&forged, &request, &rules, 1.8e9);
        let _ = crate::keys::thumbprint::thumbprint(&header);
        let _ = crate::dpop::proof::normalize_htu(&htu);
    }
}
