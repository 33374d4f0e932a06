//! The `Authenticator`'s per-tool authorization methods (the `operations`
//! option): the request with its JSON-RPC body, and the declaration's
//! helpers. The core decides (`operations/`); this converts only.

use crate::js_error::js_error;
use crate::js_outcome::{answer, JsOutcome};
use crate::napi_authenticator::Authenticator;
use mcp_auth_core::decision::{header_pairs, Request};
use mcp_auth_core::error::AuthError;
use mcp_auth_core::operations::Body;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi]
impl Authenticator {
    /// `authenticateTls` on a route with `operations`: the body is judged
    /// first (400/413/415/500), then the operation's requirement decides.
    /// `body`: the JSON text read or re-serialized (`bodyState` `'json'`);
    /// `null` for the other states. `null` back: a public operation without
    /// credentials, pass with no identity.
    #[napi(
        catch_unwind,
        ts_return_type = "null | string | AuthAnswer | AuthVerify | Promise<null | string | AuthAnswer>"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn authenticate_operation<'env>(
        &self,
        env: &'env Env,
        method: String,
        url: String,
        original_url: Option<String>,
        headers: Vec<String>,
        timed: bool,
        certificate: Option<Buffer>,
        body: Option<Either<String, Buffer>>,
        #[napi(ts_arg_type = "'json' | 'none' | 'not-json' | 'too-large' | 'unreadable'")]
        body_state: String,
    ) -> Result<Unknown<'env>> {
        let Some(gate) = &self.gate else {
            let err = AuthError::config("`authenticateOperation` needs the `operations` option.");
            return Err(js_error(env, &err));
        };
        let bytes: &[u8] = match &body {
            Some(Either::A(text)) => text.as_bytes(),
            Some(Either::B(buffer)) => buffer,
            None => b"",
        };
        let body = match Body::from_state(&body_state, bytes, "bodyState") {
            Ok(body) => body,
            Err(err) => return Err(js_error(env, &err)),
        };
        let selection = match gate.select(&method, body) {
            Ok(selection) => selection,
            Err(response) => {
                let refused: JsOutcome = Some(Either4::C(answer(response)));
                let value = unsafe { JsOutcome::to_napi_value(env.raw(), refused)? };
                return Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) });
            }
        };
        let pairs = header_pairs(headers);
        let request = Request {
            method: &method,
            url: &url,
            original_url: original_url.as_deref(),
            headers: &pairs,
            client_certificate: certificate.as_deref(),
        };
        let started = selection.start(&request, timed);
        let flow = selection.flow().clone();
        self.answer(env, started, &flow, Some(selection))
    }

    /// A tool descriptor's `securitySchemes` as JSON text (`null` without `operations`).
    #[napi(catch_unwind)]
    pub fn security_schemes(&self, tool: String) -> Option<String> {
        self.gate.as_ref().map(|gate| gate.security_schemes(&tool))
    }

    /// The body bound in bytes the caller applies when it reads the stream (`null` without `operations`).
    #[napi(catch_unwind)]
    pub fn max_body_bytes(&self) -> Option<u32> {
        self.gate
            .as_ref()
            .map(|gate| u32::try_from(gate.max_body_bytes()).unwrap_or(u32::MAX))
    }
}
