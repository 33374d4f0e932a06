//! The authenticator's options as a binding passes them (`new Authenticator(…)`
//! in Node, `Authenticator(options_json, …)` in Python), and their one
//! reading into the decision's settings and the flow's route.

use crate::decision::mtls::{HeaderFormat, MtlsSettings};
use crate::decision::{DecisionConfig, DpopMode, DpopSettings, IdentityChecks, ScopeHierarchy};
use crate::dpop::proof::{DpopChecker, Mode};
use crate::error::{AuthError, AuthResult};
use crate::flow::Route;
use crate::options::decode::{self, decode};
use crate::options::operations::{OperationPolicy, OperationsOptions};
use crate::options::values::number;
use crate::options::verifier::check_max_token_length;
use serde::Deserialize;
use serde_json::Value;

/// One scope-hierarchy entry: a broader scope and what it implies directly.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeRule {
    pub scope: String,
    pub implies: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticatorOptions {
    pub resource_metadata_url: Option<String>,
    #[serde(default)]
    pub required_scopes: Vec<String>,
    /// In the option's key order. `None`: repeated grants are kept; any
    /// hierarchy (even an empty one) lists each scope once.
    pub scope_hierarchy: Option<Vec<ScopeRule>>,
    #[serde(default)]
    pub show_error_details: bool,
    /// Bytes; the verifier's default when absent.
    #[serde(default, deserialize_with = "number")]
    pub max_token_length: Option<f64>,
    /// `jwt`, `auto`, `introspection` or `caller`.
    pub route: String,
    /// Present: an identity from the caller's verify function is checked.
    pub caller_checks: Option<CallerChecks>,
    /// RFC 8705 certificate-bound tokens; absent: off.
    pub mtls: Option<MtlsOptions>,
    /// Per-tool authorization (`operations.rs`); absent: every request needs a token.
    pub operations: Option<OperationsOptions>,
}

/// The issuer and audience a caller-verified identity must have.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallerChecks {
    /// Absent: the binding judges the issuer (a user's function).
    pub issuers: Option<Vec<String>>,
    /// Absent: any audience.
    pub audiences: Option<Vec<String>>,
}

/// `mtls`: where the client certificate is read. At least one source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MtlsOptions {
    /// The TLS connection's peer certificate (a server that terminates TLS itself).
    #[serde(default)]
    pub connection: bool,
    /// A header a trusted proxy sets (and strips from clients).
    pub proxy_header: Option<ProxyHeaderOptions>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProxyHeaderOptions {
    pub name: String,
    /// `'escaped-pem'` (nginx `$ssl_client_escaped_cert`) or `'xfcc'` (Envoy).
    pub format: String,
}

impl MtlsOptions {
    /// The decision's settings; `invalid_config` for a source-less or ill-named option.
    pub fn to_settings(&self) -> AuthResult<MtlsSettings> {
        let header = match &self.proxy_header {
            None => None,
            Some(header) => {
                let format = match header.format.as_str() {
                    "escaped-pem" => HeaderFormat::EscapedPem,
                    "xfcc" => HeaderFormat::Xfcc,
                    _ => {
                        return Err(AuthError::config(
                            "`mtls.proxyHeader.format` must be 'escaped-pem' or 'xfcc'.",
                        ))
                    }
                };
                let name = header.name.to_ascii_lowercase();
                let token = !name.is_empty() && name.bytes().all(crate::decision::chars::is_tchar);
                if !token || name == "authorization" || name == "dpop" {
                    return Err(AuthError::config(
                        "`mtls.proxyHeader.name` must be a header name other than Authorization and DPoP.",
                    ));
                }
                Some((name, format))
            }
        };
        if !self.connection && header.is_none() {
            return Err(AuthError::config(
                "`mtls` must set `connection: true` or a `proxyHeader`.",
            ));
        }
        Ok(MtlsSettings {
            connection: self.connection,
            header,
        })
    }
}

fn public_path(keys: &[&str]) -> String {
    keys.join(".")
}

/// The decision's DPoP settings for a resource with `checker`: `None`
/// (Bearer only) without one or when its mode is `'off'`.
pub fn dpop_settings(checker: Option<&DpopChecker>) -> Option<DpopSettings> {
    let checker = checker?;
    let mode = match checker.mode {
        Mode::Off => return None,
        Mode::Allowed => DpopMode::Allowed,
        Mode::Required => DpopMode::Required,
    };
    let algorithms = checker
        .rules
        .algorithms
        .iter()
        .map(|alg| crate::keys::algorithms::name(*alg).to_owned())
        .collect();
    Some(DpopSettings { mode, algorithms })
}

impl AuthenticatorOptions {
    /// The options as a binding passes them (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    /// The checks on a caller-verified identity, when asked for.
    pub fn identity_checks(&self) -> Option<IdentityChecks> {
        let checks = self.caller_checks.clone()?;
        Some(IdentityChecks::new(checks.issuers, checks.audiences))
    }

    /// The validated `operations` declaration, when there is one (before `to_config`).
    pub fn operation_policy(&self) -> AuthResult<Option<OperationPolicy>> {
        self.operations.as_ref().map(|o| o.to_policy()).transpose()
    }

