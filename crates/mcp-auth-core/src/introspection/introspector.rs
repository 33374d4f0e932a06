//! RFC 7662 introspection for one trusted authorization server: where the
//! endpoint is, one authenticated POST per token not in the cache, verdicts
//! cached by token digest and shared among concurrent requests.
//!
//! `cached` answers without I/O; `introspect` calls the endpoint (or joins a
//! call in flight). `admit` judges a record another process stored, with the
//! same rules, and seeds the local cache.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http;
use crate::introspection::cache::{Flights, VerdictCache};
use crate::introspection::response::{self, inactive_error, Verdict};
use crate::issuers::discovery;
use crate::options::introspection::{AssertionAudience, IntrospectorConfig};
use crate::tokens::cache::{self, Digest};
use crate::tokens::verified::Verified;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;
use url::Url;

/// How long a failed endpoint discovery is remembered before the next try.
const DISCOVERY_COOLDOWN: Duration = Duration::from_secs(5);

pub struct Introspector {
    config: IntrospectorConfig,
    endpoint: OnceCell<Url>,
    discovery_failure: Mutex<Option<(Instant, AuthError)>>,
    cache: Option<VerdictCache>,
    flights: Flights,
}

/// What `introspect` learnt, with how long it may be reused (for a fleet
/// store) and the record to store.
pub struct Learnt {
    pub verdict: Verdict,
    pub reuse_for: Duration,
    pub record: String,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// An active verdict as a result; inactive becomes the 401 error.
pub fn to_result(verdict: Verdict) -> AuthResult<Arc<Verified>> {
    match verdict {
        Verdict::Active(verified) => Ok(verified),
        Verdict::Inactive => Err(inactive_error()),
    }
}

impl Introspector {
    pub fn new(config: IntrospectorConfig) -> Self {
        let endpoint = OnceCell::new_with(config.endpoint.clone());
        Self {
            cache: VerdictCache::new(config.cache_size),
            config,
            endpoint,
            discovery_failure: Mutex::new(None),
            flights: Flights::default(),
        }
    }

    fn check_length(&self, token: &str) -> AuthResult<()> {
        if token.is_empty() || token.len() > self.config.max_token_length {
            return Err(AuthError::malformed("token length is out of bounds"));
        }
        Ok(())
    }

    /// A local cache hit (active or inactive), re-checked for time.
    pub fn cached(&self, token: &str) -> Option<AuthResult<Arc<Verified>>> {
        if let Err(err) = self.check_length(token) {
            return Some(Err(err));
        }
        let cache = self.cache.as_ref()?;
        let digest = cache::hash(token);
        Some(to_result(cache.get(&digest, Instant::now())?))
    }

    /// Calls the endpoint (or joins the call in flight for this token).
    pub async fn verify(&self, token: &str) -> AuthResult<Arc<Verified>> {
        if let Some(hit) = self.cached(token) {
            return hit;
        }
        to_result(self.introspect(token).await?.verdict)
    }

    /// One endpoint call per token at a time; the verdict is cached. Token
    /// errors of an active answer (wrong audience…) are returned, not cached.
    pub async fn introspect(&self, token: &str) -> AuthResult<Learnt> {
        self.check_length(token)?;
        // Every token within `maxTokenLength` has a digest: long ones share
        // one call and are cached like any other.
        let key = cache::hash(token);
        let verdict = self.flights.share(key, self.call(token, key)).await?;
        Ok(self.learnt(verdict))
    }

    fn learnt(&self, verdict: Verdict) -> Learnt {
        let now = unix_now();
        let reuse_for = self.config.rules.reuse_for(
            &verdict,
            now,
            self.config.cache_max_age,
            self.config.negative_ttl,
        );
        let until_ms = (now + reuse_for.as_secs_f64()) * 1000.0;
        Learnt {
            record: response::record(&verdict, until_ms),
            verdict,
            reuse_for,
        }
    }

