//! Tests of `verifier.rs` against a local discovery + JWKS server.
use super::*;
use crate::issuers::discovery::ServerType;
use crate::test_keys::{public_jwk, sign, sign_raw, RSA_1024_JWK};
use crate::test_server::{Response, TestServer};
use crate::tokens::claims::normalize_audience;
use crate::tokens::token::DEFAULT_MAX_TOKEN_LENGTH;
use serde_json::json;

const AUD: &str = "http://127.0.0.1:3001/mcp";

struct Fixture {
    server: TestServer,
    issuer: String,
    verifier: Verifier,
}

fn jwks(keys: Vec<Value>) -> Response {
    Response::json(json!({ "keys": keys }).to_string())
}

fn default_keys() -> Vec<Value> {
    vec![
        public_jwk(Algorithm::RS256, "rsa"),
        public_jwk(Algorithm::ES256, "ec"),
        public_jwk(Algorithm::EdDSA, "ed"),
    ]
}

async fn fixture_with(keys: Vec<Value>, tweak: impl FnOnce(&mut VerifierConfig)) -> Fixture {
    let server = TestServer::start().await;
    let issuer = server.origin();
    server.route(
        "/.well-known/openid-configuration",
        Response::json(json!({ "issuer": issuer, "jwks_uri": server.url("/jwks") }).to_string()),
    );
    server.route("/jwks", jwks(keys));
    let mut config = VerifierConfig {
        issuers: vec![IssuerSource {
            issuer: issuer.clone(),
            jwks_uri: None,
            kind: ServerType::Oidc,
            tenants: None,
        }],
        algorithms: crate::keys::algorithms::all(),
        rules: ClaimRules {
            audiences: vec![normalize_audience(AUD)],
            ..ClaimRules::default()
        },
        max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
        key_sets: KeySetOptions {
            cooldown: std::time::Duration::from_secs(30),
            ..KeySetOptions::default()
        },
        discovery: FetchOptions::default(),
        token_cache_entries: 64,
        token_cache_max_age: Duration::from_secs(300),
        offload: Offload::Auto,
    };
    tweak(&mut config);
    let verifier = Verifier::new(config, None, spawner()).unwrap();
    Fixture {
        server,
        issuer,
        verifier,
    }
}

fn spawner() -> Spawner {
    Arc::new(|task| {
        tokio::spawn(task);
    })
}

async fn fixture() -> Fixture {
    fixture_with(default_keys(), |_| {}).await
}

fn claims(issuer: &str) -> Value {
    let now = unix_now() as u64;
    json!({ "iss": issuer, "sub": "alice", "aud": AUD, "exp": now + 300, "iat": now,
            "client_id": "c1", "scope": "read:todos create:todos", "jti": "j1" })
}

fn token(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let name = crate::keys::algorithms::name(alg);
    sign(
        alg,
        &json!({ "alg": name, "kid": kid, "typ": "at+jwt" }),
        claims,
    )
}

async fn code(f: &Fixture, token: &str) -> ErrorCode {
    f.verifier.verify(token).await.unwrap_err().code
}

