//! The protected-resource metadata a binding asks for (`metadata` as the
//! user configured it, and the resource's DPoP settings) → the document's
//! URL and its exact JSON text (`decision/metadata.rs` builds it).

use crate::decision::metadata::{
    advertised_issuers, build_document, well_known_url, AdvertisedServer, DpopAdvert,
    ResourceMetadata,
};
use crate::decision::written_json::WrittenJson;
use crate::error::{AuthError, AuthResult};
use crate::options::decode::{self, decode};
use serde::Deserialize;
use serde_json::Value;

/// The members the document computes itself, whatever the option says.
const COMPUTED: [&str; 3] = [
    "bearerMethodsSupported",
    "dpopSigningAlgValuesSupported",
    "dpopBoundAccessTokensRequired",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataDocumentOptions {
    /// The resource's `metadata` option as JSON text, members in the
    /// option's order; `authorizationServers` as `{ issuer, tenants? }`.
    pub metadata: String,
    /// Absent when DPoP is off for the resource.
    pub dpop: Option<DpopAdvertOptions>,
    /// The resource checks certificate-bound tokens (its `mtls` option is set).
    #[serde(default)]
    pub mtls: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DpopAdvertOptions {
    /// `dpop: 'required'`.
    pub required: bool,
    /// The proof algorithms the checker accepts.
    pub algorithms: Vec<String>,
}

/// Where the document is served and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataDocument {
    /// RFC 9728 §3.1 well-known URL.
    pub url: String,
    /// The JSON text served.
    pub document: String,
}

fn public_path(keys: &[&str]) -> String {
    keys.join(".")
}

fn refused(field: &str, problem: &str) -> AuthError {
    AuthError::config(format!("`metadata.{field}` {problem}."))
}

fn string_list(value: &WrittenJson, what: &str) -> AuthResult<Vec<String>> {
    match value {
        WrittenJson::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| refused(what, "must be a list of strings"))
            })
            .collect(),
        _ => Err(refused(what, "must be a list of strings")),
    }
}

fn server(value: &WrittenJson) -> AuthResult<AdvertisedServer> {
    let wrong = || refused("authorizationServers[].issuer", "must be a string");
    let WrittenJson::Object(members) = value else {
        return Err(wrong());
    };
    let mut server = AdvertisedServer::default();
    for (key, value) in members {
        match key.as_str() {
            "issuer" => server.issuer = value.as_str().ok_or_else(wrong)?,
            "tenants" if !value.is_null() => {
                server.tenants = Some(string_list(value, "authorizationServers[].tenants")?)
            }
            _ => {}
        }
    }
    Ok(server)
}

/// `metadata` (JSON text) as the document's plain data.
pub fn read_metadata(text: &str) -> AuthResult<ResourceMetadata> {
    let parsed = WrittenJson::parse(text)
        .map_err(|_| AuthError::config("`metadata` must be plain JSON data."))?;
    let WrittenJson::Object(members) = parsed else {
        return Err(AuthError::config("`metadata` must be an object."));
    };
    let mut metadata = ResourceMetadata::default();
    let mut resource = None;
    for (key, value) in members {
        match key.as_str() {
            "resource" => resource = value.as_str(),
            "authorizationServers" if !value.is_null() => {
                let WrittenJson::Array(servers) = &value else {
                    return Err(refused("authorizationServers", "must be a list"));
                };
                let mut issuers = Vec::new();
                for entry in servers {
                    issuers.extend(advertised_issuers(&server(entry)?));
                }
                metadata.authorization_servers = Some(issuers);
            }
            "scopesSupported" if !value.is_null() => {
                metadata.scopes_supported = Some(string_list(&value, "scopesSupported")?);
            }
            "authorizationServers" | "scopesSupported" => {}
            key if COMPUTED.contains(&key) => {}
            _ => metadata.other.push((key, value)),
        }
    }
    metadata.resource = resource.ok_or_else(|| refused("resource", "must be a string"))?;
    Ok(metadata)
}

impl MetadataDocumentOptions {
    /// The options as a binding passes them (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    /// The document and its URL.
    pub fn build(&self) -> AuthResult<MetadataDocument> {
        let metadata = read_metadata(&self.metadata)?;
        let url = well_known_url(&metadata.resource)?;
        let dpop = self.dpop.as_ref().map(|d| DpopAdvert {
            required: d.required,
            algorithms: &d.algorithms,
        });
        Ok(MetadataDocument {
            url,
            document: build_document(&metadata, dpop, self.mtls),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(metadata: &str, dpop: Option<(bool, &[&str])>) -> AuthResult<MetadataDocument> {
        MetadataDocumentOptions {
            metadata: metadata.to_owned(),
            dpop: dpop.map(|(required, algs)| DpopAdvertOptions {
                required,
                algorithms: algs.iter().map(|a| a.to_string()).collect(),
            }),
            mtls: false,
        }
        .build()
    }

    #[test]
    fn mtls_is_advertised() {
        let options = |mtls: bool| {
            MetadataDocumentOptions::from_json(json!({
                "metadata": r#"{"resource":"https://r.example","tlsClientCertificateBoundAccessTokens":false}"#,
                "mtls": mtls,
            }))
            .unwrap()
            .build()
            .unwrap()
            .document
        };
        // With `mtls` the document says true, whatever `metadata` says;
        // without, a configured member passes through as written.
        assert_eq!(
            options(true),
            r#"{"resource":"https://r.example","tls_client_certificate_bound_access_tokens":true,"bearer_methods_supported":["header"]}"#
        );
        assert_eq!(
            options(false),
            r#"{"resource":"https://r.example","tls_client_certificate_bound_access_tokens":false,"bearer_methods_supported":["header"]}"#
        );
    }

    #[test]
    fn members_in_the_option_order_values_as_written() {
        let doc = build(
            r#"{"resourceName":"R","resource":"https://r.example/mcp?x=1","extra":{"zLast":1e+21,"aFirst":[0.000001]},
               "authorizationServers":[{"issuer":"https://as.example"},{"issuer":"https://t.example/{tenantid}/v2","tenants":["a","b"]},{"issuer":"https://u.example/{tenantid}"}],
               "scopesSupported":["read","offline_access"],"bearerMethodsSupported":["query"],
               "dpopBoundAccessTokensRequired":false,"jwksUri":""}"#,
            Some((true, &["ES256"])),
        )
        .unwrap();
        assert_eq!(
            doc.url,
            "https://r.example/.well-known/oauth-protected-resource/mcp?x=1"
        );
        assert_eq!(
            doc.document,
            concat!(
                r#"{"resource":"https://r.example/mcp?x=1","resource_name":"R","extra":{"z_last":1e+21,"a_first":[0.000001]},"#,
                r#""authorization_servers":["https://as.example","https://t.example/a/v2","https://t.example/b/v2"],"#,
                r#""scopes_supported":["read"],"bearer_methods_supported":["header"],"#,
                r#""dpop_signing_alg_values_supported":["ES256"],"dpop_bound_access_tokens_required":true}"#
            )
        );
    }

    #[test]
    fn refuses_what_is_not_a_metadata_object() {
        assert!(build("[]", None).is_err());
        assert!(build(r#"{"resource":1}"#, None).is_err());
        assert!(build(r#"{"resource":"urn:x"}"#, None).is_err());
        assert!(build(r#"{"resource":"https://r","scopesSupported":"read"}"#, None).is_err());
        let unknown = MetadataDocumentOptions::from_json(json!({ "metadata": "{}", "x": 1 }));
        assert_eq!(unknown.unwrap_err().reason, "unknown option `x`.");
    }
}
