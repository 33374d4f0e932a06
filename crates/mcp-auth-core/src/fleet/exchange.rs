//! Issued tokens a fleet shares: one token-endpoint call per exchange (the
//! same subject token, parameters and grant) for all processes. Keys name
//! the exchange by the local cache's digest only
//! (`exchange:<scope>:<base64url digest>`: the subject token's SHA-256 and
//! every parameter; the subject token itself is never stored). Values hold
//! an issued access token, so they are encrypted and signed (`sealed.rs`),
//! and stored no longer than the local cache would keep them. The store's
//! outage is a miss: the exchange carries on in this process.

use crate::error::{AuthError, AuthResult};
use crate::exchange::answer::Exchanged;
use crate::exchange::exchanger::TokenExchanger;
use crate::exchange::request::ExchangeRequest;
use crate::fleet::guard::EventSink;
use crate::fleet::records::{SignedStore, StoreSecret};
use crate::fleet::scope::scope_id;
use crate::fleet::sealed::SealedStore;
use crate::fleet::single_flight::{single_flight, FlightTiming};
use crate::fleet::store::SharedStore;
use crate::in_flight::InFlight;
use crate::options::token_exchange::TokenExchangeOptions;
use crate::tokens::cache::Digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Options that shape no issued token: credentials (never hashed into a
/// key), timing and sizes. Every other option (issuer, endpoint, grant,
/// client id, and any added later) splits the keyspace, so a token is never
/// shared between settings that could be issued another.
const NOT_TOKEN_SETTINGS: [&str; 12] = [
    "clientSecret",
    "privateKey",
    "signingAlgorithm",
    "keyId",
    "clientAuthMethod",
    "assertionAudience",
    "timeout",
    "maxResponseBytes",
    "cacheSize",
    "cacheMaxBytes",
    "expiryMargin",
    "storeTimeout",
];

/// What a stored token depends on.
pub fn token_settings(options: &TokenExchangeOptions) -> Value {
    let mut settings = match serde_json::to_value(options) {
        Ok(Value::Object(members)) => members,
        _ => serde_json::Map::new(),
    };
    settings.retain(|name, value| !value.is_null() && !NOT_TOKEN_SETTINGS.contains(&name.as_str()));
    // A default spelt out is the default: the bindings fill in different ones.
    for (name, default) in [("issuerType", "oauth"), ("grant", "token_exchange")] {
        if settings.get(name).and_then(Value::as_str) == Some(default) {
            settings.remove(name);
        }
    }
    Value::Object(settings)
}

/// A stored exchange: the issued token and when it expires (ms since the
/// epoch, counted from before the request left), so every reader applies
/// its own `expiryMargin` and reports the `expiresIn` left.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Record {
    access_token: String,
    token_type: String,
    issued_token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    expires_at: u64,
}

fn epoch_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The record of `issued` sent at `sent_ms`, and its TTL: until `reuse_until`.
fn record(issued: &Exchanged, sent_ms: u64, reuse_until: Option<Instant>) -> (String, Duration) {
    let (Some(seconds), Some(until)) = (issued.expires_in, reuse_until) else {
        return (String::new(), Duration::ZERO);
    };
    let ttl = until.saturating_duration_since(Instant::now());
    let record = Record {
        access_token: issued.access_token.clone(),
        token_type: issued.token_type.clone(),
        issued_token_type: issued.issued_token_type.clone(),
        scope: issued.scope.clone(),
        expires_at: sent_ms.saturating_add(seconds.saturating_mul(1000)),
    };
    match serde_json::to_string(&record) {
        Ok(text) => (text, ttl),
        Err(_) => (String::new(), Duration::ZERO),
    }
}

/// A stored record's token and how long it may be reused here; `None`
/// when it is unreadable or too close to its expiry for `margin`.
fn read(text: &str, margin: Duration, now_ms: u64) -> Option<(Exchanged, Duration)> {
    let record: Record = serde_json::from_str(text).ok()?;
    let left = Duration::from_millis(record.expires_at.checked_sub(now_ms)?);
    let reuse = left.checked_sub(margin).filter(|d| !d.is_zero())?;
    let issued = Exchanged {
        access_token: record.access_token,
        token_type: record.token_type,
        issued_token_type: record.issued_token_type,
        expires_in: Some(left.as_secs()),
        scope: record.scope,
    };
    Some((issued, reuse))
}

