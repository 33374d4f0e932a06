//! Options as plain data (serde) and their one validation: each binding
//! converts its language's values to JSON and nothing more; names, units,
//! ranges, types and unknown keys are checked here.

pub mod authenticator;
pub mod credentials;
pub mod decode;
pub mod dpop;
pub mod introspection;
pub mod metadata;
pub mod operations;
pub mod redis_store;
pub mod scopes;
pub mod token_exchange;
pub mod values;
pub mod verifier;
