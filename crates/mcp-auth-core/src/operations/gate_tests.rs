//! The gate end to end over a caller-verified route: body refusals, the
//! selection's flow (public, protected, batch union, hierarchy), anonymous
//! passes, the tool-result signal byte for byte, and sealed tokens.

use super::*;
use crate::decision::{DecisionConfig, ScopeHierarchy};
use crate::flow::{Bound, Presented, Route};
use crate::options::operations::OperationsOptions;
use serde_json::json;

const PRM: &str = "https://r.example/.well-known/oauth-protected-resource";

fn base(required: &[&str]) -> Arc<Flow> {
    let hierarchy = ScopeHierarchy::compile(
        &[("todos:admin".to_owned(), vec!["todos:delete".to_owned()])],
        "scopeHierarchy",
    )
    .unwrap();
    Arc::new(Flow {
        decider: Decider::new(DecisionConfig {
            dpop: None,
            resource_metadata_url: Some(PRM.into()),
            required_scopes: required.iter().map(|s| s.to_string()).collect(),
            scope_hierarchy: hierarchy,
            show_error_details: false,
            max_token_length: 8192,
            mtls: None,
        }),
        verifier: None,
        introspector: None,
        introspection_fleet: None,
        route: Route::Caller,
        dpop: None,
        dpop_fleet: None,
        identity_checks: None,
    })
}

fn gate(declaration: serde_json::Value) -> OperationGate {
    let policy = OperationsOptions::from_json(declaration)
        .and_then(|o| o.to_policy())
        .unwrap();
    OperationGate::new(base(&["mcp"]), &policy).unwrap()
}

fn declared() -> OperationGate {
    gate(json!({"tools": {"search": "public", "delete": ["todos:delete"], "read": ["todos:read"]}}))
}

fn call(tool: &str, id: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}"}}}}"#)
}

fn select(gate: &OperationGate, body: &str) -> Selection {
    gate.select("POST", Body::Json(body.as_bytes()))
        .unwrap_or_else(|r| panic!("refused: {}", r.body))
}

/// Runs a request through the selection; with `token`, the caller's verify
/// function grants `granted` and `finish` decides (via the token's restore).
fn run(
    gate: &OperationGate,
    selection: &Selection,
    token: Option<&str>,
    granted: &[&str],
) -> Outcome {
    let headers: Vec<(String, String)> = token
        .map(|t| vec![("Authorization".to_owned(), format!("Bearer {t}"))])
        .unwrap_or_default();
    let request = Request {
        method: "POST",
        url: "/mcp",
        original_url: None,
        headers: &headers,
        client_certificate: None,
    };
    let Started::Done(outcome, _) = selection.start(&request, false) else {
        panic!("no job on a caller-verified route");
    };
    let Outcome::Verify {
        scheme, operation, ..
    } = outcome
    else {
        return outcome;
    };
    let restored = gate
        .restore(&operation.expect("the selection's token"))
        .unwrap();
    let granted: Vec<String> = granted.iter().map(|s| s.to_string()).collect();
    let bound = Bound {
        cnf_present: false,
        jkt: None,
        x5t: None,
    };
    let outcome = restored.flow().finish(
        None,
        scheme,
        bound,
        Presented::default(),
        "POST",
        "/mcp",
        token.unwrap_or_default(),
        &granted,
    );
    restored.signal(outcome)
}

fn respond(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Respond(response) => response,
        _ => panic!("a response"),
    }
}

fn accepted_scopes(outcome: Outcome) -> Vec<String> {
    match outcome {
        Outcome::Accept(accepted) => accepted.effective_scopes,
        _ => panic!("accepted"),
    }
}

