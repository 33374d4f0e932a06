//! The Redis URL the core's client is configured by: parsed once, shown
//! without its credentials, and remembered only so that every text this
//! client produces can be scrubbed of them.

use crate::error::{AuthError, AuthResult};
use redis::{ConnectionAddr, IntoConnectionInfo, ProtocolVersion};
use std::fmt;

/// Redis's port when a URL names none.
const DEFAULT_PORT: u16 = 6379;

/// Where the store connects, and how its errors name the server.
pub struct RedisTarget {
    pub(crate) client: redis::Client,
    pub(crate) protocol: ProtocolVersion,
    /// Scheme, host, port and database: never user information or a query.
    shown: String,
    /// The password as written and as decoded; removed from every error text.
    secrets: Vec<String>,
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisTarget").field(&self.shown).finish()
    }
}

fn unusable(why: &str) -> AuthError {
    // Never the URL itself: it may carry a password.
    AuthError::config(format!("`redisStore.url` {why}"))
}

impl RedisTarget {
    /// `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS) or
    /// `redis+unix:///path?db=N&user=…&pass=…`; `?protocol=resp2|resp3`.
    /// Without a `protocol` the client speaks RESP3, which lets it notice a
    /// dropped connection while idle.
    pub fn parse(url: &str) -> AuthResult<Self> {
        let parsed = redis::parse_redis_url(url)
            .ok_or_else(|| unusable("must be a redis://, rediss:// or redis+unix:// URL"))?;
        if parsed.fragment().is_some() {
            // `rediss://…#insecure` would turn certificate checks off.
            return Err(unusable("must not have a fragment (`#…`)"));
        }
        let explicit_protocol = parsed.query_pairs().any(|(name, _)| name == "protocol");
        let mut secrets = Vec::new();
        if let Some(raw) = parsed.password() {
            secrets.push(raw.to_owned());
        }
        secrets.extend(
            parsed
                .query_pairs()
                .filter(|(name, _)| name == "pass")
                .map(|(_, value)| value.into_owned()),
        );
        let shown = match parsed.host_str() {
            Some(host) if !host.is_empty() => format!(
                "{}://{}:{}",
                parsed.scheme(),
                host,
                parsed.port().unwrap_or(DEFAULT_PORT)
            ),
            _ => format!("{}://{}", parsed.scheme(), parsed.path()),
        };
        let info = parsed.into_connection_info().map_err(|_| {
            unusable(
                "is not a usable Redis URL (it needs a host or a socket path, a database \
                 number as its path, and `protocol` resp2 or resp3 when given)",
            )
        })?;
        // A TCP URL's path is its database; a socket URL's path is the socket.
        let shown = match info.addr() {
            ConnectionAddr::Tcp(..) | ConnectionAddr::TcpTls { .. } => {
                format!("{shown}/{}", info.redis_settings().db())
            }
            _ => shown,
        };
        Self::finish(info, explicit_protocol, shown, secrets)
    }

    fn finish(
        info: redis::ConnectionInfo,
        explicit_protocol: bool,
        shown: String,
        mut secrets: Vec<String>,
    ) -> AuthResult<Self> {
        let mut settings = info.redis_settings().clone();
        if let Some(password) = settings.password() {
            secrets.push(password.to_owned());
        }
        if !explicit_protocol {
            settings = settings.set_protocol(ProtocolVersion::RESP3);
        }
        let protocol = settings.protocol();
        let info = info.set_redis_settings(settings);
        let client =
            redis::Client::open(info).map_err(|_| unusable("is not a usable Redis URL"))?;
        secrets.retain(|secret| !secret.is_empty());
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        secrets.dedup();
        Ok(Self {
            client,
            protocol,
            shown,
            secrets,
        })
    }

    /// The server as errors name it, e.g. `redis://127.0.0.1:6379/0`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` with every credential of the URL replaced.
    pub fn scrub(&self, mut text: String) -> String {
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "***");
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_server_without_credentials() {
        let target = RedisTarget::parse("redis://user:pa%40ss@cache.internal:6380/3").unwrap();
        assert_eq!(target.shown(), "redis://cache.internal:6380/3");
        assert_eq!(target.protocol, ProtocolVersion::RESP3);
        let debug = format!("{target:?}");
        assert!(
            !debug.contains("pa%40ss") && !debug.contains("pa@ss"),
            "{debug}"
        );
        let scrubbed = target.scrub("failed: pa@ss and pa%40ss".into());
        assert_eq!(scrubbed, "failed: *** and ***");

        let default_port = RedisTarget::parse("rediss://:pw@example.com").unwrap();
        assert_eq!(default_port.shown(), "rediss://example.com:6379/0");
        let old = RedisTarget::parse("redis://127.0.0.1/0?protocol=resp2").unwrap();
        assert_eq!(old.protocol, ProtocolVersion::RESP2);
    }

    #[cfg(unix)]
    #[test]
    fn a_socket_url_is_shown_without_its_query() {
        let target = RedisTarget::parse("redis+unix:///run/redis.sock?db=2&pass=hunter22").unwrap();
        assert_eq!(target.shown(), "redis+unix:///run/redis.sock");
        assert_eq!(target.scrub("x hunter22".into()), "x ***");
    }

    #[test]
    fn refuses_without_echoing_the_url() {
        for url in [
            "http://user:hunter22@example.com",
            "not a url hunter22",
            "rediss://:hunter22@example.com#insecure",
            "redis://:hunter22@example.com/notadb",
            "redis://:hunter22@example.com/?protocol=resp9",
            "redis://:hunter22@0.0.0.0/",
        ] {
            let err = RedisTarget::parse(url).unwrap_err();
            assert_eq!(err.code, crate::error::ErrorCode::InvalidConfig, "{url}");
            assert!(
                err.reason.starts_with("`redisStore.url` "),
                "{}",
                err.reason
            );
            assert!(!err.reason.contains("hunter22"), "{}", err.reason);
        }
    }
}
