//! JSON parsing that refuses what lenient parsers accept silently.
//!
//! serde_json keeps the last of duplicate member names; a token whose header or
//! payload says `"alg"` twice can then mean different things to different
//! parsers (RFC 8725 §3.1, RFC 7515 §5.2). We reject duplicates at every depth
//! and bound nesting, so hostile input costs little and never recurses deeply.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Nesting limit for token headers and payloads (real tokens use 2-3 levels).
pub const TOKEN_MAX_DEPTH: usize = 16;
/// Nesting limit for metadata and key-set documents.
pub const DOCUMENT_MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    Syntax,
    NotAnObject,
    DuplicateMember,
    TooDeep,
}

impl JsonError {
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Syntax => "is not valid JSON",
            Self::NotAnObject => "is not a JSON object",
            Self::DuplicateMember => "has duplicate member names",
            Self::TooDeep => "is nested too deeply",
        }
    }
}

/// Parses `bytes` (UTF-8 JSON) into an object, rejecting duplicate members at any
/// depth and nesting deeper than `max_depth`.
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict { depth: max_depth }
        .deserialize(&mut de)
        .map_err(classify)?;
    de.end().map_err(|_| JsonError::Syntax)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotAnObject),
    }
}

const DUPLICATE: &str = "duplicate member name";
const TOO_DEEP: &str = "nesting too deep";

fn classify(err: serde_json::Error) -> JsonError {
    let text = err.to_string();
    if text.starts_with(DUPLICATE) {
        JsonError::DuplicateMember
    } else if text.starts_with(TOO_DEEP) {
        JsonError::TooDeep
    } else {
        JsonError::Syntax
    }
}

/// A seed that knows how many more levels of nesting it may open.
struct Strict {
    depth: usize,
}

impl Strict {
    fn nested<E: de::Error>(&self) -> Result<Strict, E> {
        match self.depth.checked_sub(1) {
            Some(depth) => Ok(Strict { depth }),
            None => Err(E::custom(TOO_DEEP)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let seed = self.nested()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Strict { depth: seed.depth })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let seed = self.nested()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(DUPLICATE));
            }
            let value = access.next_value_seed(Strict { depth: seed.depth })?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        let map = parse_object(br#"{"a":1,"b":{"c":[1,2,{"d":null}]}}"#, 8).unwrap();
        assert_eq!(map["a"], 1);
        assert_eq!(map["b"]["c"][2]["d"], Value::Null);
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"alg":"RS256","alg":"none"}"#, 8),
            Err(JsonError::DuplicateMember)
        );
        assert_eq!(
            parse_object(br#"{"a":{"x":1,"x":2}}"#, 8),
            Err(JsonError::DuplicateMember)
        );
        assert_eq!(
            parse_object(br#"{"a":[{"x":1,"x":2}]}"#, 8),
            Err(JsonError::DuplicateMember)
        );
    }

    #[test]
    fn bounds_depth() {
        assert!(parse_object(br#"{"a":{"b":{}}}"#, 3).is_ok());
        assert_eq!(
            parse_object(br#"{"a":{"b":{"c":{}}}}"#, 3),
            Err(JsonError::TooDeep)
        );
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse_object(deep.as_bytes(), 16), Err(JsonError::TooDeep));
    }

    #[test]
    fn rejects_non_objects_and_junk() {
        assert_eq!(parse_object(b"[1]", 8), Err(JsonError::NotAnObject));
        assert_eq!(parse_object(b"\"x\"", 8), Err(JsonError::NotAnObject));
        assert_eq!(parse_object(b"{} trailing", 8), Err(JsonError::Syntax));
        assert_eq!(parse_object(b"{\"a\":1e400}", 8), Err(JsonError::Syntax));
        assert_eq!(parse_object(b"{\"a\":\"\xff\"}", 8), Err(JsonError::Syntax));
        assert_eq!(parse_object(b"", 8), Err(JsonError::Syntax));
    }
}
