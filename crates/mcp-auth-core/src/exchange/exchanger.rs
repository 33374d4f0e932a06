//! The token-exchange client: one authenticated POST to the token endpoint
//! per distinct request not in the cache (`as_client`, as introspection
//! makes them), issued tokens cached until shortly before they expire, and
//! concurrent identical exchanges sharing one call.

use super::answer::{self, Exchanged};
use super::cache::ExchangeCache;
use super::request::{ExchangeParams, ExchangeRequest};
use crate::as_client::endpoint::{self, EndpointUrl};
use crate::as_client::post::Caller;
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::{self, PostErrors};
use crate::in_flight::Flights;
use crate::options::token_exchange::TokenExchangeConfig;
use crate::tokens::cache::Digest;
#[cfg(test)]
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// The longest subject token sent (a bearer token far beyond real sizes).
const MAX_SUBJECT_TOKEN_LENGTH: usize = 64 * 1024;
/// A token endpoint's failures: 400, 401 and 403 refuse the grant.
const ERRORS: PostErrors = PostErrors {
    unavailable: ErrorCode::TokenExchangeUnavailable,
    refused: ErrorCode::TokenExchangeRefused,
    grant: true,
};

pub struct TokenExchanger {
    config: TokenExchangeConfig,
    endpoint: EndpointUrl,
    cache: Option<ExchangeCache>,
    flights: Flights<Arc<Exchanged>>,
}

impl TokenExchanger {
    pub fn new(config: TokenExchangeConfig) -> Self {
        Self {
            endpoint: EndpointUrl::new(config.endpoint.clone()),
            cache: ExchangeCache::new(config.cache_size, config.cache_max_bytes),
            config,
            flights: Flights::default(),
        }
    }

    /// Checks one call's parameters for this exchanger's grant.
    pub fn check(&self, params: &ExchangeParams) -> AuthResult<ExchangeRequest> {
        params.check(self.config.grant)
    }

    /// The issued token for `subject_token` and `request`: from the cache,
    /// from a call in flight for the same request, or from the endpoint.
    pub async fn exchange(
        &self,
        subject_token: &str,
        request: &ExchangeRequest,
    ) -> AuthResult<Arc<Exchanged>> {
        let key = self.digest(subject_token, request)?;
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        let call = async { Ok(self.call(subject_token, request, key).await?.0) };
        self.flights.share(key, call).await
    }

    /// The cache key of one exchange (the subject token's hash and every
    /// parameter); refuses a subject token out of bounds.
    pub fn digest(&self, subject_token: &str, request: &ExchangeRequest) -> AuthResult<Digest> {
        if subject_token.is_empty() || subject_token.len() > MAX_SUBJECT_TOKEN_LENGTH {
            return Err(AuthError::malformed("token length is out of bounds"));
        }
        Ok(request.key(self.config.grant, subject_token))
    }

    /// The local cache's token for `key`, while it may be reused.
    pub fn cached(&self, key: &Digest) -> Option<Arc<Exchanged>> {
        self.cache.as_ref()?.get(key, Instant::now())
    }

    /// Keeps `issued` in the local cache until `until` (a fleet record's).
    pub fn remember(&self, key: Digest, issued: Arc<Exchanged>, until: Instant) {
        if let Some(cache) = &self.cache {
            cache.insert(key, issued, until, Instant::now());
        }
    }

    /// How long before `expires_in` runs out an issued token stops being reused.
    pub fn expiry_margin(&self) -> Duration {
        self.config.expiry_margin
    }

    /// The deadline of one call to the token endpoint.
    pub fn timeout(&self) -> Duration {
        self.config.fetch.timeout
    }

    /// One call to the endpoint, its token cached locally; also when it may
    /// be reused until (`None`: never, `expires_in` unknown or too short).
    pub async fn call(
        &self,
        subject_token: &str,
        request: &ExchangeRequest,
        key: Digest,
    ) -> AuthResult<(Arc<Exchanged>, Option<Instant>)> {
        // Lifetimes count from before the request left: never past the real expiry.
        let sent = Instant::now();
        let issued = Arc::new(self.call_uncached(subject_token, request).await?);
        let reuse_until = issued.expires_in.and_then(|seconds| {
            let reuse = Duration::from_secs(seconds).checked_sub(self.config.expiry_margin)?;
            Some(sent + reuse)
        });
        if let Some(until) = reuse_until {
            self.remember(key, issued.clone(), until);
        }
        Ok((issued, reuse_until))
    }

    async fn call_uncached(
        &self,
        subject_token: &str,
        request: &ExchangeRequest,
    ) -> AuthResult<Exchanged> {
        let endpoint = self.endpoint().await?;
        let caller = Caller {
            auth: &self.config.auth,
            assertion_audience: &self.config.assertion_audience,
            fetch: &self.config.fetch,
        };
        let members = request.form(self.config.grant, subject_token);
        let answer = caller.post(&endpoint, &members, ERRORS).await?;
        answer::judge(
            &answer,
            self.config.grant,
            request.requested_token_type.as_deref(),
        )
        .map_err(|err| err.with_url(http::shown_url(&endpoint)))
    }

    /// The configured endpoint, or the issuer metadata's `token_endpoint`
    /// (discovered once; a failure is remembered for a short cooldown). Any
    /// failure to learn it is an outage of the exchange.
    async fn endpoint(&self) -> AuthResult<Url> {
        let issuer = self.config.issuer.as_deref().unwrap_or_default();
        let discover = || async {
            endpoint::discover(
                issuer,
                self.config.issuer_type,
                "token_endpoint",
                "token endpoint",
                ErrorCode::TokenExchangeUnavailable,
            )
            .await
            .map_err(|e| {
                let err = AuthError::new(ErrorCode::TokenExchangeUnavailable, e.reason)
                    .with_retry_after(http::DEFAULT_RETRY_AFTER_SECS);
                match e.url {
                    Some(url) => err.with_url(url),
                    None => err,
                }
            })
        };
        self.endpoint.get(discover).await
    }
}

#[cfg(test)]
#[path = "exchanger_tests.rs"]
mod tests;
