use super::*;
use crate::test_server::{Response, TestServer};
use serde_json::json;

fn jwks_body(kids: &[&str]) -> Vec<u8> {
    let keys: Vec<_> = kids
            .iter()
            .map(|kid| json!({ "kty": "RSA", "kid": kid, "n": crate::keys::jwk::tests::RSA_N, "e": "AQAB" }))
            .collect();
    serde_json::to_vec(&json!({ "keys": keys })).unwrap()
}

fn options() -> KeySetOptions {
    KeySetOptions {
        ttl: Duration::from_secs(600),
        cooldown: Duration::from_secs(30),
        stale_max: Duration::from_secs(3600),
        fetch: FetchOptions {
            timeout: Duration::from_millis(500),
            ..FetchOptions::default()
        },
    }
}

async fn setup(kids: &[&str]) -> (TestServer, Arc<KeySetCache>) {
    let server = TestServer::start().await;
    server.route("/jwks", Response::json(jwks_body(kids)));
    let url = Url::parse(&server.url("/jwks")).unwrap();
    (server, Arc::new(KeySetCache::new(url, options())))
}

#[tokio::test]
async fn single_flight_on_a_cold_cache() {
    let (server, cache) = setup(&["a"]).await;
    server.route(
        "/jwks",
        Response::delay(100, Response::json(jwks_body(&["a"]))),
    );
    let now = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.ensure(now, None).await.map(|k| k.keys.len()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    assert_eq!(server.hits("/jwks"), 1);
}

#[tokio::test]
async fn unknown_kid_refetches_once_per_cooldown() {
    let (server, cache) = setup(&["a"]).await;
    let t0 = Instant::now();
    cache.ensure(t0, None).await.unwrap();
    // Within the cooldown of the first fetch: no new request.
    let keys = cache
        .refetch_for_unknown_kid(t0 + Duration::from_secs(1), None)
        .await
        .unwrap();
    assert!(!keys.contains_kid("b"));
    assert_eq!(server.hits("/jwks"), 1);
    // A rotated key is picked up once the cooldown has passed.
    server.route("/jwks", Response::json(jwks_body(&["a", "b"])));
    let later = t0 + Duration::from_secs(31);
    for _ in 0..500 {
        let keys = cache.refetch_for_unknown_kid(later, None).await.unwrap();
        assert!(keys.contains_kid("b"));
    }
    assert_eq!(server.hits("/jwks"), 2);
}

#[tokio::test]
async fn stale_if_error_then_unavailable() {
    let (server, cache) = setup(&["a"]).await;
    let t0 = Instant::now();
    cache.ensure(t0, None).await.unwrap();
    server.route("/jwks", Response::new(500));
    // Past the ttl (cacheMaxAge) the set is not used without trying a
    // fetch first; when that fails, the last good set stands in.
    let t1 = t0 + Duration::from_secs(601);
    assert!(matches!(cache.cached(t1), Cached::Expired));
    assert!(cache.ensure(t1, None).await.is_ok());
    assert_eq!(server.hits("/jwks"), 2);
    // Within the failure's cooldown: the stale set, no new request.
    assert!(matches!(
        cache.cached(t1),
        Cached::Usable {
            refresh_due: false,
            ..
        }
    ));
    assert!(cache.ensure(t1, None).await.is_ok());
    // Past ttl + stale_max the old set is gone and the failure surfaces.
    let t2 = t0 + Duration::from_secs(600 + 3600);
    assert!(matches!(cache.cached(t2), Cached::Missing));
    let err = cache.ensure(t2, None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::JwksUnavailable);
    assert!(err.retry_after.is_some());
    // The failure is remembered for one cooldown only.
    cache
        .ensure(t2 + Duration::from_secs(1), None)
        .await
        .unwrap_err();
    assert_eq!(server.hits("/jwks"), 3);
    server.route("/jwks", Response::json(jwks_body(&["a"])));
    assert!(cache
        .ensure(t2 + Duration::from_secs(31), None)
        .await
        .is_ok());
    assert_eq!(server.hits("/jwks"), 4);
}

#[tokio::test]
async fn removed_keys_disappear_after_refresh() {
    let (server, cache) = setup(&["a", "b"]).await;
    let t0 = Instant::now();
    assert!(cache.ensure(t0, None).await.unwrap().contains_kid("b"));
    server.route("/jwks", Response::json(jwks_body(&["a"])));
    let t1 = t0 + Duration::from_secs(596);
    cache.refresh(t1, None).await;
    let Cached::Usable { keys, .. } = cache.cached(t1) else {
        panic!("keys expected")
    };
    assert!(!keys.contains_kid("b"));
}

#[tokio::test]
async fn garbage_is_unavailable_not_invalid() {
    let (server, cache) = setup(&[]).await;
    let events: Arc<Mutex<Vec<KeySetEvent>>> = Default::default();
    let sink: EventSink = {
        let events = events.clone();
        Arc::new(move |e| events.lock().unwrap().push(e))
    };
    for bad in [
        Response::new(200)
            .content_type("text/html")
            .body("<html>hi</html>"),
        Response::json(b"{}".to_vec()),
        Response::json(br#"{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]}"#.to_vec()),
        Response::json(br#"{"keys":[]}"#.to_vec()),
        Response::new(404),
    ] {
        server.route("/jwks", bad);
        let fresh = KeySetCache::new(cache.uri.clone(), options());
        let err = fresh.ensure(Instant::now(), Some(&sink)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::JwksUnavailable, "{err:?}");
        assert!(err.retry_after.is_some());
    }
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .all(|e| matches!(e, KeySetEvent::Unavailable { .. })));
}

#[tokio::test]
async fn errors_and_events_carry_the_redacted_url_and_the_servers_retry_after() {
    let server = TestServer::start().await;
    server.route("/jwks", Response::new(503).header("Retry-After", "7"));
    let secret = server
        .url("/jwks")
        .replacen("http://", "http://user:s3cret@", 1);
    let events: Arc<Mutex<Vec<KeySetEvent>>> = Default::default();
    let sink: EventSink = {
        let events = events.clone();
        Arc::new(move |e| events.lock().unwrap().push(e))
    };
    let cache = KeySetCache::new(Url::parse(&secret).unwrap(), options());
    let err = cache.ensure(Instant::now(), Some(&sink)).await.unwrap_err();
    assert_eq!(err.retry_after, Some(7), "the server's Retry-After is kept");
    let shown = format!(
        "{err} {:?} {:?} {}",
        err.url,
        events.lock().unwrap(),
        cache.uri()
    );
    assert!(
        !shown.contains("s3cret") && !shown.contains("user"),
        "{shown}"
    );
    assert_eq!(err.url.as_deref(), Some(server.url("/jwks").as_str()));
}

#[tokio::test]
async fn the_ttl_refresh_is_not_held_back_by_the_cooldown() {
    let (server, cache) = setup(&["a"]).await;
    let short = KeySetCache::new(
        cache.uri.clone(),
        KeySetOptions {
            ttl: Duration::from_secs(10),
            cooldown: Duration::from_secs(60),
            ..options()
        },
    );
    let t0 = Instant::now();
    short.ensure(t0, None).await.unwrap();
    // Refresh-ahead is due 5 s before the ttl, cooldown or not.
    let t1 = t0 + Duration::from_secs(6);
    assert!(matches!(
        short.cached(t1),
        Cached::Usable {
            refresh_due: true,
            ..
        }
    ));
    short.refresh(t1, None).await;
    assert_eq!(server.hits("/jwks"), 2);
    // Twice the ttl later, still inside the first cooldown: fetched again.
    let t2 = t1 + Duration::from_secs(20);
    assert!(matches!(short.cached(t2), Cached::Expired));
    short.ensure(t2, None).await.unwrap();
    assert_eq!(server.hits("/jwks"), 3);
}

#[test]
fn registry_shares_caches_per_uri_and_options() {
    let uri = Url::parse("https://as.example.com/jwks").unwrap();
    let a = shared(&uri, &options());
    let b = shared(&uri, &options());
    assert!(Arc::ptr_eq(&a, &b));
    let other = KeySetOptions {
        cooldown: Duration::from_secs(1),
        ..options()
    };
    assert!(!Arc::ptr_eq(&a, &shared(&uri, &other)));
}
