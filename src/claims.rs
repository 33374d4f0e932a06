//! Claim rules for access tokens (RFC 7519 §4.1, RFC 9068, RFC 8725) and the
//! identity fields JavaScript receives once a token is accepted.

use crate::claim_policy::{self, ClaimPolicy};
use crate::error::{AuthError, AuthResult, ErrorCode};
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

/// RFC 7800 `cnf`: only a DPoP binding (`{"jkt": <RFC 7638 SHA-256
/// thumbprint>}`) can be honoured, and only by the DPoP layer, which checks
/// the proof against it; a `Bearer` presentation of such a token is refused
/// there. Any other confirmation method (mTLS `x5t#S256`, `jwk`, `jku`)
/// cannot be checked here: fail closed.
fn check_confirmation(claims: &Map<String, Value>) -> AuthResult<()> {
    let Some(cnf) = claims.get("cnf") else {
        return Ok(());
    };
    if dpop_jkt(claims).is_some() && cnf.as_object().is_some_and(|c| c.len() == 1) {
        return Ok(());
    }
    Err(AuthError::new(
        ErrorCode::SenderConstrained,
        "token is bound by a confirmation method this resource cannot check",
    ))
}

/// The token's `cnf.jkt` when it is a well-formed SHA-256 thumbprint
/// (43 base64url characters).
pub fn dpop_jkt(claims: &Map<String, Value>) -> Option<&str> {
    match claims.get("cnf")?.get("jkt")? {
        Value::String(jkt) if jkt.len() == 43 && crate::dpop::is_base64url(jkt) => Some(jkt),
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
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: f64 = 1_800_000_000.0;

    fn rules() -> ClaimRules {
        ClaimRules {
            audiences: vec![normalize_audience("https://mcp.example.com/mcp")],
            ..ClaimRules::default()
        }
    }

    fn claims(extra: Value) -> Map<String, Value> {
        let mut base = json!({ "aud": "https://mcp.example.com/mcp", "exp": NOW + 60.0 });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base.as_object().unwrap().clone()
    }

    fn identity(claims: &Map<String, Value>) -> Identity {
        Identity::from_claims(claims, &ClaimRules::default())
    }

    fn code(extra: Value) -> Option<ErrorCode> {
        rules().check(&claims(extra), NOW).err().map(|e| e.code)
    }

    #[test]
    fn audience_normalisation() {
        assert_eq!(
            normalize_audience("HTTP://LocalHost:80"),
            "http://localhost/"
        );
        assert_eq!(
            normalize_audience("https://A.com:443/MCP"),
            "https://a.com/MCP"
        );
        assert_eq!(
            normalize_audience("http://localhost:3001"),
            "http://localhost:3001/"
        );
        assert_eq!(
            normalize_audience("http://localhost:3001/"),
            "http://localhost:3001/"
        );
        assert_eq!(
            normalize_audience("https://a.com?x=1"),
            "https://a.com/?x=1"
        );
        assert_ne!(
            normalize_audience("https://a.com/mcp/"),
            normalize_audience("https://a.com/mcp")
        );
        assert_eq!(normalize_audience("urn:my:API"), "urn:my:API");
        assert_eq!(normalize_audience("ftp://A.com"), "ftp://A.com");
    }

    #[test]
    fn accepts_a_valid_claim_set() {
        assert_eq!(code(json!({})), None);
        assert_eq!(
            code(json!({ "aud": ["other", "https://MCP.example.com:443/mcp"] })),
            None
        );
        assert_eq!(code(json!({ "nbf": NOW + 20.0, "iat": NOW + 20.0 })), None);
    }

    #[test]
    fn expiry_rules() {
        assert_eq!(code(json!({ "exp": null })), Some(ErrorCode::MissingClaim));
        assert_eq!(code(json!({ "exp": NOW - 31.0 })), Some(ErrorCode::Expired));
        // At the boundary `now == exp + leeway` the token is expired.
        assert_eq!(code(json!({ "exp": NOW - 30.0 })), Some(ErrorCode::Expired));
        assert_eq!(code(json!({ "exp": NOW - 29.0 })), None);
        assert_eq!(
            code(json!({ "exp": "1800000060" })),
            Some(ErrorCode::InvalidClaim)
        );
        assert_eq!(code(json!({ "exp": -1 })), Some(ErrorCode::InvalidClaim));
        assert_eq!(code(json!({ "exp": true })), Some(ErrorCode::InvalidClaim));
    }

    #[test]
    fn not_before_and_issued_at() {
        assert_eq!(
            code(json!({ "nbf": NOW + 31.0 })),
            Some(ErrorCode::NotYetValid)
        );
        assert_eq!(
            code(json!({ "iat": NOW + 31.0 })),
            Some(ErrorCode::IssuedInFuture)
        );
        assert_eq!(
            code(json!({ "nbf": "soon" })),
            Some(ErrorCode::InvalidClaim)
        );
        assert_eq!(code(json!({ "iat": null, "nbf": null })), None);
    }

    #[test]
    fn max_token_age() {
        let rules = ClaimRules {
            max_token_age: Some(600),
            ..rules()
        };
        let c = |iat: Value| {
            rules
                .check(&claims(json!({ "iat": iat })), NOW)
                .err()
                .map(|e| e.code)
        };
        assert_eq!(c(json!(NOW - 600.0)), None);
        assert_eq!(c(json!(NOW - 631.0)), Some(ErrorCode::TokenTooOld));
        assert_eq!(c(Value::Null), Some(ErrorCode::MissingClaim));
    }

    #[test]
    fn audience_rules() {
        assert_eq!(code(json!({ "aud": null })), Some(ErrorCode::MissingClaim));
        assert_eq!(
            code(json!({ "aud": "https://evil.example.com/mcp" })),
            Some(ErrorCode::AudienceMismatch)
        );
        assert_eq!(
            code(json!({ "aud": "https://mcp.example.com/mcp/" })),
            Some(ErrorCode::AudienceMismatch)
        );
        assert_eq!(
            code(json!({ "aud": [] })),
            Some(ErrorCode::AudienceMismatch)
        );
        assert_eq!(
            code(json!({ "aud": "" })),
            Some(ErrorCode::AudienceMismatch)
        );
        assert_eq!(code(json!({ "aud": [1] })), Some(ErrorCode::InvalidClaim));
        assert_eq!(code(json!({ "aud": {} })), Some(ErrorCode::InvalidClaim));
        let any = ClaimRules::default();
        assert!(any.check(&claims(json!({ "aud": null })), NOW).is_ok());
    }

    #[test]
    fn required_and_confirmation_claims() {
        let rules = ClaimRules {
            required_claims: vec!["jti".into()],
            ..rules()
        };
        assert_eq!(
            rules.check(&claims(json!({})), NOW).unwrap_err().code,
            ErrorCode::MissingClaim
        );
        assert!(rules.check(&claims(json!({ "jti": "x" })), NOW).is_ok());
        // Only a DPoP binding with a well-formed thumbprint passes here (the
        // DPoP layer then requires the proof); every other binding fails closed.
        let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        assert_eq!(code(json!({ "cnf": { "jkt": jkt } })), None);
        assert_eq!(
            dpop_jkt(&claims(json!({ "cnf": { "jkt": jkt } }))),
            Some(jkt)
        );
        for bad in [
            json!({ "jkt": "abc" }),
            json!({ "jkt": format!("{jkt}=") }),
            json!({ "jkt": jkt.replace('-', "+") }),
            json!({ "jkt": 7 }),
            json!({ "jkt": jkt, "x5t#S256": "abc" }),
            json!({ "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" }),
            json!({ "jwk": { "kty": "EC" } }),
            json!({}),
            json!("jkt"),
        ] {
            assert_eq!(
                code(json!({ "cnf": bad.clone() })),
                Some(ErrorCode::SenderConstrained),
                "{bad}"
            );
        }
    }

    #[test]
    fn type_rules() {
        let header = |typ: Value| {
            json!({ "alg": "RS256", "typ": typ })
                .as_object()
                .unwrap()
                .clone()
        };
        let relaxed = ClaimRules::default();
        for ok in ["at+jwt", "application/at+JWT", "JWT"] {
            assert!(relaxed.check_type(&header(json!(ok))).is_ok(), "{ok}");
        }
        assert!(relaxed
            .check_type(&json!({ "alg": "RS256" }).as_object().unwrap().clone())
            .is_ok());
        for bad in [
            "dpop+jwt",
            "logout+jwt",
            "secevent+jwt",
            "id_token+jwt",
            "JOSE",
        ] {
            assert_eq!(
                relaxed.check_type(&header(json!(bad))).unwrap_err().code,
                ErrorCode::TypeNotAllowed,
                "{bad}"
            );
        }
        assert_eq!(
            relaxed.check_type(&header(json!(1))).unwrap_err().code,
            ErrorCode::Malformed
        );
        let strict = ClaimRules {
            required_typ: Some("at+jwt".into()),
            ..ClaimRules::default()
        };
        assert!(strict
            .check_type(&header(json!("application/at+jwt")))
            .is_ok());
        assert_eq!(
            strict.check_type(&header(json!("JWT"))).unwrap_err().code,
            ErrorCode::TypeNotAllowed
        );
    }

    #[test]
    fn identity_extraction() {
        let id = identity(&claims(json!({
            "sub": "u1", "azp": "c2", "scope": "  read:todos   create:todos ", "aud": ["a", 1, "b"]
        })));
        assert_eq!(id.subject.as_deref(), Some("u1"));
        assert_eq!(id.client_id.as_deref(), Some("c2"));
        assert_eq!(id.scopes, vec!["read:todos", "create:todos"]);
        assert_eq!(id.audience, vec!["a", "b"]);
        assert_eq!(id.expires_at, NOW + 60.0);
        let arr = identity(&claims(
            json!({ "client_id": "c1", "azp": "c2", "scp": ["a", "b"] }),
        ));
        assert_eq!(arr.client_id.as_deref(), Some("c1"));
        assert_eq!(arr.scopes, vec!["a", "b"]);
        let wrong = identity(&claims(json!({ "scope": 7, "scp": "x" })));
        assert!(wrong.scopes.is_empty());
        let mixed = identity(&claims(json!({ "scope": ["a", 2] })));
        assert!(mixed.scopes.is_empty());
    }
}
