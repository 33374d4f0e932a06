//! One resource's decision, in the order `lib/authenticate.ts` documents:
//! the request's shape (400), then the token (401), then its DPoP proof
//! (401), then its scopes (403); the proof is used up only after that. The
//! token and proof checks themselves are the caller's (they need keys and
//! I/O): [`Decider::decide`] says what to verify, [`Decider::bind`],
//! [`Decider::authorize`] and [`Decider::refuse`] turn the results into the
//! outcome.

use super::challenge::Scheme;
use super::credentials::{has_query_token, read_credentials, read_proof, HeaderFailure};
use super::mtls::{certificate_matches, MtlsSettings};
use super::response::Response;
use super::scopes::{missing_scopes, ScopeHierarchy};
use super::step_up::parse_insufficient_scope;
use super::texts::{
    BEARER_HEADER_TEXTS, DPOP_REQUIRED_HEADER_TEXTS, DUPLICATE_AUTHORIZATION,
    MALFORMED_BEARER_ONLY, MALFORMED_BEARER_OR_DPOP, REASON_CERTIFICATE_MISMATCH,
    REASON_DPOP_HEADER, REASON_DPOP_REQUIRED, REASON_NOT_BOUND, REASON_SENDER_CONSTRAINED,
    REASON_TOKEN_TOO_LARGE, TOKEN_IN_QUERY,
};

/// `'allowed'`: Bearer and DPoP; `'required'`: DPoP only. (`'off'` is no [`DpopSettings`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpopMode {
    Allowed,
    Required,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopSettings {
    pub mode: DpopMode,
    /// Accepted proof algorithms, for `algs` and the metadata document.
    pub algorithms: Vec<String>,
}

/// One protected resource's decision settings.
#[derive(Debug, Clone)]
pub struct DecisionConfig {
    /// `None`: only Bearer is taken.
    pub dpop: Option<DpopSettings>,
    /// The PRM URL every challenge advertises (RFC 9728 §5.1).
    pub resource_metadata_url: Option<String>,
    pub required_scopes: Vec<String>,
    pub scope_hierarchy: ScopeHierarchy,
    pub show_error_details: bool,
    /// Longest accepted token, in UTF-16 code units (C11).
    pub max_token_length: usize,
    /// RFC 8705: where the client certificate is read; `None`: nowhere.
    pub mtls: Option<MtlsSettings>,
}

/// One request, as the adapter received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query as received.
    pub url: &'a str,
    /// The URL before a mount path was stripped (Express); DPoP `htu` is checked against it.
    pub original_url: Option<&'a str>,
    /// The raw header list, repeats included, names in any case.
    pub headers: &'a [(String, String)],
    /// The DER certificate the TLS client presented, when the binding read it.
    pub client_certificate: Option<&'a [u8]>,
}

impl Request<'_> {
    /// The URL a DPoP proof's `htu` must match.
    pub fn htu_url(&self) -> &str {
        self.original_url.unwrap_or(self.url)
    }
}

/// A binding's flat header list (`[name, value, name, value, …]`) as the
/// pairs a [`Request`] holds, moved and not copied: the token is the longest
/// string on the hot path. An odd last entry is dropped.
pub fn header_pairs(flat: Vec<String>) -> Vec<(String, String)> {
    let mut pairs = Vec::with_capacity(flat.len() / 2);
    let mut entries = flat.into_iter();
    while let (Some(name), Some(value)) = (entries.next(), entries.next()) {
        pairs.push((name, value));
    }
    pairs
}

/// The first step's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Verify `token`; for the DPoP scheme also `proof` (well-formed, not yet checked).
    Credentials {
        token: &'a str,
        scheme: Scheme,
        proof: Option<&'a str>,
    },
    /// Send this.
    Respond(Response),
}

/// The last step's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// Accepted: the granted scopes expanded through the hierarchy.
    Accept {
        effective_scopes: Vec<String>,
    },
    Respond(Response),
}

/// A resource's decision, built once at setup.
#[derive(Debug, Clone)]
pub struct Decider {
    pub(crate) config: DecisionConfig,
    /// RFC 9449 §7.1: one challenge per scheme taken, Bearer first.
    pub(crate) offered: Vec<Scheme>,
    pub(crate) algs: Option<String>,
    /// The required scopes, space-separated, for challenges.
    pub(crate) scope: Option<String>,
}

impl Decider {
    pub fn new(config: DecisionConfig) -> Self {
        let offered = match &config.dpop {
            None => vec![Scheme::Bearer],
            Some(DpopSettings {
                mode: DpopMode::Required,
                ..
            }) => vec![Scheme::Dpop],
            Some(_) => vec![Scheme::Bearer, Scheme::Dpop],
        };
        let algs = config.dpop.as_ref().map(|d| d.algorithms.join(" "));
        let scope = (!config.required_scopes.is_empty()).then(|| config.required_scopes.join(" "));
        Self {
            config,
            offered,
            algs,
            scope,
        }
    }

    pub fn config(&self) -> &DecisionConfig {
        &self.config
    }

    fn dpop_required(&self) -> bool {
        matches!(
            &self.config.dpop,
            Some(DpopSettings {
                mode: DpopMode::Required,
                ..
            })
        )
    }

