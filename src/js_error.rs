//! Errors as JavaScript sees them: an `Error` with `name`, a stable `code`,
//! the code's `fault` (`token`, `infrastructure`, `server`), a fixed `reason`,
//! and `url` / `retryAfter` when known.

use mcp_auth_core::error::AuthError;
use napi::bindgen_prelude::*;

pub fn js_error(env: &Env, err: &AuthError) -> Error {
    let build = || -> Result<Unknown<'_>> {
        let mut obj = env.create_error(Error::new(Status::GenericFailure, err.to_string()))?;
        let name = if err.code.is_infrastructure() || err.url.is_some() {
            "AuthServerError"
        } else {
            "TokenVerificationError"
        };
        obj.set_named_property("name", name)?;
        obj.set_named_property("code", err.code.as_str())?;
        obj.set_named_property("fault", err.code.fault().as_str())?;
        obj.set_named_property("reason", err.reason.as_str())?;
        if let Some(url) = &err.url {
            obj.set_named_property("url", url.as_str())?;
        }
        if let Some(seconds) = err.retry_after {
            obj.set_named_property("retryAfter", seconds)?;
        }
        Ok(obj.to_unknown())
    };
    match build() {
        Ok(value) => Error::from(value),
        Err(e) => e,
    }
}

pub use mcp_auth_core::panic_guard::internal;
