//! DPoP (RFC 9449): proof checks, server nonces and the replay cache.

pub mod nonce;
pub mod proof;
pub mod replay_cache;
