//! Turning a JWK Set document (RFC 7517) into verification keys.
//!
//! Each usable key is bound to the algorithms it may verify (C14): its own
//! `alg` when present, else the ones its type and curve imply. Unusable
//! entries are skipped with a warning instead of poisoning the whole set (C25).

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::keys::algorithms;
use crate::keys::public_key::{Material, PublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

/// A JWKS with more entries than this is truncated: real sets hold a handful.
pub const MAX_KEYS: usize = 100;
const MIN_RSA_BITS: usize = 2048;

#[derive(Clone)]
pub struct VerificationKey {
    pub kid: Option<String>,
    pub algorithms: Vec<Algorithm>,
    /// Prepared for `algorithms` when it came from a key set (`parse_key_set`).
    pub key: PublicKey,
    /// SHA-256 of the key's type, public components, kid and algorithms: two
    /// fetches describe the same key exactly when their fingerprints agree.
    pub fingerprint: [u8; 32],
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub keys: Vec<VerificationKey>,
    /// Why entries were skipped, for logs; never fatal.
    pub warnings: Vec<String>,
}

/// The outcome of looking a token's `kid` and `alg` up in a key set.
#[derive(Debug)]
pub enum KeyMatch<'a> {
    Found(&'a VerificationKey),
    /// No key has this kid (or, without a kid, no key fits the algorithm):
    /// the issuer may have rotated keys, so a refetch can help.
    Unknown,
    /// The kid names a key bound to other algorithms: the token is wrong.
    AlgorithmMismatch,
    /// Several keys fit: refuse rather than guess.
    Ambiguous,
}

impl KeySet {
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> KeyMatch<'_> {
        let named = |k: &&VerificationKey| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid));
        let mut fitting = self
            .keys
            .iter()
            .filter(named)
            .filter(|k| k.algorithms.contains(&alg));
        match (fitting.next(), fitting.next()) {
            (Some(key), None) => KeyMatch::Found(key),
            (Some(_), Some(_)) => KeyMatch::Ambiguous,
            (None, _) if kid.is_some() && self.keys.iter().any(|k| named(&k)) => {
                KeyMatch::AlgorithmMismatch
            }
            (None, _) => KeyMatch::Unknown,
        }
    }

    /// Whether a key with exactly this fingerprint is in the set.
    pub fn contains(&self, fingerprint: &[u8; 32]) -> bool {
        self.keys.iter().any(|k| &k.fingerprint == fingerprint)
    }

    #[cfg(test)]
    pub(crate) fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

fn rsa_algorithms() -> Vec<Algorithm> {
    algorithms::all()
        .into_iter()
        .filter(|a| algorithms::is_rsa(*a))
        .collect()
}

/// Parses a JWKS document. Only a missing or non-array `keys` is fatal.
pub fn parse_key_set(document: &Map<String, Value>) -> AuthResult<KeySet> {
    let Some(Value::Array(entries)) = document.get("keys") else {
        return Err(AuthError::new(
            ErrorCode::JwksUnavailable,
            "key set document has no keys array",
        ));
    };
    let mut set = KeySet::default();
    if entries.len() > MAX_KEYS {
        set.warnings.push(format!(
            "key set has {} entries; only the first {MAX_KEYS} are used",
            entries.len()
        ));
    }
    for (index, entry) in entries.iter().take(MAX_KEYS).enumerate() {
        match parse_key(entry) {
            Ok(mut key) => {
                // Built once here, not on every signature check.
                key.key.prepare(&key.algorithms);
                set.keys.push(key);
            }
            Err(why) => set.warnings.push(format!("key #{index} skipped: {why}")),
        }
    }
    // Duplicate usable (kid, alg) pairs make lookups ambiguous (C25): `find`
    // refuses them, and the warning explains why tokens with that kid fail.
    for (i, a) in set.keys.iter().enumerate() {
        let clash = set.keys[i + 1..]
            .iter()
            .any(|b| a.kid == b.kid && a.algorithms.iter().any(|alg| b.algorithms.contains(alg)));
        if clash {
            set.warnings
                .push("key set holds several keys for the same kid and algorithm".to_owned());
            break;
        }
    }
    Ok(set)
}

fn str_member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{name} is not a string")),
    }
}

fn required<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    str_member(jwk, name)?.ok_or_else(|| format!("missing {name}"))
}

fn b64_len(value: &str, name: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| format!("{name} is not base64url"))
}

