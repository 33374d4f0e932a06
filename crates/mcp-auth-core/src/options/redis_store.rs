//! The options of the core's Redis store (plain data) → a validated
//! `RedisStoreConfig`: the one place they are checked, by name, unit and range.

use crate::error::{AuthError, AuthResult};
use crate::fleet::redis_store::{RedisStoreConfig, RedisTarget, Timing};
use crate::options::decode::{self, decode};
use crate::options::values::{integer, millis, number};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

pub const DEFAULT_PREFIX: &str = "mcp-auth-rs:";
pub const MAX_PREFIX_BYTES: usize = 1024;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(1_000);
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_millis(200);
pub const DEFAULT_RECONNECT_MAX_DELAY: Duration = Duration::from_millis(5_000);
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 1_000;

// No `Debug`: `url` may hold a password.
#[derive(Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedisStoreOptions {
    /// The server: `redis://[user[:password]@]host[:port][/db]`, `rediss://…`
    /// (TLS, the certificate checked against the system's roots) or
    /// `redis+unix:///path/to/socket?db=N&user=…&pass=…`. Required. The
    /// client speaks RESP3 (Redis 6 and later); add `?protocol=resp2` for
    /// an older server, which then is found disconnected only by a failing
    /// command. Errors show it without user, password or query.
    pub url: String,
    /// Prepended to every key, as `redisStore(client, { prefix })` does
    /// (default `mcp-auth-rs:`, at most 1024 bytes).
    pub prefix: Option<String>,
    /// Milliseconds one connection attempt may take, TLS and
    /// authentication included (default 1000, 1 to 60000).
    #[serde(default, deserialize_with = "number")]
    pub connect_timeout: Option<f64>,
    /// Milliseconds a command may wait for its reply; past it the command
    /// fails and the connection is replaced (default 200, 1 to 60000). Keep
    /// it below the store deadline (`storeTimeout`, default 250) so that the
    /// client itself notices a server that hangs.
    #[serde(default, deserialize_with = "number")]
    pub response_timeout: Option<f64>,
    /// Longest wait in milliseconds between two connection attempts while
    /// Redis is unreachable; waits start at 100 and double (default 5000,
    /// 100 to 300000).
    #[serde(default, deserialize_with = "number")]
    pub reconnect_max_delay: Option<f64>,
    /// Commands that may await a reply at once; more fail at once rather
    /// than queue (default 1000, 1 to 100000).
    #[serde(default, deserialize_with = "number")]
    pub max_in_flight: Option<f64>,
}

/// Where a field sits in the public options.
fn public_path(keys: &[&str]) -> String {
    format!("redisStore.{}", keys.join("."))
}

impl RedisStoreOptions {
    /// The options as a binding passes them (JSON), checked for types and keys.
    pub fn from_json(value: Value) -> AuthResult<Self> {
        decode(value, public_path)
    }

    /// The refusal for a value the binding could not express as JSON.
    pub fn unrepresentable(keys: &[String]) -> AuthError {
        decode::unrepresentable(keys, public_path)
    }

    pub fn to_config(&self) -> AuthResult<RedisStoreConfig> {
        let prefix = self.prefix.as_deref().unwrap_or(DEFAULT_PREFIX);
        if prefix.len() > MAX_PREFIX_BYTES {
            return Err(AuthError::config(format!(
                "`redisStore.prefix` must be at most {MAX_PREFIX_BYTES} bytes"
            )));
        }
        let timing = Timing {
            connect_timeout: millis(
                self.connect_timeout,
                DEFAULT_CONNECT_TIMEOUT,
                "redisStore.connectTimeout",
                1..=60_000,
            )?,
            response_timeout: millis(
                self.response_timeout,
                DEFAULT_RESPONSE_TIMEOUT,
                "redisStore.responseTimeout",
                1..=60_000,
            )?,
            reconnect_max_delay: millis(
                self.reconnect_max_delay,
                DEFAULT_RECONNECT_MAX_DELAY,
                "redisStore.reconnectMaxDelay",
                100..=300_000,
            )?,
        };
        let max_in_flight = integer(
            self.max_in_flight,
            DEFAULT_MAX_IN_FLIGHT,
            "redisStore.maxInFlight",
            "commands",
            1..=100_000,
        )?;
        Ok(RedisStoreConfig {
            target: RedisTarget::parse(&self.url)?,
            prefix: prefix.to_owned(),
            timing,
            max_in_flight: max_in_flight as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal(value: Value) -> String {
        match RedisStoreOptions::from_json(value).and_then(|o| o.to_config()) {
            Ok(_) => panic!("accepted"),
            Err(err) => {
                assert_eq!(err.code, crate::error::ErrorCode::InvalidConfig);
                err.reason
            }
        }
    }

    #[test]
    fn defaults() {
        let config = RedisStoreOptions::from_json(json!({ "url": "redis://127.0.0.1" }))
            .unwrap()
            .to_config()
            .unwrap();
        assert_eq!(config.prefix, "mcp-auth-rs:");
        assert_eq!(config.max_in_flight, 1_000);
        assert_eq!(
            config.timing,
            Timing {
                connect_timeout: Duration::from_millis(1_000),
                response_timeout: Duration::from_millis(200),
                reconnect_max_delay: Duration::from_millis(5_000),
            }
        );
        assert_eq!(config.target.shown(), "redis://127.0.0.1:6379/0");
    }

    #[test]
    fn refuses_by_name_and_range_never_by_value() {
        let url = "redis://:hunter22@127.0.0.1";
        let cases = [
            (json!({}), "`redisStore.url` is required."),
            (
                json!({ "url": url, "prefx": "a:" }),
                "unknown option `redisStore.prefx`.",
            ),
            (
                json!({ "url": 12 }),
                "`redisStore.url` has a value of the wrong type (expected a string).",
            ),
            (
                json!({ "url": url, "connectTimeout": 0 }),
                "`redisStore.connectTimeout` must be an integer number of milliseconds from 1 to 60000, got 0",
            ),
            (
                json!({ "url": url, "responseTimeout": "Infinity" }),
                "`redisStore.responseTimeout` must be an integer number of milliseconds from 1 to 60000, got inf",
            ),
            (
                json!({ "url": url, "reconnectMaxDelay": 99 }),
                "`redisStore.reconnectMaxDelay` must be an integer number of milliseconds from 100 to 300000, got 99",
            ),
            (
                json!({ "url": url, "maxInFlight": 1.5 }),
                "`redisStore.maxInFlight` must be an integer number of commands from 1 to 100000, got 1.5",
            ),
            (
                json!({ "url": url, "prefix": "p".repeat(1025) }),
                "`redisStore.prefix` must be at most 1024 bytes",
            ),
            (
                json!({ "url": "https://:hunter22@example.com" }),
                "`redisStore.url` must be a redis://, rediss:// or redis+unix:// URL",
            ),
        ];
        for (value, expected) in cases {
            let reason = refusal(value);
            assert_eq!(reason, expected);
            assert!(!reason.contains("hunter22"));
        }
        // A password in the wrong option is not echoed either.
        let reason = refusal(json!({ "url": url, "prefix": ["hunter22"] }));
        assert!(!reason.contains("hunter22"), "{reason}");
    }
}
