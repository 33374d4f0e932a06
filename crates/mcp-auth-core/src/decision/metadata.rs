//! RFC 9728 protected resource metadata: where it lives
//! (`protectedResourceMetadataUrl`) and what it says
//! (`buildResourceMetadataDocument`).

use serde_json::Value;
use url::Url;

use super::response::{json_string, json_value};
use super::scopes::OFFLINE_ACCESS_SCOPE;

const WELL_KNOWN_PREFIX: &str = "/.well-known/oauth-protected-resource";

/// RFC 9728 §3.1: the well-known segment goes between the host and the
/// resource's path (a root resource gets no suffix); the query is kept, the
/// fragment and user info are not. `None` for a URL without an origin.
pub fn protected_resource_metadata_url(resource: &Url) -> Option<Url> {
    let origin = resource.origin();
    if !origin.is_tuple() {
        return None;
    }
    let path = if resource.path() == "/" {
        ""
    } else {
        resource.path()
    };
    let search = match resource.query() {
        Some(query) if !query.is_empty() => format!("?{query}"),
        _ => String::new(),
    };
    Url::parse(&format!(
        "{}{WELL_KNOWN_PREFIX}{path}{search}",
        origin.ascii_serialization()
    ))
    .ok()
}

/// The DPoP settings a document reports.
#[derive(Debug, Clone, Copy)]
pub struct DpopAdvert<'a> {
    pub required: bool,
    pub algorithms: &'a [String],
}

/// A resource's `metadata` option, as plain data.
#[derive(Debug, Clone, Default)]
pub struct ResourceMetadata {
    /// Exactly as configured.
    pub resource: String,
    /// The issuers to advertise (templates already expanded per tenant).
    pub authorization_servers: Option<Vec<String>>,
    pub scopes_supported: Option<Vec<String>>,
    /// Every other member in the option's order, keys as configured
    /// (camelCase is snake-cased here, deeply). `bearerMethodsSupported`,
    /// `dpopSigningAlgValuesSupported` and `dpopBoundAccessTokensRequired` must
    /// be left out: the document computes them.
    pub other: Vec<(String, Value)>,
}

/// camelCase → snake_case (`A` → `_a`).
pub fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

// Deep over objects and arrays, as `snakeCaseKeys` does.
fn snake_case_keys(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(snake_case_keys).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (snake_case(k), snake_case_keys(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

// An object literal's member: a repeated key keeps its first place and takes the last value.
fn put(members: &mut Vec<(String, Option<Value>)>, key: &str, value: Option<Value>) {
    match members.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => members.push((key.to_owned(), value)),
    }
}

fn strings(values: &[String]) -> Value {
    Value::Array(values.iter().cloned().map(Value::String).collect())
}

/// The PRM document as `JSON.stringify` writes it: `resource` first, the
/// other members, then the computed ones (which nothing passed through can
/// override), no `offline_access`, header-only bearer method, the DPoP
/// members from the resource's mode, and no empty members. Nested objects
/// in `other` are written in serde_json's map order.
pub fn build_resource_metadata_document(
    metadata: &ResourceMetadata,
    dpop: Option<DpopAdvert<'_>>,
) -> String {
    let mut members: Vec<(String, Option<Value>)> = vec![(
        "resource".to_owned(),
        Some(Value::String(metadata.resource.clone())),
    )];
    for (key, value) in &metadata.other {
        put(&mut members, &snake_case(key), Some(snake_case_keys(value)));
    }
    put(
        &mut members,
        "authorization_servers",
        metadata.authorization_servers.as_deref().map(strings),
    );
    let scopes = metadata.scopes_supported.as_ref().map(|all| {
        let kept: Vec<String> = all
            .iter()
            .filter(|s| *s != OFFLINE_ACCESS_SCOPE)
            .cloned()
            .collect();
        strings(&kept)
    });
    put(&mut members, "scopes_supported", scopes);
    put(
        &mut members,
        "bearer_methods_supported",
        Some(strings(&["header".to_owned()])),
    );
    put(
        &mut members,
        "dpop_signing_alg_values_supported",
        dpop.map(|d| strings(d.algorithms)),
    );
    put(
        &mut members,
        "dpop_bound_access_tokens_required",
        dpop.filter(|d| d.required).map(|_| Value::Bool(true)),
    );
    let written: Vec<String> = members
        .iter()
        .filter_map(|(key, value)| {
            value
                .as_ref()
                .filter(|v| !is_empty(v))
                .map(|v| format!("{}:{}", json_string(key), json_value(v)))
        })
        .collect();
    format!("{{{}}}", written.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> String {
        protected_resource_metadata_url(&Url::parse(s).unwrap())
            .unwrap()
            .to_string()
    }

    #[test]
    fn well_known_goes_before_the_path() {
        assert_eq!(
            url("https://Api.Example:443/"),
            "https://api.example/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            url("https://u:p@a.example:8443/mcp/x?y=1#f"),
            "https://a.example:8443/.well-known/oauth-protected-resource/mcp/x?y=1"
        );
        assert_eq!(
            url("https://a.example/mcp?"),
            "https://a.example/.well-known/oauth-protected-resource/mcp"
        );
        assert!(protected_resource_metadata_url(&Url::parse("urn:x").unwrap()).is_none());
    }

    #[test]
    fn computed_members_keep_a_passed_key_place() {
        let metadata = ResourceMetadata {
            resource: "https://r".into(),
            other: vec![
                ("bearer_methods_supported".into(), Value::Null),
                ("resourceName".into(), "R".into()),
                ("x".into(), Value::Array(vec![])),
            ],
            scopes_supported: Some(vec!["offline_access".into()]),
            ..Default::default()
        };
        assert_eq!(
            build_resource_metadata_document(&metadata, None),
            r#"{"resource":"https://r","bearer_methods_supported":["header"],"resource_name":"R"}"#
        );
    }
}
