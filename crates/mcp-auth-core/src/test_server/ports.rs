//! Test servers never share a port within one process.
//!
//! Key sets are cached per URL process-wide (`key_set::shared`) and tests run
//! in parallel threads: a server given the port of one that just stopped could
//! have its JWKS URL answered from the other test's cached keys.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex, PoisonError};
use tokio::net::TcpListener;

/// Ports already handed to a test server in this process.
static ISSUED: LazyLock<Mutex<HashSet<u16>>> = LazyLock::new(Default::default);

/// A listener on 127.0.0.1 whose port no earlier test server had.
pub async fn bind_fresh() -> (TcpListener, SocketAddr) {
    let mut refused = Vec::new(); // kept bound so the kernel offers other ports
    loop {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("test server: cannot bind 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("test server: no local address");
        if ISSUED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(addr.port())
        {
            return (listener, addr);
        }
        refused.push(listener);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Freed ephemeral ports come back often (one run of 45 binds in nine
    // repeats a port here): 400 in a row would all but surely repeat one.
    #[tokio::test]
    async fn a_freed_port_is_not_handed_out_again() {
        let mut seen = HashSet::new();
        for _ in 0..400 {
            let (listener, addr) = bind_fresh().await;
            drop(listener);
            assert!(seen.insert(addr.port()), "port {} reused", addr.port());
        }
    }
}
