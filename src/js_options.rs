//! Option objects from JavaScript. They become JSON (an `undefined` member
//! is an absent one, a non-finite number is spelled as JavaScript prints
//! it), and the core alone checks them: names, types, units, ranges,
//! unknown keys. `js_option_types.rs` declares their TypeScript shapes.

use mcp_auth_core::error::AuthError;
use napi::bindgen_prelude::*;
use napi::{sys, JsValue};
use serde_json::{Map, Number, Value};

/// Options are a few levels deep; anything deeper is refused, not walked.
const MAX_DEPTH: usize = 16;

/// An options object as JSON, or the keys leading to a value JSON cannot
/// hold (a function, a symbol, a bigint, a cycle): the core refuses it by
/// that option's name.
pub struct JsOptions(pub std::result::Result<Value, Vec<String>>);

impl JsOptions {
    /// The core's options, or its refusal.
    pub fn decode<T>(
        self,
        from_json: fn(Value) -> mcp_auth_core::error::AuthResult<T>,
        unrepresentable: fn(&[String]) -> AuthError,
    ) -> mcp_auth_core::error::AuthResult<T> {
        match self.0 {
            Ok(value) => from_json(value),
            Err(keys) => Err(unrepresentable(&keys)),
        }
    }
}

impl TypeName for JsOptions {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl FromNapiValue for JsOptions {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut keys = Vec::new();
        let json = unsafe { to_json(env, value, &mut keys, 0) }?;
        Ok(Self(json.ok_or(keys)))
    }
}

/// `value` as JSON; `None` (with `keys` left at the offending value) when
/// it has no JSON form.
unsafe fn to_json(
    env: sys::napi_env,
    value: sys::napi_value,
    keys: &mut Vec<String>,
    depth: usize,
) -> Result<Option<Value>> {
    let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
    Ok(Some(match unknown.get_type()? {
        ValueType::Null | ValueType::Undefined => Value::Null,
        ValueType::Boolean => Value::Bool(unsafe { bool::from_napi_value(env, value) }?),
        ValueType::String => Value::String(unsafe { String::from_napi_value(env, value) }?),
        ValueType::Number => {
            let n = unsafe { f64::from_napi_value(env, value) }?;
            // JSON cannot hold these; the core reads them back by name so
            // its range checks refuse them like any out-of-range number.
            match Number::from_f64(n) {
                Some(n) => Value::Number(n),
                None if n.is_nan() => Value::String("NaN".into()),
                None if n > 0.0 => Value::String("Infinity".into()),
                None => Value::String("-Infinity".into()),
            }
        }
        ValueType::Object if depth < MAX_DEPTH => {
            if unknown.is_array()? {
                let array = unsafe { Array::from_napi_value(env, value) }?;
                let mut items = Vec::with_capacity(array.len() as usize);
                for index in 0..array.len() {
                    let item = match array.get::<Unknown>(index)? {
                        Some(item) => unsafe { to_json(env, item.raw(), keys, depth + 1) }?,
                        None => Some(Value::Null),
                    };
                    match item {
                        Some(item) => items.push(item),
                        None => return Ok(None),
                    }
                }
                Value::Array(items)
            } else {
                let object = unsafe { Object::from_napi_value(env, value) }?;
                let mut map = Map::new();
                for key in Object::keys(&object)? {
                    // An `undefined` member is an absent option.
                    let Some(member) = object.get::<Unknown>(&key)? else {
                        continue;
                    };
                    keys.push(key);
                    let Some(member) = unsafe { to_json(env, member.raw(), keys, depth + 1) }?
                    else {
                        return Ok(None);
                    };
                    let key = keys.pop().unwrap_or_default();
                    map.insert(key, member);
                }
                Value::Object(map)
            }
        }
        _ => return Ok(None),
    }))
}
