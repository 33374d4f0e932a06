//! An identity a caller's own verify function returned (a custom
//! `verifyAccessToken`): the core never saw the token, so it holds the
//! identity to what 'jwt' mode enforces on one (a trusted issuer, a
//! configured audience, not expired), with the same codes and texts.

use super::failures::Refusal;
use super::texts::bearer_auth_error_description;
use crate::tokens::claims::{normalize_audience, DEFAULT_LEEWAY};
use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

/// What a caller-verified identity must satisfy.
#[derive(Debug, Clone, Default)]
pub struct IdentityChecks {
    /// The trusted issuers; `None`: the binding judges (a user's function) or any.
    issuers: Option<Vec<String>>,
    /// Normalised audiences; `None`: any.
    audiences: Option<HashSet<String>>,
}

/// The identity as the binding read it from the verify function's answer.
#[derive(Debug, Clone, Copy)]
pub struct CallerIdentity<'a> {
    pub issuer: Option<&'a str>,
    /// The binding's own verdict on the issuer (a user's function), if it has one.
    pub issuer_trusted: Option<bool>,
    /// The string values of its audience (a string or a list).
    pub audience: &'a [String],
    /// Seconds since the epoch; `None` when absent (a verifier of opaque
    /// tokens may not know it), NaN for anything but a finite number.
    pub expires_at: Option<f64>,
}

impl IdentityChecks {
    pub fn new(issuers: Option<Vec<String>>, audiences: Option<Vec<String>>) -> Self {
        Self {
            issuers,
            audiences: audiences.map(|list| list.iter().map(|a| normalize_audience(a)).collect()),
        }
    }

    /// The refusal for an identity that fails a check; `None` when it passes.
    pub fn refusal(&self, identity: &CallerIdentity<'_>) -> Option<Refusal<'static>> {
        let trusted = match (identity.issuer_trusted, &self.issuers) {
            (Some(verdict), _) => verdict,
            (None, Some(list)) => identity.issuer.is_some_and(|i| list.iter().any(|t| t == i)),
            (None, None) => true,
        };
        if !trusted {
            return Some(described("invalid_issuer"));
        }
        if let Some(accepted) = &self.audiences {
            let matches = identity
                .audience
                .iter()
                .any(|a| accepted.contains(&normalize_audience(a)));
            if !matches {
                return Some(described("invalid_audience"));
            }
        }
        let expires_at = identity.expires_at?;
        if !expires_at.is_finite() {
            return Some(token_fault(
                "invalid_claim",
                "expiresAt is not a finite number",
            ));
        }
        if now_seconds() >= expires_at + DEFAULT_LEEWAY as f64 {
            return Some(token_fault("expired", "token expired"));
        }
        None
    }
}

// mcp-auth's error for the code, as the wrappers threw it: its fixed text, no cause.
fn described(code: &'static str) -> Refusal<'static> {
    Refusal::Described {
        code,
        message: bearer_auth_error_description(code).unwrap_or_default(),
        cause_json: None,
    }
}

fn token_fault(code: &'static str, reason: &'static str) -> Refusal<'static> {
    Refusal::Coded {
        code,
        fault: "token",
        reason,
        retry_after: None,
        nonce: None,
    }
}

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
