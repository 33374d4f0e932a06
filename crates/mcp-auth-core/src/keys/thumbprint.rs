//! RFC 7638 JWK thumbprints with SHA-256, base64url-encoded: what a
//! DPoP-bound token's `cnf.jkt` holds (RFC 9449 §6.1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

/// The thumbprint of a public key, from its required members only, in
/// lexicographic order without whitespace (RFC 7638 §3.2); `None` for a key
/// type without a defined member set or a missing member.
pub fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = String::with_capacity(512);
    canonical.push('{');
    for (i, name) in members.iter().enumerate() {
        let value = jwk.get(*name)?.as_str()?;
        if i > 0 {
            canonical.push(',');
        }
        canonical.push('"');
        canonical.push_str(name);
        canonical.push_str("\":");
        // serde_json escapes exactly as RFC 7159 requires; base64url and curve
        // names never need it, but a hostile value must not break the form.
        canonical.push_str(&serde_json::to_string(value).ok()?);
    }
    canonical.push('}');
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    Some(URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    /// The example of RFC 7638 §3.1.
    #[test]
    fn matches_the_rfc_7638_example() {
        let jwk = object(json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }));
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn ignores_optional_members_and_refuses_incomplete_keys() {
        let ec = json!({ "kty": "EC", "crv": "P-256", "x": "a", "y": "b" });
        let mut with_extras = ec.clone();
        with_extras["kid"] = json!("k");
        with_extras["use"] = json!("sig");
        assert_eq!(
            thumbprint(&object(ec.clone())),
            thumbprint(&object(with_extras))
        );
        let mut other = ec.clone();
        other["x"] = json!("c");
        assert_ne!(thumbprint(&object(ec)), thumbprint(&object(other)));
        assert!(thumbprint(&object(json!({ "kty": "EC", "crv": "P-256", "x": "a" }))).is_none());
        assert!(thumbprint(&object(json!({ "kty": "oct", "k": "a" }))).is_none());
        assert!(thumbprint(&object(json!({ "kty": "OKP", "crv": 1, "x": "a" }))).is_none());
        assert!(thumbprint(&object(json!({ "kty": "OKP", "crv": "Ed25519", "x": "a" }))).is_some());
    }
}
