//! Tests of `verifier.rs` against a local discovery + JWKS server.
use super::*;
use crate::claims::normalize_audience;
use crate::discovery::ServerType;
use crate::test_keys::{public_jwk, sign, sign_raw, RSA_1024_JWK};
use crate::test_server::{Response, TestServer};
use crate::token::DEFAULT_MAX_TOKEN_LENGTH;
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
        algorithms: crate::algorithms::all(),
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
    let name = crate::algorithms::name(alg);
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

#[tokio::test]
async fn cached_tokens_are_rechecked_on_every_use() {
    let f = fixture_with(default_keys(), |c| c.rules.leeway = 0).await;
    let mut c = claims(&f.issuer);
    c["exp"] = json!(unix_now() as u64 + 1);
    let t = token(Algorithm::RS256, "rsa", &c);
    let first = f.verifier.verify(&t).await.unwrap();
    let second = f.verifier.verify(&t).await.unwrap();
    assert!(Arc::ptr_eq(&first, &second), "second call is a cache hit");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(code(&f, &t).await, ErrorCode::Expired);
}

#[tokio::test]
async fn cached_tokens_stop_verifying_when_their_key_is_removed() {
    let f = fixture_with(default_keys(), |c| {
        c.key_sets.cooldown = std::time::Duration::from_millis(50)
    })
    .await;
    let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
    f.verifier.verify(&t).await.unwrap();
    f.server
        .route("/jwks", jwks(vec![public_jwk(Algorithm::ES256, "ec")]));
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    // An unknown kid triggers the refetch that removes the RSA key.
    let other = token(Algorithm::RS256, "rotated", &claims(&f.issuer));
    assert_eq!(code(&f, &other).await, ErrorCode::UnknownKid);
    assert_eq!(f.server.hits("/jwks"), 2);
    assert_eq!(code(&f, &t).await, ErrorCode::UnknownKid);
}

#[tokio::test]
async fn cache_hits_keep_the_key_set_fresh() {
    let f = fixture_with(default_keys(), |c| {
        c.key_sets.ttl = std::time::Duration::from_millis(200);
        c.key_sets.cooldown = std::time::Duration::from_millis(10);
    })
    .await;
    let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
    f.verifier.verify(&t).await.unwrap();
    f.server
        .route("/jwks", jwks(vec![public_jwk(Algorithm::ES256, "ec")]));
    // Reusing one token only: the hits themselves must trigger the refresh,
    // which drops the removed RSA key and with it the cached verification.
    let deadline = Instant::now() + std::time::Duration::from_secs(3);
    while f.verifier.verify(&t).await.is_ok() {
        assert!(Instant::now() < deadline, "removed key still accepted");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(code(&f, &t).await, ErrorCode::UnknownKid);
    assert!(f.server.hits("/jwks") >= 2);
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
        algorithms: crate::algorithms::all(),
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

#[tokio::test]
async fn unknown_kid_tokens_cannot_flush_other_clients_cached_tokens() {
    let f = fixture_with(default_keys(), |c| {
        c.key_sets.cooldown = std::time::Duration::from_millis(20)
    })
    .await;
    let victim = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
    let first = f.verifier.verify(&victim).await.unwrap();
    for round in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        // A trusted iss and a made-up kid: no valid signature needed to force a refetch.
        let forged = token(
            Algorithm::RS256,
            &format!("made-up-{round}"),
            &claims(&f.issuer),
        );
        assert_eq!(code(&f, &forged).await, ErrorCode::UnknownKid);
        let again = f.verifier.verify(&victim).await.unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "round {round}: cache entry was dropped"
        );
    }
    assert_eq!(f.server.hits("/jwks"), 4, "each forged kid refetched once");
}

#[tokio::test]
async fn cached_tokens_are_dropped_when_their_key_material_changes() {
    let f = fixture_with(default_keys(), |c| {
        c.key_sets.cooldown = std::time::Duration::from_millis(20)
    })
    .await;
    let t = token(Algorithm::ES256, "ec", &claims(&f.issuer));
    f.verifier.verify(&t).await.unwrap();
    // Same kid "ec", other key material (the Ed25519 key's kid renamed would
    // not fit ES256, so take the RSA key's material under "ec" instead).
    let mut changed = public_jwk(Algorithm::RS256, "ec");
    changed["alg"] = json!("RS256");
    f.server.route(
        "/jwks",
        jwks(vec![changed, public_jwk(Algorithm::RS256, "rsa")]),
    );
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let other = token(Algorithm::RS256, "unknown", &claims(&f.issuer));
    assert_eq!(code(&f, &other).await, ErrorCode::UnknownKid);
    assert_eq!(f.server.hits("/jwks"), 2);
    // The cached ES256 verification is gone; re-verifying finds an RSA-only "ec".
    assert_eq!(code(&f, &t).await, ErrorCode::AlgNotAllowed);
}

