//! The `scopeHierarchy` option as a binding reads it from its language's
//! values, and its one validation (shape, scope tokens, `offline_access`,
//! cycles). The messages name the option as the caller calls it, e.g.
//! `scopeHierarchy of https://…/mcp`.

use crate::decision::scopes::{assert_hierarchy_scope, ScopeHierarchy};
use crate::error::{AuthError, AuthResult};
use crate::options::decode::{self, decode};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeHierarchyOptions {
    /// How the caller names the option in messages.
    pub option: String,
    /// The mapping's entries in its key order; `None` when the value is not
    /// a mapping (an object in JavaScript, a dict in Python).
    pub entries: Option<Vec<HierarchyEntry>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HierarchyEntry {
    /// The broader scope (the key).
    pub scope: String,
    /// The implied scopes; `None` when the value is not a list.
    pub implies: Option<Vec<ImpliedScope>>,
}

/// One implied scope: the string, or how the binding's language prints a
/// value that is not a string (`42`, `null`, `{"a":1}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImpliedScope {
    pub scope: Option<String>,
    pub printed: Option<String>,
}

/// A hierarchy's entries: each broader scope with what it implies directly.
pub type HierarchyEntries = Vec<(String, Vec<String>)>;

fn public_path(keys: &[&str]) -> String {
    keys.join(".")
}

impl ScopeHierarchyOptions {
    /// The options as a binding passes them (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    /// The validated hierarchy: its entries in order, each implied list
    /// without repeats, and its compiled form.
    pub fn compile(&self) -> AuthResult<(HierarchyEntries, ScopeHierarchy)> {
        let option = self.option.as_str();
        let Some(entries) = &self.entries else {
            return Err(AuthError::config(format!(
                "`{option}` must be an object mapping a scope to the scopes it implies."
            )));
        };
        let mut direct: HierarchyEntries = Vec::with_capacity(entries.len());
        for HierarchyEntry { scope, implies } in entries {
            assert_hierarchy_scope(scope, option).map_err(AuthError::config)?;
            let Some(implies) = implies else {
                return Err(AuthError::config(format!(
                    "`{option}[\"{scope}\"]` must be an array of the scopes that {scope} implies."
                )));
            };
            let mut unique: Vec<String> = Vec::with_capacity(implies.len());
            for implied in implies {
                let Some(name) = &implied.scope else {
                    let printed = implied.printed.as_deref().unwrap_or("undefined");
                    return Err(AuthError::config(format!(
                        "`{option}`: {printed} is not a valid scope (RFC 6750 §3 scope-token)."
                    )));
                };
                assert_hierarchy_scope(name, option).map_err(AuthError::config)?;
                if !unique.contains(name) {
                    unique.push(name.clone());
                }
            }
            direct.push((scope.clone(), unique));
        }
        let compiled = ScopeHierarchy::compile(&direct, option).map_err(AuthError::config)?;
        Ok((direct, compiled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reason(entries: Value) -> String {
        ScopeHierarchyOptions::from_json(
            json!({ "option": "scopeHierarchy of r", "entries": entries }),
        )
        .unwrap()
        .compile()
        .unwrap_err()
        .reason
    }

    #[test]
    fn refuses_with_the_option_named() {
        assert_eq!(
            reason(Value::Null),
            "`scopeHierarchy of r` must be an object mapping a scope to the scopes it implies."
        );
        assert_eq!(
            reason(json!([{ "scope": "todos:admin" }])),
            "`scopeHierarchy of r[\"todos:admin\"]` must be an array of the scopes that todos:admin implies."
        );
        assert_eq!(
            reason(json!([{ "scope": "a", "implies": [{ "printed": "42" }] }])),
            "`scopeHierarchy of r`: 42 is not a valid scope (RFC 6750 §3 scope-token)."
        );
        assert_eq!(
            reason(json!([{ "scope": "a b", "implies": [] }])),
            "`scopeHierarchy of r`: \"a b\" is not a valid scope (RFC 6750 §3 scope-token)."
        );
        assert!(
            reason(json!([{ "scope": "a", "implies": [{ "scope": "offline_access" }] }]))
                .contains("cannot mention offline_access")
        );
        let cycle = json!([
            { "scope": "a", "implies": [{ "scope": "b" }] },
            { "scope": "b", "implies": [{ "scope": "c" }] },
            { "scope": "c", "implies": [{ "scope": "a" }] },
        ]);
        assert_eq!(
            reason(cycle),
            "`scopeHierarchy of r` has a cycle: a → b → c → a."
        );
    }

    #[test]
    fn keeps_order_and_drops_repeats() {
        let options = ScopeHierarchyOptions::from_json(json!({
            "option": "h",
            "entries": [
                { "scope": "z", "implies": [{ "scope": "y" }, { "scope": "y" }] },
                { "scope": "a", "implies": [] },
            ],
        }))
        .unwrap();
        let (entries, compiled) = options.compile().unwrap();
        assert_eq!(
            entries,
            vec![
                ("z".to_owned(), vec!["y".to_owned()]),
                ("a".to_owned(), vec![])
            ]
        );
        assert_eq!(compiled.expand(&["z".to_owned()]), vec!["z", "y"]);
    }
}
