//! RFC 7662 introspection responses: the rules an answer must meet before a
//! token is accepted, and the record a fleet shares (`record`, `from_record`).
//!
//! The endpoint is authoritative for `active`, but the answer is still
//! checked like a JWT's claims: the issuer must be the trusted one, the
//! audience must name this resource, a refresh token is never an access
//! token, and `exp` must be in the future. The claim rules are the JWT
//! path's own (`ClaimRules::check`), so options added there apply here too.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::tokens::claims::{ClaimRules, Identity};
use crate::tokens::strict_json::{parse_object, DOCUMENT_MAX_DEPTH};
use crate::tokens::verified::Verified;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// Members kept from a response: what `AuthInfo` is built from (RFC 7662
/// §2.2), plus any `requiredClaims`. Nothing else is cached or shared.
pub const KEPT_MEMBERS: &[&str] = &[
    "active",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "scope",
    "client_id",
    "sub",
    "username",
    "token_type",
    "jti",
    "cnf",
];

/// How responses are judged, fixed at construction.
#[derive(Debug, Clone)]
pub struct ResponseRules {
    /// The trusted issuer whose endpoint we call.
    pub issuer: String,
    pub claims: ClaimRules,
    /// Accept a response without `aud` although audiences are configured.
    pub accept_missing_audience: bool,
}

/// What the endpoint said about a token.
#[derive(Debug, Clone)]
pub enum Verdict {
    Active(Arc<Verified>),
    Inactive,
}

pub fn inactive_error() -> AuthError {
    AuthError::new(ErrorCode::TokenInactive, "token is not active")
}

fn garbage(reason: &str) -> AuthError {
    AuthError::new(ErrorCode::IntrospectionUnavailable, reason)
        .with_retry_after(crate::http::DEFAULT_RETRY_AFTER_SECS)
}

fn ill_typed(name: &str) -> AuthError {
    AuthError::new(
        ErrorCode::InvalidClaim,
        format!("introspection member {name} is invalid"),
    )
}

fn check_types(response: &Map<String, Value>) -> AuthResult<()> {
    for name in ["iss", "scope", "client_id", "sub", "username", "token_type"] {
        if !matches!(response.get(name), None | Some(Value::String(_))) {
            return Err(ill_typed(name));
        }
    }
    match response.get("aud") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => return Err(ill_typed("aud")),
    }
    Ok(())
}

