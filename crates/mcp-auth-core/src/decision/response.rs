//! The responses a decision sends, as plain data: status, headers in their
//! wire order, and a JSON body written byte for byte as `JSON.stringify`
//! writes it (members in insertion order, strings escaped as serde_json does,
//! which for any Rust string is the same).

/// An exact HTTP response: what an adapter copies out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// In wire order; names as sent (`WWW-Authenticate`, `Content-Type`, …).
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The error code sent (absent for a bare challenge), for events; not sent itself.
    pub error: Option<String>,
    /// A stable reason code, for events; not sent itself.
    pub reason: String,
}

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
pub const EXPOSE_HEADERS: &str = "Access-Control-Expose-Headers";

impl Response {
    /// The value of header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets `name`, in place when present (as a JavaScript object spread does), else last.
    pub(crate) fn set_header(&mut self, name: &str, value: String) {
        match self.headers.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name.to_owned(), value)),
        }
    }
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    // Serialising a str cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

/// An ordered JSON object, written as `JSON.stringify` writes a literal.
#[derive(Debug, Default, Clone)]
pub struct JsonObject {
    members: Vec<(String, String)>,
}

impl JsonObject {
    pub fn new() -> Self {
        Self::default()
    }

    /// A member whose value is already JSON text.
    pub fn raw(mut self, key: &str, json: String) -> Self {
        self.members.push((key.to_owned(), json));
        self
    }

    pub fn string(self, key: &str, value: &str) -> Self {
        self.raw(key, json_string(value))
    }

    pub fn strings(self, key: &str, values: &[String]) -> Self {
        let items: Vec<String> = values.iter().map(|v| json_string(v)).collect();
        self.raw(key, format!("[{}]", items.join(",")))
    }

    pub fn object(self, key: &str, value: JsonObject) -> Self {
        self.raw(key, value.finish())
    }

    pub fn finish(&self) -> String {
        let members: Vec<String> = self
            .members
            .iter()
            .map(|(k, v)| format!("{}:{v}", json_string(k)))
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

/// 503 for an unreachable authorization server, JWKS or replay store: retry, do not re-authenticate.
pub fn infrastructure_failure(
    code: &str,
    reason: &str,
    retry_after: Option<f64>,
    show_details: bool,
) -> Response {
    let retry_after = match retry_after {
        Some(seconds) if seconds > 0.0 => seconds.ceil(),
        _ => 10.0,
    };
    let description =
        if code == "dpop_replay_store_unavailable" || code == "dpop_replay_share_exceeded" {
            super::texts::REPLAY_CHECK_UNAVAILABLE
        } else {
            super::texts::AUTHORIZATION_SERVER_UNAVAILABLE
        };
    let mut body = JsonObject::new()
        .string("error", "server_error")
        .string("error_description", description);
    if show_details {
        body = body.object(
            "cause",
            JsonObject::new()
                .string("code", code)
                .string("reason", reason),
        );
    }
    Response {
        status: 503,
        headers: vec![
            ("Retry-After".to_owned(), js_number(retry_after)),
            ("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()),
        ],
        body: body.finish(),
        error: Some("server_error".to_owned()),
        reason: code.to_owned(),
    }
}

/// 500 for anything else that is not about the token. `known`: a coded
/// server error's code and description, shown only with details.
pub fn server_failure(known: Option<(&str, &str)>, show_details: bool) -> Response {
    let description = if known.is_some() {
        super::texts::AUTHORIZATION_SERVER_ERROR
    } else {
        super::texts::UNEXPECTED_ERROR
    };
    let mut body = JsonObject::new()
        .string("error", "server_error")
        .string("error_description", description);
    if let (true, Some((code, text))) = (show_details, known) {
        body = body.object(
            "cause",
            JsonObject::new()
                .string("error", code)
                .string("error_description", text),
        );
    }
    Response {
        status: 500,
        headers: vec![("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned())],
        body: body.finish(),
        error: Some("server_error".to_owned()),
        reason: known.map_or("internal_error", |(code, _)| code).to_owned(),
    }
}

// `String(n)` for the whole numbers a Retry-After holds.
fn js_number(n: f64) -> String {
    if n.is_finite() && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}
