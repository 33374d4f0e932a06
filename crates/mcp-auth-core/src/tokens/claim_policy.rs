//! Claim options beyond the RFC 9068 core: which claims carry scopes, which
//! clients may present tokens, and claims that must hold an exact value.
//! General options that provider recipes combine (docs/providers.md), never a
//! provider switch. Refusals use fixed phrases that echo no claim content.

use crate::error::{AuthError, AuthResult, ErrorCode};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Read when `scopeClaims` is not set: the first of these that is present.
pub const DEFAULT_SCOPE_CLAIMS: [&str; 3] = ["scope", "scopes", "scp"];

/// The claims that name the client, in order; the first present one decides:
/// RFC 9068 `client_id`, OIDC `azp`, Entra ID v1 `appid`, Okta `cid`.
pub const CLIENT_ID_CLAIMS: [&str; 4] = ["client_id", "azp", "appid", "cid"];

/// Longest `scopeClaims` / `requiredClaimValues` list accepted.
const MAX_CLAIM_NAMES: usize = 32;
/// Longest `clientIds` list accepted.
const MAX_CLIENT_IDS: usize = 1000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimPolicy {
    /// `scopeClaims`: every listed claim contributes; `None` keeps the default rule.
    pub scope_claims: Option<Vec<String>>,
    /// `clientIds`: empty means any client.
    pub client_ids: Vec<String>,
    /// `requiredClaimValues`, sorted by name: each claim must be this exact string.
    pub required_values: Vec<(String, String)>,
}

fn names_ok(list: &[String], max: usize) -> bool {
    let distinct = list
        .iter()
        .enumerate()
        .all(|(i, name)| !list[..i].contains(name));
    !list.is_empty() && list.len() <= max && distinct && list.iter().all(|n| !n.is_empty())
}

impl ClaimPolicy {
    /// Validates the three options (absent ones keep their defaults).
    pub fn new(
        scope_claims: Option<Vec<String>>,
        client_ids: Option<Vec<String>>,
        required_values: Option<HashMap<String, String>>,
    ) -> AuthResult<Self> {
        if let Some(list) = &scope_claims {
            if !names_ok(list, MAX_CLAIM_NAMES) {
                return Err(AuthError::config(format!(
                    "`scopeClaims` must be a list of 1 to {MAX_CLAIM_NAMES} distinct, non-empty claim names"
                )));
            }
        }
        if let Some(list) = &client_ids {
            if !names_ok(list, MAX_CLIENT_IDS) {
                return Err(AuthError::config(format!(
                    "`clientIds` must be a list of 1 to {MAX_CLIENT_IDS} distinct, non-empty client ids (leave it out to accept any client)"
                )));
            }
        }
        let mut required: Vec<(String, String)> =
            required_values.unwrap_or_default().into_iter().collect();
        if required.len() > MAX_CLAIM_NAMES || required.iter().any(|(name, _)| name.is_empty()) {
            return Err(AuthError::config(format!(
                "`requiredClaimValues` must map at most {MAX_CLAIM_NAMES} non-empty claim names to strings"
            )));
        }
        required.sort();
        Ok(Self {
            scope_claims,
            client_ids: client_ids.unwrap_or_default(),
            required_values: required,
        })
    }

    /// Refuses a token whose claims break one of the options.
    /// Whether the policy reads claim `name` (so a stored copy must keep it).
    pub fn reads(&self, name: &str) -> bool {
        self.scope_claims.iter().flatten().any(|c| c == name)
            || self.required_values.iter().any(|(c, _)| c == name)
    }

