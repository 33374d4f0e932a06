//! Every fixed text a response carries, defined once: mcp-auth's header
//! descriptions (`bearerAuthErrorDescription`), their DPoP-required variants,
//! the per-code token and proof descriptions (`tokenErrorDescription`), and
//! the request and server failure phrases.

/// The three header failures, in the words of the schemes a resource takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderTexts {
    pub missing_auth_header: &'static str,
    pub invalid_auth_header_format: &'static str,
    pub missing_bearer_token: &'static str,
}

/// mcp-auth's `bearerAuthErrorDescription` for the header failures.
pub const BEARER_HEADER_TEXTS: HeaderTexts = HeaderTexts {
    missing_auth_header: "Missing `Authorization` header. Please provide a valid bearer token.",
    invalid_auth_header_format:
        "Invalid `Authorization` header format. Expected \"Bearer <token>\".",
    missing_bearer_token:
        "Missing bearer token in `Authorization` header. Please provide a valid token.",
};

/// `dpopRequiredAuthErrorDescription`: the same failures where only DPoP is taken.
pub const DPOP_REQUIRED_HEADER_TEXTS: HeaderTexts = HeaderTexts {
    missing_auth_header: "Missing `Authorization` header. This resource requires a DPoP-bound access token: send \"Authorization: DPoP <token>\" with its proof in a `DPoP` header.",
    invalid_auth_header_format: "Invalid `Authorization` header format. Expected \"DPoP <token>\" with its proof in a `DPoP` header.",
    missing_bearer_token: "Missing access token in `Authorization` header. Please provide a DPoP-bound access token with its proof.",
};

/// mcp-auth's `bearerAuthErrorDescription` (every code).
pub fn bearer_auth_error_description(code: &str) -> Option<&'static str> {
    Some(match code {
        "missing_auth_header" => BEARER_HEADER_TEXTS.missing_auth_header,
        "invalid_auth_header_format" => BEARER_HEADER_TEXTS.invalid_auth_header_format,
        "missing_bearer_token" => BEARER_HEADER_TEXTS.missing_bearer_token,
        "invalid_issuer" => "The token issuer does not match the expected issuer.",
        "invalid_audience" => "The token audience does not match the expected audience.",
        "missing_required_scopes" => MISSING_REQUIRED_SCOPES,
        "invalid_token" => "The provided token is not valid or has expired.",
        _ => return None,
    })
}

/// The 403 insufficient_scope description.
pub const MISSING_REQUIRED_SCOPES: &str =
    "The token does not contain the necessary scopes for this request.";

/// What a code without its own text is told.
pub const GENERIC_TOKEN_DESCRIPTION: &str = "The access token is invalid.";

/// The fixed description per token, proof and nonce code: what the client
/// is told (`error_description`). The bindings read this table too
/// (`tokenErrorDescriptions()` in Node), so it is written once.
pub const TOKEN_ERROR_DESCRIPTIONS: &[(&str, &str)] = &[
    ("malformed", "The access token is malformed."),
    ("token_too_large", "The access token is too large."),
    (
        "unsupported_header",
        "The access token header is not supported.",
    ),
    (
        "alg_not_allowed",
        "The access token signing algorithm is not allowed.",
    ),
    (
        "unknown_kid",
        "The access token was signed with an unknown key.",
    ),
    (
        "ambiguous_key",
        "The access token signing key is ambiguous.",
    ),
    ("bad_signature", "The access token signature is invalid."),
    ("expired", "The access token has expired."),
    ("not_yet_valid", "The access token is not valid yet."),
    (
        "issued_in_future",
        "The access token was issued in the future.",
    ),
    ("token_too_old", "The access token is too old."),
    (
        "issuer_untrusted",
        "The access token issuer is not trusted.",
    ),
    (
        "audience_mismatch",
        "The access token is not intended for this resource.",
    ),
    ("missing_claim", "The access token lacks a required claim."),
    ("invalid_claim", "The access token has an invalid claim."),
    ("type_not_allowed", "The access token type is not allowed."),
    ("token_inactive", "The access token is not active."),
    (
        "sender_constrained",
        "The access token is sender-constrained: it cannot be used as a Bearer token.",
    ),
    (
        "client_not_allowed",
        "The access token was issued to a client that is not allowed here.",
    ),
    (
        "tenant_not_allowed",
        "The access token was issued by a tenant that is not allowed here.",
    ),
    (
        "dpop_required",
        "This resource requires a DPoP-bound access token.",
    ),
    (
        "dpop_token_not_bound",
        "The DPoP scheme needs a DPoP-bound access token.",
    ),
    (
        "certificate_mismatch",
        "The access token is bound to a client certificate this request did not present.",
    ),
    // The proof's fault (401 invalid_dpop_proof, RFC 9449 §7.1) and the nonce request (use_dpop_nonce).
    ("dpop_proof_missing", "The request has no DPoP proof."),
    (
        "dpop_proof_multiple",
        "The request has more than one DPoP proof.",
    ),
    ("dpop_proof_malformed", "The DPoP proof is malformed."),
    ("dpop_proof_type", "The DPoP proof type is not dpop+jwt."),
    (
        "dpop_alg_not_allowed",
        "The DPoP proof signing algorithm is not allowed.",
    ),
    (
        "dpop_key_invalid",
        "The DPoP proof key is not a usable public key.",
    ),
    ("dpop_bad_signature", "The DPoP proof signature is invalid."),
    (
        "dpop_htm_mismatch",
        "The DPoP proof is not for this request method.",
    ),
    (
        "dpop_htu_mismatch",
        "The DPoP proof is not for this request URL.",
    ),
    (
        "dpop_iat_out_of_window",
        "The DPoP proof is too old or too far in the future.",
    ),
    ("dpop_replayed", "The DPoP proof was already used."),
    (
        "dpop_ath_mismatch",
        "The DPoP proof is not for this access token.",
    ),
    (
        "dpop_jkt_mismatch",
        "The DPoP proof key is not the key the access token is bound to.",
    ),
    (
        "dpop_nonce_required",
        "The DPoP proof must carry the server nonce given in DPoP-Nonce.",
    ),
];

