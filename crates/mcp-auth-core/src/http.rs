//! Hardened GET of JSON documents (authorization-server metadata, key sets),
//! and the one POST of a form to an authorization-server endpoint.
//!
//! Whoever controls a metadata or JWKS URL controls what we download, so every
//! fetch is bounded in time and size, refuses plain http except to loopback,
//! follows only a few same-origin redirects and parses with the strict parser.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::tokens::strict_json::{parse_object, DOCUMENT_MAX_DEPTH};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{redirect, Client, StatusCode};
use serde_json::{Map, Value};
use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::LazyLock;
use std::time::Duration;
use url::{Host, Url};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Retry hint for infrastructure failures that carry no usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 30;
/// Upper bound on a server-sent `Retry-After`, so a hostile server cannot
/// park us for hours.
const MAX_RETRY_AFTER_SECS: u32 = 300;
const MAX_REDIRECTS: usize = 3;
/// Longest piece of server-sent text (a media type) echoed in a reason.
const ECHO_MAX_CHARS: usize = 64;
const USER_AGENT: &str = concat!("mcp-auth-rs/", env!("CARGO_PKG_VERSION"));

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// Covers connect, headers and body together.
    pub timeout: Duration,
    pub max_body_bytes: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Fetched {
    Object(Map<String, Value>),
    /// HTTP 404: the caller may try another URL (discovery fallback).
    NotFound,
}

/// True for `localhost`, 127.0.0.0/8 and `[::1]`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Allows `https`, and `http` only to loopback hosts (local development).
pub fn check_url_allowed(url: &Url) -> AuthResult<()> {
    let reason = match url.scheme() {
        "https" if url.host().is_some() => return Ok(()),
        "http" if is_loopback(url) => return Ok(()),
        "http" => "plain http is only allowed to loopback hosts",
        _ => "URL must use https",
    };
    Err(AuthError::new(ErrorCode::InvalidUrl, reason).with_url(shown_url(url)))
}

/// GETs `url` and returns its body as a JSON object, or `NotFound` on 404.
///
/// `failure_code` (`JwksUnavailable` or `DiscoveryUnavailable`) is used for
/// transport failures and unexpected statuses; a response that arrives but is
/// not a JSON object is `InvalidServerMetadata`.
pub async fn get_json_object(
    url: &Url,
    opts: &FetchOptions,
    failure_code: ErrorCode,
) -> AuthResult<Fetched> {
    check_url_allowed(url)?;
    let outcome = match CLIENT.as_ref() {
        Some(client) => {
            within_deadline(opts, failure_code, fetch(client, url, opts, failure_code)).await
        }
        None => Err(unavailable(
            failure_code,
            "HTTP client could not be initialised",
        )),
    };
    outcome.map_err(|err| err.with_url(shown_url(url)))
}

/// Built once: a client owns the TLS configuration and root store, which are
/// costly to set up. `None` when building failed; each fetch then reports it.
static CLIENT: LazyLock<Option<Client>> = LazyLock::new(|| build_client().ok());

fn build_client() -> reqwest::Result<Client> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    Client::builder()
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .redirect(redirect_policy())
        // Fetches are minutes apart, so pooling saves little; an idle pooled
        // connection would also stay bound to the runtime that opened it.
        .pool_max_idle_per_host(0)
        // Like Node's fetch, ignore HTTP(S)_PROXY: keys come straight from the
        // issuer, and a loopback issuer must never be reached through a proxy.
        .no_proxy()
        .build()
}

/// Marks a redirect refused because it leaves the original origin.
#[derive(Debug)]
struct CrossOriginRedirect;

impl fmt::Display for CrossOriginRedirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("redirect to another origin refused")
    }
}

impl StdError for CrossOriginRedirect {}

#[derive(Debug)]
struct TooManyRedirects;

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many redirects")
    }
}

impl StdError for TooManyRedirects {}

/// Same origin (scheme, host, port) as the first URL, at most `MAX_REDIRECTS`
/// hops: a redirect must not move trust to another server or downgrade to
/// http, which `check_url_allowed` would not see.
fn redirect_policy() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.error(CrossOriginRedirect)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            // `previous` holds the original URL plus every hop followed so far.
            attempt.error(TooManyRedirects)
        } else {
            attempt.follow()
        }
    })
}

async fn fetch(
    client: &Client,
    url: &Url,
    opts: &FetchOptions,
    failure_code: ErrorCode,
) -> AuthResult<Fetched> {
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|err| transport_error(&err, failure_code))?;

    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Ok(Fetched::NotFound);
    }
    if !status.is_success() {
        return Err(status_error(&response, failure_code));
    }
    read_object(response, opts, failure_code)
        .await
        .map(Fetched::Object)
}

fn status_error(response: &reqwest::Response, code: ErrorCode) -> AuthError {
    let reason = format!("server answered HTTP {}", response.status().as_u16());
    AuthError::new(code, reason).with_retry_after(retry_after(response.headers()))
}

