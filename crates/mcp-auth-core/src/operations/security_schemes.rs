//! A tool descriptor's `securitySchemes` (OpenAI Apps SDK), from the same
//! declaration the gate enforces: `noauth` for a public tool, `oauth2` with
//! the scopes a call needs (the route's and the tool's) for a protected one.

use crate::decision::response::{json_string, JsonObject};

/// The JSON array text; `scopes`: `None` for a public tool.
pub fn security_schemes(scopes: Option<&[String]>) -> String {
    match scopes {
        None => r#"[{"type":"noauth"}]"#.to_owned(),
        Some(scopes) => {
            let scheme = JsonObject::new()
                .raw("type", json_string("oauth2"))
                .strings("scopes", scopes);
            format!("[{}]", scheme.finish())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_both_kinds() {
        assert_eq!(security_schemes(None), r#"[{"type":"noauth"}]"#);
        assert_eq!(
            security_schemes(Some(&["mcp".into(), "todos:delete".into()])),
            r#"[{"type":"oauth2","scopes":["mcp","todos:delete"]}]"#
        );
        assert_eq!(
            security_schemes(Some(&[])),
            r#"[{"type":"oauth2","scopes":[]}]"#
        );
    }
}
