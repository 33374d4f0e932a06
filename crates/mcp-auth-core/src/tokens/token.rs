//! Strict parsing of a JWS compact serialization (RFC 7515 §7.1).
//!
//! Everything here happens before any key is looked up, so it must be cheap,
//! bounded and unable to panic: the input comes straight from an HTTP header.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::keys::public_key::PublicKey;
use crate::tokens::strict_json::{self, JsonError, TOKEN_MAX_DEPTH};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

/// Whether `text` uses only the base64url alphabet (no padding): claims and
/// DPoP proofs both check thumbprints with it.
pub fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Default cap on the token length, checked before anything is decoded (C11).
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 8 * 1024;
/// `kid` is opaque but bounded (C16).
const MAX_KID_LENGTH: usize = 256;

/// A token whose structure and header are acceptable; its signature is not yet checked.
#[derive(Debug, Clone)]
pub struct ParsedToken {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// The decoded header and payload text. Already strictly validated, it is
    /// what JavaScript receives: one string to `JSON.parse` costs far less
    /// than building the object property by property across the boundary.
    pub header_json: String,
    pub claims_json: String,
    pub alg: Algorithm,
    pub kid: Option<String>,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`: what the signature covers.
    pub signing_input: String,
    /// The third segment, decoded.
    pub signature: Vec<u8>,
}

impl ParsedToken {
    /// Whether the signature verifies with `key` under the token's own
    /// algorithm, which parsing already took from the allow-list; the caller
    /// has checked that the key is bound to it (C14).
    pub fn signature_verifies(&self, key: &PublicKey) -> bool {
        key.verify(self.alg, self.signing_input.as_bytes(), &self.signature)
    }
}

fn decode_segment(segment: &str, what: &str) -> AuthResult<Vec<u8>> {
    // The engine rejects padding, non-alphabet characters and non-canonical
    // trailing bits, so a token has exactly one valid spelling.
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthError::malformed(format!("{what} is not valid base64url")))
}

fn decode_object(segment: &str, what: &str) -> AuthResult<(Map<String, Value>, String)> {
    let bytes = decode_segment(segment, what)?;
    let not_json = || AuthError::malformed(format!("{what} is not valid UTF-8 JSON"));
    let object = strict_json::parse_object(&bytes, TOKEN_MAX_DEPTH).map_err(|e| match e {
        JsonError::Syntax => not_json(),
        other => AuthError::malformed(format!("{what} {}", other.describe())),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| not_json())?;
    Ok((object, text))
}

/// Splits, decodes and checks the structure and header of `token`.
/// `allowed` is the configured algorithm allow-list.
pub fn parse(token: &str, max_length: usize, allowed: &[Algorithm]) -> AuthResult<ParsedToken> {
    if token.len() > max_length {
        return Err(AuthError::new(
            ErrorCode::TokenTooLarge,
            "token exceeds the maximum length",
        ));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::malformed(
            "token is not a JWS compact serialization",
        ));
    };
    match parts.count() {
        0 => {}
        2 => {
            return Err(AuthError::new(
                ErrorCode::UnsupportedHeader,
                "encrypted tokens (JWE) are not accepted",
            ))
        }
        _ => {
            return Err(AuthError::malformed(
                "token is not a JWS compact serialization",
            ))
        }
    }
    if h.is_empty() || p.is_empty() {
        return Err(AuthError::malformed("token has an empty segment"));
    }

    let (header, header_json) = decode_object(h, "token header")?;
    let (alg, kid) = check_header(&header, allowed)?;
    if s.is_empty() {
        return Err(AuthError::malformed("token has no signature"));
    }
    // Decoded before the payload, so a non-canonical spelling is refused
    // before any further work.
    let signature = decode_segment(s, "token signature")?;
    let (claims, claims_json) = decode_object(p, "token payload")?;

    Ok(ParsedToken {
        header,
        claims,
        header_json,
        claims_json,
        alg,
        kid,
        signing_input: token[..h.len() + 1 + p.len()].to_owned(),
        signature,
    })
}

fn check_header(
    header: &Map<String, Value>,
    allowed: &[Algorithm],
) -> AuthResult<(Algorithm, Option<String>)> {
    let alg = match header.get("alg") {
        Some(Value::String(name)) => name,
        Some(_) => return Err(AuthError::malformed("token header alg is not a string")),
        None => return Err(AuthError::malformed("token header has no alg")),
    };
    let alg = crate::keys::algorithms::parse(alg)
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| {
            AuthError::new(ErrorCode::AlgNotAllowed, "token algorithm is not allowed")
        })?;

    // We understand no critical extension, so any `crit` makes the token
    // unusable (RFC 7515 §4.1.11); `b64: false` would change what is signed.
    if header.contains_key("crit") {
        return Err(AuthError::new(
            ErrorCode::UnsupportedHeader,
            "token header lists critical extensions",
        ));
    }
    if header.contains_key("b64") || header.contains_key("zip") || header.contains_key("enc") {
        return Err(AuthError::new(
            ErrorCode::UnsupportedHeader,
            "token header uses an unsupported parameter",
        ));
    }
    if let Some(cty) = header.get("cty") {
        let nested = match cty {
            Value::String(c) => c.eq_ignore_ascii_case("jwt"),
            _ => true,
        };
        if nested {
            return Err(AuthError::new(
                ErrorCode::UnsupportedHeader,
                "nested tokens are not accepted",
            ));
        }
    }
    // `jwk`, `jku`, `x5u` and `x5c` are ignored on purpose: keys come only from
    // the issuer's configured key set (C16).
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) if !kid.is_empty() && kid.len() <= MAX_KID_LENGTH => {
            Some(kid.clone())
        }
        Some(_) => return Err(AuthError::malformed("token header kid is invalid")),
    };
    Ok((alg, kid))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Algorithm] = &[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn tok(header: &str, payload: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(payload))
    }

    fn code(token: &str) -> ErrorCode {
        parse(token, DEFAULT_MAX_TOKEN_LENGTH, ALL)
            .unwrap_err()
            .code
    }

    #[test]
    fn parses_a_well_formed_token() {
        let t = tok(
            r#"{"alg":"RS256","kid":"k1","typ":"at+jwt"}"#,
            r#"{"sub":"a"}"#,
        );
        let parsed = parse(&t, DEFAULT_MAX_TOKEN_LENGTH, ALL).unwrap();
        assert_eq!(parsed.alg, Algorithm::RS256);
        assert_eq!(parsed.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.claims["sub"], "a");
        assert_eq!(parsed.signature, b"sig"); // "c2ln" decoded
        assert!(t.starts_with(&parsed.signing_input));
    }

    #[test]
    fn rejects_wrong_structure() {
        assert_eq!(code(""), ErrorCode::Malformed);
        assert_eq!(code("a.b"), ErrorCode::Malformed);
        assert_eq!(code("a.b.c.d"), ErrorCode::Malformed);
        assert_eq!(code("a.b.c.d.e"), ErrorCode::UnsupportedHeader);
        assert_eq!(code(".."), ErrorCode::Malformed);
        let huge = "a".repeat(DEFAULT_MAX_TOKEN_LENGTH + 1);
        assert_eq!(code(&huge), ErrorCode::TokenTooLarge);
    }

    #[test]
    fn rejects_non_canonical_base64() {
        let good = tok(r#"{"alg":"RS256"}"#, r#"{}"#);
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        parts[2] = "c2lu=".into(); // padding
        assert_eq!(code(&parts.join(".")), ErrorCode::Malformed);
        parts[2] = "c2l+".into(); // standard alphabet
        assert_eq!(code(&parts.join(".")), ErrorCode::Malformed);
        parts[2] = "c2lv".into();
        parts[1] = "e30".into();
        assert!(parse(&parts.join("."), 9999, ALL).is_ok());
        parts[1] = "e31".into(); // non-zero trailing bits
        assert_eq!(code(&parts.join(".")), ErrorCode::Malformed);
    }

    #[test]
    fn rejects_bad_json() {
        assert_eq!(code(&tok("[1]", "{}")), ErrorCode::Malformed);
        assert_eq!(code(&tok(r#"{"alg":"RS256"}"#, "[]")), ErrorCode::Malformed);
        assert_eq!(
            code(&tok(r#"{"alg":"RS256"}"#, "not json")),
            ErrorCode::Malformed
        );
        assert_eq!(
            code(&tok(r#"{"alg":"RS256","alg":"none"}"#, "{}")),
            ErrorCode::Malformed
        );
        assert_eq!(
            code(&tok(r#"{"alg":"RS256"}"#, r#"{"sub":"a","sub":"b"}"#)),
            ErrorCode::Malformed
        );
        let invalid_utf8 = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(b"{\"a\":\"\xff\"}")
        );
        assert_eq!(code(&invalid_utf8), ErrorCode::Malformed);
    }

    #[test]
    fn enforces_the_algorithm_allow_list() {
        for alg in [
            "none", "None", "NONE", "nOnE", "HS256", "RS1", "rs256", "ES512",
        ] {
            let t = tok(&format!(r#"{{"alg":"{alg}"}}"#), "{}");
            assert_eq!(code(&t), ErrorCode::AlgNotAllowed, "{alg}");
        }
        assert_eq!(
            code(&tok(r#"{"alg":"PS256"}"#, "{}")),
            ErrorCode::AlgNotAllowed
        );
        assert_eq!(code(&tok(r#"{"typ":"JWT"}"#, "{}")), ErrorCode::Malformed);
        assert_eq!(code(&tok(r#"{"alg":256}"#, "{}")), ErrorCode::Malformed);
    }

    #[test]
    fn rejects_unsupported_header_parameters() {
        for h in [
            r#"{"alg":"RS256","crit":["exp"],"exp":1}"#,
            r#"{"alg":"RS256","crit":[]}"#,
            r#"{"alg":"RS256","crit":"b64"}"#,
            r#"{"alg":"RS256","b64":false}"#,
            r#"{"alg":"RS256","cty":"JWT"}"#,
            r#"{"alg":"RS256","cty":"jwt"}"#,
            r#"{"alg":"RS256","zip":"DEF"}"#,
        ] {
            assert_eq!(code(&tok(h, "{}")), ErrorCode::UnsupportedHeader, "{h}");
        }
    }

    #[test]
    fn ignores_embedded_keys_and_bounds_kid() {
        let t = tok(
            r#"{"alg":"RS256","jku":"http://evil","x5u":"http://evil","jwk":{"kty":"RSA"},"x5c":["x"]}"#,
            "{}",
        );
        assert!(parse(&t, DEFAULT_MAX_TOKEN_LENGTH, ALL).is_ok());
        let long_kid = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "k".repeat(300));
        assert_eq!(code(&tok(&long_kid, "{}")), ErrorCode::Malformed);
        assert_eq!(
            code(&tok(r#"{"alg":"RS256","kid":7}"#, "{}")),
            ErrorCode::Malformed
        );
        let injection = tok(
            r#"{"alg":"RS256","kid":"../../etc/passwd' OR 1=1 --"}"#,
            "{}",
        );
        assert_eq!(
            parse(&injection, DEFAULT_MAX_TOKEN_LENGTH, ALL)
                .unwrap()
                .kid
                .as_deref(),
            Some("../../etc/passwd' OR 1=1 --")
        );
    }
}