/// One JWK, not yet prepared: a key checked once (a DPoP proof's) needs no preparation.
pub(crate) fn parse_key(entry: &Value) -> Result<VerificationKey, String> {
    let Value::Object(jwk) = entry else {
        return Err("not a JSON object".into());
    };
    if let Some(u) = str_member(jwk, "use")? {
        if u != "sig" {
            return Err(format!("use is {u:?}, not sig"));
        }
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"));
        if !verifies {
            return Err("key_ops does not allow verify".into());
        }
    }
    // A published private key is a leak on the issuer's side; never use it.
    if ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
        .iter()
        .any(|m| jwk.contains_key(*m))
    {
        return Err("contains private or symmetric key material".into());
    }
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err("kid is not a string".into()),
    };
    let declared = str_member(jwk, "alg")?;

    let kty = required(jwk, "kty")?;
    let (implied, components): (Vec<Algorithm>, Material) = match kty {
        "RSA" => {
            let (n, e) = (required(jwk, "n")?, required(jwk, "e")?);
            let (n, e) = (b64_len(n, "n")?, b64_len(e, "e")?);
            let bits = rsa_bits(&n);
            if bits < MIN_RSA_BITS {
                return Err(format!("RSA key of {bits} bits is below {MIN_RSA_BITS}"));
            }
            (rsa_algorithms(), Material::Rsa { n, e })
        }
        "EC" => {
            let alg = match required(jwk, "crv")? {
                "P-256" => Algorithm::ES256,
                "P-384" => Algorithm::ES384,
                other => return Err(format!("unsupported curve {other:?}")),
            };
            let size = if alg == Algorithm::ES256 { 32 } else { 48 };
            let (x, y) = (required(jwk, "x")?, required(jwk, "y")?);
            let (x, y) = (b64_len(x, "x")?, b64_len(y, "y")?);
            if x.len() != size || y.len() != size {
                return Err("EC coordinates do not fit the curve".into());
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (vec![alg], Material::Ec(point))
        }
        "OKP" => {
            match required(jwk, "crv")? {
                "Ed25519" => {}
                other => return Err(format!("unsupported curve {other:?}")),
            }
            let x = b64_len(required(jwk, "x")?, "x")?;
            if x.len() != 32 {
                return Err("Ed25519 key is not 32 bytes".into());
            }
            (vec![Algorithm::EdDSA], Material::Ed25519(x))
        }
        "oct" => return Err("symmetric keys are never taken from a key set".into()),
        other => return Err(format!("unsupported kty {other:?}")),
    };

    let algorithms = match declared {
        None => implied,
        Some(name) => match crate::keys::algorithms::parse(name) {
            Some(alg) if implied.contains(&alg) => vec![alg],
            _ => return Err(format!("alg {name:?} does not fit a {kty} key")),
        },
    };
    let mut material = format!("{kty}|{}", kid.as_deref().unwrap_or(""));
    for member in ["crv", "n", "e", "x", "y"] {
        material.push('|');
        material.push_str(str_member(jwk, member)?.unwrap_or(""));
    }
    for alg in &algorithms {
        material.push('|');
        material.push_str(algorithms::name(*alg));
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, material.as_bytes());
    let mut fingerprint = [0u8; 32];
    fingerprint.copy_from_slice(digest.as_ref());
    Ok(VerificationKey {
        kid,
        algorithms,
        key: PublicKey::new(components),
        fingerprint,
    })
}

