//! RFC 9728 protected resource metadata: where it lives
//! (`protectedResourceMetadataUrl`) and what it says
//! (`buildResourceMetadataDocument`).

use url::Url;

use super::response::json_string;
use super::scopes::OFFLINE_ACCESS_SCOPE;
use super::written_json::{put, WrittenJson};
use crate::error::{AuthError, AuthResult};
use crate::issuers::template::PLACEHOLDER;

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

/// The well-known URL of `resource` as text; `invalid_config` when it has no origin.
pub fn well_known_url(resource: &str) -> AuthResult<String> {
    Url::parse(resource)
        .ok()
        .and_then(|url| protected_resource_metadata_url(&url))
        .map(String::from)
        .ok_or_else(|| {
            AuthError::config("`metadata.resource` must be an absolute URL with a host.")
        })
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
    /// (camelCase is snake-cased here, deeply), values as written.
    /// `bearerMethodsSupported`, `dpopSigningAlgValuesSupported` and
    /// `dpopBoundAccessTokensRequired` must be left out: the document
    /// computes them.
    pub other: Vec<(String, WrittenJson)>,
}

/// One configured authorization server, as the metadata advertises it.
#[derive(Debug, Clone, Default)]
pub struct AdvertisedServer {
    pub issuer: String,
    pub tenants: Option<Vec<String>>,
}

/// The issuers a client may discover for one server: the issuer itself, or
/// for a `{tenantid}` template each allowed tenant's own issuer, and nothing
/// without a `tenants` list (a template is no issuer a client can discover).
pub fn advertised_issuers(server: &AdvertisedServer) -> Vec<String> {
    if !server.issuer.contains(PLACEHOLDER) {
        return vec![server.issuer.clone()];
    }
    server
        .tenants
        .iter()
        .flatten()
        .map(|tenant| server.issuer.replacen(PLACEHOLDER, tenant, 1))
        .collect()
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

/// `key` as an ECMAScript array index (canonical digits below 2³² − 1).
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
    let index: u32 = key.parse().ok().filter(|_| canonical)?;
    (index < u32::MAX && key.bytes().all(|b| b.is_ascii_digit())).then_some(index)
}

fn strings(values: &[String]) -> WrittenJson {
    WrittenJson::Array(
        values
            .iter()
            .map(|v| WrittenJson::Scalar(json_string(v)))
            .collect(),
    )
}

/// The PRM document as `JSON.stringify` writes it: `resource` first, the
/// other members, then the computed ones (which nothing passed through can
/// override), no `offline_access`, header-only bearer method, the DPoP
/// members from the resource's mode, and no empty members.
pub fn build_resource_metadata_document(
    metadata: &ResourceMetadata,
    dpop: Option<DpopAdvert<'_>>,
) -> String {
    build_document(metadata, dpop, false)
}

/// The same, with `tls_client_certificate_bound_access_tokens: true` last
/// when the resource checks certificate-bound tokens (RFC 8705 §3.3 names it
/// for servers; RFC 9728 §2 for protected resources).
pub fn build_document(
    metadata: &ResourceMetadata,
    dpop: Option<DpopAdvert<'_>>,
    mtls: bool,
) -> String {
    let mut members: Vec<(String, Option<WrittenJson>)> = vec![(
        "resource".to_owned(),
        Some(WrittenJson::Scalar(json_string(&metadata.resource))),
    )];
    for (key, value) in &metadata.other {
        put(
            &mut members,
            snake_case(key),
            Some(value.rename_keys(&snake_case)),
        );
    }
    put(
        &mut members,
        "authorization_servers".to_owned(),
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
    put(&mut members, "scopes_supported".to_owned(), scopes);
    put(
        &mut members,
        "bearer_methods_supported".to_owned(),
        Some(strings(&["header".to_owned()])),
    );
    put(
        &mut members,
        "dpop_signing_alg_values_supported".to_owned(),
        dpop.map(|d| strings(d.algorithms)),
    );
    put(
        &mut members,
        "dpop_bound_access_tokens_required".to_owned(),
        dpop.filter(|d| d.required)
            .map(|_| WrittenJson::Scalar("true".into())),
    );
    // Only when on: without mTLS a configured member passes through as written.
    if mtls {
        put(
            &mut members,
            "tls_client_certificate_bound_access_tokens".to_owned(),
            Some(WrittenJson::Scalar("true".into())),
        );
    }
    let mut kept: Vec<(String, WrittenJson)> = members
        .into_iter()
        .filter_map(|(key, value)| value.filter(|v| !v.is_empty()).map(|v| (key, v)))
        .collect();
    // A JavaScript object lists array-index keys first, in numeric order,
    // even before `resource` (a stable sort keeps the rest as they are).
    kept.sort_by_key(|(key, _)| array_index(key).map_or((1, 0), |i| (0, i)));
    let mut out = String::new();
    WrittenJson::Object(kept).write(&mut out);
    out
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
    fn array_index_keys_come_first_as_in_a_javascript_object() {
        let metadata = ResourceMetadata {
            resource: "https://r".into(),
            other: ["b", "10", "2", "01", "4294967295", "4294967294"]
                .iter()
                .map(|k| (k.to_string(), WrittenJson::Scalar("1".into())))
                .collect(),
            ..Default::default()
        };
        assert_eq!(
            build_resource_metadata_document(&metadata, None),
            concat!(
                r#"{"2":1,"10":1,"4294967294":1,"resource":"https://r","b":1,"01":1,"#,
                r#""4294967295":1,"bearer_methods_supported":["header"]}"#
            )
        );
    }

    #[test]
    fn computed_members_keep_a_passed_key_place() {
        let metadata = ResourceMetadata {
            resource: "https://r".into(),
            other: vec![
                (
                    "bearer_methods_supported".into(),
                    WrittenJson::Scalar("null".into()),
                ),
                ("resourceName".into(), WrittenJson::Scalar("\"R\"".into())),
                ("x".into(), WrittenJson::Array(vec![])),
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
