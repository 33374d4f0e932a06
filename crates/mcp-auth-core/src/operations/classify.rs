//! Reading the JSON-RPC request a per-operation gate judges: what the
//! binding says about the body, then the messages in it. Only the members
//! the rules need are read (`method`, `id`, `params.name`, `params.uri`,
//! `params.ref`); everything else is skipped. A member read here that
//! appears twice in the same object is refused: parsers disagree on which
//! one wins, and the app must dispatch exactly what was judged.

use crate::error::{AuthError, AuthResult};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// JSON-RPC batches above this are refused, as the TypeScript SDK does.
pub const MAX_BATCH_ITEMS: usize = 100;

/// The request body as the binding found it.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// Not a POST: no body is judged.
    None,
    /// The bytes read, or the JSON text of a body an earlier parser produced.
    Json(&'a [u8]),
    /// A POST whose Content-Type is not `application/json`.
    NotJson,
    /// Content-Length or the bytes read exceed `maxBodyBytes`.
    TooLarge,
    /// Someone else consumed the stream and left nothing to reuse.
    Unreadable,
}

impl<'a> Body<'a> {
    /// The body from a binding's state name (`'json'`, `'none'`, `'not-json'`,
    /// `'too-large'`, `'unreadable'`) and the bytes it read; `option`: the
    /// binding's name for the state, for the error.
    pub fn from_state(state: &str, bytes: &'a [u8], option: &str) -> AuthResult<Self> {
        Ok(match state {
            "json" => Self::Json(bytes),
            "none" => Self::None,
            "not-json" => Self::NotJson,
            "too-large" => Self::TooLarge,
            "unreadable" => Self::Unreadable,
            _ => {
                return Err(AuthError::config(format!(
                    "`{option}` must be 'json', 'none', 'not-json', 'too-large' or 'unreadable'."
                )))
            }
        })
    }
}

/// Why a body is refused before any token is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    NotJson,
    TooLarge,
    /// Invalid UTF-8 or JSON, empty, or a read member repeated (-32700).
    Parse,
    /// Valid JSON that is no JSON-RPC request or batch (-32600).
    Invalid,
    Unreadable,
}

/// Which declaration names the target of a named method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tool,
    Prompt,
    Resource,
}

/// One message of the body.
#[derive(Debug, Clone)]
pub enum Message<'a> {
    /// No `method`: a JSON-RPC response from the client.
    Response,
    Request {
        method: String,
        /// For a named method: its kind and the name or URI (`None`: missing or not a string).
        target: Option<(Kind, Option<String>)>,
        /// The `id` exactly as sent (absent for a notification).
        id: Option<&'a RawValue>,
    },
}

/// The messages of a body (`batch`: it was an array).
#[derive(Debug)]
pub struct Messages<'a> {
    pub items: Vec<Message<'a>>,
    pub batch: bool,
}

/// The messages of a JSON body.
pub fn read(bytes: &[u8]) -> Result<Messages<'_>, BodyFault> {
    let text = std::str::from_utf8(bytes).map_err(|_| BodyFault::Parse)?;
    let whole: &RawValue = serde_json::from_str(text).map_err(|_| BodyFault::Parse)?;
    let raw = whole.get();
    if raw.starts_with('[') {
        let list: Vec<&RawValue> = serde_json::from_str(raw).map_err(|_| BodyFault::Parse)?;
        if list.is_empty() || list.len() > MAX_BATCH_ITEMS {
            return Err(BodyFault::Invalid);
        }
        let items = list
            .into_iter()
            .map(message)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Messages { items, batch: true })
    } else {
        Ok(Messages {
            items: vec![message(whole)?],
            batch: false,
        })
    }
}

fn message(raw: &RawValue) -> Result<Message<'_>, BodyFault> {
    if !raw.get().starts_with('{') {
        return Err(BodyFault::Invalid);
    }
    let fields: ItemFields = serde_json::from_str(raw.get()).map_err(|_| BodyFault::Parse)?;
    let Some(method) = fields.method else {
        return Ok(Message::Response);
    };
    let method = string(method).ok_or(BodyFault::Invalid)?;
    let params = || params_of(fields.params);
    let target = match method.as_str() {
        "tools/call" => Some((Kind::Tool, params()?.and_then(|p| p.name).and_then(string))),
        "prompts/get" => Some((
            Kind::Prompt,
            params()?.and_then(|p| p.name).and_then(string),
        )),
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => Some((
            Kind::Resource,
            params()?.and_then(|p| p.uri).and_then(string),
        )),
        "completion/complete" => completion_target(params()?)?,
        _ => None,
    };
    Ok(Message::Request {
        method,
        target,
        id: fields.id,
    })
}

