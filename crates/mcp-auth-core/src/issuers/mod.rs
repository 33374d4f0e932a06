//! Authorization servers: which issuers are trusted (exact or by template),
//! metadata discovery, and the `{ type, metadata }` server configuration.

pub mod discovery;
pub mod server_config;
pub mod template;
pub mod trusted;
