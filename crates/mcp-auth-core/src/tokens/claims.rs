//! Claim rules for access tokens (RFC 7519 §4.1, RFC 9068, RFC 8725) and the
//! identity fields JavaScript receives once a token is accepted.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::tokens::claim_policy::{self, ClaimPolicy};
use serde_json::{Map, Value};

/// Default clock skew allowance, in seconds.
pub const DEFAULT_LEEWAY: u64 = 30;
/// Upper bound on the configurable leeway: more would make `exp` meaningless.
pub const MAX_LEEWAY: u64 = 300;

/// Everything a token's claims are checked against, fixed at construction.
#[derive(Debug, Clone)]
pub struct ClaimRules {
    /// Normalised accepted audiences; empty means the check was opted out of.
    pub audiences: Vec<String>,
    pub leeway: u64,
    pub max_token_age: Option<u64>,
    pub required_claims: Vec<String>,
    /// When set, the header `typ` must equal this media type (RFC 9068 strict mode).
    pub required_typ: Option<String>,
    /// `scopeClaims`, `clientIds`, `requiredClaimValues` (`claim_policy.rs`).
    pub policy: ClaimPolicy,
}

impl Default for ClaimRules {
    fn default() -> Self {
        Self {
            audiences: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            max_token_age: None,
            required_claims: Vec::new(),
            required_typ: None,
            policy: ClaimPolicy::default(),
        }
    }
}

/// Normalises an audience for comparison. URLs with an http(s) scheme compare
/// with scheme and host case-insensitive, the default port elided and an empty
/// path equal to `/`; everything else (path, query, trailing slashes after a
/// path) stays byte-exact, so only deliberate aliases match.
pub fn normalize_audience(audience: &str) -> String {
    let Some((scheme, rest)) = audience.split_once("://") else {
        return audience.to_owned();
    };
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return audience.to_owned(),
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    if authority.contains('@') || authority.is_empty() {
        return audience.to_owned();
    }
    let mut authority = authority.to_ascii_lowercase();
    if authority.ends_with(default_port) {
        authority.truncate(authority.len() - default_port.len());
    }
    let tail = if tail.starts_with('/') {
        tail.to_owned()
    } else {
        format!("/{tail}")
    };
    format!("{scheme}://{authority}{tail}")
}

/// Reads a NumericDate (RFC 7519 §2): a finite, non-negative JSON number.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> AuthResult<Option<f64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(invalid(name)),
        },
        Some(_) => Err(invalid(name)),
    }
}

fn invalid(name: &str) -> AuthError {
    AuthError::new(
        ErrorCode::InvalidClaim,
        format!("token claim {name} is invalid"),
    )
}

fn missing(name: &str) -> AuthError {
    AuthError::new(
        ErrorCode::MissingClaim,
        format!("token has no {name} claim"),
    )
}