#[test]
fn refuses_bodies_before_tokens() {
    let g = declared();
    let rows: [(Body<'_>, u16, i32, &str, &str, &str); 7] = [
        (
            Body::NotJson,
            415,
            -32000,
            BODY_NOT_JSON,
            "body_not_json",
            "invalid_request",
        ),
        (
            Body::TooLarge,
            413,
            -32000,
            BODY_TOO_LARGE,
            "body_too_large",
            "invalid_request",
        ),
        (
            Body::Json(b"{"),
            400,
            -32700,
            BODY_PARSE_ERROR,
            "body_invalid",
            "invalid_request",
        ),
        (
            Body::Json(b""),
            400,
            -32700,
            BODY_PARSE_ERROR,
            "body_invalid",
            "invalid_request",
        ),
        (
            Body::None,
            400,
            -32700,
            BODY_PARSE_ERROR,
            "body_invalid",
            "invalid_request",
        ),
        (
            Body::Json(b"[]"),
            400,
            -32600,
            BODY_INVALID_REQUEST,
            "body_invalid",
            "invalid_request",
        ),
        (
            Body::Unreadable,
            500,
            -32603,
            BODY_UNREADABLE,
            "body_unreadable",
            "server_error",
        ),
    ];
    for (body, status, code, message, reason, error) in rows {
        let Err(response) = g.select("POST", body) else {
            panic!("{reason}: refused");
        };
        assert_eq!(response.status, status);
        assert_eq!(
            response.headers,
            vec![("Content-Type".to_owned(), "application/json".to_owned())]
        );
        assert_eq!(
            response.body,
            format!(
                r#"{{"jsonrpc":"2.0","error":{{"code":{code},"message":"{message}"}},"id":null}}"#
            )
        );
        assert_eq!(response.reason, reason);
        assert_eq!(response.error.as_deref(), Some(error));
    }
    assert_eq!(
        g.select("POST", Body::TooLarge).unwrap_err().body,
        r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Payload Too Large: the body exceeds maxBodyBytes"},"id":null}"#
    );
    assert_eq!(g.max_body_bytes(), 4_194_304);
}

#[test]
fn requests_without_a_body_follow_initialize() {
    let g = declared();
    for method in ["GET", "DELETE", "HEAD"] {
        assert!(g.select(method, Body::None).unwrap().is_public());
        // The body is not looked at.
        assert!(g.select(method, Body::NotJson).unwrap().is_public());
    }
    let g = gate(json!({"methods": {"initialize": ["init"]}}));
    let get = g.select("GET", Body::None).unwrap();
    let response = respond(run(&g, &get, None, &[]));
    assert_eq!(response.status, 401);
    assert!(response
        .header("WWW-Authenticate")
        .unwrap()
        .contains(r#"scope="mcp init""#));
}

#[test]
fn public_passes_anonymously_and_verifies_a_presented_token() {
    let g = declared();
    let search = select(&g, &call("search", "1"));
    assert!(matches!(run(&g, &search, None, &[]), Outcome::Anonymous));
    // With a token: verified, accepted without the route's scopes.
    assert_eq!(
        accepted_scopes(run(&g, &search, Some("t"), &[])),
        Vec::<String>::new()
    );
    // A credential the route refuses is refused on a public operation too.
    let headers = vec![("authorization".to_owned(), "Basic abc".to_owned())];
    let request = Request {
        method: "POST",
        url: "/mcp",
        original_url: None,
        headers: &headers,
        client_certificate: None,
    };
    let Started::Done(Outcome::Respond(response), _) = search.start(&request, false) else {
        panic!("refused");
    };
    assert_eq!(response.status, 401);
    let query = Request {
        url: "/mcp?access_token=abc",
        headers: &[],
        ..request
    };
    let Started::Done(Outcome::Respond(response), _) = search.start(&query, false) else {
        panic!("refused");
    };
    assert_eq!(response.status, 400);
    // Discovery is public by default; a client's JSON-RPC response too.
    assert!(select(&g, r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#).is_public());
    assert!(select(&g, r#"{"jsonrpc":"2.0","id":1,"result":{}}"#).is_public());
}

#[test]
fn protected_needs_the_route_and_operation_scopes() {
    let g = declared();
    let delete = select(&g, &call("delete", "1"));
    let response = respond(run(&g, &delete, None, &[]));
    assert_eq!(response.status, 401);
    assert_eq!(
        response.header("WWW-Authenticate"),
        Some(format!(r#"Bearer resource_metadata="{PRM}", scope="mcp todos:delete""#).as_str())
    );
    let response = respond(run(&g, &delete, Some("t"), &["mcp"]));
    assert_eq!(response.status, 403);
    let challenge = response.header("WWW-Authenticate").unwrap();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"scope="mcp todos:delete""#),
        "{challenge}"
    );
    // The hierarchy applies: todos:admin implies todos:delete.
    assert_eq!(
        accepted_scopes(run(&g, &delete, Some("t"), &["mcp", "todos:admin"])),
        ["mcp", "todos:admin", "todos:delete"]
    );
    // Undeclared tools get `default` ('protected': the route's scopes), on the route's own flow.
    let other = select(&g, &call("other", "1"));
    assert!(Arc::ptr_eq(other.flow(), &g.shared.base));
    assert_eq!(respond(run(&g, &other, Some("t"), &[])).status, 403);
    assert_eq!(
        accepted_scopes(run(&g, &other, Some("t"), &["mcp"])),
        ["mcp"]
    );
}

#[test]
fn a_batch_must_pass_as_a_whole() {
    let g = declared();
    let both = format!("[{},{}]", call("search", "1"), call("delete", "2"));
    let selection = select(&g, &both);
    assert!(!selection.is_public());
    assert_eq!(respond(run(&g, &selection, None, &[])).status, 401);
    let union = format!(
        "[{},{},{}]",
        call("read", "1"),
        call("search", "2"),
        call("delete", "3")
    );
    let selection = select(&g, &union);
    let response = respond(run(&g, &selection, Some("t"), &["mcp", "todos:read"]));
    assert_eq!(response.status, 403);
    assert!(response
        .header("WWW-Authenticate")
        .unwrap()
        .contains(r#"scope="mcp todos:read todos:delete""#));
    assert_eq!(
        accepted_scopes(run(
            &g,
            &selection,
            Some("t"),
            &["mcp", "todos:read", "todos:delete"]
        )),
        ["mcp", "todos:read", "todos:delete"]
    );
    // The union's flow is built once.
    assert!(Arc::ptr_eq(select(&g, &union).flow(), selection.flow()));
    let public = format!(
        "[{},{}]",
        call("search", "1"),
        r#"{"method":"notifications/initialized"}"#
    );
    assert!(select(&g, &public).is_public());
}

#[test]
fn tool_result_signal_is_exact() {
    let g = gate(json!({"tools": {"delete": ["todos:delete"]}, "signal": "tool-result"}));
    let challenge = format!(r#"Bearer resource_metadata=\"{PRM}\", scope=\"mcp todos:delete\""#);
    for id in [r#""req-1""#, "12345678901234567890"] {
        let selection = select(&g, &call("delete", id));
        let response = respond(run(&g, &selection, None, &[]));
        assert_eq!(response.status, 200);
        assert_eq!(
            response.headers,
            vec![("Content-Type".to_owned(), "application/json".to_owned())]
        );
        assert_eq!(
            response.body,
            format!(
                concat!(
                    r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"Missing `Authorization` header. Please provide a valid bearer token."}}],"#,
                    r#""isError":true,"_meta":{{"mcp/www_authenticate":["{challenge}"]}},"resultType":"complete"}}}}"#
                ),
                id = id,
                challenge = challenge
            )
        );
        assert_eq!(response.reason, "missing_authorization");
        // A 403 too, with the insufficient_scope challenge.
        let response = respond(run(&g, &selection, Some("t"), &["mcp"]));
        assert_eq!(response.status, 200);
        assert!(
            response.body.contains(r#"\"insufficient_scope\""#),
            "{}",
            response.body
        );
        assert_eq!(response.error.as_deref(), Some("insufficient_scope"));
    }
    // Batches, notifications and other methods stay HTTP.
    let batch = format!("[{}]", call("delete", "1"));
    assert_eq!(respond(run(&g, &select(&g, &batch), None, &[])).status, 401);
    let notification = r#"{"method":"tools/call","params":{"name":"delete"}}"#;
    assert_eq!(
        respond(run(&g, &select(&g, notification), None, &[])).status,
        401
    );
    let read = r#"{"id":1,"method":"resources/read","params":{"uri":"x"}}"#;
    assert_eq!(respond(run(&g, &select(&g, read), None, &[])).status, 401);
    // HTTP mode answers a single tools/call in HTTP.
    let http = declared();
    assert_eq!(
        respond(run(&http, &select(&http, &call("delete", "1")), None, &[])).status,
        401
    );
}

#[test]
fn tokens_round_trip_and_refuse_tampering() {
    let g =
        gate(json!({"tools": {"delete": ["todos:delete"], "a": ["x"]}, "signal": "tool-result"}));
    let union = format!("[{},{}]", call("delete", "1"), call("a", "2"));
    for body in [call("delete", r#""id-7""#), call("nothing", "1"), union] {
        let selection = select(&g, &body);
        let token = selection.token();
        let restored = g.restore(&token).unwrap();
        assert!(Arc::ptr_eq(restored.flow(), selection.flow()));
        assert_eq!(restored.needed, selection.needed);
        assert_eq!(
            restored.tool_call.as_ref().map(|i| i.get().to_owned()),
            selection.tool_call.as_ref().map(|i| i.get().to_owned())
        );
        assert_eq!(restored.token(), token);
    }
    let token = select(&g, &call("delete", "1")).token();
    let (payload, tag) = token.split_once('.').unwrap();
    let forged = URL_SAFE_NO_PAD.encode(r#"{"n":"p"}"#);
    for tampered in [
        String::new(),
        "garbage".to_owned(),
        format!("{forged}.{tag}"),
        format!("{payload}.{}", &tag[1..]),
        format!("{payload}x.{tag}"),
        payload.to_owned(),
    ] {
        assert!(g.restore(&tampered).is_none(), "{tampered}");
    }
    // Another gate's token is not this gate's.
    assert!(declared().restore(&token).is_none());
}

#[test]
fn security_schemes_follow_the_declaration() {
    let g = gate(
        json!({"tools": {"search": "public", "delete": ["todos:delete"]}, "default": ["base"]}),
    );
    assert_eq!(g.security_schemes("search"), r#"[{"type":"noauth"}]"#);
    assert_eq!(
        g.security_schemes("delete"),
        r#"[{"type":"oauth2","scopes":["mcp","todos:delete"]}]"#
    );
    assert_eq!(
        g.security_schemes("unlisted"),
        r#"[{"type":"oauth2","scopes":["mcp","base"]}]"#
    );
    let g = gate(json!({"methods": {"tools/call": "public"}}));
    assert_eq!(g.security_schemes("any"), r#"[{"type":"noauth"}]"#);
}
