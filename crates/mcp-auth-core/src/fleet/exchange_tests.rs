//! The token-exchange fleet path over the in-memory store, against a local
//! token endpoint: one call per exchange for the fleet, records encrypted
//! (no token bytes in the store), refused records a reported miss, TTLs no
//! longer than the local cache's, the store's outage a miss.
use super::*;
use crate::exchange::request::ExchangeParams;
use crate::fleet::guard::StoreEvent;
use crate::fleet::memory::MemoryStore;
use crate::test_server::{Response, TestServer};
use serde_json::json;
use std::sync::Mutex;

const SECRET: &[u8] = b"fleet-secret-for-tests-0123456789abcdef";
const ISSUED: &str = "upstream-token-9f8e7d";

fn options(server: &TestServer) -> TokenExchangeOptions {
    TokenExchangeOptions {
        token_endpoint: Some(server.url("/token")),
        client_id: "rs".into(),
        client_secret: Some("s3cret".into()),
        client_auth_method: Some("client_secret_post".into()),
        timeout: Some(1000.0),
        store_timeout: Some(200.0),
        ..Default::default()
    }
}

fn issued(expires_in: u64, delay_ms: u64) -> Response {
    let body = json!({ "access_token": ISSUED, "token_type": "Bearer",
        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "expires_in": expires_in, "scope": "read" });
    Response::delay(delay_ms, Response::json(body.to_string()))
}

struct Process {
    exchanger: TokenExchanger,
    fleet: ExchangeFleet,
    request: ExchangeRequest,
    events: Arc<Mutex<Vec<String>>>,
}

fn process(server: &TestServer, shared: &Arc<MemoryStore>, secret: &[u8]) -> Process {
    let o = options(server);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let secret = StoreSecret::new(Some(secret), "tokenExchange.storeSecret", "bytes").unwrap();
    let fleet = ExchangeFleet::new(
        shared.clone(),
        secret,
        &o,
        Some(Arc::new(move |event: StoreEvent| {
            let text = match event {
                StoreEvent::RecordRejected { reason } => reason.as_str().to_owned(),
                other => other.kind().to_owned(),
            };
            sink.lock().unwrap().push(text)
        })),
    )
    .unwrap();
    let exchanger = TokenExchanger::new(o.to_config().unwrap());
    let params = ExchangeParams::from_json(json!({ "audience": "billing", "scope": "read" }));
    let request = exchanger.check(&params.unwrap()).unwrap();
    Process {
        exchanger,
        fleet,
        request,
        events,
    }
}

impl Process {
    async fn exchange(&self, subject: &str) -> AuthResult<Arc<Exchanged>> {
        self.fleet
            .exchange(&self.exchanger, subject, &self.request)
            .await
    }

    fn key(&self, subject: &str) -> String {
        let digest = self.exchanger.digest(subject, &self.request).unwrap();
        self.fleet.key(&digest)
    }
}

