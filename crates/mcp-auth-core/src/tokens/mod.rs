//! Access tokens: JWS parsing, strict JSON, claims and the claim policy,
//! the verified-token cache and the verifier that ties them together.

pub mod cache;
pub mod claim_policy;
pub mod claims;
pub mod strict_json;
pub mod token;
pub mod verified;
pub mod verifier;
