//! The one table of JWS algorithms we verify (C14): asymmetric only. HMAC and
//! `none` are absent on purpose, since keys come from a public JWKS (RFC 8725 §3.1).

use jsonwebtoken::Algorithm;

/// Every supported algorithm with its JWS name; the default allow-list is all of them.
pub const SUPPORTED: &[(&str, Algorithm)] = &[
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

/// The default allow-list.
pub fn all() -> Vec<Algorithm> {
    SUPPORTED.iter().map(|(_, alg)| *alg).collect()
}

/// Maps a JWS `alg` name to a supported algorithm.
pub fn parse(name: &str) -> Option<Algorithm> {
    SUPPORTED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, alg)| *alg)
}

pub fn name(alg: Algorithm) -> &'static str {
    SUPPORTED
        .iter()
        .find(|(_, a)| *a == alg)
        .map_or("unsupported", |(n, _)| n)
}

/// The RSA family: a key of type `RSA` without its own `alg` may verify any of these.
pub fn is_rsa(alg: Algorithm) -> bool {
    let name = name(alg);
    name.starts_with("RS") || name.starts_with("PS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (n, alg) in SUPPORTED {
            assert_eq!(parse(n), Some(*alg));
            assert_eq!(name(*alg), *n);
        }
        for bad in ["none", "None", "HS256", "RS1", ""] {
            assert_eq!(parse(bad), None);
        }
        assert_eq!(all().iter().filter(|a| is_rsa(**a)).count(), 6);
    }
}
