//! The refusals of one resource: bare challenges, 400 invalid_request, 401
//! invalid_token / invalid_dpop_proof / use_dpop_nonce, 403
//! insufficient_scope, and the mapping from a verifier's error (a code and
//! whose fault it is, as `classify` does) to 401, 503 or 500.

use super::challenge::{build_challenge, sanitize_description, ChallengeParams, Scheme};
use super::decide::Decider;
use super::response::{
    infrastructure_failure, server_failure, JsonObject, Response, EXPOSE_HEADERS, JSON_CONTENT_TYPE,
};
use super::texts::{token_error_description, MISSING_REQUIRED_SCOPES};

/// Why a verification (or a proof check, or the replay record) failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal<'a> {
    /// A coded error: `code` (`expired`, `dpop_replayed`, …) and its fault
    /// (`token`, `proof`, `nonce`, `infrastructure`; anything else is `server`).
    Coded {
        code: &'a str,
        fault: &'a str,
        /// The fixed reason phrase, shown only with details.
        reason: &'a str,
        /// Seconds for `Retry-After` (infrastructure; default 10).
        retry_after: Option<f64>,
        /// A fresh server nonce for a `nonce` fault (`DPoP-Nonce`).
        nonce: Option<&'a str>,
    },
    /// A user verifier's `missing_required_scopes`, with its scopes or none (then the required ones).
    MissingScopes(Option<Vec<String>>),
    /// Any other user-raised bearer or token-verification error: its code,
    /// message (sanitised; empty falls back to the code's text) and, with
    /// details, its plain-data cause already as snake_cased JSON text.
    Described {
        code: &'a str,
        message: &'a str,
        cause_json: Option<String>,
    },
    /// A known server or configuration error (500, its code and text shown with details).
    Server { code: &'a str, description: &'a str },
    /// Anything else (500, nothing shown).
    Unexpected,
}

impl Decider {
    /// Every scheme offered, the error in the one the request used (else the first offered).
    pub(crate) fn challenge_with(
        &self,
        error: Option<&str>,
        description: Option<&str>,
        used: Option<Scheme>,
        scope: Option<&str>,
        resource_metadata: Option<&str>,
    ) -> String {
        let target = used
            .filter(|s| self.offered.contains(s))
            .unwrap_or(self.offered[0]);
        let challenges: Vec<String> = self
            .offered
            .iter()
            .map(|&scheme| {
                let mut params = ChallengeParams {
                    scheme: Some(scheme),
                    resource_metadata,
                    scope,
                    ..Default::default()
                };
                if scheme == Scheme::Dpop {
                    params.algs = self.algs.as_deref();
                }
                if scheme == target {
                    params.error = error;
                    params.error_description = description;
                }
                build_challenge(&params)
            })
            .collect();
        challenges.join(", ")
    }

