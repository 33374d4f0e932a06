//! What a failed Redis command says, in words of our own: the `redis`
//! crate's texts can quote server details, so only its fixed error kinds
//! and the server's error code (its first word, such as `WRONGPASS`) are
//! used. The caller names the server and scrubs the result.

use redis::{ErrorKind, RedisError};
use std::time::Duration;

/// The server answered with an error reply: the connection itself is fine.
pub fn is_reply(err: &RedisError) -> bool {
    matches!(err.kind(), ErrorKind::Server(_) | ErrorKind::Extension)
}

/// A short description of a command's `err`, with no value from the URL or
/// the server beyond an error code.
pub fn describe(err: &RedisError, response_timeout: Duration) -> String {
    if err.is_timeout() {
        return format!("no reply within {} ms", response_timeout.as_millis());
    }
    describe_other(err)
}

/// The same for a connection attempt (connect, TLS, authentication, `PING`)
/// that may take up to `bound`.
pub fn describe_connecting(err: &RedisError, bound: Duration) -> String {
    if err.is_timeout() {
        return format!("no answering connection within {} ms", bound.as_millis());
    }
    describe_other(err)
}

fn describe_other(err: &RedisError) -> String {
    if let Some(code) = err.code().filter(|code| plain_code(code)) {
        return format!("the server answered {code}");
    }
    match err.kind() {
        ErrorKind::AuthenticationFailed => "authentication failed".into(),
        ErrorKind::RESP3NotSupported => {
            "the server does not speak RESP3 (add `?protocol=resp2` to the URL)".into()
        }
        _ if err.is_connection_refusal() => "connection refused".into(),
        _ if err.is_connection_dropped() => "connection lost".into(),
        _ => err.category().to_owned(),
    }
}

/// A Redis error code: a short word of capitals, nothing a server could
/// smuggle text through.
fn plain_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_our_own() {
        let timeout = RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert_eq!(
            describe(&timeout, Duration::from_millis(200)),
            "no reply within 200 ms"
        );
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(describe(&refused, Duration::ZERO), "connection refused");
        assert!(!is_reply(&refused));
        assert!(plain_code("WRONGPASS") && plain_code("NOAUTH"));
        assert!(!plain_code("wrong pass: hunter2") && !plain_code(""));
    }
}
