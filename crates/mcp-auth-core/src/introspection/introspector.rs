//! RFC 7662 introspection for one trusted authorization server: where the
//! endpoint is, one authenticated POST per token not in the cache, verdicts
//! cached by token digest and shared among concurrent requests.
//!
//! `cached` answers without I/O; `introspect` calls the endpoint (or joins a
//! call in flight). `admit` judges a record another process stored, with the
//! same rules, and seeds the local cache.

use crate::as_client::endpoint::{self, EndpointUrl};
use crate::as_client::post::Caller;
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::PostErrors;
use crate::in_flight::Flights;
use crate::introspection::cache::VerdictCache;
use crate::introspection::response::{self, inactive_error, Verdict};
use crate::options::introspection::IntrospectorConfig;
use crate::tokens::cache::{self, Digest};
use crate::tokens::verified::Verified;
#[cfg(test)]
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An introspection endpoint's failures: 401/403 is a refusal of our credentials.
const ERRORS: PostErrors = PostErrors {
    unavailable: ErrorCode::IntrospectionUnavailable,
    refused: ErrorCode::IntrospectionRefused,
    grant: false,
};

pub struct Introspector {
    config: IntrospectorConfig,
    endpoint: EndpointUrl,
    cache: Option<VerdictCache>,
    flights: Flights<Verdict>,
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
        Self {
            endpoint: EndpointUrl::new(config.endpoint.clone()),
            cache: VerdictCache::new(config.cache_size),
            config,
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
        let members = [
            ("token", token.to_owned()),
            ("token_type_hint", "access_token".to_owned()),
        ];
        let caller = Caller {
            auth: &self.config.auth,
            assertion_audience: &self.config.assertion_audience,
            fetch: &self.config.fetch,
        };
        let response = caller.post(&endpoint, &members, ERRORS).await?;
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
    async fn endpoint(&self) -> AuthResult<url::Url> {
        self.endpoint
            .get(|| {
                endpoint::discover(
                    &self.config.issuer,
                    self.config.issuer_type,
                    "introspection_endpoint",
                    "introspection endpoint",
                    ErrorCode::IntrospectionUnavailable,
                )
            })
            .await
    }
}

#[cfg(test)]
#[path = "introspector_tests.rs"]
mod tests;
