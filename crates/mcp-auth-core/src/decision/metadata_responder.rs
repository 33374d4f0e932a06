//! The answer for metadata documents at exact well-known paths: public,
//! unauthenticated and CORS-open (RFC 9728 §3, RFC 8414 §3). GET and HEAD
//! get the document, OPTIONS a preflight's 204, any other method 405.
//! Paths and queries are matched literally, so `:` or `*` in a resource
//! path mean nothing special to any framework. A binding routes by path
//! (so other requests cost nothing), asks here, and fills in the document
//! (a binding's may be produced lazily).

use super::response::{Response, JSON_CONTENT_TYPE};

const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";
const ALLOW_ORIGIN: &str = "Access-Control-Allow-Origin";

/// Where one document is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataEndpoint {
    /// The exact path (relative to where the binding mounts the answers).
    pub path: String,
    /// The exact query (without `?`) a request must carry; empty: none at all.
    pub query: String,
}

/// What to send for a request to one of the documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataAnswer {
    /// 200 with document `endpoint` (an index) as the body, which the binding fills in.
    Document { endpoint: usize, response: Response },
    /// A preflight's 204 (no body) or a 405.
    Respond(Response),
}

#[derive(Debug, Clone, Default)]
pub struct MetadataResponder {
    endpoints: Vec<MetadataEndpoint>,
}

impl MetadataResponder {
    pub fn new(endpoints: Vec<MetadataEndpoint>) -> Self {
        Self { endpoints }
    }

    /// `query`: what follows the first `?`, `None` without one;
    /// `requested_headers`: the preflight's `Access-Control-Request-Headers`.
    /// `None`: not a request for a document; pass it on.
    pub fn answer(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        requested_headers: Option<&str>,
    ) -> Option<MetadataAnswer> {
        let endpoint = self.find(path, query)?;
        Some(match method {
            "GET" | "HEAD" => MetadataAnswer::Document {
                endpoint,
                response: json(200, String::new(), &[]),
            },
            "OPTIONS" => MetadataAnswer::Respond(preflight(requested_headers)),
            _ => MetadataAnswer::Respond(json(
                405,
                r#"{"error":"method_not_allowed"}"#.to_owned(),
                &[("Allow", ALLOWED_METHODS)],
            )),
        })
    }

    /// 404 for a binding whose router matched a document's path but cannot
    /// pass a request with another query on.
    pub fn not_found() -> Response {
        Response {
            status: 404,
            headers: vec![("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned())],
            body: r#"{"error":"not_found"}"#.to_owned(),
            error: Some("not_found".to_owned()),
            reason: "not_found".to_owned(),
        }
    }

    // Resources that differ only by query must not shadow each other (RFC 9728
    // §3.3): the query must match exactly, and no query matches only no query.
    fn find(&self, path: &str, query: Option<&str>) -> Option<usize> {
        self.endpoints.iter().position(|endpoint| {
            endpoint.path == path
                && match query {
                    None => endpoint.query.is_empty(),
                    Some(query) => !endpoint.query.is_empty() && endpoint.query == query,
                }
        })
    }
}

fn preflight(requested_headers: Option<&str>) -> Response {
    let mut headers = vec![
        (ALLOW_ORIGIN.to_owned(), "*".to_owned()),
        (
            "Access-Control-Allow-Methods".to_owned(),
            ALLOWED_METHODS.to_owned(),
        ),
    ];
    if let Some(requested) = requested_headers.filter(|h| !h.is_empty()) {
        // The documents are public and carry no credentials, so any header may be sent.
        headers.push((
            "Access-Control-Allow-Headers".to_owned(),
            requested.to_owned(),
        ));
        headers.push((
            "Vary".to_owned(),
            "Access-Control-Request-Headers".to_owned(),
        ));
    }
    headers.push(("Access-Control-Max-Age".to_owned(), "86400".to_owned()));
    Response {
        status: 204,
        headers,
        body: String::new(),
        error: None,
        reason: "preflight".to_owned(),
    }
}

fn json(status: u16, body: String, extra: &[(&str, &str)]) -> Response {
    let mut headers = vec![(ALLOW_ORIGIN.to_owned(), "*".to_owned())];
    headers.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    headers.push(("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()));
    Response {
        status,
        headers,
        body,
        error: (status == 405).then(|| "method_not_allowed".to_owned()),
        reason: if status == 405 {
            "method_not_allowed"
        } else {
            "metadata"
        }
        .to_owned(),
    }
}

#[cfg(test)]
#[path = "metadata_responder_tests.rs"]
mod tests;
