//! What a fleet store offers. A binding implements it over a client its
//! users bring (node-redis in Node, for example); the core also has its own
//! Redis client. Keys are chosen by the core and values are text that never
//! holds a token or a secret.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A store operation in flight.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Why a store operation failed: a short description that carries no
/// credentials (a URL's user information is removed before it gets here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// A key-value store with expiry and an atomic set-if-absent, shared by the fleet.
pub trait SharedStore: Send + Sync {
    /// The value under `key`, or `None` when there is none.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Stores `value` under `key` for `ttl`.
    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> StoreFuture<'a, ()>;
    /// Atomically stores `value` for `ttl` unless `key` exists; `true` when this call stored it.
    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool>;
    /// Removes `key`.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
    /// `false` while the client cannot send (disconnected, reconnecting): the
    /// store is then not called at all, so nothing queues up in the client.
    fn is_ready(&self) -> bool {
        true
    }
}
