//! Stable error codes shared by every module and carried to JavaScript.
//!
//! A code is part of the public API: JS code switches on it, the middleware maps
//! it to an HTTP status. Reasons are short, fixed phrases: they never echo token,
//! claim or URL content, so they are safe to put in an `error_description`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // The token itself is at fault (401 invalid_token at the edge).
    Malformed,
    TokenTooLarge,
    UnsupportedHeader,
    AlgNotAllowed,
    UnknownKid,
    AmbiguousKey,
    BadSignature,
    Expired,
    NotYetValid,
    IssuedInFuture,
    TokenTooOld,
    IssuerUntrusted,
    AudienceMismatch,
    MissingClaim,
    InvalidClaim,
    TypeNotAllowed,
    SenderConstrained,
    // Infrastructure (503 at the edge): never blame the token for these.
    JwksUnavailable,
    DiscoveryUnavailable,
    KeysNotLoaded,
    // Fetching and validating authorization-server metadata.
    InvalidUrl,
    InvalidServerMetadata,
    IssuerMismatch,
    // Configuration given by the developer.
    InvalidConfig,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::TokenTooLarge => "token_too_large",
            Self::UnsupportedHeader => "unsupported_header",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::UnknownKid => "unknown_kid",
            Self::AmbiguousKey => "ambiguous_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::TokenTooOld => "token_too_old",
            Self::IssuerUntrusted => "issuer_untrusted",
            Self::AudienceMismatch => "audience_mismatch",
            Self::MissingClaim => "missing_claim",
            Self::InvalidClaim => "invalid_claim",
            Self::TypeNotAllowed => "type_not_allowed",
            Self::SenderConstrained => "sender_constrained",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::DiscoveryUnavailable => "discovery_unavailable",
            Self::KeysNotLoaded => "keys_not_loaded",
            Self::InvalidUrl => "invalid_url",
            Self::InvalidServerMetadata => "invalid_server_metadata",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::InvalidConfig => "invalid_config",
        }
    }

    /// True when the failure lies with the authorization server or the network,
    /// not with the presented token: the edge answers 503, never `invalid_token`.
    pub const fn is_infrastructure(self) -> bool {
        matches!(
            self,
            Self::JwksUnavailable | Self::DiscoveryUnavailable | Self::KeysNotLoaded
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    pub code: ErrorCode,
    /// Short, sanitised, human-readable phrase.
    pub reason: String,
    /// The URL that was being fetched, for infrastructure and metadata errors.
    pub url: Option<String>,
    /// Seconds after which a retry may succeed (infrastructure errors).
    pub retry_after: Option<u32>,
}

impl AuthError {
    pub fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            url: None,
            retry_after: None,
        }
    }

    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn malformed(reason: impl Into<String>) -> Self {
        Self::new(ErrorCode::Malformed, reason)
    }

    pub fn config(reason: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfig, reason)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reason)?;
        if let Some(url) = &self.url {
            write!(f, " ({url})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AuthError {}

pub type AuthResult<T> = Result<T, AuthError>;