    pub fn check(&self, claims: &Map<String, Value>) -> AuthResult<()> {
        for (name, wanted) in &self.required_values {
            match claims.get(name) {
                None => {
                    return Err(AuthError::new(
                        ErrorCode::MissingClaim,
                        "token lacks a required claim",
                    ))
                }
                Some(Value::String(value)) if value == wanted => {}
                Some(_) => {
                    return Err(AuthError::new(
                        ErrorCode::InvalidClaim,
                        "token claim does not have the required value",
                    ))
                }
            }
        }
        for name in self.scope_claims.iter().flatten() {
            if claims.get(name).is_some_and(|v| scope_list(v).is_none()) {
                return Err(AuthError::new(
                    ErrorCode::InvalidClaim,
                    "token scope claim is neither a string nor a list of strings",
                ));
            }
        }
        if !self.client_ids.is_empty() {
            match client_id(claims)? {
                None => {
                    return Err(AuthError::new(
                        ErrorCode::MissingClaim,
                        "token names no client",
                    ))
                }
                Some(id) if self.client_ids.iter().any(|c| c == id) => {}
                Some(_) => {
                    return Err(AuthError::new(
                        ErrorCode::ClientNotAllowed,
                        "token client is not allowed",
                    ))
                }
            }
        }
        Ok(())
    }

