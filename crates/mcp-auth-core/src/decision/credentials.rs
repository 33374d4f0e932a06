//! Reading a request's credentials: the query-token refusal (RFC 6750 §2.3),
//! the `Authorization` header (RFC 6750 §2.1, RFC 9449 §7.1), the `DPoP`
//! proof header (RFC 9449 §4.3) and the CORS preflight test. Headers come as
//! the raw list, so a repeated header is seen, whatever its name's case.

use super::challenge::Scheme;
use super::chars::{all_b64token_chars, is_tchar};

/// The longest DPoP proof read (the addon's `DPOP_MAX_PROOF_LENGTH`).
pub const MAX_PROOF_LENGTH: usize = 8 * 1024;

/// Why the `Authorization` header does not yield a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFailure {
    /// No header, or an empty one: 401 bare challenge.
    Missing,
    /// A scheme this resource does not take: 401 bare challenge.
    UnsupportedScheme,
    /// The scheme without a token: 401 bare challenge.
    NoToken,
    /// Not `scheme 1*SP b64token`: 400 invalid_request.
    Malformed,
    /// More than one header: 400 invalid_request.
    Duplicate,
    /// Longer than the limit (checked before any further parsing): 401 token_too_large.
    TokenTooLarge(Scheme),
}

/// The first value of header `lower_name` (ASCII lower case) and how many there are.
pub fn find_header<'h>(
    headers: &'h [(String, String)],
    lower_name: &str,
) -> (Option<&'h str>, usize) {
    let mut first = None;
    let mut count = 0;
    for (name, value) in headers {
        if name.len() == lower_name.len() && name.eq_ignore_ascii_case(lower_name) {
            count += 1;
            first.get_or_insert(value.as_str());
        }
    }
    (first, count)
}

/// How many headers are named `lower_name` (ASCII case-insensitive).
pub fn count_headers(headers: &[(String, String)], lower_name: &str) -> usize {
    find_header(headers, lower_name).1
}

/// A CORS preflight (Fetch: OPTIONS with `Origin` and
/// `Access-Control-Request-Method`) carries no credentials and is not challenged.
pub fn is_cors_preflight(method: &str, headers: &[(String, String)]) -> bool {
    method == "OPTIONS"
        && find_header(headers, "origin").1 > 0
        && find_header(headers, "access-control-request-method").1 > 0
}

/// Whether the query (`application/x-www-form-urlencoded`, as `URLSearchParams`
/// reads it) has an `access_token` parameter.
pub fn has_query_token(url: &str) -> bool {
    let Some(start) = url.find('?') else {
        return false;
    };
    url[start + 1..].split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        form_decoded_equals(name.as_bytes(), b"access_token")
    })
}

// `+` is a space and `%XX` a byte; a `%` without two hex digits stays itself.
fn form_decoded_equals(raw: &[u8], expected: &[u8]) -> bool {
    let mut decoded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let byte = raw[i];
        if byte == b'%' && i + 2 < raw.len() {
            if let (Some(high), Some(low)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                decoded.push(high << 4 | low);
                i += 3;
                continue;
            }
        }
        decoded.push(if byte == b'+' { b' ' } else { byte });
        i += 1;
    }
    decoded == expected
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// `credentials = ("Bearer" / "DPoP") 1*SP b64token`, scheme case-insensitive,
/// `DPoP` only when `accept_dpop`. `max_token_length` counts UTF-16 code
/// units, as JavaScript's `length` does.
pub fn read_credentials(
    headers: &[(String, String)],
    max_token_length: usize,
    accept_dpop: bool,
) -> Result<(&str, Scheme), HeaderFailure> {
    let (value, count) = find_header(headers, "authorization");
    if count > 1 {
        return Err(HeaderFailure::Duplicate);
    }
    let value = match value {
        Some(v) if !v.is_empty() => v,
        _ => return Err(HeaderFailure::Missing),
    };
    let bytes = value.as_bytes();
    let written = bytes.iter().take_while(|&&b| is_tchar(b)).count();
    if written == 0 {
        return Err(HeaderFailure::Malformed);
    }
    let scheme = &value[..written];
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if accept_dpop && scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return Err(HeaderFailure::UnsupportedScheme);
    };
    let start = written + bytes[written..].iter().take_while(|&&b| b == b' ').count();
    if start == bytes.len() {
        return Err(HeaderFailure::NoToken);
    }
    if start == written {
        return Err(HeaderFailure::Malformed);
    }
    let token = &value[start..];
    // Cap before any further parsing (C11); a UTF-16 length never exceeds the UTF-8 one.
    if token.len() > max_token_length && token.encode_utf16().count() > max_token_length {
        return Err(HeaderFailure::TokenTooLarge(scheme));
    }
    if all_b64token_chars(token.as_bytes()) {
        Ok((token, scheme))
    } else {
        Err(HeaderFailure::Malformed)
    }
}