fn rsa_bits(modulus: &[u8]) -> usize {
    let Some(first) = modulus.iter().position(|b| *b != 0) else {
        return 0;
    };
    (modulus.len() - first) * 8 - modulus[first].leading_zeros() as usize
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    // The modulus of a 2048-bit RSA public key generated once for these tests.
    pub(crate) const RSA_N: &str = "r1E3stSyY6tGjzWMkvJwRRkO8xy8VxtKxB4u26SIZmK16NQuBNPZFgJVu8tqsJzmkw8xRu43MX455ohGF2TVkUpA2hedXkkwqOgN3TzB0CFzxNuebwSJybPLg15KnxdI4jkFms0d75D_09npWP6o8FP9UcWGCVHjsLvvYp8gInyFK7RfBB5lspSaSfS4t0QIFhU8-00QIEvBGIBHcVoiAXsvbG3qoAP0ZUJnj5_eQqKdoeyIzBaRpL3NVIy0roC1v7Yigh2VyKhlwhOXKnXC6_M2ZGmiMOmWWVm1Iir8JFkI3-FSTWHUwNRBx-zp6cUz8osUeDNdGd_5L9i3Fw4-Jw";
    pub(crate) const RSA_E: &str = "AQAB";

    fn doc(keys: Value) -> Map<String, Value> {
        json!({ "keys": keys }).as_object().unwrap().clone()
    }

    fn rsa(extra: Value) -> Value {
        let mut k = json!({ "kty": "RSA", "kid": "r1", "n": RSA_N, "e": RSA_E });
        for (name, v) in extra.as_object().unwrap() {
            if v.is_null() {
                k.as_object_mut().unwrap().remove(name);
            } else {
                k[name] = v.clone();
            }
        }
        k
    }

    #[test]
    fn binds_keys_to_algorithms() {
        let set =
            parse_key_set(&doc(json!([rsa(json!({ "alg": "RS256", "use": "sig" }))]))).unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.keys[0].algorithms, vec![Algorithm::RS256]);
        assert!(matches!(
            set.find(Some("r1"), Algorithm::RS256),
            KeyMatch::Found(_)
        ));
        assert!(matches!(
            set.find(Some("r1"), Algorithm::PS256),
            KeyMatch::AlgorithmMismatch
        ));
        assert!(matches!(
            set.find(Some("nope"), Algorithm::RS256),
            KeyMatch::Unknown
        ));

        let set = parse_key_set(&doc(json!([rsa(json!({}))]))).unwrap();
        assert_eq!(set.keys[0].algorithms, rsa_algorithms());
    }

    #[test]
    fn skips_unusable_keys() {
        let set = parse_key_set(&doc(json!([
            rsa(json!({ "use": "enc" })),
            rsa(json!({ "key_ops": ["encrypt"] })),
            rsa(json!({ "d": "AQAB" })),
            rsa(json!({ "alg": "ES256" })),
            rsa(json!({ "alg": "HS256" })),
            rsa(json!({ "n": "AQAB" })),
            rsa(json!({ "n": "not base64!" })),
            { "kty": "oct", "k": "c2VjcmV0" },
            { "kty": "EC", "crv": "P-521", "x": "AA", "y": "AA" },
            { "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA" },
            { "kty": "OKP", "crv": "Ed448", "x": "AA" },
            { "kty": "XYZ" },
            "not an object",
            rsa(json!({ "kid": "good" })),
        ])))
        .unwrap();
        assert_eq!(set.keys.len(), 1, "{:?}", set.warnings);
        assert_eq!(set.keys[0].kid.as_deref(), Some("good"));
        assert_eq!(set.warnings.len(), 13);
    }

    #[test]
    fn rejects_documents_without_keys() {
        assert!(parse_key_set(&json!({}).as_object().unwrap().clone()).is_err());
        assert!(parse_key_set(&json!({ "keys": {} }).as_object().unwrap().clone()).is_err());
        assert!(parse_key_set(&doc(json!([]))).unwrap().keys.is_empty());
    }

    #[test]
    fn ambiguity_and_missing_kid() {
        let set = parse_key_set(&doc(json!([rsa(json!({})), rsa(json!({}))]))).unwrap();
        assert!(matches!(
            set.find(Some("r1"), Algorithm::RS256),
            KeyMatch::Ambiguous
        ));
        assert!(set.warnings.iter().any(|w| w.contains("same kid")));

        let set = parse_key_set(&doc(json!([
            rsa(json!({ "kid": "a" })),
            rsa(json!({ "kid": "b" }))
        ])))
        .unwrap();
        assert!(matches!(
            set.find(None, Algorithm::RS256),
            KeyMatch::Ambiguous
        ));
        let single = parse_key_set(&doc(json!([rsa(json!({ "kid": null }))]))).unwrap();
        assert!(matches!(
            single.find(None, Algorithm::RS256),
            KeyMatch::Found(_)
        ));
        assert!(matches!(
            single.find(None, Algorithm::ES256),
            KeyMatch::Unknown
        ));
    }

    #[test]
    fn caps_the_key_count() {
        let many: Vec<Value> = (0..150)
            .map(|i| rsa(json!({ "kid": format!("k{i}") })))
            .collect();
        let set = parse_key_set(&doc(Value::Array(many))).unwrap();
        assert_eq!(set.keys.len(), MAX_KEYS);
    }

    #[test]
    fn counts_rsa_bits() {
        assert_eq!(rsa_bits(&[0, 0, 1]), 1);
        assert_eq!(rsa_bits(&[0x80, 0]), 16);
        assert_eq!(rsa_bits(&[]), 0);
    }
}
