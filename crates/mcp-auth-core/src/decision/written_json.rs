//! JSON as a binding wrote it: object members in their order, strings and
//! numbers as their original text. A document we build from a user's value
//! (the protected-resource metadata) then serves the exact bytes the
//! binding's own serialiser would have written (JavaScript's number forms,
//! its string escapes), which serde_json's sorted maps and `f64` printing
//! would not.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

use super::response::json_string;

/// One JSON value, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrittenJson {
    /// `null`, a boolean, a number or a string: its JSON text.
    Scalar(String),
    Array(Vec<WrittenJson>),
    /// Members in their written order (a repeated key is kept as written).
    Object(Vec<(String, WrittenJson)>),
}

// An object's members with their values still as text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for InOrder<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Members<'a>, M::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, &'a RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(InOrder(std::marker::PhantomData))
    }
}

impl WrittenJson {
    /// Parses JSON text (serde_json's limits: at most 128 levels deep).
    pub fn parse(text: &str) -> serde_json::Result<Self> {
        let raw: &RawValue = serde_json::from_str(text)?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: &RawValue) -> serde_json::Result<Self> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let Members(members) = serde_json::from_str(text)?;
                let mut out = Vec::with_capacity(members.len());
                for (key, value) in members {
                    out.push((key, Self::from_raw(value)?));
                }
                Self::Object(out)
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                Self::Array(
                    items
                        .into_iter()
                        .map(Self::from_raw)
                        .collect::<Result<_, _>>()?,
                )
            }
            _ => Self::Scalar(text.to_owned()),
        })
    }

    /// A value written from serde_json's model (its map order).
    pub fn from_value(value: &serde_json::Value) -> Self {
        // A `Value` always serialises to valid JSON of bounded depth.
        Self::parse(&value.to_string()).unwrap_or_else(|_| Self::Scalar("null".into()))
    }

    /// The string this is, decoded; `None` for anything else.
    pub fn as_str(&self) -> Option<String> {
        match self {
            Self::Scalar(text) if text.starts_with('"') => serde_json::from_str(text).ok(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Self::Scalar(text) if text == "null")
    }

    /// `null`, `""` or `[]`: a member the metadata document leaves out.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Scalar(text) => text == "null" || text == "\"\"",
            Self::Array(items) => items.is_empty(),
            Self::Object(_) => false,
        }
    }

    /// The same value with every object key passed through `rename`, at
    /// every depth; a key renamed onto an earlier one keeps the earlier
    /// place and takes the later value, as a JavaScript object literal does.
    pub fn rename_keys(&self, rename: &dyn Fn(&str) -> String) -> Self {
        match self {
            Self::Scalar(text) => Self::Scalar(text.clone()),
            Self::Array(items) => {
                Self::Array(items.iter().map(|v| v.rename_keys(rename)).collect())
            }
            Self::Object(members) => {
                let mut out: Vec<(String, WrittenJson)> = Vec::with_capacity(members.len());
                for (key, value) in members {
                    put(&mut out, rename(key), value.rename_keys(rename));
                }
                Self::Object(out)
            }
        }
    }

    /// The JSON text, without whitespace.
    pub fn write(&self, out: &mut String) {
        match self {
            Self::Scalar(text) => out.push_str(text),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Self::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&json_string(key));
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// An object literal's member: a repeated key keeps its first place and takes the last value.
pub fn put<V>(members: &mut Vec<(String, V)>, key: String, value: V) {
    match members.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => members.push((key, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let mut out = String::new();
        WrittenJson::parse(text).unwrap().write(&mut out);
        out
    }

    #[test]
    fn keeps_order_numbers_and_escapes_as_written() {
        assert_eq!(
            round_trip(
                r#"{ "z": 1e+21, "a": [1.50, -0, "\u00e9\n"], "m": {"y": null, "b": true} }"#
            ),
            r#"{"z":1e+21,"a":[1.50,-0,"\u00e9\n"],"m":{"y":null,"b":true}}"#
        );
        assert!(WrittenJson::parse("{").is_err());
        assert!(WrittenJson::parse(&"[".repeat(200)).is_err());
    }

    #[test]
    fn renamed_keys_take_the_first_place_and_the_last_value() {
        let value = WrittenJson::parse(r#"{"a_b": 1, "x": 2, "aB": [{"cD": 3}]}"#).unwrap();
        let mut out = String::new();
        value
            .rename_keys(&|k| k.replace('B', "_b").replace('D', "_d"))
            .write(&mut out);
        assert_eq!(out, r#"{"a_b":[{"c_d":3}],"x":2}"#);
    }

    #[test]
    fn reads_strings_and_empties() {
        let s = WrittenJson::parse(r#""a\"b""#).unwrap();
        assert_eq!(s.as_str().as_deref(), Some("a\"b"));
        assert_eq!(WrittenJson::parse("1").unwrap().as_str(), None);
        for empty in ["null", "\"\"", "[]"] {
            assert!(WrittenJson::parse(empty).unwrap().is_empty(), "{empty}");
        }
        for kept in ["0", "false", "{}", "[null]", "\" \""] {
            assert!(!WrittenJson::parse(kept).unwrap().is_empty(), "{kept}");
        }
    }
}
