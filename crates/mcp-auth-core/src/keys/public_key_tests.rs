use super::*;
use crate::keys::algorithms;
use crate::keys::jwk::{parse_key, parse_key_set, KeyMatch, KeySet};
use crate::test_keys;
use crate::tokens::token::{self, ParsedToken, DEFAULT_MAX_TOKEN_LENGTH};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

/// A private key for one algorithm and its public JWK (kid `k`, no `alg`).
enum Signer {
    Fixed(Algorithm),
    P384(EcdsaKeyPair),
}

impl Signer {
    fn for_alg(alg: Algorithm) -> Self {
        match alg {
            // The fixed test keys have no P-384 key: make one.
            Algorithm::ES384 => {
                Signer::P384(EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).unwrap())
            }
            other => Signer::Fixed(other),
        }
    }

    fn jwk(&self) -> Value {
        match self {
            Signer::Fixed(alg) => test_keys::public_jwk(*alg, "k"),
            Signer::P384(pair) => {
                let point = pair.public_key().as_ref();
                assert_eq!(point.len(), 97);
                json!({
                    "kty": "EC", "crv": "P-384", "kid": "k",
                    "x": URL_SAFE_NO_PAD.encode(&point[1..49]),
                    "y": URL_SAFE_NO_PAD.encode(&point[49..]),
                })
            }
        }
    }

    /// A token whose header names `header_alg`, signed under `signing_alg`.
    fn token(&self, header_alg: &str, signing_alg: Algorithm, payload: &str) -> String {
        let header = format!(r#"{{"alg":"{header_alg}","kid":"k"}}"#);
        match self {
            Signer::Fixed(_) => test_keys::sign_raw(signing_alg, &header, payload),
            Signer::P384(pair) => {
                assert_eq!(signing_alg, Algorithm::ES384);
                let input = format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(&header),
                    URL_SAFE_NO_PAD.encode(payload)
                );
                let sig = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
            }
        }
    }
}

fn set_of(jwk: Value) -> KeySet {
    let set = parse_key_set(json!({ "keys": [jwk] }).as_object().unwrap()).unwrap();
    assert_eq!(set.keys.len(), 1, "{:?}", set.warnings);
    set
}

fn parse(token: &str) -> ParsedToken {
    token::parse(token, DEFAULT_MAX_TOKEN_LENGTH, &algorithms::all()).unwrap()
}

/// Another allowed algorithm whose signature this key cannot have made.
fn other_alg(alg: Algorithm) -> Algorithm {
    match alg {
        Algorithm::RS256 => Algorithm::RS384,
        Algorithm::ES256 => Algorithm::ES384,
        Algorithm::ES384 => Algorithm::ES256,
        Algorithm::EdDSA => Algorithm::ES256,
        _ => Algorithm::RS256,
    }
}

