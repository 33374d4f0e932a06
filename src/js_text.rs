//! A JavaScript string as Rust text, read the cheap way for request headers.
//!
//! napi-rs reads a `String` argument as UTF-8: V8 measures the UTF-8 length
//! in one pass and encodes in a second, about 5 instructions per character of
//! a bearer token (bench/README.md). Header values are one-byte strings in V8
//! (Node decodes them as Latin-1), which it widens to UTF-16 in one copy; an
//! ASCII check then narrows them. Anything else takes the general UTF-16
//! decoding, with a lone surrogate replaced as the UTF-8 read replaces it.

use napi::bindgen_prelude::*;
use napi::{sys, JsString, JsValue};
use std::ptr;

/// `value`'s text, exactly as `String`'s own conversion gives it.
pub fn header_text(env: &Env, value: &JsString) -> Result<String> {
    let mut length = 0usize;
    // SAFETY: a null buffer asks V8 for the length in UTF-16 units only.
    check_status!(unsafe {
        sys::napi_get_value_string_utf16(env.raw(), value.raw(), ptr::null_mut(), 0, &mut length)
    })?;
    // One more unit for the terminator V8 always writes; not zeroed first.
    let mut units: Vec<u16> = Vec::with_capacity(length + 1);
    let mut written = 0usize;
    // SAFETY: `units` has room for `length + 1` units, the size passed.
    check_status!(unsafe {
        sys::napi_get_value_string_utf16(
            env.raw(),
            value.raw(),
            units.as_mut_ptr(),
            length + 1,
            &mut written,
        )
    })?;
    // SAFETY: V8 initialized the first `written` units (never more than `length`).
    unsafe { units.set_len(written.min(length)) };
    // Without an early exit, so the check and the narrowing run on vectors.
    if units.iter().fold(0u16, |seen, &unit| seen | unit) < 0x80 {
        let bytes: Vec<u8> = units.iter().map(|&unit| unit as u8).collect();
        // Only ASCII went in: never the error arm.
        return Ok(String::from_utf8(bytes).unwrap_or_default());
    }
    Ok(String::from_utf16_lossy(&units))
}