/// A JSON-typed, size-capped, strictly parsed object body. A body that
/// arrives but is not a JSON object is `InvalidServerMetadata`.
async fn read_object(
    mut response: reqwest::Response,
    opts: &FetchOptions,
    failure_code: ErrorCode,
) -> AuthResult<Map<String, Value>> {
    check_content_type(response.headers())?;

    let declared = response.content_length().unwrap_or(0);
    if declared > u64::try_from(opts.max_body_bytes).unwrap_or(u64::MAX) {
        return Err(too_large(failure_code, opts.max_body_bytes));
    }
    let body = read_capped(&mut response, opts.max_body_bytes, failure_code).await?;

    parse_object(&body, DOCUMENT_MAX_DEPTH).map_err(|err| {
        AuthError::new(
            ErrorCode::InvalidServerMetadata,
            format!("response {}", err.describe()),
        )
    })
}

/// Where `post_form` sends: no redirect is followed at all, since a redirected
/// POST would carry client credentials somewhere the configuration never named.
static POST_CLIENT: LazyLock<Option<Client>> = LazyLock::new(|| {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    Client::builder()
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .redirect(redirect::Policy::none())
        // As for GETs: a pooled connection would stay bound to its runtime.
        .pool_max_idle_per_host(0)
        .no_proxy()
        .build()
        .ok()
});

/// What a POST's failures are called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostErrors {
    /// Transport failures, other statuses, an answer too large or not JSON:
    /// the server's outage, with a retry hint.
    pub unavailable: ErrorCode,
    /// 401/403: the server refused our credentials.
    pub refused: ErrorCode,
    /// A token endpoint (RFC 6749 §5.2): a 400 is the server refusing the
    /// grant too, and a refusal names the OAuth `error` code it sent when
    /// that is a plain code (never its description).
    pub grant: bool,
}

/// POSTs an `application/x-www-form-urlencoded` body (RFC 7662
/// introspection, a token request) with the same bounds as
/// `get_json_object`: one deadline, a body cap, the strict parser. Every
/// failure is the server's, never the caller's input (`errors`).
/// `authorization` is sent as a sensitive header and never appears in an error.
pub async fn post_form(
    url: &Url,
    opts: &FetchOptions,
    authorization: Option<&str>,
    form: String,
    errors: PostErrors,
) -> AuthResult<Map<String, Value>> {
    let PostErrors {
        unavailable: failure_code,
        refused: refused_code,
        grant,
    } = errors;
    check_url_allowed(url)?;
    let Some(client) = POST_CLIENT.as_ref() else {
        return Err(
            unavailable(failure_code, "HTTP client could not be initialised")
                .with_url(shown_url(url)),
        );
    };
    let mut request = client
        .post(url.clone())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form);
    if let Some(value) = authorization {
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| AuthError::config("client credentials cannot be sent in a header"))?;
        value.set_sensitive(true);
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let exchange = async {
        let response = request
            .send()
            .await
            .map_err(|err| transport_error(&err, failure_code))?;
        let status = response.status();
        let refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
        if grant && (refused || status == StatusCode::BAD_REQUEST) {
            return Err(grant_refusal(response, opts, refused_code).await);
        }
        if refused {
            return Err(status_error(&response, refused_code));
        }
        if !status.is_success() {
            return Err(status_error(&response, failure_code));
        }
        // Garbage from the endpoint is an outage too: retry later, never 401.
        read_object(response, opts, failure_code)
            .await
            .map_err(|err| match err.code {
                ErrorCode::InvalidServerMetadata => AuthError {
                    code: failure_code,
                    ..err
                }
                .with_retry_after(DEFAULT_RETRY_AFTER_SECS),
                _ => err,
            })
    };
    let outcome = within_deadline(opts, failure_code, exchange).await;
    outcome.map_err(|err| err.with_url(shown_url(url)))
}

/// A token endpoint's refusal: its HTTP status, and its `error` code when
/// the body is a JSON object whose `error` is a short, plain code.
async fn grant_refusal(
    response: reqwest::Response,
    opts: &FetchOptions,
    refused_code: ErrorCode,
) -> AuthError {
    let status = response.status().as_u16();
    let code = read_object(response, opts, refused_code)
        .await
        .ok()
        .and_then(|body| match body.get("error") {
            Some(Value::String(code)) if is_oauth_error_code(code) => Some(code.clone()),
            _ => None,
        });
    let reason = match code {
        Some(code) => format!("the authorization server refused: {code} (HTTP {status})"),
        None => format!("the authorization server refused (HTTP {status})"),
    };
    AuthError::new(refused_code, reason)
}

