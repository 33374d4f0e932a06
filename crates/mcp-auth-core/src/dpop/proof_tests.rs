use super::*;
use crate::test_keys::{public_jwk, sign, sign_raw};
use serde_json::json;

const ORIGIN: &str = "https://mcp.example.com";
const TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.e30.sig";
const NOW: f64 = 1_800_000_000.0;

fn rules() -> DpopRules {
    DpopRules {
        algorithms: crate::keys::algorithms::all(),
        iat_window: 300,
        origin: ORIGIN.into(),
    }
}

fn jwk(alg: Algorithm) -> Value {
    let mut jwk = public_jwk(alg, "k");
    jwk.as_object_mut().unwrap().remove("kid");
    jwk
}

fn jkt(alg: Algorithm) -> String {
    crate::keys::thumbprint::thumbprint(jwk(alg).as_object().unwrap()).unwrap()
}

fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ))
}

fn header(alg: Algorithm) -> Value {
    json!({ "typ": "dpop+jwt", "alg": crate::keys::algorithms::name(alg), "jwk": jwk(alg) })
}

fn claims() -> Value {
    json!({ "jti": "j-1", "htm": "POST", "htu": "https://mcp.example.com/mcp", "iat": NOW, "ath": ath(TOKEN) })
}

fn proof_with(alg: Algorithm, edit: impl FnOnce(&mut Value, &mut Value)) -> String {
    let (mut h, mut c) = (header(alg), claims());
    edit(&mut h, &mut c);
    sign(alg, &h, &c)
}

fn check(proof: &str, jkt: &str) -> AuthResult<CheckedProof> {
    let request = ProofRequest {
        method: "POST",
        path: "/mcp?x=1",
        access_token: TOKEN,
        jkt,
    };
    check_proof(proof, &request, &rules(), NOW).map(|(checked, _)| checked)
}

fn code(proof: &str) -> Option<ErrorCode> {
    check(proof, &jkt(Algorithm::ES256)).err().map(|e| e.code)
}

#[test]
fn accepts_a_valid_proof_for_each_key_type() {
    for alg in [
        Algorithm::ES256,
        Algorithm::EdDSA,
        Algorithm::RS256,
        Algorithm::PS256,
    ] {
        let proof = proof_with(alg, |_, _| {});
        let checked = check(&proof, &jkt(alg)).unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert!(checked.remaining >= 300);
        assert_eq!(checked.nonce, None);
    }
}

#[test]
fn the_replay_key_depends_on_key_and_jti() {
    let a = check(
        &proof_with(Algorithm::ES256, |_, _| {}),
        &jkt(Algorithm::ES256),
    )
    .unwrap();
    let b = check(
        &proof_with(Algorithm::ES256, |_, c| c["jti"] = "j-2".into()),
        &jkt(Algorithm::ES256),
    )
    .unwrap();
    let c = check(
        &proof_with(Algorithm::EdDSA, |_, _| {}),
        &jkt(Algorithm::EdDSA),
    )
    .unwrap();
    assert_ne!(a.replay_digest, b.replay_digest);
    assert_ne!(a.replay_digest, c.replay_digest);
}

#[test]
fn refuses_the_wrong_typ() {
    for typ in [json!("JWT"), json!("at+jwt"), json!(null), json!(1)] {
        assert_eq!(
            code(&proof_with(Algorithm::ES256, |h, _| h["typ"] = typ.clone())),
            Some(ErrorCode::DpopProofType),
            "{typ}"
        );
    }
    let no_typ = proof_with(Algorithm::ES256, |h, _| {
        h.as_object_mut().unwrap().remove("typ");
    });
    assert_eq!(code(&no_typ), Some(ErrorCode::DpopProofType));
}

#[test]
fn refuses_none_and_hmac() {
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(
            json!({ "typ": "dpop+jwt", "alg": "none", "jwk": jwk(Algorithm::ES256) }).to_string()
        ),
        URL_SAFE_NO_PAD.encode(claims().to_string())
    );
    assert!(matches!(
        code(&none),
        Some(ErrorCode::DpopAlgNotAllowed | ErrorCode::DpopProofMalformed)
    ));
    let hs = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(
            json!({ "typ": "dpop+jwt", "alg": "HS256", "jwk": { "kty": "oct", "k": "c2VjcmV0" } })
                .to_string()
        ),
        URL_SAFE_NO_PAD.encode(claims().to_string())
    );
    assert_eq!(code(&hs), Some(ErrorCode::DpopAlgNotAllowed));
}

