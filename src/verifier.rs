//! Access-token verification: one trust configuration, many tokens.
//!
//! The work splits in two so the common case needs no I/O and no async hop:
//! `try_verify` does everything with the keys already cached and says when it
//! needs keys; `resolve` fetches them (discovery, JWKS) and finishes the job.

use crate::claims::{ClaimRules, Identity, MAX_LEEWAY};
use crate::discovery::{self, ServerType};
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::{self, FetchOptions};
use crate::jwk::{KeyMatch, KeySet};
use crate::key_set::{self, Cached, EventSink, KeySetCache, KeySetOptions};
use crate::token::{self, ParsedToken};
use crate::token_cache::TokenCache;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use url::Url;

/// The default allow-list: every asymmetric algorithm we verify (C14).
pub const DEFAULT_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Debug, Clone)]
pub struct IssuerSource {
    pub issuer: String,
    /// Known key-set URL; without one, the issuer's metadata is discovered lazily.
    pub jwks_uri: Option<String>,
    pub kind: ServerType,
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

/// What the synchronous attempt could not finish without fetching keys.
pub struct Pending {
    raw: String,
    token: ParsedToken,
    issuer: usize,
    unknown_kid: bool,
}

/// A token that passed every check short of its signature and claims.
pub struct Ready {
    raw: String,
    token: ParsedToken,
    issuer: usize,
    keys: Arc<KeySet>,
    /// A key set whose refresh is due; the caller may refresh it in the background.
    pub refresh: Option<Arc<KeySetCache>>,
}

pub enum Begun {
    Settled(Attempt),
    Ready(Ready),
}

pub enum Attempt {
    Done {
        result: AuthResult<Arc<Verified>>,
        /// A key set whose refresh is due; the caller may refresh it in the background.
        refresh: Option<Arc<KeySetCache>>,
    },
    NeedsKeys(Pending),
}

struct TrustedIssuer {
    issuer: String,
    kind: ServerType,
    keys: OnceLock<Arc<KeySetCache>>,
    discovery_lock: tokio::sync::Mutex<()>,
    discovery_failure: Mutex<Option<(Instant, AuthError)>>,
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
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn check_https_url(value: &str, what: &str) -> AuthResult<Url> {
    let url = Url::parse(value)
        .map_err(|_| AuthError::config(format!("{what} is not an absolute URL")))?;
    http::check_url_allowed(&url).map_err(|_| {
        AuthError::config(format!(
            "{what} must use https (http only for loopback hosts)"
        ))
    })?;
    Ok(url)
}

impl Verifier {
    pub fn new(config: VerifierConfig, events: Option<EventSink>) -> AuthResult<Self> {
        if config.issuers.is_empty() {
            return Err(AuthError::config("at least one trusted issuer is required"));
        }
        if config.algorithms.is_empty() {
            return Err(AuthError::config("the algorithm allow-list is empty"));
        }
        if config.rules.leeway > MAX_LEEWAY {
            return Err(AuthError::config(format!(
                "clock tolerance may not exceed {MAX_LEEWAY} seconds"
            )));
        }
        let mut issuers: Vec<TrustedIssuer> = Vec::with_capacity(config.issuers.len());
        for source in &config.issuers {
            let url = check_https_url(&source.issuer, "issuer")?;
            if url.query().is_some() || url.fragment().is_some() {
                return Err(AuthError::config("issuer may not have a query or fragment"));
            }
            if issuers.iter().any(|i| i.issuer == source.issuer) {
                return Err(AuthError::config("an issuer is listed twice"));
            }
            let keys = OnceLock::new();
            if let Some(jwks_uri) = &source.jwks_uri {
                let url = check_https_url(jwks_uri, "jwks_uri")?;
                let _ = keys.set(key_set::shared(&url, &config.key_sets));
            }
            issuers.push(TrustedIssuer {
                issuer: source.issuer.clone(),
                kind: source.kind,
                keys,
                discovery_lock: tokio::sync::Mutex::new(()),
                discovery_failure: Mutex::new(None),
            });
        }
        Ok(Self {
            issuers,
            algorithms: config.algorithms,
            rules: config.rules,
            max_token_length: config.max_token_length,
            key_sets: config.key_sets,
            discovery: config.discovery,
            token_cache: TokenCache::new(config.token_cache_entries, config.token_cache_max_age),
            events,
        })
    }

    /// Verifies with cached keys only; says so when keys must be fetched first.
    pub fn try_verify(&self, token: &str) -> Attempt {
        match self.begin(token) {
            Begun::Settled(attempt) => attempt,
            Begun::Ready(mut ready) => {
                let refresh = ready.refresh.take();
                Attempt::Done {
                    result: self.complete(ready),
                    refresh,
                }
            }
        }
    }