    /// The decision's settings (with the binding's DPoP settings) and the route.
    pub fn to_config(self, dpop: Option<DpopSettings>) -> AuthResult<(DecisionConfig, Route)> {
        let route = match self.route.as_str() {
            "jwt" => Route::Jwt,
            "auto" => Route::Auto,
            "introspection" => Route::Introspection,
            "caller" => Route::Caller,
            _ => {
                return Err(AuthError::config(
                    "`route` must be one of 'jwt', 'auto', 'introspection' or 'caller'.",
                ))
            }
        };
        let scope_hierarchy = match &self.scope_hierarchy {
            None => ScopeHierarchy::none(),
            Some(rules) => {
                let entries: Vec<(String, Vec<String>)> = rules
                    .iter()
                    .map(|rule| (rule.scope.clone(), rule.implies.clone()))
                    .collect();
                ScopeHierarchy::compile(&entries, "scopeHierarchy").map_err(AuthError::config)?
            }
        };
        let config = DecisionConfig {
            dpop,
            resource_metadata_url: self.resource_metadata_url,
            required_scopes: self.required_scopes,
            scope_hierarchy,
            show_error_details: self.show_error_details,
            max_token_length: check_max_token_length(self.max_token_length)?,
            mtls: self
                .mtls
                .as_ref()
                .map(MtlsOptions::to_settings)
                .transpose()?,
        };
        Ok((config, route))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reason(value: Value) -> String {
        match AuthenticatorOptions::from_json(value).and_then(|o| o.to_config(None)) {
            Ok(_) => String::new(),
            Err(err) => err.reason,
        }
    }

    #[test]
    fn reads_every_option() {
        let options = json!({
            "resourceMetadataUrl": "https://r.example/.well-known/oauth-protected-resource",
            "requiredScopes": ["read"],
            "scopeHierarchy": [{"scope": "admin", "implies": ["read", "read"]}],
            "showErrorDetails": true,
            "maxTokenLength": 4096,
            "route": "auto",
        });
        let (config, route) = AuthenticatorOptions::from_json(options)
            .and_then(|o| o.to_config(None))
            .unwrap();
        assert_eq!(route, Route::Auto);
        assert_eq!(config.max_token_length, 4096);
        assert!(config.show_error_details);
        assert_eq!(config.required_scopes, ["read"]);
        assert_eq!(
            config.scope_hierarchy.expand(&["admin".into()]),
            ["admin", "read"]
        );
    }

    #[test]
    fn dpop_settings_follow_the_checker() {
        use crate::options::dpop::DpopOptions;
        let checker = |value: Value| {
            DpopOptions::from_json(value)
                .and_then(|o| o.to_checker())
                .unwrap()
        };
        assert_eq!(dpop_settings(None), None);
        let off = checker(json!({"resource": "https://r.example", "mode": "off"}));
        assert_eq!(dpop_settings(Some(&off)), None);
        let required = checker(json!({
            "resource": "https://r.example", "mode": "required", "algorithms": ["ES256", "EdDSA"]
        }));
        assert_eq!(
            dpop_settings(Some(&required)),
            Some(DpopSettings {
                mode: DpopMode::Required,
                algorithms: vec!["ES256".into(), "EdDSA".into()],
            })
        );
        let allowed = checker(json!({"resource": "https://r.example"}));
        assert_eq!(
            dpop_settings(Some(&allowed)).map(|s| s.mode),
            Some(DpopMode::Allowed)
        );
    }

    #[test]
    fn refuses_by_the_option_name() {
        assert_eq!(
            reason(json!({"route": "tokens"})),
            "`route` must be one of 'jwt', 'auto', 'introspection' or 'caller'."
        );
        assert_eq!(
            reason(json!({"route": "jwt", "requiredScopes": "read"})),
            "`requiredScopes` has a value of the wrong type (expected an array)."
        );
        assert_eq!(reason(json!({})), "`route` is required.");
        assert_eq!(
            reason(json!({"route": "jwt", "extra": 1})),
            "unknown option `extra`."
        );
        assert!(reason(json!({"route": "jwt", "maxTokenLength": 0})).contains("maxTokenLength"));
        assert!(reason(json!({
            "route": "jwt",
            "scopeHierarchy": [{"scope": "a", "implies": ["b"]}, {"scope": "b", "implies": ["a"]}],
        }))
        .contains("scopeHierarchy"));
    }

    #[test]
    fn mtls_option() {
        let config = |mtls: Value| {
            AuthenticatorOptions::from_json(json!({"route": "jwt", "mtls": mtls}))
                .and_then(|o| o.to_config(None))
                .map(|(c, _)| c.mtls)
        };
        assert_eq!(
            config(json!({"connection": true})).unwrap(),
            Some(MtlsSettings {
                connection: true,
                header: None
            })
        );
        assert_eq!(
            config(json!({"proxyHeader": {"name": "X-Client-Cert", "format": "escaped-pem"}}))
                .unwrap(),
            Some(MtlsSettings {
                connection: false,
                header: Some(("x-client-cert".into(), HeaderFormat::EscapedPem))
            })
        );
        let off = AuthenticatorOptions::from_json(json!({"route": "jwt"})).unwrap();
        assert_eq!(off.to_config(None).unwrap().0.mtls, None);
        for (bad, says) in [
            (json!({}), "`mtls` must set"),
            (json!({"connection": false}), "`mtls` must set"),
            (
                json!({"proxyHeader": {"name": "x", "format": "pem"}}),
                "format",
            ),
            (
                json!({"proxyHeader": {"name": "Authorization", "format": "xfcc"}}),
                "name",
            ),
            (
                json!({"proxyHeader": {"name": "x y", "format": "xfcc"}}),
                "name",
            ),
            (json!({"connection": "yes"}), "mtls.connection"),
            (json!({"peer": true}), "mtls.peer"),
        ] {
            let reason = config(bad.clone()).unwrap_err().reason;
            assert!(reason.contains(says), "{bad}: {reason}");
        }
    }
}