#[test]
fn refuses_private_symmetric_and_mismatched_keys() {
    for member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        let proof = proof_with(Algorithm::ES256, |h, _| h["jwk"][member] = "AAAA".into());
        assert_eq!(code(&proof), Some(ErrorCode::DpopKeyInvalid), "{member}");
    }
    let oct = proof_with(Algorithm::ES256, |h, _| {
        h["jwk"] = json!({ "kty": "oct", "k": "c2VjcmV0" })
    });
    assert_eq!(code(&oct), Some(ErrorCode::DpopKeyInvalid));
    let no_jwk = proof_with(Algorithm::ES256, |h, _| {
        h.as_object_mut().unwrap().remove("jwk");
    });
    assert_eq!(code(&no_jwk), Some(ErrorCode::DpopKeyInvalid));
    // An RSA key cannot carry an ES256 proof.
    let wrong = proof_with(Algorithm::ES256, |h, _| h["jwk"] = jwk(Algorithm::RS256));
    assert_eq!(
        check(&wrong, &jkt(Algorithm::RS256)).unwrap_err().code,
        ErrorCode::DpopKeyInvalid
    );
}

#[test]
fn refuses_a_bad_signature() {
    let proof = proof_with(Algorithm::ES256, |_, _| {});
    let (input, _) = proof.rsplit_once('.').unwrap();
    let other = proof_with(Algorithm::ES256, |_, c| c["jti"] = "other".into());
    let forged = format!("{input}.{}", other.rsplit_once('.').unwrap().1);
    assert_eq!(code(&forged), Some(ErrorCode::DpopBadSignature));
}

#[test]
fn refuses_a_key_that_is_not_the_bound_one() {
    let proof = proof_with(Algorithm::EdDSA, |_, _| {});
    assert_eq!(
        check(&proof, &jkt(Algorithm::ES256)).unwrap_err().code,
        ErrorCode::DpopJktMismatch
    );
}

#[test]
fn checks_htm_and_htu_against_the_configured_origin() {
    assert_eq!(
        code(&proof_with(Algorithm::ES256, |_, c| c["htm"] = "GET".into())),
        Some(ErrorCode::DpopHtmMismatch)
    );
    assert_eq!(
        code(&proof_with(Algorithm::ES256, |_, c| c["htm"] = "post".into())),
        Some(ErrorCode::DpopHtmMismatch)
    );
    for htu in [
        "HTTPS://MCP.example.com:443/mcp",
        "https://mcp.example.com/mcp?q=2",
        "https://mcp.example.com/mcp#f",
    ] {
        assert_eq!(
            code(&proof_with(Algorithm::ES256, |_, c| c["htu"] = htu.into())),
            None,
            "{htu}"
        );
    }
    for htu in [
        json!("https://evil.example.com/mcp"),
        json!("http://mcp.example.com/mcp"),
        json!("https://mcp.example.com:8443/mcp"),
        json!("https://mcp.example.com/other"),
        json!("https://mcp.example.com/MCP"),
        json!("/mcp"),
        json!(7),
    ] {
        assert_eq!(
            code(&proof_with(Algorithm::ES256, |_, c| c["htu"] = htu.clone())),
            Some(ErrorCode::DpopHtuMismatch),
            "{htu}"
        );
    }
    assert_eq!(
        normalize_htu("https://a.example/%7euser").as_deref(),
        Some("https://a.example/%7Euser")
    );
    assert_eq!(
        normalize_htu("https://A.example").as_deref(),
        Some("https://a.example/")
    );
    // Only a hex pair is a percent-encoding: `%zz` and `%ZZ` are two paths.
    assert_ne!(
        normalize_htu("https://a.example/%zz"),
        normalize_htu("https://a.example/%ZZ")
    );
}

#[test]
fn checks_iat_on_both_sides_of_the_window() {
    for (iat, ok) in [
        (NOW - 300.0, true),
        (NOW + 300.0, true),
        (NOW - 301.0, false),
        (NOW + 301.0, false),
    ] {
        let got = code(&proof_with(Algorithm::ES256, |_, c| c["iat"] = iat.into()));
        assert_eq!(
            got,
            if ok {
                None
            } else {
                Some(ErrorCode::DpopIatOutOfWindow)
            },
            "{iat}"
        );
    }
    assert_eq!(
        code(&proof_with(Algorithm::ES256, |_, c| c["iat"] = "now".into())),
        Some(ErrorCode::DpopProofMalformed)
    );
}

#[test]
fn checks_jti_and_ath() {
    for jti in [json!(""), json!(1), json!("x".repeat(257))] {
        assert_eq!(
            code(&proof_with(Algorithm::ES256, |_, c| c["jti"] = jti.clone())),
            Some(ErrorCode::DpopProofMalformed)
        );
    }
    let no_jti = proof_with(Algorithm::ES256, |_, c| {
        c.as_object_mut().unwrap().remove("jti");
    });
    assert_eq!(code(&no_jti), Some(ErrorCode::DpopProofMalformed));
    for ath in [
        json!(ath("another token")),
        json!(format!("{}=", ath(TOKEN))),
        json!(null),
    ] {
        assert_eq!(
            code(&proof_with(Algorithm::ES256, |_, c| c["ath"] = ath.clone())),
            Some(ErrorCode::DpopAthMismatch)
        );
    }
}

