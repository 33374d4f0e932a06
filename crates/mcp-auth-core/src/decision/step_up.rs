//! A handler's own `403 insufficient_scope` under DPoP (SDK v2's
//! per-operation `scopeChallenge` writes a hard-coded `Bearer` challenge):
//! reading it, so the decision can rewrite it into the resource's challenges
//! (RFC 9449 §7.1). Anything but exactly one such Bearer challenge is left alone.

use super::chars::is_tchar;

/// What the handler asked for, read from its challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeChallengeParams {
    pub scope: Option<String>,
    pub error_description: Option<String>,
    pub resource_metadata: Option<String>,
}

// JavaScript's `.` (no `s` flag) does not match these.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn skip_ws(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

fn token(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(|&b| is_tchar(b)).count();
    (n > 0).then(|| s.split_at(n))
}

// quoted-string body after the opening quote: the unescaped value and the rest after the closing quote.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) if !is_line_terminator(escaped) => value.push(escaped),
                _ => return None,
            },
            other => value.push(other),
        }
    }
    None
}

/// RFC 9110 §11.2 auth-params of `header` when it is exactly one `Bearer`
/// challenge with `error="insufficient_scope"`; `None` for anything else
/// (including a repeated parameter).
pub fn parse_insufficient_scope(header: &str) -> Option<ScopeChallengeParams> {
    let scheme = header.get(..6)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let after = &header[6..];
    let mut rest = skip_ws(after);
    if rest.len() == after.len() {
        return None;
    }
    let mut params: Vec<(String, String)> = Vec::new();
    while !rest.is_empty() {
        let (name, after_name) = token(skip_ws(rest))?;
        let after_eq = skip_ws(skip_ws(after_name).strip_prefix('=')?);
        let (value, after_value) = match after_eq.strip_prefix('"') {
            Some(body) => quoted(body)?,
            None => {
                let (value, after) = token(after_eq)?;
                (value.to_owned(), after)
            }
        };
        let after_value = skip_ws(after_value);
        rest = match after_value.strip_prefix(',') {
            Some(next) => next,
            None if after_value.is_empty() => after_value,
            None => return None,
        };
        let name = name.to_ascii_lowercase();
        if params.iter().any(|(n, _)| *n == name) {
            return None;
        }
        params.push((name, value));
    }
    let get = |key: &str| {
        params
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, v)| v.clone())
    };
    if get("error").as_deref() != Some("insufficient_scope") {
        return None;
    }
    Some(ScopeChallengeParams {
        scope: get("scope"),
        error_description: get("error_description"),
        resource_metadata: get("resource_metadata"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_bearer_insufficient_scope_challenge() {
        let read = parse_insufficient_scope(r#"bearer  error="insufficient_scope", scope="a b",error_description="x \"y\"" ,resource_metadata=tok,"#).unwrap();
        assert_eq!(read.scope.as_deref(), Some("a b"));
        assert_eq!(read.error_description.as_deref(), Some("x \"y\""));
        assert_eq!(read.resource_metadata.as_deref(), Some("tok"));
    }

    #[test]
    fn leaves_anything_else() {
        for header in [
            "Bearer",
            "Bearer ",
            "Bearererror=\"insufficient_scope\"",
            "Bearer error=\"invalid_token\"",
            "Bearer error=insufficient_scope, error=insufficient_scope",
            "Bearer error=\"insufficient_scope\", DPoP algs=\"ES256\"",
            "DPoP error=\"insufficient_scope\"",
            "Bearer error=\"insufficient_scope\" scope=\"a\"",
            "Bearer error=\"insufficient_scope\", scope=\"a\\\n\"",
        ] {
            assert_eq!(parse_insufficient_scope(header), None, "{header}");
        }
        assert!(parse_insufficient_scope("Bearer error=insufficient_scope").is_some());
    }
}
