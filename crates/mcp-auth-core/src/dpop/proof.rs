//! DPoP proof checks (RFC 9449 §4.2, §4.3): after the access token itself
//! was verified (its verdict may come from the token cache; the proof never
//! does). Cheap checks run first, the one signature verification last, then
//! the nonce. The proof is recorded in the replay cache separately, once the
//! request is otherwise accepted (scopes included), so a refused request
//! never holds a slot.

use crate::dpop::nonce::NonceSource;
use crate::dpop::replay_cache::{Digest, KeyId, Limits, Proof, ReplayCache, Seen};
use crate::error::{AuthError, AuthResult, ErrorCode};
use crate::keys::jwk::parse_key;
use crate::tokens::claims::normalize_audience;
use crate::tokens::token::{self, ParsedToken};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// Longest proof accepted, in bytes: an RSA-4096 `jwk` fits with room to spare.
pub const MAX_PROOF_LENGTH: usize = 8 * 1024;
/// `jti` is opaque but bounded.
const MAX_JTI_LENGTH: usize = 256;
/// A proof dated more than this many seconds ahead of this clock counts
/// against its key's smaller share for such proofs (sub-second rounding and
/// small clock skew stay out of it).
const AHEAD_SLACK_SECS: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Off,
    Allowed,
    Required,
}

impl Mode {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "off" => Some(Self::Off),
            "allowed" => Some(Self::Allowed),
            "required" => Some(Self::Required),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Allowed => "allowed",
            Self::Required => "required",
        }
    }
}

/// What a proof is checked against, fixed at construction.
#[derive(Debug)]
pub struct DpopRules {
    pub algorithms: Vec<Algorithm>,
    /// Largest accepted |now − iat|, in seconds.
    pub iat_window: u64,
    /// The configured resource's origin, normalised (`https://host[:port]`):
    /// `htu` is this plus the request path, never the Host header.
    pub origin: String,
}

/// The request a proof must describe.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    pub method: &'a str,
    /// The request target's path; a query or fragment is ignored.
    pub path: &'a str,
    pub access_token: &'a str,
    /// The verified token's `cnf.jkt`.
    pub jkt: &'a str,
}

#[derive(Debug, PartialEq)]
pub struct CheckedProof {
    /// SHA-256 of `jkt`, a separator and `jti`: the replay key (never the proof).
    pub replay_digest: Digest,
    /// Which key's share of the replay cache the proof uses.
    pub key: KeyId,
    /// How long the proof stays acceptable, in seconds (≥ 1): a fleet
    /// store's TTL for the replay key.
    pub remaining: u64,
    /// Dated ahead of this clock by more than the slack: kept longer.
    pub ahead: bool,
    pub nonce: Option<String>,
}

fn fail(code: ErrorCode, reason: &'static str) -> AuthError {
    AuthError::new(code, reason)
}

/// `htu` as compared (RFC 9449 §4.3 step 9, RFC 3986 §6.2.2-6.2.3): query
/// and fragment dropped, scheme and host lower-cased, the default port
/// elided, an empty path made `/`, percent-encodings upper-cased.
pub fn normalize_htu(url: &str) -> Option<String> {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let normal = normalize_audience(&url[..end]);
    if !(normal.starts_with("https://") || normal.starts_with("http://")) {
        return None;
    }
    // A request path is ASCII (Node hands it over percent-encoded); a
    // non-ASCII htu is compared as it is, and can only match a non-ASCII path.
    if !normal.is_ascii() {
        return Some(normal);
    }
    let bytes = normal.as_bytes();
    let mut out = String::with_capacity(normal.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(bytes[i + 1].to_ascii_uppercase() as char);
            out.push(bytes[i + 2].to_ascii_uppercase() as char);
            i += 3;
        } else {
            out.push(bytes[i] as char);
            i += 1;
        }
    }
    Some(out)
}

