//! A short, keyed name for what a record depends on (authorization server,
//! resource, claim rules…): records stored under other settings live under
//! other keys. Keyed with the fleet secret, so a key reveals nothing of the
//! settings. The first 22 characters of the base64url HMAC-SHA-256 of
//! `"scope\n"` and the settings as canonical JSON: JavaScript's
//! `JSON.stringify` with object members in key order, as the TypeScript
//! wrapper computed it, so processes of both kinds share their records.

use crate::fleet::records::StoreSecret;
use serde_json::Value;

const SCOPE_LENGTH: usize = 22;

pub fn scope_id(secret: &StoreSecret, settings: &Value) -> String {
    let mut text = String::from("scope\n");
    canonical_json(settings, &mut text);
    let mut mac = secret.mac(&[text.as_bytes()]);
    mac.truncate(SCOPE_LENGTH);
    mac
}

/// `value` as `JSON.stringify` writes it, object members sorted by key
/// (UTF-16 order, as JavaScript compares strings).
pub fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Number(n) => match n.as_f64() {
            // JavaScript prints an integral number without a fraction.
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e18 => {
                out.push_str(&(f as i64).to_string());
            }
            _ => out.push_str(&n.to_string()),
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (name, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                canonical_json(member, out);
            }
            out.push('}');
        }
        // Null, booleans and strings: serde_json escapes as JSON.stringify does.
        other => out.push_str(&other.to_string()),
    }
}
