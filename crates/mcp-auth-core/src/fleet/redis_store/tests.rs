//! The store against a real `redis-server` (see `test_server/redis.rs`).

use super::*;
use crate::options::redis_store::RedisStoreOptions;
use crate::test_server::redis::RedisServer;
use redis::aio::MultiplexedConnection;
use serde_json::{json, Value as Json};
use std::time::Instant;

/// Short bounds so that outages play out quickly.
fn store(url: &str, extra: Json) -> RedisStore {
    let mut options = json!({
        "url": url,
        "connectTimeout": 500,
        "responseTimeout": 300,
        "reconnectMaxDelay": 200,
    });
    if let (Some(options), Json::Object(extra)) = (options.as_object_mut(), extra) {
        options.extend(extra);
    }
    let options = RedisStoreOptions::from_json(options).expect("options");
    RedisStore::new(options.to_config().expect("config"))
}

/// A plain client beside the store, as another process would have.
async fn raw(server: &RedisServer) -> MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection")
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_reads_what_the_node_adapter_does() {
    let Some(server) = RedisServer::start("node_adapter_format", &[]).await else {
        return;
    };
    let mut raw = raw(&server).await;
    let store = store(&server.url(), json!({ "prefix": "unit:" }));

    // Ours, read as `redisStore(client, { prefix: 'unit:' })` reads it.
    store.set("k", "v-é", MINUTE).await.unwrap();
    let value: Option<String> = redis::cmd("GET")
        .arg("unit:k")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("v-é"));
    let pttl: i64 = redis::cmd("PTTL")
        .arg("unit:k")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(pttl > 50_000 && pttl <= 60_000, "{pttl}");

    // Written as the node adapter writes (`SET k v PX ttl NX`), read by ours.
    let _: () = redis::cmd("SET")
        .arg("unit:n")
        .arg("from-node")
        .arg("PX")
        .arg("60000")
        .arg("NX")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(store.get("n").await.unwrap().as_deref(), Some("from-node"));
    assert!(!store.set_if_absent("n", "other", MINUTE).await.unwrap());
    assert_eq!(store.get("n").await.unwrap().as_deref(), Some("from-node"));

    store.delete("n").await.unwrap();
    let exists: i64 = redis::cmd("EXISTS")
        .arg("unit:n")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(exists, 0);
    assert_eq!(store.get("n").await.unwrap(), None);
    store.delete("never-there").await.unwrap();

    // The default prefix is the node adapter's.
    let default = self::store(&server.url(), json!({}));
    assert!(default.set_if_absent("d", "1", MINUTE).await.unwrap());
    let value: Option<String> = redis::cmd("GET")
        .arg("mcp-auth-rs:d")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_expire_after_their_ttl() {
    let Some(server) = RedisServer::start("ttl_expiry", &[]).await else {
        return;
    };
    let store = store(&server.url(), json!({}));
    // Under a millisecond is one millisecond, never "no expiry" or an error.
    store
        .set("short", "x", Duration::from_micros(10))
        .await
        .unwrap();
    store
        .set_if_absent("brief", "x", Duration::from_millis(30))
        .await
        .unwrap();
    store.set("long", "x", MINUTE).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(store.get("short").await.unwrap(), None);
    assert_eq!(store.get("brief").await.unwrap(), None);
    assert_eq!(store.get("long").await.unwrap().as_deref(), Some("x"));
    // An expired key can be claimed again.
    assert!(store.set_if_absent("brief", "y", MINUTE).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_if_absent_has_one_winner_across_clients() {
    let Some(server) = RedisServer::start("set_if_absent", &[]).await else {
        return;
    };
    // Two stores: two connections, as two processes of a fleet.
    let a = store(&server.url(), json!({}));
    let b = store(&server.url(), json!({}));
    let values: Vec<String> = (0..64).map(|i| format!("claim-{i}")).collect();
    let claims = values.iter().enumerate().map(|(i, value)| {
        let store = if i % 2 == 0 { &a } else { &b };
        store.set_if_absent("lock", value, MINUTE)
    });
    let outcomes: Vec<bool> = futures_join(claims)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners: Vec<usize> = (0..64).filter(|&i| outcomes[i]).collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert_eq!(
        a.get("lock").await.unwrap(),
        Some(values[winners[0]].clone())
    );
}

/// Runs the futures concurrently on this task.
async fn futures_join<T>(
    futures: impl IntoIterator<Item = StoreFuture<'_, T>>,
) -> Vec<Result<T, StoreError>> {
    let mut set = Vec::new();
    for future in futures {
        set.push(future);
    }
    let mut results: Vec<Option<Result<T, StoreError>>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, result) in set.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(done) => *result = Some(done),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

async fn connected_clients(raw: &mut MultiplexedConnection) -> usize {
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query_async(raw)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("connected_clients")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_server_fails_commands_and_nothing_queues() {
    let Some(server) = RedisServer::start("hung_server", &[]).await else {
        return;
    };
    let store = store(&server.url(), json!({ "maxInFlight": 8 }));
    store.set("k", "v", MINUTE).await.unwrap();
    assert!(store.is_ready());

    server.pause();
    // A burst while the connection is still up: 8 commands may await a
    // reply, the rest are refused at once; all end within the response timeout.
    let burst = (0..200).map(|_| store.get("k"));
    let outcomes = tokio::time::timeout(Duration::from_secs(5), futures_join(burst))
        .await
        .expect("commands to a hung server must end");
    let errors: Vec<String> = outcomes.into_iter().map(|r| r.unwrap_err().0).collect();
    let refused = errors.iter().filter(|e| e.contains("maxInFlight")).count();
    let timed_out = errors
        .iter()
        .filter(|e| e.contains("no reply within 300 ms"))
        .count();
    assert_eq!((refused, timed_out), (192, 8), "{errors:?}");
    assert_eq!(store.in_flight(), 0);
    assert!(
        !store.is_ready(),
        "a connection that timed out is not ready"
    );

    // While it stays hung, every command fails without waiting or queueing.
    for _ in 0..1_000 {
        let err = store.get("k").await.unwrap_err().0;
        assert!(err.contains("not connected"), "{err}");
        assert_eq!(store.in_flight(), 0);
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await; // several reconnect attempts
    assert!(!store.is_ready());

    server.resume();
    eventually("ready after the server resumes", || store.is_ready()).await;
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some("v"));
    // The connections given up on were closed, not kept: the store's one and ours remain.
    let mut raw = raw(&server).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while connected_clients(&mut raw).await > 2 {
        assert!(Instant::now() < deadline, "connections left open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_noticed_idle_and_a_restarted_one_recovers() {
    let Some(mut server) = RedisServer::start("stopped_server", &[]).await else {
        return;
    };
    let store = store(&server.url(), json!({}));
    store.set("k", "v", MINUTE).await.unwrap();

    server.stop();
    // RESP3 reports the closed socket with no command in flight.
    eventually("not ready once the server is gone", || !store.is_ready()).await;
    let err = store.get("k").await.unwrap_err().0;
    assert!(
        err.starts_with(&format!(
            "redis at redis://127.0.0.1:{}/0: not connected",
            server.port
        )),
        "{err}"
    );

    server.restart().await;
    eventually("ready after a restart", || store.is_ready()).await;
    assert_eq!(store.get("k").await.unwrap(), None, "a new, empty server");
    store.set("k", "again", MINUTE).await.unwrap();
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some("again"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resp2_notices_a_stopped_server_at_the_next_command() {
    let Some(mut server) = RedisServer::start("resp2", &[]).await else {
        return;
    };
    let store = store(&format!("{}/0?protocol=resp2", server.url()), json!({}));
    store.set("k", "v", MINUTE).await.unwrap();
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some("v"));
    assert!(!store.set_if_absent("k", "w", MINUTE).await.unwrap());

    server.stop();
    assert!(store.get("k").await.is_err());
    assert!(!store.is_ready());
    server.restart().await;
    eventually("ready after a restart", || store.is_ready()).await;
    store.set("k", "v2", MINUTE).await.unwrap();
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some("v2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_at_startup_is_an_outage_not_a_setup_error() {
    let Some(mut server) = RedisServer::start("unreachable_at_startup", &[]).await else {
        return;
    };
    server.stop();
    // Creating it does no I/O, and it is tried once before it is judged.
    let store = store(&server.url(), json!({}));
    assert!(store.is_ready());
    let err = store.get("k").await.unwrap_err().0;
    assert!(err.contains("connection refused"), "{err}");
    assert!(!store.is_ready());

    server.restart().await;
    eventually("ready once the server is there", || store.is_ready()).await;
    store.set("k", "v", MINUTE).await.unwrap();
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some("v"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_reach_an_error() {
    let Some(server) = RedisServer::start("passwords", &["--requirepass", "right-pw-123"]).await
    else {
        return;
    };
    let port = server.port;
    let wrong = store(
        &format!("redis://:wrong-pw-456@127.0.0.1:{port}"),
        json!({}),
    );
    let err = wrong.get("k").await.unwrap_err().0;
    assert!(
        err.starts_with(&format!("redis at redis://127.0.0.1:{port}/0: ")),
        "{err}"
    );
    assert!(
        err.contains("WRONGPASS") || err.contains("authentication"),
        "{err}"
    );
    assert!(!err.contains("wrong-pw-456"), "{err}");
    let again = wrong.get("k").await.unwrap_err().0;
    assert!(!again.contains("wrong-pw-456"), "{again}");

    for url in [
        format!("redis://:right-pw-123@127.0.0.1:{port}"),
        format!("redis://default:right-pw-123@127.0.0.1:{port}/1"),
        format!("redis://:right-pw-123@127.0.0.1:{port}/0?protocol=resp2"),
    ] {
        let right = store(&url, json!({}));
        right.set("k", "v", MINUTE).await.unwrap();
        assert_eq!(right.get("k").await.unwrap().as_deref(), Some("v"));
    }

    let right = store(
        &format!("redis://:right-pw-123@127.0.0.1:{port}"),
        json!({}),
    );
    right.set("k", "v", MINUTE).await.unwrap();
    server.pause();
    let hung = right.get("k").await.unwrap_err().0;
    let down = right.get("k").await.unwrap_err().0;
    server.resume();
    for err in [hung, down] {
        assert!(!err.contains("right-pw-123"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_a_plain_server_is_an_outage_without_the_password() {
    let Some(server) = RedisServer::start("tls_to_plain", &[]).await else {
        return;
    };
    let store = store(
        &format!("rediss://:tls-pw-789@127.0.0.1:{}", server.port),
        json!({}),
    );
    let err = store.get("k").await.unwrap_err().0;
    assert!(
        err.starts_with(&format!("redis at rediss://127.0.0.1:{}/0: ", server.port)),
        "{err}"
    );
    assert!(!err.contains("tls-pw-789"), "{err}");
    assert!(!store.is_ready());
}