#[tokio::test]
async fn verifies_rs256_es256_and_eddsa() {
    let f = fixture().await;
    for (alg, kid) in [
        (Algorithm::RS256, "rsa"),
        (Algorithm::ES256, "ec"),
        (Algorithm::EdDSA, "ed"),
    ] {
        let v = f
            .verifier
            .verify(&token(alg, kid, &claims(&f.issuer)))
            .await
            .unwrap();
        assert_eq!(v.issuer, f.issuer);
        assert_eq!(v.identity.subject.as_deref(), Some("alice"));
        assert_eq!(v.identity.client_id.as_deref(), Some("c1"));
        assert_eq!(v.identity.scopes, vec!["read:todos", "create:todos"]);
        assert_eq!(v.header["kid"], kid);
    }
    // One discovery and one key-set fetch served all three.
    assert_eq!(f.server.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(f.server.hits("/jwks"), 1);
}

#[tokio::test]
async fn sync_path_needs_keys_once_then_finishes_inline() {
    let f = fixture().await;
    let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
    assert!(matches!(f.verifier.step(&t, false), Step::Fetch(_)));
    f.verifier.prepare().await.unwrap();
    match f.verifier.step(&t, false) {
        Step::Settled(result) => assert!(result.is_ok()),
        _ => panic!("keys were loaded"),
    }
}

#[tokio::test]
async fn rejects_untrusted_issuers_before_any_io() {
    let f = fixture().await;
    let t = token(Algorithm::RS256, "rsa", &claims("https://evil.example.com"));
    assert_eq!(code(&f, &t).await, ErrorCode::IssuerUntrusted);
    let mut no_iss = claims(&f.issuer);
    no_iss.as_object_mut().unwrap().remove("iss");
    assert_eq!(
        code(&f, &token(Algorithm::RS256, "rsa", &no_iss)).await,
        ErrorCode::MissingClaim
    );
    let trailing = format!("{}/", f.issuer);
    assert_eq!(
        code(&f, &token(Algorithm::RS256, "rsa", &claims(&trailing))).await,
        ErrorCode::IssuerUntrusted
    );
    assert_eq!(f.server.hits("/.well-known/openid-configuration"), 0);
    assert_eq!(f.server.hits("/jwks"), 0);
}

#[tokio::test]
async fn rejects_forged_signatures_and_algorithms() {
    let f = fixture().await;
    let good = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
    // Payload swapped under a valid signature.
    let mut parts: Vec<&str> = good.split('.').collect();
    let other = token(
        Algorithm::RS256,
        "rsa",
        &json!({ "iss": f.issuer, "sub": "mallory" }),
    );
    parts[1] = other.split('.').nth(1).unwrap();
    assert_eq!(code(&f, &parts.join(".")).await, ErrorCode::BadSignature);
    // An EC key named by the RSA kid: the key is bound to RS algorithms.
    assert_eq!(
        code(&f, &token(Algorithm::ES256, "rsa", &claims(&f.issuer))).await,
        ErrorCode::AlgNotAllowed
    );
    // HS256 "signed" with the RSA public key as the secret.
    let secret = crate::test_keys::RSA_JWK.as_bytes();
    let header = json!({ "alg": "HS256", "kid": "rsa" }).to_string();
    let input = format!(
        "{}.{}",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header),
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            claims(&f.issuer).to_string()
        )
    );
    let sig = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
    .unwrap();
    assert_eq!(
        code(&f, &format!("{input}.{sig}")).await,
        ErrorCode::AlgNotAllowed
    );
    // `none` with an empty signature never gets near a key.
    let none = format!(
        "{}.",
        input.replace(
            &input[..input.find('.').unwrap()],
            &base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"alg":"none"}"#
            )
        )
    );
    assert!(matches!(
        code(&f, &none).await,
        ErrorCode::Malformed | ErrorCode::AlgNotAllowed
    ));
}

#[tokio::test]
async fn der_encoded_ecdsa_signatures_are_rejected() {
    let f = fixture().await;
    let t = token(Algorithm::ES256, "ec", &claims(&f.issuer));
    let (input, sig) = t.rsplit_once('.').unwrap();
    let raw =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    // Wrap r||s in a DER SEQUENCE of two INTEGERs (no sign padding needed for the test).
    let mut der = vec![0x30, 68, 0x02, 32];
    der.extend_from_slice(&raw[..32]);
    der.extend_from_slice(&[0x02, 32]);
    der.extend_from_slice(&raw[32..]);
    let der_token = format!(
        "{input}.{}",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, der)
    );
    assert_eq!(code(&f, &der_token).await, ErrorCode::BadSignature);
    let zero = format!(
        "{input}.{}",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, [0u8; 64])
    );
    assert_eq!(code(&f, &zero).await, ErrorCode::BadSignature);
}

