//! One authenticated POST to an authorization-server endpoint: the call's
//! own form members, then the client's credentials (a header, or members
//! with an assertion signed for this call), within `http::post_form`'s bounds.

use super::client_auth::ClientAuth;
use super::options::AssertionTarget;
use crate::error::AuthResult;
use crate::http::{self, FetchOptions, PostErrors};
use serde_json::{Map, Value};
use url::Url;

/// Who calls, as an endpoint client's configuration holds it.
pub struct Caller<'a> {
    pub auth: &'a ClientAuth,
    pub assertion_audience: &'a AssertionTarget,
    pub fetch: &'a FetchOptions,
}

impl Caller<'_> {
    /// POSTs `members` and this caller's credentials to `endpoint`; the
    /// answer is a JSON object, every failure named by `errors`.
    pub async fn post(
        &self,
        endpoint: &Url,
        members: &[(&'static str, String)],
        errors: PostErrors,
    ) -> AuthResult<Map<String, Value>> {
        let credentials = self
            .auth
            .credentials(&self.assertion_audience.audience(endpoint))?;
        // Built apart: the serializer is not `Send`, the future must be.
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in members.iter().chain(&credentials.form) {
                form.append_pair(name, value);
            }
            form.finish()
        };
        http::post_form(
            endpoint,
            self.fetch,
            credentials.authorization.as_deref(),
            form,
            errors,
        )
        .await
    }
}