fn string_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// Parses and checks one proof for `request`; `now` is seconds since the epoch.
pub fn check_proof(
    proof: &str,
    request: &ProofRequest<'_>,
    rules: &DpopRules,
    now: f64,
) -> AuthResult<(CheckedProof, ParsedToken)> {
    let malformed = |reason| fail(ErrorCode::DpopProofMalformed, reason);
    // The access-token parser's strict rules: base64url without padding,
    // duplicate members refused, bounded size and depth, no `crit`.
    let parsed =
        token::parse(proof, MAX_PROOF_LENGTH, &rules.algorithms).map_err(|e| match e.code {
            ErrorCode::AlgNotAllowed => fail(
                ErrorCode::DpopAlgNotAllowed,
                "DPoP proof algorithm is not allowed",
            ),
            _ => malformed("DPoP proof is not a well-formed JWS"),
        })?;
    let header = &parsed.header;
    match header.get("typ").and_then(Value::as_str) {
        Some(typ) if typ.eq_ignore_ascii_case("dpop+jwt") => {}
        _ => {
            return Err(fail(
                ErrorCode::DpopProofType,
                "DPoP proof typ is not dpop+jwt",
            ))
        }
    }
    let Some(jwk @ Value::Object(jwk_members)) = header.get("jwk") else {
        return Err(fail(ErrorCode::DpopKeyInvalid, "DPoP proof has no jwk"));
    };
    // The key-set rules: no private or symmetric material, sound sizes and
    // curves, and an `alg` that fits the key.
    let key = parse_key(jwk).map_err(|_| {
        fail(
            ErrorCode::DpopKeyInvalid,
            "DPoP proof jwk is not a usable public key",
        )
    })?;
    if !key.algorithms.contains(&parsed.alg) {
        return Err(fail(
            ErrorCode::DpopKeyInvalid,
            "DPoP proof algorithm does not fit its jwk",
        ));
    }
    let thumbprint = crate::keys::thumbprint::thumbprint(jwk_members).ok_or_else(|| {
        fail(
            ErrorCode::DpopKeyInvalid,
            "DPoP proof jwk has no thumbprint",
        )
    })?;
    if thumbprint != request.jkt {
        return Err(fail(
            ErrorCode::DpopJktMismatch,
            "DPoP proof key is not the key the token is bound to",
        ));
    }

    let claims = &parsed.claims;
    let jti = match string_claim(claims, "jti") {
        Some(jti) if !jti.is_empty() && jti.len() <= MAX_JTI_LENGTH => jti,
        _ => return Err(malformed("DPoP proof jti is missing or invalid")),
    };
    if string_claim(claims, "htm") != Some(request.method) {
        return Err(fail(
            ErrorCode::DpopHtmMismatch,
            "DPoP proof htm is not the request method",
        ));
    }
    let expected = normalize_htu(&format!("{}{}", rules.origin, request.path));
    let presented = string_claim(claims, "htu").and_then(normalize_htu);
    if presented.is_none() || presented != expected {
        return Err(fail(
            ErrorCode::DpopHtuMismatch,
            "DPoP proof htu is not the request URL",
        ));
    }
    let iat = match claims.get("iat").and_then(Value::as_f64) {
        Some(iat) if iat.is_finite() => iat,
        _ => return Err(malformed("DPoP proof iat is missing or invalid")),
    };
    let window = rules.iat_window as f64;
    if (now - iat).abs() > window {
        return Err(fail(
            ErrorCode::DpopIatOutOfWindow,
            "DPoP proof iat is outside the accepted window",
        ));
    }
    let ath =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, request.access_token.as_bytes());
    let ath_matches = string_claim(claims, "ath")
        .and_then(|a| URL_SAFE_NO_PAD.decode(a).ok())
        .is_some_and(|a| a == ath.as_ref());
    if !ath_matches {
        return Err(fail(
            ErrorCode::DpopAthMismatch,
            "DPoP proof ath is not the hash of the access token",
        ));
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(n)) if n.len() <= MAX_JTI_LENGTH => Some(n.clone()),
        Some(_) => return Err(malformed("DPoP proof nonce is invalid")),
    };

    if !parsed.signature_verifies(&key.key) {
        return Err(fail(
            ErrorCode::DpopBadSignature,
            "DPoP proof signature is invalid",
        ));
    }

    let mut material = Vec::with_capacity(request.jkt.len() + 1 + jti.len());
    material.extend_from_slice(request.jkt.as_bytes());
    material.push(0);
    material.extend_from_slice(jti.as_bytes());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &material);
    let mut replay_digest = [0u8; 32];
    replay_digest.copy_from_slice(digest.as_ref());
    let key_digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, request.jkt.as_bytes());
    let mut key = [0u8; 8];
    key.copy_from_slice(&key_digest.as_ref()[..8]);
    let remaining = (iat + window - now).ceil().max(1.0) as u64;
    Ok((
        CheckedProof {
            replay_digest,
            key: KeyId::from_be_bytes(key),
            remaining,
            ahead: iat - now > AHEAD_SLACK_SECS,
            nonce,
        },
        parsed,
    ))
}

