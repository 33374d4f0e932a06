use super::*;
use crate::test_server::{Response, TestServer};

const CODE: ErrorCode = ErrorCode::JwksUnavailable;

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

fn short(timeout_ms: u64, max_body_bytes: usize) -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_millis(timeout_ms),
        max_body_bytes,
    }
}

async fn get(server: &TestServer, path: &str, opts: &FetchOptions) -> AuthResult<Fetched> {
    get_json_object(&url(&server.url(path)), opts, CODE).await
}

fn object(fetched: Fetched) -> Map<String, Value> {
    match fetched {
        Fetched::Object(map) => map,
        Fetched::NotFound => panic!("expected an object, got NotFound"),
    }
}

/// Asserts an infrastructure failure with the given reason fragment.
fn assert_unavailable(result: AuthResult<Fetched>, fragment: &str, at: &str) {
    let err = result.unwrap_err();
    assert_eq!(err.code, CODE, "{err:?}");
    assert!(err.reason.contains(fragment), "{err:?}");
    assert_eq!(err.retry_after, Some(DEFAULT_RETRY_AFTER_SECS), "{err:?}");
    assert_eq!(err.url.as_deref(), Some(at));
}

fn assert_bad_document(result: AuthResult<Fetched>, fragment: &str) {
    let err = result.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidServerMetadata, "{err:?}");
    assert!(err.reason.contains(fragment), "{err:?}");
    assert_eq!(err.retry_after, None);
    assert!(err.url.is_some());
}

#[tokio::test]
async fn fetches_a_json_object() {
    let server = TestServer::start().await;
    server.route("/doc", Response::json(r#"{"a":1,"b":[true]}"#));
    let map = object(
        get(&server, "/doc", &FetchOptions::default())
            .await
            .unwrap(),
    );
    assert_eq!(map["a"], 1);
    assert_eq!(server.hits("/doc"), 1);
}

#[tokio::test]
async fn accepts_json_media_types_with_parameters() {
    let server = TestServer::start().await;
    for (i, media_type) in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/jwk-set+json",
        "application/problem+JSON ; q=1",
    ]
    .into_iter()
    .enumerate()
    {
        let path = format!("/doc{i}");
        server.route(&path, Response::json("{}").content_type(media_type));
        let got = get(&server, &path, &FetchOptions::default()).await;
        assert_eq!(got, Ok(Fetched::Object(Map::new())), "{media_type}");
    }
}

#[tokio::test]
async fn rejects_other_media_types() {
    let server = TestServer::start().await;
    server.route("/html", Response::json("{}").content_type("text/html"));
    let result = get(&server, "/html", &FetchOptions::default()).await;
    assert_bad_document(result, "expected JSON, got text/html");

    server.route("/none", Response::new(200).body("{}"));
    let result = get(&server, "/none", &FetchOptions::default()).await;
    assert_bad_document(result, "got no content type");

    server.route(
        "/plus",
        Response::json("{}").content_type("application/+json"),
    );
    let result = get(&server, "/plus", &FetchOptions::default()).await;
    assert_bad_document(result, "application/+json");

    let long = format!("text/{}", "x".repeat(200));
    server.route("/long", Response::json("{}").content_type(&long));
    let err = get(&server, "/long", &FetchOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.reason.len(),
        "expected JSON, got ".len() + ECHO_MAX_CHARS
    );
}

#[tokio::test]
async fn sends_accept_and_user_agent() {
    let server = TestServer::start().await;
    server.route("/doc", Response::json("{}"));
    get(&server, "/doc", &FetchOptions::default())
        .await
        .unwrap();
    let headers = server.last_headers("/doc").unwrap();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("accept"), Some("application/json"));
    assert_eq!(header("user-agent"), Some(USER_AGENT));
}

#[tokio::test]
async fn not_found_is_not_an_error() {
    let server = TestServer::start().await;
    let got = get(&server, "/missing", &FetchOptions::default()).await;
    assert_eq!(got, Ok(Fetched::NotFound));
    assert_eq!(server.hits("/missing"), 1);
}

#[tokio::test]
async fn other_statuses_fail_with_the_failure_code() {
    let server = TestServer::start().await;
    server.route("/down", Response::json("{}").with_status(500));
    let at = server.url("/down");
    let result = get(&server, "/down", &FetchOptions::default()).await;
    assert_unavailable(result, "HTTP 500", &at);

    let discovery = get_json_object(
        &url(&at),
        &FetchOptions::default(),
        ErrorCode::DiscoveryUnavailable,
    )
    .await
    .unwrap_err();
    assert_eq!(discovery.code, ErrorCode::DiscoveryUnavailable);
}

