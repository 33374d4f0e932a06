//! Issuer templates (`{tenantid}`): matched by tenant, each with its own keys.

use super::*;

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
        algorithms: crate::keys::algorithms::all(),
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
