//! The introspection verdicts a fleet shares: one endpoint call per token
//! for all processes. Keys name the token by its hash only
//! (`introspection:<scope>:<base64url SHA-256 of the token>`), values are
//! signed records (`records.rs`) that are judged again, by the same rules,
//! when read back. Concurrent requests in this process share one lookup.

use crate::error::AuthResult;
use crate::fleet::guard::EventSink;
use crate::fleet::records::{SignedStore, StoreSecret};
use crate::fleet::scope::scope_id;
use crate::fleet::single_flight::{single_flight, INTROSPECTION_TIMING};
use crate::fleet::store::SharedStore;
use crate::in_flight::InFlight;
use crate::introspection::introspector::{to_result, Introspector};
use crate::options::introspection::IntrospectorOptions;
use crate::tokens::cache;
use crate::tokens::verified::Verified;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Options that shape no verdict: credentials (never hashed into a key),
/// timing and sizes, and the issuer's own endpoint from its metadata (the
/// issuer and its type name that endpoint, as they name a discovered one, so
/// a process given the metadata and one that discovers it share records).
/// Every other option (issuer, a chosen endpoint, audiences, claim rules, and
/// any added later) splits the keyspace, so records are never shared between
/// settings that could judge a token differently.
const NOT_VERDICT_SETTINGS: [&str; 13] = [
    "metadataEndpoint",
    "clientSecret",
    "privateKey",
    "signingAlgorithm",
    "keyId",
    "clientAuthMethod",
    "assertionAudience",
    "timeout",
    "cacheMaxAge",
    "negativeCacheTtl",
    "cacheSize",
    "maxResponseBytes",
    "storeTimeout",
];

/// What a stored verdict depends on: the verdict options and the resource.
pub fn verdict_settings(options: &IntrospectorOptions, resource: Option<&str>) -> Value {
    let mut settings = match serde_json::to_value(options) {
        Ok(Value::Object(members)) => members,
        _ => serde_json::Map::new(),
    };
    settings
        .retain(|name, value| !value.is_null() && !NOT_VERDICT_SETTINGS.contains(&name.as_str()));
    settings.insert(
        "resource".to_owned(),
        resource.map_or(Value::Null, |r| Value::String(r.to_owned())),
    );
    Value::Object(settings)
}

pub struct IntrospectionFleet {
    records: SignedStore,
    scope: String,
    flights: InFlight<String, AuthResult<Arc<Verified>>>,
}

impl IntrospectionFleet {
    /// The fleet for one introspector's `options` at `resource`; refuses a
    /// `storeTimeout` out of range.
    pub fn new(
        store: Arc<dyn SharedStore>,
        secret: StoreSecret,
        options: &IntrospectorOptions,
        resource: Option<&str>,
        events: Option<EventSink>,
    ) -> AuthResult<Self> {
        Ok(Self {
            scope: scope_id(&secret, &verdict_settings(options, resource)),
            records: SignedStore::guarded(
                store,
                secret,
                (options.store_timeout, "introspection.storeTimeout"),
                events,
            )?,
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

    /// The store key of `token`'s verdict.
    pub fn key(&self, token: &str) -> String {
        format!(
            "introspection:{}:{}",
            self.scope,
            URL_SAFE_NO_PAD.encode(cache::hash(token))
        )
    }

    /// The token's verdict: the local cache, else the fleet's record, else
    /// one endpoint call for the whole fleet.
    pub async fn verify(
        &self,
        introspector: &Introspector,
        token: &str,
    ) -> AuthResult<Arc<Verified>> {
        if let Some(hit) = introspector.cached(token) {
            return hit;
        }
        let key = self.key(token);
        // Boxed: the endpoint call and the store round trips make a large future.
        let lookup = Box::pin(self.lookup(introspector, token, &key));
        self.flights.share(key.clone(), lookup).await
    }

    async fn lookup(
        &self,
        introspector: &Introspector,
        token: &str,
        key: &str,
    ) -> AuthResult<Arc<Verified>> {
        let mut learnt = None;
        let compute = Box::pin(async {
            let fresh = introspector.introspect(token).await?;
            let shared = (fresh.record.clone(), fresh.reuse_for);
            learnt = Some(fresh.verdict);
            Ok::<_, crate::error::AuthError>(shared)
        });
        let flown = single_flight(&self.records, key, compute, INTROSPECTION_TIMING).await?;
        if flown.computed {
            if let Some(verdict) = learnt {
                return to_result(verdict);
            }
        }
        // Read back from the store: judged again by the same rules.
        if let Some(admitted) = introspector.admit(token, &flown.value)? {
            return Ok(admitted);
        }
        let fresh = Box::pin(introspector.introspect(token)).await?;
        to_result(fresh.verdict)
    }
}

#[cfg(test)]
#[path = "introspection_tests.rs"]
mod tests;
