//! The metadata answers: which requests get a document, and the exact headers.
use super::*;

fn responder() -> MetadataResponder {
    let endpoint = |path: &str, query: &str| MetadataEndpoint {
        path: path.into(),
        query: query.into(),
    };
    MetadataResponder::new(vec![
        endpoint("/.well-known/oauth-protected-resource/mcp", ""),
        endpoint("/.well-known/oauth-protected-resource/mcp", "tenant=2"),
    ])
}

fn headers(response: &Response) -> Vec<String> {
    response
        .headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect()
}

const PATH: &str = "/.well-known/oauth-protected-resource/mcp";

#[test]
fn get_and_head_get_the_document_of_the_exact_query() {
    let r = responder();
    for method in ["GET", "HEAD"] {
        let Some(MetadataAnswer::Document { endpoint, response }) =
            r.answer(method, PATH, None, None)
        else {
            panic!("{method}: no document");
        };
        assert_eq!(endpoint, 0);
        assert_eq!(response.status, 200);
        assert_eq!(
            headers(&response),
            [
                "Access-Control-Allow-Origin: *",
                "Content-Type: application/json; charset=utf-8"
            ]
        );
    }
    assert!(matches!(
        r.answer("GET", PATH, Some("tenant=2"), None),
        Some(MetadataAnswer::Document { endpoint: 1, .. })
    ));
    // No query matches only no query; another query or path is not a document.
    assert_eq!(r.answer("GET", PATH, Some(""), None), None);
    assert_eq!(r.answer("GET", PATH, Some("tenant=3"), None), None);
    assert_eq!(r.answer("GET", "/mcp", None, None), None);
    assert_eq!(r.answer("GET", &format!("{PATH}/"), None, None), None);
}

#[test]
fn a_preflight_is_204_and_allows_the_requested_headers() {
    let r = responder();
    let Some(MetadataAnswer::Respond(plain)) = r.answer("OPTIONS", PATH, None, None) else {
        panic!("no preflight answer");
    };
    assert_eq!(plain.status, 204);
    assert_eq!(
        headers(&plain),
        [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: GET, HEAD, OPTIONS",
            "Access-Control-Max-Age: 86400"
        ]
    );
    assert_eq!(
        r.answer("OPTIONS", PATH, None, Some("")),
        Some(MetadataAnswer::Respond(plain))
    );
    let Some(MetadataAnswer::Respond(asked)) =
        r.answer("OPTIONS", PATH, None, Some("mcp-protocol-version"))
    else {
        panic!("no preflight answer");
    };
    assert_eq!(
        headers(&asked),
        [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers: mcp-protocol-version",
            "Vary: Access-Control-Request-Headers",
            "Access-Control-Max-Age: 86400"
        ]
    );
    assert_eq!(asked.body, "");
}

#[test]
fn other_methods_are_405_and_the_unknown_query_404_is_fixed() {
    let Some(MetadataAnswer::Respond(refused)) = responder().answer("POST", PATH, None, None)
    else {
        panic!("no answer");
    };
    assert_eq!(refused.status, 405);
    assert_eq!(
        headers(&refused),
        [
            "Access-Control-Allow-Origin: *",
            "Allow: GET, HEAD, OPTIONS",
            "Content-Type: application/json; charset=utf-8"
        ]
    );
    assert_eq!(refused.body, r#"{"error":"method_not_allowed"}"#);
    let missing = MetadataResponder::not_found();
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (404, r#"{"error":"not_found"}"#)
    );
    assert_eq!(
        headers(&missing),
        ["Content-Type: application/json; charset=utf-8"]
    );
}
