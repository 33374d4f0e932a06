//! A request the native verifier accepted, as one JSON text for a binding
//! (the Node addon and the Python module send the same text).
//!
//! Profiled on a pinned Express server (bench/README.md), building the
//! accepted object property by property across Node-API (`napi_set_named_property`,
//! one internalized name and one generic store each) was most of a cache
//! hit's time in the addon. One string and one `JSON.parse` on the other
//! side build the same values for a fraction of that; the payload is parsed
//! there anyway, so it rides along. The text is an array, not an object: its
//! places are fixed, so the parser scans and interns no member names (about a
//! fifth of V8's parse of the object form, counted under callgrind).

use crate::decision::Scheme;
use crate::tokens::verifier::Verified;
use std::io::Write;

/// What [`accepted_json`] describes besides the verified token.
pub struct AcceptedFields<'a> {
    pub scheme: Scheme,
    /// The granted scopes expanded through the hierarchy, when that adds any.
    pub effective_scopes: Option<&'a [String]>,
    /// The token is the end of the `Authorization` value, this long.
    pub token_length: usize,
    pub verify_ms: Option<f64>,
}

/// The places of [`accepted_json`]'s array, which both bindings read by number.
pub mod place {
    /// The token's payload, as an object.
    pub const CLAIMS: usize = 0;
    /// `"bearer"` or `"dpop"`.
    pub const SCHEME: usize = 1;
    pub const TOKEN_LENGTH: usize = 2;
    pub const ISSUER: usize = 3;
    /// A string, or `null`.
    pub const SUBJECT: usize = 4;
    /// A string, or `null`.
    pub const CLIENT_ID: usize = 5;
    pub const SCOPES: usize = 6;
    pub const EXPIRES_AT: usize = 7;
    /// Only when the hierarchy added scopes (else absent, or `null` before `VERIFY_MS`).
    pub const EFFECTIVE_SCOPES: usize = 8;
    /// Only when the verifier was timed.
    pub const VERIFY_MS: usize = 9;
}

/// `[claims, scheme, tokenLength, issuer, subject, clientId, scopes,
/// expiresAt, effectiveScopes?, verifyMs?]` ([`place`]): the fields of
/// `AuthAccepted`, with the payload as an object instead of text. Optional
/// trailing places are left out; an absent one before a present one is `null`.
pub fn accepted_json(fields: &AcceptedFields<'_>, verified: &Verified) -> String {
    let identity = &verified.identity;
    let mut out = Vec::with_capacity(verified.claims_json.len() + 256);
    // Valid JSON object text already: the verifier parsed it strictly.
    out.push(b'[');
    out.extend_from_slice(verified.claims_json.as_bytes());
    out.extend_from_slice(match fields.scheme {
        Scheme::Bearer => b",\"bearer\",",
        Scheme::Dpop => b",\"dpop\",",
    });
    let _ = write!(out, "{}", fields.token_length);
    out.push(b',');
    push_string(&mut out, &verified.issuer);
    out.push(b',');
    push_optional(&mut out, identity.subject.as_deref());
    out.push(b',');
    push_optional(&mut out, identity.client_id.as_deref());
    out.push(b',');
    push_strings(&mut out, &identity.scopes);
    out.push(b',');
    push_number(&mut out, identity.expires_at);
    match (fields.effective_scopes, fields.verify_ms) {
        (None, None) => {}
        (Some(scopes), None) => {
            out.push(b',');
            push_strings(&mut out, scopes);
        }
        (scopes, Some(ms)) => {
            out.push(b',');
            match scopes {
                Some(scopes) => push_strings(&mut out, scopes),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b',');
            push_number(&mut out, ms);
        }
    }
    out.push(b']');
    // Only UTF-8 went in (strings, and serde_json's output).
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn push_optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => push_string(out, value),
        None => out.extend_from_slice(b"null"),
    }
}

fn push_string(out: &mut Vec<u8>, value: &str) {
    // serde_json's escaping: quotes, backslashes and control characters.
    let _ = serde_json::to_writer(&mut *out, value);
}

