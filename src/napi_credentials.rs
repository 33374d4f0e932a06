//! Several credential kinds on one route: the core's router and API-key
//! store as JavaScript classes, and `hashApiKey` for setting keys up.

// Only the JavaScript exports call these; test builds do not register exports.
#![cfg_attr(test, allow(dead_code))]

use crate::js_error::js_error;
use crate::js_options::JsOptions;
use mcp_auth_core::credentials::api_keys::{self, ApiKeyStore};
use mcp_auth_core::credentials::routing::{self, Kind};
use mcp_auth_core::options::credentials::{ApiKeysOptions, CredentialKindsOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// The stored form of an API key: `sha256:` and the base64url SHA-256.
#[napi(catch_unwind)]
pub fn hash_api_key(env: &Env, key: String) -> Result<String> {
    api_keys::hash_api_key(&key).map_err(|e| js_error(env, &e))
}

/// Which verifier of an ordered list judges a request.
#[napi]
pub struct CredentialRouter {
    inner: routing::CredentialRouter,
}

#[napi]
impl CredentialRouter {
    /// Throws `invalid_config` for a list the core refuses.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "CredentialKindsOptions")] options: JsOptions,
    ) -> Result<Self> {
        options
            .decode(
                CredentialKindsOptions::from_json,
                CredentialKindsOptions::unrepresentable,
            )
            .and_then(|o| routing::CredentialRouter::new(&o))
            .map(|inner| Self { inner })
            .map_err(|e| js_error(env, &e))
    }

    /// The index of the verifier for these `Authorization` header values
    /// (one entry per header received).
    #[napi(catch_unwind)]
    pub fn route(&self, authorization: Vec<String>) -> u32 {
        let headers: Vec<(String, String)> = authorization
            .into_iter()
            .map(|value| ("authorization".to_owned(), value))
            .collect();
        self.inner.route(&headers) as u32
    }

    /// Each verifier's loader refresh interval in milliseconds (`null` for a JWT verifier).
    #[napi(catch_unwind)]
    pub fn refresh_intervals(&self) -> Vec<Option<u32>> {
        self.inner
            .kinds()
            .iter()
            .map(|kind| match kind {
                Kind::ApiKey {
                    refresh_interval_ms,
                    ..
                } => Some(*refresh_interval_ms as u32),
                Kind::Jwt { .. } => None,
            })
            .collect()
    }
}

#[napi(object)]
pub struct ApiKeyIdentity {
    pub subject: String,
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
}

/// The API keys of one verifier: hashes only, replaced whole by `setKeys`.
#[napi]
pub struct NativeApiKeyStore {
    inner: ApiKeyStore,
}

#[napi]
impl NativeApiKeyStore {
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "ApiKeysOptions")] options: JsOptions,
    ) -> Result<Self> {
        decode_keys(options)
            .and_then(|o| ApiKeyStore::new(&o.keys))
            .map(|inner| Self { inner })
            .map_err(|e| js_error(env, &e))
    }

    /// Replaces every key at once; on a throw the old keys stay.
    #[napi(catch_unwind)]
    pub fn set_keys(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "ApiKeysOptions")] options: JsOptions,
    ) -> Result<()> {
        decode_keys(options)
            .and_then(|o| self.inner.set_keys(&o.keys))
            .map_err(|e| js_error(env, &e))
    }

    /// The key's fixed identity; throws `token_inactive` for an unknown key.
    #[napi(catch_unwind)]
    pub fn verify(&self, env: &Env, token: String) -> Result<ApiKeyIdentity> {
        self.inner
            .verify(&token)
            .map(|identity| ApiKeyIdentity {
                subject: identity.subject.clone(),
                client_id: identity.client_id.clone(),
                scopes: identity.scopes.clone(),
            })
            .map_err(|e| js_error(env, &e))
    }
}

fn decode_keys(options: JsOptions) -> mcp_auth_core::error::AuthResult<ApiKeysOptions> {
    options.decode(ApiKeysOptions::from_json, ApiKeysOptions::unrepresentable)
}
