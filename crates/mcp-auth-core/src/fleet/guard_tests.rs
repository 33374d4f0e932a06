//! The guard and its circuit (issue 20, item 5), moved from the TypeScript
//! `store-circuit` and `shared-store` tests with the same scenarios and
//! outcomes. The clock is tokio's paused one, so nothing depends on timing.
use super::*;
use crate::fleet::memory::MemoryStore;
use std::sync::Mutex;

fn guarded(timeout_ms: u64) -> (Arc<MemoryStore>, GuardedStore, Arc<Mutex<Vec<StoreEvent>>>) {
    let store = Arc::new(MemoryStore::new());
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let guard = GuardedStore::new(
        store.clone(),
        GuardOptions {
            timeout: Duration::from_millis(timeout_ms),
            probe_min: Duration::from_millis(100),
            probe_max: Duration::from_millis(400),
        },
        Some(Arc::new(move |event| sink.lock().unwrap().push(event))),
    );
    (store, guard, events)
}

fn kinds(events: &Mutex<Vec<StoreEvent>>) -> Vec<&'static str> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(StoreEvent::kind)
        .collect()
}

async fn advance(ms: u64) {
    tokio::time::advance(Duration::from_millis(ms)).await;
}

#[tokio::test(start_paused = true)]
async fn opens_on_a_failure_probes_at_a_doubling_bounded_interval_and_closes_on_success() {
    let (store, guard, events) = guarded(100);
    store.put_raw("k", "v", Duration::from_secs(3600));
    assert_eq!(guard.get("k").await, Some(Some("v".to_owned())));
    store.set_failing(true);
    assert_eq!(guard.get("k").await, None);
    assert_eq!(kinds(&events), ["store_unavailable"]);
    let after_failure = store.calls();

    for _ in 0..50 {
        assert_eq!(
            guard.set_if_absent("k", "v", Duration::from_secs(1)).await,
            None
        );
    }
    assert_eq!(
        store.calls(),
        after_failure,
        "an open circuit called the store"
    );

    // Probes after 100, then 200, then 400 ms, and never further apart than 400.
    let mut expected = after_failure;
    for wait in [100, 200, 400, 400] {
        advance(wait - 1).await;
        assert_eq!(guard.get("k").await, None);
        assert_eq!(store.calls(), expected, "a probe before {wait} ms");
        advance(1).await;
        let probe = guard.get("k");
        assert_eq!(guard.get("k").await, None, "while the probe is out");
        assert_eq!(probe.await, None);
        expected += 1;
        assert_eq!(
            store.calls(),
            expected,
            "one probe after {wait} ms, one at a time"
        );
    }
    assert_eq!(
        kinds(&events),
        ["store_unavailable"],
        "one event per outage"
    );

    store.set_failing(false);
    advance(400).await;
    assert_eq!(
        guard.get("k").await,
        Some(Some("v".to_owned())),
        "the probe"
    );
    assert_eq!(kinds(&events), ["store_unavailable", "store_recovered"]);
    let closed = store.calls();
    let ttl = Duration::from_secs(1);
    let (_, _, _) = tokio::join!(guard.get("k"), guard.set("k", "v", ttl), guard.delete("k"));
    assert_eq!(
        store.calls(),
        closed + 3,
        "closed: every operation reaches the store"
    );
}

#[tokio::test(start_paused = true)]
async fn a_store_that_is_not_ready_is_not_called_and_is_probed_at_once_when_ready() {
    let (store, guard, events) = guarded(100);
    store.put_raw("k", "v", Duration::from_secs(3600));
    store.set_ready(false);
    for _ in 0..10 {
        assert_eq!(guard.get("k").await, None);
    }
    assert_eq!(store.calls(), 0, "a store that is not ready was called");
    assert_eq!(kinds(&events), ["store_unavailable"]);
    advance(10_000).await;
    assert_eq!(guard.get("k").await, None);
    assert_eq!(store.calls(), 0, "not ready: no probe either");

    store.set_ready(true);
    assert_eq!(
        guard.get("k").await,
        Some(Some("v".to_owned())),
        "ready again: probed at once"
    );
    assert_eq!(store.calls(), 1);
    assert_eq!(kinds(&events), ["store_unavailable", "store_recovered"]);
}