/// `params` when it is an object.
fn params_of(params: Option<&RawValue>) -> Result<Option<ParamFields<'_>>, BodyFault> {
    match params {
        Some(p) if p.get().starts_with('{') => serde_json::from_str(p.get())
            .map(Some)
            .map_err(|_| BodyFault::Parse),
        _ => Ok(None),
    }
}

/// `completion/complete` follows its `ref`: a prompt's name or a resource's
/// URI; any other reference names nothing (the `default` rule).
fn completion_target(
    params: Option<ParamFields<'_>>,
) -> Result<Option<(Kind, Option<String>)>, BodyFault> {
    let Some(reference) = params.and_then(|p| p.reference) else {
        return Ok(Some((Kind::Prompt, None)));
    };
    if !reference.get().starts_with('{') {
        return Ok(Some((Kind::Prompt, None)));
    }
    let fields: RefFields = serde_json::from_str(reference.get()).map_err(|_| BodyFault::Parse)?;
    Ok(Some(match fields.kind.and_then(string).as_deref() {
        Some("ref/prompt") => (Kind::Prompt, fields.name.and_then(string)),
        Some("ref/resource") => (Kind::Resource, fields.uri.and_then(string)),
        _ => (Kind::Prompt, None),
    }))
}

/// A raw value's string, when it is one.
fn string(raw: &RawValue) -> Option<String> {
    if !raw.get().starts_with('"') {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

/// Reads the members `names` lists from an object, each at most once.
fn read_members<'de, A: MapAccess<'de>>(
    mut map: A,
    names: &[&str],
) -> Result<Vec<Option<&'de RawValue>>, A::Error> {
    let mut found: Vec<Option<&'de RawValue>> = vec![None; names.len()];
    while let Some(key) = map.next_key::<KeyName>()? {
        match names.iter().position(|n| *n == key.0) {
            Some(i) if found[i].is_some() => {
                return Err(de::Error::custom("duplicate member"));
            }
            Some(i) => found[i] = Some(map.next_value()?),
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(found)
}

/// An object key, compared after unescaping (`"m\u0065thod"` is `method`).
struct KeyName(String);

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyName, E> {
                Ok(KeyName(v.to_owned()))
            }
        }
        deserializer.deserialize_str(V)
    }
}

macro_rules! fields {
    ($name:ident { $($field:ident : $key:literal),* }) => {
        struct $name<'a> {
            $($field: Option<&'a RawValue>,)*
        }

        impl<'de> Deserialize<'de> for $name<'de> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name<'de>;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$name<'de>, A::Error> {
                        let mut found = read_members(map, &[$($key),*])?.into_iter();
                        Ok($name { $($field: found.next().flatten(),)* })
                    }
                }
                deserializer.deserialize_map(V)
            }
        }
    };
}

// `jsonrpc` is read only so that a repeat of it is refused.
fields!(ItemFields {
    _jsonrpc: "jsonrpc",
    method: "method",
    id: "id",
    params: "params"
});
fields!(ParamFields {
    name: "name",
    uri: "uri",
    reference: "ref"
});
fields!(RefFields {
    kind: "type",
    name: "name",
    uri: "uri"
});

#[cfg(test)]
mod tests {
    #[test]
    fn a_body_state_by_name_and_an_unknown_one_named_by_the_binding_option() {
        assert!(matches!(
            Body::from_state("json", b"{}", "bodyState"),
            Ok(Body::Json(b"{}"))
        ));
        assert!(matches!(
            Body::from_state("none", b"", "bodyState"),
            Ok(Body::None)
        ));
        assert!(matches!(
            Body::from_state("not-json", b"", "bodyState"),
            Ok(Body::NotJson)
        ));
        assert!(matches!(
            Body::from_state("too-large", b"", "bodyState"),
            Ok(Body::TooLarge)
        ));
        assert!(matches!(
            Body::from_state("unreadable", b"", "bodyState"),
            Ok(Body::Unreadable)
        ));
        let err = Body::from_state("JSON", b"", "body_state").err().unwrap();
        assert!(err.reason.starts_with("`body_state` must be"));
    }

    #[test]
    fn header_pairs_keep_repeats_in_order_and_drop_an_odd_last_entry() {
        let flat = ["authorization", "a", "authorization", "b", "dpop"]
            .map(String::from)
            .to_vec();
        let pairs = crate::decision::header_pairs(flat);
        assert_eq!(
            pairs,
            vec![
                ("authorization".into(), "a".into()),
                ("authorization".into(), "b".into())
            ]
        );
    }

    use super::*;