#[tokio::test]
async fn weak_and_unknown_keys() {
    let mut weak: Value = serde_json::from_str(RSA_1024_JWK).unwrap();
    weak["kid"] = "weak".into();
    let f = fixture_with(vec![weak, public_jwk(Algorithm::RS256, "rsa")], |_| {}).await;
    // The 1024-bit key was skipped, so its kid is unknown.
    assert_eq!(
        code(&f, &token(Algorithm::RS256, "weak", &claims(&f.issuer))).await,
        ErrorCode::UnknownKid
    );
    assert_eq!(
        code(&f, &token(Algorithm::RS256, "nope", &claims(&f.issuer))).await,
        ErrorCode::UnknownKid
    );
    // The first unknown kid after the initial fetch is inside the cooldown: no refetch.
    assert_eq!(f.server.hits("/jwks"), 1);
}

#[tokio::test]
async fn rotated_keys_are_picked_up_on_unknown_kid() {
    let f = fixture_with(default_keys(), |c| {
        c.key_sets.cooldown = std::time::Duration::from_millis(50)
    })
    .await;
    f.verifier.prepare().await.unwrap();
    let mut keys = default_keys();
    keys.push(public_jwk(Algorithm::RS256, "rsa-2"));
    f.server.route("/jwks", jwks(keys));
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    let t = token(Algorithm::RS256, "rsa-2", &claims(&f.issuer));
    assert!(f.verifier.verify(&t).await.is_ok());
    assert_eq!(f.server.hits("/jwks"), 2);
}

#[tokio::test]
async fn claim_failures_after_a_good_signature() {
    let f = fixture().await;
    let mut c = claims(&f.issuer);
    c["exp"] = json!(unix_now() as u64 - 100);
    assert_eq!(
        code(&f, &token(Algorithm::RS256, "rsa", &c)).await,
        ErrorCode::Expired
    );
    let mut c = claims(&f.issuer);
    c["aud"] = json!("http://127.0.0.1:3001/other");
    assert_eq!(
        code(&f, &token(Algorithm::RS256, "rsa", &c)).await,
        ErrorCode::AudienceMismatch
    );
    let id_token = sign(
        Algorithm::RS256,
        &json!({ "alg": "RS256", "kid": "rsa", "typ": "id_token+jwt" }),
        &claims(&f.issuer),
    );
    assert_eq!(code(&f, &id_token).await, ErrorCode::TypeNotAllowed);
}

#[tokio::test]
async fn infrastructure_failures_are_not_token_failures() {
    let f = fixture().await;
    f.server.route("/jwks", Response::new(500));
    let err = f
        .verifier
        .verify(&token(Algorithm::RS256, "rsa", &claims(&f.issuer)))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::JwksUnavailable);
    assert!(err.retry_after.is_some());

    let f = fixture().await;
    f.server.route(
        "/.well-known/openid-configuration",
        Response::json(
            json!({ "issuer": "https://forged.example.com", "jwks_uri": f.server.url("/jwks") })
                .to_string(),
        ),
    );
    let err = f
        .verifier
        .verify(&token(Algorithm::RS256, "rsa", &claims(&f.issuer)))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DiscoveryUnavailable);
    assert_eq!(f.server.hits("/jwks"), 0);
    // The failure is remembered for one cooldown: no second discovery request.
    f.verifier
        .verify(&token(Algorithm::RS256, "rsa", &claims(&f.issuer)))
        .await
        .unwrap_err();
    assert_eq!(f.server.hits("/.well-known/openid-configuration"), 1);
}

#[test]
fn rejects_bad_configuration() {
    let base = || VerifierConfig {
        issuers: vec![IssuerSource {
            issuer: "https://as.example.com".into(),
            jwks_uri: None,
            kind: ServerType::OAuth,
            tenants: None,
        }],
        algorithms: crate::keys::algorithms::all(),
        rules: ClaimRules::default(),
        max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
        key_sets: KeySetOptions::default(),
        discovery: FetchOptions::default(),
        token_cache_entries: 64,
        token_cache_max_age: Duration::from_secs(300),
        offload: Offload::Auto,
    };
    let new = |c| Verifier::new(c, None, spawner());
    assert!(new(base()).is_ok());
    let mut c = base();
    c.issuers[0].issuer = "http://as.example.com".into();
    assert_eq!(new(c).err().unwrap().code, ErrorCode::InvalidConfig);
    let mut c = base();
    c.issuers[0].issuer = "https://as.example.com?tenant=1".into();
    assert!(new(c).is_err());
    let mut c = base();
    c.issuers.push(c.issuers[0].clone());
    assert!(new(c).is_err());
    let mut c = base();
    c.algorithms.clear();
    assert!(new(c).is_err());
    let mut c = base();
    c.rules.leeway = 301;
    assert!(new(c).is_err());
    let mut c = base();
    c.issuers.clear();
    assert!(new(c).is_err());
}

