//! The DPoP fleet claim over the in-memory store: one process wins a
//! proof, the store holds hashes only for the proof's window, an outage
//! fails closed, and a refused proof holds no local slot.
use super::*;
use crate::dpop::proof::{DpopRules, Mode};
use crate::dpop::replay_cache::Limits;
use crate::fleet::memory::MemoryStore;

fn checker() -> DpopChecker {
    let rules = DpopRules {
        algorithms: crate::keys::algorithms::all(),
        iat_window: 300,
        origin: "https://mcp.example.com".into(),
    };
    // One slot per key: a slot kept after a refusal would lock the key out.
    let limits = Limits {
        capacity: 10,
        per_key: 1,
        ahead_per_key: 1,
    };
    DpopChecker::new(Mode::Allowed, rules, None, limits)
}

fn proof(jti: u8) -> CheckedProof {
    CheckedProof {
        replay_digest: [jti; 32],
        key: 7,
        remaining: 300,
        ahead: false,
        nonce: None,
    }
}

fn fleet(shared: &Arc<MemoryStore>) -> DpopFleet {
    DpopFleet::new(shared.clone(), &DpopOptions::default(), None).unwrap()
}

#[tokio::test]
async fn a_proof_claimed_at_one_process_is_a_replay_at_the_other() {
    let shared = Arc::new(MemoryStore::new());
    let (a, b) = ((checker(), fleet(&shared)), (checker(), fleet(&shared)));
    let once = proof(1);
    a.0.record(&once).unwrap();
    a.1.claim(&a.0, &once).await.unwrap();
    b.0.record(&once).unwrap();
    let refused = b.1.claim(&b.0, &once).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::DpopReplayed);
    // B's slot went back: its key may use a fresh proof there.
    let fresh = proof(2);
    b.0.record(&fresh).unwrap();
    b.1.claim(&b.0, &fresh).await.unwrap();
    // A local replay is refused before the store is asked.
    let calls = shared.calls();
    assert_eq!(a.0.record(&once).unwrap_err().code, ErrorCode::DpopReplayed);
    assert_eq!(shared.calls(), calls);
}

#[tokio::test]
async fn markers_are_hashes_kept_for_the_window_plus_slack() {
    let shared = Arc::new(MemoryStore::new());
    let (checker, fleet) = (checker(), fleet(&shared));
    let once = proof(3);
    checker.record(&once).unwrap();
    fleet.claim(&checker, &once).await.unwrap();
    let keys = shared.keys();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert!(key.starts_with("dpop:") && key.len() == 5 + 43, "{key}");
    assert!(key[5..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(shared.raw(key).as_deref(), Some("1"));
    let ttl = shared.ttl(key).unwrap();
    assert!(
        ttl > Duration::from_secs(359) && ttl <= Duration::from_secs(360),
        "{ttl:?}"
    );
}

#[tokio::test]
async fn the_store_out_fails_closed_with_retry_after_and_holds_no_local_slot() {
    let shared = Arc::new(MemoryStore::new());
    shared.set_failing(true);
    let (checker, fleet) = (checker(), fleet(&shared));
    for jti in [4, 5] {
        let p = proof(jti);
        checker.record(&p).unwrap();
        let err = fleet.claim(&checker, &p).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::DpopReplayStoreUnavailable);
        assert_eq!(err.retry_after, Some(1));
    }
    // Retried with the same proof once the store is back: accepted once.
    shared.set_failing(false);
    tokio::time::sleep(crate::fleet::circuit::DEFAULT_PROBE_MIN).await;
    let p = proof(4);
    checker.record(&p).unwrap();
    fleet.claim(&checker, &p).await.unwrap();
    assert_eq!(
        checker.record(&p).unwrap_err().code,
        ErrorCode::DpopReplayed
    );
}

#[test]
fn store_timeout_out_of_range_is_refused_by_name() {
    let options = DpopOptions {
        store_timeout: Some(0.0),
        ..DpopOptions::default()
    };
    let err = DpopFleet::new(Arc::new(MemoryStore::new()), &options, None)
        .err()
        .unwrap();
    assert!(err.reason.starts_with(
        "`dpop.storeTimeout` must be an integer number of milliseconds from 1 to 60000"
    ));
}
