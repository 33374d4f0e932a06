//! The fleet store: state that the processes of one deployment share
//! (introspection verdicts, DPoP replay markers), so that N processes behind
//! a load balancer do not multiply caches and replay windows by N. Every
//! binding reaches it through the one [`store::SharedStore`] interface; the
//! rules on top of it (keys, signed records, TTLs, lock-and-poll, the
//! circuit) are written here once.

pub mod redis_store;
pub mod store;