/// Garbage of every shape must come back as an error value, never a panic.
#[tokio::test]
async fn garbage_never_panics() {
    let f = fixture().await;
    f.verifier.prepare().await.unwrap();
    let alphabet: Vec<char> = "ABCxyz0189-_.=+/ \u{0}\u{7f}é{}\"".chars().collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let valid = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
    for round in 0..20_000 {
        let len = (next() % 120) as usize;
        let mut t: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        if round % 3 == 0 {
            // Mutate a valid token instead, to get past the early checks.
            let mut bytes: Vec<char> = valid.chars().collect();
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = alphabet[(next() % alphabet.len() as u64) as usize];
            t = bytes.into_iter().collect();
        }
        let _ = f.verifier.step(&t, false);
    }
    let headers = [
        r#"{"alg":"RS256","kid":"rsa","crit":["x"]}"#,
        r#"{"alg":"RS256","kid":{"a":1}}"#,
        "{}",
        "null",
    ];
    for h in headers {
        let t = sign_raw(Algorithm::RS256, h, &claims(&f.issuer).to_string());
        assert!(f.verifier.verify(&t).await.is_err(), "{h}");
    }
}

#[path = "verifier_cache_tests.rs"]
mod cache;

#[path = "verifier_template_tests.rs"]
mod templates;

fn any_issuer_config(jwks_uri: Option<String>) -> VerifierConfig {
    VerifierConfig {
        issuers: vec![IssuerSource {
            issuer: crate::issuers::trusted::ANY_ISSUER.into(),
            jwks_uri,
            kind: ServerType::OAuth,
            tenants: None,
        }],
        algorithms: crate::keys::algorithms::all(),
        rules: ClaimRules::default(),
        max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
        key_sets: KeySetOptions::default(),
        discovery: FetchOptions::default(),
        token_cache_entries: 64,
        token_cache_max_age: Duration::from_secs(300),
        offload: Offload::Never,
    }
}

#[tokio::test]
async fn a_key_set_for_any_issuer_takes_every_non_empty_iss() {
    let Err(err) = Verifier::new(any_issuer_config(None), None, spawner()) else {
        panic!("nothing to discover for any issuer: a jwks_uri is required");
    };
    assert_eq!(err.code, ErrorCode::InvalidConfig);
    let server = TestServer::start().await;
    server.route("/jwks", jwks(default_keys()));
    let verifier = Verifier::new(
        any_issuer_config(Some(server.url("/jwks"))),
        None,
        spawner(),
    )
    .unwrap();
    for iss in ["https://one.example.com", "https://two.example.com/tenant"] {
        let v = verifier
            .verify(&token(Algorithm::RS256, "rsa", &claims(iss)))
            .await
            .unwrap();
        assert_eq!(v.issuer, iss, "the token's own iss");
    }
    let mut no_iss = claims("x");
    no_iss.as_object_mut().unwrap().remove("iss");
    let signed = |c: &Value| token(Algorithm::RS256, "rsa", c);
    let shared = &verifier;
    let refused = move |t: String| async move { shared.verify(&t).await.unwrap_err().code };
    assert_eq!(refused(signed(&no_iss)).await, ErrorCode::MissingClaim);
    assert_eq!(
        refused(signed(&claims(""))).await,
        ErrorCode::IssuerUntrusted
    );
    // Another payload under a valid signature: the key set still judges it.
    let good = signed(&claims("https://one.example.com"));
    let other = signed(&claims("https://three.example.com"));
    let parts: Vec<&str> = good.split('.').collect();
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        other.split('.').nth(1).unwrap(),
        parts[2]
    );
    assert_eq!(refused(swapped).await, ErrorCode::BadSignature);
    assert_eq!(server.hits("/jwks"), 1);
}
