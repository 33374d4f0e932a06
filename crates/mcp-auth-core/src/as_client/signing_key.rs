//! The `private_key_jwt` key as the options give it, in the forms the Node
//! package accepts: PEM (PKCS#8, PKCS#1 RSA or SEC1 EC) or a private JWK
//! (RSA with its CRT members, EC P-256/P-384, OKP Ed25519). No error and no
//! `Debug` output of this module shows any part of the key.

use crate::error::{AuthError, AuthResult};
use crate::keys::algorithms;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// `privateKey` (of `introspection` or `tokenExchange`): PEM text or a JWK object.
#[derive(Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PrivateKey {
    Pem(String),
    Jwk(Map<String, Value>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(…)")
    }
}

pub(crate) enum SigningKey {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// The key's bytes, before they are read for one algorithm.
enum Material {
    Pkcs8(Vec<u8>),
    /// A DER `RSAPrivateKey` (RFC 8017): a PKCS#1 PEM, or built from a JWK.
    Pkcs1(Vec<u8>),
    /// A DER `ECPrivateKey` (RFC 5915).
    Sec1(Vec<u8>),
    /// A JWK's EC key: curve, private scalar, uncompressed public point.
    Ec {
        curve: &'static str,
        scalar: Vec<u8>,
        point: Vec<u8>,
    },
    /// A JWK's Ed25519 key: seed and public key.
    Ed25519 {
        seed: Vec<u8>,
        public: Vec<u8>,
    },
}

/// `prefix`: the option the key came in (`introspection`, `tokenExchange`).
pub(crate) fn key_error(prefix: &str) -> AuthError {
    AuthError::config(format!(
        "`{prefix}.privateKey` must be an unencrypted private key of RSA (2048 bits or more), P-256, P-384 or Ed25519 that fits `{prefix}.signingAlgorithm`: PEM (PKCS#8, PKCS#1 or SEC1) or a private JWK"
    ))
}

impl PrivateKey {
    /// The key for `alg`, or, without one, for the first of RS256, ES256,
    /// ES384 and EdDSA it fits.
    pub(crate) fn load(
        &self,
        alg: Option<Algorithm>,
        prefix: &str,
    ) -> AuthResult<(Algorithm, SigningKey)> {
        let material = match self {
            Self::Pem(text) => from_pem(text),
            Self::Jwk(jwk) => from_jwk(jwk),
        }
        .ok_or_else(|| key_error(prefix))?;
        let candidates = match alg {
            Some(alg) => vec![alg],
            None => vec![
                Algorithm::RS256,
                Algorithm::ES256,
                Algorithm::ES384,
                Algorithm::EdDSA,
            ],
        };
        candidates
            .into_iter()
            .find_map(|alg| load(&material, alg).map(|key| (alg, key)))
            .ok_or_else(|| key_error(prefix))
    }
}

fn from_pem(text: &str) -> Option<Material> {
    let text = text.trim();
    for (label, wrap) in [
        ("PRIVATE KEY", Material::Pkcs8 as fn(Vec<u8>) -> Material),
        ("RSA PRIVATE KEY", Material::Pkcs1),
        ("EC PRIVATE KEY", Material::Sec1),
    ] {
        let body = text
            .strip_prefix(&format!("-----BEGIN {label}-----"))
            .and_then(|rest| rest.strip_suffix(&format!("-----END {label}-----")));
        if let Some(body) = body {
            let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            return STANDARD.decode(base64).ok().map(wrap);
        }
    }
    None
}

fn member(jwk: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(jwk.get(name)?.as_str()?).ok()
}

fn from_jwk(jwk: &Map<String, Value>) -> Option<Material> {
    let d = member(jwk, "d")?; // without `d` it is a public key
    match (
        jwk.get("kty")?.as_str()?,
        jwk.get("crv").and_then(Value::as_str),
    ) {
        ("RSA", _) => {
            let mut parts = vec![vec![0u8]]; // version 0: two primes
            for name in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
                parts.push(if name == "d" {
                    d.clone()
                } else {
                    member(jwk, name)?
                });
            }
            Some(Material::Pkcs1(der_sequence(&parts)))
        }
        ("EC", Some(crv @ ("P-256" | "P-384"))) => {
            let size = if crv == "P-256" { 32 } else { 48 };
            let (x, y) = (member(jwk, "x")?, member(jwk, "y")?);
            if x.len() != size || y.len() != size || d.len() != size {
                return None;
            }
            let point = [&[4u8][..], &x, &y].concat();
            let curve = if crv == "P-256" { "P-256" } else { "P-384" };
            Some(Material::Ec {
                curve,
                scalar: d,
                point,
            })
        }
        ("OKP", Some("Ed25519")) => Some(Material::Ed25519 {
            seed: d,
            public: member(jwk, "x")?,
        }),
        _ => None,
    }
}

/// A DER SEQUENCE of unsigned big-endian INTEGERs.
fn der_sequence(integers: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for value in integers {
        let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
        let mut digits = value[start..].to_vec();
        if digits.first().is_none_or(|&b| b & 0x80 != 0) {
            digits.insert(0, 0); // zero, or a positive number whose top bit is set
        }
        body.push(0x02);
        der_length(&mut body, digits.len());
        body.extend_from_slice(&digits);
    }
    let mut out = vec![0x30];
    der_length(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

fn der_length(out: &mut Vec<u8>, length: usize) {
    if length < 0x80 {
        out.push(length as u8);
        return;
    }
    let bytes: Vec<u8> = length
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    out.push(0x80 | bytes.len() as u8);
    out.extend_from_slice(&bytes);
}

fn load(material: &Material, alg: Algorithm) -> Option<SigningKey> {
    let ecdsa = |curve: &str| match curve {
        "P-256" => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        _ => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
    };
    let name = algorithms::name(alg);
    match (name, material) {
        (_, Material::Pkcs8(der)) if algorithms::is_rsa(alg) => {
            RsaKeyPair::from_pkcs8(der).ok().map(SigningKey::Rsa)
        }
        (_, Material::Pkcs1(der)) if algorithms::is_rsa(alg) => {
            RsaKeyPair::from_der(der).ok().map(SigningKey::Rsa)
        }
        ("ES256" | "ES384", Material::Pkcs8(der)) => {
            let curve = if name == "ES256" { "P-256" } else { "P-384" };
            EcdsaKeyPair::from_pkcs8(ecdsa(curve), der)
                .ok()
                .map(SigningKey::Ecdsa)
        }
        ("ES256" | "ES384", Material::Sec1(der)) => {
            let curve = if name == "ES256" { "P-256" } else { "P-384" };
            EcdsaKeyPair::from_private_key_der(ecdsa(curve), der)
                .ok()
                .map(SigningKey::Ecdsa)
        }
        (
            "ES256" | "ES384",
            Material::Ec {
                curve,
                scalar,
                point,
            },
        ) if (name == "ES256") == (*curve == "P-256") => {
            EcdsaKeyPair::from_private_key_and_public_key(ecdsa(curve), scalar, point)
                .ok()
                .map(SigningKey::Ecdsa)
        }
        ("EdDSA", Material::Pkcs8(der)) => Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .ok()
            .map(SigningKey::Ed25519),
        ("EdDSA", Material::Ed25519 { seed, public }) => {
            Ed25519KeyPair::from_seed_and_public_key(seed, public)
                .ok()
                .map(SigningKey::Ed25519)
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "signing_key_tests.rs"]
mod tests;
