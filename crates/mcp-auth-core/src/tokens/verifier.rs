//! Access-token verification: one trust configuration, many tokens, one path.
//!
//! `step` takes a token as far as it can without I/O and decides what comes
//! next: a settled result (a cache hit, an early rejection, or a signature
//! checked inline), a signature check for a worker thread (`complete`), or a
//! key fetch (`resolve`). The token is hashed once and the matched key
//! travels with the attempt. Due key-set refreshes are started here too.

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::FetchOptions;
use crate::issuers::template::TenantMatch;
use crate::issuers::trusted::{self, TrustedIssuer};
use crate::keys::jwk::{KeyMatch, KeySet};
use crate::keys::key_set::{Cached, EventSink, KeySetCache, KeySetOptions};
use crate::spare_cpu::SpareCpu;
use crate::tokens::cache::{self, Digest, KeyStatus, TokenCache};
use crate::tokens::claims::{ClaimRules, Identity, MAX_LEEWAY};
use crate::tokens::strict_json;
use crate::tokens::token::{self, ParsedToken};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use crate::issuers::trusted::IssuerSource;
pub use crate::tokens::verified::Verified;

/// Where signature checks run when the caller can wait for a promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offload {
    /// On a worker while one is free and the machine has an idle core, else
    /// inline (`spare_cpu.rs`, measured in `bench/README.md`).
    Auto,
    /// Always on the calling thread.
    Never,
    /// Always on a worker.
    Always,
}

#[derive(Debug, Clone)]
pub struct VerifierConfig {
    pub issuers: Vec<IssuerSource>,
    pub algorithms: Vec<Algorithm>,
    pub rules: ClaimRules,
    pub max_token_length: usize,
    pub key_sets: KeySetOptions,
    pub discovery: FetchOptions,
    /// Verified-token cache size; 0 disables it.
    pub token_cache_entries: usize,
    pub token_cache_max_age: Duration,
    pub offload: Offload,
}

/// Runs a future on the async runtime (the addon's, or a test's).
pub type Spawner = Arc<dyn Fn(Pin<Box<dyn Future<Output = ()> + Send>>) + Send + Sync>;

/// A parsed token from a trusted issuer, with its cache key.
pub struct Attempt {
    token: ParsedToken,
    issuer: usize,
    digest: Option<Digest>,
}

/// A signature check to run on a worker: the key is already matched.
pub struct Ready {
    attempt: Attempt,
    keys: Arc<KeySet>,
    key: usize,
    /// Counts this check among the busy workers until it is dropped.
    _busy: Busy,
}

/// What `resolve` must fetch before it can finish.
pub struct Pending {
    attempt: Attempt,
    unknown_kid: bool,
}

pub enum Step {
    Settled(AuthResult<Arc<Verified>>),
    Offload(Ready),
    Fetch(Pending),
}

struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub struct Verifier {
    issuers: Vec<TrustedIssuer>,
    algorithms: Vec<Algorithm>,
    rules: ClaimRules,
    max_token_length: usize,
    key_sets: KeySetOptions,
    discovery: FetchOptions,
    token_cache: Option<TokenCache>,
    events: Option<EventSink>,
    spawner: Spawner,
    offload: Offload,
    /// Signature checks handed to workers and not finished yet.
    busy: Arc<AtomicUsize>,
    /// How many may be: the cores other than the JS thread's.
    workers: usize,
    spare_cpu: SpareCpu,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn key_error(found: &KeyMatch<'_>) -> AuthError {
    match found {
        KeyMatch::Found(_) | KeyMatch::Unknown => {
            AuthError::new(ErrorCode::UnknownKid, "no key matches the token's key id")
        }
        KeyMatch::AlgorithmMismatch => AuthError::new(
            ErrorCode::AlgNotAllowed,
            "token algorithm does not match its key",
        ),
        KeyMatch::Ambiguous => AuthError::new(
            ErrorCode::AmbiguousKey,
            "several keys match the token's key id",
        ),
    }
}

impl Verifier {
    pub fn new(
        config: VerifierConfig,
        events: Option<EventSink>,
        spawner: Spawner,
    ) -> AuthResult<Self> {
        if config.algorithms.is_empty() {
            return Err(AuthError::config("`algorithms` must not be empty"));
        }
        if config.rules.leeway > MAX_LEEWAY {
            return Err(AuthError::config(format!(
                "`clockTolerance` must be from 0 to {MAX_LEEWAY} seconds"
            )));
        }
        let issuers = trusted::trusted_issuers(&config.issuers, &config.key_sets)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            issuers,
            algorithms: config.algorithms,
            rules: config.rules,
            max_token_length: config.max_token_length,
            key_sets: config.key_sets,
            discovery: config.discovery,
            token_cache: TokenCache::new(config.token_cache_entries, config.token_cache_max_age),
            events,
            spawner,
            offload: config.offload,
            busy: Arc::new(AtomicUsize::new(0)),
            workers: cores.saturating_sub(1),
            spare_cpu: SpareCpu::new(),
        })
    }

    /// Takes `token` as far as cached keys allow. With `may_offload` false
    /// the answer is never `Offload`: the signature is checked here.
    pub fn step(&self, token: &str, may_offload: bool) -> Step {
        let now = Instant::now();
        let digest = match &self.token_cache {
            Some(_) => cache::digest(token),
            None => None,
        };
        if let Some(settled) = digest.as_ref().and_then(|d| self.cached(d, now)) {
            return Step::Settled(settled);
        }
        let parsed = match self.parse(token) {
            Ok(parsed) => parsed,
            Err(err) => return Step::Settled(Err(err)),
        };
        let issuer = match self.trusted_issuer(&parsed.claims) {
            Ok(index) => index,
            Err(err) => return Step::Settled(Err(err)),
        };
        let attempt = Attempt {
            token: parsed,
            issuer,
            digest,
        };
        let fetch = |attempt, unknown_kid| {
            Step::Fetch(Pending {
                attempt,
                unknown_kid,
            })
        };
        let Some(cache) = self.issuers[issuer].keys() else {
            return fetch(attempt, false);
        };
        let Cached::Usable { keys, refresh_due } = cache.cached(now) else {
            return fetch(attempt, false);
        };
        if refresh_due {
            self.refresh_in_background(cache.clone());
        }
        let key = match find(&keys, &attempt.token) {
            (Some(index), _) => index,
            (None, KeyMatch::Unknown) if cache.may_refetch(now) => return fetch(attempt, true),
            (None, found) => return Step::Settled(Err(key_error(&found))),
        };
        if may_offload && self.worker_free(now) {
            let busy = Busy(self.busy.clone());
            return Step::Offload(Ready {
                attempt,
                keys,
                key,
                _busy: busy,
            });
        }
        Step::Settled(self.finish(attempt, &keys, key))
    }

    /// Claims a worker for one check if the policy and the load allow it.
    fn worker_free(&self, now: Instant) -> bool {
        match self.offload {
            Offload::Never => false,
            Offload::Always => {
                self.busy.fetch_add(1, Ordering::Relaxed);
                true
            }
            Offload::Auto if self.workers == 0 || !self.spare_cpu.available(now) => false,
            Offload::Auto => self
                .busy
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < self.workers).then_some(n + 1)
                })
                .is_ok(),
        }
    }

    /// The signature and claim checks of a token `step` offloaded.
    pub fn complete(&self, ready: Ready) -> AuthResult<Arc<Verified>> {
        self.finish(ready.attempt, &ready.keys, ready.key)
    }

    /// Fetches what `step` lacked, then finishes verification.
    pub async fn resolve(&self, pending: Pending) -> AuthResult<Arc<Verified>> {
        let now = Instant::now();
        let issuer = &self.issuers[pending.attempt.issuer];
        let cache = issuer
            .key_set_cache(&self.key_sets, &self.discovery)
            .await?;
        let events = self.events.as_ref();
        let keys = if pending.unknown_kid {
            cache.refetch_for_unknown_kid(now, events).await?
        } else {
            cache.ensure(now, events).await?
        };
        match find(&keys, &pending.attempt.token) {
            (Some(key), _) => self.finish(pending.attempt, &keys, key),
            (None, found) => Err(key_error(&found)),
        }
    }

    /// Verifies `token`, fetching keys if needed, all on the calling task.
    pub async fn verify(&self, token: &str) -> AuthResult<Arc<Verified>> {
        match self.step(token, false) {
            Step::Settled(result) => result,
            Step::Offload(ready) => self.complete(ready),
            Step::Fetch(pending) => self.resolve(pending).await,
        }
    }

    /// Discovers and loads every issuer's keys, e.g. at startup.
    pub async fn prepare(&self) -> AuthResult<()> {
        for issuer in &self.issuers {
            let cache = issuer
                .key_set_cache(&self.key_sets, &self.discovery)
                .await?;
            cache.ensure(Instant::now(), self.events.as_ref()).await?;
        }
        Ok(())
    }

    /// A verified-token cache hit, confirmed: its key still in the issuer's
    /// current set, claims still valid. Hits also start a due key-set
    /// refresh, so a client that reuses one token cannot keep a removed key
    /// alive past the set's ttl.
    fn cached(&self, digest: &Digest, now: Instant) -> Option<AuthResult<Arc<Verified>>> {
        let cache = self.token_cache.as_ref()?;
        let hit = cache.get(digest, now)?;
        let key_set = self.issuers[hit.issuer].keys()?;
        let Cached::Usable { keys, refresh_due } = key_set.cached(now) else {
            return None;
        };
        if refresh_due {
            self.refresh_in_background(key_set.clone());
        }
        match hit.key_status(&keys) {
            KeyStatus::SameSet => {}
            KeyStatus::StillPresent => cache.rebind(digest, &keys),
            KeyStatus::Gone => {
                cache.remove(digest);
                return None;
            }
        }
        // The cached token passed every claim rule of this verifier when it was
        // stored; only the clock can have changed that since.
        let result = self.rules.check_times(&hit.verified.claims, unix_now());
        if result.is_err() {
            cache.remove(digest);
        }
        Some(result.map(|()| hit.verified))
    }

    fn refresh_in_background(&self, cache: Arc<KeySetCache>) {
        let events = self.events.clone();
        // Fire and forget: the request that noticed is answered meanwhile.
        (self.spawner)(Box::pin(async move {
            cache.refresh(Instant::now(), events.as_ref()).await
        }));
    }

    fn parse(&self, token: &str) -> AuthResult<ParsedToken> {
        let parsed = token::parse(token, self.max_token_length, &self.algorithms)?;
        self.rules.check_type(&parsed.header)?;
        Ok(parsed)
    }

    /// Whether `token` is a JWS whose `iss` names one of this verifier's
    /// issuers (a plain one, or the shape of a template), read without
    /// verifying anything. 'auto' mode sends exactly these tokens to `step`,
    /// so routing and trust share the issuer selection below.
    pub fn names_trusted_issuer(&self, token: &str) -> bool {
        if token.len() > self.max_token_length {
            return false;
        }
        let Some(claims) = unverified_claims(token) else {
            return false;
        };
        match claims.get("iss") {
            Some(Value::String(iss)) => self.named_issuer(iss, &claims).is_some(),
            _ => false,
        }
    }

    /// Picks the issuer by an allow-listed `iss` before any network I/O (C17).
    fn trusted_issuer(&self, claims: &Map<String, Value>) -> AuthResult<usize> {
        let iss = match claims.get("iss") {
            Some(Value::String(iss)) => iss,
            Some(_) => {
                return Err(AuthError::new(
                    ErrorCode::InvalidClaim,
                    "token claim iss is invalid",
                ))
            }
            None => {
                return Err(AuthError::new(
                    ErrorCode::MissingClaim,
                    "token has no iss claim",
                ))
            }
        };
        self.named_issuer(iss, claims).unwrap_or_else(|| {
            Err(AuthError::new(
                ErrorCode::IssuerUntrusted,
                "token issuer is not trusted",
            ))
        })
    }

    /// The issuer `iss` names: `None` when it is none of ours; an error when
    /// it has a template's shape but the token fails that template's rule.
    fn named_issuer(&self, iss: &str, claims: &Map<String, Value>) -> Option<AuthResult<usize>> {
        let exact = self
            .issuers
            .iter()
            .position(|i| i.template.is_none() && !i.any() && i.issuer == iss);
        if let Some(index) = exact {
            return Some(Ok(index));
        }
        // A key set trusted for any issuer (its caller checks `iss`) takes the rest.
        if let Some(index) = self.issuers.iter().position(|i| i.any() && !iss.is_empty()) {
            return Some(Ok(index));
        }
        for (index, issuer) in self.issuers.iter().enumerate() {
            match issuer.template.as_ref().map(|t| t.check(iss, claims)) {
                Some(TenantMatch::Matched) => return Some(Ok(index)),
                Some(TenantMatch::Refused(err)) => return Some(Err(err)),
                Some(TenantMatch::NotThis) | None => {}
            }
        }
        None
    }

    /// The signature check with the matched key, then the claim checks.
    fn finish(
        &self,
        attempt: Attempt,
        keys: &Arc<KeySet>,
        key: usize,
    ) -> AuthResult<Arc<Verified>> {
        let Attempt {
            token: parsed,
            issuer,
            digest,
        } = attempt;
        let key = &keys.keys[key];
        if !parsed.signature_verifies(&key.key) {
            return Err(AuthError::new(
                ErrorCode::BadSignature,
                "token signature is invalid",
            ));
        }
        self.rules.check(&parsed.claims, unix_now())?;
        // The token's own `iss`: equal to the configured issuer, or the
        // tenant's issuer for a template.
        let iss = match parsed.claims.get("iss") {
            Some(Value::String(iss)) => iss.clone(),
            _ => self.issuers[issuer].issuer.clone(),
        };
        let verified = Arc::new(Verified {
            identity: Identity::from_claims(&parsed.claims, &self.rules),
            header: parsed.header,
            claims: parsed.claims,
            header_json: parsed.header_json,
            claims_json: parsed.claims_json,
            issuer: iss,
        });
        if let (Some(cache), Some(digest)) = (&self.token_cache, digest) {
            cache.insert(
                digest,
                verified.clone(),
                issuer,
                keys,
                key.fingerprint,
                Instant::now(),
            );
        }
        Ok(verified)
    }
}

/// The payload of a three-segment token whose header names an `alg`, read
/// without checking anything else: only for routing, never for accepting.
pub(crate) fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let object = |segment: &str| {
        let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
        strict_json::parse_object(&bytes, strict_json::TOKEN_MAX_DEPTH).ok()
    };
    if !matches!(object(header)?.get("alg"), Some(Value::String(_))) {
        return None;
    }
    object(payload)
}

/// The index of the key that verifies `token`, or why there is none.
fn find<'a>(keys: &'a KeySet, token: &ParsedToken) -> (Option<usize>, KeyMatch<'a>) {
    match keys.find(token.kid.as_deref(), token.alg) {
        KeyMatch::Found(key) => {
            let index = keys.keys.iter().position(|k| std::ptr::eq(k, key));
            (index, KeyMatch::Found(key))
        }
        other => (None, other),
    }
}

#[cfg(test)]
#[path = "verifier_tests.rs"]
mod tests;
