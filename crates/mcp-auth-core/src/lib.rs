//! mcp-auth-core: OAuth 2.1 resource-server authorization for MCP servers,
//! free of any language binding. The Node addon (the root crate) and any
//! other binding hand it plain data and get plain Rust values back.
//!
//! Every failure is an [`error::AuthError`] with a stable code; no module here
//! knows how a binding shows it.

pub mod accepted_json;
pub mod credentials;
pub mod decision;
pub mod dpop;
pub mod error;
pub mod exchange;
pub mod fleet;
pub mod flow;
pub mod http;
pub mod introspection;
pub mod issuers;
pub mod keys;
pub mod operations;
pub mod options;
pub mod panic_guard;
pub(crate) mod spare_cpu;
pub mod tokens;

#[cfg(test)]
mod never_panics;
#[cfg(test)]
mod test_keys;
#[cfg(test)]
pub mod test_server;
