//! The verified-token cache as the verifier uses it: re-checked on every
//! use, dropped with its key, bounded by its max age.

use super::*;

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
