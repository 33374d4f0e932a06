//! Authorization-server metadata: which well-known URLs to try for an issuer
//! (MCP 2025-11-25 order), fetching them, and checking what comes back.
//!
//! A document is only used when its `issuer` is byte-identical to the issuer
//! it was looked up for (RFC 8414 §3.3, MCP M25): otherwise one server could
//! hand out keys in another's name.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::{self, echo_safe, FetchOptions, Fetched};
use serde_json::{Map, Value};
use url::Url;

const OAUTH_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
const OIDC_WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// RFC 8414 §2 members whose value is a single URL string.
const STRING_MEMBERS: [&str; 7] = [
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerType {
    /// OpenID Connect: `<issuer>/.well-known/openid-configuration` first.
    Oidc,
    /// RFC 8414: `/.well-known/oauth-authorization-server<issuer path>` first.
    OAuth,
}

impl ServerType {
    pub fn parse(s: &str) -> AuthResult<Self> {
        match s {
            "oidc" => Ok(Self::Oidc),
            "oauth" => Ok(Self::OAuth),
            _ => Err(AuthError::config(
                "server type must be \"oidc\" or \"oauth\"",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oidc => "oidc",
            Self::OAuth => "oauth",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Discovered {
    /// The well-known URL the document came from.
    pub url: String,
    pub document: Map<String, Value>,
}

/// URLs to try in order for `issuer`: the type's own URL first, then the rest
/// of the MCP order (M24), without duplicates.
pub fn well_known_urls(issuer: &str, kind: ServerType) -> AuthResult<Vec<Url>> {
    let base = parse_issuer(issuer)?;
    // `https://a.com/` and `https://a.com` both have no path.
    let path = base.path().trim_end_matches('/');
    let at = |well_known_path: String| {
        let mut url = base.clone();
        url.set_path(&well_known_path);
        url
    };
    // RFC 8414 inserts the well-known segment before the path; OIDC appends it.
    let oauth_inserted = at(format!("{OAUTH_WELL_KNOWN}{path}"));
    let oidc_inserted = at(format!("{OIDC_WELL_KNOWN}{path}"));
    let oidc_appended = at(format!("{path}{OIDC_WELL_KNOWN}"));

    let own = match kind {
        ServerType::OAuth => oauth_inserted.clone(),
        ServerType::Oidc => oidc_appended.clone(),
    };
    let mut urls = vec![own];
    // Without a path the appended and inserted OIDC URLs coincide.
    for url in [oauth_inserted, oidc_inserted, oidc_appended] {
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    Ok(urls)
}

/// Fetches the first URL that does not answer 404 and checks the document,
/// including `issuer == issuer` byte for byte. Any failure other than 404
/// stops the search: falling through on errors would let a broken or hostile
/// endpoint steer us to a different document.
pub async fn discover(
    issuer: &str,
    kind: ServerType,
    opts: &FetchOptions,
) -> AuthResult<Discovered> {
    let urls = well_known_urls(issuer, kind)?;
    for url in &urls {
        if let Fetched::Object(document) =
            http::get_json_object(url, opts, ErrorCode::DiscoveryUnavailable).await?
        {
            return accept(url, document, Some(issuer));
        }
    }
    Err(not_found(urls.first()))
}

/// Fetches one given well-known URL, without fallback. `expected_issuer`, when
/// given, must match the document's `issuer` exactly.
pub async fn fetch_well_known(
    url: &str,
    expected_issuer: Option<&str>,
    opts: &FetchOptions,
) -> AuthResult<Discovered> {
    let parsed = Url::parse(url).map_err(|_| {
        // Not a URL, so it cannot be redacted: it is left out of the error.
        AuthError::new(ErrorCode::InvalidUrl, "metadata URL is not a valid URL")
    })?;
    match http::get_json_object(&parsed, opts, ErrorCode::DiscoveryUnavailable).await? {
        Fetched::Object(document) => accept(&parsed, document, expected_issuer),
        Fetched::NotFound => Err(not_found(Some(&parsed))),
    }
}

/// Checks a metadata document: `issuer` present (and equal to
/// `expected_issuer` when given), RFC 8414 members well-typed, and `jwks_uri`
/// (when present) a URL we are allowed to fetch. A missing `jwks_uri` is left
/// to the verifier, which reports it when it needs keys.
pub fn check_metadata(
    document: &Map<String, Value>,
    expected_issuer: Option<&str>,
) -> AuthResult<()> {
    let Some(Value::String(issuer)) = document.get("issuer") else {
        return Err(bad_metadata("metadata has no issuer"));
    };
    // Exact bytes, no normalisation (M25); neither value is echoed, so the
    // reason stays safe to show to clients.
    if expected_issuer.is_some_and(|expected| issuer != expected) {
        return Err(AuthError::new(
            ErrorCode::IssuerMismatch,
            "metadata issuer does not match the requested issuer",
        ));
    }
    for name in STRING_MEMBERS {
        if document.get(name).is_some_and(|value| !value.is_string()) {
            return Err(bad_metadata(format!(
                "metadata member {name} must be a string"
            )));
        }
    }
    for (name, value) in document {
        if name.ends_with("_supported") && !is_supported_value(value) {
            let name = echo_safe(name.as_bytes());
            return Err(bad_metadata(format!(
                "metadata member {name} must be an array of strings"
            )));
        }
    }
    if let Some(Value::String(jwks_uri)) = document.get("jwks_uri") {
        let allowed = Url::parse(jwks_uri)
            .ok()
            .is_some_and(|url| http::check_url_allowed(&url).is_ok());
        if !allowed {
            return Err(bad_metadata(
                "metadata jwks_uri must be an https URL (http only to loopback hosts)",
            ));
        }
    }
    Ok(())
}

/// Shallow snake_case → camelCase conversion of the top-level member names
/// (values untouched), for the JS side. When two names convert to the same
/// key (`jwks_uri` and `jwksUri`), the snake_case one wins: it is the RFC
/// spelling, the one `check_metadata` validated.
pub fn to_camel_case_keys(document: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let (unchanged, converted): (Vec<_>, Vec<_>) = document
        .iter()
        .map(|(key, value)| (camel_case(key), key, value))
        .partition(|(camel, key, _)| camel == *key);
    for (camel, _, value) in unchanged.into_iter().chain(converted) {
        out.insert(camel, value.clone());
    }
    out
}

/// `jwks_uri` → `jwksUri`: an underscore between two ASCII letters or digits
/// is dropped and the character after it uppercased; other underscores (leading,
/// trailing, doubled) are kept.
pub fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut previous: Option<char> = None;
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        let joins = c == '_'
            && previous.is_some_and(|p| p.is_ascii_alphanumeric())
            && chars.peek().is_some_and(char::is_ascii_alphanumeric);
        let emitted = match chars.next_if(|_| joins) {
            Some(next) => next.to_ascii_uppercase(),
            None => c,
        };
        out.push(emitted);
        previous = Some(emitted);
    }
    out
}

fn parse_issuer(issuer: &str) -> AuthResult<Url> {
    let url = Url::parse(issuer)
        .map_err(|_| AuthError::new(ErrorCode::InvalidUrl, "issuer is not a valid absolute URL"))?;
    http::check_url_allowed(&url)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(AuthError::new(
            ErrorCode::InvalidUrl,
            "issuer must not have a query or fragment",
        )
        .with_url(http::shown_url(&url)));
    }
    Ok(url)
}

fn accept(
    url: &Url,
    document: Map<String, Value>,
    expected_issuer: Option<&str>,
) -> AuthResult<Discovered> {
    let shown = http::shown_url(url);
    check_metadata(&document, expected_issuer).map_err(|err| err.with_url(shown.clone()))?;
    Ok(Discovered {
        url: shown,
        document,
    })
}

/// OIDC Discovery defines boolean `*_supported` flags
/// (`claims_parameter_supported`, `frontchannel_logout_supported`, ...), so
/// booleans pass; lists must hold only strings.
fn is_supported_value(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().all(Value::is_string),
        Value::Bool(_) => true,
        _ => false,
    }
}

fn bad_metadata(reason: impl Into<String>) -> AuthError {
    AuthError::new(ErrorCode::InvalidServerMetadata, reason)
}

fn not_found(first: Option<&Url>) -> AuthError {
    let err = AuthError::new(
        ErrorCode::DiscoveryUnavailable,
        "no metadata document found",
    )
    .with_retry_after(http::DEFAULT_RETRY_AFTER_SECS);
    match first {
        Some(url) => err.with_url(http::shown_url(url)),
        None => err,
    }
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
