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
    /// The token's client is not in the configured `clientIds`.
    ClientNotAllowed,
    /// The token's tenant is not in a templated issuer's `tenants`.
    TenantNotAllowed,
    /// The introspection endpoint says the token is not active (RFC 7662).
    TokenInactive,
    /// A plain bearer token where the resource requires DPoP (401 invalid_token).
    DpopRequired,
    /// The DPoP scheme with a token that is not DPoP-bound (no `cnf.jkt`).
    DpopTokenNotBound,
    /// A token bound to a client certificate (RFC 8705 `cnf.x5t#S256`)
    /// without that certificate on the request.
    CertificateMismatch,
    // The DPoP proof is at fault (401 invalid_dpop_proof, RFC 9449 §7.1).
    DpopProofMissing,
    DpopProofMultiple,
    DpopProofMalformed,
    DpopProofType,
    DpopAlgNotAllowed,
    DpopKeyInvalid,
    DpopBadSignature,
    DpopHtmMismatch,
    DpopHtuMismatch,
    DpopIatOutOfWindow,
    DpopReplayed,
    DpopAthMismatch,
    DpopJktMismatch,
    /// The proof lacks a current server nonce (401 use_dpop_nonce + DPoP-Nonce).
    DpopNonceRequired,
    // Infrastructure (503 at the edge): never blame the token for these.
    JwksUnavailable,
    DiscoveryUnavailable,
    KeysNotLoaded,
    /// The introspection endpoint is down, slow, or answered garbage.
    IntrospectionUnavailable,
    /// The introspection endpoint refused our client credentials (401/403):
    /// our configuration's fault, never the token's.
    IntrospectionRefused,
    /// The token endpoint is down, slow, or answered garbage (a token exchange).
    TokenExchangeUnavailable,
    /// The authorization server refused a token exchange (400 `invalid_grant`,
    /// `invalid_target`…, 401, 403): the caller may not act upstream, 403.
    TokenExchangeRefused,
    /// The replay cache cannot answer (fleet store down, or the local cache full).
    DpopReplayStoreUnavailable,
    /// The proof's key holds its whole share of the local replay cache.
    DpopReplayShareExceeded,
    // Fetching and validating authorization-server metadata.
    InvalidUrl,
    InvalidServerMetadata,
    IssuerMismatch,
    // Configuration given by the developer.
    InvalidConfig,
    // A bug of ours (a caught panic): 500, never blamed on the token or the network.
    Internal,
}

/// Whose fault a code is, which decides the HTTP status at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 401 `invalid_token`.
    Token,
    /// 503 with `Retry-After`.
    Infrastructure,
    /// 500: metadata, configuration, internal errors.
    Server,
    /// 401 `invalid_dpop_proof`.
    Proof,
    /// 403: the caller is known but may not do this (a refused token exchange).
    Forbidden,
    /// 401 `use_dpop_nonce` with a fresh `DPoP-Nonce`.
    Nonce,
}

