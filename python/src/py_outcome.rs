//! The Python shapes of the `Authenticator`'s answers: accepted (JSON text
//! from the core's `accepted_json`, or `Accepted` after a caller-side
//! verify), the exact response (`Answer`), a token for the caller to verify
//! (`Verify`), `None` for an anonymous pass (a public operation); and the conversion from the flow's [`Outcome`].

use mcp_auth_core::accepted_json::{accepted_json, AcceptedFields};
use mcp_auth_core::decision::{Response, Scheme};
use mcp_auth_core::error::{AuthError, AuthResult};
use mcp_auth_core::flow::{Accepted as FlowAccepted, Outcome, Timing};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// The exact response to send; `error` and `reason` are for events only.
#[pyclass(frozen, get_all, module = "mcp_auth_rs._native")]
pub struct Answer {
    status: u16,
    /// Names and values in wire order.
    headers: Vec<(String, String)>,
    body: String,
    error: Option<String>,
    reason: String,
    /// When timing was asked for and the native verifier ran: its duration and verdict.
    verify_ms: Option<f64>,
    verify_valid: Option<bool>,
}

/// A token for the caller to verify, then `finish`.
#[pyclass(frozen, get_all, module = "mcp_auth_rs._native")]
pub struct Verify {
    token: String,
    scheme: &'static str,
    proof: Option<String>,
    /// The presented client certificate's thumbprint (mTLS), for `finish`.
    certificate: Option<String>,
    /// The operation's selection (per-tool authorization), for `finish(..., operation=)`.
    operation: Option<String>,
}

/// An accepted request whose token the caller verified (`finish`).
#[pyclass(frozen, get_all, module = "mcp_auth_rs._native")]
pub struct Accepted {
    scheme: &'static str,
    /// The granted scopes expanded through the hierarchy.
    effective_scopes: Vec<String>,
}

pub fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Bearer => "bearer",
        Scheme::Dpop => "dpop",
    }
}

pub fn parse_scheme(name: &str) -> AuthResult<Scheme> {
    match name {
        "bearer" => Ok(Scheme::Bearer),
        "dpop" => Ok(Scheme::Dpop),
        _ => Err(AuthError::config("a scheme is 'bearer' or 'dpop'.")),
    }
}

pub fn answer(response: Response, timing: Option<Timing>) -> Answer {
    Answer {
        status: response.status,
        headers: response.headers,
        body: response.body,
        error: response.error,
        reason: response.reason,
        verify_ms: timing.map(|t| t.duration_ms),
        verify_valid: timing.map(|t| t.valid),
    }
}

/// The outcome as Python receives it.
pub fn to_python(py: Python<'_>, outcome: Outcome, timing: Option<Timing>) -> PyResult<Py<PyAny>> {
    Ok(match outcome {
        // The hot path (a cache hit or an inline check): the one JSON text the Node addon sends.
        Outcome::Accept(FlowAccepted {
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
                verify_ms: timing.map(|t| t.duration_ms),
            };
            PyString::new(py, &accepted_json(&fields, &verified))
                .into_any()
                .unbind()
        }
        Outcome::Accept(FlowAccepted {
            scheme,
            effective_scopes,
            verified: None,
            ..
        }) => Py::new(
            py,
            Accepted {
                scheme: scheme_name(scheme),
                effective_scopes,
            },
        )?
        .into_any(),
        Outcome::Respond(response) => Py::new(py, answer(response, timing))?.into_any(),
        Outcome::Verify {
            token,
            scheme,
            proof,
            certificate,
            operation,
        } => Py::new(
            py,
            Verify {
                token,
                scheme: scheme_name(scheme),
                proof,
                certificate,
                operation,
            },
        )?
        .into_any(),
        // A public operation without credentials: pass with no identity.
        Outcome::Anonymous => py.None(),
    })
}