    /// The response for a header failure.
    pub fn header_failure(&self, failure: HeaderFailure) -> Response {
        let texts = if self.dpop_required() {
            DPOP_REQUIRED_HEADER_TEXTS
        } else {
            BEARER_HEADER_TEXTS
        };
        match failure {
            HeaderFailure::Missing => self.bare(
                "missing_authorization",
                "missing_auth_header",
                texts.missing_auth_header,
            ),
            HeaderFailure::UnsupportedScheme => self.bare(
                "unsupported_scheme",
                "invalid_auth_header_format",
                texts.invalid_auth_header_format,
            ),
            HeaderFailure::NoToken => self.bare(
                "missing_token",
                "missing_bearer_token",
                texts.missing_bearer_token,
            ),
            HeaderFailure::Malformed => self.invalid_request(
                "malformed_authorization",
                if self.config.dpop.is_none() {
                    MALFORMED_BEARER_ONLY
                } else {
                    MALFORMED_BEARER_OR_DPOP
                },
            ),
            HeaderFailure::Duplicate => {
                self.invalid_request("duplicate_authorization", DUPLICATE_AUTHORIZATION)
            }
            HeaderFailure::TokenTooLarge(scheme) => self.coded(
                "token_too_large",
                REASON_TOKEN_TOO_LARGE,
                Some(scheme),
                "invalid_token",
            ),
        }
    }

    /// Step one: the credentials to verify, or the response for a request that carries none we take.
    pub fn decide<'r>(&self, request: &Request<'r>) -> Decision<'r> {
        if has_query_token(request.url) {
            return Decision::Respond(self.invalid_request("token_in_query", TOKEN_IN_QUERY));
        }
        let (token, scheme) = match read_credentials(
            request.headers,
            self.config.max_token_length,
            self.config.dpop.is_some(),
        ) {
            Ok(read) => read,
            Err(failure) => return Decision::Respond(self.header_failure(failure)),
        };
        if scheme == Scheme::Bearer && self.dpop_required() {
            return Decision::Respond(self.coded(
                "dpop_required",
                REASON_DPOP_REQUIRED,
                Some(scheme),
                "invalid_token",
            ));
        }
        let proof = if scheme == Scheme::Dpop {
            match read_proof(request.headers) {
                Ok(proof) => Some(proof),
                Err(code) => {
                    return Decision::Respond(self.coded(
                        code,
                        REASON_DPOP_HEADER,
                        Some(scheme),
                        "invalid_dpop_proof",
                    ))
                }
            }
        } else {
            None
        };
        Decision::Credentials {
            token,
            scheme,
            proof,
        }
    }

    /// Step two, after the token verified: it meets its scheme (RFC 9449 §7).
    /// `cnf_present`: the claims hold any `cnf` (a Bearer token must not);
    /// `jkt_present`: they hold `cnf.jkt` (a DPoP token must). Then the
    /// caller checks the proof against that `jkt` ([`Decider::refuse`] on failure).
    pub fn bind(
        &self,
        scheme: Scheme,
        cnf_present: bool,
        jkt_present: bool,
    ) -> Result<(), Response> {
        match scheme {
            Scheme::Bearer if cnf_present => Err(self.coded(
                "sender_constrained",
                REASON_SENDER_CONSTRAINED,
                Some(scheme),
                "invalid_token",
            )),
            Scheme::Dpop if !jkt_present => Err(self.coded(
                "dpop_token_not_bound",
                REASON_NOT_BOUND,
                Some(scheme),
                "invalid_token",
            )),
            _ => Ok(()),
        }
    }

    /// The thumbprint of the client certificate `request` presented, where
    /// this resource reads one (RFC 8705 §3); `None` without mTLS.
    pub fn presented_certificate(&self, request: &Request<'_>) -> Option<String> {
        self.config
            .mtls
            .as_ref()?
            .presented(request.client_certificate, request.headers)
    }

    /// Step two for a certificate-bound token (`x5t`: its `cnf.x5t#S256`):
    /// the request presented that certificate (`presented`: its thumbprint),
    /// under either scheme (RFC 8705 §3, RFC 9449 §6.1).
    pub fn bind_certificate(
        &self,
        scheme: Scheme,
        x5t: &str,
        presented: Option<&str>,
    ) -> Result<(), Response> {
        if certificate_matches(x5t, presented) {
            return Ok(());
        }
        Err(self.coded(
            "certificate_mismatch",
            REASON_CERTIFICATE_MISMATCH,
            Some(scheme),
            "invalid_token",
        ))
    }

    /// Step three: the scope check on the effective scopes (`granted`
    /// expanded). On Accept with a proof, the caller then records it
    /// ([`Decider::refuse`] on a replay or no room).
    pub fn authorize(&self, scheme: Scheme, granted: &[String]) -> Authorization {
        let effective_scopes = self.config.scope_hierarchy.expand(granted);
        if !self.config.required_scopes.is_empty() {
            let missing = missing_scopes(&effective_scopes, &self.config.required_scopes);
            if !missing.is_empty() {
                return Authorization::Respond(self.insufficient_scope(&missing, Some(scheme)));
            }
        }
        Authorization::Accept { effective_scopes }
    }

    /// On a resource that takes DPoP, the replacement for a handler's own
    /// `Bearer` 403 insufficient_scope challenge on a request accepted with
    /// `used`; `None` leaves the header as it is.
    pub fn rechallenge(&self, used: Scheme, header: &str) -> Option<String> {
        self.config.dpop.as_ref()?;
        let asked = parse_insufficient_scope(header)?;
        let resource_metadata = asked
            .resource_metadata
            .as_deref()
            .or(self.config.resource_metadata_url.as_deref());
        Some(self.challenge_with(
            Some("insufficient_scope"),
            asked.error_description.as_deref(),
            Some(used),
            asked.scope.as_deref(),
            resource_metadata,
        ))
    }
}
