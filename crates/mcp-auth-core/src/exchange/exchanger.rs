//! The token-exchange client: one authenticated POST to the token endpoint
//! per distinct request not in the cache (the introspection client's HTTP
//! bounds and client authentication), issued tokens cached until shortly
//! before they expire, and concurrent identical exchanges sharing one call.

use super::answer::{self, Exchanged};
use super::cache::ExchangeCache;
use super::request::{ExchangeParams, ExchangeRequest};
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http;
use crate::introspection::cache::Flights;
use crate::issuers::discovery;
use crate::options::token_exchange::{AssertionTarget, TokenExchangeConfig};
use crate::tokens::cache::Digest;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use url::Url;

/// How long a failed endpoint discovery is remembered before the next try.
const DISCOVERY_COOLDOWN: Duration = Duration::from_secs(5);
/// The longest subject token sent (a bearer token far beyond real sizes).
const MAX_SUBJECT_TOKEN_LENGTH: usize = 64 * 1024;

pub struct TokenExchanger {
    config: TokenExchangeConfig,
    endpoint: OnceCell<Url>,
    discovery_failure: Mutex<Option<(Instant, AuthError)>>,
    cache: Option<ExchangeCache>,
    flights: Flights<Arc<Exchanged>>,
}

impl TokenExchanger {
    pub fn new(config: TokenExchangeConfig) -> Self {
        Self {
            endpoint: OnceCell::new_with(config.endpoint.clone()),
            cache: ExchangeCache::new(config.cache_size, config.cache_max_bytes),
            config,
            discovery_failure: Mutex::new(None),
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
        let audience = match &self.config.assertion_audience {
            AssertionTarget::Issuer(issuer) => issuer.clone(),
            AssertionTarget::Endpoint => endpoint.to_string(),
            AssertionTarget::Url(url) => url.clone(),
        };
        let credentials = self.config.auth.credentials(&audience)?;
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in request.form(self.config.grant, subject_token) {
                form.append_pair(name, &value);
            }
            for (name, value) in &credentials.form {
                form.append_pair(name, value);
            }
            form.finish()
        };
        let answer = http::post_token_request(
            &endpoint,
            &self.config.fetch,
            credentials.authorization.as_deref(),
            body,
            ErrorCode::TokenExchangeUnavailable,
            ErrorCode::TokenExchangeRefused,
        )
        .await?;
        answer::judge(
            &answer,
            self.config.grant,
            request.requested_token_type.as_deref(),
        )
        .map_err(|err| err.with_url(http::shown_url(&endpoint)))
    }

    /// The configured endpoint, or the issuer metadata's `token_endpoint`
    /// (discovered once; a failure is remembered for a short cooldown).
    async fn endpoint(&self) -> AuthResult<Url> {
        if let Some(url) = self.endpoint.get() {
            return Ok(url.clone());
        }
        let failure = || {
            self.discovery_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
        };
        if let Some((at, err)) = &*failure() {
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
            *failure() = Some((Instant::now(), err.clone()));
        }
        found
    }

    /// Any failure to learn the endpoint is an outage of the exchange.
    async fn discover(&self) -> AuthResult<Url> {
        let outage = |reason: String, url: Option<String>| {
            let err = AuthError::new(ErrorCode::TokenExchangeUnavailable, reason)
                .with_retry_after(http::DEFAULT_RETRY_AFTER_SECS);
            match url {
                Some(url) => err.with_url(url),
                None => err,
            }
        };
        let issuer = self.config.issuer.as_deref().unwrap_or_default();
        let found = discovery::discover(issuer, self.config.issuer_type, &Default::default())
            .await
            .map_err(|e| outage(e.reason, e.url))?;
        match found.document.get("token_endpoint") {
            Some(Value::String(url)) => {
                crate::issuers::trusted::check_server_url(url, "token endpoint").map_err(|_| {
                    outage(
                        "metadata token_endpoint is not an allowed URL".into(),
                        Some(found.url.clone()),
                    )
                })
            }
            _ => Err(outage(
                "metadata has no token_endpoint".into(),
                Some(found.url.clone()),
            )),
        }
    }
}

#[cfg(test)]
#[path = "exchanger_tests.rs"]
mod tests;
