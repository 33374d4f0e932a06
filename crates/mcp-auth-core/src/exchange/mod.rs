//! Token exchange for upstream calls: RFC 8693, or Entra ID's on-behalf-of
//! grant. A tool trades the caller's access token for one aimed at an
//! upstream API. The request's parameters and their checks (`request.rs`),
//! judging the token endpoint's answer (`answer.rs`), the bounded cache of
//! issued tokens (`cache.rs`) and the exchanger that ties them to the
//! introspection client's HTTP and client authentication (`exchanger.rs`).

pub mod answer;
pub(crate) mod cache;
pub mod exchanger;
pub mod request;
