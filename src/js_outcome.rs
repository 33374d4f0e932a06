//! The JavaScript shapes of the `Authenticator`'s answers (accepted,
//! the exact response, a token for the caller to verify) and of a refusal
//! the caller describes, and the conversions from the flow's [`Outcome`].

use mcp_auth_core::accepted_json::{accepted_json, AcceptedFields};
use mcp_auth_core::decision::{Response, Scheme};
use mcp_auth_core::flow::{Accepted, Outcome, Timing};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// An accepted request whose token the caller verified (`finish`); one the
/// native verifier checked comes as JSON text instead (the core's `accepted_json.rs`).
#[napi(object, object_from_js = false)]
pub struct AuthAccepted {
    #[napi(ts_type = "'bearer' | 'dpop'")]
    pub scheme: String,
    /// The granted scopes expanded through the hierarchy.
    pub effective_scopes: Vec<String>,
}

/// The exact response to send; `error` and `reason` are for events only.
#[napi(object, object_from_js = false)]
pub struct AuthAnswer {
    pub status: u32,
    /// Names and values in wire order: `[name, value, name, value, …]`.
    pub headers: Vec<String>,
    pub body: String,
    pub error: Option<String>,
    pub reason: String,
    /// When timing was asked for and the native verifier ran: its duration and verdict.
    pub verify_ms: Option<f64>,
    pub verify_valid: Option<bool>,
}

/// A token for the caller to verify, then `finish`.
#[napi(object, object_from_js = false)]
pub struct AuthVerify {
    pub token: String,
    #[napi(ts_type = "'bearer' | 'dpop'")]
    pub scheme: String,
    pub proof: Option<String>,
    /// The presented client certificate's thumbprint (mTLS), for `finish`.
    pub certificate: Option<String>,
    /// The operation's selection (`authenticateOperation`), passed back to `finish`.
    pub operation: Option<String>,
}

/// Why the caller's verification failed, as the core's `Refusal` takes it.
#[napi(object)]
pub struct AuthRefusal {
    #[napi(ts_type = "'coded' | 'missingScopes' | 'described' | 'server' | 'unexpected'")]
    pub kind: String,
    pub code: Option<String>,
    pub fault: Option<String>,
    pub reason: Option<String>,
    pub retry_after: Option<f64>,
    pub missing: Option<Vec<String>>,
    pub message: Option<String>,
    pub cause_json: Option<String>,
    pub description: Option<String>,
}

/// An accepted request the native verifier checked is JSON text (the core's
/// `accepted_json.rs`); `None` (JavaScript `null`) is an anonymous pass.
pub type JsOutcome = Option<Either4<String, AuthAccepted, AuthAnswer, AuthVerify>>;

pub fn scheme_name(scheme: Scheme) -> String {
    match scheme {
        Scheme::Bearer => "bearer".to_owned(),
        Scheme::Dpop => "dpop".to_owned(),
    }
}

pub fn parse_scheme(name: &str) -> Scheme {
    if name == "dpop" {
        Scheme::Dpop
    } else {
        Scheme::Bearer
    }
}

pub fn answer(response: Response) -> AuthAnswer {
    let mut headers = Vec::with_capacity(response.headers.len() * 2);
    for (name, value) in response.headers {
        headers.push(name);
        headers.push(value);
    }
    AuthAnswer {
        status: u32::from(response.status),
        headers,
        body: response.body,
        error: response.error,
        reason: response.reason,
        verify_ms: None,
        verify_valid: None,
    }
}

pub fn to_js(outcome: Outcome, timing: Option<Timing>) -> JsOutcome {
    let verify_ms = timing.map(|t| t.duration_ms);
    Some(match outcome {
        // A public operation without credentials (`authenticateOperation`).
        Outcome::Anonymous => return None,
        // The hot path (a cache hit or an inline check): one string for JavaScript to parse.
        Outcome::Accept(Accepted {
            scheme,
            effective_scopes,
            verified: Some((length, verified)),
            ..
        }) => {
            // Without a hierarchy (or when it adds nothing) the caller copies the granted list.
            let expanded = effective_scopes != verified.identity.scopes;
            let fields = AcceptedFields {
                scheme,
                effective_scopes: expanded.then_some(&effective_scopes[..]),
                token_length: length,
                verify_ms,
            };
            Either4::A(accepted_json(&fields, &verified))
        }
        Outcome::Accept(Accepted {
            scheme,
            effective_scopes,
            verified: None,
            ..
        }) => Either4::B(AuthAccepted {
            scheme: scheme_name(scheme),
            effective_scopes,
        }),
        Outcome::Respond(response) => Either4::C(AuthAnswer {
            verify_ms,
            verify_valid: timing.map(|t| t.valid),
            ..answer(response)
        }),
        Outcome::Verify {
            token,
            scheme,
            proof,
            certificate,
            operation,
        } => Either4::D(AuthVerify {
            token,
            scheme: scheme_name(scheme),
            proof,
            certificate,
            operation,
        }),
    })
}
