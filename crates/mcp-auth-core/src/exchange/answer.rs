//! Judging a token endpoint's success answer (RFC 8693 §2.2.1, RFC 6749
//! §5.1). Anything malformed is the server's fault: an outage
//! (`token_exchange_unavailable`), never a token handed to the caller.

use super::request::{Grant, ACCESS_TOKEN_TYPE};
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::DEFAULT_RETRY_AFTER_SECS;
use serde_json::{json, Map, Value};

/// The longest `expires_in` believed: a year. Larger is a broken server
/// (or a number about to overflow a duration), refused.
pub const MAX_EXPIRES_IN_SECS: u64 = 366 * 86_400;
const MAX_TOKEN_TYPE_LENGTH: usize = 256;

/// An issued token. `refresh_token` is dropped: a resource server acting
/// for its caller exchanges again rather than holding refresh tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct Exchanged {
    pub access_token: String,
    pub token_type: String,
    pub issued_token_type: String,
    /// Seconds; `None` when the server did not say (then never cached).
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for Exchanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchanged")
            .field("token_type", &self.token_type)
            .field("issued_token_type", &self.issued_token_type)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl Exchanged {
    /// What a binding hands its caller: `accessToken`, `tokenType`,
    /// `issuedTokenType`, and `expiresIn` (seconds) and `scope` when known.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("accessToken".into(), json!(self.access_token));
        out.insert("tokenType".into(), json!(self.token_type));
        out.insert("issuedTokenType".into(), json!(self.issued_token_type));
        if let Some(seconds) = self.expires_in {
            out.insert("expiresIn".into(), json!(seconds));
        }
        if let Some(scope) = &self.scope {
            out.insert("scope".into(), json!(scope));
        }
        out
    }

    /// Bytes an entry holds, for the cache's memory bound.
    pub fn size(&self) -> usize {
        self.access_token.len()
            + self.token_type.len()
            + self.issued_token_type.len()
            + self.scope.as_ref().map_or(0, String::len)
            + 64
    }
}

pub fn malformed(reason: &str) -> AuthError {
    AuthError::new(
        ErrorCode::TokenExchangeUnavailable,
        format!("the token endpoint's answer {reason}"),
    )
    .with_retry_after(DEFAULT_RETRY_AFTER_SECS)
}

/// Visible ASCII only: what may follow `Bearer ` in a header.
fn is_visible(text: &str) -> bool {
    text.bytes().all(|b| (0x21..=0x7E).contains(&b))
}

fn text<'a>(body: &'a Map<String, Value>, name: &str) -> AuthResult<Option<&'a str>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(&format!("has a non-string {name}"))),
    }
}

/// `expires_in` as a whole number of seconds from 1 to a year; Entra's
/// older endpoints send it as a string of digits, accepted too.
fn expires_in(body: &Map<String, Value>) -> AuthResult<Option<u64>> {
    let seconds = match body.get("expires_in") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if (1..=10).contains(&s.len()) => s
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten(),
        Some(_) => None,
    };
    match seconds {
        Some(s) if (1..=MAX_EXPIRES_IN_SECS).contains(&s) => Ok(Some(s)),
        _ => Err(malformed(
            "has an expires_in that is not a whole number of seconds from 1 to a year",
        )),
    }
}

/// The answer to a request for `requested` (if any) under `grant`.
pub fn judge(
    body: &Map<String, Value>,
    grant: Grant,
    requested: Option<&str>,
) -> AuthResult<Exchanged> {
    let access_token = match text(body, "access_token")? {
        Some(t) if !t.is_empty() && is_visible(t) => t.to_owned(),
        _ => return Err(malformed("has no usable access_token")),
    };
    let token_type = match text(body, "token_type")? {
        Some(t) if !t.is_empty() && t.len() <= MAX_TOKEN_TYPE_LENGTH && is_visible(t) => {
            t.to_owned()
        }
        _ => return Err(malformed("has no usable token_type")),
    };
    // Required by RFC 8693; Entra's on-behalf-of answer (RFC 6749 §5.1)
    // has none and always issues an access token.
    let issued_token_type = match (text(body, "issued_token_type")?, grant) {
        (Some(t), _) if !t.is_empty() && t.len() <= 2048 && is_visible(t) => t.to_owned(),
        (None, Grant::OnBehalfOf) => ACCESS_TOKEN_TYPE.to_owned(),
        _ => return Err(malformed("has no usable issued_token_type")),
    };
    if requested.is_some_and(|r| r != issued_token_type) {
        return Err(malformed(
            "issued a token type other than the one requested",
        ));
    }
    let scope = match text(body, "scope")? {
        Some(s) if s.len() <= 8192 && !s.chars().any(char::is_control) => Some(s.to_owned()),
        Some(_) => return Err(malformed("has an unusable scope")),
        None => None,
    };
    Ok(Exchanged {
        access_token,
        token_type,
        issued_token_type,
        expires_in: expires_in(body)?,
        scope,
    })
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod tests;