    /// A challenged response; `error` also puts the body's description into the challenge.
    pub(crate) fn challenged(
        &self,
        status: u16,
        reason: &str,
        body: JsonObject,
        error: Option<&str>,
        description: &str,
        used: Option<Scheme>,
    ) -> Response {
        let challenge = self.challenge_with(
            error,
            error.map(|_| description),
            used,
            self.scope.as_deref(),
            self.config.resource_metadata_url.as_deref(),
        );
        Response {
            status,
            headers: vec![
                ("WWW-Authenticate".to_owned(), challenge),
                (EXPOSE_HEADERS.to_owned(), "WWW-Authenticate".to_owned()),
                ("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()),
            ],
            body: body.finish(),
            error: error.map(str::to_owned),
            reason: reason.to_owned(),
        }
    }

    /// A header failure with mcp-auth's `error` code and no challenge error (401).
    pub(crate) fn bare(&self, reason: &str, code: &str, description: &str) -> Response {
        let body = JsonObject::new()
            .string("error", code)
            .string("error_description", description);
        self.challenged(401, reason, body, None, description, None)
    }

    pub(crate) fn invalid_request(&self, reason: &str, description: &str) -> Response {
        let body = JsonObject::new()
            .string("error", "invalid_request")
            .string("error_description", description);
        self.challenged(
            400,
            reason,
            body,
            Some("invalid_request"),
            description,
            None,
        )
    }

    fn invalid_token(
        &self,
        reason: &str,
        description: &str,
        cause: Option<String>,
        used: Option<Scheme>,
        error: &str,
    ) -> Response {
        let mut body = JsonObject::new()
            .string("error", error)
            .string("error_description", description);
        if let Some(cause) = cause {
            body = body.raw("cause", cause);
        }
        self.challenged(401, reason, body, Some(error), description, used)
    }

    /// 403 for `missing` scopes.
    pub(crate) fn insufficient_scope(&self, missing: &[String], used: Option<Scheme>) -> Response {
        let mut body = JsonObject::new()
            .string("error", "insufficient_scope")
            .string("error_description", MISSING_REQUIRED_SCOPES);
        if self.config.show_error_details {
            body = body.object(
                "cause",
                JsonObject::new().strings("missing_scopes", missing),
            );
        }
        body = body.strings("missing_scopes", missing);
        self.challenged(
            403,
            "insufficient_scope",
            body,
            Some("insufficient_scope"),
            MISSING_REQUIRED_SCOPES,
            used,
        )
    }

    /// 403 for scopes a handler demanded of a request already accepted (a
    /// tool's step-up): unlike [`Self::insufficient_scope`], the challenge's
    /// `scope` names exactly those scopes, so a client asks for them, and the
    /// handler's `description` (sanitised; empty falls back to the fixed
    /// text) explains why.
    pub fn step_up(
        &self,
        missing: &[String],
        description: Option<&str>,
        used: Option<Scheme>,
    ) -> Response {
        let sanitized = description.map(sanitize_description).unwrap_or_default();
        let text = if sanitized.is_empty() {
            MISSING_REQUIRED_SCOPES
        } else {
            sanitized.as_str()
        };
        let body = JsonObject::new()
            .string("error", "insufficient_scope")
            .string("error_description", text)
            .strings("missing_scopes", missing);
        let scope = (!missing.is_empty()).then(|| missing.join(" "));
        let challenge = self.challenge_with(
            Some("insufficient_scope"),
            Some(text),
            used,
            scope.as_deref().or(self.scope.as_deref()),
            self.config.resource_metadata_url.as_deref(),
        );
        Response {
            status: 403,
            headers: vec![
                ("WWW-Authenticate".to_owned(), challenge),
                (EXPOSE_HEADERS.to_owned(), "WWW-Authenticate".to_owned()),
                ("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()),
            ],
            body: body.finish(),
            error: Some("insufficient_scope".to_owned()),
            reason: "insufficient_scope".to_owned(),
        }
    }

    /// 401 for a code: `error` is `invalid_token`, `invalid_dpop_proof` or `use_dpop_nonce`.
    pub(crate) fn coded(
        &self,
        code: &str,
        reason: &str,
        used: Option<Scheme>,
        error: &str,
    ) -> Response {
        let cause = self.config.show_error_details.then(|| {
            JsonObject::new()
                .string("code", code)
                .string("reason", reason)
                .finish()
        });
        self.invalid_token(code, token_error_description(code), cause, used, error)
    }

    /// The response for a failed verification, proof check or replay record.
    pub fn refuse(&self, refusal: &Refusal<'_>, used: Option<Scheme>) -> Response {
        let show = self.config.show_error_details;
        match refusal {
            Refusal::Coded {
                code,
                fault,
                reason,
                retry_after,
                nonce,
            } => match *fault {
                "token" => self.coded(code, reason, used, "invalid_token"),
                "proof" => self.coded(code, reason, Some(Scheme::Dpop), "invalid_dpop_proof"),
                "nonce" => {
                    let mut response =
                        self.coded(code, reason, Some(Scheme::Dpop), "use_dpop_nonce");
                    if let Some(nonce) = nonce {
                        let content_type = response.headers.pop();
                        response
                            .headers
                            .push(("DPoP-Nonce".to_owned(), (*nonce).to_owned()));
                        response
                            .set_header(EXPOSE_HEADERS, "WWW-Authenticate, DPoP-Nonce".to_owned());
                        response.headers.extend(content_type);
                    }
                    response
                }
                "infrastructure" => infrastructure_failure(code, reason, *retry_after, show),
                _ => server_failure(Some((code, reason)), show),
            },
            Refusal::MissingScopes(missing) => self.insufficient_scope(
                missing.as_deref().unwrap_or(&self.config.required_scopes),
                used,
            ),
            Refusal::Described {
                code,
                message,
                cause_json,
            } => {
                let sanitized = sanitize_description(message);
                let description = if sanitized.is_empty() {
                    token_error_description(code)
                } else {
                    &sanitized
                };
                let cause = if show { cause_json.clone() } else { None };
                self.invalid_token(code, description, cause, used, "invalid_token")
            }
            Refusal::Server { code, description } => {
                server_failure(Some((code, description)), show)
            }
            Refusal::Unexpected => server_failure(None, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decide::{Decider, DecisionConfig, DpopMode, DpopSettings};
    use super::super::scopes::ScopeHierarchy;
    use super::super::Scheme;

    fn decider(dpop: bool) -> Decider {
        Decider::new(DecisionConfig {
            dpop: dpop.then(|| DpopSettings {
                mode: DpopMode::Allowed,
                algorithms: vec!["ES256".to_owned()],
            }),
            resource_metadata_url: Some(
                "https://mcp.example.com/.well-known/oauth-protected-resource".to_owned(),
            ),
            required_scopes: vec!["read".to_owned()],
            scope_hierarchy: ScopeHierarchy::none(),
            show_error_details: false,
            max_token_length: 8192,
            mtls: None,
        })
    }

    fn challenge(response: &super::Response) -> &str {
        &response
            .headers
            .iter()
            .find(|(n, _)| n == "WWW-Authenticate")
            .unwrap()
            .1
    }

    #[test]
    fn step_up_names_the_demanded_scopes_and_the_handlers_reason() {
        let missing = vec!["delete:todos".to_owned()];
        let response = decider(false).step_up(
            &missing,
            Some("Deleting another user's todo needs delete:todos\r\n"),
            None,
        );
        assert_eq!(response.status, 403);
        assert_eq!(
            challenge(&response),
            "Bearer error=\"insufficient_scope\", error_description=\"Deleting another user's todo needs delete:todos\", \
             resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource\", scope=\"delete:todos\""
        );
        assert_eq!(
            response.body,
            r#"{"error":"insufficient_scope","error_description":"Deleting another user's todo needs delete:todos","missing_scopes":["delete:todos"]}"#
        );
    }

    #[test]
    fn step_up_without_a_description_keeps_the_fixed_text_and_offers_dpop_too() {
        let missing = vec!["a".to_owned(), "b".to_owned()];
        let response = decider(true).step_up(&missing, Some("\u{1}"), Some(Scheme::Dpop));
        let text = challenge(&response);
        assert!(text.starts_with("Bearer resource_metadata="), "{text}");
        let expected = "DPoP algs=\"ES256\", error=\"insufficient_scope\", \
            error_description=\"The token does not contain the necessary scopes for this request.\"";
        assert!(text.contains(expected), "{text}");
        assert!(text.contains("scope=\"a b\""), "{text}");
    }
}