    /// Everything before the signature check, without I/O: a cache hit or an
    /// early failure settles here; otherwise the token is ready for `complete`
    /// (which the caller may run on another thread) or needs keys first.
    pub fn begin(&self, token: &str) -> Begun {
        let settled = |result| {
            Begun::Settled(Attempt::Done {
                result,
                refresh: None,
            })
        };
        let now = Instant::now();
        if let Some(done) = self.cached(token, now) {
            return Begun::Settled(done);
        }
        let parsed = match self.parse(token) {
            Ok(parsed) => parsed,
            Err(err) => return settled(Err(err)),
        };
        let issuer = match self.trusted_issuer(&parsed.claims) {
            Ok(index) => index,
            Err(err) => return settled(Err(err)),
        };
        let raw = token;
        let needs_keys = |token: ParsedToken, unknown_kid| {
            Begun::Settled(Attempt::NeedsKeys(Pending {
                raw: raw.to_owned(),
                token,
                issuer,
                unknown_kid,
            }))
        };
        let Some(cache) = self.issuers[issuer].keys.get() else {
            return needs_keys(parsed, false);
        };
        let Cached::Usable { keys, refresh_due } = cache.cached(now) else {
            return needs_keys(parsed, false);
        };
        if matches!(find(&keys, &parsed), KeyMatch::Unknown) && cache.may_refetch(now) {
            return needs_keys(parsed, true);
        }
        Begun::Ready(Ready {
            raw: raw.to_owned(),
            token: parsed,
            issuer,
            keys,
            refresh: refresh_due.then(|| cache.clone()),
        })
    }

    /// The signature and claim checks of a token `begin` made ready.
    pub fn complete(&self, ready: Ready) -> AuthResult<Arc<Verified>> {
        self.finish(&ready.raw, ready.token, ready.issuer, &ready.keys)
    }

    /// A verified-token cache hit, confirmed: same key set, claims still valid.
    /// Hits also schedule the key-set refresh when it is due, so a client that
    /// reuses one token cannot keep a removed key alive past the set's ttl.
    pub fn cached(&self, token: &str, now: Instant) -> Option<Attempt> {
        let cache = self.token_cache.as_ref()?;
        let hit = cache.get(token, now)?;
        let key_set = self.issuers[hit.issuer].keys.get()?;
        let refresh_due = match key_set.cached(now) {
            Cached::Usable { keys, refresh_due } if hit.verified_by(&keys) => refresh_due,
            _ => {
                cache.remove(token);
                return None;
            }
        };
        let result = self.rules.check(&hit.verified.claims, unix_now());
        if result.is_err() {
            cache.remove(token);
        }
        Some(Attempt::Done {
            result: result.map(|()| hit.verified),
            refresh: refresh_due.then(|| key_set.clone()),
        })
    }

    /// Fetches what `try_verify` lacked, then finishes verification.
    pub async fn resolve(&self, pending: Pending) -> AuthResult<Arc<Verified>> {
        let now = Instant::now();
        let cache = self.key_set_cache(pending.issuer).await?;
        let events = self.events.as_ref();
        let keys = if pending.unknown_kid {
            cache.refetch_for_unknown_kid(now, events).await?
        } else {
            cache.ensure(now, events).await?
        };
        self.finish(&pending.raw, pending.token, pending.issuer, &keys)
    }

    pub async fn verify(&self, token: &str) -> AuthResult<Arc<Verified>> {
        match self.try_verify(token) {
            Attempt::Done { result, refresh } => {
                if let Some(cache) = refresh {
                    let events = self.events.clone();
                    tokio::spawn(
                        async move { cache.refresh(Instant::now(), events.as_ref()).await },
                    );
                }
                result
            }
            Attempt::NeedsKeys(pending) => self.resolve(pending).await,
        }
    }

    /// Discovers and loads every issuer's keys, e.g. at startup.
    pub async fn prepare(&self) -> AuthResult<()> {
        for index in 0..self.issuers.len() {
            let cache = self.key_set_cache(index).await?;
            cache.ensure(Instant::now(), self.events.as_ref()).await?;
        }
        Ok(())
    }

