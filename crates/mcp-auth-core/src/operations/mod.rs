//! Per-tool authorization (the `operations` option): the binding hands over
//! the request's JSON-RPC body, the core reads it (`classify.rs`), finds each
//! message's requirement (`requirement.rs`: public, or the route's scopes
//! plus the operation's), and picks the flow that decides the request
//! (`gate.rs`). Also the `'tool-result'` answer (`tool_result.rs`) and a
//! tool descriptor's `securitySchemes` (`security_schemes.rs`). Routes
//! without `operations` never come here.

pub mod classify;
pub mod gate;
pub mod requirement;
pub mod security_schemes;
pub mod tool_result;

pub use classify::Body;
pub use gate::{OperationGate, Selection};
