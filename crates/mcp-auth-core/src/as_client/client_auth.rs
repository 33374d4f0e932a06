//! How we authenticate to an authorization-server endpoint (RFC 7662 §2.1
//! requires it for introspection; a token endpoint asks it of a confidential
//! client): `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`, or
//! `private_key_jwt` (RFC 7523 §2.2, an assertion signed per request).
//!
//! Secrets and keys live only here. `Debug` prints neither, and no error
//! built in this module names them.

use super::signing_key::{PrivateKey, SigningKey};
use crate::error::{AuthError, AuthResult};
use crate::keys::algorithms;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature;
#[cfg(test)]
use aws_lc_rs::signature::KeyPair;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::json;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Lifetime of a client assertion: short, since it is made for one request.
pub const ASSERTION_LIFETIME_SECS: u64 = 60;
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a request carries to authenticate us.
pub struct Credentials {
    /// The `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// Form members to add to the body.
    pub form: Vec<(&'static str, String)>,
}

pub enum ClientAuth {
    Basic { header: String },
    Post { client_id: String, secret: String },
    PrivateKeyJwt(Box<Assertions>),
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Basic { .. } => "ClientAuth::Basic(…)",
            Self::Post { .. } => "ClientAuth::Post(…)",
            Self::PrivateKeyJwt(_) => "ClientAuth::PrivateKeyJwt(…)",
        })
    }
}

/// What `private_key_jwt` needs to sign an assertion per request.
pub struct Assertions {
    client_id: String,
    key_id: Option<String>,
    alg: Algorithm,
    key: SigningKey,
}

/// RFC 6749 §2.3.1: each part is form-urlencoded before they are joined and
/// base64-encoded, so a `:` in the id cannot shift the split.
pub fn basic_header(client_id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(secret));
    format!("Basic {}", STANDARD.encode(pair))
}

impl ClientAuth {
    /// What one request carries; an assertion (for `audience`) is signed
    /// afresh each call.
    pub fn credentials(&self, audience: &str) -> AuthResult<Credentials> {
        Ok(match self {
            Self::Basic { header } => Credentials {
                authorization: Some(header.clone()),
                form: Vec::new(),
            },
            Self::Post { client_id, secret } => Credentials {
                authorization: None,
                form: vec![
                    ("client_id", client_id.clone()),
                    ("client_secret", secret.clone()),
                ],
            },
            Self::PrivateKeyJwt(assertions) => Credentials {
                authorization: None,
                form: vec![
                    ("client_id", assertions.client_id.clone()),
                    ("client_assertion_type", ASSERTION_TYPE.to_owned()),
                    ("client_assertion", assertions.sign(audience)?),
                ],
            },
        })
    }
}

impl Assertions {
    /// `alg` defaults to what the key is: RS256, ES256, ES384 or EdDSA.
    pub fn new(
        client_id: String,
        key_id: Option<String>,
        key: &PrivateKey,
        alg: Option<&str>,
        prefix: &str,
    ) -> AuthResult<Self> {
        let alg = alg
            .map(|name| {
                algorithms::parse(name).ok_or_else(|| {
                    AuthError::config(format!(
                        "`{prefix}.signingAlgorithm` {name:?} is not supported (asymmetric JWS algorithms only)"
                    ))
                })
            })
            .transpose()?;
        let (alg, key) = key.load(alg, prefix)?;
        Ok(Self {
            client_id,
            key_id,
            alg,
            key,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// A fresh assertion: `iss` = `sub` = client id, `aud`, a random `jti`,
    /// `iat` now, `exp` a minute later.
    pub fn sign(&self, audience: &str) -> AuthResult<String> {
        let failed = || AuthError::config("the client assertion could not be signed");
        let mut jti = [0u8; 16];
        SystemRandom::new().fill(&mut jti).map_err(|_| failed())?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut header = json!({ "alg": algorithms::name(self.alg), "typ": "JWT" });
        if let Some(kid) = &self.key_id {
            header["kid"] = kid.as_str().into();
        }
        let claims = json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let signature = match &self.key {
            SigningKey::Rsa(key) => {
                let padding: &dyn signature::RsaEncoding = match algorithms::name(self.alg) {
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0; key.public_modulus_len()];
                key.sign(padding, &rng, input.as_bytes(), &mut out)
                    .map_err(|_| failed())?;
                out
            }
            SigningKey::Ecdsa(key) => key
                .sign(&rng, input.as_bytes())
                .map_err(|_| failed())?
                .as_ref()
                .to_vec(),
            SigningKey::Ed25519(key) => key.sign(input.as_bytes()).as_ref().to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The public half, for tests that verify what we signed.
    #[cfg(test)]
    pub fn public_key_der(&self) -> Vec<u8> {
        match &self.key {
            SigningKey::Rsa(key) => key.public_key().as_ref().to_vec(),
            SigningKey::Ecdsa(key) => key.public_key().as_ref().to_vec(),
            SigningKey::Ed25519(key) => key.public_key().as_ref().to_vec(),
        }
    }
}

#[cfg(test)]
#[path = "client_auth_tests.rs"]
mod tests;
