//! The framework-neutral request decision: from a request's method, URL and
//! raw headers to either the credentials to verify or the exact response
//! (status, headers, JSON body), and from a verified identity to acceptance
//! with its effective scopes or a 403. Also the challenges, the scope
//! hierarchy, the protected-resource metadata document and every fixed text
//! these send. No I/O and no token cryptography: the caller verifies tokens
//! and proofs and hands back their error codes as strings.

pub mod challenge;
pub(crate) mod chars;
pub mod credentials;
pub mod decide;
pub mod failures;
pub mod identity;
pub mod metadata;
pub mod metadata_responder;
pub mod mtls;
pub mod response;
pub mod scopes;
pub mod step_up;
pub mod texts;
pub mod written_json;

pub use challenge::{build_challenge, sanitize_description, ChallengeParams, Scheme};
pub use credentials::{
    count_headers, has_query_token, is_cors_preflight, read_credentials, read_proof, HeaderFailure,
};
pub use decide::{
    header_pairs, Authorization, Decider, Decision, DecisionConfig, DpopMode, DpopSettings, Request,
};
pub use failures::Refusal;
pub use identity::{CallerIdentity, IdentityChecks};
pub use metadata::{
    advertised_issuers, build_resource_metadata_document, protected_resource_metadata_url,
    AdvertisedServer, DpopAdvert, ResourceMetadata,
};
pub use metadata_responder::{MetadataAnswer, MetadataEndpoint, MetadataResponder};
pub use response::Response;
pub use scopes::{missing_scopes, ScopeHierarchy};
pub use step_up::{parse_insufficient_scope, ScopeChallengeParams};
pub use written_json::WrittenJson;
