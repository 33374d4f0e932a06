//! RFC 7662 introspection: client authentication at the endpoint, judging
//! responses and fleet records, the local cache and the introspector.

pub(crate) mod cache;
pub mod client_auth;
pub mod introspector;
pub mod response;
pub mod signing_key;
