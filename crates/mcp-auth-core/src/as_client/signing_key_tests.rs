//! Every accepted form of a key loads the same key pair; other values are refused.
use super::*;
use crate::test_keys::{EC_P256_DER, ED25519_DER, ED25519_JWK, RSA_DER};
use aws_lc_rs::signature::KeyPair;

fn der(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap()
}

fn pem(label: &str, der: &[u8]) -> PrivateKey {
    let body = STANDARD.encode(der);
    PrivateKey::Pem(format!(
        "-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"
    ))
}

fn public(key: &SigningKey) -> Vec<u8> {
    match key {
        SigningKey::Rsa(k) => k.public_key().as_ref().to_vec(),
        SigningKey::Ecdsa(k) => k.public_key().as_ref().to_vec(),
        SigningKey::Ed25519(k) => k.public_key().as_ref().to_vec(),
    }
}

fn jwk(members: &[(&str, &[u8])]) -> PrivateKey {
    let mut map = Map::new();
    for (name, value) in members {
        let value = match *name {
            "kty" | "crv" => String::from_utf8(value.to_vec()).unwrap(),
            _ => URL_SAFE_NO_PAD.encode(value),
        };
        map.insert((*name).to_owned(), Value::String(value));
    }
    PrivateKey::Jwk(map)
}

/// The INTEGERs of a DER SEQUENCE (a test reader: short and long lengths).
fn integers(der: &[u8]) -> Vec<Vec<u8>> {
    let length = |at: &mut usize| -> usize {
        let first = der[*at] as usize;
        *at += 1;
        if first < 0x80 {
            return first;
        }
        let mut n = 0;
        for _ in 0..first & 0x7f {
            n = n << 8 | der[*at] as usize;
            *at += 1;
        }
        n
    };
    let mut at = 1;
    length(&mut at);
    let mut out = Vec::new();
    while at < der.len() {
        assert_eq!(der[at], 0x02);
        at += 1;
        let n = length(&mut at);
        out.push(der[at..at + n].to_vec());
        at += n;
    }
    out
}

#[test]
fn rsa_pkcs1_pem_and_jwk_load_the_same_key() {
    let pkcs1 = der(RSA_DER);
    let (alg, from_pem) = pem("RSA PRIVATE KEY", &pkcs1)
        .load(None, "introspection")
        .unwrap();
    assert_eq!(alg, Algorithm::RS256);
    let ints = integers(&pkcs1);
    let names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
    let mut members: Vec<(&str, &[u8])> = vec![("kty", b"RSA")];
    members.extend(names.iter().zip(&ints[1..]).map(|(n, v)| (*n, &v[..])));
    let (alg, from_jwk) = jwk(&members)
        .load(Some(Algorithm::PS256), "introspection")
        .unwrap();
    assert_eq!(alg, Algorithm::PS256);
    assert_eq!(public(&from_jwk), public(&from_pem));
    // The DER built from the JWK is the PKCS#1 DER itself.
    assert_eq!(der_sequence(&ints), pkcs1);
    // Without a CRT member it is not loaded.
    assert!(jwk(&members[..8]).load(None, "introspection").is_err());
}

#[test]
fn ec_pkcs8_sec1_and_jwk_load_the_same_key() {
    let pkcs8 = der(EC_P256_DER);
    let (_, reference) = pem("PRIVATE KEY", &pkcs8)
        .load(None, "introspection")
        .unwrap();
    // The PKCS#8 wraps an RFC 5915 ECPrivateKey: `30 6b 02 01 01 04 20 <d> …`.
    let sec1_at = pkcs8
        .windows(7)
        .position(|w| w == [0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20])
        .unwrap();
    let sec1 = &pkcs8[sec1_at..];
    let (alg, from_sec1) = pem("EC PRIVATE KEY", sec1)
        .load(None, "introspection")
        .unwrap();
    assert_eq!(alg, Algorithm::ES256);
    assert_eq!(public(&from_sec1), public(&reference));
    let d = &sec1[7..39];
    let point = public(&reference);
    let members: [(&str, &[u8]); 5] = [
        ("kty", b"EC"),
        ("crv", b"P-256"),
        ("x", &point[1..33]),
        ("y", &point[33..]),
        ("d", d),
    ];
    let (alg, from_jwk) = jwk(&members).load(None, "introspection").unwrap();
    assert_eq!(alg, Algorithm::ES256);
    assert_eq!(public(&from_jwk), point);
    assert!(jwk(&members)
        .load(Some(Algorithm::ES384), "introspection")
        .is_err());
    // A scalar that is not the point's: refused, not a mismatched pair.
    let other: [(&str, &[u8]); 5] = [
        members[0],
        members[1],
        members[2],
        members[3],
        ("d", &[7; 32]),
    ];
    assert!(jwk(&other).load(None, "introspection").is_err());
}

#[test]
fn ed25519_jwk_loads() {
    let pkcs8 = der(ED25519_DER);
    let seed = &pkcs8[pkcs8.len() - 32..];
    let x: Value = serde_json::from_str(ED25519_JWK).unwrap();
    let x = URL_SAFE_NO_PAD.decode(x["x"].as_str().unwrap()).unwrap();
    let members: [(&str, &[u8]); 4] =
        [("kty", b"OKP"), ("crv", b"Ed25519"), ("x", &x), ("d", seed)];
    let (alg, key) = jwk(&members).load(None, "introspection").unwrap();
    assert_eq!(alg, Algorithm::EdDSA);
    assert_eq!(public(&key), x);
}

#[test]
fn public_or_foreign_keys_are_refused_without_echo() {
    let point = [4u8; 32];
    for key in [
        jwk(&[("kty", b"OKP"), ("crv", b"Ed25519"), ("x", &point)]),
        jwk(&[("kty", b"oct"), ("k", &point), ("d", &point)]),
        jwk(&[
            ("kty", b"EC"),
            ("crv", b"P-521"),
            ("x", &point),
            ("y", &point),
            ("d", &point),
        ]),
        pem("ENCRYPTED PRIVATE KEY", &point),
        PrivateKey::Pem("not a key".into()),
    ] {
        let err = key.load(None, "introspection").err().unwrap();
        assert_eq!(err.reason, key_error("introspection").reason);
        assert_eq!(format!("{key:?}"), "PrivateKey(…)");
    }
    // Decoded from options: a string or an object, anything else is refused.
    let value: PrivateKey = serde_json::from_value(serde_json::json!({"kty": "OKP"})).unwrap();
    assert!(matches!(value, PrivateKey::Jwk(_)));
    assert!(serde_json::from_value::<PrivateKey>(serde_json::json!(42)).is_err());
}

#[test]
fn a_refused_key_names_the_option_it_came_in() {
    let refused = PrivateKey::Pem("not a key".to_owned());
    for prefix in ["introspection", "tokenExchange"] {
        let err = refused.load(None, prefix).err().unwrap();
        assert!(err.reason.contains(&format!("`{prefix}.privateKey`")));
        assert!(err.reason.contains(&format!("`{prefix}.signingAlgorithm`")));
        assert!(!err.reason.contains("not a key"));
    }
}