/// RFC 6749 allows any printable ASCII in `error`; echoed only when it is
/// a short identifier, so nothing the server chose beyond that reaches a log.
fn is_oauth_error_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// One deadline for a whole exchange: a server that trickles its body byte
/// by byte must not outlive it.
async fn within_deadline<T>(
    opts: &FetchOptions,
    failure_code: ErrorCode,
    exchange: impl std::future::Future<Output = AuthResult<T>>,
) -> AuthResult<T> {
    tokio::time::timeout(opts.timeout, exchange)
        .await
        .unwrap_or_else(|_| {
            let ms = opts.timeout.as_millis();
            Err(unavailable(
                failure_code,
                format!("timed out after {ms} ms"),
            ))
        })
}

/// Reads the body chunk by chunk and stops as soon as it would pass `max`,
/// so a missing or lying `Content-Length` cannot make us buffer more.
async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
    failure_code: ErrorCode,
) -> AuthResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| transport_error(&err, failure_code))?
    {
        // `body.len() <= max` holds on every iteration, so this cannot underflow.
        if chunk.len() > max - body.len() {
            return Err(too_large(failure_code, max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Accepts `application/json` and any `application/*+json` (e.g.
/// `application/jwk-set+json`), parameters such as `charset` ignored.
fn check_content_type(headers: &HeaderMap) -> AuthResult<()> {
    let raw = headers
        .get(CONTENT_TYPE)
        .map_or(&[][..], HeaderValue::as_bytes);
    let media_type = raw
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if is_json_media_type(&media_type.to_ascii_lowercase()) {
        return Ok(());
    }
    let shown = echo_safe(media_type);
    let reason = if shown.is_empty() {
        "expected JSON, got no content type".to_owned()
    } else {
        format!("expected JSON, got {shown}")
    };
    Err(AuthError::new(ErrorCode::InvalidServerMetadata, reason))
}

fn is_json_media_type(lowercase: &[u8]) -> bool {
    if lowercase == b"application/json" {
        return true;
    }
    lowercase
        .strip_prefix(b"application/")
        .and_then(|subtype| subtype.strip_suffix(b"+json"))
        .is_some_and(|prefix| !prefix.is_empty())
}

/// Server-sent text made safe to put in a reason: printable ASCII only,
/// at most `ECHO_MAX_CHARS` characters.
pub(crate) fn echo_safe(text: &[u8]) -> String {
    text.iter()
        .filter(|b| matches!(b, b' '..=b'~'))
        .take(ECHO_MAX_CHARS)
        .map(|&b| char::from(b))
        .collect()
}

/// A short reason saying which kind of transport failure happened.
fn transport_error(err: &reqwest::Error, failure_code: ErrorCode) -> AuthError {
    let reason = if find_source::<CrossOriginRedirect>(err).is_some() {
        "a redirect to another origin was refused"
    } else if find_source::<TooManyRedirects>(err).is_some() {
        "too many redirects"
    } else if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        connect_reason(err)
    } else if err.is_body() || err.is_decode() {
        "response body could not be read"
    } else {
        // What remains at send time: connection closed or reset mid-request,
        // or bytes that are not HTTP.
        "no valid HTTP response (connection closed or protocol error)"
    };
    unavailable(failure_code, reason)
}

fn connect_reason(err: &reqwest::Error) -> &'static str {
    if err.is_dns() {
        return "host name could not be resolved";
    }
    let kinds = io_error_kinds(err);
    if kinds.contains(&io::ErrorKind::ConnectionRefused) {
        "connection refused"
    } else if kinds.contains(&io::ErrorKind::InvalidData) {
        // tokio-rustls reports handshake failures as InvalidData.
        "TLS handshake failed"
    } else {
        "connection failed"
    }
}

/// Kinds of every `io::Error` in the chain. An `io::Error` hides the error it
/// wraps from `source()` (it returns that error's source), so look inside too.
fn io_error_kinds(err: &(dyn StdError + 'static)) -> Vec<io::ErrorKind> {
    let mut kinds = Vec::new();
    let mut current = Some(err);
    while let Some(err) = current {
        current = err.source();
        if let Some(io_err) = err.downcast_ref::<io::Error>() {
            kinds.push(io_err.kind());
            if let Some(inner) = io_err.get_ref() {
                current = Some(inner);
            }
        }
    }
    kinds
}

fn find_source<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

fn unavailable(failure_code: ErrorCode, reason: impl Into<String>) -> AuthError {
    AuthError::new(failure_code, reason).with_retry_after(DEFAULT_RETRY_AFTER_SECS)
}

fn too_large(failure_code: ErrorCode, max: usize) -> AuthError {
    unavailable(failure_code, format!("response body exceeds {max} bytes"))
}

/// Honours a delta-seconds `Retry-After` within bounds; HTTP dates and junk
/// fall back to the default.
fn retry_after(headers: &HeaderMap) -> u32 {
    headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u32>().ok())
        .map_or(DEFAULT_RETRY_AFTER_SECS, |secs| {
            secs.clamp(1, MAX_RETRY_AFTER_SECS)
        })
}

/// The URL as anything above this module sees it (errors, events, `.url`):
/// without user name or password, which may be secret.
pub fn shown_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    // Both only fail for URLs that cannot carry credentials in the first place.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