#[tokio::test]
async fn one_call_per_exchange_for_the_fleet_and_the_store_holds_no_token() {
    let server = TestServer::start().await;
    server.route("/token", issued(600, 150));
    let shared = Arc::new(MemoryStore::new());
    let (a, b) = (
        process(&server, &shared, SECRET),
        process(&server, &shared, SECRET),
    );
    let together = tokio::join!(
        a.exchange("subject-1"),
        b.exchange("subject-1"),
        a.exchange("subject-1"),
        b.exchange("subject-1")
    );
    for result in [together.0, together.1, together.2, together.3] {
        let token = result.unwrap();
        assert_eq!(token.access_token, ISSUED);
        assert_eq!(token.scope.as_deref(), Some("read"));
    }
    assert_eq!(server.hits("/token"), 1, "two processes, one endpoint call");
    // One learnt by the first process is read, and decrypted, by the second.
    a.exchange("subject-2").await.unwrap();
    let read = b.exchange("subject-2").await.unwrap();
    assert_eq!(server.hits("/token"), 2);
    assert_eq!(read.access_token, ISSUED);
    assert!(matches!(read.expires_in, Some(598..=600)));
    let keys = shared.keys();
    assert_eq!(keys.len(), 2);
    for key in keys {
        assert!(
            key.starts_with("exchange:") && !key.contains("subject"),
            "{key}"
        );
        let value = shared.raw(&key).unwrap();
        assert!(
            !value.contains(ISSUED) && !value.contains("upstream"),
            "a value holds the token"
        );
        assert!(
            !value.contains("Bearer") && !value.contains("read"),
            "a value is plain text"
        );
        // Stored no longer than the local cache keeps it: 600 s less the 30 s margin.
        let ttl = shared.ttl(&key).unwrap();
        assert!(
            ttl <= Duration::from_secs(570) && ttl > Duration::from_secs(560),
            "{ttl:?}"
        );
    }
    assert!(a.events.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_foreign_tampered_or_moved_record_is_a_reported_miss() {
    let server = TestServer::start().await;
    server.route("/token", issued(600, 0));
    let shared = Arc::new(MemoryStore::new());
    let writer = process(&server, &shared, SECRET);
    writer.exchange("subject-1").await.unwrap();
    writer.exchange("subject-2").await.unwrap();
    let record = shared.raw(&writer.key("subject-1")).unwrap();
    let ttl = Duration::from_secs(60);
    let cases = [
        // Another secret: its scope differs, so the record is planted under its key.
        (
            "other-secret",
            [9u8; 32].as_slice(),
            record.clone(),
            "bad_mac",
        ),
        // Moved under another exchange's key (same fleet).
        ("moved", SECRET, record.clone(), "bad_mac"),
        // Altered in its encrypted part.
        ("tampered", SECRET, format!("{}x", &record), "bad_mac"),
    ];
    for (what, secret, planted, reason) in cases {
        let reader = process(&server, &shared, secret);
        let subject = if what == "moved" {
            "subject-2"
        } else {
            "subject-1"
        };
        shared.put_raw(&reader.key(subject), &planted, ttl);
        let hits = server.hits("/token");
        let token = reader.exchange(subject).await.unwrap();
        assert_eq!(token.access_token, ISSUED, "{what}");
        assert_eq!(
            server.hits("/token"),
            hits + 1,
            "{what}: the endpoint is asked"
        );
        assert_eq!(*reader.events.lock().unwrap(), [reason], "{what}");
    }
    // Signed by this fleet but not encrypted for this key: the AEAD refuses it.
    let reader = process(&server, &shared, SECRET);
    let key = reader.key("subject-3");
    let secret = StoreSecret::new(Some(SECRET), "s", "bytes").unwrap();
    let foreign_key = writer.key("subject-1");
    let plain_elsewhere = secret.cipher().encrypt(&foreign_key, "{}").unwrap();
    shared.put_raw(&key, &secret.seal(&key, &plain_elsewhere), ttl);
    let hits = server.hits("/token");
    reader.exchange("subject-3").await.unwrap();
    assert_eq!(server.hits("/token"), hits + 1);
    assert_eq!(*reader.events.lock().unwrap(), ["undecryptable"]);
}

#[tokio::test]
async fn short_lived_tokens_are_not_stored_and_records_near_expiry_are_not_used() {
    let server = TestServer::start().await;
    // 20 s: inside the 30 s margin, reused by nobody.
    server.route("/token", issued(20, 0));
    let shared = Arc::new(MemoryStore::new());
    let a = process(&server, &shared, SECRET);
    a.exchange("subject-1").await.unwrap();
    assert!(shared.keys().is_empty());
    // A record (planted, this fleet's) whose token expires within the margin is a miss.
    let key = a.key("subject-2");
    let soon = epoch_ms(SystemTime::now()) + 10_000;
    let text = format!(
        r#"{{"accessToken":"old","tokenType":"Bearer","issuedTokenType":"x","expiresAt":{soon}}}"#
    );
    let secret = StoreSecret::new(Some(SECRET), "s", "bytes").unwrap();
    let sealed = secret.seal(&key, &secret.cipher().encrypt(&key, &text).unwrap());
    shared.put_raw(&key, &sealed, Duration::from_secs(60));
    let token = a.exchange("subject-2").await.unwrap();
    assert_eq!(token.access_token, ISSUED);
    assert_eq!(server.hits("/token"), 2);
    assert!(read(&text, Duration::from_secs(5), soon - 10_000).is_some());
}

#[tokio::test]
async fn with_the_store_down_exchanges_carry_on_here() {
    let server = TestServer::start().await;
    server.route("/token", issued(600, 0));
    let shared = Arc::new(MemoryStore::new());
    let a = process(&server, &shared, SECRET);
    shared.set_failing(true);
    assert_eq!(a.exchange("subject-1").await.unwrap().access_token, ISSUED);
    assert_eq!(a.exchange("subject-1").await.unwrap().access_token, ISSUED);
    assert_eq!(server.hits("/token"), 1, "the local cache still holds it");
    assert_eq!(*a.events.lock().unwrap(), ["store_unavailable"]);
}

#[test]
fn the_scope_ignores_credentials_and_timing_but_not_the_client() {
    let base = TokenExchangeOptions {
        token_endpoint: Some("https://as.example.com/token".into()),
        client_id: "rs".into(),
        client_secret: Some("s3cret".into()),
        ..Default::default()
    };
    let settings = token_settings(&base);
    assert!(!settings.to_string().contains("s3cret"));
    let timing = TokenExchangeOptions {
        timeout: Some(900.0),
        store_timeout: Some(100.0),
        client_secret: Some("other".into()),
        ..base.clone()
    };
    assert_eq!(token_settings(&timing), settings);
    let spelt = TokenExchangeOptions {
        issuer_type: Some("oauth".into()),
        grant: Some("token_exchange".into()),
        ..base.clone()
    };
    assert_eq!(token_settings(&spelt), settings);
    let client = TokenExchangeOptions {
        client_id: "other".into(),
        ..base
    };
    assert_ne!(token_settings(&client), settings);
}