fn tamper_payload(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(r#"{"n":999,"admin":true}"#);
    format!("{}.{payload}.{}", parts[0], parts[2])
}

fn tamper_signature(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    bytes[0] ^= 1;
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[test]
fn a_key_prepared_once_verifies_many_tokens_for_each_algorithm() {
    for (name, alg) in algorithms::SUPPORTED {
        let signer = Signer::for_alg(*alg);
        let mut jwk = signer.jwk();
        jwk["alg"] = (*name).into();
        let set = set_of(jwk);
        let key = &set.keys[0];
        assert_eq!(key.algorithms, vec![*alg], "{name}");
        assert!(key.key.is_prepared_for(*alg), "{name}: prepared at load");

        for i in 0..4 {
            let token = signer.token(name, *alg, &format!(r#"{{"n":{i}}}"#));
            let parsed = parse(&token);
            let KeyMatch::Found(found) = set.find(Some("k"), parsed.alg) else {
                panic!("{name}: the key is found");
            };
            assert!(parsed.signature_verifies(&found.key), "{name} token {i}");
            assert!(
                !parse(&tamper_payload(&token)).signature_verifies(&found.key),
                "{name}: payload"
            );
            assert!(
                !parse(&tamper_signature(&token)).signature_verifies(&found.key),
                "{name}: sig"
            );
        }

        // A header naming another algorithm: the key is bound to its own (C14),
        // and the prepared key answers for no other.
        let other = other_alg(*alg);
        let wrong = parse(&signer.token(algorithms::name(other), *alg, r#"{"n":0}"#));
        assert_eq!(wrong.alg, other);
        assert!(
            matches!(set.find(Some("k"), other), KeyMatch::AlgorithmMismatch),
            "{name}"
        );
        assert!(!wrong.signature_verifies(&key.key), "{name}: as {other:?}");
        assert!(!key.key.is_prepared_for(other));
        // HMAC and `none` have no scheme, whatever the key.
        let input = wrong.signing_input.as_bytes();
        assert!(!key.key.verify(Algorithm::HS256, input, &wrong.signature));
    }
}

#[test]
fn an_rsa_key_without_alg_is_prepared_for_the_rsa_family_and_checks_the_header_alg() {
    let set = set_of(test_keys::public_jwk(Algorithm::RS256, "k"));
    let key = &set.keys[0];
    for (name, alg) in algorithms::SUPPORTED {
        assert_eq!(
            key.key.is_prepared_for(*alg),
            algorithms::is_rsa(*alg),
            "{name}"
        );
    }
    for (name, alg) in algorithms::SUPPORTED
        .iter()
        .filter(|(_, a)| algorithms::is_rsa(*a))
    {
        let signer = Signer::for_alg(*alg);
        let good = parse(&signer.token(name, *alg, r#"{"n":1}"#));
        assert!(good.signature_verifies(&key.key), "{name}");
        // Signed as RS256 or PS256 but labelled as this algorithm: found, refused.
        let signed_as = if *alg == Algorithm::RS256 {
            Algorithm::PS256
        } else {
            Algorithm::RS256
        };
        let relabelled = parse(&signer.token(name, signed_as, r#"{"n":1}"#));
        assert!(matches!(set.find(Some("k"), *alg), KeyMatch::Found(_)));
        assert!(
            !relabelled.signature_verifies(&key.key),
            "{name} signed as {signed_as:?}"
        );
    }
}

#[test]
fn an_unprepared_key_gives_the_same_answers() {
    // A DPoP proof's key is checked once, without preparation.
    for (name, alg) in algorithms::SUPPORTED {
        let signer = Signer::for_alg(*alg);
        let key = parse_key(&signer.jwk()).unwrap();
        assert!(!key.key.is_prepared_for(*alg));
        let token = signer.token(name, *alg, r#"{"n":2}"#);
        assert!(parse(&token).signature_verifies(&key.key), "{name}");
        assert!(
            !parse(&tamper_signature(&token)).signature_verifies(&key.key),
            "{name}"
        );
        let other = other_alg(*alg);
        let wrong = parse(&signer.token(algorithms::name(other), *alg, r#"{"n":2}"#));
        assert!(!wrong.signature_verifies(&key.key), "{name} as {other:?}");
    }
}

#[test]
fn a_key_aws_lc_refuses_verifies_nothing() {
    // A modulus with a leading zero byte: RFC 7518 forbids it and aws-lc-rs
    // refuses it. It loads, as before, and no signature verifies with it.
    let mut jwk = test_keys::public_jwk(Algorithm::RS256, "k");
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    jwk["n"] = URL_SAFE_NO_PAD.encode([&[0u8][..], &n].concat()).into();
    let set = set_of(jwk);
    let signer = Signer::for_alg(Algorithm::RS256);
    let token = parse(&signer.token("RS256", Algorithm::RS256, "{}"));
    assert!(!set.keys[0].key.is_prepared_for(Algorithm::RS256));
    assert!(!token.signature_verifies(&set.keys[0].key));
}