    pub fn events(&self) -> Option<&EventSink> {
        self.events.as_ref()
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

    fn finish(
        &self,
        raw: &str,
        parsed: ParsedToken,
        issuer: usize,
        keys: &Arc<KeySet>,
    ) -> AuthResult<Arc<Verified>> {
        let key = match find(keys, &parsed) {
            KeyMatch::Found(key) => key,
            KeyMatch::Unknown => {
                return Err(AuthError::new(
                    ErrorCode::UnknownKid,
                    "no key matches the token's key id",
                ))
            }
            KeyMatch::AlgorithmMismatch => {
                return Err(AuthError::new(
                    ErrorCode::AlgNotAllowed,
                    "token algorithm does not match its key",
                ))
            }
            KeyMatch::Ambiguous => {
                return Err(AuthError::new(
                    ErrorCode::AmbiguousKey,
                    "several keys match the token's key id",
                ))
            }
        };
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
        if let Some(cache) = &self.token_cache {
            cache.insert(raw, verified.clone(), issuer, keys, Instant::now());
        }
        Ok(verified)
    }

    /// The issuer's key-set cache, discovering its `jwks_uri` first if needed
    /// (one discovery at a time per issuer; failures remembered one cooldown).
    async fn key_set_cache(&self, index: usize) -> AuthResult<Arc<KeySetCache>> {
        let trusted = &self.issuers[index];
        if let Some(cache) = trusted.keys.get() {
            return Ok(cache.clone());
        }
        let _guard = trusted.discovery_lock.lock().await;
        if let Some(cache) = trusted.keys.get() {
            return Ok(cache.clone());
        }
        let cooldown = self.key_sets.cooldown;
        {
            let failure = trusted
                .discovery_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some((at, err)) = failure.as_ref() {
                if let Some(left) = cooldown.checked_sub(at.elapsed()) {
                    return Err(err.clone().with_retry_after(left.as_secs().max(1) as u32));
                }
            }
        }
        match self.discover_jwks_uri(trusted).await {
            Ok(url) => {
                let cache = key_set::shared(&url, &self.key_sets);
                let _ = trusted.keys.set(cache.clone());
                Ok(cache)
            }
            Err(err) => {
                let retry = cooldown.as_secs().max(1) as u32;
                let err = err.with_retry_after(retry);
                *trusted
                    .discovery_failure
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), err.clone()));
                Err(err)
            }
        }
    }

    async fn discover_jwks_uri(&self, trusted: &TrustedIssuer) -> AuthResult<Url> {
        let found = discovery::discover(&trusted.issuer, trusted.kind, &self.discovery)
            .await
            .map_err(|e| match e.code {
                // At request time any metadata problem means no keys can be
                // had: the server is unavailable, the token is not at fault.
                code if code.is_infrastructure() => e,
                _ => AuthError {
                    code: ErrorCode::DiscoveryUnavailable,
                    ..e
                },
            })?;
        // Like every other metadata problem found at request time, this is
        // the server's side being unusable (503), whatever its cause.
        let Some(Value::String(uri)) = found.document.get("jwks_uri") else {
            return Err(AuthError::new(
                ErrorCode::DiscoveryUnavailable,
                "authorization server metadata has no jwks_uri",
            )
            .with_url(found.url));
        };
        check_https_url(uri, "jwks_uri").map_err(|e| {
            AuthError::new(ErrorCode::DiscoveryUnavailable, e.reason).with_url(found.url.clone())
        })
    }
}

fn find<'a>(keys: &'a KeySet, token: &ParsedToken) -> KeyMatch<'a> {
    keys.find(token.kid.as_deref(), token.alg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::normalize_audience;
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
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
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
        };
        tweak(&mut config);
        let verifier = Verifier::new(config, None).unwrap();
        Fixture {
            server,
            issuer,
            verifier,
        }
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
        let name = crate::token::algorithm_name(alg);
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
        assert!(matches!(f.verifier.try_verify(&t), Attempt::NeedsKeys(_)));
        f.verifier.prepare().await.unwrap();
        match f.verifier.try_verify(&t) {
            Attempt::Done { result, refresh } => {
                assert!(result.is_ok());
                assert!(refresh.is_none());
            }
            Attempt::NeedsKeys(_) => panic!("keys were loaded"),
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
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            rules: ClaimRules::default(),
            max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            key_sets: KeySetOptions::default(),
            discovery: FetchOptions::default(),
            token_cache_entries: 64,
            token_cache_max_age: Duration::from_secs(300),
        };
        assert!(Verifier::new(base(), None).is_ok());
        let mut c = base();
        c.issuers[0].issuer = "http://as.example.com".into();
        assert_eq!(
            Verifier::new(c, None).err().unwrap().code,
            ErrorCode::InvalidConfig
        );
        let mut c = base();
        c.issuers[0].issuer = "https://as.example.com?tenant=1".into();
        assert!(Verifier::new(c, None).is_err());
        let mut c = base();
        c.issuers.push(c.issuers[0].clone());
        assert!(Verifier::new(c, None).is_err());
        let mut c = base();
        c.algorithms.clear();
        assert!(Verifier::new(c, None).is_err());
        let mut c = base();
        c.rules.leeway = 301;
        assert!(Verifier::new(c, None).is_err());
        let mut c = base();
        c.issuers.clear();
        assert!(Verifier::new(c, None).is_err());
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
            let _ = f.verifier.try_verify(&t);
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