/// The code's own description; `None` for a code without one.
pub fn own_token_error_description(code: &str) -> Option<&'static str> {
    TOKEN_ERROR_DESCRIPTIONS
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, text)| *text)
}

/// `tokenErrorDescription`: the code's own text, else the generic one.
pub fn token_error_description(code: &str) -> &'static str {
    own_token_error_description(code).unwrap_or(GENERIC_TOKEN_DESCRIPTION)
}

/// 400 invalid_request texts.
pub const MALFORMED_BEARER_ONLY: &str = "The Authorization header must hold one Bearer token.";
pub const MALFORMED_BEARER_OR_DPOP: &str =
    "The Authorization header must hold one Bearer or DPoP token.";
pub const DUPLICATE_AUTHORIZATION: &str = "Only one Authorization header is allowed.";
pub const TOKEN_IN_QUERY: &str = "Access tokens are not accepted in the query string.";

/// 503 texts.
pub const REPLAY_CHECK_UNAVAILABLE: &str =
    "The DPoP replay check is temporarily unavailable. Retry later.";
pub const AUTHORIZATION_SERVER_UNAVAILABLE: &str =
    "The authorization server is temporarily unavailable. Retry later.";

/// 500 texts: a known (coded) server error, and anything else.
pub const AUTHORIZATION_SERVER_ERROR: &str = "An error occurred with the authorization server.";
pub const UNEXPECTED_ERROR: &str = "An unexpected error occurred while authenticating the request.";

/// The per-operation gate's body refusals (`operations/`): JSON-RPC error
/// messages as the MCP SDKs' transports word them, sent before any token is read.
pub const BODY_NOT_JSON: &str = "Unsupported Media Type: Content-Type must be application/json";
pub const BODY_TOO_LARGE: &str = "Payload Too Large: the body exceeds maxBodyBytes";
pub const BODY_PARSE_ERROR: &str = "Parse error: Invalid JSON";
pub const BODY_INVALID_REQUEST: &str = "Invalid Request";
pub const BODY_UNREADABLE: &str = "Internal error: the request body was already read";

/// A tool-result refusal whose HTTP answer had no `error_description` (never expected).
pub const TOOL_RESULT_FALLBACK: &str = "Authorization is required for this tool.";

/// The fixed `reason` strings of the wrapper's own coded refusals (shown with details).
pub const REASON_TOKEN_TOO_LARGE: &str = "token is too large";
pub const REASON_DPOP_REQUIRED: &str = "DPoP is required";
pub const REASON_DPOP_HEADER: &str = "DPoP header";
pub const REASON_SENDER_CONSTRAINED: &str = "bound token presented as Bearer";
pub const REASON_NOT_BOUND: &str = "token is not DPoP-bound";
pub const REASON_CERTIFICATE_MISMATCH: &str = "token is bound to another client certificate";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, Fault};

    #[test]
    fn every_client_facing_code_has_one_description() {
        for code in ErrorCode::ALL {
            if matches!(code.fault(), Fault::Token | Fault::Proof | Fault::Nonce) {
                assert!(
                    own_token_error_description(code.as_str()).is_some(),
                    "{} needs a description",
                    code.as_str()
                );
            }
        }
        for (i, (code, _)) in TOKEN_ERROR_DESCRIPTIONS.iter().enumerate() {
            assert!(
                TOKEN_ERROR_DESCRIPTIONS[..i].iter().all(|(c, _)| c != code),
                "{code} twice"
            );
        }
        assert_eq!(token_error_description("nope"), GENERIC_TOKEN_DESCRIPTION);
    }
}
