//! `WWW-Authenticate` challenges: `Bearer …` (RFC 6750 §3, RFC 9728 §5.1)
//! and `DPoP algs="…" …` (RFC 9449 §7.1). Every value is a quoted-string with
//! `"` and `\` escaped; each parameter appears at most once.

/// The two schemes a resource may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Bearer,
    Dpop,
}

impl Scheme {
    /// The name as challenges write it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::Dpop => "DPoP",
        }
    }
}

/// One challenge's parameters; empty strings count as absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChallengeParams<'a> {
    /// `None` is `Bearer`.
    pub scheme: Option<Scheme>,
    /// DPoP only: the space-separated proof algorithms accepted.
    pub algs: Option<&'a str>,
    /// RFC 6750 error code; absent for a bare challenge.
    pub error: Option<&'a str>,
    pub error_description: Option<&'a str>,
    /// The protected resource metadata URL.
    pub resource_metadata: Option<&'a str>,
    /// Space-separated scopes the request needs.
    pub scope: Option<&'a str>,
}

/// RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E; drops everything else.
pub fn sanitize_description(text: &str) -> String {
    text.chars()
        .filter(|&c| matches!(c, '\x20' | '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        .collect()
}

/// A quoted-string: drops what one may not carry at all (controls, DEL,
/// anything above Latin-1), escapes `"` and `\`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if !matches!(c, '\t' | '\x20'..='\x7e' | '\u{80}'..='\u{ff}') {
            continue;
        }
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `buildChallenge`.
pub fn build_challenge(params: &ChallengeParams<'_>) -> String {
    fn present(value: Option<&str>) -> Option<&str> {
        value.filter(|v| !v.is_empty())
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(algs) = present(params.algs) {
        parts.push(format!("algs={}", quote(algs)));
    }
    if let Some(error) = present(params.error) {
        parts.push(format!("error={}", quote(error)));
    }
    if let Some(description) = present(params.error_description) {
        parts.push(format!(
            "error_description={}",
            quote(&sanitize_description(description))
        ));
    }
    if let Some(url) = present(params.resource_metadata) {
        parts.push(format!("resource_metadata={}", quote(url)));
    }
    if let Some(scope) = present(params.scope) {
        parts.push(format!("scope={}", quote(scope)));
    }
    let scheme = params.scheme.unwrap_or(Scheme::Bearer).name();
    if parts.is_empty() {
        scheme.to_owned()
    } else {
        format!("{scheme} {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_full_challenges() {
        assert_eq!(build_challenge(&ChallengeParams::default()), "Bearer");
        let full = ChallengeParams {
            scheme: Some(Scheme::Dpop),
            algs: Some("ES256 EdDSA"),
            error: Some("invalid_token"),
            error_description: Some("a \"b\" \\ c\u{7f}\n"),
            resource_metadata: Some("https://r/x"),
            scope: Some("a b"),
        };
        assert_eq!(
            build_challenge(&full),
            r#"DPoP algs="ES256 EdDSA", error="invalid_token", error_description="a b  c", resource_metadata="https://r/x", scope="a b""#
        );
    }

    #[test]
    fn quoting_keeps_latin1_and_tabs_and_escapes() {
        assert_eq!(quote("a\t\u{e9}\u{100}\"\\\u{1}"), "\"a\t\u{e9}\\\"\\\\\"");
        assert_eq!(sanitize_description("é\"\\ok~"), "ok~");
    }
}
