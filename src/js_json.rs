//! JSON objects handed to JavaScript. napi's own conversion of a serde map sets
//! members one by one with a plain property set, so a `"__proto__"` member of a
//! fetched document would become the object's prototype (and its members would
//! be inherited, i.e. trusted). Serialising the map and calling JavaScript's
//! `JSON.parse` makes every member an own data property, exactly as JavaScript
//! itself parses JSON, at any depth.

use napi::bindgen_prelude::{ToNapiValue, TypeName, ValueType};
use napi::{check_status, sys, Error, Result, Status};
use serde_json::{Map, Value};
use std::ptr;

/// A JSON object that crosses into JavaScript through `JSON.parse`.
pub struct JsonObject(pub Map<String, Value>);

impl TypeName for JsonObject {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for JsonObject {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let text = serde_json::to_string(&val.0)
            .map_err(|e| Error::new(Status::GenericFailure, e.to_string()))?;
        unsafe { json_parse(env, &text) }
    }
}

unsafe fn json_parse(env: sys::napi_env, text: &str) -> Result<sys::napi_value> {
    let mut global = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_global(env, &mut global) })?;
    let mut json = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_get_named_property(env, global, c"JSON".as_ptr(), &mut json)
    })?;
    let mut parse = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_get_named_property(env, json, c"parse".as_ptr(), &mut parse)
    })?;
    let mut argument = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_string_utf8(
            env,
            text.as_ptr().cast(),
            text.len() as isize,
            &mut argument,
        )
    })?;
    let mut result = ptr::null_mut();
    check_status!(unsafe { sys::napi_call_function(env, json, parse, 1, &argument, &mut result) })?;
    Ok(result)
}
