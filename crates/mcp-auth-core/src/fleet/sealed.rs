//! Signed records whose value is also encrypted (`cipher.rs`), for records
//! that hold a secret. Encrypted first, then signed as every record is
//! (`records.rs`): the fleet's one record format stays, a forged or moved
//! value is refused by the MAC before any decryption, and the AEAD tag
//! (the store key as associated data) stands on its own should a record
//! ever pass the MAC without being this fleet's. Either failure is a miss
//! and a `store_record_rejected` event; the value never appears.

use crate::fleet::guard::{GuardedStore, RecordRejection, StoreEvent};
use crate::fleet::records::SignedStore;
use crate::fleet::single_flight::{Records, RecordsFuture};
use std::time::Duration;

pub struct SealedStore {
    records: SignedStore,
}

impl SealedStore {
    pub fn new(records: SignedStore) -> Self {
        Self { records }
    }

    pub fn guard(&self) -> &GuardedStore {
        self.records.guard()
    }

    /// The same records over a changed guard (before the guard is shared).
    pub fn map_guard(self, change: impl FnOnce(GuardedStore) -> GuardedStore) -> Self {
        Self {
            records: self.records.map_guard(change),
        }
    }

    fn encrypt(&self, key: &str, value: &str) -> Option<String> {
        self.records.secret().cipher().encrypt(key, value)
    }
}

impl Records for SealedStore {
    fn get<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, Option<String>> {
        Box::pin(async move {
            let Some(sealed) = self.records.get(key).await? else {
                return Some(None);
            };
            match self.records.secret().cipher().decrypt(key, &sealed) {
                Some(value) => Some(Some(value)),
                None => {
                    self.guard().report(StoreEvent::RecordRejected {
                        reason: RecordRejection::Undecryptable,
                    });
                    Some(None)
                }
            }
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> RecordsFuture<'a, ()> {
        let sealed = self.encrypt(key, value);
        Box::pin(async move { self.records.set(key, &sealed?, ttl).await })
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> RecordsFuture<'a, bool> {
        let sealed = self.encrypt(key, value);
        Box::pin(async move { self.records.set_if_absent(key, &sealed?, ttl).await })
    }

    fn delete<'a>(&'a self, key: &'a str) -> RecordsFuture<'a, ()> {
        self.records.delete(key)
    }
}
