//! RFC 7662 introspection: judging responses and fleet records, the local
//! cache and the introspector (its endpoint calls are `as_client`'s).

pub(crate) mod cache;
pub mod introspector;
pub mod response;
