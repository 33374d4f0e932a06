//! The JavaScript shapes of the `Authenticator`'s answers (accepted,
//! the exact response, a token for the caller to verify) and of a refusal
//! the caller describes, and the conversions from the flow's [`Outcome`].

use crate::auth_flow::{Accepted, Outcome, Timing};
use mcp_auth_core::decision::{Response, Scheme};
use mcp_auth_core::tokens::verifier::Verified;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// An accepted request. The token's fields are set when the native
/// verifier checked it (as `VerifiedToken`'s, without the header and the
/// audience list: the claims hold them); the token itself is the end of the
/// `Authorization` value the caller passed, `tokenLength` long.
#[napi(object, object_from_js = false)]
pub struct AuthAccepted {
    #[napi(ts_type = "'bearer' | 'dpop'")]
    pub scheme: String,
    /// The granted scopes expanded through the hierarchy; absent when that adds none.
    pub effective_scopes: Option<Vec<String>>,
    pub token_length: Option<u32>,
    pub claims_json: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<f64>,
    /// When timing was asked for: how long the native verifier took.
    pub verify_ms: Option<f64>,
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

pub type JsOutcome = Either3<AuthAccepted, AuthAnswer, AuthVerify>;

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
    match outcome {
        Outcome::Accept(Accepted {
            scheme,
            effective_scopes,
            verified,
            ..
        }) => Either3::A(accepted(
            scheme,
            effective_scopes,
            verified.as_ref().map(|(length, v)| (*length, &**v)),
            verify_ms,
        )),
        Outcome::Respond(response) => Either3::B(AuthAnswer {
            verify_ms,
            verify_valid: timing.map(|t| t.valid),
            ..answer(response)
        }),
        Outcome::Verify {
            token,
            scheme,
            proof,
        } => Either3::C(AuthVerify {
            token,
            scheme: scheme_name(scheme),
            proof,
        }),
    }
}

fn accepted(
    scheme: Scheme,
    effective_scopes: Vec<String>,
    verified: Option<(usize, &Verified)>,
    verify_ms: Option<f64>,
) -> AuthAccepted {
    // Without a hierarchy (or when it adds nothing) the caller copies the granted list.
    let expanded = verified.is_none_or(|(_, v)| effective_scopes != v.identity.scopes);
    let mut out = AuthAccepted {
        scheme: scheme_name(scheme),
        effective_scopes: expanded.then_some(effective_scopes),
        token_length: None,
        claims_json: None,
        issuer: None,
        subject: None,
        client_id: None,
        scopes: None,
        expires_at: None,
        verify_ms,
    };
    if let Some((length, v)) = verified {
        out.token_length = Some(length as u32);
        out.claims_json = Some(v.claims_json.clone());
        out.issuer = Some(v.issuer.clone());
        out.subject = v.identity.subject.clone();
        out.client_id = v.identity.client_id.clone();
        out.scopes = Some(v.identity.scopes.clone());
        out.expires_at = Some(v.identity.expires_at);
    }
    out
}
