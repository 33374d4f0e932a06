//! One exchange's parameters as a binding passes them (per call), their
//! checks, the form sent to the token endpoint, and the cache key.
//!
//! The subject token enters the form and, hashed, the key; it is never kept.

use crate::error::{AuthError, AuthResult};
use crate::options::decode::{self, decode};
use crate::tokens::cache::{self, Digest};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Most values per list (audiences, resources, scopes) and longest value:
/// far beyond real use, small enough that a key never grows without bound.
const MAX_VALUES: usize = 32;
const MAX_VALUE_LENGTH: usize = 2048;

/// Which grant the token endpoint is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// RFC 8693 `urn:ietf:params:oauth:grant-type:token-exchange`.
    TokenExchange,
    /// Entra ID's on-behalf-of flow: the jwt-bearer grant with
    /// `requested_token_use=on_behalf_of`; targets only by `scope`.
    OnBehalfOf,
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one.clone()],
            Self::Many(many) => many.clone(),
        }
    }
}

/// What one call asks for (`exchangeToken(authInfo, { … })`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExchangeParams {
    /// RFC 8693 `audience`: logical names of the target service(s).
    pub audience: Option<OneOrMany>,
    /// RFC 8707 `resource`: absolute URIs of the target API(s), no fragment.
    pub resource: Option<OneOrMany>,
    /// The (narrowed) scope: one space-separated string or a list.
    pub scope: Option<OneOrMany>,
    /// RFC 8693 `requested_token_type`; default: the server's choice.
    pub requested_token_type: Option<String>,
}

/// Checked parameters, in the order they are sent and keyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRequest {
    pub audiences: Vec<String>,
    pub resources: Vec<String>,
    pub scopes: Vec<String>,
    pub requested_token_type: Option<String>,
}

fn public_path(keys: &[&str]) -> String {
    format!(
        "exchangeToken.{}",
        keys.first().copied().unwrap_or_default()
    )
}

fn bad(field: &str, what: &str) -> AuthError {
    AuthError::config(format!("`exchangeToken.{field}` {what}"))
}

fn checked_list(list: Vec<String>, field: &str) -> AuthResult<Vec<String>> {
    if list.len() > MAX_VALUES {
        return Err(bad(field, &format!("has more than {MAX_VALUES} values")));
    }
    for value in &list {
        if value.is_empty() || value.len() > MAX_VALUE_LENGTH {
            return Err(bad(field, "has an empty or overlong value"));
        }
        if value.chars().any(char::is_control) {
            return Err(bad(field, "has a value with control characters"));
        }
    }
    Ok(list)
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

impl ExchangeParams {
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    /// Checks every value for `grant`; scopes are split, deduplicated and
    /// sorted so that `"b a"` and `["a", "b"]` share a cache entry.
    pub fn check(&self, grant: Grant) -> AuthResult<ExchangeRequest> {
        let list = |v: &Option<OneOrMany>| v.as_ref().map(OneOrMany::values).unwrap_or_default();
        let audiences = checked_list(list(&self.audience), "audience")?;
        let resources = checked_list(list(&self.resource), "resource")?;
        for resource in &resources {
            let ok = Url::parse(resource).is_ok_and(|u| u.fragment().is_none());
            if !ok {
                return Err(bad(
                    "resource",
                    "must be absolute URIs without a fragment (RFC 8707)",
                ));
            }
        }
        let mut scopes: Vec<String> = list(&self.scope)
            .iter()
            .flat_map(|s| s.split(' ').filter(|t| !t.is_empty()).map(str::to_owned))
            .collect();
        scopes.sort();
        scopes.dedup();
        let scopes = checked_list(scopes, "scope")?;
        if !scopes.iter().all(|s| is_scope_token(s)) {
            return Err(bad(
                "scope",
                "has a value that is not an RFC 6749 scope token",
            ));
        }
        let requested_token_type = match &self.requested_token_type {
            Some(t) if Url::parse(t).is_err() || t.len() > MAX_VALUE_LENGTH => {
                return Err(bad("requestedTokenType", "must be a URI"))
            }
            other => other.clone(),
        };
        if grant == Grant::OnBehalfOf {
            if !audiences.is_empty() || !resources.is_empty() || requested_token_type.is_some() {
                return Err(AuthError::config(
                    "the on_behalf_of grant names its target by `scope` only (no audience, resource or requestedTokenType)",
                ));
            }
            if scopes.is_empty() {
                return Err(bad("scope", "is required with the on_behalf_of grant"));
            }
        }
        Ok(ExchangeRequest {
            audiences,
            resources,
            scopes,
            requested_token_type,
        })
    }
}

impl ExchangeRequest {
    /// The grant's own form members (client authentication is added by the caller).
    pub fn form(&self, grant: Grant, subject_token: &str) -> Vec<(&'static str, String)> {
        let mut form = Vec::new();
        match grant {
            Grant::TokenExchange => {
                form.push(("grant_type", TOKEN_EXCHANGE_GRANT.to_owned()));
                form.push(("subject_token", subject_token.to_owned()));
                form.push(("subject_token_type", ACCESS_TOKEN_TYPE.to_owned()));
                form.extend(self.audiences.iter().map(|a| ("audience", a.clone())));
                form.extend(self.resources.iter().map(|r| ("resource", r.clone())));
                if let Some(t) = &self.requested_token_type {
                    form.push(("requested_token_type", t.clone()));
                }
            }
            Grant::OnBehalfOf => {
                form.push(("grant_type", JWT_BEARER_GRANT.to_owned()));
                form.push(("assertion", subject_token.to_owned()));
                form.push(("requested_token_use", "on_behalf_of".to_owned()));
            }
        }
        if !self.scopes.is_empty() {
            form.push(("scope", self.scopes.join(" ")));
        }
        form
    }

    /// The cache and single-flight key: the subject token's SHA-256 and
    /// every parameter, length-prefixed so no two requests run together.
    pub fn key(&self, grant: Grant, subject_token: &str) -> Digest {
        let mut text = String::new();
        let mut add = |part: &str| {
            text.push_str(&part.len().to_string());
            text.push(':');
            text.push_str(part);
        };
        add(match grant {
            Grant::TokenExchange => "x",
            Grant::OnBehalfOf => "o",
        });
        let subject: String = cache::hash(subject_token)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        add(&subject);
        for (tag, list) in [
            ("a", &self.audiences),
            ("r", &self.resources),
            ("s", &self.scopes),
        ] {
            add(tag);
            add(&list.len().to_string());
            list.iter().for_each(|v| add(v));
        }
        add(self.requested_token_type.as_deref().unwrap_or(""));
        cache::hash(&text)
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
