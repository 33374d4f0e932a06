//! Signing keys: the accepted algorithms, JWK parsing, public keys prepared
//! for their signature checks, RFC 7638 thumbprints and the process-wide
//! cache of fetched key sets.

pub mod algorithms;
pub mod jwk;
pub mod key_set;
pub mod key_set_report;
pub mod public_key;
pub mod thumbprint;
