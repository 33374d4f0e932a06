//! Which verifier of an ordered list judges a request: the first whose kind
//! matches the token's shape (an API key's prefix, a JWS naming one of a
//! JWT verifier's issuers). Exactly one verifier judges a token, so a token
//! one verifier refused never gets a second opinion from another. The
//! unverified `iss` only routes; the chosen verifier checks everything.

use crate::decision::credentials::read_credentials;
use crate::error::{AuthError, AuthResult};
use crate::options::credentials::{
    refresh_interval, CredentialKindsOptions, MAX_PREFIX_LENGTH, MAX_VERIFIERS,
};
use crate::tokens::verifier::unverified_claims;
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// JWTs whose `iss` is one of these.
    Jwt { issuers: Vec<String> },
    /// Tokens starting with `prefix`; without one, any token not shaped as a JWS.
    ApiKey {
        prefix: Option<String>,
        refresh_interval_ms: u64,
    },
}

#[derive(Debug, Clone)]
pub struct CredentialRouter {
    names: Vec<String>,
    kinds: Vec<Kind>,
    /// Who answers a request no kind matches (no token, a malformed header,
    /// an unknown issuer): the first JWT verifier, else the first verifier.
    fallback: usize,
}

impl CredentialRouter {
    pub fn new(options: &CredentialKindsOptions) -> AuthResult<Self> {
        let verifiers = &options.verifiers;
        if verifiers.is_empty() || verifiers.len() > MAX_VERIFIERS {
            return Err(AuthError::config(format!(
                "bearerAuth takes from 1 to {MAX_VERIFIERS} verifiers."
            )));
        }
        let mut names = HashSet::new();
        let mut issuers_seen = HashSet::new();
        let mut prefixes: Vec<Option<&str>> = Vec::new();
        let mut kinds = Vec::with_capacity(verifiers.len());
        for v in verifiers {
            let name = &v.name;
            if name.is_empty() || !names.insert(name.as_str()) {
                return Err(AuthError::config(format!(
                    "each verifier needs a distinct, non-empty `name` ('{name}' is empty or repeated)."
                )));
            }
            let wrong = |option: &str| {
                AuthError::config(format!(
                    "verifier '{name}': `{option}` does not apply to kind '{}'.",
                    v.kind
                ))
            };
            kinds.push(match v.kind.as_str() {
                "jwt" => {
                    if v.prefix.is_some() {
                        return Err(wrong("prefix"));
                    }
                    if v.refresh_interval.is_some() {
                        return Err(wrong("refreshInterval"));
                    }
                    let issuers = v.issuers.clone().unwrap_or_default();
                    if issuers.is_empty() {
                        return Err(AuthError::config(format!(
                            "verifier '{name}' trusts no issuer."
                        )));
                    }
                    for issuer in &issuers {
                        if !issuers_seen.insert(issuer.clone()) {
                            return Err(AuthError::config(format!(
                                "verifier '{name}': issuer {issuer} is already routed to an earlier verifier; an issuer's tokens go to one verifier."
                            )));
                        }
                    }
                    Kind::Jwt { issuers }
                }
                "apiKey" => {
                    if v.issuers.is_some() {
                        return Err(wrong("issuers"));
                    }
                    let prefix = v.prefix.as_deref();
                    check_prefix(name, prefix, &prefixes)?;
                    prefixes.push(prefix);
                    Kind::ApiKey {
                        prefix: v.prefix.clone(),
                        refresh_interval_ms: refresh_interval(name, v.refresh_interval)?,
                    }
                }
                other => {
                    return Err(AuthError::config(format!(
                        "verifier '{name}': kind must be 'jwt' or 'apiKey', not '{other}'."
                    )))
                }
            });
        }
        let fallback = kinds
            .iter()
            .position(|k| matches!(k, Kind::Jwt { .. }))
            .unwrap_or(0);
        Ok(Self {
            names: verifiers.iter().map(|v| v.name.clone()).collect(),
            kinds,
            fallback,
        })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// The verifier for a request's headers (`Authorization`, either scheme).
    pub fn route(&self, headers: &[(String, String)]) -> usize {
        match read_credentials(headers, usize::MAX, true) {
            Ok((token, _)) => self.route_token(token),
            Err(_) => self.fallback,
        }
    }

    /// The verifier for one token: the first whose kind matches.
    pub fn route_token(&self, token: &str) -> usize {
        let claims = unverified_claims(token);
        let issuer = match claims.as_ref().and_then(|c| c.get("iss")) {
            Some(Value::String(iss)) => Some(iss.as_str()),
            _ => None,
        };
        self.kinds
            .iter()
            .position(|kind| match kind {
                Kind::Jwt { issuers } => issuer.is_some_and(|i| issuers.iter().any(|t| t == i)),
                Kind::ApiKey {
                    prefix: Some(p), ..
                } => token.starts_with(p.as_str()),
                Kind::ApiKey { prefix: None, .. } => claims.is_none(),
            })
            .unwrap_or(self.fallback)
    }
}

// A prefix tells kinds apart, so none may shadow another; one prefix-less
// API-key verifier at most.
fn check_prefix(name: &str, prefix: Option<&str>, earlier: &[Option<&str>]) -> AuthResult<()> {
    match prefix {
        None if earlier.contains(&None) => Err(AuthError::config(format!(
            "verifier '{name}': only one API-key verifier may go without a `prefix`."
        ))),
        None => Ok(()),
        Some(p) => {
            let valid = !p.is_empty()
                && p.len() <= MAX_PREFIX_LENGTH
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
            if !valid {
                return Err(AuthError::config(format!(
                    "verifier '{name}': `prefix` must be 1 to {MAX_PREFIX_LENGTH} token characters (letters, digits, - . _ ~ + /)."
                )));
            }
            if earlier
                .iter()
                .flatten()
                .any(|e| e.starts_with(p) || p.starts_with(e))
            {
                return Err(AuthError::config(format!(
                    "verifier '{name}': `prefix` overlaps an earlier verifier's prefix."
                )));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
