//! A tiny HTTP/1.1 server on 127.0.0.1 for tests: scripted answers per path,
//! misbehaviours on demand (hang, drop, delay, endless bodies) and hit counts.
//!
//! Hand-written on tokio so tests need no network beyond loopback and no extra
//! crates. Every answer closes the connection, so no client ever reuses one.
//! Routes can be changed while the server runs; dropping the handle stops the
//! server and every connection it still holds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

mod ports;
pub mod redis;

/// Bound on a request head, so a confused client cannot grow our buffers.
const MAX_HEAD_BYTES: u64 = 16 * 1024;
const FILLER: [u8; 16 * 1024] = [b' '; 16 * 1024];

/// What a path answers.
#[derive(Clone, Debug)]
pub struct Response {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Reply(Reply),
    /// Reads the request, then never answers.
    Hang,
    /// Reads the request, then drops the connection.
    Close,
    Delay(Duration, Box<Response>),
}

#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    framing: Framing,
    /// Keep the connection open after writing, sending nothing more.
    then_hang: bool,
}

#[derive(Clone, Debug)]
enum Body {
    Bytes(Vec<u8>),
    /// N spaces, generated while writing.
    Filler(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// `Content-Length` (unless a header already sets one).
    Length,
    Chunked,
    /// No length at all: the body ends when the connection closes.
    UntilClose,
}

impl Response {
    /// `status` with an empty body and no content type.
    pub fn new(status: u16) -> Self {
        Self {
            kind: Kind::Reply(Reply {
                status,
                headers: Vec::new(),
                body: Body::Bytes(Vec::new()),
                framing: Framing::Length,
                then_hang: false,
            }),
        }
    }

    /// 200 `application/json` with `body` as is (it need not be valid JSON).
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Self::new(200).content_type("application/json").body(body)
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Self::new(status).header("Location", location)
    }

    /// 200 `application/json` whose body is `bytes` spaces, streamed without
    /// holding them in memory; declares its `Content-Length` unless
    /// `.chunked()` or `.until_close()` is used.
    pub fn big(bytes: usize) -> Self {
        let mut response = Self::new(200).content_type("application/json");
        response.edit(|reply| reply.body = Body::Filler(bytes));
        response
    }

    pub fn hang() -> Self {
        Self { kind: Kind::Hang }
    }

    pub fn close() -> Self {
        Self { kind: Kind::Close }
    }

    pub fn delay(ms: u64, inner: Response) -> Self {
        Self {
            kind: Kind::Delay(Duration::from_millis(ms), Box::new(inner)),
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.edit(|reply| reply.status = status);
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        let body = Body::Bytes(body.into());
        self.edit(|reply| reply.body = body);
        self
    }

    /// Replaces the `Content-Type` header.
    pub fn content_type(mut self, value: &str) -> Self {
        self.edit(|reply| {
            reply
                .headers
                .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
            reply
                .headers
                .push(("Content-Type".to_owned(), value.to_owned()));
        });
        self
    }

    /// Adds a header as given; a `Content-Length` here replaces the computed
    /// one, which lets tests send a lying length.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.edit(|reply| reply.headers.push((name.to_owned(), value.to_owned())));
        self
    }

    pub fn chunked(mut self) -> Self {
        self.edit(|reply| reply.framing = Framing::Chunked);
        self
    }

    pub fn until_close(mut self) -> Self {
        self.edit(|reply| reply.framing = Framing::UntilClose);
        self
    }

    /// After writing the reply, keep the connection open and silent (e.g. a
    /// body shorter than its `Content-Length` then stalls the client).
    pub fn then_hang(mut self) -> Self {
        self.edit(|reply| reply.then_hang = true);
        self
    }

    /// Applies `change` to the reply, looking through delays; no-op for
    /// `hang` and `close`, which send nothing.
    fn edit(&mut self, change: impl FnOnce(&mut Reply)) {
        match &mut self.kind {
            Kind::Reply(reply) => change(reply),
            Kind::Delay(_, inner) => inner.edit(change),
            Kind::Hang | Kind::Close => {}
        }
    }
}