/// Rules, nonces and the local replay cache of one protected resource.
#[derive(Debug)]
pub struct DpopChecker {
    pub mode: Mode,
    pub rules: DpopRules,
    pub nonces: Option<NonceSource>,
    replay: ReplayCache,
}

impl DpopChecker {
    pub fn new(
        mode: Mode,
        rules: DpopRules,
        nonces: Option<NonceSource>,
        replay_limits: Limits,
    ) -> Self {
        Self {
            mode,
            rules,
            nonces,
            replay: ReplayCache::new(replay_limits),
        }
    }

    pub const fn replay_limits(&self) -> Limits {
        self.replay.limits()
    }

    /// Every check of one request's proof but the replay cache: a proof that
    /// passes is not yet used up (see `record`).
    pub fn verify(&self, proof: &str, request: &ProofRequest<'_>) -> AuthResult<CheckedProof> {
        let now = unix_now();
        let (checked, _) = check_proof(proof, request, &self.rules, now)?;
        if let Some(nonces) = &self.nonces {
            let fresh = checked
                .nonce
                .as_deref()
                .is_some_and(|n| nonces.accepts(n, now as u64));
            if !fresh {
                return Err(fail(
                    ErrorCode::DpopNonceRequired,
                    "DPoP proof lacks a current server nonce",
                ));
            }
        }
        Ok(checked)
    }

    /// Uses up a verified proof in the local replay cache: refused when it
    /// was used before, or when there is no room for it (its key's share, or
    /// the whole cache).
    pub fn record(&self, checked: &CheckedProof) -> AuthResult<()> {
        let proof = replay_entry(checked);
        let retry = |seconds: u64| u32::try_from(seconds).unwrap_or(u32::MAX);
        match self.replay.insert(proof, Instant::now()) {
            Seen::Fresh => Ok(()),
            Seen::Replayed => Err(fail(ErrorCode::DpopReplayed, "DPoP proof was already used")),
            Seen::Full(first_free) => Err(fail(
                ErrorCode::DpopReplayStoreUnavailable,
                "DPoP replay cache is full",
            )
            .with_retry_after(retry(first_free))),
            Seen::KeyFull(first_free) => Err(fail(
                ErrorCode::DpopReplayShareExceeded,
                "DPoP key holds its whole share of the replay cache",
            )
            .with_retry_after(retry(first_free))),
        }
    }

    /// Gives back the local slot of a recorded proof that a fleet store then
    /// refused (see `fleet::dpop`): the request was not accepted here.
    pub fn release(&self, checked: &CheckedProof) {
        self.replay.release(&replay_entry(checked));
    }

    /// `verify` then `record`: the whole check when nothing else can refuse the request.
    pub fn check(&self, proof: &str, request: &ProofRequest<'_>) -> AuthResult<CheckedProof> {
        let checked = self.verify(proof, request)?;
        self.record(&checked)?;
        Ok(checked)
    }

    /// A nonce to hand out now, when nonces are on.
    pub fn nonce(&self) -> Option<String> {
        self.nonces.as_ref().map(|n| n.issue(unix_now() as u64))
    }
}

fn replay_entry(checked: &CheckedProof) -> Proof {
    Proof {
        digest: checked.replay_digest,
        key: checked.key,
        // Kept exactly as long as the proof could be accepted again (same clock).
        keep: Duration::from_secs(checked.remaining),
        ahead: checked.ahead,
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
#[path = "proof_tests.rs"]
mod tests;