    fn one(text: &str) -> Message<'_> {
        let mut messages = read(text.as_bytes()).unwrap();
        assert!(!messages.batch);
        messages.items.remove(0)
    }

    fn target(text: &str) -> Option<(Kind, Option<String>)> {
        match one(text) {
            Message::Request { target, .. } => target,
            Message::Response => panic!("a request"),
        }
    }

    #[test]
    fn reads_the_named_targets() {
        let named = |kind, name: &str| Some((kind, Some(name.to_owned())));
        assert_eq!(
            target(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"name":"x"}}}"#
            ),
            named(Kind::Tool, "search")
        );
        assert_eq!(
            target(r#"{"params":{"name":"p"},"method":"prompts/get"}"#),
            named(Kind::Prompt, "p")
        );
        for method in [
            "resources/read",
            "resources/subscribe",
            "resources/unsubscribe",
        ] {
            let text = format!(r#"{{"method":"{method}","params":{{"uri":"docs://a"}}}}"#);
            assert_eq!(target(&text), named(Kind::Resource, "docs://a"));
        }
        assert_eq!(
            target(
                r#"{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"p"}}}"#
            ),
            named(Kind::Prompt, "p")
        );
        assert_eq!(
            target(
                r#"{"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"docs://a"}}}"#
            ),
            named(Kind::Resource, "docs://a")
        );
        assert_eq!(
            target(
                r#"{"method":"completion/complete","params":{"ref":{"type":"ref/other","name":"p"}}}"#
            ),
            Some((Kind::Prompt, None))
        );
        assert_eq!(
            target(r#"{"method":"tools/call","params":{"name":7}}"#),
            Some((Kind::Tool, None))
        );
        assert_eq!(
            target(r#"{"method":"tools/call","params":[1]}"#),
            Some((Kind::Tool, None))
        );
        assert_eq!(
            target(r#"{"method":"tools/call"}"#),
            Some((Kind::Tool, None))
        );
        assert_eq!(
            target(r#"{"method":"tools/list","params":{"name":"x"}}"#),
            None
        );
        // Escapes are read as JSON.parse reads them.
        assert_eq!(
            target(r#"{"m\u0065thod":"tools/call","params":{"n\u0061me":"s\u0065arch"}}"#),
            named(Kind::Tool, "search")
        );
    }

    #[test]
    fn keeps_the_id_byte_exact_and_sees_responses() {
        match one(r#"{"id": 12345678901234567890 ,"method":"tools/call"}"#) {
            Message::Request { id, .. } => assert_eq!(id.unwrap().get(), "12345678901234567890"),
            _ => panic!(),
        }
        match one(r#"{"method":"ping"}"#) {
            Message::Request { id, .. } => assert!(id.is_none()),
            _ => panic!(),
        }
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
            Message::Response
        ));
    }

    #[test]
    fn refuses_what_cannot_be_judged() {
        let fault = |text: &[u8]| read(text).unwrap_err();
        for parse in [
            &b""[..],
            b"  ",
            b"{",
            b"{\"method\":\"ping\"} x",
            b"\xff",
            br#"{"method":"ping","method":"tools/call"}"#,
            br#"{"id":1,"id":2,"method":"ping"}"#,
            br#"{"jsonrpc":"2.0","jsonrpc":"2.0","method":"ping"}"#,
            br#"{"method":"tools/call","params":{},"params":{}}"#,
            br#"{"method":"tools/call","params":{"name":"a","name":"b"}}"#,
            br#"{"method":"resources/read","params":{"uri":"a","uri":"b"}}"#,
            br#"{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","type":"x"}}}"#,
            br#"[{"method":"ping"},{"method":"ping","method":"x"}]"#,
        ] {
            assert_eq!(fault(parse), BodyFault::Parse, "{}", String::from_utf8_lossy(parse));
        }
        let hundred_one = format!("[{}]", vec![r#"{"method":"ping"}"#; 101].join(","));
        for invalid in [
            &b"1"[..],
            b"\"x\"",
            b"null",
            b"[]",
            hundred_one.as_bytes(),
            b"[1]",
            br#"[{"method":"ping"},"x"]"#,
            br#"{"method":1}"#,
            br#"{"method":null}"#,
        ] {
            assert_eq!(
                fault(invalid),
                BodyFault::Invalid,
                "{}",
                String::from_utf8_lossy(invalid)
            );
        }
        let hundred = format!("[{}]", vec![r#"{"method":"ping"}"#; 100].join(","));
        assert_eq!(read(hundred.as_bytes()).unwrap().items.len(), 100);
        // Repeats of members nobody reads are left to the app.
        assert!(
            read(br#"{"method":"ping","x":1,"x":2,"params":{"arguments":1,"arguments":2}}"#)
                .is_ok()
        );
    }
}