#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<String, Response>>,
    hits: Mutex<HashMap<String, usize>>,
    headers: Mutex<HashMap<String, Vec<(String, String)>>>,
    bodies: Mutex<HashMap<String, Vec<u8>>>,
}

/// A panicking test must not turn every later lock into a second panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Binds 127.0.0.1 on a free port and serves on the current runtime.
    pub async fn start() -> Self {
        let (listener, addr) = ports::bind_fresh().await;
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:<port>` with no trailing slash.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `path` must start with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Sets or replaces what `path` answers (query strings are ignored when
    /// matching). Takes effect for the next request, even while running.
    pub fn route(&self, path: &str, response: Response) {
        lock(&self.shared.routes).insert(path.to_owned(), response);
    }

    /// Makes `path` answer 404 again.
    pub fn unroute(&self, path: &str) {
        lock(&self.shared.routes).remove(path);
    }

    /// Requests received for `path`, whatever they were answered.
    pub fn hits(&self, path: &str) -> usize {
        lock(&self.shared.hits).get(path).copied().unwrap_or(0)
    }

    pub fn reset_hits(&self) {
        lock(&self.shared.hits).clear();
    }

    /// The body of the latest request for `path`, as text.
    pub fn last_body(&self, path: &str) -> Option<String> {
        let bodies = lock(&self.shared.bodies);
        bodies
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// Headers of the latest request for `path` (names lowercased).
    pub fn last_headers(&self, path: &str) -> Option<Vec<(String, String)>> {
        lock(&self.shared.headers).get(path).cloned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Dropping the accept loop drops its JoinSet, which aborts every
        // connection task, including ones parked in `hang`.
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                while connections.try_join_next().is_some() {}
                connections.spawn(handle(stream, Arc::clone(&shared)));
            }
            // e.g. out of file descriptors: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn handle(stream: TcpStream, shared: Arc<Shared>) {
    let mut reader = BufReader::new(stream);
    let Some((path, headers)) = read_head(&mut reader).await else {
        return;
    };
    *lock(&shared.hits).entry(path.clone()).or_insert(0) += 1;
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    lock(&shared.headers).insert(path.clone(), headers);
    let mut body = vec![0; length.min(MAX_HEAD_BYTES as usize)];
    if reader.read_exact(&mut body).await.is_ok() {
        lock(&shared.bodies).insert(path.clone(), body);
    }
    let response = lock(&shared.routes).get(&path).cloned().unwrap_or_else(|| {
        Response::new(404)
            .content_type("text/plain")
            .body("not found")
    });
    answer(reader.into_inner(), response).await;
}

/// Reads the request line and headers; returns the path without its query.
/// A body (up to 16 KiB, by `Content-Length`) is kept for `last_body`.
async fn read_head(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<(String, String)>)> {
    let mut limited = reader.take(MAX_HEAD_BYTES);
    let request_line = read_line(&mut limited).await?;
    let target = request_line.split_whitespace().nth(1)?;
    let path = target.split('?').next().unwrap_or(target).to_owned();
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut limited).await?;
        if line.is_empty() {
            return Some((path, headers));
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
}

/// One line without its CRLF; `None` at end of input or on non-UTF-8 bytes.
async fn read_line(reader: &mut tokio::io::Take<&mut BufReader<TcpStream>>) -> Option<String> {
    let mut bytes = Vec::new();
    let read = reader.read_until(b'\n', &mut bytes).await.ok()?;
    if read == 0 || bytes.last() != Some(&b'\n') {
        return None;
    }
    let line = String::from_utf8(bytes).ok()?;
    Some(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn answer(mut stream: TcpStream, mut response: Response) {
    loop {
        match response.kind {
            Kind::Delay(wait, inner) => {
                tokio::time::sleep(wait).await;
                response = *inner;
            }
            Kind::Hang => return hold_open(stream).await,
            Kind::Close => return,
            Kind::Reply(reply) => {
                // A write error means the client went away: nothing to do.
                if write_reply(&mut stream, &reply).await.is_ok() && reply.then_hang {
                    return hold_open(stream).await;
                }
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}

async fn hold_open(stream: TcpStream) {
    let _open = stream;
    std::future::pending::<()>().await;
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let has_length = reply
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-length"));
    match reply.framing {
        Framing::Length if !has_length => {
            let length = match &reply.body {
                Body::Bytes(bytes) => bytes.len(),
                Body::Filler(n) => *n,
            };
            head.push_str(&format!("Content-Length: {length}\r\n"));
        }
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
        Framing::Length | Framing::UntilClose => {}
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;

    let chunked = reply.framing == Framing::Chunked;
    match &reply.body {
        Body::Bytes(bytes) => write_piece(stream, bytes, chunked).await?,
        Body::Filler(total) => {
            let mut left = *total;
            while left > 0 {
                let n = left.min(FILLER.len());
                write_piece(stream, FILLER.get(..n).unwrap_or_default(), chunked).await?;
                left -= n;
            }
        }
    }
    if chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    stream.flush().await
}

async fn write_piece(stream: &mut TcpStream, piece: &[u8], chunked: bool) -> std::io::Result<()> {
    if piece.is_empty() {
        // An empty chunk would end a chunked body early.
        return Ok(());
    }
    if chunked {
        stream
            .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .await?;
        stream.write_all(piece).await?;
        stream.write_all(b"\r\n").await
    } else {
        stream.write_all(piece).await
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends one raw GET and returns the whole answer as text.
    async fn raw_get(server: &TestServer, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port()))
            .await
            .unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        stream.read_to_end(&mut out).await.unwrap();
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn answers_routes_and_counts_hits() {
        let server = TestServer::start().await;
        server.route("/a", Response::json("{}"));
        let text = raw_get(&server, "/a?x=1").await;
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
        assert!(raw_get(&server, "/b").await.starts_with("HTTP/1.1 404"));
        assert_eq!(server.hits("/a"), 1);
        assert_eq!(server.hits("/b"), 1);
        let headers = server.last_headers("/a").unwrap();
        assert!(headers.contains(&("x-test".to_owned(), "yes".to_owned())));
        server.reset_hits();
        assert_eq!(server.hits("/a"), 0);
        server.unroute("/a");
        assert!(raw_get(&server, "/a").await.starts_with("HTTP/1.1 404"));
    }

    #[tokio::test]
    async fn frames_bodies_as_asked() {
        let server = TestServer::start().await;
        server.route("/chunked", Response::big(20_000).chunked());
        server.route("/close", Response::big(10).until_close());
        let chunked = raw_get(&server, "/chunked").await;
        assert!(chunked.contains("Transfer-Encoding: chunked\r\n"));
        assert!(chunked.contains("\r\n4000\r\n"));
        assert!(chunked.ends_with("\r\n0\r\n\r\n"));
        let close = raw_get(&server, "/close").await;
        assert!(!close.contains("Content-Length"));
        assert!(close.ends_with("\r\n\r\n          "));
    }

    #[tokio::test]
    async fn close_and_drop_end_connections() {
        let server = TestServer::start().await;
        server.route("/close", Response::close());
        assert_eq!(raw_get(&server, "/close").await, "");
        assert_eq!(server.hits("/close"), 1);

        server.route("/hang", Response::hang());
        let mut stream = TcpStream::connect(("127.0.0.1", server.port()))
            .await
            .unwrap();
        stream
            .write_all(b"GET /hang HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        // Wait until the server saw the request, then stop it: the parked
        // connection must be released, not leaked.
        while server.hits("/hang") == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(server);
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut out)).await;
        assert!(
            read.is_ok(),
            "connection still open after the server was dropped"
        );
    }
}
