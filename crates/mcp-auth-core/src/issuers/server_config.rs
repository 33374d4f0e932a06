//! Authorization-server configuration as mcp-auth shapes it: `{ type, metadata }`
//! with camelCase metadata, and `validateServerConfig`'s report with the same
//! result codes and descriptions as mcp-auth's.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::issuers::discovery::{self, ServerType};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub kind: ServerType,
    /// camelCase member names (shallow), values as served.
    pub metadata: Map<String, Value>,
}

/// Checks a raw (snake_case) metadata document and converts it. `expected_issuer`
/// is the issuer the document was fetched for; it must match exactly (M25).
pub fn to_server_config(
    kind: ServerType,
    document: &Map<String, Value>,
    expected_issuer: Option<&str>,
) -> AuthResult<ServerConfig> {
    discovery::check_metadata(document, expected_issuer)?;
    Ok(ServerConfig {
        kind,
        metadata: discovery::to_camel_case_keys(document),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub description: &'static str,
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Validation {
    pub is_valid: bool,
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub successes: Vec<Finding>,
}

fn finding(code: &'static str) -> Finding {
    let description = match code {
        "server_metadata_valid" => "The server metadata is valid and conforms to the expected schema.",
        "dynamic_registration_supported" => "Dynamic Client Registration (RFC 7591) is supported by the server.",
        "pkce_supported" => "Proof Key for Code Exchange (PKCE) is supported by the server.",
        "s256_code_challenge_method_supported" => "The \"S256\" code challenge method for Proof Key for Code Exchange (PKCE) is supported by the server.",
        "authorization_code_grant_supported" => "The \"authorization_code\" grant type is supported by the server.",
        "code_response_type_supported" => "The \"code\" response type is supported by the server.",
        "invalid_server_metadata" => "The server metadata is not a valid object or does not conform to the expected schema.",
        "code_response_type_not_supported" => "The server does not support the \"code\" response type or the \"code\" response type is not included in one of the supported response types.",
        "authorization_code_grant_not_supported" => "The server does not support the \"authorization_code\" grant type.",
        "pkce_not_supported" => "The server does not support Proof Key for Code Exchange (PKCE).",
        "s256_code_challenge_method_not_supported" => "The server does not support the \"S256\" code challenge method for Proof Key for Code Exchange (PKCE).",
        "dynamic_registration_not_supported" => "Dynamic Client Registration (RFC 7591) is not supported by the server.",
        _ => "",
    };
    Finding {
        code,
        description,
        cause: None,
    }
}

fn strings<'a>(metadata: &'a Map<String, Value>, name: &str) -> Option<Vec<&'a str>> {
    match metadata.get(name)? {
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// Validates camelCase metadata the way mcp-auth's `validateServerConfig` does:
/// schema first (required members and types), then what an MCP client needs.
pub fn validate(metadata: &Map<String, Value>) -> Validation {
    let mut v = Validation::default();
    if let Some(cause) = schema_problem(metadata) {
        v.errors.push(Finding {
            cause: Some(cause),
            ..finding("invalid_server_metadata")
        });
        return v;
    }
    v.successes.push(finding("server_metadata_valid"));

    let response_types = strings(metadata, "responseTypesSupported").unwrap_or_default();
    if response_types
        .iter()
        .any(|t| t.split(' ').any(|part| part == "code"))
    {
        v.successes.push(finding("code_response_type_supported"));
    } else {
        v.errors.push(finding("code_response_type_not_supported"));
    }

    // RFC 8414 §2: grant_types_supported defaults to authorization_code + implicit.
    let grants = strings(metadata, "grantTypesSupported");
    if grants.is_none_or(|g| g.contains(&"authorization_code")) {
        v.successes
            .push(finding("authorization_code_grant_supported"));
    } else {
        v.errors
            .push(finding("authorization_code_grant_not_supported"));
    }

    match strings(metadata, "codeChallengeMethodsSupported") {
        Some(methods) => {
            v.successes.push(finding("pkce_supported"));
            if methods.contains(&"S256") {
                v.successes
                    .push(finding("s256_code_challenge_method_supported"));
            } else {
                v.errors
                    .push(finding("s256_code_challenge_method_not_supported"));
            }
        }
        None => v.errors.push(finding("pkce_not_supported")),
    }

    if metadata.get("registrationEndpoint").is_some() {
        v.successes.push(finding("dynamic_registration_supported"));
    } else {
        v.warnings
            .push(finding("dynamic_registration_not_supported"));
    }
    v.is_valid = v.errors.is_empty();
    v
}

fn schema_problem(metadata: &Map<String, Value>) -> Option<String> {
    for name in ["issuer", "authorizationEndpoint", "tokenEndpoint"] {
        if !metadata.get(name).is_some_and(Value::is_string) {
            return Some(format!("{name} must be a string"));
        }
    }
    if strings(metadata, "responseTypesSupported").is_none() {
        return Some("responseTypesSupported must be an array of strings".into());
    }
    for (name, value) in metadata {
        let typed = match value {
            Value::String(_) => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            Value::Bool(_) => name.ends_with("Supported") || name.ends_with("Required"),
            _ => false,
        };
        if !typed && is_rfc8414_member(name) {
            return Some(format!("{name} has the wrong type"));
        }
    }
    None
}

fn is_rfc8414_member(name: &str) -> bool {
    name.ends_with("Endpoint") || name.ends_with("Supported") || name.ends_with("Uri")
}

/// Reads `{ type, metadata }` as JavaScript passes it.
pub fn from_js(value: &Value) -> AuthResult<(ServerType, Map<String, Value>)> {
    let bad = || {
        AuthError::new(
            ErrorCode::InvalidServerMetadata,
            "server config must be { type, metadata }",
        )
    };
    let object = value.as_object().ok_or_else(bad)?;
    let kind = ServerType::parse(
        object
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("oauth"),
    )?;
    let metadata = object
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or_else(bad)?;
    Ok((kind, metadata.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(extra: Value) -> Map<String, Value> {
        let mut m = json!({
            "issuer": "https://as.example.com",
            "authorizationEndpoint": "https://as.example.com/auth",
            "tokenEndpoint": "https://as.example.com/token",
            "responseTypesSupported": ["code"],
            "codeChallengeMethodsSupported": ["S256"],
            "registrationEndpoint": "https://as.example.com/reg",
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                m.as_object_mut().unwrap().remove(k);
            } else {
                m[k] = v.clone();
            }
        }
        m.as_object().unwrap().clone()
    }

    fn codes(list: &[Finding]) -> Vec<&str> {
        list.iter().map(|f| f.code).collect()
    }

    #[test]
    fn valid_metadata() {
        let v = validate(&meta(json!({})));
        assert!(v.is_valid);
        assert!(v.errors.is_empty() && v.warnings.is_empty());
        assert_eq!(v.successes.len(), 6);
    }

    #[test]
    fn reports_mcp_auth_codes() {
        let v = validate(&meta(
            json!({ "codeChallengeMethodsSupported": null, "registrationEndpoint": null }),
        ));
        assert!(!v.is_valid);
        assert_eq!(codes(&v.errors), ["pkce_not_supported"]);
        assert_eq!(codes(&v.warnings), ["dynamic_registration_not_supported"]);
        let v = validate(&meta(
            json!({ "codeChallengeMethodsSupported": ["plain"], "grantTypesSupported": ["implicit"], "responseTypesSupported": ["token"] }),
        ));
        assert_eq!(
            codes(&v.errors),
            [
                "code_response_type_not_supported",
                "authorization_code_grant_not_supported",
                "s256_code_challenge_method_not_supported"
            ]
        );
        assert!(
            validate(&meta(
                json!({ "responseTypesSupported": ["code id_token"] })
            ))
            .is_valid
        );
        let v = validate(&meta(json!({ "tokenEndpoint": null })));
        assert_eq!(codes(&v.errors), ["invalid_server_metadata"]);
        assert!(v.errors[0].cause.is_some());
        assert_eq!(
            codes(&validate(&meta(json!({ "jwksUri": 5 }))).errors),
            ["invalid_server_metadata"]
        );
    }

    #[test]
    fn converts_and_checks_issuer() {
        let doc = json!({ "issuer": "https://as.example.com", "jwks_uri": "https://as.example.com/jwks" });
        let doc = doc.as_object().unwrap();
        let c = to_server_config(ServerType::Oidc, doc, Some("https://as.example.com")).unwrap();
        assert_eq!(c.metadata["jwksUri"], "https://as.example.com/jwks");
        let err =
            to_server_config(ServerType::Oidc, doc, Some("https://as.example.com/")).unwrap_err();
        assert_eq!(err.code, ErrorCode::IssuerMismatch);
    }
}
