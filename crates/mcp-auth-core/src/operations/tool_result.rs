//! The `'tool-result'` signal: a refused `tools/call` answered as a JSON-RPC
//! tool error result that carries the HTTP answer's challenges under
//! `_meta["mcp/www_authenticate"]` (SEP-1489, a draft OpenAI's clients
//! read), so those clients can start OAuth for that tool. Same challenge
//! text as the HTTP answer; `error` and `reason` stay for events.

use crate::decision::response::{json_string, Response};
use crate::decision::texts::TOOL_RESULT_FALLBACK;
use serde_json::value::RawValue;

pub const TOOL_RESULT_CONTENT_TYPE: &str = "application/json";

/// `refused` (a 401 or 403) as the result of the `tools/call` whose `id` is given.
pub fn tool_result(id: &RawValue, refused: Response) -> Response {
    let description = serde_json::from_str::<serde_json::Value>(&refused.body)
        .ok()
        .and_then(|body| body.get("error_description")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| TOOL_RESULT_FALLBACK.to_owned());
    let challenges: Vec<String> = refused
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("WWW-Authenticate"))
        .map(|(_, value)| json_string(value))
        .collect();
    let body = format!(
        concat!(
            r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":{text}}}],"#,
            r#""isError":true,"_meta":{{"mcp/www_authenticate":[{challenges}]}},"resultType":"complete"}}}}"#
        ),
        id = id.get(),
        text = json_string(&description),
        challenges = challenges.join(","),
    );
    Response {
        status: 200,
        headers: vec![(
            "Content-Type".to_owned(),
            TOOL_RESULT_CONTENT_TYPE.to_owned(),
        )],
        body,
        error: refused.error,
        reason: refused.reason,
    }
}
