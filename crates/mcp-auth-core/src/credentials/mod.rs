//! Several credential kinds on one route: which verifier judges a token
//! (`routing.rs`, by the token's shape and issuer, never a second opinion)
//! and the API-key store (`api_keys.rs`: hashes compared in constant time,
//! each mapped to a fixed identity, replaced whole on rotation).

pub mod api_keys;
pub mod routing;