    async fn call(&self, token: &str, key: Digest) -> AuthResult<Verdict> {
        let verdict = self.call_uncached(token).await?;
        self.remember(key, &verdict);
        Ok(verdict)
    }

    fn remember(&self, key: Digest, verdict: &Verdict) {
        if let Some(cache) = &self.cache {
            let reuse_for = self.config.rules.reuse_for(
                verdict,
                unix_now(),
                self.config.cache_max_age,
                self.config.negative_ttl,
            );
            let now = Instant::now();
            cache.insert(key, verdict.clone(), now + reuse_for, now);
        }
    }

    async fn call_uncached(&self, token: &str) -> AuthResult<Verdict> {
        let endpoint = self.endpoint().await?;
        let audience = match &self.config.assertion_audience {
            AssertionAudience::Issuer => self.config.issuer.clone(),
            AssertionAudience::Endpoint => endpoint.to_string(),
            AssertionAudience::Url(url) => url.clone(),
        };
        let credentials = self.config.auth.credentials(&audience)?;
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("token", token);
            form.append_pair("token_type_hint", "access_token");
            for (name, value) in &credentials.form {
                form.append_pair(name, value);
            }
            form.finish()
        };
        let response = http::post_form(
            &endpoint,
            &self.config.fetch,
            credentials.authorization.as_deref(),
            body,
            ErrorCode::IntrospectionUnavailable,
            ErrorCode::IntrospectionRefused,
        )
        .await?;
        self.config.rules.judge(&response, unix_now())
    }

    /// A record another process stored: judged again (never trusted
    /// blindly), honoured no longer than it said, and cached locally.
    /// `Ok(None)`: unreadable or stale, to be treated as a miss.
    pub fn admit(&self, token: &str, record: &str) -> AuthResult<Option<Arc<Verified>>> {
        self.check_length(token)?;
        let now = unix_now();
        let Some((verdict, until_ms)) = response::from_record(&self.config.rules, record, now)?
        else {
            return Ok(None);
        };
        // A record's `until` is someone else's number: never kept longer
        // than this process would keep the answer itself.
        let most = self.config.rules.reuse_for(
            &verdict,
            now,
            self.config.cache_max_age,
            self.config.negative_ttl,
        );
        let left = response::time_left(until_ms / 1000.0, now, most);
        if left.is_zero() {
            return Ok(None);
        }
        if let Some(cache) = &self.cache {
            let at = Instant::now();
            cache.insert(cache::hash(token), verdict.clone(), at + left, at);
        }
        to_result(verdict).map(Some)
    }

    /// The configured endpoint, or the issuer metadata's (discovered once;
    /// a failure is remembered for a short cooldown).
    async fn endpoint(&self) -> AuthResult<Url> {
        if let Some(url) = self.endpoint.get() {
            return Ok(url.clone());
        }
        if let Some((at, err)) = &*self
            .discovery_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
        {
            if at.elapsed() < DISCOVERY_COOLDOWN {
                return Err(err.clone());
            }
        }
        let found = self
            .endpoint
            .get_or_try_init(|| self.discover())
            .await
            .cloned();
        if let Err(err) = &found {
            *self
                .discovery_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), err.clone()));
        }
        found
    }

    async fn discover(&self) -> AuthResult<Url> {
        let found = discovery::discover(
            &self.config.issuer,
            self.config.issuer_type,
            &Default::default(),
        )
        .await?;
        let unusable = |reason: &str| {
            AuthError::new(ErrorCode::IntrospectionUnavailable, reason)
                .with_retry_after(http::DEFAULT_RETRY_AFTER_SECS)
                .with_url(found.url.clone())
        };
        match found.document.get("introspection_endpoint") {
            Some(Value::String(url)) => {
                crate::issuers::trusted::check_server_url(url, "introspection endpoint")
                    .map_err(|_| unusable("metadata introspection_endpoint is not an allowed URL"))
            }
            _ => Err(unusable("metadata has no introspection_endpoint")),
        }
    }
}

#[cfg(test)]
#[path = "introspector_tests.rs"]
mod tests;
