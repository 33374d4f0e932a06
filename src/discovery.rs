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
mod tests {
    use super::*;
    use crate::test_server::{Response, TestServer};
    use serde_json::json;

    fn strings(urls: Vec<Url>) -> Vec<String> {
        urls.into_iter().map(String::from).collect()
    }

    fn doc(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("test document must be an object"),
        }
    }

    #[test]
    fn server_type_round_trips() {
        for kind in [ServerType::Oidc, ServerType::OAuth] {
            assert_eq!(ServerType::parse(kind.as_str()), Ok(kind));
        }
        for bad in ["OIDC", "oauth2", "", " oidc"] {
            let err = ServerType::parse(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidConfig);
        }
    }

    #[test]
    fn well_known_url_table() {
        use ServerType::{OAuth, Oidc};
        let root = [
            "https://a.com/.well-known/oauth-authorization-server",
            "https://a.com/.well-known/openid-configuration",
        ];
        let tenant = [
            "https://a.com/.well-known/oauth-authorization-server/oidc",
            "https://a.com/.well-known/openid-configuration/oidc",
            "https://a.com/oidc/.well-known/openid-configuration",
        ];
        let cases: [(&str, ServerType, Vec<&str>); 8] = [
            ("https://a.com", OAuth, vec![root[0], root[1]]),
            ("https://a.com/", OAuth, vec![root[0], root[1]]),
            ("https://a.com", Oidc, vec![root[1], root[0]]),
            ("https://a.com/", Oidc, vec![root[1], root[0]]),
            ("https://a.com/oidc", OAuth, tenant.to_vec()),
            ("https://a.com/oidc/", OAuth, tenant.to_vec()),
            (
                "https://a.com/oidc",
                Oidc,
                vec![tenant[2], tenant[0], tenant[1]],
            ),
            (
                "https://a.com/oidc/",
                Oidc,
                vec![tenant[2], tenant[0], tenant[1]],
            ),
        ];
        for (issuer, kind, expected) in cases {
            let got = strings(well_known_urls(issuer, kind).unwrap());
            assert_eq!(got, expected, "{issuer} {kind:?}");
        }
    }

    #[test]
    fn well_known_urls_keep_port_and_nested_path() {
        let got = strings(well_known_urls("https://a.com:8443/t/x", ServerType::OAuth).unwrap());
        assert_eq!(
            got,
            [
                "https://a.com:8443/.well-known/oauth-authorization-server/t/x",
                "https://a.com:8443/.well-known/openid-configuration/t/x",
                "https://a.com:8443/t/x/.well-known/openid-configuration",
            ]
        );
        let local = strings(well_known_urls("http://localhost:4000", ServerType::Oidc).unwrap());
        assert_eq!(
            local[0],
            "http://localhost:4000/.well-known/openid-configuration"
        );
    }

    #[test]
    fn bad_issuers_are_invalid_urls() {
        for bad in [
            "https://a.com?x=1",
            "https://a.com/?",
            "https://a.com#f",
            "https://a.com/#",
            "http://a.com",
            "ftp://a.com",
            "a.com",
            "/relative",
            "",
        ] {
            let err = well_known_urls(bad, ServerType::OAuth).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidUrl, "{bad}");
        }
    }

    fn metadata(issuer: &str) -> String {
        json!({ "issuer": issuer, "jwks_uri": "https://a.com/jwks" }).to_string()
    }

    #[tokio::test]
    async fn discover_falls_back_on_404_in_order() {
        let server = TestServer::start().await;
        let issuer = server.url("/tenant");
        let appended = "/tenant/.well-known/openid-configuration";
        let oauth = "/.well-known/oauth-authorization-server/tenant";
        let oidc_inserted = "/.well-known/openid-configuration/tenant";
        server.route(appended, Response::json(metadata(&issuer)));

        let found = discover(&issuer, ServerType::OAuth, &FetchOptions::default())
            .await
            .unwrap();
        assert_eq!(found.url, server.url(appended));
        assert_eq!(found.document["issuer"], issuer.as_str());
        assert_eq!(
            [
                server.hits(oauth),
                server.hits(oidc_inserted),
                server.hits(appended)
            ],
            [1, 1, 1]
        );

        // The OIDC type tries its own URL first and stops there.
        server.reset_hits();
        discover(&issuer, ServerType::Oidc, &FetchOptions::default())
            .await
            .unwrap();
        assert_eq!(
            [
                server.hits(oauth),
                server.hits(oidc_inserted),
                server.hits(appended)
            ],
            [0, 0, 1]
        );
    }

    #[tokio::test]
    async fn discover_stops_on_other_failures() {
        let server = TestServer::start().await;
        let issuer = server.origin();
        let first = "/.well-known/oauth-authorization-server";
        let second = "/.well-known/openid-configuration";
        server.route(first, Response::new(500));
        server.route(second, Response::json(metadata(&issuer)));
        let err = discover(&issuer, ServerType::OAuth, &FetchOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::DiscoveryUnavailable);
        assert!(err.reason.contains("HTTP 500"), "{err:?}");
        assert_eq!(err.url, Some(server.url(first)));
        assert_eq!(server.hits(second), 0);

        // A bad document also stops the search.
        server.route(first, Response::json("[]"));
        let err = discover(&issuer, ServerType::OAuth, &FetchOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidServerMetadata);
        assert_eq!(server.hits(second), 0);
    }

    #[tokio::test]
    async fn discover_reports_when_nothing_is_found() {
        let server = TestServer::start().await;
        let issuer = server.url("/x");
        let err = discover(&issuer, ServerType::Oidc, &FetchOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::DiscoveryUnavailable);
        assert_eq!(err.reason, "no metadata document found");
        assert_eq!(
            err.url,
            Some(server.url("/x/.well-known/openid-configuration"))
        );
        assert!(err.retry_after.is_some());
        assert_eq!(server.hits("/.well-known/oauth-authorization-server/x"), 1);
        assert_eq!(server.hits("/.well-known/openid-configuration/x"), 1);
    }

    #[tokio::test]
    async fn discover_requires_the_exact_issuer() {
        let server = TestServer::start().await;
        let issuer = server.origin();
        let path = "/.well-known/oauth-authorization-server";
        for served in [
            format!("{issuer}/"),
            issuer.to_uppercase(),
            server.url("/other"),
        ] {
            server.route(path, Response::json(metadata(&served)));
            let err = discover(&issuer, ServerType::OAuth, &FetchOptions::default())
                .await
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::IssuerMismatch, "{served}");
            assert!(!err.reason.contains(&issuer) && !err.reason.contains("127.0.0.1"));
            assert_eq!(err.url, Some(server.url(path)));
        }
        // The configured issuer with a trailing slash needs the same in the document.
        let slashed = format!("{issuer}/");
        server.route(path, Response::json(metadata(&issuer)));
        let err = discover(&slashed, ServerType::OAuth, &FetchOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::IssuerMismatch);
        server.route(path, Response::json(metadata(&slashed)));
        let found = discover(&slashed, ServerType::OAuth, &FetchOptions::default()).await;
        assert!(found.is_ok(), "{found:?}");
    }

    #[tokio::test]
    async fn fetch_well_known_uses_one_url() {
        let server = TestServer::start().await;
        let issuer = server.origin();
        let path = "/custom/metadata";
        let at = server.url(path);
        server.route(path, Response::json(metadata(&issuer)));
        let opts = FetchOptions::default();

        let found = fetch_well_known(&at, Some(&issuer), &opts).await.unwrap();
        assert_eq!(found.url, at);
        assert!(fetch_well_known(&at, None, &opts).await.is_ok());
        let err = fetch_well_known(&at, Some("https://elsewhere.example"), &opts)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::IssuerMismatch);

        let missing = server.url("/nothing");
        let err = fetch_well_known(&missing, None, &opts).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::DiscoveryUnavailable);
        assert_eq!(err.url, Some(missing));

        for bad in ["not a url", "http://example.com/.well-known/x"] {
            let err = fetch_well_known(bad, None, &opts).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidUrl, "{bad}");
        }
    }

    #[test]
    fn metadata_checks() {
        let ok = doc(json!({
            "issuer": "https://a.com",
            "jwks_uri": "https://a.com/jwks",
            "token_endpoint": "https://a.com/token",
            "scopes_supported": ["openid"],
            "claims_parameter_supported": true,
            "mtls_endpoint_aliases": {"token_endpoint": "https://mtls.a.com/token"},
        }));
        assert_eq!(check_metadata(&ok, Some("https://a.com")), Ok(()));
        assert_eq!(check_metadata(&ok, None), Ok(()));
        let err = check_metadata(&ok, Some("https://a.com/")).unwrap_err();
        assert_eq!(err.code, ErrorCode::IssuerMismatch);

        // Missing jwks_uri is the verifier's business, not an error here.
        assert_eq!(check_metadata(&doc(json!({"issuer": "x"})), None), Ok(()));

        let bad = |value: Value, fragment: &str| {
            let err = check_metadata(&doc(value), None).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidServerMetadata);
            assert!(err.reason.contains(fragment), "{err:?}");
        };
        bad(json!({}), "no issuer");
        bad(json!({"issuer": 1}), "no issuer");
        bad(
            json!({"issuer": "x", "token_endpoint": ["a"]}),
            "token_endpoint must be a string",
        );
        bad(
            json!({"issuer": "x", "jwks_uri": null}),
            "jwks_uri must be a string",
        );
        bad(
            json!({"issuer": "x", "scopes_supported": "openid"}),
            "scopes_supported",
        );
        bad(
            json!({"issuer": "x", "grant_types_supported": ["a", 1]}),
            "grant_types_supported",
        );
        bad(
            json!({"issuer": "x", "jwks_uri": "http://a.com/jwks"}),
            "jwks_uri",
        );
        bad(json!({"issuer": "x", "jwks_uri": "/jwks"}), "jwks_uri");
        bad(
            json!({"issuer": "x", "\u{1b}evil_supported": 3}),
            "member evil_supported",
        );
        assert_eq!(
            check_metadata(
                &doc(json!({"issuer": "x", "jwks_uri": "http://127.0.0.1:9/k"})),
                None
            ),
            Ok(())
        );
    }

    #[test]
    fn camel_case_names() {
        for (snake, camel) in [
            ("jwks_uri", "jwksUri"),
            (
                "code_challenge_methods_supported",
                "codeChallengeMethodsSupported",
            ),
            (
                "id_token_signing_alg_values_supported",
                "idTokenSigningAlgValuesSupported",
            ),
            ("issuer", "issuer"),
            ("alreadyCamel", "alreadyCamel"),
            ("x_509", "x509"),
            ("_private", "_private"),
            ("trailing_", "trailing_"),
            ("a__b", "a__b"),
            ("", ""),
            ("é_x", "é_x"),
        ] {
            assert_eq!(camel_case(snake), camel, "{snake}");
        }
    }

    #[test]
    fn camel_case_keys_are_shallow_and_snake_case_wins() {
        let document = doc(json!({
            "jwksUri": "https://evil.example/jwks",
            "jwks_uri": "https://a.com/jwks",
            "mtls_endpoint_aliases": {"token_endpoint": "https://m.a.com/t"},
            "issuer": "https://a.com",
        }));
        let camel = to_camel_case_keys(&document);
        assert_eq!(camel.len(), 3);
        assert_eq!(camel["jwksUri"], "https://a.com/jwks");
        assert_eq!(camel["issuer"], "https://a.com");
        assert_eq!(
            camel["mtlsEndpointAliases"],
            json!({"token_endpoint": "https://m.a.com/t"})
        );
    }
}