pub struct ExchangeFleet {
    records: SealedStore,
    scope: String,
    flights: InFlight<String, AuthResult<Arc<Exchanged>>>,
}

impl ExchangeFleet {
    /// The fleet for one exchanger's `options`; refuses a `storeTimeout`
    /// out of range (the same check as introspection's).
    pub fn new(
        store: Arc<dyn SharedStore>,
        secret: StoreSecret,
        options: &TokenExchangeOptions,
        events: Option<EventSink>,
    ) -> AuthResult<Self> {
        Ok(Self {
            scope: scope_id(&secret, &token_settings(options)),
            records: SealedStore::new(SignedStore::guarded(
                store,
                secret,
                (options.store_timeout, "tokenExchange.storeTimeout"),
                events,
            )?),
            flights: InFlight::default(),
        })
    }

    /// See [`GuardedStore::with_dispatch_slack`]; before the fleet is shared.
    pub fn with_dispatch_slack(mut self, slack: Duration) -> Self {
        self.records = self
            .records
            .map_guard(|guard| guard.with_dispatch_slack(slack));
        self
    }

    /// The deadline of one store operation.
    pub fn store_timeout(&self) -> Duration {
        self.records.guard().timeout()
    }

    /// The store key of the exchange whose local cache key is `digest`.
    pub fn key(&self, digest: &Digest) -> String {
        format!("exchange:{}:{}", self.scope, URL_SAFE_NO_PAD.encode(digest))
    }

    /// The issued token: the local cache, else the fleet's record, else one
    /// endpoint call for the whole fleet.
    pub async fn exchange(
        &self,
        exchanger: &TokenExchanger,
        subject_token: &str,
        request: &ExchangeRequest,
    ) -> AuthResult<Arc<Exchanged>> {
        let digest = exchanger.digest(subject_token, request)?;
        if let Some(hit) = exchanger.cached(&digest) {
            return Ok(hit);
        }
        let key = self.key(&digest);
        // Boxed: the endpoint call and the store round trips make a large future.
        let lookup = Box::pin(self.lookup(exchanger, subject_token, request, digest, &key));
        self.flights.share(key.clone(), lookup).await
    }

    async fn lookup(
        &self,
        exchanger: &TokenExchanger,
        subject_token: &str,
        request: &ExchangeRequest,
        digest: Digest,
        key: &str,
    ) -> AuthResult<Arc<Exchanged>> {
        let mut learnt = None;
        let compute = Box::pin(async {
            let sent_ms = epoch_ms(SystemTime::now());
            let (issued, reuse_until) = exchanger.call(subject_token, request, digest).await?;
            let shared = record(&issued, sent_ms, reuse_until);
            learnt = Some(issued);
            Ok::<_, AuthError>(shared)
        });
        // The lock outlives the endpoint call's own deadline, so waiting
        // processes do not give up on a slow but working holder.
        let timing = FlightTiming {
            lock_ttl: exchanger.timeout() + Duration::from_secs(1),
            poll: Duration::from_millis(25),
        };
        let flown = single_flight(&self.records, key, compute, timing).await?;
        if flown.computed {
            if let Some(issued) = learnt {
                return Ok(issued);
            }
        }
        let now_ms = epoch_ms(SystemTime::now());
        if let Some((issued, reuse)) = read(&flown.value, exchanger.expiry_margin(), now_ms) {
            let issued = Arc::new(issued);
            exchanger.remember(digest, issued.clone(), Instant::now() + reuse);
            return Ok(issued);
        }
        Ok(Box::pin(exchanger.call(subject_token, request, digest))
            .await?
            .0)
    }
}

#[cfg(test)]
#[path = "exchange_tests.rs"]
mod tests;