impl Fault {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Infrastructure => "infrastructure",
            Self::Server => "server",
            Self::Proof => "proof",
            Self::Forbidden => "forbidden",
            Self::Nonce => "nonce",
        }
    }
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
            Self::ClientNotAllowed => "client_not_allowed",
            Self::TenantNotAllowed => "tenant_not_allowed",
            Self::TokenInactive => "token_inactive",
            Self::DpopProofMissing => "dpop_proof_missing",
            Self::DpopProofMultiple => "dpop_proof_multiple",
            Self::DpopProofMalformed => "dpop_proof_malformed",
            Self::DpopProofType => "dpop_proof_type",
            Self::DpopAlgNotAllowed => "dpop_alg_not_allowed",
            Self::DpopKeyInvalid => "dpop_key_invalid",
            Self::DpopBadSignature => "dpop_bad_signature",
            Self::DpopHtmMismatch => "dpop_htm_mismatch",
            Self::DpopHtuMismatch => "dpop_htu_mismatch",
            Self::DpopIatOutOfWindow => "dpop_iat_out_of_window",
            Self::DpopReplayed => "dpop_replayed",
            Self::DpopAthMismatch => "dpop_ath_mismatch",
            Self::DpopJktMismatch => "dpop_jkt_mismatch",
            Self::DpopNonceRequired => "dpop_nonce_required",
            Self::DpopRequired => "dpop_required",
            Self::DpopTokenNotBound => "dpop_token_not_bound",
            Self::CertificateMismatch => "certificate_mismatch",
            Self::DpopReplayStoreUnavailable => "dpop_replay_store_unavailable",
            Self::DpopReplayShareExceeded => "dpop_replay_share_exceeded",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::DiscoveryUnavailable => "discovery_unavailable",
            Self::KeysNotLoaded => "keys_not_loaded",
            Self::IntrospectionUnavailable => "introspection_unavailable",
            Self::IntrospectionRefused => "introspection_refused",
            Self::TokenExchangeUnavailable => "token_exchange_unavailable",
            Self::TokenExchangeRefused => "token_exchange_refused",
            Self::InvalidUrl => "invalid_url",
            Self::InvalidServerMetadata => "invalid_server_metadata",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::InvalidConfig => "invalid_config",
            Self::Internal => "internal_error",
        }
    }

    /// Every code, for JavaScript's table (`errorCodes()`); `fault` below
    /// fails to compile for a code without a fault, and a unit test checks
    /// this list is complete.
    pub const ALL: &'static [ErrorCode] = &[
        Self::Malformed,
        Self::TokenTooLarge,
        Self::UnsupportedHeader,
        Self::AlgNotAllowed,
        Self::UnknownKid,
        Self::AmbiguousKey,
        Self::BadSignature,
        Self::Expired,
        Self::NotYetValid,
        Self::IssuedInFuture,
        Self::TokenTooOld,
        Self::IssuerUntrusted,
        Self::AudienceMismatch,
        Self::MissingClaim,
        Self::InvalidClaim,
        Self::TypeNotAllowed,
        Self::SenderConstrained,
        Self::ClientNotAllowed,
        Self::TenantNotAllowed,
        Self::TokenInactive,
        Self::DpopProofMissing,
        Self::DpopProofMultiple,
        Self::DpopProofMalformed,
        Self::DpopProofType,
        Self::DpopAlgNotAllowed,
        Self::DpopKeyInvalid,
        Self::DpopBadSignature,
        Self::DpopHtmMismatch,
        Self::DpopHtuMismatch,
        Self::DpopIatOutOfWindow,
        Self::DpopReplayed,
        Self::DpopAthMismatch,
        Self::DpopJktMismatch,
        Self::DpopNonceRequired,
        Self::DpopRequired,
        Self::DpopTokenNotBound,
        Self::CertificateMismatch,
        Self::JwksUnavailable,
        Self::DiscoveryUnavailable,
        Self::KeysNotLoaded,
        Self::IntrospectionUnavailable,
        Self::IntrospectionRefused,
        Self::TokenExchangeUnavailable,
        Self::TokenExchangeRefused,
        Self::DpopReplayStoreUnavailable,
        Self::DpopReplayShareExceeded,
        Self::InvalidUrl,
        Self::InvalidServerMetadata,
        Self::IssuerMismatch,
        Self::InvalidConfig,
        Self::Internal,
    ];

    pub const fn fault(self) -> Fault {
        match self {
            Self::Malformed
            | Self::TokenTooLarge
            | Self::UnsupportedHeader
            | Self::AlgNotAllowed
            | Self::UnknownKid
            | Self::AmbiguousKey
            | Self::BadSignature
            | Self::Expired
            | Self::NotYetValid
            | Self::IssuedInFuture
            | Self::TokenTooOld
            | Self::IssuerUntrusted
            | Self::AudienceMismatch
            | Self::MissingClaim
            | Self::InvalidClaim
            | Self::TypeNotAllowed
            | Self::SenderConstrained
            | Self::ClientNotAllowed
            | Self::TenantNotAllowed
            | Self::TokenInactive
            | Self::DpopRequired
            | Self::DpopTokenNotBound
            | Self::CertificateMismatch => Fault::Token,
            Self::DpopProofMissing
            | Self::DpopProofMultiple
            | Self::DpopProofMalformed
            | Self::DpopProofType
            | Self::DpopAlgNotAllowed
            | Self::DpopKeyInvalid
            | Self::DpopBadSignature
            | Self::DpopHtmMismatch
            | Self::DpopHtuMismatch
            | Self::DpopIatOutOfWindow
            | Self::DpopReplayed
            | Self::DpopAthMismatch
            | Self::DpopJktMismatch => Fault::Proof,
            Self::DpopNonceRequired => Fault::Nonce,
            Self::JwksUnavailable
            | Self::DiscoveryUnavailable
            | Self::KeysNotLoaded
            | Self::IntrospectionUnavailable
            | Self::IntrospectionRefused
            | Self::TokenExchangeUnavailable
            | Self::DpopReplayStoreUnavailable
            | Self::DpopReplayShareExceeded => Fault::Infrastructure,
            Self::TokenExchangeRefused => Fault::Forbidden,
            Self::InvalidUrl
            | Self::InvalidServerMetadata
            | Self::IssuerMismatch
            | Self::InvalidConfig
            | Self::Internal => Fault::Server,
        }
    }

    /// True when the failure lies with the authorization server or the network,
    /// not with the presented token: the edge answers 503, never `invalid_token`.
    pub const fn is_infrastructure(self) -> bool {
        matches!(self.fault(), Fault::Infrastructure)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` must list every code: a variant missing here would be missing
    /// from JavaScript's table. The match fails to compile for a new variant.
    #[test]
    fn all_lists_every_code_once() {
        let listed = |code: ErrorCode| ErrorCode::ALL.iter().filter(|c| **c == code).count();
        for code in ErrorCode::ALL {
            assert_eq!(listed(*code), 1, "{code:?}");
            match code {
                ErrorCode::Malformed
                | ErrorCode::TokenTooLarge
                | ErrorCode::UnsupportedHeader
                | ErrorCode::AlgNotAllowed
                | ErrorCode::UnknownKid
                | ErrorCode::AmbiguousKey
                | ErrorCode::BadSignature
                | ErrorCode::Expired
                | ErrorCode::NotYetValid
                | ErrorCode::IssuedInFuture
                | ErrorCode::TokenTooOld
                | ErrorCode::IssuerUntrusted
                | ErrorCode::AudienceMismatch
                | ErrorCode::MissingClaim
                | ErrorCode::InvalidClaim
                | ErrorCode::TypeNotAllowed
                | ErrorCode::SenderConstrained
                | ErrorCode::ClientNotAllowed
                | ErrorCode::TenantNotAllowed
                | ErrorCode::TokenInactive
                | ErrorCode::DpopProofMissing
                | ErrorCode::DpopProofMultiple
                | ErrorCode::DpopProofMalformed
                | ErrorCode::DpopProofType
                | ErrorCode::DpopAlgNotAllowed
                | ErrorCode::DpopKeyInvalid
                | ErrorCode::DpopBadSignature
                | ErrorCode::DpopHtmMismatch
                | ErrorCode::DpopHtuMismatch
                | ErrorCode::DpopIatOutOfWindow
                | ErrorCode::DpopReplayed
                | ErrorCode::DpopAthMismatch
                | ErrorCode::DpopJktMismatch
                | ErrorCode::DpopNonceRequired
                | ErrorCode::DpopRequired
                | ErrorCode::DpopTokenNotBound
                | ErrorCode::CertificateMismatch
                | ErrorCode::DpopReplayStoreUnavailable
                | ErrorCode::DpopReplayShareExceeded
                | ErrorCode::JwksUnavailable
                | ErrorCode::DiscoveryUnavailable
                | ErrorCode::KeysNotLoaded
                | ErrorCode::IntrospectionUnavailable
                | ErrorCode::IntrospectionRefused
                | ErrorCode::TokenExchangeUnavailable
                | ErrorCode::TokenExchangeRefused
                | ErrorCode::InvalidUrl
                | ErrorCode::InvalidServerMetadata
                | ErrorCode::IssuerMismatch
                | ErrorCode::InvalidConfig
                | ErrorCode::Internal => {}
            }
        }
        assert_eq!(ErrorCode::ALL.len(), 51);
        assert_eq!(ErrorCode::Internal.fault(), Fault::Server);
    }
}