impl ResponseRules {
    /// Judges one response. `Inactive` for `active: false`; an answer without
    /// a boolean `active` is garbage from the endpoint (503), never a 401.
    pub fn judge(&self, response: &Map<String, Value>, now: f64) -> AuthResult<Verdict> {
        match response.get("active") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => return Ok(Verdict::Inactive),
            _ => return Err(garbage("introspection response has no boolean active")),
        }
        check_types(response)?;
        if let Some(Value::String(iss)) = response.get("iss") {
            if *iss != self.issuer {
                return Err(AuthError::new(
                    ErrorCode::IssuerUntrusted,
                    "introspection response names another issuer",
                ));
            }
        }
        let has_exp = response.contains_key("exp");
        let has_aud = response.contains_key("aud");
        if describes_refresh_token(response, has_aud) {
            return Err(AuthError::new(
                ErrorCode::TypeNotAllowed,
                "a refresh token is not an access token",
            ));
        }
        if !has_aud && !self.claims.audiences.is_empty() && !self.accept_missing_audience {
            return Err(AuthError::new(
                ErrorCode::AudienceMismatch,
                "introspection response has no aud",
            ));
        }
        if has_exp && has_aud {
            self.claims.check(response, now)?;
        } else {
            // The JWT rules require both; here a missing `exp` is allowed (the
            // cache bounds it) and a missing `aud` was allowed just above.
            let mut view = response.clone();
            if !has_exp {
                view.insert("exp".into(), Value::from(now + 1.0));
            }
            let rules = ClaimRules {
                audiences: if has_aud {
                    self.claims.audiences.clone()
                } else {
                    Vec::new()
                },
                ..self.claims.clone()
            };
            rules.check(&view, now)?;
        }
        let kept = self.kept(response);
        // Never `{}` in its place: that would drop `cnf` (a bound token) unseen.
        let claims_json = serde_json::to_string(&kept)
            .map_err(|_| garbage("introspection answer could not be re-serialised"))?;
        let mut identity = Identity::from_claims(&kept, &self.claims);
        if !has_exp {
            identity.expires_at = 0.0;
        }
        Ok(Verdict::Active(Arc::new(Verified {
            header: Map::new(),
            header_json: "{}".into(),
            claims_json,
            claims: kept,
            issuer: self.issuer.clone(),
            identity,
        })))
    }

    fn kept(&self, response: &Map<String, Value>) -> Map<String, Value> {
        response
            .iter()
            .filter(|(name, _)| {
                KEPT_MEMBERS.contains(&name.as_str())
                    || self.claims.required_claims.iter().any(|r| r == *name)
                    || self.claims.policy.reads(name)
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// How long a verdict may be reused: an active token until `min(exp,
    /// max_age)`, an inactive one for `negative_ttl`.
    pub fn reuse_for(
        &self,
        verdict: &Verdict,
        now: f64,
        max_age: Duration,
        negative_ttl: Duration,
    ) -> Duration {
        match verdict {
            Verdict::Inactive => negative_ttl,
            Verdict::Active(verified) => match verified.claims.get("exp").and_then(Value::as_f64) {
                Some(exp) => time_left(exp, now, max_age),
                None => max_age,
            },
        }
    }
}

/// Seconds from `now` to `deadline`, as a duration of at most `cap`: any
/// number an answer or a record carries (`1e300`, a past time) gives a
/// value in `0..=cap`, never a panic or an overflow.
pub fn time_left(deadline: f64, now: f64, cap: Duration) -> Duration {
    let left = deadline - now;
    // NaN included: no time left.
    if left.is_nan() || left <= 0.0 {
        return Duration::ZERO;
    }
    if left >= cap.as_secs_f64() {
        return cap;
    }
    Duration::try_from_secs_f64(left).map_or(cap, |d| d.min(cap))
}

/// Whether an active answer shows that it describes a refresh token, which
/// is never an access token. What answers carry:
/// - `token_type` `refresh_token` (or `refresh`);
/// - `token_use` `refresh_token` (ORY Hydra, Dex);
/// - `typ` `Refresh` or `Offline` (Keycloak's refresh-token claims);
/// - no `aud` and an `offline_access` scope: oidc-provider sends neither
///   `token_type` nor `aud` for a refresh token, whose scope holds the
///   `offline_access` that got it issued; an access token for a resource
///   has an audience.
fn describes_refresh_token(response: &Map<String, Value>, has_aud: bool) -> bool {
    let is = |name: &str, values: &[&str]| matches!(response.get(name), Some(Value::String(v)) if values.iter().any(|x| v.eq_ignore_ascii_case(x)));
    if is("token_type", &["refresh_token", "refresh"])
        || is("token_use", &["refresh_token"])
        || is("typ", &["refresh", "offline"])
    {
        return true;
    }
    let offline = match response.get("scope") {
        Some(Value::String(scope)) => scope
            .split_ascii_whitespace()
            .any(|s| s == "offline_access"),
        _ => false,
    };
    offline && !has_aud
}

/// The record a fleet stores: the kept members and the Unix time (ms) until
/// which the verdict may be reused, so a copy read late is not kept longer.
pub fn record(verdict: &Verdict, until_ms: f64) -> String {
    let response = match verdict {
        Verdict::Active(verified) => Value::Object(verified.claims.clone()),
        Verdict::Inactive => serde_json::json!({ "active": false }),
    };
    serde_json::json!({ "v": 1, "until": until_ms.floor(), "response": response }).to_string()
}

/// Reads a stored record back: `Ok(None)` when it is unreadable (treated as
/// a miss). It is not trusted blindly: the response is judged again by the
/// same rules. Returns the verdict and its `until` (Unix ms).
pub fn from_record(
    rules: &ResponseRules,
    text: &str,
    now: f64,
) -> AuthResult<Option<(Verdict, f64)>> {
    let Ok(record) = parse_object(text.as_bytes(), DOCUMENT_MAX_DEPTH) else {
        return Ok(None);
    };
    if record.get("v") != Some(&Value::from(1)) {
        return Ok(None);
    }
    let (Some(until), Some(Value::Object(response))) = (
        record.get("until").and_then(Value::as_f64),
        record.get("response"),
    ) else {
        return Ok(None);
    };
    Ok(Some((rules.judge(response, now)?, until)))
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
