//! The introspection fleet path over the in-memory store, against a local
//! endpoint: one endpoint call per token for the fleet, records judged
//! again when read back, the store's outage a miss.
use super::*;
use crate::fleet::memory::MemoryStore;
use crate::fleet::records::StoreSecret;
use crate::introspection::introspector::Introspector;
use crate::test_server::{Response, TestServer};
use serde_json::json;
use std::sync::Mutex;
use std::time::Duration;

const AUD: &str = "https://mcp.example.com/mcp";

fn options(server: &TestServer) -> IntrospectorOptions {
    IntrospectorOptions {
        issuer: server.origin(),
        endpoint: Some(server.url("/introspect")),
        audiences: Some(vec![AUD.into()]),
        client_id: "rs".into(),
        client_secret: Some("s3cret".into()),
        store_timeout: Some(200.0),
        ..Default::default()
    }
}

fn active(server: &TestServer, sub: &str, delay_ms: u64) -> Response {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let body = json!({ "active": true, "iss": server.origin(), "aud": AUD, "exp": exp, "scope": "read", "sub": sub });
    Response::delay(delay_ms, Response::json(body.to_string()))
}

struct Process {
    introspector: Introspector,
    fleet: IntrospectionFleet,
    events: Arc<Mutex<Vec<&'static str>>>,
}

fn process(server: &TestServer, shared: &Arc<MemoryStore>, secret: &[u8]) -> Process {
    let o = options(server);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let secret = StoreSecret::new(Some(secret), "introspection.storeSecret", "bytes").unwrap();
    let fleet = IntrospectionFleet::new(
        shared.clone(),
        secret,
        &o,
        Some(AUD),
        Some(Arc::new(move |event: crate::fleet::guard::StoreEvent| {
            sink.lock().unwrap().push(event.kind())
        })),
    )
    .unwrap();
    Process {
        introspector: Introspector::new(o.to_config().unwrap()),
        fleet,
        events,
    }
}

impl Process {
    async fn verify(&self, token: &str) -> AuthResult<Arc<Verified>> {
        self.fleet.verify(&self.introspector, token).await
    }
}

const SECRET: &[u8] = b"fleet-secret-for-tests-0123456789abcdef";

#[tokio::test]
async fn one_endpoint_call_per_token_for_the_fleet_and_records_hold_no_token() {
    let server = TestServer::start().await;
    server.route("/introspect", active(&server, "alice", 150));
    let shared = Arc::new(MemoryStore::new());
    let (a, b) = (
        process(&server, &shared, SECRET),
        process(&server, &shared, SECRET),
    );
    let together = tokio::join!(
        a.verify("tok-1"),
        b.verify("tok-1"),
        a.verify("tok-1"),
        b.verify("tok-1")
    );
    for result in [together.0, together.1, together.2, together.3] {
        assert_eq!(result.unwrap().identity.subject.as_deref(), Some("alice"));
    }
    assert_eq!(
        server.hits("/introspect"),
        1,
        "four concurrent requests at two processes: one call"
    );
    assert!(a.fleet.flights.is_empty() && b.fleet.flights.is_empty());

    a.verify("tok-2").await.unwrap();
    b.verify("tok-2").await.unwrap();
    assert_eq!(
        server.hits("/introspect"),
        2,
        "a token learnt by one process is read by the other"
    );
    for key in shared.keys() {
        assert!(!key.contains("tok-"), "a key names a token: {key}");
        assert!(key.starts_with("introspection:"), "{key}");
        assert!(
            !shared.raw(&key).unwrap().contains("tok-"),
            "a value holds a token"
        );
    }
}

#[tokio::test]
async fn a_record_from_another_fleet_secret_is_a_miss_reported_and_the_endpoint_is_asked() {
    let server = TestServer::start().await;
    server.route("/introspect", active(&server, "alice", 0));
    let shared = Arc::new(MemoryStore::new());
    let writer = process(&server, &shared, SECRET);
    writer.verify("tok-1").await.unwrap();
    let reader = process(&server, &shared, &[9u8; 32]);
    // Another secret: another scope, so first plant the writer's record under the reader's key.
    let record = shared.raw(&writer.fleet.key("tok-1")).unwrap();
    shared.put_raw(&reader.fleet.key("tok-1"), &record, Duration::from_secs(60));
    reader.verify("tok-1").await.unwrap();
    assert_eq!(server.hits("/introspect"), 2);
    assert_eq!(*reader.events.lock().unwrap(), ["store_record_rejected"]);
}

