//! This server as a client of its authorization server: one authenticated
//! POST to an endpoint (`post.rs`), which introspection (RFC 7662) and token
//! exchange (RFC 8693) both make. Client authentication (`client_auth.rs`;
//! its `private_key_jwt` key from PEM or a private JWK in `signing_key.rs`),
//! the options every such client takes and their checks (`options.rs`),
//! and where the endpoint is (`endpoint.rs`: configured or discovered).

pub mod client_auth;
pub mod endpoint;
pub mod options;
pub mod post;
pub mod signing_key;