/// Lower-cases a JOSE `typ`/`cty` and drops the optional `application/` prefix
/// (RFC 7515 §4.1.9).
fn media_type(value: &str) -> String {
    let lower = value.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

impl ClaimRules {
    /// Header `typ` rules: tokens of other JWT kinds (ID tokens, DPoP proofs,
    /// logout and security-event tokens) are never access tokens (RFC 8725 §3.11).
    pub fn check_type(&self, header: &Map<String, Value>) -> AuthResult<()> {
        let typ = match header.get("typ") {
            None => None,
            Some(Value::String(t)) => Some(media_type(t)),
            Some(_) => return Err(AuthError::malformed("token header typ is not a string")),
        };
        if let Some(required) = &self.required_typ {
            if typ.as_deref() != Some(media_type(required).as_str()) {
                return Err(AuthError::new(
                    ErrorCode::TypeNotAllowed,
                    "token type is not the required access token type",
                ));
            }
        }
        match typ.as_deref() {
            None | Some("jwt") | Some("at+jwt") => Ok(()),
            Some(_) => Err(AuthError::new(
                ErrorCode::TypeNotAllowed,
                "token type is not an access token",
            )),
        }
    }

    /// Checks time, audience, required and confirmation claims. `iss` is checked
    /// by the verifier, which must know the issuer before it can pick keys.
    pub fn check(&self, claims: &Map<String, Value>, now: f64) -> AuthResult<()> {
        self.check_times(claims, now)?;
        self.check_audience(claims)?;
        self.policy.check(claims)?;
        for name in &self.required_claims {
            if !claims.contains_key(name) {
                return Err(AuthError::new(
                    ErrorCode::MissingClaim,
                    "token lacks a required claim",
                ));
            }
        }
        check_confirmation(claims)?;
        Ok(())
    }

    /// The rules that depend on the clock (`exp`, `nbf`, `iat`, maximum age):
    /// all a token that passed [`ClaimRules::check`] with these rules can fail later.
    pub fn check_times(&self, claims: &Map<String, Value>, now: f64) -> AuthResult<()> {
        let leeway = self.leeway as f64;
        let exp = numeric_date(claims, "exp")?.ok_or_else(|| missing("exp"))?;
        if now >= exp + leeway {
            return Err(AuthError::new(ErrorCode::Expired, "token has expired"));
        }
        if let Some(nbf) = numeric_date(claims, "nbf")? {
            if nbf > now + leeway {
                return Err(AuthError::new(
                    ErrorCode::NotYetValid,
                    "token is not valid yet",
                ));
            }
        }
        let iat = numeric_date(claims, "iat")?;
        if let Some(iat) = iat {
            if iat > now + leeway {
                return Err(AuthError::new(
                    ErrorCode::IssuedInFuture,
                    "token was issued in the future",
                ));
            }
        }
        if let Some(max_age) = self.max_token_age {
            let iat = iat.ok_or_else(|| missing("iat"))?;
            if now - iat > max_age as f64 + leeway {
                return Err(AuthError::new(ErrorCode::TokenTooOld, "token is too old"));
            }
        }
        Ok(())
    }

    fn check_audience(&self, claims: &Map<String, Value>) -> AuthResult<()> {
        if self.audiences.is_empty() {
            return Ok(());
        }
        let mismatch = || {
            AuthError::new(
                ErrorCode::AudienceMismatch,
                "token audience does not include this resource",
            )
        };
        let matches = |aud: &str| self.audiences.contains(&normalize_audience(aud));
        match claims.get("aud") {
            None => Err(missing("aud")),
            Some(Value::String(aud)) => matches(aud).then_some(()).ok_or_else(mismatch),
            Some(Value::Array(items)) => {
                let mut found = false;
                for item in items {
                    let Value::String(aud) = item else {
                        return Err(invalid("aud"));
                    };
                    found |= matches(aud);
                }
                found.then_some(()).ok_or_else(mismatch)
            }
            Some(_) => Err(invalid("aud")),
        }
    }
}

/// RFC 7800 `cnf`: a DPoP binding (`jkt`, RFC 9449 §6.1), a client
/// certificate binding (`x5t#S256`, RFC 8705 §3.1), or both, each a
/// well-formed SHA-256 thumbprint. The flow checks them against the proof
/// and the presented certificate (`flow.rs`). Any other confirmation method
/// (`jwk`, `jku`, …) cannot be checked here: fail closed.
fn check_confirmation(claims: &Map<String, Value>) -> AuthResult<()> {
    let Some(cnf) = claims.get("cnf") else {
        return Ok(());
    };
    let known = |members: &Map<String, Value>| {
        members.keys().all(|key| match key.as_str() {
            "jkt" => dpop_jkt(claims).is_some(),
            "x5t#S256" => certificate_x5t(claims).is_some(),
            _ => false,
        })
    };
    if cnf.as_object().is_some_and(|c| !c.is_empty() && known(c)) {
        return Ok(());
    }
    Err(AuthError::new(
        ErrorCode::SenderConstrained,
        "token is bound by a confirmation method this resource cannot check",
    ))
}

/// The token's `cnf["x5t#S256"]` when it is a well-formed SHA-256
/// thumbprint (43 base64url characters).
pub fn certificate_x5t(claims: &Map<String, Value>) -> Option<&str> {
    match claims.get("cnf")?.get("x5t#S256")? {
        Value::String(x5t) if x5t.len() == 43 && crate::tokens::token::is_base64url(x5t) => {
            Some(x5t)
        }
        _ => None,
    }
}

/// The token's `cnf.jkt` when it is a well-formed SHA-256 thumbprint
/// (43 base64url characters).
pub fn dpop_jkt(claims: &Map<String, Value>) -> Option<&str> {
    match claims.get("cnf")?.get("jkt")? {
        Value::String(jkt) if jkt.len() == 43 && crate::tokens::token::is_base64url(jkt) => {
            Some(jkt)
        }
        _ => None,
    }
}

/// Who the caller is, read from claims that already passed verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
    pub audience: Vec<String>,
    pub expires_at: f64,
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

impl Identity {
    /// Scopes and client as `rules` read them (`claim_policy.rs`).
    pub fn from_claims(claims: &Map<String, Value>, rules: &ClaimRules) -> Self {
        let scopes = rules.policy.scopes(claims);
        let audience = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        Self {
            subject: string_claim(claims, "sub"),
            client_id: claim_policy::client_id(claims)
                .ok()
                .flatten()
                .map(str::to_owned),
            scopes,
            audience,
            expires_at: claims.get("exp").and_then(Value::as_f64).unwrap_or(0.0),
        }
    }
}

#[cfg(test)]
#[path = "claims_tests.rs"]
mod tests;