#[test]
fn uses_the_strict_jws_rules() {
    let duplicate = sign_raw(
        Algorithm::ES256,
        &header(Algorithm::ES256).to_string(),
        &format!("{{\"jti\":\"a\",{}", &claims().to_string()[1..]),
    );
    assert_eq!(code(&duplicate), Some(ErrorCode::DpopProofMalformed));
    assert_eq!(
        code(&"a".repeat(MAX_PROOF_LENGTH + 1)),
        Some(ErrorCode::DpopProofMalformed)
    );
    assert_eq!(code("not a jws"), Some(ErrorCode::DpopProofMalformed));
}

#[test]
fn the_checker_refuses_replays_and_asks_for_nonces() {
    let now = unix_now();
    let fresh = |edit: &dyn Fn(&mut Value)| {
        proof_with(Algorithm::ES256, |_, c| {
            c["iat"] = now.floor().into();
            edit(c);
        })
    };
    let key = jkt(Algorithm::ES256);
    let request = ProofRequest {
        method: "POST",
        path: "/mcp",
        access_token: TOKEN,
        jkt: &key,
    };
    let checker = DpopChecker::new(Mode::Allowed, rules(), None, Limits::with_per_key(16, None));
    let proof = fresh(&|_| {});
    assert!(checker.check(&proof, &request).is_ok());
    assert_eq!(
        checker.check(&proof, &request).unwrap_err().code,
        ErrorCode::DpopReplayed
    );

    let checker = DpopChecker::new(
        Mode::Required,
        rules(),
        Some(NonceSource::new(None, 60)),
        Limits::with_per_key(16, None),
    );
    assert_eq!(
        checker.check(&fresh(&|_| {}), &request).unwrap_err().code,
        ErrorCode::DpopNonceRequired
    );
    assert_eq!(
        checker
            .check(&fresh(&|c| c["nonce"] = "stale".into()), &request)
            .unwrap_err()
            .code,
        ErrorCode::DpopNonceRequired
    );
    let nonce = checker.nonce().unwrap();
    assert!(checker
        .check(&fresh(&|c| c["nonce"] = nonce.clone().into()), &request)
        .is_ok());
}

#[test]
fn verifying_uses_nothing_up_recording_does() {
    let now = unix_now().floor();
    let key = jkt(Algorithm::ES256);
    let request = ProofRequest {
        method: "POST",
        path: "/mcp",
        access_token: TOKEN,
        jkt: &key,
    };
    let dated = |jti: &str, iat: f64| {
        let jti = jti.to_owned();
        proof_with(Algorithm::ES256, move |_, c| {
            c["iat"] = iat.into();
            c["jti"] = jti.into();
        })
    };
    let limits = Limits {
        capacity: 10,
        per_key: 3,
        ahead_per_key: 1,
    };
    let checker = DpopChecker::new(Mode::Allowed, rules(), None, limits);
    let proof = dated("a", now);
    // A request refused after verification (e.g. 403) leaves no trace.
    let first = checker.verify(&proof, &request).unwrap();
    let again = checker.verify(&proof, &request).unwrap();
    assert!(!first.ahead);
    assert!(checker.record(&first).is_ok());
    assert_eq!(
        checker.record(&again).unwrap_err().code,
        ErrorCode::DpopReplayed
    );

    // Dated ahead (by the most the window allows): its own, smaller share.
    let ahead = checker.verify(&dated("b", now + 299.0), &request).unwrap();
    assert!(ahead.ahead && ahead.remaining > 500);
    assert!(checker.record(&ahead).is_ok());
    let refused = checker
        .record(&checker.verify(&dated("c", now + 299.0), &request).unwrap())
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::DpopReplayShareExceeded);
    assert!(refused.retry_after.unwrap() > 500);

    // The key's whole share is used: refused with the time its first slot frees.
    assert!(checker.check(&dated("d", now), &request).is_ok());
    let refused = checker.check(&dated("f", now), &request).unwrap_err();
    assert_eq!(refused.code, ErrorCode::DpopReplayShareExceeded);
    assert!((299..=302).contains(&refused.retry_after.unwrap()));
    // A few seconds ahead is clock skew, not a long-lived proof.
    assert!(
        !checker
            .verify(&dated("e", now + 4.0), &request)
            .unwrap()
            .ahead
    );
}
