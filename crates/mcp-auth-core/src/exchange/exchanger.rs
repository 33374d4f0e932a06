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
        if subject_token.is_empty() || subject_token.len() > MAX_SUBJECT_TOKEN_LENGTH {
            return Err(AuthError::malformed("token length is out of bounds"));
        }
        let key = request.key(self.config.grant, subject_token);
        if let Some(hit) = self
            .cache
            .as_ref()
            .and_then(|c| c.get(&key, Instant::now()))
        {
            return Ok(hit);
        }
        self.flights
            .share(key, self.call(subject_token, request, key))
            .await
    }

    async fn call(
        &self,
        subject_token: &str,
        request: &ExchangeRequest,
        key: Digest,
    ) -> AuthResult<Arc<Exchanged>> {
        // Lifetimes count from before the request left: never past the real expiry.
        let sent = Instant::now();
        let issued = Arc::new(self.call_uncached(subject_token, request).await?);
        if let (Some(cache), Some(seconds)) = (&self.cache, issued.expires_in) {
            let lifetime = Duration::from_secs(seconds);
            if let Some(reuse) = lifetime.checked_sub(self.config.expiry_margin) {
                cache.insert(key, issued.clone(), sent + reuse, Instant::now());
            }
        }
        Ok(issued)
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
