//! Signed records and scope ids, byte for byte as the TypeScript wrapper
//! wrote them: the expected strings were computed with its
//! `dist/store-records.js` and `dist/introspection-verifier.js` (commit
//! c1a47ad), so a fleet mid-upgrade reads its own records.
use super::*;
use crate::fleet::guard::GuardOptions;
use crate::fleet::introspection::IntrospectionFleet;
use crate::fleet::memory::MemoryStore;
use crate::fleet::scope::scope_id;
use crate::options::introspection::IntrospectorOptions;
use std::sync::Mutex;

const FLEET_SECRET: &str = "fleet-secret-for-tests-0123456789abcdef";

fn secret() -> StoreSecret {
    StoreSecret::new(
        Some(FLEET_SECRET.as_bytes()),
        "introspection.storeSecret",
        "a string",
    )
    .unwrap()
}

#[test]
fn records_are_sealed_as_the_typescript_wrapper_sealed_them() {
    let record = r#"{"v":1,"until":1700000000000}"#;
    assert_eq!(
        secret().seal("introspection:abc:def", record),
        format!("piumV-JFHe-x7P2rmyDNXisyvLJweT5LY-9VcvRHehU.{record}")
    );
    assert_eq!(
        secret().seal("introspection:abc:def:lock", "1"),
        "kCR8SggQD-XJMqyRtkZzA-B1oZuGta9zYF9Rw9_OmZE.1"
    );
}

#[test]
fn scope_ids_are_the_typescript_wrappers() {
    let settings = serde_json::json!({ "b": [1, { "z": null, "a": "é\"\n" }], "a": true });
    assert_eq!(scope_id(&secret(), &settings), "Hbqr29MfDfZt8wK9sKgoCw");

    let fleet = |options: serde_json::Value, secret: StoreSecret, resource: Option<&str>| {
        let options = IntrospectorOptions::from_json(options).unwrap();
        IntrospectionFleet::new(
            Arc::new(MemoryStore::new()),
            secret,
            &options,
            resource,
            None,
        )
        .unwrap()
    };
    // What the wrapper passed for { clientId, clientSecret, store, storeSecret, storeTimeout: 200, cacheSize: 64 }
    // with a claim rule and a clock tolerance.
    let with_claims = fleet(
        serde_json::json!({"clientId":"rs","clientSecret":"s3cret","cacheSize":64,"issuer":"https://as.example.com",
            "issuerType":"oauth","audiences":["https://mcp.example.com/mcp"],"maxTokenLength":4096,"clockTolerance":30,
            "requiredClaimValues":{"token_use":"access","b":"x"},"storeTimeout":200}),
        secret(),
        Some("https://mcp.example.com/mcp"),
    );
    assert_eq!(
        with_claims.key("tok-pin"),
        "introspection:QcXxyHMB5p5VHGlorik8-5:Dr9wmF_oCXwTW7BEXDf4ai5Q0AhR7Gkq3Q11KvDQYkY"
    );
    let any_audience = fleet(
        serde_json::json!({"clientId":"rs","clientSecret":"s3cret","acceptMissingAudience":true,"issuer":"https://as.example.com",
            "issuerType":"oidc","allowAnyAudience":true,"maxTokenLength":8192,"endpoint":"https://as.example.com/oauth/introspect"}),
        StoreSecret::new(Some(&[7u8; 32]), "introspection.storeSecret", "bytes").unwrap(),
        None,
    );
    assert_eq!(
        any_audience.key("tok-pin"),
        "introspection:OlMDaQ5JftXp_dGe6fH-BF:Dr9wmF_oCXwTW7BEXDf4ai5Q0AhR7Gkq3Q11KvDQYkY"
    );
}

#[test]
fn a_verdict_option_splits_the_keyspace_and_a_credential_or_timing_does_not() {
    let key = |options: serde_json::Value| {
        let options = IntrospectorOptions::from_json(options).unwrap();
        IntrospectionFleet::new(
            Arc::new(MemoryStore::new()),
            secret(),
            &options,
            Some("https://r"),
            None,
        )
        .unwrap()
        .key("t")
    };
    let base = serde_json::json!({ "issuer": "https://as.example.com", "clientId": "rs", "clientSecret": "a" });
    let with = |name: &str, value: serde_json::Value| {
        let mut options = base.clone();
        options[name] = value;
        key(options)
    };
    let plain = key(base.clone());
    for (name, value) in [
        ("clientSecret", "b".into()),
        ("timeout", 900.into()),
        ("cacheSize", 1.into()),
        ("storeTimeout", 20.into()),
    ] {
        assert_eq!(with(name, value), plain, "{name} split the keyspace");
    }
    for (name, value) in [
        ("issuer", "https://other.example.com".into()),
        ("requiredClaims", serde_json::json!(["x"])),
        ("acceptMissingAudience", true.into()),
    ] {
        assert_ne!(with(name, value), plain, "{name} shared records");
    }
}

#[test]
fn secrets_shorter_than_32_bytes_or_of_no_accepted_type_are_refused_by_name_only() {
    for bytes in [None, Some(&b"short-secret-value-31-bytes-xxx"[..])] {
        let err = StoreSecret::new(
            bytes,
            "introspection.storeSecret",
            "a string or a Uint8Array (Buffer)",
        )
        .unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidConfig);
        assert_eq!(
            err.reason,
            "`introspection.storeSecret` is required with a fleet store and must be a string or a Uint8Array (Buffer) of at least 32 bytes, the same for every process of the fleet."
        );
    }
    assert!(format!("{:?}", secret()).find(FLEET_SECRET).is_none());
}

#[tokio::test]
async fn a_record_not_signed_for_its_key_is_a_miss_and_reported() {
    let memory = Arc::new(MemoryStore::new());
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let guard = GuardedStore::new(
        memory.clone(),
        GuardOptions::default(),
        Some(Arc::new(move |event| sink.lock().unwrap().push(event))),
    );
    let signed = SignedStore::new(Arc::new(guard), secret());
    let ttl = Duration::from_secs(60);
    signed.set("a", "value-a", ttl).await;
    assert_eq!(signed.get("a").await, Some(Some("value-a".to_owned())));
    assert_eq!(memory.raw("a").unwrap(), secret().seal("a", "value-a"));

    // Moved under another key, unsigned, altered, truncated.
    let sealed = memory.raw("a").unwrap();
    memory.put_raw("moved", &sealed, ttl);
    memory.put_raw("plain", r#"{"v":1}"#, ttl);
    memory.put_raw("altered", &sealed.replace("value-a", "value-b"), ttl);
    memory.put_raw("short", &sealed[..43], ttl);
    for key in ["moved", "plain", "altered", "short"] {
        assert_eq!(signed.get(key).await, Some(None), "{key} was accepted");
    }
    let reasons: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .map(|event| match event {
            StoreEvent::RecordRejected { reason } => reason.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(reasons, ["bad_mac", "unreadable", "bad_mac", "unreadable"]);
    // Under another secret, the fleet's own records are forgeries.
    let other = StoreSecret::new(Some(&[1u8; 32]), "s", "bytes").unwrap();
    assert_eq!(other.open("a", &sealed), Err(RecordRejection::BadMac));
}
