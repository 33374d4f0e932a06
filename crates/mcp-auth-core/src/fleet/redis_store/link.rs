//! One connection to Redis, kept up by a background task.
//!
//! Built on the `redis` crate's multiplexed connection rather than its
//! `ConnectionManager`, which makes callers wait on a reconnection in
//! progress, keeps a connection whose server hangs, and has no readiness
//! signal. Here a command is sent only over a connection that answered:
//! while none is up, commands fail at once (no queue), `ready()` is false
//! so the fleet's circuit skips the store, and one task reconnects with a
//! capped, jittered backoff. A connection that times out or fails is
//! dropped whole (its socket and the replies it still awaited go with it).

use super::errors::describe_connecting;
use super::target::RedisTarget;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, RedisResult};
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// The first wait before reconnecting; it doubles up to `reconnect_max_delay`.
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// The time bounds of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// One connection attempt, TLS and authentication included.
    pub connect_timeout: Duration,
    /// One command, from sending it to its reply; also the first `PING`.
    pub response_timeout: Duration,
    /// Longest wait between two connection attempts.
    pub reconnect_max_delay: Duration,
}

enum State {
    /// Nothing tried yet: the first command starts the connection.
    Idle,
    /// The first attempt is under way; commands wait for it (bounded).
    FirstConnect,
    Up {
        connection: MultiplexedConnection,
        generation: u64,
    },
    /// The reconnecting task runs; `reason` says what failed last.
    Down { reason: Arc<str> },
}

/// Why no connection could be handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Disconnected, with the last failure's description.
    Down(Arc<str>),
    /// Called outside a tokio runtime: nothing can connect.
    NoRuntime,
}

pub struct Link {
    target: RedisTarget,
    timing: Timing,
    state: watch::Sender<State>,
    generations: AtomicU64,
}

impl Timing {
    /// Longest a connection attempt takes: connecting, then the first `PING`.
    pub fn attempt(&self) -> Duration {
        self.connect_timeout + self.response_timeout
    }
}

impl Link {
    /// A link that has not connected yet; nothing happens until it is used.
    pub fn new(target: RedisTarget, timing: Timing) -> Arc<Self> {
        Arc::new(Self {
            target,
            timing,
            state: watch::Sender::new(State::Idle),
            generations: AtomicU64::new(0),
        })
    }

    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// `false` while disconnected. Before the first use it is `true`, so
    /// that the first command is attempted and starts the connection.
    pub fn ready(&self) -> bool {
        !matches!(*self.state.borrow(), State::Down { .. })
    }

    /// The connection to send over and its generation (for [`Link::lost`]).
    pub async fn connection(self: &Arc<Self>) -> Result<(MultiplexedConnection, u64), Unavailable> {
        let mut start = false;
        self.state.send_if_modified(|state| {
            start = matches!(state, State::Idle);
            if start {
                *state = State::FirstConnect;
            }
            start
        });
        if start {
            self.spawn_reconnect()?;
        }
        if let Some(ready) = self.current() {
            return ready;
        }
        // Only the very first attempt is waited for, never longer than it can take.
        let mut changes = self.state.subscribe();
        let wait = changes.wait_for(|state| !matches!(state, State::FirstConnect));
        let bound = self.timing.attempt();
        let settled = tokio::time::timeout(bound, wait).await.is_ok();
        match self.current() {
            Some(outcome) => outcome,
            None if settled => Err(Unavailable::Down("not connected".into())),
            None => Err(Unavailable::Down("still connecting".into())),
        }
    }

    /// The state's answer, or `None` while the first attempt is under way.
    fn current(&self) -> Option<Result<(MultiplexedConnection, u64), Unavailable>> {
        match &*self.state.borrow() {
            State::Up {
                connection,
                generation,
            } => Some(Ok((connection.clone(), *generation))),
            State::Down { reason } => Some(Err(Unavailable::Down(reason.clone()))),
            State::Idle | State::FirstConnect => None,
        }
    }

    /// The connection of `generation` failed: drop it and reconnect, unless
    /// a newer one already replaced it.
    pub fn lost(self: &Arc<Self>, generation: u64, reason: &str) {
        let dropped = self.state.send_if_modified(|state| match state {
            State::Up { generation: g, .. } if *g == generation => {
                *state = State::Down {
                    reason: reason.into(),
                };
                true
            }
            _ => false,
        });
        if dropped {
            // Outside a runtime (a push from a dying driver) nothing can
            // reconnect; the next command that gets one retries.
            let _ = self.spawn_reconnect();
        }
    }

    fn spawn_reconnect(self: &Arc<Self>) -> Result<(), Unavailable> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            // Leave it startable again by a command that runs in a runtime.
            self.state.send_replace(State::Idle);
            Unavailable::NoRuntime
        })?;
        runtime.spawn(reconnect(Arc::downgrade(self)));
        Ok(())
    }

    /// One attempt: connect (bounded by the connect timeout), then a `PING`
    /// (bounded by the response timeout), since a server that accepts but
    /// hangs would otherwise pass.
    async fn connect_once(self: &Arc<Self>) -> RedisResult<(MultiplexedConnection, u64)> {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let mut config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timing.connect_timeout))
            .set_response_timeout(Some(self.timing.response_timeout));
        if self.target.protocol.supports_resp3() {
            // RESP3 reports a closed socket at once, even with no command in flight.
            let link = Arc::downgrade(self);
            config = config.set_push_sender(move |info: PushInfo| {
                if info.kind == PushKind::Disconnection {
                    if let Some(link) = link.upgrade() {
                        link.lost(generation, "connection lost");
                    }
                }
                Ok::<(), std::convert::Infallible>(())
            });
        }
        let mut connection = self
            .target
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("PING")
            .query_async::<()>(&mut connection)
            .await?;
        Ok((connection, generation))
    }
}

/// Reconnects until a connection answers or the store is dropped.
async fn reconnect(link: Weak<Link>) {
    let mut delay = FIRST_RETRY;
    loop {
        let Some(strong) = link.upgrade() else {
            return;
        };
        let failure = match strong.connect_once().await {
            Ok((connection, generation)) => {
                strong.state.send_replace(State::Up {
                    connection,
                    generation,
                });
                return;
            }
            Err(err) => strong
                .target
                .scrub(describe_connecting(&err, strong.timing.attempt())),
        };
        strong.state.send_replace(State::Down {
            reason: failure.into(),
        });
        let cap = strong.timing.reconnect_max_delay;
        drop(strong);
        delay = delay.min(cap);
        tokio::time::sleep(jittered(delay)).await;
        delay = delay.saturating_mul(2);
    }
}

/// Between half and all of `delay`, so a fleet does not reconnect in step.
fn jittered(delay: Duration) -> Duration {
    let random = RandomState::new().hash_one(std::time::Instant::now());
    let half = delay / 2;
    half + half.mul_f64((random % 1024) as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_and_all_of_the_delay() {
        for ms in [2u64, 100, 5_000, 300_000] {
            let delay = Duration::from_millis(ms);
            for _ in 0..50 {
                let got = jittered(delay);
                assert!(got >= delay / 2 && got <= delay, "{got:?} for {delay:?}");
            }
        }
    }
}