fn push_strings(out: &mut Vec<u8>, values: &[String]) {
    out.push(b'[');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_string(out, value);
    }
    out.push(b']');
}

// JSON has no NaN or infinity; every number here is finite (times and
// durations), and a non-finite one would be a bug: `null` then, never text
// JSON.parse refuses.
fn push_number(out: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        // Shortest round-trip form: JSON.parse gives back the same double.
        let _ = serde_json::to_writer(&mut *out, &value);
    } else {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::claims::Identity;
    use serde_json::{json, Map, Value};

    fn verified(claims: Value, subject: Option<&str>) -> Verified {
        let Value::Object(map) = claims.clone() else {
            unreachable!()
        };
        Verified {
            header: Map::new(),
            claims: map,
            header_json: "{}".into(),
            claims_json: claims.to_string(),
            issuer: "https://as.example/\"quoted\"".into(),
            identity: Identity {
                subject: subject.map(str::to_owned),
                client_id: None,
                scopes: vec!["a".into(), "b\u{1}c".into()],
                audience: vec![],
                expires_at: 1_765_000_000.5,
            },
        }
    }

    #[test]
    fn is_the_accepted_fields_as_a_json_array_with_the_claims_as_an_object() {
        let claims =
            json!({"iss": "x", "aud": ["r"], "exp": 1_765_000_000.5, "nested": {"k": [1, 2.25]}});
        let text = accepted_json(
            &AcceptedFields {
                scheme: Scheme::Dpop,
                effective_scopes: Some(&["a".into(), "a:sub".into()]),
                token_length: 321,
                verify_ms: Some(0.125),
            },
            &verified(claims.clone(), Some("user\n1")),
        );
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            json!([
                claims,
                "dpop",
                321,
                "https://as.example/\"quoted\"",
                "user\n1",
                null,
                ["a", "b\u{1}c"],
                1_765_000_000.5,
                ["a", "a:sub"],
                0.125,
            ])
        );
        assert_eq!(parsed[place::CLAIMS], claims);
        assert_eq!(parsed[place::SCHEME], "dpop");
        assert_eq!(parsed[place::TOKEN_LENGTH], 321);
        assert_eq!(parsed[place::SUBJECT], "user\n1");
        assert_eq!(parsed[place::CLIENT_ID], Value::Null);
        assert_eq!(parsed[place::EXPIRES_AT], 1_765_000_000.5);
        assert_eq!(parsed[place::EFFECTIVE_SCOPES], json!(["a", "a:sub"]));
        assert_eq!(parsed[place::VERIFY_MS], 0.125);
    }

    #[test]
    fn leaves_absent_trailing_places_out() {
        let fields = |effective_scopes, verify_ms| AcceptedFields {
            scheme: Scheme::Bearer,
            effective_scopes,
            token_length: 7,
            verify_ms,
        };
        let token = verified(json!({"iss": "x"}), None);
        let parse = |text: String| serde_json::from_str::<Vec<Value>>(&text).unwrap();
        let bare = parse(accepted_json(&fields(None, None), &token));
        assert_eq!(bare.len(), place::EFFECTIVE_SCOPES);
        assert_eq!(bare[place::SCHEME], "bearer");
        assert_eq!(bare[place::SUBJECT], Value::Null);
        let granted = ["s".to_owned()];
        let widened = parse(accepted_json(&fields(Some(&granted), None), &token));
        assert_eq!(widened.len(), place::VERIFY_MS);
        assert_eq!(widened[place::EFFECTIVE_SCOPES], json!(["s"]));
        // A timed check without a hierarchy's scopes: `null` holds the place.
        let timed = parse(accepted_json(&fields(None, Some(2.5)), &token));
        assert_eq!(timed.len(), place::VERIFY_MS + 1);
        assert_eq!(timed[place::EFFECTIVE_SCOPES], Value::Null);
        assert_eq!(timed[place::VERIFY_MS], 2.5);
    }

    #[test]
    fn a_non_finite_number_stays_json() {
        let mut out = Vec::new();
        push_number(&mut out, f64::NAN);
        assert_eq!(out, b"null");
    }
}
