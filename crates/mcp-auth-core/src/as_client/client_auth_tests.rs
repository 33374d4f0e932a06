//! Client authentication: what the endpoint receives, verified.
use super::*;
use crate::as_client::signing_key::PrivateKey;
use crate::test_keys::{EC_P256_DER, ED25519_DER};
use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ED25519};
use serde_json::Value;

fn pem(der: &str) -> PrivateKey {
    PrivateKey::Pem(format!(
        "-----BEGIN PRIVATE KEY-----\n{der}\n-----END PRIVATE KEY-----\n"
    ))
}

fn part(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

#[test]
fn basic_header_form_encodes_each_part() {
    // RFC 6749 §2.3.1: "a:b" and "p w+" are encoded before base64.
    let header = basic_header("a:b", "p w+");
    let decoded = STANDARD
        .decode(header.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), "a%3Ab:p+w%2B");
}

#[test]
fn assertions_are_signed_fresh_and_verify() {
    for (der, alg, verify) in [
        (
            EC_P256_DER,
            "ES256",
            &ECDSA_P256_SHA256_FIXED as &dyn signature::VerificationAlgorithm,
        ),
        (ED25519_DER, "EdDSA", &ED25519),
    ] {
        let a = Assertions::new(
            "rs-client".into(),
            Some("k1".into()),
            &pem(der),
            None,
            "introspection",
        )
        .unwrap();
        assert_eq!(algorithms::name(a.algorithm()), alg);
        let one = a.sign("https://as.example.com").unwrap();
        let two = a.sign("https://as.example.com").unwrap();
        let segments: Vec<&str> = one.split('.').collect();
        let header = part(segments[0]);
        assert_eq!(header["alg"], alg);
        assert_eq!(header["kid"], "k1");
        let claims = part(segments[1]);
        assert_eq!(claims["iss"], "rs-client");
        assert_eq!(claims["sub"], "rs-client");
        assert_eq!(claims["aud"], "https://as.example.com");
        let (iat, exp) = (
            claims["iat"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert!(exp > iat && exp - iat <= 60);
        assert_ne!(claims["jti"], part(two.split('.').nth(1).unwrap())["jti"]);
        let signature = URL_SAFE_NO_PAD.decode(segments[2]).unwrap();
        let input = format!("{}.{}", segments[0], segments[1]);
        UnparsedPublicKey::new(verify, a.public_key_der())
            .verify(input.as_bytes(), &signature)
            .expect("assertion signature verifies with the public key");
    }
}

#[test]
fn keys_are_refused_without_echo() {
    for (key, alg) in [
        (
            PrivateKey::Pem(
                "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----".into(),
            ),
            None,
        ),
        (pem(EC_P256_DER), Some("HS256")),
        (pem(EC_P256_DER), Some("RS256")),
    ] {
        let err = Assertions::new("c".into(), None, &key, alg, "introspection")
            .err()
            .unwrap();
        assert!(!err.reason.contains("bm90IGEga2V5"), "{}", err.reason);
    }
    let post = ClientAuth::Post {
        client_id: "c".into(),
        secret: "s3cret".into(),
    };
    assert!(!format!("{post:?}").contains("s3cret"));
    let creds = post.credentials("aud").unwrap();
    assert_eq!(creds.form[1], ("client_secret", "s3cret".to_owned()));
    assert!(creds.authorization.is_none());
}
