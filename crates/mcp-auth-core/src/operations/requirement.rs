//! Which requirement each message meets, from the validated declaration:
//! the order of rules (a response, `methods`, the discovery class, the named
//! targets, `default`), resource prefixes, and a batch's union. Protected
//! requirements are interned once at setup as the route's scopes followed by
//! the operation's own (declaration order, no repeats).

use super::classify::{Kind, Message};
use crate::options::operations::{OperationPolicy, Requirement};
use std::collections::HashMap;

/// The discovery and session methods (`operations.discovery`), besides every `notifications/*`.
pub const DISCOVERY_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "resources/list",
    "resources/templates/list",
    "prompts/list",
    "subscriptions/listen",
    "logging/setLevel",
];

fn is_discovery(method: &str) -> bool {
    DISCOVERY_METHODS.contains(&method) || method.starts_with("notifications/")
}

/// A compiled rule: public, or one of the interned protected requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Public,
    Protected(usize),
}

/// What a whole request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needed {
    Public,
    /// One interned requirement.
    Known(usize),
    /// A batch of several protected requirements: their scopes' union, in order.
    Union(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Rules {
    /// Each protected requirement's scopes (route's first).
    required: Vec<Vec<String>>,
    tools: HashMap<String, Rule>,
    prompts: HashMap<String, Rule>,
    resources: HashMap<String, Rule>,
    /// Prefix keys without their `*`, longest first.
    prefixes: Vec<(String, Rule)>,
    methods: HashMap<String, Rule>,
    discovery: Rule,
    default: Rule,
}

impl Rules {
    /// `route`: the route's `requiredScopes`.
    pub fn compile(policy: &OperationPolicy, route: &[String]) -> Self {
        let mut required: Vec<Vec<String>> = Vec::new();
        let mut intern = |requirement: &Requirement| -> Rule {
            let Requirement::Scopes(own) = requirement else {
                return Rule::Public;
            };
            let mut scopes = route.to_vec();
            extend_unique(&mut scopes, own);
            match required.iter().position(|known| *known == scopes) {
                Some(i) => Rule::Protected(i),
                None => {
                    required.push(scopes);
                    Rule::Protected(required.len() - 1)
                }
            }
        };
        let mut map = |entries: &[(String, Requirement)]| -> HashMap<String, Rule> {
            entries
                .iter()
                .map(|(name, requirement)| (name.clone(), intern(requirement)))
                .collect()
        };
        let tools = map(&policy.tools);
        let prompts = map(&policy.prompts);
        let methods = map(&policy.methods);
        let all_resources = map(&policy.resources);
        let discovery = intern(&policy.discovery);
        let default = intern(&policy.default);
        let (mut prefixes, resources): (Vec<_>, Vec<_>) = all_resources
            .into_iter()
            .partition(|(key, _)| key.ends_with('*'));
        for (key, _) in &mut prefixes {
            key.pop();
        }
        prefixes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Self {
            required,
            tools,
            prompts,
            resources: resources.into_iter().collect(),
            prefixes,
            methods,
            discovery,
            default,
        }
    }

    /// The protected requirements, by index.
    pub fn required(&self) -> &[Vec<String>] {
        &self.required
    }

    /// The scopes of `index`.
    pub fn scopes(&self, index: usize) -> &[String] {
        &self.required[index]
    }

    /// A request without a body (GET, DELETE…) follows `initialize`.
    pub fn without_body(&self) -> Rule {
        self.method_rule("initialize", None)
    }

    /// A `tools/call` of `name`'s rule (the tool's descriptor tells the same).
    pub fn tool(&self, name: &str) -> Rule {
        self.method_rule("tools/call", Some((Kind::Tool, Some(name))))
    }

    pub fn rule(&self, message: &Message<'_>) -> Rule {
        match message {
            Message::Response => Rule::Public,
            Message::Request { method, target, .. } => {
                let target = target.as_ref().map(|(kind, name)| (*kind, name.as_deref()));
                self.method_rule(method, target)
            }
        }
    }

    fn method_rule(&self, method: &str, target: Option<(Kind, Option<&str>)>) -> Rule {
        if let Some(rule) = self.methods.get(method) {
            return *rule;
        }
        if is_discovery(method) {
            return self.discovery;
        }
        let Some((kind, Some(name))) = target else {
            return self.default;
        };
        let found = match kind {
            Kind::Tool => self.tools.get(name).copied(),
            Kind::Prompt => self.prompts.get(name).copied(),
            Kind::Resource => self.resources.get(name).copied().or_else(|| {
                self.prefixes
                    .iter()
                    .find(|(prefix, _)| name.starts_with(prefix.as_str()))
                    .map(|(_, rule)| *rule)
            }),
        };
        found.unwrap_or(self.default)
    }

    /// All must pass: public when every rule is, else every protected one's scopes.
    pub fn needed(&self, rules: &[Rule]) -> Needed {
        let mut protected = rules.iter().filter_map(|rule| match rule {
            Rule::Public => None,
            Rule::Protected(i) => Some(*i),
        });
        let Some(first) = protected.next() else {
            return Needed::Public;
        };
        let mut union: Option<Vec<String>> = None;
        for index in protected.filter(|i| *i != first) {
            let scopes = union.get_or_insert_with(|| self.required[first].clone());
            extend_unique(scopes, &self.required[index]);
        }
        match union {
            // Different requirements may still ask for the same scopes.
            Some(scopes) if scopes != self.required[first] => Needed::Union(scopes),
            _ => Needed::Known(first),
        }
    }
}

fn extend_unique(scopes: &mut Vec<String>, more: &[String]) {
    for scope in more {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::classify::read;
    use crate::options::operations::OperationsOptions;
    use serde_json::json;

    fn rules(declaration: serde_json::Value, route: &[&str]) -> Rules {
        let policy = OperationsOptions::from_json(declaration)
            .and_then(|o| o.to_policy())
            .unwrap();
        let route: Vec<String> = route.iter().map(|s| s.to_string()).collect();
        Rules::compile(&policy, &route)
    }

    /// The scopes a body needs (`None`: public).
    fn needs(rules: &Rules, body: &str) -> Option<Vec<String>> {
        let messages = read(body.as_bytes()).unwrap();
        let each: Vec<Rule> = messages.items.iter().map(|m| rules.rule(m)).collect();
        match rules.needed(&each) {
            Needed::Public => None,
            Needed::Known(i) => Some(rules.scopes(i).to_vec()),
            Needed::Union(scopes) => Some(scopes),
        }
    }

    fn call(tool: &str) -> String {
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{tool}"}}}}"#)
    }

    fn scopes(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn follows_the_rule_order() {
        let r = rules(
            json!({
                "tools": {"search": "public", "delete": ["todos:delete"], "ping-tool": "protected"},
                "prompts": {"summary": "public"},
                "methods": {"tools/list": ["admin"], "custom/thing": "public"},
                "default": ["base"],
            }),
            &["mcp"],
        );
        assert_eq!(needs(&r, &call("search")), None);
        assert_eq!(needs(&r, &call("delete")), scopes(&["mcp", "todos:delete"]));
        assert_eq!(needs(&r, &call("ping-tool")), scopes(&["mcp"]));
        assert_eq!(needs(&r, &call("unknown")), scopes(&["mcp", "base"]));
        assert_eq!(
            needs(&r, r#"{"method":"tools/call"}"#),
            scopes(&["mcp", "base"])
        );
        // `methods` overrides the discovery class; others stay public.
        assert_eq!(
            needs(&r, r#"{"method":"tools/list"}"#),
            scopes(&["mcp", "admin"])
        );
        for method in DISCOVERY_METHODS.iter().filter(|m| **m != "tools/list") {
            assert_eq!(
                needs(&r, &format!(r#"{{"method":"{method}"}}"#)),
                None,
                "{method}"
            );
        }
        assert_eq!(needs(&r, r#"{"method":"notifications/anything"}"#), None);
        assert_eq!(needs(&r, r#"{"method":"custom/thing"}"#), None);
        assert_eq!(
            needs(&r, r#"{"method":"tasks/get"}"#),
            scopes(&["mcp", "base"])
        );
        assert_eq!(needs(&r, r#"{"id":3,"result":{}}"#), None);
        assert_eq!(
            needs(
                &r,
                r#"{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"summary"}}}"#
            ),
            None
        );
        assert_eq!(r.without_body(), Rule::Public);
        assert_eq!(r.tool("search"), Rule::Public);
    }

    #[test]
    fn a_batch_needs_every_protected_items_scopes() {
        let r = rules(
            json!({"tools": {"a": ["x", "y"], "b": ["z", "x"], "c": "public", "d": ["y"]}}),
            &["mcp"],
        );
        let batch = |tools: &[&str]| {
            let items: Vec<String> = tools.iter().map(|t| call(t)).collect();
            format!("[{}]", items.join(","))
        };
        assert_eq!(needs(&r, &batch(&["c", "c"])), None);
        assert_eq!(needs(&r, &batch(&["c", "a"])), scopes(&["mcp", "x", "y"]));
        assert_eq!(
            needs(&r, &batch(&["a", "c", "b"])),
            scopes(&["mcp", "x", "y", "z"])
        );
        assert_eq!(
            needs(&r, &batch(&["b", "a"])),
            scopes(&["mcp", "z", "x", "y"])
        );
        // A union equal to one of its parts is that part.
        assert_eq!(needs(&r, &batch(&["a", "d"])), scopes(&["mcp", "x", "y"]));
        let with_response = format!("[{},{}]", r#"{"id":9,"result":{}}"#, call("c"));
        assert_eq!(needs(&r, &with_response), None);
    }

    #[test]
    fn resources_exact_first_then_longest_prefix() {
        let r = rules(
            json!({"resources": {
                "docs://private/*": ["docs:read"],
                "docs://*": "public",
                "docs://private/open": "public",
                "docs://private/secret/*": ["secret"],
                "file:///readme": "public",
            }}),
            &[],
        );
        let read = |uri: &str| {
            needs(
                &r,
                &format!(r#"{{"method":"resources/read","params":{{"uri":"{uri}"}}}}"#),
            )
        };
        assert_eq!(read("docs://intro"), None);
        assert_eq!(read("docs://private/a"), scopes(&["docs:read"]));
        assert_eq!(read("docs://private/open"), None);
        assert_eq!(read("docs://private/secret/x"), scopes(&["secret"]));
        assert_eq!(read("file:///readme"), None);
        // Exact keys match exactly.
        assert_eq!(read("file:///readme2"), scopes(&[]));
        assert_eq!(read("other://x"), scopes(&[]));
        assert_eq!(
            needs(
                &r,
                r#"{"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"docs://private/a"}}}"#
            ),
            scopes(&["docs:read"])
        );
    }

    #[test]
    fn discovery_and_default_can_change() {
        let r = rules(json!({"discovery": ["d"], "default": "public"}), &["mcp"]);
        assert_eq!(
            needs(&r, r#"{"method":"initialize"}"#),
            scopes(&["mcp", "d"])
        );
        assert_eq!(r.without_body(), Rule::Protected(0));
        assert_eq!(needs(&r, &call("any")), None);
        let r = rules(json!({"methods": {"initialize": "protected"}}), &[]);
        assert_eq!(r.without_body(), Rule::Protected(0));
    }
}