#[tokio::test]
async fn retry_after_header_is_honoured_within_bounds() {
    let server = TestServer::start().await;
    server.route("/busy", Response::new(503).header("Retry-After", "7"));
    server.route(
        "/forever",
        Response::new(429).header("Retry-After", "999999"),
    );
    let busy = get(&server, "/busy", &FetchOptions::default()).await;
    assert_eq!(busy.unwrap_err().retry_after, Some(7));
    let forever = get(&server, "/forever", &FetchOptions::default()).await;
    assert_eq!(forever.unwrap_err().retry_after, Some(MAX_RETRY_AFTER_SECS));
}

#[tokio::test]
async fn a_hanging_server_times_out() {
    let server = TestServer::start().await;
    server.route("/hang", Response::hang());
    let at = server.url("/hang");
    let result = get(&server, "/hang", &short(300, 1024)).await;
    assert_unavailable(result, "timed out after 300 ms", &at);
    assert_eq!(server.hits("/hang"), 1);
}

#[tokio::test]
async fn the_timeout_covers_the_body() {
    let server = TestServer::start().await;
    // Headers arrive at once, then the body takes longer than the deadline.
    server.route(
        "/slow",
        Response::json("{}")
            .header("Content-Length", "100")
            .then_hang(),
    );
    let at = server.url("/slow");
    let result = get(&server, "/slow", &short(300, 1024)).await;
    assert_unavailable(result, "timed out", &at);
}

#[tokio::test]
async fn a_delayed_answer_within_the_timeout_is_fine() {
    let server = TestServer::start().await;
    server.route("/late", Response::delay(50, Response::json("{}")));
    let got = get(&server, "/late", &short(2000, 1024)).await;
    assert_eq!(got, Ok(Fetched::Object(Map::new())));
}

#[tokio::test]
async fn connection_refused_is_reported() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let at = format!("http://127.0.0.1:{port}/jwks");
    let result = get_json_object(&url(&at), &FetchOptions::default(), CODE).await;
    assert_unavailable(result, "connection refused", &at);
}

#[tokio::test]
async fn a_dropped_connection_is_reported() {
    let server = TestServer::start().await;
    server.route("/close", Response::close());
    let at = server.url("/close");
    let result = get(&server, "/close", &FetchOptions::default()).await;
    assert_unavailable(result, "no valid HTTP response", &at);
    assert_eq!(server.hits("/close"), 1);
}

#[tokio::test]
async fn tls_to_a_plain_server_fails_as_tls() {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let at = format!("https://127.0.0.1:{port}/jwks");
    let result = get_json_object(&url(&at), &short(2000, 1024), CODE).await;
    assert_unavailable(result, "TLS handshake failed", &at);
    answer.abort();
}

#[tokio::test]
async fn a_declared_oversized_body_is_rejected_before_reading() {
    let server = TestServer::start().await;
    server.route("/big", Response::big(4096));
    let at = server.url("/big");
    let result = get(&server, "/big", &short(2000, 1024)).await;
    assert_unavailable(result, "response body exceeds 1024 bytes", &at);

    // A Content-Length far above what is sent: rejected without waiting
    // for a body that never comes.
    server.route(
        "/liar",
        Response::json("{}").header("Content-Length", "5000000"),
    );
    let at = server.url("/liar");
    let result = get(&server, "/liar", &short(2000, 1024)).await;
    assert_unavailable(result, "exceeds 1024 bytes", &at);
}

#[tokio::test]
async fn an_undeclared_oversized_body_is_cut_off() {
    let server = TestServer::start().await;
    // 256 MiB: reading it all would blow the deadline, so passing proves
    // that reading stops at the cap.
    let huge = 256 * 1024 * 1024;
    server.route("/chunked", Response::big(huge).chunked());
    server.route("/until-close", Response::big(huge).until_close());
    for path in ["/chunked", "/until-close"] {
        let at = server.url(path);
        let result = get(&server, path, &short(5000, 1024)).await;
        assert_unavailable(result, "exceeds 1024 bytes", &at);
    }
}

#[tokio::test]
async fn a_body_exactly_at_the_cap_is_read() {
    let server = TestServer::start().await;
    let body = format!("{{\"a\":\"{}\"}}", "x".repeat(1024 - 8));
    assert_eq!(body.len(), 1024);
    server.route("/exact", Response::json(body.clone()).chunked());
    let map = object(get(&server, "/exact", &short(2000, 1024)).await.unwrap());
    assert_eq!(map.len(), 1);
    server.route("/over", Response::json(format!("{body} ")).chunked());
    let result = get(&server, "/over", &short(2000, 1024)).await;
    assert!(result.is_err());
}