#[tokio::test]
async fn with_the_store_down_each_process_asks_the_endpoint_and_reports_once() {
    let server = TestServer::start().await;
    server.route("/introspect", active(&server, "alice", 0));
    let shared = Arc::new(MemoryStore::new());
    let a = process(&server, &shared, SECRET);
    a.verify("tok-1").await.unwrap();
    shared.set_failing(true);
    a.verify("tok-1").await.unwrap(); // a local hit needs no store
    assert_eq!(server.hits("/introspect"), 1);
    a.verify("tok-4").await.unwrap();
    a.verify("tok-5").await.unwrap();
    assert_eq!(server.hits("/introspect"), 3);
    assert_eq!(*a.events.lock().unwrap(), ["store_unavailable"]);
}

#[tokio::test]
async fn an_inactive_verdict_is_shared_too_and_refused() {
    let server = TestServer::start().await;
    server.route("/introspect", Response::json(r#"{"active":false}"#));
    let shared = Arc::new(MemoryStore::new());
    let (a, b) = (
        process(&server, &shared, SECRET),
        process(&server, &shared, SECRET),
    );
    assert_eq!(
        a.verify("tok-x").await.unwrap_err().code,
        crate::error::ErrorCode::TokenInactive
    );
    assert_eq!(
        b.verify("tok-x").await.unwrap_err().code,
        crate::error::ErrorCode::TokenInactive
    );
    assert_eq!(server.hits("/introspect"), 1);
}

// A Python process's server config always holds the issuer's metadata (its
// introspection endpoint); a Node process given `{ issuer, type }` discovers
// it. The same server either way: one scope, one endpoint call for both.
#[tokio::test]
async fn the_issuers_endpoint_from_metadata_or_discovery_shares_one_scope() {
    let server = TestServer::start().await;
    server.route(
        "/.well-known/oauth-authorization-server",
        Response::json(
            json!({ "issuer": server.origin(), "introspection_endpoint": server.url("/introspect") })
                .to_string(),
        ),
    );
    server.route("/introspect", active(&server, "alice", 0));
    let shared = Arc::new(MemoryStore::new());
    let with = |endpoint: Option<String>, metadata_endpoint: Option<String>| {
        let o = IntrospectorOptions {
            issuer_type: Some("oauth".into()),
            endpoint,
            metadata_endpoint,
            ..options(&server)
        };
        let secret = StoreSecret::new(Some(SECRET), "introspection.storeSecret", "bytes").unwrap();
        let fleet = IntrospectionFleet::new(shared.clone(), secret, &o, Some(AUD), None).unwrap();
        (Introspector::new(o.to_config().unwrap()), fleet)
    };
    let given = with(None, Some(server.url("/introspect")));
    let discovering = with(None, None);
    assert_eq!(given.1.key("tok-1"), discovering.1.key("tok-1"));
    given.1.verify(&given.0, "tok-1").await.unwrap();
    discovering.1.verify(&discovering.0, "tok-1").await.unwrap();
    assert_eq!(server.hits("/introspect"), 1, "the record was shared");
    assert_eq!(
        server.hits("/.well-known/oauth-authorization-server"),
        0,
        "the metadata's endpoint needs no discovery, the shared record none either"
    );
    // An endpoint chosen in the options is another setting: its own records.
    let chosen = with(Some(server.url("/introspect")), None);
    assert_ne!(chosen.1.key("tok-1"), given.1.key("tok-1"));
}

#[test]
fn store_timeout_out_of_range_is_refused_by_name() {
    for value in [0.0, -1.0, 1.5, 60_001.0, f64::NAN] {
        let o = IntrospectorOptions {
            issuer: "https://as.example.com".into(),
            client_id: "rs".into(),
            store_timeout: Some(value),
            ..Default::default()
        };
        let secret = StoreSecret::new(Some(SECRET), "introspection.storeSecret", "bytes").unwrap();
        let err = IntrospectionFleet::new(Arc::new(MemoryStore::new()), secret, &o, None, None)
            .err()
            .unwrap();
        assert!(
            err.reason.starts_with(
                "`introspection.storeTimeout` must be an integer number of milliseconds from 1 to 60000"
            ),
            "{}",
            err.reason
        );
    }
}
