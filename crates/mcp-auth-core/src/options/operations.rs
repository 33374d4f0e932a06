//! The `operations` option (per-tool authorization): which MCP operations
//! are public and what each protected one needs, as a binding passes it
//! (JSON, camelCase), and its one validation into an [`OperationPolicy`].
//! Messages name the option path (`operations.tools["delete"]`) and the
//! allowed values, never a value.

use crate::decision::scopes::{is_scope_token, OFFLINE_ACCESS_SCOPE};
use crate::error::{AuthError, AuthResult};
use crate::options::decode::{self, decode};
use crate::options::values::number;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The SDKs' own request body limit (4 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
pub const MIN_MAX_BODY_BYTES: usize = 1024;
pub const MAX_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationsOptions {
    /// `tools/call` by `params.name`.
    pub tools: Option<Map<String, Value>>,
    /// `prompts/get` by `params.name`.
    pub prompts: Option<Map<String, Value>>,
    /// `resources/read|subscribe|unsubscribe` by `params.uri`: exact, or a trailing `*` prefix.
    pub resources: Option<Map<String, Value>>,
    /// Any JSON-RPC method; overrides every other rule for it.
    pub methods: Option<Map<String, Value>>,
    /// The discovery and session methods (default `'public'`).
    pub discovery: Option<Value>,
    /// Anything not listed (default `'protected'`).
    pub default: Option<Value>,
    /// `'http'` (default) or `'tool-result'`.
    pub signal: Option<String>,
    /// Bytes, default 4194304, 1024..=67108864.
    #[serde(default, deserialize_with = "number")]
    pub max_body_bytes: Option<f64>,
}

/// What an operation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// No token needed; a presented one is still verified, without a scope check.
    Public,
    /// A valid token with the route's scopes and these (`[]`: `'protected'`).
    Scopes(Vec<String>),
}

/// How a refused `tools/call` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// HTTP 401/403 with `WWW-Authenticate`.
    Http,
    /// A JSON-RPC tool error result carrying the challenges (SEP-1489 draft).
    ToolResult,
}

/// The validated declaration. Map entries keep no order: matching never depends on it.
#[derive(Debug, Clone)]
pub struct OperationPolicy {
    pub tools: Vec<(String, Requirement)>,
    pub prompts: Vec<(String, Requirement)>,
    /// Keys as written (a trailing `*` marks a prefix).
    pub resources: Vec<(String, Requirement)>,
    pub methods: Vec<(String, Requirement)>,
    pub discovery: Requirement,
    pub default: Requirement,
    pub signal: Signal,
    pub max_body_bytes: usize,
}

fn public_path(keys: &[&str]) -> String {
    let mut path = String::from("operations");
    for key in keys {
        path.push('.');
        path.push_str(key);
    }
    path
}

impl OperationsOptions {
    /// The option as a binding passes it on its own (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    /// The one validation: names, requirements, scopes, `signal`, `maxBodyBytes`.
    pub fn to_policy(&self) -> AuthResult<OperationPolicy> {
        let signal = match self.signal.as_deref() {
            None | Some("http") => Signal::Http,
            Some("tool-result") => Signal::ToolResult,
            Some(_) => {
                return Err(AuthError::config(
                    "`operations.signal` must be 'http' or 'tool-result'.",
                ))
            }
        };
        let max_body_bytes = match self.max_body_bytes {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(n)
                if n.fract() == 0.0
                    && n >= MIN_MAX_BODY_BYTES as f64
                    && n <= MAX_MAX_BODY_BYTES as f64 =>
            {
                n as usize
            }
            Some(_) => {
                return Err(AuthError::config(format!(
                    "`operations.maxBodyBytes` must be a whole number of bytes from {MIN_MAX_BODY_BYTES} to {MAX_MAX_BODY_BYTES}."
                )))
            }
        };
        let discovery = match &self.discovery {
            None => Requirement::Public,
            Some(value) => requirement(value, "operations.discovery")?,
        };
        let default = match &self.default {
            None => Requirement::Scopes(Vec::new()),
            Some(value) => requirement(value, "operations.default")?,
        };
        Ok(OperationPolicy {
            tools: named(self.tools.as_ref(), "tools")?,
            prompts: named(self.prompts.as_ref(), "prompts")?,
            resources: named(self.resources.as_ref(), "resources")?,
            methods: named(self.methods.as_ref(), "methods")?,
            discovery,
            default,
            signal,
            max_body_bytes,
        })
    }
}

/// One map's entries, each name and requirement checked.
fn named(map: Option<&Map<String, Value>>, field: &str) -> AuthResult<Vec<(String, Requirement)>> {
    let Some(map) = map else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::with_capacity(map.len());
    for (name, value) in map {
        if name.is_empty() {
            return Err(AuthError::config(format!(
                "`operations.{field}` has an empty name; every name must be non-empty."
            )));
        }
        let quoted = serde_json::to_string(name).unwrap_or_default();
        let path = format!("operations.{field}[{quoted}]");
        // A wildcard is a resource prefix only, and only at the end: a `*`
        // anywhere else would read like a glob the matcher does not do.
        let star = name.find('*');
        let allowed = field == "resources" && star == Some(name.len() - 1);
        if star.is_some() && !allowed {
            return Err(AuthError::config(format!(
                "`{path}`: '*' is allowed only as the last character of an `operations.resources` key (a prefix)."
            )));
        }
        entries.push((name.clone(), requirement(value, &path)?));
    }
    Ok(entries)
}

