//! Key-set events as every binding reports them: the issuer a JWKS URL
//! belongs to, and an outage's reason as one of a fixed set of codes.

use crate::issuers::trusted::{IssuerSource, ANY_ISSUER};
use std::collections::HashMap;

/// Which issuer a key-set URL is for, from a verifier's trusted issuers: the
/// one configured with that URL, else the only issuer when there is one
/// (its URL then came from discovery). A key set trusted for any issuer
/// (`anyIssuerJwksUri`) names none: `*` is not an issuer.
#[derive(Debug, Clone, Default)]
pub struct JwksIssuers {
    by_uri: HashMap<String, String>,
    only: Option<String>,
}

impl JwksIssuers {
    pub fn new(issuers: &[IssuerSource]) -> Self {
        let named = || issuers.iter().filter(|s| s.issuer != ANY_ISSUER);
        let by_uri = named()
            .filter_map(|s| Some((s.jwks_uri.clone()?, s.issuer.clone())))
            .collect();
        let only = match issuers {
            [one] if one.issuer != ANY_ISSUER => Some(one.issuer.clone()),
            _ => None,
        };
        Self { by_uri, only }
    }

    pub fn issuer_of(&self, jwks_uri: &str) -> Option<&str> {
        self.by_uri
            .get(jwks_uri)
            .or(self.only.as_ref())
            .map(String::as_str)
    }
}

/// A key-set outage's reason as a fixed code, for metrics: the reason itself
/// can echo what the server sent (its Content-Type, its status), so one
/// label value per server choice would follow. Matches the phrases `http`,
/// `jwk` and `key_set` write; anything new is `other` until named here.
pub fn outage_code(reason: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 12] = [
        ("timed out", "timeout"),
        ("connection refused", "connection_failed"),
        ("connection failed", "connection_failed"),
        ("host name could not be resolved", "connection_failed"),
        ("no valid HTTP response", "connection_failed"),
        ("response body could not be read", "connection_failed"),
        ("response body exceeds", "too_large"),
        ("server answered HTTP", "http_status"),
        ("key set not found", "not_found"),
        ("expected JSON", "content_type"),
        ("key set has no usable keys", "no_usable_keys"),
        ("key set document", "invalid_key_set"),
    ];
    if let Some((_, code)) = PREFIXES
        .iter()
        .find(|(prefix, _)| reason.starts_with(prefix))
    {
        return code;
    }
    if reason.contains("redirect") {
        "redirect_refused"
    } else if reason.starts_with("response ") {
        // `response <what strict_json found>`: the body is not one JSON object.
        "invalid_json"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuers::discovery::ServerType;

    #[test]
    fn outage_reasons_map_to_fixed_codes() {
        for (reason, code) in [
            ("timed out after 300 ms", "timeout"),
            ("connection refused", "connection_failed"),
            (
                "no valid HTTP response (connection closed or protocol error)",
                "connection_failed",
            ),
            ("response body exceeds 1024 bytes", "too_large"),
            ("server answered HTTP 599", "http_status"),
            ("key set not found (404)", "not_found"),
            (
                "expected JSON, got text/x-anything-the-server-chose",
                "content_type",
            ),
            ("expected JSON, got no content type", "content_type"),
            ("key set has no usable keys", "no_usable_keys"),
            ("key set document has no keys array", "invalid_key_set"),
            (
                "a redirect to another origin was refused",
                "redirect_refused",
            ),
            ("too many redirects", "redirect_refused"),
            ("response is not valid JSON", "invalid_json"),
            ("something new", "other"),
        ] {
            assert_eq!(outage_code(reason), code, "{reason}");
        }
    }

    fn source(issuer: &str, jwks_uri: Option<&str>) -> IssuerSource {
        IssuerSource {
            issuer: issuer.into(),
            jwks_uri: jwks_uri.map(Into::into),
            kind: ServerType::OAuth,
            tenants: None,
        }
    }

    #[test]
    fn key_set_urls_name_their_issuer() {
        let two = JwksIssuers::new(&[
            source("https://a.example", Some("https://a.example/jwks")),
            source("https://b.example", None),
        ]);
        assert_eq!(
            two.issuer_of("https://a.example/jwks"),
            Some("https://a.example")
        );
        assert_eq!(two.issuer_of("https://b.example/keys"), None);
        let one = JwksIssuers::new(&[source("https://b.example", None)]);
        assert_eq!(
            one.issuer_of("https://b.example/keys"),
            Some("https://b.example")
        );
        let any = JwksIssuers::new(&[source(ANY_ISSUER, Some("https://keys.example/jwks"))]);
        assert_eq!(any.issuer_of("https://keys.example/jwks"), None);
    }
}
