//! A real `redis-server` for tests: on 127.0.0.1, on a port no other test
//! server of this process had, in memory only. A machine without the binary
//! skips those tests with a message (CI installs it: `.ci/run`).

use super::ports::bind_fresh;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    pub port: u16,
    args: Vec<String>,
    child: Option<Child>,
}

/// `true` when `redis-server` can be run; otherwise says why the test is skipped.
pub fn available(test: &str) -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("{test}: skipped, redis-server is not installed (apt-get install redis-server)");
    }
    found
}

impl RedisServer {
    /// Starts one with `extra` arguments (e.g. `--requirepass`), `None`
    /// when the binary is absent.
    pub async fn start(test: &str, extra: &[&str]) -> Option<Self> {
        if !available(test) {
            return None;
        }
        let (listener, addr) = bind_fresh().await;
        drop(listener);
        let mut server = Self {
            port: addr.port(),
            args: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
        };
        server.run().await;
        Some(server)
    }

    async fn run(&mut self) {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server did not start");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn signal(&self, signal: &str) {
        let pid = self
            .child
            .as_ref()
            .expect("redis-server is not running")
            .id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Freezes the server: connections stay open and nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Kills it; its port stays this test's.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A new server on the same port, with the same arguments (and no data).
    pub async fn restart(&mut self) {
        self.stop();
        self.run().await;
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