#[tokio::test(start_paused = true)]
async fn a_hung_store_times_out_once_and_later_operations_do_not_wait() {
    let (store, guard, events) = guarded(20);
    store.set_hanging(true);
    let started = Instant::now();
    assert_eq!(guard.get("k").await, None);
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(20),
        "the deadline, not longer"
    );
    for _ in 0..100 {
        assert_eq!(guard.get("k").await, None);
    }
    assert_eq!(
        store.calls(),
        1,
        "each abandoned operation would stay queued in the client"
    );
    assert_eq!(kinds(&events), ["store_unavailable"]);
    let reason = match &events.lock().unwrap()[0] {
        StoreEvent::Unavailable { operation, reason } => (operation.as_str(), reason.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(reason, ("get", "no answer within 20 ms".to_owned()));
}

#[tokio::test]
async fn a_store_that_goes_down_is_a_miss_reported_once_then_its_recovery() {
    let (store, guard, events) = guarded(200);
    assert_eq!(guard.set("k", "v", Duration::from_secs(60)).await, Some(()));
    store.set_failing(true);
    for _ in 0..3 {
        let started = std::time::Instant::now();
        assert_eq!(guard.get("k").await, None);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a store operation outlived its deadline"
        );
    }
    {
        let seen = events.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(
            matches!(&seen[0], StoreEvent::Unavailable { operation: Operation::Get, reason } if reason == "connection refused")
        );
    }
    store.set_failing(false);
    let mut answered = None;
    for _ in 0..50 {
        answered = guard.get("k").await;
        if answered.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answered, Some(Some("v".to_owned())));
    assert_eq!(kinds(&events), ["store_unavailable", "store_recovered"]);
}

/// A store whose every operation panics.
struct Panicking;

impl SharedStore for Panicking {
    fn get<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async { panic!("get") })
    }
    fn set<'a>(&'a self, _: &'a str, _: &'a str, _: Duration) -> StoreFuture<'a, ()> {
        panic!("set")
    }
    fn set_if_absent<'a>(&'a self, _: &'a str, _: &'a str, _: Duration) -> StoreFuture<'a, bool> {
        panic!("set_if_absent")
    }
    fn delete<'a>(&'a self, _: &'a str) -> StoreFuture<'a, ()> {
        panic!("delete")
    }
    fn is_ready(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_panicking_store_or_listener_is_a_failure_never_an_unwinding() {
    let guard = GuardedStore::new(
        Arc::new(Panicking),
        GuardOptions::default(),
        Some(Arc::new(|_| panic!("listener"))),
    );
    assert_eq!(guard.get("k").await, None);
    assert_eq!(guard.set("k", "v", Duration::from_secs(1)).await, None);
}

#[test]
fn reasons_lose_url_credentials_and_are_bounded() {
    assert_eq!(
        scrub("connect ECONNREFUSED redis://default:hunter2@10.0.0.1:6379 and rediss://u@h/x"),
        "connect ECONNREFUSED redis://10.0.0.1:6379 and rediss://h/x"
    );
    assert_eq!(
        scrub("no credentials at http://host/path@x"),
        "no credentials at http://host/path@x"
    );
    assert_eq!(scrub("odd :// text @ here"), "odd :// text @ here");
    let long = scrub(&"x".repeat(1000));
    assert_eq!(long.chars().count(), MAX_REASON_CHARS + 1);
}

#[tokio::test(start_paused = true)]
async fn dispatch_slack_extends_the_guards_deadline_only() {
    let (store, guard, events) = guarded(20);
    let guard = guard.with_dispatch_slack(Duration::from_secs(1));
    assert_eq!(guard.timeout(), Duration::from_millis(20));
    store.set_hanging(true);
    let started = Instant::now();
    assert_eq!(guard.get("k").await, None);
    assert_eq!(started.elapsed(), Duration::from_millis(1020));
    assert!(
        matches!(&events.lock().unwrap()[0], StoreEvent::Unavailable { reason, .. } if reason == "no answer within 20 ms")
    );
}
