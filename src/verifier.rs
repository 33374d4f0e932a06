//! Access-token verification: one trust configuration, many tokens, one path.
//!
//! `step` takes a token as far as it can without I/O and decides what comes
//! next: a settled result (a cache hit, an early rejection, or a signature
//! checked inline), a signature check for a worker thread (`complete`), or a
//! key fetch (`resolve`). The token is hashed once and the matched key
//! travels with the attempt. Due key-set refreshes are started here too.

use crate::claims::{ClaimRules, Identity, MAX_LEEWAY};
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::FetchOptions;
use crate::issuers::{self, TrustedIssuer};
use crate::jwk::{KeyMatch, KeySet};
use crate::key_set::{Cached, EventSink, KeySetCache, KeySetOptions};
use crate::spare_cpu::SpareCpu;
use crate::token::{self, ParsedToken};
use crate::token_cache::{self, Digest, KeyStatus, TokenCache};
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use crate::issuers::IssuerSource;

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

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// The header and payload as the issuer encoded them (see `ParsedToken`).
    pub header_json: String,
    pub claims_json: String,
    pub issuer: String,
    pub identity: Identity,
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
        let issuers = issuers::trusted_issuers(&config.issuers, &config.key_sets)?;
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
            Some(_) => token_cache::digest(token),
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
        let result = self.rules.check(&hit.verified.claims, unix_now());
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
        self.issuers
            .iter()
            .position(|i| &i.issuer == iss)
            .ok_or_else(|| {
                AuthError::new(ErrorCode::IssuerUntrusted, "token issuer is not trusted")
            })
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
        let valid = jsonwebtoken::crypto::verify(
            &parsed.signature,
            parsed.signing_input.as_bytes(),
            &key.key,
            parsed.alg,
        )
        .unwrap_or(false);
        if !valid {
            return Err(AuthError::new(
                ErrorCode::BadSignature,
                "token signature is invalid",
            ));
        }
        self.rules.check(&parsed.claims, unix_now())?;
        let verified = Arc::new(Verified {
            identity: Identity::from_claims(&parsed.claims),
            header: parsed.header,
            claims: parsed.claims,
            header_json: parsed.header_json,
            claims_json: parsed.claims_json,
            issuer: self.issuers[issuer].issuer.clone(),
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
mod tests {
    use super::*;
    use crate::claims::normalize_audience;
    use crate::discovery::ServerType;
    use crate::test_keys::{public_jwk, sign, sign_raw, RSA_1024_JWK};
    use crate::test_server::{Response, TestServer};
    use crate::token::DEFAULT_MAX_TOKEN_LENGTH;
    use serde_json::json;

    const AUD: &str = "http://127.0.0.1:3001/mcp";

    struct Fixture {
        server: TestServer,
        issuer: String,
        verifier: Verifier,
    }

    fn jwks(keys: Vec<Value>) -> Response {
        Response::json(json!({ "keys": keys }).to_string())
    }

    fn default_keys() -> Vec<Value> {
        vec![
            public_jwk(Algorithm::RS256, "rsa"),
            public_jwk(Algorithm::ES256, "ec"),
            public_jwk(Algorithm::EdDSA, "ed"),
        ]
    }

    async fn fixture_with(keys: Vec<Value>, tweak: impl FnOnce(&mut VerifierConfig)) -> Fixture {
        let server = TestServer::start().await;
        let issuer = server.origin();
        server.route(
            "/.well-known/openid-configuration",
            Response::json(
                json!({ "issuer": issuer, "jwks_uri": server.url("/jwks") }).to_string(),
            ),
        );
        server.route("/jwks", jwks(keys));
        let mut config = VerifierConfig {
            issuers: vec![IssuerSource {
                issuer: issuer.clone(),
                jwks_uri: None,
                kind: ServerType::Oidc,
            }],
            algorithms: crate::algorithms::all(),
            rules: ClaimRules {
                audiences: vec![normalize_audience(AUD)],
                ..ClaimRules::default()
            },
            max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            key_sets: KeySetOptions {
                cooldown: std::time::Duration::from_secs(30),
                ..KeySetOptions::default()
            },
            discovery: FetchOptions::default(),
            token_cache_entries: 64,
            token_cache_max_age: Duration::from_secs(300),
            offload: Offload::Auto,
        };
        tweak(&mut config);
        let verifier = Verifier::new(config, None, spawner()).unwrap();
        Fixture {
            server,
            issuer,
            verifier,
        }
    }

    fn spawner() -> Spawner {
        Arc::new(|task| {
            tokio::spawn(task);
        })
    }

    async fn fixture() -> Fixture {
        fixture_with(default_keys(), |_| {}).await
    }

    fn claims(issuer: &str) -> Value {
        let now = unix_now() as u64;
        json!({ "iss": issuer, "sub": "alice", "aud": AUD, "exp": now + 300, "iat": now,
                "client_id": "c1", "scope": "read:todos create:todos", "jti": "j1" })
    }

    fn token(alg: Algorithm, kid: &str, claims: &Value) -> String {
        let name = crate::algorithms::name(alg);
        sign(
            alg,
            &json!({ "alg": name, "kid": kid, "typ": "at+jwt" }),
            claims,
        )
    }

    async fn code(f: &Fixture, token: &str) -> ErrorCode {
        f.verifier.verify(token).await.unwrap_err().code
    }

    #[tokio::test]
    async fn verifies_rs256_es256_and_eddsa() {
        let f = fixture().await;
        for (alg, kid) in [
            (Algorithm::RS256, "rsa"),
            (Algorithm::ES256, "ec"),
            (Algorithm::EdDSA, "ed"),
        ] {
            let v = f
                .verifier
                .verify(&token(alg, kid, &claims(&f.issuer)))
                .await
                .unwrap();
            assert_eq!(v.issuer, f.issuer);
            assert_eq!(v.identity.subject.as_deref(), Some("alice"));
            assert_eq!(v.identity.client_id.as_deref(), Some("c1"));
            assert_eq!(v.identity.scopes, vec!["read:todos", "create:todos"]);
            assert_eq!(v.header["kid"], kid);
        }
        // One discovery and one key-set fetch served all three.
        assert_eq!(f.server.hits("/.well-known/openid-configuration"), 1);
        assert_eq!(f.server.hits("/jwks"), 1);
    }

    #[tokio::test]
    async fn sync_path_needs_keys_once_then_finishes_inline() {
        let f = fixture().await;
        let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
        assert!(matches!(f.verifier.step(&t, false), Step::Fetch(_)));
        f.verifier.prepare().await.unwrap();
        match f.verifier.step(&t, false) {
            Step::Settled(result) => assert!(result.is_ok()),
            _ => panic!("keys were loaded"),
        }
    }

    #[tokio::test]
    async fn rejects_untrusted_issuers_before_any_io() {
        let f = fixture().await;
        let t = token(Algorithm::RS256, "rsa", &claims("https://evil.example.com"));
        assert_eq!(code(&f, &t).await, ErrorCode::IssuerUntrusted);
        let mut no_iss = claims(&f.issuer);
        no_iss.as_object_mut().unwrap().remove("iss");
        assert_eq!(
            code(&f, &token(Algorithm::RS256, "rsa", &no_iss)).await,
            ErrorCode::MissingClaim
        );
        let trailing = format!("{}/", f.issuer);
        assert_eq!(
            code(&f, &token(Algorithm::RS256, "rsa", &claims(&trailing))).await,
            ErrorCode::IssuerUntrusted
        );
        assert_eq!(f.server.hits("/.well-known/openid-configuration"), 0);
        assert_eq!(f.server.hits("/jwks"), 0);
    }

    #[tokio::test]
    async fn rejects_forged_signatures_and_algorithms() {
        let f = fixture().await;
        let good = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
        // Payload swapped under a valid signature.
        let mut parts: Vec<&str> = good.split('.').collect();
        let other = token(
            Algorithm::RS256,
            "rsa",
            &json!({ "iss": f.issuer, "sub": "mallory" }),
        );
        parts[1] = other.split('.').nth(1).unwrap();
        assert_eq!(code(&f, &parts.join(".")).await, ErrorCode::BadSignature);
        // An EC key named by the RSA kid: the key is bound to RS algorithms.
        assert_eq!(
            code(&f, &token(Algorithm::ES256, "rsa", &claims(&f.issuer))).await,
            ErrorCode::AlgNotAllowed
        );
        // HS256 "signed" with the RSA public key as the secret.
        let secret = crate::test_keys::RSA_JWK.as_bytes();
        let header = json!({ "alg": "HS256", "kid": "rsa" }).to_string();
        let input = format!(
            "{}.{}",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                claims(&f.issuer).to_string()
            )
        );
        let sig = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(secret),
            Algorithm::HS256,
        )
        .unwrap();
        assert_eq!(
            code(&f, &format!("{input}.{sig}")).await,
            ErrorCode::AlgNotAllowed
        );
        // `none` with an empty signature never gets near a key.
        let none = format!(
            "{}.",
            input.replace(
                &input[..input.find('.').unwrap()],
                &base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    r#"{"alg":"none"}"#
                )
            )
        );
        assert!(matches!(
            code(&f, &none).await,
            ErrorCode::Malformed | ErrorCode::AlgNotAllowed
        ));
    }

    #[tokio::test]
    async fn der_encoded_ecdsa_signatures_are_rejected() {
        let f = fixture().await;
        let t = token(Algorithm::ES256, "ec", &claims(&f.issuer));
        let (input, sig) = t.rsplit_once('.').unwrap();
        let raw =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
        // Wrap r||s in a DER SEQUENCE of two INTEGERs (no sign padding needed for the test).
        let mut der = vec![0x30, 68, 0x02, 32];
        der.extend_from_slice(&raw[..32]);
        der.extend_from_slice(&[0x02, 32]);
        der.extend_from_slice(&raw[32..]);
        let der_token = format!(
            "{input}.{}",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, der)
        );
        assert_eq!(code(&f, &der_token).await, ErrorCode::BadSignature);
        let zero = format!(
            "{input}.{}",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, [0u8; 64])
        );
        assert_eq!(code(&f, &zero).await, ErrorCode::BadSignature);
    }

    #[tokio::test]
    async fn weak_and_unknown_keys() {
        let mut weak: Value = serde_json::from_str(RSA_1024_JWK).unwrap();
        weak["kid"] = "weak".into();
        let f = fixture_with(vec![weak, public_jwk(Algorithm::RS256, "rsa")], |_| {}).await;
        // The 1024-bit key was skipped, so its kid is unknown.
        assert_eq!(
            code(&f, &token(Algorithm::RS256, "weak", &claims(&f.issuer))).await,
            ErrorCode::UnknownKid
        );
        assert_eq!(
            code(&f, &token(Algorithm::RS256, "nope", &claims(&f.issuer))).await,
            ErrorCode::UnknownKid
        );
        // The first unknown kid after the initial fetch is inside the cooldown: no refetch.
        assert_eq!(f.server.hits("/jwks"), 1);
    }

    #[tokio::test]
    async fn rotated_keys_are_picked_up_on_unknown_kid() {
        let f = fixture_with(default_keys(), |c| {
            c.key_sets.cooldown = std::time::Duration::from_millis(50)
        })
        .await;
        f.verifier.prepare().await.unwrap();
        let mut keys = default_keys();
        keys.push(public_jwk(Algorithm::RS256, "rsa-2"));
        f.server.route("/jwks", jwks(keys));
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        let t = token(Algorithm::RS256, "rsa-2", &claims(&f.issuer));
        assert!(f.verifier.verify(&t).await.is_ok());
        assert_eq!(f.server.hits("/jwks"), 2);
    }

    #[tokio::test]
    async fn claim_failures_after_a_good_signature() {
        let f = fixture().await;
        let mut c = claims(&f.issuer);
        c["exp"] = json!(unix_now() as u64 - 100);
        assert_eq!(
            code(&f, &token(Algorithm::RS256, "rsa", &c)).await,
            ErrorCode::Expired
        );
        let mut c = claims(&f.issuer);
        c["aud"] = json!("http://127.0.0.1:3001/other");
        assert_eq!(
            code(&f, &token(Algorithm::RS256, "rsa", &c)).await,
            ErrorCode::AudienceMismatch
        );
        let id_token = sign(
            Algorithm::RS256,
            &json!({ "alg": "RS256", "kid": "rsa", "typ": "id_token+jwt" }),
            &claims(&f.issuer),
        );
        assert_eq!(code(&f, &id_token).await, ErrorCode::TypeNotAllowed);
    }

    #[tokio::test]
    async fn infrastructure_failures_are_not_token_failures() {
        let f = fixture().await;
        f.server.route("/jwks", Response::new(500));
        let err = f
            .verifier
            .verify(&token(Algorithm::RS256, "rsa", &claims(&f.issuer)))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::JwksUnavailable);
        assert!(err.retry_after.is_some());

        let f = fixture().await;
        f.server.route(
            "/.well-known/openid-configuration",
            Response::json(json!({ "issuer": "https://forged.example.com", "jwks_uri": f.server.url("/jwks") }).to_string()),
        );
        let err = f
            .verifier
            .verify(&token(Algorithm::RS256, "rsa", &claims(&f.issuer)))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::DiscoveryUnavailable);
        assert_eq!(f.server.hits("/jwks"), 0);
        // The failure is remembered for one cooldown: no second discovery request.
        f.verifier
            .verify(&token(Algorithm::RS256, "rsa", &claims(&f.issuer)))
            .await
            .unwrap_err();
        assert_eq!(f.server.hits("/.well-known/openid-configuration"), 1);
    }

    #[tokio::test]
    async fn cached_tokens_are_rechecked_on_every_use() {
        let f = fixture_with(default_keys(), |c| c.rules.leeway = 0).await;
        let mut c = claims(&f.issuer);
        c["exp"] = json!(unix_now() as u64 + 1);
        let t = token(Algorithm::RS256, "rsa", &c);
        let first = f.verifier.verify(&t).await.unwrap();
        let second = f.verifier.verify(&t).await.unwrap();
        assert!(Arc::ptr_eq(&first, &second), "second call is a cache hit");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(code(&f, &t).await, ErrorCode::Expired);
    }

    #[tokio::test]
    async fn cached_tokens_stop_verifying_when_their_key_is_removed() {
        let f = fixture_with(default_keys(), |c| {
            c.key_sets.cooldown = std::time::Duration::from_millis(50)
        })
        .await;
        let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
        f.verifier.verify(&t).await.unwrap();
        f.server
            .route("/jwks", jwks(vec![public_jwk(Algorithm::ES256, "ec")]));
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        // An unknown kid triggers the refetch that removes the RSA key.
        let other = token(Algorithm::RS256, "rotated", &claims(&f.issuer));
        assert_eq!(code(&f, &other).await, ErrorCode::UnknownKid);
        assert_eq!(f.server.hits("/jwks"), 2);
        assert_eq!(code(&f, &t).await, ErrorCode::UnknownKid);
    }

    #[tokio::test]
    async fn cache_hits_keep_the_key_set_fresh() {
        let f = fixture_with(default_keys(), |c| {
            c.key_sets.ttl = std::time::Duration::from_millis(200);
            c.key_sets.cooldown = std::time::Duration::from_millis(10);
        })
        .await;
        let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
        f.verifier.verify(&t).await.unwrap();
        f.server
            .route("/jwks", jwks(vec![public_jwk(Algorithm::ES256, "ec")]));
        // Reusing one token only: the hits themselves must trigger the refresh,
        // which drops the removed RSA key and with it the cached verification.
        let deadline = Instant::now() + std::time::Duration::from_secs(3);
        while f.verifier.verify(&t).await.is_ok() {
            assert!(Instant::now() < deadline, "removed key still accepted");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(code(&f, &t).await, ErrorCode::UnknownKid);
        assert!(f.server.hits("/jwks") >= 2);
    }

    #[test]
    fn rejects_bad_configuration() {
        let base = || VerifierConfig {
            issuers: vec![IssuerSource {
                issuer: "https://as.example.com".into(),
                jwks_uri: None,
                kind: ServerType::OAuth,
            }],
            algorithms: crate::algorithms::all(),
            rules: ClaimRules::default(),
            max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            key_sets: KeySetOptions::default(),
            discovery: FetchOptions::default(),
            token_cache_entries: 64,
            token_cache_max_age: Duration::from_secs(300),
            offload: Offload::Auto,
        };
        let new = |c| Verifier::new(c, None, spawner());
        assert!(new(base()).is_ok());
        let mut c = base();
        c.issuers[0].issuer = "http://as.example.com".into();
        assert_eq!(new(c).err().unwrap().code, ErrorCode::InvalidConfig);
        let mut c = base();
        c.issuers[0].issuer = "https://as.example.com?tenant=1".into();
        assert!(new(c).is_err());
        let mut c = base();
        c.issuers.push(c.issuers[0].clone());
        assert!(new(c).is_err());
        let mut c = base();
        c.algorithms.clear();
        assert!(new(c).is_err());
        let mut c = base();
        c.rules.leeway = 301;
        assert!(new(c).is_err());
        let mut c = base();
        c.issuers.clear();
        assert!(new(c).is_err());
    }

    #[tokio::test]
    async fn unknown_kid_tokens_cannot_flush_other_clients_cached_tokens() {
        let f = fixture_with(default_keys(), |c| {
            c.key_sets.cooldown = std::time::Duration::from_millis(20)
        })
        .await;
        let victim = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
        let first = f.verifier.verify(&victim).await.unwrap();
        for round in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            // A trusted iss and a made-up kid: no valid signature needed to force a refetch.
            let forged = token(
                Algorithm::RS256,
                &format!("made-up-{round}"),
                &claims(&f.issuer),
            );
            assert_eq!(code(&f, &forged).await, ErrorCode::UnknownKid);
            let again = f.verifier.verify(&victim).await.unwrap();
            assert!(
                Arc::ptr_eq(&first, &again),
                "round {round}: cache entry was dropped"
            );
        }
        assert_eq!(f.server.hits("/jwks"), 4, "each forged kid refetched once");
    }

    #[tokio::test]
    async fn cached_tokens_are_dropped_when_their_key_material_changes() {
        let f = fixture_with(default_keys(), |c| {
            c.key_sets.cooldown = std::time::Duration::from_millis(20)
        })
        .await;
        let t = token(Algorithm::ES256, "ec", &claims(&f.issuer));
        f.verifier.verify(&t).await.unwrap();
        // Same kid "ec", other key material (the Ed25519 key's kid renamed would
        // not fit ES256, so take the RSA key's material under "ec" instead).
        let mut changed = public_jwk(Algorithm::RS256, "ec");
        changed["alg"] = json!("RS256");
        f.server.route(
            "/jwks",
            jwks(vec![changed, public_jwk(Algorithm::RS256, "rsa")]),
        );
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let other = token(Algorithm::RS256, "unknown", &claims(&f.issuer));
        assert_eq!(code(&f, &other).await, ErrorCode::UnknownKid);
        assert_eq!(f.server.hits("/jwks"), 2);
        // The cached ES256 verification is gone; re-verifying finds an RSA-only "ec".
        assert_eq!(code(&f, &t).await, ErrorCode::AlgNotAllowed);
    }

    #[tokio::test]
    async fn cache_max_age_is_honoured_when_shorter_than_the_cooldown() {
        let f = fixture_with(default_keys(), |c| {
            c.key_sets.ttl = std::time::Duration::from_millis(100);
            c.key_sets.cooldown = std::time::Duration::from_secs(30);
            c.token_cache_entries = 0;
        })
        .await;
        let t = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
        f.verifier.verify(&t).await.unwrap();
        f.server
            .route("/jwks", jwks(vec![public_jwk(Algorithm::ES256, "ec")]));
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        // Past cacheMaxAge the set is refetched although the cooldown has not passed.
        assert_eq!(code(&f, &t).await, ErrorCode::UnknownKid);
        assert_eq!(f.server.hits("/jwks"), 2);
    }

    /// Garbage of every shape must come back as an error value, never a panic.
    #[tokio::test]
    async fn garbage_never_panics() {
        let f = fixture().await;
        f.verifier.prepare().await.unwrap();
        let alphabet: Vec<char> = "ABCxyz0189-_.=+/ \u{0}\u{7f}é{}\"".chars().collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let valid = token(Algorithm::RS256, "rsa", &claims(&f.issuer));
        for round in 0..20_000 {
            let len = (next() % 120) as usize;
            let mut t: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if round % 3 == 0 {
                // Mutate a valid token instead, to get past the early checks.
                let mut bytes: Vec<char> = valid.chars().collect();
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = alphabet[(next() % alphabet.len() as u64) as usize];
                t = bytes.into_iter().collect();
            }
            let _ = f.verifier.step(&t, false);
        }
        let headers = [
            r#"{"alg":"RS256","kid":"rsa","crit":["x"]}"#,
            r#"{"alg":"RS256","kid":{"a":1}}"#,
            "{}",
            "null",
        ];
        for h in headers {
            let t = sign_raw(Algorithm::RS256, h, &claims(&f.issuer).to_string());
            assert!(f.verifier.verify(&t).await.is_err(), "{h}");
        }
    }
}
