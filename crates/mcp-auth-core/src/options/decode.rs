//! Options arrive as JSON from a binding; this turns serde's refusals into
//! `invalid_config` errors that name the option (by its public path) and the
//! expected type, and never the value: serde's own messages print it, and
//! a misplaced secret must not end up in a log.

use crate::error::{AuthError, AuthResult};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Deserializes `value` as `T`; `public_path` names a field from the keys
/// leading to it (array indices left out), as the user wrote the option.
pub fn decode<T: DeserializeOwned>(
    value: Value,
    public_path: fn(&[&str]) -> String,
) -> AuthResult<T> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let keys: Vec<String> = err
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .collect();
        let message = err.inner().to_string();
        refusal(&keys, &message, public_path)
    })
}

/// A value a binding found no JSON form for (a function, a symbol…) at
/// `keys`: refused like a value of the wrong type.
pub fn unrepresentable(keys: &[String], public_path: fn(&[&str]) -> String) -> AuthError {
    refusal(keys, "", public_path)
}

fn refusal(keys: &[String], message: &str, public_path: fn(&[&str]) -> String) -> AuthError {
    let at = |extra: Option<&str>| {
        let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        keys.extend(extra);
        if keys.is_empty() {
            None
        } else {
            Some(public_path(&keys))
        }
    };
    // Field names come from the options' own definitions or the user's keys,
    // never from a value.
    // serde's path already ends with an unknown key, not with a missing one.
    if let Some(name) = quoted_after(message, "unknown field `") {
        let path = at(None).unwrap_or_else(|| name.to_owned());
        return AuthError::config(format!("unknown option `{path}`."));
    }
    if let Some(name) = quoted_after(message, "missing field `") {
        let path = at(Some(name)).unwrap_or_else(|| name.to_owned());
        return AuthError::config(format!("`{path}` is required."));
    }
    let expected = message
        .starts_with("invalid type: ")
        .then(|| message.rfind(", expected ").map(|i| &message[i + 11..]))
        .flatten()
        .and_then(expected_type);
    let kind = expected.map_or(String::new(), |t| format!(" (expected {t})"));
    match at(None) {
        Some(path) => AuthError::config(format!("`{path}` has a value of the wrong type{kind}.")),
        None => AuthError::config(format!("An option has a value of the wrong type{kind}.")),
    }
}

/// The name between backticks right after `prefix`, when the message starts so.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.find('`').map(|end| &rest[..end])
}

/// serde's "expected …" in the words a JavaScript or Python user knows.
fn expected_type(serde_says: &str) -> Option<&'static str> {
    Some(match serde_says {
        "a string" => "a string",
        "a boolean" => "a boolean",
        "a number" | "f64" => "a number",
        "a number or a string" => "a number or a string",
        "a sequence" => "an array",
        "a map" => "an object",
        other if other.starts_with("struct ") => "an object",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        client_secret: Option<String>,
        list: Option<Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Vec<Inner>>,
    }

    fn path(keys: &[&str]) -> String {
        format!("x.{}", keys.join("."))
    }

    fn reason(value: Value) -> String {
        decode::<Outer>(value, path).unwrap_err().reason
    }

    #[test]
    fn names_the_option_never_the_value() {
        let secret = "s3cret-value, expected a boolean";
        let r = reason(json!({ "name": "n", "inner": [{ "clientSecret": 918273645 }] }));
        assert_eq!(
            r,
            "`x.inner.clientSecret` has a value of the wrong type (expected a string)."
        );
        let r = reason(json!({ "name": ["a"], "inner": [{ "clientSecret": secret }] }));
        assert_eq!(
            r,
            "`x.name` has a value of the wrong type (expected a string)."
        );
        let r = reason(json!({ "name": "n", "inner": [{ "list": secret }] }));
        assert_eq!(
            r,
            "`x.inner.list` has a value of the wrong type (expected an array)."
        );
        let r = reason(json!({ "name": "n", "inner": [{ "other": secret }] }));
        assert_eq!(r, "unknown option `x.inner.other`.");
        let r = reason(json!({ "inner": [] }));
        assert_eq!(r, "`x.name` is required.");
        let r = reason(json!({ "name": "n", "inner": secret }));
        assert_eq!(
            r,
            "`x.inner` has a value of the wrong type (expected an array)."
        );
    }
}
