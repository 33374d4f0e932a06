//! The exchanger against a local token endpoint that misbehaves on purpose.
use super::*;
use crate::options::token_exchange::TokenExchangeOptions;
use crate::test_server::{Response, TestServer};
use serde_json::json;

fn options(server: &TestServer) -> TokenExchangeOptions {
    TokenExchangeOptions {
        token_endpoint: Some(server.url("/token")),
        client_id: "rs".into(),
        client_secret: Some("s3cret".into()),
        client_auth_method: Some("client_secret_post".into()),
        timeout: Some(500.0),
        ..Default::default()
    }
}

fn issued(expires_in: Value) -> Response {
    Response::json(
        json!({ "access_token": "up.tok", "token_type": "Bearer",
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "expires_in": expires_in })
        .to_string(),
    )
}

fn request(x: &TokenExchanger, audience: &str) -> ExchangeRequest {
    x.check(&ExchangeParams::from_json(json!({ "audience": audience, "scope": "read" })).unwrap())
        .unwrap()
}

#[tokio::test]
async fn sends_the_grant_caches_and_shares_flights() {
    let server = TestServer::start().await;
    server.route("/token", Response::delay(100, issued(json!(600))));
    let x = TokenExchanger::new(options(&server).to_config().unwrap());
    let r = request(&x, "billing");
    let (a, b) = tokio::join!(x.exchange("subject.tok", &r), x.exchange("subject.tok", &r));
    assert_eq!(a.unwrap().access_token, "up.tok");
    assert_eq!(b.unwrap().access_token, "up.tok");
    assert_eq!(server.hits("/token"), 1);
    x.exchange("subject.tok", &r).await.unwrap();
    assert_eq!(server.hits("/token"), 1);
    let body = server.last_body("/token").unwrap();
    assert_eq!(
        body,
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=subject.tok\
         &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&audience=billing\
         &scope=read&client_id=rs&client_secret=s3cret"
    );
    // Another audience or another subject is another exchange.
    x.exchange("subject.tok", &request(&x, "other"))
        .await
        .unwrap();
    x.exchange("subject.tok2", &r).await.unwrap();
    assert_eq!(server.hits("/token"), 3);
}

#[tokio::test]
async fn short_lived_or_unknown_lifetimes_are_not_reused() {
    let server = TestServer::start().await;
    let x = TokenExchanger::new(options(&server).to_config().unwrap());
    let r = request(&x, "billing");
    for lifetime in [json!(20), Value::Null] {
        server.reset_hits();
        server.route("/token", issued(lifetime));
        x.exchange("s", &r).await.unwrap();
        x.exchange("s", &r).await.unwrap();
        assert_eq!(server.hits("/token"), 2);
    }
}

#[tokio::test]
async fn refusals_and_outages_are_typed() {
    let server = TestServer::start().await;
    let x = TokenExchanger::new(options(&server).to_config().unwrap());
    let r = request(&x, "billing");
    let cases = [
        (
            Response::json(r#"{"error":"invalid_grant","error_description":"secret stuff"}"#)
                .with_status(400),
            ErrorCode::TokenExchangeRefused,
            "the authorization server refused: invalid_grant (HTTP 400)",
        ),
        (
            Response::new(401),
            ErrorCode::TokenExchangeRefused,
            "the authorization server refused (HTTP 401)",
        ),
        (
            Response::new(403),
            ErrorCode::TokenExchangeRefused,
            "the authorization server refused (HTTP 403)",
        ),
        (
            Response::new(500),
            ErrorCode::TokenExchangeUnavailable,
            "server answered HTTP 500",
        ),
        (
            Response::json("{not json"),
            ErrorCode::TokenExchangeUnavailable,
            "",
        ),
        (
            Response::big(200_000),
            ErrorCode::TokenExchangeUnavailable,
            "",
        ),
        (
            Response::hang(),
            ErrorCode::TokenExchangeUnavailable,
            "timed out after 500 ms",
        ),
        (
            issued(json!(-1)),
            ErrorCode::TokenExchangeUnavailable,
            "the token endpoint's answer has an expires_in",
        ),
    ];
    for (response, code, reason) in cases {
        server.route("/token", response);
        let e = x.exchange("subject.tok", &r).await.unwrap_err();
        assert_eq!(e.code, code, "{}", e.reason);
        assert!(e.reason.starts_with(reason), "{}", e.reason);
        assert!(!e.reason.contains("secret") && !e.reason.contains("subject.tok"));
    }
    // Nothing failed was cached: a good answer now is used.
    server.route("/token", issued(json!(600)));
    assert!(x.exchange("subject.tok", &r).await.is_ok());
    drop(server);
    let e = x.exchange("fresh", &r).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::TokenExchangeUnavailable);
}

#[tokio::test]
async fn discovers_the_token_endpoint() {
    let server = TestServer::start().await;
    let issuer = server.origin();
    server.route(
        "/.well-known/oauth-authorization-server",
        Response::json(
            json!({ "issuer": issuer, "token_endpoint": server.url("/token") }).to_string(),
        ),
    );
    server.route("/token", issued(json!(600)));
    let x = TokenExchanger::new(
        TokenExchangeOptions {
            token_endpoint: None,
            issuer: Some(issuer),
            ..options(&server)
        }
        .to_config()
        .unwrap(),
    );
    let r = request(&x, "billing");
    assert!(x.exchange("s", &r).await.is_ok());
    assert_eq!(server.hits("/token"), 1);
}
