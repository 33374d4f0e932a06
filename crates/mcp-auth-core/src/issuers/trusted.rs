//! The trusted issuers of one verifier, and where each one's keys come from:
//! a configured `jwks_uri`, or the issuer's metadata, discovered on first use
//! (one discovery at a time per issuer, a failure remembered one cooldown).

use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::http::{self, FetchOptions};
use crate::issuers::discovery::{self, ServerType};
use crate::issuers::template::IssuerTemplate;
use crate::keys::key_set::{self, KeySetCache, KeySetOptions};
use serde_json::Value;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use url::Url;

/// The issuer of a source that trusts a key set for tokens of any `iss`
/// (`VerifierOptions::any_issuer_jwks_uri`): mcpauth's `create_verify_jwt`,
/// whose caller checks the issuer itself. Never a valid issuer URL, so no
/// configured issuer can mean it.
pub const ANY_ISSUER: &str = "*";

#[derive(Debug, Clone)]
pub struct IssuerSource {
    pub issuer: String,
    /// Known key-set URL; without one, the issuer's metadata is discovered lazily.
    pub jwks_uri: Option<String>,
    pub kind: ServerType,
    /// Tenant allow-list of a templated issuer (`issuer_template.rs`).
    pub tenants: Option<Vec<String>>,
}

pub struct TrustedIssuer {
    pub issuer: String,
    /// Set when `issuer` has a `{tenantid}` placeholder.
    pub template: Option<IssuerTemplate>,
    kind: ServerType,
    keys: OnceLock<Arc<KeySetCache>>,
    discovery_lock: tokio::sync::Mutex<()>,
    discovery_failure: Mutex<Option<(Instant, AuthError)>>,
}

/// The one URL rule for servers we trust or are (C30): absolute, https,
/// plain http only for loopback hosts (localhost, 127.0.0.0/8, [::1]).
/// `what` names the value in the message. The wrapper applies it to
/// resources too (`checkServerUrl`).
pub fn check_server_url(value: &str, what: &str) -> AuthResult<Url> {
    let url = Url::parse(value)
        .map_err(|_| AuthError::config(format!("The {what} {value:?} is not an absolute URL.")))?;
    http::check_url_allowed(&url).map_err(|_| {
        AuthError::config(format!(
            "The {what} {} must use https (http is accepted for loopback hosts only).",
            http::shown_url(&url)
        ))
    })?;
    Ok(url)
}

/// An issuer: a server URL without query or fragment (RFC 8414 §2).
pub fn check_issuer(value: &str) -> AuthResult<Url> {
    let url = check_server_url(value, "issuer")?;
    if url.query().is_some() || url.fragment().is_some() || value.contains(['?', '#']) {
        return Err(AuthError::config(format!(
            "The issuer {} must not have a query or fragment.",
            http::shown_url(&url)
        )));
    }
    Ok(url)
}

/// Checks the issuer list (C30) and builds each issuer's key source.
pub fn trusted_issuers(
    sources: &[IssuerSource],
    key_sets: &KeySetOptions,
) -> AuthResult<Vec<TrustedIssuer>> {
    if sources.is_empty() {
        return Err(AuthError::config(
            "`issuers` must name at least one trusted authorization server",
        ));
    }
    let mut issuers: Vec<TrustedIssuer> = Vec::with_capacity(sources.len());
    for source in sources {
        if source.issuer == ANY_ISSUER {
            issuers.push(any_issuer(source, key_sets)?);
            continue;
        }
        let template = IssuerTemplate::parse(&source.issuer, source.tenants.as_deref())?;
        let url = match &template {
            Some(t) => check_issuer(&t.sample_issuer())?,
            None => check_issuer(&source.issuer)?,
        };
        if template.is_some() && source.jwks_uri.is_none() {
            return Err(AuthError::config(format!(
                "The issuer template {} needs an explicit jwksUri: a template is never discovered.",
                http::shown_url(&url)
            )));
        }
        if issuers.iter().any(|i| i.issuer == source.issuer) {
            return Err(AuthError::config(format!(
                "The issuer {} is listed twice.",
                http::shown_url(&url)
            )));
        }
        let keys = OnceLock::new();
        if let Some(jwks_uri) = &source.jwks_uri {
            let url = check_server_url(jwks_uri, "jwksUri")?;
            let _ = keys.set(key_set::shared(&url, key_sets));
        }
        issuers.push(TrustedIssuer {
            issuer: source.issuer.clone(),
            template,
            kind: source.kind,
            keys,
            discovery_lock: tokio::sync::Mutex::new(()),
            discovery_failure: Mutex::new(None),
        });
    }
    Ok(issuers)
}