#[tokio::test]
async fn bodies_must_be_strict_json_objects() {
    let server = TestServer::start().await;
    server.route("/array", Response::json("[1,2]"));
    server.route("/dup", Response::json(r#"{"keys":[],"keys":[1]}"#));
    server.route("/junk", Response::json("{\"a\":"));
    server.route("/empty", Response::json(""));
    let opts = FetchOptions::default();
    assert_bad_document(get(&server, "/array", &opts).await, "is not a JSON object");
    assert_bad_document(get(&server, "/dup", &opts).await, "duplicate member");
    assert_bad_document(get(&server, "/junk", &opts).await, "is not valid JSON");
    assert_bad_document(get(&server, "/empty", &opts).await, "is not valid JSON");
}

#[tokio::test]
async fn same_origin_redirects_are_followed() {
    let server = TestServer::start().await;
    server.route("/old", Response::redirect(302, "/new"));
    server.route("/new", Response::redirect(301, &server.url("/doc")));
    server.route("/doc", Response::json(r#"{"ok":true}"#));
    let map = object(
        get(&server, "/old", &FetchOptions::default())
            .await
            .unwrap(),
    );
    assert_eq!(map["ok"], true);
    assert_eq!(server.hits("/new"), 1);
    assert_eq!(server.hits("/doc"), 1);
}

#[tokio::test]
async fn at_most_three_redirects_are_followed() {
    let server = TestServer::start().await;
    server.route("/r1", Response::redirect(302, "/r2"));
    server.route("/r2", Response::redirect(302, "/r3"));
    server.route("/r3", Response::redirect(302, "/doc"));
    server.route("/r0", Response::redirect(302, "/r1"));
    server.route("/doc", Response::json("{}"));
    let opts = FetchOptions::default();
    assert_eq!(
        get(&server, "/r1", &opts).await,
        Ok(Fetched::Object(Map::new()))
    );
    let at = server.url("/r0");
    assert_unavailable(get(&server, "/r0", &opts).await, "too many redirects", &at);
}

#[tokio::test]
async fn cross_origin_redirects_are_refused() {
    let server = TestServer::start().await;
    // Same port, other host name: another origin even if it is the same socket.
    let elsewhere = format!("http://localhost:{}/doc", server.port());
    server.route("/jwks", Response::redirect(302, &elsewhere));
    server.route("/doc", Response::json("{}"));
    let at = server.url("/jwks");
    let result = get(&server, "/jwks", &FetchOptions::default()).await;
    assert_unavailable(result, "redirect to another origin was refused", &at);
    assert_eq!(server.hits("/doc"), 0);

    // Same host, other scheme (a downgrade or upgrade) is refused too.
    let https = format!("https://127.0.0.1:{}/doc", server.port());
    server.route("/jwks", Response::redirect(307, &https));
    let result = get(&server, "/jwks", &FetchOptions::default()).await;
    assert_unavailable(result, "another origin", &at);
}

#[tokio::test]
async fn insecure_urls_are_refused_without_io() {
    // No server exists behind these; the answer must come from the URL alone.
    for bad in [
        "http://example.com/jwks",
        "http://localhost.example.com/",
        "http://127.0.0.1.nip.io/",
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
    ] {
        let err = get_json_object(&url(bad), &FetchOptions::default(), CODE)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidUrl, "{bad}");
        assert_eq!(err.retry_after, None);
        assert!(err.url.is_some());
    }
}

#[test]
fn url_allow_list() {
    for good in [
        "https://example.com/jwks",
        "https://[2001:db8::1]:8443/",
        "http://localhost:3000/",
        "http://LOCALHOST/",
        "http://127.0.0.1/",
        "http://127.255.0.9:8080/",
        "http://[::1]:9000/",
    ] {
        assert_eq!(check_url_allowed(&url(good)), Ok(()), "{good}");
    }
    for bad in [
        "http://example.com/",
        "http://10.0.0.1/",
        "http://[::2]/",
        "http://0.0.0.0/",
        "ws://localhost/",
        "data:text/plain,hi",
    ] {
        let err = check_url_allowed(&url(bad)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidUrl, "{bad}");
    }
}

#[test]
fn loopback_detection() {
    assert!(is_loopback(&url("http://localhost/")));
    assert!(is_loopback(&url("http://127.0.0.2/")));
    assert!(is_loopback(&url("http://[::1]/")));
    assert!(!is_loopback(&url("http://[::ffff:7f00:1]/")));
    assert!(!is_loopback(&url("http://192.168.1.1/")));
    assert!(!is_loopback(&url("mailto:a@localhost")));
}

#[test]
fn errors_do_not_show_credentials() {
    let err = check_url_allowed(&url("http://user:secret@example.com/x")).unwrap_err();
    assert_eq!(err.url.as_deref(), Some("http://example.com/x"));
}

#[test]
fn echo_is_printable_and_bounded() {
    assert_eq!(echo_safe(b"text/\x1b[31mhtml\x7f\xff"), "text/[31mhtml");
    assert_eq!(echo_safe(&[b'a'; 100]).len(), ECHO_MAX_CHARS);
}

#[test]
fn user_agent_names_the_crate() {
    assert!(USER_AGENT.starts_with("mcp-auth-rs/"));
    assert!(USER_AGENT.len() > "mcp-auth-rs/".len());
}
