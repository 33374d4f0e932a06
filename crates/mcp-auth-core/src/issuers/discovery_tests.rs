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
