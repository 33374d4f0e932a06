//! A JWK's public key and its signature check.
//!
//! aws-lc-rs builds a key object (for RSA, also its Montgomery context) from
//! the components. Done per check, that was about a fifth of an RS256
//! verification (bench/README.md, item 7), so a key-set key is prepared once,
//! when the set loads, for each algorithm it is bound to (C14). A key used
//! once (a DPoP proof's `jwk`) is not prepared: it is built for its one check,
//! as it always was. Both paths run the same aws-lc-rs checks, so they accept
//! and refuse exactly the same signatures.

use aws_lc_rs::signature::{
    self, EcdsaVerificationAlgorithm, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use jsonwebtoken::Algorithm;

/// The decoded public components of a JWK, checked for size by `jwk.rs`.
#[derive(Clone)]
pub(crate) enum Material {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// SEC1 uncompressed point: `0x04 || x || y`.
    Ec(Vec<u8>),
    /// The raw 32-byte Ed25519 key.
    Ed25519(Vec<u8>),
}

/// What aws-lc-rs verifies for a JWS algorithm. HMAC and `none` have no
/// entry: a public key never verifies them (RFC 8725 §3.1).
enum Scheme {
    Rsa(&'static RsaParameters),
    Ec(&'static EcdsaVerificationAlgorithm),
    Ed25519,
}

fn scheme(alg: Algorithm) -> Option<Scheme> {
    Some(match alg {
        // RSA below 2048 bits is refused by these parameters too (and by `jwk.rs`).
        Algorithm::RS256 => Scheme::Rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Scheme::Rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Scheme::Rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Scheme::Rsa(&signature::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Scheme::Rsa(&signature::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Scheme::Rsa(&signature::RSA_PSS_2048_8192_SHA512),
        // JWS carries ECDSA signatures as fixed-width `r || s` (RFC 7518 §3.4).
        Algorithm::ES256 => Scheme::Ec(&signature::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Scheme::Ec(&signature::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => Scheme::Ed25519,
        _ => return None,
    })
}

/// A public key, possibly prepared for some algorithms.
#[derive(Clone)]
pub struct PublicKey {
    material: Material,
    /// Filled by `prepare`. `None` for an algorithm aws-lc-rs refuses the key
    /// for: every check then fails, as the per-check build failed before.
    prepared: Vec<(Algorithm, Option<ParsedPublicKey>)>,
}

impl PublicKey {
    pub(crate) fn new(material: Material) -> Self {
        Self {
            material,
            prepared: Vec::new(),
        }
    }

    /// Builds the key once for each of `algorithms`, for every later check.
    pub(crate) fn prepare(&mut self, algorithms: &[Algorithm]) {
        self.prepared = algorithms
            .iter()
            .map(|alg| (*alg, self.parse_for(*alg)))
            .collect();
    }

    fn parse_for(&self, alg: Algorithm) -> Option<ParsedPublicKey> {
        match (&self.material, scheme(alg)?) {
            (Material::Rsa { n, e }, Scheme::Rsa(params)) => RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(params)
                .ok(),
            (Material::Ec(point), Scheme::Ec(ecdsa)) => ParsedPublicKey::new(ecdsa, point).ok(),
            (Material::Ed25519(x), Scheme::Ed25519) => {
                ParsedPublicKey::new(&signature::ED25519, x).ok()
            }
            _ => None,
        }
    }

    /// Whether `signature` (decoded) signs `message` under `alg` with this key.
    /// A prepared key answers only for the algorithms it was prepared for.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        if !self.prepared.is_empty() {
            return self
                .prepared
                .iter()
                .find(|(a, _)| *a == alg)
                .and_then(|(_, key)| key.as_ref())
                .is_some_and(|key| key.verify_sig(message, signature).is_ok());
        }
        let Some(scheme) = scheme(alg) else {
            return false;
        };
        let checked = match (&self.material, scheme) {
            (Material::Rsa { n, e }, Scheme::Rsa(params)) => {
                RsaPublicKeyComponents { n, e }.verify(params, message, signature)
            }
            (Material::Ec(point), Scheme::Ec(ecdsa)) => {
                UnparsedPublicKey::new(ecdsa, point).verify(message, signature)
            }
            (Material::Ed25519(x), Scheme::Ed25519) => {
                UnparsedPublicKey::new(&signature::ED25519, x).verify(message, signature)
            }
            _ => return false,
        };
        checked.is_ok()
    }

    #[cfg(test)]
    pub(crate) fn is_prepared_for(&self, alg: Algorithm) -> bool {
        self.prepared
            .iter()
            .any(|(a, key)| *a == alg && key.is_some())
    }
}

#[cfg(test)]
#[path = "public_key_tests.rs"]
mod tests;
