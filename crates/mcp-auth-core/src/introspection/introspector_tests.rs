//! The introspector against a local endpoint that misbehaves on purpose.
use super::*;
use crate::as_client::client_auth::basic_header;
use crate::options::introspection::IntrospectorOptions;
use crate::test_server::{Response, TestServer};
use serde_json::json;

const AUD: &str = "https://mcp.example.com";

fn answer(server: &TestServer, extra: Value) -> Response {
    let mut v = json!({ "active": true, "iss": server.origin(), "aud": AUD,
                        "exp": unix_now() + 600.0, "scope": "read", "sub": "alice" });
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    Response::json(v.to_string())
}

fn options(server: &TestServer) -> IntrospectorOptions {
    IntrospectorOptions {
        issuer: server.origin(),
        endpoint: Some(server.url("/introspect")),
        audiences: Some(vec![AUD.into()]),
        client_id: "rs client".into(),
        client_secret: Some("s3cret".into()),
        timeout: Some(500.0),
        ..Default::default()
    }
}

fn make(o: IntrospectorOptions) -> Introspector {
    Introspector::new(o.to_config().unwrap())
}

#[tokio::test]
async fn posts_the_token_with_basic_auth_and_caches_the_verdict() {
    let server = TestServer::start().await;
    server.route("/introspect", answer(&server, json!({})));
    let i = make(options(&server));
    assert!(i.cached("tok-1").is_none());
    let v = i.verify("tok-1").await.unwrap();
    assert_eq!(v.identity.scopes, ["read"]);
    let body = server.last_body("/introspect").unwrap();
    assert_eq!(body, "token=tok-1&token_type_hint=access_token");
    let headers = server.last_headers("/introspect").unwrap();
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(
        get("authorization"),
        Some(basic_header("rs client", "s3cret"))
    );
    assert_eq!(
        get("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(get("accept").as_deref(), Some("application/json"));
    assert!(i.cached("tok-1").unwrap().is_ok());
    i.verify("tok-1").await.unwrap();
    assert_eq!(server.hits("/introspect"), 1);
}

#[tokio::test]
async fn client_secret_post_and_private_key_jwt_send_their_members() {
    let server = TestServer::start().await;
    server.route("/introspect", answer(&server, json!({})));
    make(IntrospectorOptions {
        client_auth_method: Some("client_secret_post".into()),
        ..options(&server)
    })
    .verify("t")
    .await
    .unwrap();
    let body = server.last_body("/introspect").unwrap();
    assert!(
        body.ends_with("&client_id=rs+client&client_secret=s3cret"),
        "{body}"
    );
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
        crate::test_keys::EC_P256_DER
    );
    make(IntrospectorOptions {
        client_secret: None,
        private_key: Some(crate::as_client::signing_key::PrivateKey::Pem(pem)),
        assertion_audience: Some("endpoint".into()),
        ..options(&server)
    })
    .verify("t")
    .await
    .unwrap();
    let body = server.last_body("/introspect").unwrap();
    let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |n: &str| {
        form.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        get("client_assertion_type"),
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let assertion = get("client_assertion");
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(assertion.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], server.url("/introspect"));
    assert!(server
        .last_headers("/introspect")
        .unwrap()
        .iter()
        .all(|(k, _)| k != "authorization"));
}

#[tokio::test]
async fn concurrent_requests_share_one_call_and_ttls_hold() {
    let server = TestServer::start().await;
    server.route(
        "/introspect",
        Response::delay(150, answer(&server, json!({}))),
    );
    let i = Arc::new(make(options(&server)));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let i = i.clone();
            tokio::spawn(async move { i.verify("shared").await.map(|_| ()) })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.hits("/introspect"), 1);
    assert!(i.flights.is_empty());

    // Inactive: cached for negativeCacheTtl, then asked again.
    server.route("/introspect", Response::json(r#"{"active":false}"#));
    let i = make(IntrospectorOptions {
        negative_cache_ttl: Some(100.0),
        ..options(&server)
    });
    server.reset_hits();
    for _ in 0..3 {
        assert_eq!(
            i.verify("gone").await.unwrap_err().code,
            ErrorCode::TokenInactive
        );
    }
    assert_eq!(server.hits("/introspect"), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    i.verify("gone").await.unwrap_err();
    assert_eq!(server.hits("/introspect"), 2);

    // cacheMaxAge 0: every request asks (revocation at once).
    server.route("/introspect", answer(&server, json!({})));
    let i = make(IntrospectorOptions {
        cache_max_age: Some(0.0),
        ..options(&server)
    });
    server.reset_hits();
    for _ in 0..3 {
        i.verify("each").await.unwrap();
    }
    assert_eq!(server.hits("/introspect"), 3);

    // Bounded: the oldest entry goes first.
    let i = make(IntrospectorOptions {
        cache_size: Some(2.0),
        ..options(&server)
    });
    for t in ["a", "b", "c"] {
        i.verify(t).await.unwrap();
    }
    assert_eq!(i.cache.as_ref().unwrap().len(), 2);
    assert!(i.cached("a").is_none() && i.cached("c").is_some());
}

#[tokio::test]
async fn outages_are_503_and_never_cached() {
    let server = TestServer::start().await;
    let i = make(options(&server));
    let cases = [
        (Response::new(500), ErrorCode::IntrospectionUnavailable),
        (
            Response::new(503).header("Retry-After", "7"),
            ErrorCode::IntrospectionUnavailable,
        ),
        (Response::new(401), ErrorCode::IntrospectionRefused),
        (Response::new(403), ErrorCode::IntrospectionRefused),
        (
            Response::new(200).content_type("text/html").body("<html>"),
            ErrorCode::IntrospectionUnavailable,
        ),
        (
            Response::json("{\"active\":tru"),
            ErrorCode::IntrospectionUnavailable,
        ),
        (
            Response::json(r#"{"active":true,"active":false}"#),
            ErrorCode::IntrospectionUnavailable,
        ),
        (
            Response::json(r#"{"active":"yes"}"#),
            ErrorCode::IntrospectionUnavailable,
        ),
        (Response::big(200_000), ErrorCode::IntrospectionUnavailable),
        (Response::hang(), ErrorCode::IntrospectionUnavailable),
        (Response::close(), ErrorCode::IntrospectionUnavailable),
    ];
    for (n, (response, code)) in cases.into_iter().enumerate() {
        server.route("/introspect", response);
        let err = i.verify("t").await.unwrap_err();
        assert_eq!(err.code, code, "case {n}: {}", err.reason);
        assert!(err.code.is_infrastructure());
        assert!(err.retry_after.is_some(), "case {n}");
        assert!(!err.reason.contains("s3cret"));
        assert!(i.cached("t").is_none());
    }
    // `__proto__` is a member like any other, kept out of the claims.
    server.route(
        "/introspect",
        answer(&server, json!({ "__proto__": { "admin": true } })),
    );
    let v = i.verify("t").await.unwrap();
    assert!(!v.claims_json.contains("admin"));
}

#[tokio::test]
async fn the_endpoint_is_discovered_from_issuer_metadata() {
    let server = TestServer::start().await;
    let issuer = server.origin();
    server.route(
        "/.well-known/oauth-authorization-server",
        Response::json(
            json!({ "issuer": issuer, "introspection_endpoint": server.url("/introspect") })
                .to_string(),
        ),
    );
    server.route("/introspect", answer(&server, json!({})));
    let i = make(IntrospectorOptions {
        endpoint: None,
        ..options(&server)
    });
    i.verify("t").await.unwrap();
    i.verify("u").await.unwrap();
    assert_eq!(server.hits("/.well-known/oauth-authorization-server"), 1);

    let other = TestServer::start().await;
    other.route(
        "/.well-known/oauth-authorization-server",
        Response::json(
            json!({ "issuer": other.origin(), "introspection_endpoint": "http://example.com/i" })
                .to_string(),
        ),
    );
    let i = make(IntrospectorOptions {
        endpoint: None,
        issuer: other.origin(),
        ..options(&other)
    });
    assert_eq!(
        i.verify("t").await.unwrap_err().code,
        ErrorCode::IntrospectionUnavailable
    );
}

#[tokio::test]
async fn fleet_records_round_trip_and_are_rechecked() {
    let server = TestServer::start().await;
    server.route("/introspect", answer(&server, json!({})));
    let first = make(options(&server));
    let learnt = first.introspect("t").await.unwrap();
    assert!(learnt.reuse_for > Duration::from_secs(50));
    let second = make(options(&server));
    assert!(second.admit("t", &learnt.record).unwrap().is_some());
    assert!(second.cached("t").unwrap().is_ok());
    assert!(second.admit("t", "garbage").unwrap().is_none());
    let other_audience = make(IntrospectorOptions {
        audiences: Some(vec!["https://b.example".into()]),
        ..options(&server)
    });
    assert_eq!(
        other_audience.admit("t", &learnt.record).unwrap_err().code,
        ErrorCode::AudienceMismatch
    );
    assert_eq!(server.hits("/introspect"), 1);
}

#[tokio::test]
async fn huge_numbers_are_clamped_and_long_tokens_cached() {
    let server = TestServer::start().await;
    server.route("/introspect", answer(&server, json!({ "exp": 1e300 })));
    let i = make(options(&server));
    let learnt = i.introspect("far").await.unwrap();
    assert_eq!(learnt.reuse_for, i.config.cache_max_age);
    assert!(i.cached("far").unwrap().is_ok());
    // A record another process stored with a huge `until`: honoured no
    // longer than this process would keep the answer itself.
    let stored = r#"{"v":1,"until":1e300,"response":{"active":false}}"#;
    assert_eq!(
        i.admit("other", stored).unwrap_err().code,
        ErrorCode::TokenInactive
    );
    assert!(i.cached("other").unwrap().is_err());
    // Tokens longer than the verified-token cache's limit share calls and
    // the cache like any other.
    let long = "x".repeat(cache::MAX_CACHED_TOKEN_LENGTH + 904);
    let (a, b) = tokio::join!(i.verify(&long), i.verify(&long));
    a.unwrap();
    b.unwrap();
    assert!(i.cached(&long).unwrap().is_ok());
    assert_eq!(server.hits("/introspect"), 2);
}

#[tokio::test]
async fn a_flight_whose_call_panics_is_retired() {
    let flights = Flights::<Verdict>::default();
    let key = cache::hash("t");
    // `guarded` is what the addon runs every call in: a panic becomes an error.
    let outcome = crate::panic_guard::guarded(flights.share(key, async { panic!("boom") })).await;
    assert_eq!(outcome.unwrap_err().code, ErrorCode::Internal);
    assert!(flights.is_empty());
    // A waiter dropped while another still runs the call leaves it in place.
    let (started, release) = (tokio::sync::Notify::new(), tokio::sync::Notify::new());
    let leader = flights.share(key, async {
        started.notify_one();
        release.notified().await;
        Ok(Verdict::Inactive)
    });
    tokio::pin!(leader);
    tokio::select! {
        _ = &mut leader => unreachable!(),
        _ = started.notified() => {}
    }
    // Polled once, then dropped.
    let waiter = flights.share(key, async { Ok(Verdict::Inactive) });
    assert!(tokio::time::timeout(Duration::ZERO, waiter).await.is_err());
    assert!(!flights.is_empty());
    release.notify_one();
    assert!(matches!(leader.await, Ok(Verdict::Inactive)));
    assert!(flights.is_empty());
}