#[tokio::test]
async fn cache_max_age_is_honoured_when_shorter_than_the_cooldown() {
    let f = fixture_with(default_keys(), |c| {
        c.key_sets.ttl = std::time::Duration::from_millis(100);
        c.key_sets.cooldown = std::time::Duration::from_secs(30);
        c.token_cache_entries = 0;
    })
    .await;
    let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
    f.verifier.verify(&t).await.unwrap();
    f.server
        .route("/jwks", jwks(vec![public_jwk(Algorithm::ES256, "ec")]));
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    // Past cacheMaxAge the set is refetched although the cooldown has not passed.
    assert_eq!(code(&f, &t).await, ErrorCode::UnknownKid);
    assert_eq!(f.server.hits("/jwks"), 2);
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

#[tokio::test]
async fn templated_issuers_match_by_tenant_and_keep_their_own_keys() {
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const OTHER: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let template = "https://login.microsoftonline.com/{tenantid}/v2.0";
    let mut keys_url = String::new();
    let f = fixture_with(default_keys(), |config| {
        keys_url = config.issuers[0].issuer.clone() + "/tenant-keys";
        config.issuers.push(IssuerSource {
            issuer: template.into(),
            jwks_uri: Some(keys_url.clone()),
            kind: ServerType::Oidc,
            tenants: Some(vec![TENANT.into()]),
        });
    })
    .await;
    f.server.route(
        "/tenant-keys",
        jwks(vec![public_jwk(Algorithm::ES256, "tenant-ec")]),
    );
    let tenant_claims = |iss_tenant: &str, tid: &str| {
        let mut c = claims(&format!(
            "https://login.microsoftonline.com/{iss_tenant}/v2.0"
        ));
        c["tid"] = json!(tid);
        c
    };
    let good = token(
        Algorithm::ES256,
        "tenant-ec",
        &tenant_claims(TENANT, TENANT),
    );
    let v = f.verifier.verify(&good).await.unwrap();
    assert_eq!(
        v.issuer,
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    assert_eq!(
        code(
            &f,
            &token(Algorithm::ES256, "tenant-ec", &tenant_claims(OTHER, OTHER))
        )
        .await,
        ErrorCode::TenantNotAllowed
    );
    assert_eq!(
        code(
            &f,
            &token(Algorithm::ES256, "tenant-ec", &tenant_claims(TENANT, OTHER))
        )
        .await,
        ErrorCode::IssuerUntrusted
    );
    assert_eq!(
        code(
            &f,
            &token(
                Algorithm::ES256,
                "tenant-ec",
                &tenant_claims(TENANT, "common")
            )
        )
        .await,
        ErrorCode::InvalidClaim
    );
    // The plain issuer's keys never verify a tenant token (C17), and the
    // tenant key set never verifies the plain issuer's tokens.
    assert_eq!(
        code(
            &f,
            &token(Algorithm::RS256, "rsa", &tenant_claims(TENANT, TENANT))
        )
        .await,
        ErrorCode::UnknownKid
    );
    assert_eq!(
        code(
            &f,
            &token(Algorithm::ES256, "tenant-ec", &claims(&f.issuer))
        )
        .await,
        ErrorCode::UnknownKid
    );
    assert!(f
        .verifier
        .verify(&token(Algorithm::RS256, "rsa", &claims(&f.issuer)))
        .await
        .is_ok());
}

#[test]
fn issuer_templates_need_a_configured_key_set() {
    let config = VerifierConfig {
        issuers: vec![IssuerSource {
            issuer: "https://login.microsoftonline.com/{tenantid}/v2.0".into(),
            jwks_uri: None,
            kind: ServerType::Oidc,
            tenants: None,
        }],
        algorithms: crate::algorithms::all(),
        rules: ClaimRules::default(),
        max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
        key_sets: KeySetOptions::default(),
        discovery: FetchOptions::default(),
        token_cache_entries: 0,
        token_cache_max_age: Duration::from_secs(1),
        offload: Offload::Never,
    };
    let err = Verifier::new(config, None, spawner()).err().unwrap();
    assert!(
        err.reason.contains("needs an explicit jwksUri"),
        "{}",
        err.reason
    );
}