/// `'public'`, `'protected'` or an array of scope tokens (without repeats kept).
fn requirement(value: &Value, path: &str) -> AuthResult<Requirement> {
    let wrong = || {
        AuthError::config(format!(
            "`{path}` must be 'public', 'protected' or an array of scopes."
        ))
    };
    match value {
        Value::String(text) if text == "public" => Ok(Requirement::Public),
        Value::String(text) if text == "protected" => Ok(Requirement::Scopes(Vec::new())),
        Value::Array(items) => {
            let mut scopes: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(scope) = item else {
                    return Err(AuthError::config(format!(
                        "`{path}`: every scope must be a string (RFC 6750 §3 scope-token)."
                    )));
                };
                if !is_scope_token(scope) {
                    let quoted = serde_json::to_string(scope).unwrap_or_default();
                    return Err(AuthError::config(format!(
                        "`{path}`: {quoted} is not a valid scope (RFC 6750 §3 scope-token)."
                    )));
                }
                if scope == OFFLINE_ACCESS_SCOPE {
                    return Err(AuthError::config(format!(
                        "`{path}` cannot require offline_access: it is not an operation's scope."
                    )));
                }
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
            Ok(Requirement::Scopes(scopes))
        }
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(value: Value) -> AuthResult<OperationPolicy> {
        OperationsOptions::from_json(value).and_then(|o| o.to_policy())
    }

    fn reason(value: Value) -> String {
        policy(value).unwrap_err().reason
    }

    #[test]
    fn defaults() {
        let p = policy(json!({})).unwrap();
        assert_eq!(p.discovery, Requirement::Public);
        assert_eq!(p.default, Requirement::Scopes(vec![]));
        assert_eq!(p.signal, Signal::Http);
        assert_eq!(p.max_body_bytes, 4_194_304);
        assert!(p.tools.is_empty() && p.resources.is_empty());
    }

    #[test]
    fn reads_every_field() {
        let p = policy(json!({
            "tools": {"search": "public", "delete": ["todos:delete", "todos:delete", "x"]},
            "prompts": {"p": "protected"},
            "resources": {"docs://*": ["docs:read"]},
            "methods": {"ping": "protected"},
            "discovery": "protected",
            "default": ["base"],
            "signal": "tool-result",
            "maxBodyBytes": 1024,
        }))
        .unwrap();
        let delete = p.tools.iter().find(|(n, _)| n == "delete").unwrap();
        assert_eq!(
            delete.1,
            Requirement::Scopes(vec!["todos:delete".into(), "x".into()])
        );
        assert_eq!(p.prompts, vec![("p".into(), Requirement::Scopes(vec![]))]);
        assert_eq!(p.resources[0].0, "docs://*");
        assert_eq!(p.discovery, Requirement::Scopes(vec![]));
        assert_eq!(p.default, Requirement::Scopes(vec!["base".into()]));
        assert_eq!(p.signal, Signal::ToolResult);
        assert_eq!(p.max_body_bytes, 1024);
    }

    #[test]
    fn refuses_by_path_and_range() {
        assert_eq!(
            reason(json!({"tools": {"delete": "private"}})),
            "`operations.tools[\"delete\"]` must be 'public', 'protected' or an array of scopes."
        );
        assert_eq!(
            reason(json!({"tools": {"delete": ["a b"]}})),
            "`operations.tools[\"delete\"]`: \"a b\" is not a valid scope (RFC 6750 §3 scope-token)."
        );
        assert_eq!(
            reason(json!({"prompts": {"p": [1]}})),
            "`operations.prompts[\"p\"]`: every scope must be a string (RFC 6750 §3 scope-token)."
        );
        assert!(reason(json!({"methods": {"m": ["offline_access"]}})).contains("offline_access"));
        assert_eq!(
            reason(json!({"tools": {"": "public"}})),
            "`operations.tools` has an empty name; every name must be non-empty."
        );
        assert!(reason(json!({"tools": {"a*": "public"}})).contains("last character"));
        assert!(reason(json!({"resources": {"a*b": "public"}})).contains("last character"));
        assert!(reason(json!({"resources": {"**": "public"}})).contains("last character"));
        assert!(policy(json!({"resources": {"*": "public", "a*": "public"}})).is_ok());
        assert_eq!(
            reason(json!({"signal": "sse"})),
            "`operations.signal` must be 'http' or 'tool-result'."
        );
        let range =
            "`operations.maxBodyBytes` must be a whole number of bytes from 1024 to 67108864.";
        for bad in [json!(1023), json!(67_108_865), json!(2048.5), json!("NaN")] {
            assert_eq!(reason(json!({ "maxBodyBytes": bad })), range);
        }
        assert!(policy(json!({"maxBodyBytes": 67_108_864})).is_ok());
        assert_eq!(
            reason(json!({"tool": {}})),
            "unknown option `operations.tool`."
        );
        assert_eq!(
            reason(json!({"tools": "search"})),
            "`operations.tools` has a value of the wrong type (expected an object)."
        );
        assert_eq!(
            reason(json!({"discovery": true})),
            "`operations.discovery` must be 'public', 'protected' or an array of scopes."
        );
    }
}
