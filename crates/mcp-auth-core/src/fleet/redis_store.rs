//! The core's own fleet store: a [`SharedStore`] on Redis, configured by a
//! URL, the same for every binding.
//!
//! It speaks exactly as `redisStore(client)` does over node-redis: `GET`,
//! `SET key value PX ttl`, `SET … NX`, `DEL`, every key behind the same
//! prefix, the TTL in whole milliseconds rounded up (at least 1). So
//! processes using either client, in any language, share one fleet.
//!
//! Memory stays bounded whatever Redis does: no command waits for a
//! connection (see `link.rs`), at most `max_in_flight` commands await
//! a reply, and each of them for at most the response timeout.

pub mod errors;
pub mod link;
pub mod target;

use super::store::{SharedStore, StoreError, StoreFuture};
use errors::{describe, is_reply};
pub use link::Timing;
use link::{Link, Unavailable};
use redis::{Cmd, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
pub use target::RedisTarget;

/// A validated configuration (see `options::redis_store` for its limits).
#[derive(Debug)]
pub struct RedisStoreConfig {
    pub target: RedisTarget,
    pub prefix: String,
    pub timing: Timing,
    pub max_in_flight: usize,
}

/// A fleet store on Redis. Creating one does no I/O: it connects on first
/// use and in the background, so a Redis that is down at startup is an
/// outage like any other, not a setup error.
pub struct RedisStore {
    link: Arc<Link>,
    prefix: String,
    in_flight: InFlight,
}

impl RedisStore {
    pub fn new(config: RedisStoreConfig) -> Self {
        Self {
            link: Link::new(config.target, config.timing),
            prefix: config.prefix,
            in_flight: InFlight {
                count: AtomicUsize::new(0),
                max: config.max_in_flight,
            },
        }
    }

    /// Commands now awaiting a reply.
    pub fn in_flight(&self) -> usize {
        self.in_flight.count.load(Ordering::Acquire)
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn error(&self, what: &str) -> StoreError {
        let target = self.link.target();
        StoreError(target.scrub(format!("redis at {}: {what}", target.shown())))
    }

    /// Sends one command and returns its reply; server error replies are errors.
    async fn run(&self, cmd: Cmd) -> Result<Value, StoreError> {
        let Some(_pass) = self.in_flight.enter() else {
            let max = self.in_flight.max;
            return Err(self.error(&format!(
                "{max} commands already await a reply (maxInFlight)"
            )));
        };
        let (mut connection, generation) =
            self.link.connection().await.map_err(|why| match why {
                Unavailable::Down(reason) => self.error(&format!("not connected ({reason})")),
                Unavailable::NoRuntime => self.error("no async runtime to connect from"),
            })?;
        let reply = connection
            .send_packed_command(&cmd)
            .await
            .and_then(Value::extract_error);
        reply.map_err(|err| {
            let what = describe(&err, self.link.timing().response_timeout);
            if !is_reply(&err) {
                // A timeout or a broken connection: replace the connection,
                // with whatever replies it still awaits.
                self.link.lost(generation, &what);
            }
            self.error(&what)
        })
    }

    fn unexpected(&self, command: &str) -> StoreError {
        self.error(&format!("unexpected reply to {command}"))
    }
}

/// The TTL as `redisStore(client)` writes it: whole milliseconds, rounded
/// up, at least 1.
fn ttl_ms(ttl: Duration) -> u64 {
    let ms = ttl.as_nanos().div_ceil(1_000_000).max(1);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

fn set(key: String, value: &str, ttl: Duration) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value).arg("PX").arg(ttl_ms(ttl));
    cmd
}

impl SharedStore for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("GET");
            cmd.arg(self.key(key));
            match self.run(cmd).await? {
                Value::Nil => Ok(None),
                // As node-redis decodes a reply: UTF-8, invalid bytes replaced.
                Value::BulkString(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                Value::SimpleString(text) => Ok(Some(text)),
                Value::VerbatimString { text, .. } => Ok(Some(text)),
                _ => Err(self.unexpected("GET")),
            }
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            match self.run(set(self.key(key), value, ttl)).await? {
                Value::Okay => Ok(()),
                _ => Err(self.unexpected("SET")),
            }
        })
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut cmd = set(self.key(key), value, ttl);
            cmd.arg("NX");
            match self.run(cmd).await? {
                Value::Okay => Ok(true),
                Value::Nil => Ok(false),
                _ => Err(self.unexpected("SET NX")),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut cmd = redis::cmd("DEL");
            cmd.arg(self.key(key));
            match self.run(cmd).await? {
                Value::Int(_) => Ok(()),
                _ => Err(self.unexpected("DEL")),
            }
        })
    }

    fn is_ready(&self) -> bool {
        self.link.ready()
    }
}

/// The bound on commands awaiting a reply: past it a command fails at once.
struct InFlight {
    count: AtomicUsize,
    max: usize,
}

struct Pass<'a>(&'a AtomicUsize);

impl InFlight {
    fn enter(&self) -> Option<Pass<'_>> {
        let before = self.count.fetch_add(1, Ordering::AcqRel);
        if before >= self.max {
            self.count.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Pass(&self.count))
    }
}

impl Drop for Pass<'_> {
    // Also when the caller gives up on the command (a deadline drops its future).
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_to_whole_milliseconds_like_the_node_adapter() {
        assert_eq!(ttl_ms(Duration::ZERO), 1);
        assert_eq!(ttl_ms(Duration::from_micros(1)), 1);
        assert_eq!(ttl_ms(Duration::from_micros(1_500)), 2);
        assert_eq!(ttl_ms(Duration::from_millis(60_000)), 60_000);
        assert_eq!(ttl_ms(Duration::MAX), u64::MAX);
    }

    #[test]
    fn in_flight_is_bounded() {
        let gate = InFlight {
            count: AtomicUsize::new(0),
            max: 2,
        };
        let a = gate.enter();
        let b = gate.enter();
        assert!(a.is_some() && b.is_some());
        assert!(gate.enter().is_none());
        drop(a);
        assert!(gate.enter().is_some());
        drop(b);
        assert_eq!(gate.count.load(Ordering::Acquire), 0);
    }
}

#[cfg(test)]
mod tests;