    /// The granted scopes. Default: the first of `scope`, `scopes`, `scp`
    /// present, none if its shape is wrong (scope checks then fail closed,
    /// C20). With `scopeClaims`: the union of every listed claim, in order.
    pub fn scopes(&self, claims: &Map<String, Value>) -> Vec<String> {
        let Some(names) = &self.scope_claims else {
            return DEFAULT_SCOPE_CLAIMS
                .iter()
                .find_map(|name| claims.get(*name))
                .and_then(scope_list)
                .unwrap_or_default();
        };
        let mut scopes: Vec<String> = Vec::new();
        for value in names.iter().filter_map(|name| claims.get(name)) {
            for scope in scope_list(value).unwrap_or_default() {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
        }
        scopes
    }
}

/// The client the token was issued to: the first of `CLIENT_ID_CLAIMS`
/// present, which must then be a non-empty string.
pub fn client_id(claims: &Map<String, Value>) -> AuthResult<Option<&str>> {
    match CLIENT_ID_CLAIMS.iter().find_map(|name| claims.get(*name)) {
        None => Ok(None),
        Some(Value::String(id)) if !id.is_empty() => Ok(Some(id)),
        Some(_) => Err(AuthError::new(
            ErrorCode::InvalidClaim,
            "token client claim is not a non-empty string",
        )),
    }
}

/// Scopes from a space-delimited string (runs of spaces collapse) or an array
/// of strings; any other shape is `None`.
pub fn scope_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(
            s.split(' ')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn policy(
        scopes: Option<&[&str]>,
        clients: Option<&[&str]>,
        values: &[(&str, &str)],
    ) -> ClaimPolicy {
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let values = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>();
        ClaimPolicy::new(scopes.map(list), clients.map(list), Some(values)).unwrap()
    }

    fn code(p: &ClaimPolicy, c: Value) -> Option<ErrorCode> {
        p.check(&claims(c)).err().map(|e| e.code)
    }

    #[test]
    fn default_policy_keeps_the_first_scope_claim_and_accepts_any_client() {
        let p = ClaimPolicy::default();
        assert_eq!(code(&p, json!({})), None);
        let c = claims(json!({ "scope": "a b", "scp": "c", "roles": ["d"] }));
        assert_eq!(p.scopes(&c), vec!["a", "b"]);
        // A wrong shape yields no scopes and is not refused (unchanged default).
        assert!(p
            .scopes(&claims(json!({ "scope": 7, "scp": "x" })))
            .is_empty());
        assert_eq!(code(&p, json!({ "scope": 7 })), None);
    }

    #[test]
    fn scope_claims_union_in_order_and_refuse_other_shapes() {
        let p = policy(Some(&["scp", "roles"]), None, &[]);
        let c =
            claims(json!({ "scope": "ignored", "scp": "read write", "roles": ["Admin", "read"] }));
        assert_eq!(p.scopes(&c), vec!["read", "write", "Admin"]);
        assert_eq!(
            p.scopes(&claims(json!({ "roles": ["App.Read"] }))),
            vec!["App.Read"]
        );
        assert!(p.scopes(&claims(json!({}))).is_empty());
        assert_eq!(code(&p, json!({ "scp": "a", "roles": ["b"] })), None);
        for bad in [
            json!({ "roles": "x y" , "scp": 1 }),
            json!({ "roles": ["a", 2] }),
            json!({ "scp": { "a": 1 } }),
            json!({ "roles": null }),
        ] {
            assert_eq!(
                code(&p, bad.clone()),
                Some(ErrorCode::InvalidClaim),
                "{bad}"
            );
        }
        // An unlisted claim's shape does not matter.
        assert_eq!(code(&p, json!({ "scope": 7 })), None);
    }

    #[test]
    fn client_allow_list() {
        let p = policy(None, Some(&["app-1", "app-2"]), &[]);
        assert_eq!(code(&p, json!({ "client_id": "app-1" })), None);
        assert_eq!(code(&p, json!({ "azp": "app-2" })), None);
        assert_eq!(code(&p, json!({ "appid": "app-1" })), None);
        assert_eq!(code(&p, json!({ "cid": "app-2" })), None);
        // The first present claim decides: a listed `azp` does not rescue another `client_id`.
        assert_eq!(
            code(&p, json!({ "client_id": "evil", "azp": "app-1" })),
            Some(ErrorCode::ClientNotAllowed)
        );
        assert_eq!(
            code(&p, json!({ "client_id": "APP-1" })),
            Some(ErrorCode::ClientNotAllowed)
        );
        assert_eq!(
            code(&p, json!({ "sub": "u" })),
            Some(ErrorCode::MissingClaim)
        );
        assert_eq!(
            code(&p, json!({ "client_id": "" })),
            Some(ErrorCode::InvalidClaim)
        );
        assert_eq!(
            code(&p, json!({ "client_id": ["app-1"] })),
            Some(ErrorCode::InvalidClaim)
        );
        assert_eq!(
            client_id(&claims(json!({ "azp": "x", "appid": "y" }))).unwrap(),
            Some("x")
        );
    }

    #[test]
    fn required_claim_values_match_exact_strings() {
        let p = policy(None, None, &[("token_use", "access")]);
        assert_eq!(code(&p, json!({ "token_use": "access" })), None);
        assert_eq!(
            code(&p, json!({ "token_use": "id" })),
            Some(ErrorCode::InvalidClaim)
        );
        assert_eq!(
            code(&p, json!({ "token_use": "Access" })),
            Some(ErrorCode::InvalidClaim)
        );
        assert_eq!(
            code(&p, json!({ "token_use": ["access"] })),
            Some(ErrorCode::InvalidClaim)
        );
        assert_eq!(code(&p, json!({})), Some(ErrorCode::MissingClaim));
    }

    #[test]
    fn options_are_validated() {
        let s = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let reason = |p: AuthResult<ClaimPolicy>| p.unwrap_err().reason;
        for bad in [s(&[]), s(&[""]), s(&["scp", "scp"])] {
            assert!(reason(ClaimPolicy::new(bad, None, None)).starts_with("`scopeClaims`"));
        }
        for bad in [s(&[]), s(&[""]), s(&["a", "a"])] {
            assert!(reason(ClaimPolicy::new(None, bad, None)).starts_with("`clientIds`"));
        }
        let empty_name = HashMap::from([(String::new(), "x".to_string())]);
        assert!(reason(ClaimPolicy::new(None, None, Some(empty_name)))
            .starts_with("`requiredClaimValues`"));
        let many = (0..40)
            .map(|i| (format!("c{i}"), "v".to_string()))
            .collect();
        assert!(ClaimPolicy::new(None, None, Some(many)).is_err());
        assert_eq!(
            ClaimPolicy::new(None, None, None).unwrap(),
            ClaimPolicy::default()
        );
    }
}
