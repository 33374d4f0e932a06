//! Where an endpoint is: configured, or named by the issuer's metadata.
//! Discovered once; a failure is remembered for a short cooldown, so a
//! broken issuer is not asked again on every request.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http;
use crate::issuers::discovery::{self, ServerType};
use crate::issuers::trusted::check_server_url;
use serde_json::Value;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use url::Url;

/// How long a failed endpoint discovery is remembered before the next try.
const DISCOVERY_COOLDOWN: Duration = Duration::from_secs(5);

pub struct EndpointUrl {
    url: OnceCell<Url>,
    failure: Mutex<Option<(Instant, AuthError)>>,
}

impl EndpointUrl {
    pub fn new(configured: Option<Url>) -> Self {
        Self {
            url: OnceCell::new_with(configured),
            failure: Mutex::new(None),
        }
    }

    /// The configured URL, or the one `discover` finds (one discovery at a
    /// time; its failure is the answer until the cooldown is over).
    pub async fn get<F>(&self, discover: impl FnOnce() -> F) -> AuthResult<Url>
    where
        F: Future<Output = AuthResult<Url>>,
    {
        if let Some(url) = self.url.get() {
            return Ok(url.clone());
        }
        let failure = || self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, err)) = &*failure() {
            if at.elapsed() < DISCOVERY_COOLDOWN {
                return Err(err.clone());
            }
        }
        let found = self.url.get_or_try_init(discover).await.cloned();
        if let Err(err) = &found {
            *failure() = Some((Instant::now(), err.clone()));
        }
        found
    }
}

/// The issuer metadata's `member` (`introspection_endpoint`,
/// `token_endpoint`), an allowed server URL (`what` names it). Discovery's
/// own errors pass through; a document without a usable member is an outage
/// (`unusable`, with a retry hint and the document's URL).
pub async fn discover(
    issuer: &str,
    kind: ServerType,
    member: &str,
    what: &str,
    unusable: ErrorCode,
) -> AuthResult<Url> {
    let found = discovery::discover(issuer, kind, &Default::default()).await?;
    let unusable = |reason: String| {
        AuthError::new(unusable, reason)
            .with_retry_after(http::DEFAULT_RETRY_AFTER_SECS)
            .with_url(found.url.clone())
    };
    match found.document.get(member) {
        Some(Value::String(url)) => check_server_url(url, what)
            .map_err(|_| unusable(format!("metadata {member} is not an allowed URL"))),
        _ => Err(unusable(format!("metadata has no {member}"))),
    }
}
