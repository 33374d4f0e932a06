//! Scope hierarchies (MCP 2026-07-28: a broader scope implies narrower
//! ones): validated and closed transitively once, at setup; per request a
//! token's granted scopes expand to the effective set every check uses.

use std::collections::{HashMap, HashSet};

/// Clients must never be told to ask for refresh tokens here (MCP: no offline_access).
pub const OFFLINE_ACCESS_SCOPE: &str = "offline_access";

/// A compiled hierarchy: each scope's transitive implications.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeHierarchy {
    /// `None`: no hierarchy configured (granted scopes are taken as they are, repeats included).
    closure: Option<HashMap<String, Vec<String>>>,
}

/// RFC 6750 §3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The reason an invalid scope is refused, as `assertScope` words it.
pub(crate) fn assert_hierarchy_scope(scope: &str, option: &str) -> Result<(), String> {
    if !is_scope_token(scope) {
        let quoted = serde_json::to_string(scope).unwrap_or_default();
        return Err(format!(
            "`{option}`: {quoted} is not a valid scope (RFC 6750 §3 scope-token)."
        ));
    }
    if scope == OFFLINE_ACCESS_SCOPE {
        return Err(format!(
            "`{option}` cannot mention offline_access: it is not an operation's scope, and clients must not be asked for it."
        ));
    }
    Ok(())
}

impl ScopeHierarchy {
    /// No hierarchy: the effective scopes are the granted ones.
    pub fn none() -> Self {
        Self { closure: None }
    }

    /// `compileScopeHierarchy`: `entries` in the option object's order (a
    /// JavaScript object lists integer-like keys first). The error is the
    /// reason that follows "The server configuration does not match the MCP
    /// specification." in `invalid_server_config`.
    pub fn compile(entries: &[(String, Vec<String>)], option: &str) -> Result<Self, String> {
        let mut order: Vec<&str> = Vec::new();
        let mut direct: HashMap<&str, Vec<&str>> = HashMap::new();
        for (broader, implied) in entries {
            assert_hierarchy_scope(broader, option)?;
            for scope in implied {
                assert_hierarchy_scope(scope, option)?;
            }
            let mut seen = HashSet::new();
            let unique: Vec<&str> = implied
                .iter()
                .map(String::as_str)
                .filter(|s| seen.insert(*s))
                .collect();
            if direct.insert(broader, unique).is_none() {
                order.push(broader);
            }
        }
        let mut closure: HashMap<String, Vec<String>> = HashMap::new();
        for scope in &order {
            close(scope, &mut Vec::new(), &direct, &mut closure, option)?;
        }
        Ok(Self {
            closure: Some(closure),
        })
    }

    /// Granted plus implied, granted first, each once (repeats kept without a hierarchy).
    pub fn expand(&self, granted: &[String]) -> Vec<String> {
        let Some(closure) = &self.closure else {
            return granted.to_vec();
        };
        let mut seen: HashSet<&str> = HashSet::new();
        let mut effective = Vec::new();
        for scope in granted {
            if seen.insert(scope) {
                effective.push(scope.clone());
            }
        }
        for scope in granted {
            for implied in closure.get(scope).into_iter().flatten() {
                if seen.insert(implied) {
                    effective.push(implied.clone());
                }
            }
        }
        effective
    }
}

// Depth-first with the path on a stack, so a cycle is reported as the scopes that form it.
fn close<'a>(
    scope: &'a str,
    path: &mut Vec<&'a str>,
    direct: &HashMap<&'a str, Vec<&'a str>>,
    closure: &mut HashMap<String, Vec<String>>,
    option: &str,
) -> Result<Vec<String>, String> {
    if let Some(done) = closure.get(scope) {
        return Ok(done.clone());
    }
    if let Some(at) = path.iter().position(|s| *s == scope) {
        let mut cycle: Vec<&str> = path[at..].to_vec();
        cycle.push(scope);
        return Err(format!("`{option}` has a cycle: {}.", cycle.join(" → ")));
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut all: Vec<String> = Vec::new();
    path.push(scope);
    for implied in direct.get(scope).into_iter().flatten() {
        if seen.insert((*implied).to_owned()) {
            all.push((*implied).to_owned());
        }
        for transitive in close(implied, path, direct, closure, option)? {
            if seen.insert(transitive.clone()) {
                all.push(transitive);
            }
        }
    }
    path.pop();
    closure.insert(scope.to_owned(), all.clone());
    Ok(all)
}

/// Those of `required` (in order, repeats kept) that `held` lacks.
pub fn missing_scopes(held: &[String], required: &[String]) -> Vec<String> {
    required
        .iter()
        .filter(|scope| !held.contains(scope))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }
    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn expands_transitively_granted_first() {
        let h = ScopeHierarchy::compile(
            &entries(&[("admin", &["write", "read"]), ("write", &["read", "list"])]),
            "scopeHierarchy",
        )
        .unwrap();
        assert_eq!(
            h.expand(&strings(&["x", "admin", "x"])),
            strings(&["x", "admin", "write", "read", "list"])
        );
        assert_eq!(
            ScopeHierarchy::none().expand(&strings(&["a", "a"])),
            strings(&["a", "a"])
        );
        assert_eq!(
            ScopeHierarchy::compile(&[], "o")
                .unwrap()
                .expand(&strings(&["a", "a"])),
            strings(&["a"])
        );
    }

    #[test]
    fn refuses_cycles_offline_access_and_bad_scopes() {
        let cycle = ScopeHierarchy::compile(
            &entries(&[("a", &["b"]), ("b", &["c"]), ("c", &["b"])]),
            "scopeHierarchy",
        );
        assert_eq!(
            cycle.unwrap_err(),
            "`scopeHierarchy` has a cycle: b → c → b."
        );
        let own = ScopeHierarchy::compile(&entries(&[("a", &["a"])]), "h");
        assert_eq!(own.unwrap_err(), "`h` has a cycle: a → a.");
        let offline =
            ScopeHierarchy::compile(&entries(&[("a", &["offline_access"])]), "h").unwrap_err();
        assert!(offline.starts_with("`h` cannot mention offline_access"));
        let bad = ScopeHierarchy::compile(&entries(&[("a b", &[])]), "h").unwrap_err();
        assert_eq!(
            bad,
            "`h`: \"a b\" is not a valid scope (RFC 6750 §3 scope-token)."
        );
    }

    #[test]
    fn missing_keeps_order_and_repeats() {
        assert_eq!(
            missing_scopes(&strings(&["a"]), &strings(&["b", "a", "b"])),
            strings(&["b", "b"])
        );
    }
}