/// Exactly one `DPoP` header holding a compact JWS of at most
/// [`MAX_PROOF_LENGTH`]; else the proof code (`dpop_proof_multiple`,
/// `dpop_proof_missing`, `dpop_proof_malformed`). A folded repeat
/// (`a, b`) counts as several.
pub fn read_proof(headers: &[(String, String)]) -> Result<&str, &'static str> {
    let (value, count) = find_header(headers, "dpop");
    if count > 1 || value.is_some_and(|v| v.contains(',')) {
        return Err("dpop_proof_multiple");
    }
    let value = match value {
        Some(v) if !v.is_empty() => v,
        _ => return Err("dpop_proof_missing"),
    };
    if value.len() <= MAX_PROOF_LENGTH && is_compact_jws(value) {
        Ok(value)
    } else {
        Err("dpop_proof_malformed")
    }
}

// base64url+ "." base64url+ "." base64url*
fn is_compact_jws(value: &str) -> bool {
    let url_safe = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    let mut parts = value.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(c), None) => {
            !a.is_empty() && !b.is_empty() && url_safe(a) && url_safe(b) && url_safe(c)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(value: &str) -> Vec<(String, String)> {
        vec![("Authorization".to_owned(), value.to_owned())]
    }

    #[test]
    fn query_names_are_form_decoded() {
        assert!(has_query_token("/?access%5ftoken=1"));
        assert!(has_query_token("/?a&access_token"));
        assert!(!has_query_token("/?access_token+=1"));
        assert!(!has_query_token("/?x=access_token&%"));
        assert!(!has_query_token("/mcp"));
    }

    #[test]
    fn token_length_counts_utf16_units() {
        // Two bytes, one unit each: 8 units fit in 8.
        assert_eq!(
            read_credentials(&auth("Bearer éééééééé"), 8, false),
            Err(HeaderFailure::Malformed)
        );
        // One astral character is two units.
        assert_eq!(
            read_credentials(&auth("Bearer abcdefg😀"), 8, false),
            Err(HeaderFailure::TokenTooLarge(Scheme::Bearer))
        );
        assert_eq!(
            read_credentials(&auth("bEaReR  a.b"), 8, false),
            Ok(("a.b", Scheme::Bearer))
        );
        assert_eq!(
            read_credentials(&auth("DPoP a"), 8, false),
            Err(HeaderFailure::UnsupportedScheme)
        );
    }

    #[test]
    fn proofs_are_one_compact_jws() {
        let with = |v: &str| vec![("dpop".to_owned(), v.to_owned())];
        assert_eq!(read_proof(&with("a.b.")), Ok("a.b."));
        assert_eq!(read_proof(&with("a.b")), Err("dpop_proof_malformed"));
        assert_eq!(read_proof(&with("")), Err("dpop_proof_missing"));
        assert_eq!(
            read_proof(&with("a.b.c, a.b.c")),
            Err("dpop_proof_multiple")
        );
    }
}
