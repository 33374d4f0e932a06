use super::*;

const KEY_A: &str = "mcpk_aaaaaaaaaaaaaaaaaaaaaaaa";
const KEY_B: &str = "mcpk_bbbbbbbbbbbbbbbbbbbbbbbb";

fn entry(key: &str, subject: &str) -> ApiKeyEntry {
    ApiKeyEntry {
        hash: hash_api_key(key).unwrap(),
        subject: subject.into(),
        client_id: Some(format!("{subject}-client")),
        scopes: Some(vec!["read".into()]),
    }
}

#[test]
fn hash_is_sha256_base64url() {
    // SHA-256 of the key, checked against an independent digest.
    let hash = hash_api_key(KEY_A).unwrap();
    let expected = URL_SAFE_NO_PAD.encode(digest(&SHA256, KEY_A.as_bytes()));
    assert_eq!(hash, format!("sha256:{expected}"));
    assert_eq!(hash.len(), "sha256:".len() + 43);
    assert_eq!(
        hash_api_key("short").unwrap_err().code,
        ErrorCode::InvalidConfig
    );
}

#[test]
fn a_known_key_maps_to_its_fixed_identity() {
    let store = ApiKeyStore::new(&[entry(KEY_A, "a"), entry(KEY_B, "b")]).unwrap();
    let identity = store.verify(KEY_B).unwrap();
    assert_eq!(identity.subject, "b");
    assert_eq!(identity.client_id.as_deref(), Some("b-client"));
    assert_eq!(identity.scopes, vec!["read".to_string()]);
}

#[test]
fn an_unknown_key_is_token_inactive() {
    let store = ApiKeyStore::new(&[entry(KEY_A, "a")]).unwrap();
    let err = store.verify("mcpk_aaaaaaaaaaaaaaaaaaaaaaab").unwrap_err();
    assert_eq!(err.code, ErrorCode::TokenInactive);
    // The stored hash itself is not a key.
    assert!(store.verify(&hash_api_key(KEY_A).unwrap()).is_err());
}

#[test]
fn plain_keys_and_bad_entries_are_refused() {
    let mut plain = entry(KEY_A, "a");
    plain.hash = KEY_A.into();
    let err = ApiKeyStore::new(&[plain]).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidConfig);
    assert!(
        !err.reason.contains(KEY_A),
        "a misplaced key is never echoed"
    );

    let mut short = entry(KEY_A, "a");
    short.hash = "sha256:AAAA".into();
    assert!(ApiKeyStore::new(&[short]).is_err());
    assert!(ApiKeyStore::new(&[entry(KEY_A, "a"), entry(KEY_A, "b")]).is_err());
    assert!(ApiKeyStore::new(&[entry(KEY_A, "")]).is_err());
    let mut scoped = entry(KEY_A, "a");
    scoped.scopes = Some(vec!["two words".into()]);
    assert!(ApiKeyStore::new(&[scoped]).is_err());
}

#[test]
fn rotation_replaces_the_whole_set_and_keeps_it_on_error() {
    let store = ApiKeyStore::new(&[entry(KEY_A, "a")]).unwrap();
    store.set_keys(&[entry(KEY_B, "b")]).unwrap();
    assert!(store.verify(KEY_A).is_err());
    assert_eq!(store.verify(KEY_B).unwrap().subject, "b");
    let mut bad = entry(KEY_A, "a");
    bad.hash = "md5:x".into();
    assert!(store.set_keys(&[bad]).is_err());
    assert_eq!(
        store.verify(KEY_B).unwrap().subject,
        "b",
        "a failed rotation keeps the old keys"
    );
    assert_eq!(store.len(), 1);
}
