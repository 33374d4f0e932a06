//! A request the native verifier accepted, as one JSON text for a binding
//! (the Node addon and the Python module send the same text).
//!
//! Profiled on a pinned Express server (bench/README.md), building the
//! accepted object property by property across Node-API (`napi_set_named_property`,
//! one internalized name and one generic store each) was most of a cache
//! hit's time in the addon. One string and one `JSON.parse` on the other
//! side build the same object for a fraction of that; the payload is parsed
//! there anyway, so it rides along as `claims`.

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

/// `{"scheme", "tokenLength", "issuer", "subject"?, "clientId"?, "scopes",
/// "expiresAt", "effectiveScopes"?, "verifyMs"?, "claims"}`:
/// the fields of `AuthAccepted`, with the payload as an object instead of text.
/// An absent optional field is left out (`undefined` in JavaScript, as before).
pub fn accepted_json(fields: &AcceptedFields<'_>, verified: &Verified) -> String {
    let identity = &verified.identity;
    let mut out = Vec::with_capacity(verified.claims_json.len() + 256);
    out.extend_from_slice(match fields.scheme {
        Scheme::Bearer => br#"{"scheme":"bearer","tokenLength":"#,
        Scheme::Dpop => br#"{"scheme":"dpop","tokenLength":"#,
    });
    let _ = write!(out, "{}", fields.token_length);
    push_key(&mut out, "issuer");
    push_string(&mut out, &verified.issuer);
    if let Some(subject) = &identity.subject {
        push_key(&mut out, "subject");
        push_string(&mut out, subject);
    }
    if let Some(client_id) = &identity.client_id {
        push_key(&mut out, "clientId");
        push_string(&mut out, client_id);
    }
    push_key(&mut out, "scopes");
    push_strings(&mut out, &identity.scopes);
    push_key(&mut out, "expiresAt");
    push_number(&mut out, identity.expires_at);
    if let Some(scopes) = fields.effective_scopes {
        push_key(&mut out, "effectiveScopes");
        push_strings(&mut out, scopes);
    }
    if let Some(ms) = fields.verify_ms {
        push_key(&mut out, "verifyMs");
        push_number(&mut out, ms);
    }
    // Valid JSON object text already: the verifier parsed it strictly.
    push_key(&mut out, "claims");
    out.extend_from_slice(verified.claims_json.as_bytes());
    out.push(b'}');
    // Only UTF-8 went in (strings, and serde_json's output).
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn push_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
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
    fn is_the_accepted_fields_as_json_with_the_claims_as_an_object() {
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
            json!({
                "scheme": "dpop",
                "tokenLength": 321,
                "issuer": "https://as.example/\"quoted\"",
                "subject": "user\n1",
                "scopes": ["a", "b\u{1}c"],
                "expiresAt": 1_765_000_000.5,
                "effectiveScopes": ["a", "a:sub"],
                "verifyMs": 0.125,
                "claims": claims,
            })
        );
    }

    #[test]
    fn leaves_absent_fields_out() {
        let text = accepted_json(
            &AcceptedFields {
                scheme: Scheme::Bearer,
                effective_scopes: None,
                token_length: 7,
                verify_ms: None,
            },
            &verified(json!({"iss": "x"}), None),
        );
        let parsed: Map<String, Value> = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = parsed.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "claims",
                "expiresAt",
                "issuer",
                "scheme",
                "scopes",
                "tokenLength"
            ]
        );
    }

    #[test]
    fn a_non_finite_number_stays_json() {
        let mut out = Vec::new();
        push_number(&mut out, f64::NAN);
        assert_eq!(out, b"null");
    }
}
