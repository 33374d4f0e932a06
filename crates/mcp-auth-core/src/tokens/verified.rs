//! What a verified token is: shared by the verifier, its cache and
//! introspection, so none of them needs to import another for it.

use crate::tokens::claims::Identity;
use serde_json::{Map, Value};

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// The header and payload as the issuer encoded them (see `ParsedToken`).
    pub header_json: String,
    pub claims_json: String,
    pub issuer: String,
    pub identity: Identity,
}