/// A key set trusted for every `iss`: it needs its `jwks_uri` (nothing to discover).
fn any_issuer(source: &IssuerSource, key_sets: &KeySetOptions) -> AuthResult<TrustedIssuer> {
    let Some(jwks_uri) = &source.jwks_uri else {
        return Err(AuthError::config(
            "A key set trusted for any issuer needs its jwksUri.",
        ));
    };
    let url = check_server_url(jwks_uri, "jwksUri")?;
    let keys = OnceLock::new();
    let _ = keys.set(key_set::shared(&url, key_sets));
    Ok(TrustedIssuer {
        issuer: ANY_ISSUER.to_owned(),
        template: None,
        kind: source.kind,
        keys,
        discovery_lock: tokio::sync::Mutex::new(()),
        discovery_failure: Mutex::new(None),
    })
}

impl TrustedIssuer {
    /// Whether this source takes tokens of any issuer (`ANY_ISSUER`).
    pub fn any(&self) -> bool {
        self.issuer == ANY_ISSUER
    }

    /// The key-set cache, once known (configured or discovered).
    pub fn keys(&self) -> Option<&Arc<KeySetCache>> {
        self.keys.get()
    }

    /// The key-set cache, discovering the issuer's `jwks_uri` first if needed.
    pub async fn key_set_cache(
        &self,
        key_sets: &KeySetOptions,
        fetch: &FetchOptions,
    ) -> AuthResult<Arc<KeySetCache>> {
        if let Some(cache) = self.keys.get() {
            return Ok(cache.clone());
        }
        let _guard = self.discovery_lock.lock().await;
        if let Some(cache) = self.keys.get() {
            return Ok(cache.clone());
        }
        if let Some(err) = self.recent_failure(key_sets) {
            return Err(err);
        }
        match self.discover_jwks_uri(fetch).await {
            Ok(url) => {
                let cache = key_set::shared(&url, key_sets);
                let _ = self.keys.set(cache.clone());
                Ok(cache)
            }
            Err(err) => {
                // The server's own Retry-After, when it sent one, is the better hint.
                let err = match err.retry_after {
                    Some(_) => err,
                    None => err.with_retry_after(key_sets.cooldown.as_secs().max(1) as u32),
                };
                *self.failure() = Some((Instant::now(), err.clone()));
                Err(err)
            }
        }
    }

    fn failure(&self) -> std::sync::MutexGuard<'_, Option<(Instant, AuthError)>> {
        self.discovery_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// A discovery failure within the last cooldown, with the time left as its retry hint.
    fn recent_failure(&self, key_sets: &KeySetOptions) -> Option<AuthError> {
        let failure = self.failure();
        let (at, err) = failure.as_ref()?;
        let left = key_sets.cooldown.checked_sub(at.elapsed())?;
        Some(err.clone().with_retry_after(left.as_secs().max(1) as u32))
    }

    async fn discover_jwks_uri(&self, fetch: &FetchOptions) -> AuthResult<Url> {
        let found = discovery::discover(&self.issuer, self.kind, fetch)
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
        let Some(Value::String(uri)) = found.document.get("jwks_uri") else {
            return Err(AuthError::new(
                ErrorCode::DiscoveryUnavailable,
                "authorization server metadata has no jwks_uri",
            )
            .with_url(found.url));
        };
        check_server_url(uri, "jwks_uri").map_err(|_| {
            AuthError::new(
                ErrorCode::DiscoveryUnavailable,
                "the metadata's jwks_uri must use https (http only for loopback hosts)",
            )
            .with_url(found.url.clone())
        })
    }
}
