//! Lock-and-poll (moved from the TypeScript `shared-store` test: two
//! processes are two guarded stores over one shared store here).
use super::*;
use crate::fleet::guard::GuardOptions;
use crate::fleet::memory::MemoryStore;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn process(shared: &Arc<MemoryStore>) -> GuardedStore {
    GuardedStore::new(
        shared.clone(),
        GuardOptions {
            timeout: Duration::from_secs(2),
            ..GuardOptions::default()
        },
        None,
    )
}

const TIMING: FlightTiming = FlightTiming {
    lock_ttl: Duration::from_secs(5),
    poll: Duration::from_millis(20),
};

/// One computation: counted, answered after 300 ms.
async fn counted(calls: &AtomicUsize) -> Result<(String, Duration), ()> {
    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok((format!("result-{n}"), Duration::from_secs(60)))
}

#[tokio::test]
async fn two_processes_asking_at_once_one_computes_the_other_waits_for_its_result() {
    let shared = Arc::new(MemoryStore::new());
    let calls = AtomicUsize::new(0);
    let (a, b) = (process(&shared), process(&shared));
    let (x, y) = tokio::join!(
        single_flight(&a, "token-hash-1", counted(&calls), TIMING),
        single_flight(&b, "token-hash-1", counted(&calls), TIMING),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        (x.value.as_str(), y.value.as_str()),
        ("result-1", "result-1")
    );
    let mut computed = [x.computed, y.computed];
    computed.sort();
    assert_eq!(computed, [false, true]);
    // Later processes find it stored; the lock is gone.
    let later = single_flight(&process(&shared), "token-hash-1", counted(&calls), TIMING).await;
    assert_eq!(
        later,
        Ok(Flown {
            value: "result-1".into(),
            computed: false
        })
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(shared.keys(), ["token-hash-1"]);
}

#[tokio::test]
async fn without_a_store_that_answers_each_process_computes_for_itself() {
    let shared = Arc::new(MemoryStore::new());
    shared.set_failing(true);
    let unavailable = GuardedStore::new(
        shared,
        GuardOptions {
            timeout: Duration::from_millis(100),
            ..GuardOptions::default()
        },
        None,
    );
    let computed = AtomicUsize::new(0);
    let compute = async {
        let n = computed.fetch_add(1, Ordering::SeqCst) + 1;
        Ok::<_, ()>((format!("v{n}"), Duration::from_secs(1)))
    };
    let timing = FlightTiming {
        lock_ttl: Duration::from_secs(1),
        poll: Duration::from_millis(10),
    };
    let result = single_flight(&unavailable, "k", compute, timing).await;
    assert_eq!(
        result,
        Ok(Flown {
            value: "v1".into(),
            computed: true
        })
    );
}

#[tokio::test]
async fn a_holder_that_fails_releases_the_lock_and_a_waiter_computes_at_once() {
    let shared = Arc::new(MemoryStore::new());
    let (a, b) = (process(&shared), process(&shared));
    let failing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Err::<(String, Duration), &str>("endpoint down")
    };
    let late = async {
        // Starts once the first holds the lock.
        tokio::time::sleep(Duration::from_millis(30)).await;
        single_flight(
            &b,
            "k",
            async { Ok::<_, &str>(("mine".to_owned(), Duration::ZERO)) },
            TIMING,
        )
        .await
    };
    let started = tokio::time::Instant::now();
    let (first, second) = tokio::join!(single_flight(&a, "k", failing, TIMING), late);
    assert_eq!(first, Err("endpoint down"));
    assert_eq!(
        second,
        Ok(Flown {
            value: "mine".into(),
            computed: true
        })
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the waiter sat out the lock's TTL"
    );
    // A zero TTL stores nothing; the lock was released.
    assert!(shared.keys().is_empty(), "{:?}", shared.keys());
}
