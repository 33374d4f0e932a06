//! The per-operation gate a binding asks once per request: the body's
//! refusal, or the [`Selection`] whose flow decides the request. Each
//! requirement has its own [`Flow`], a copy of the route's whose required
//! scopes are the route's and the operation's (none for public), so the
//! decision itself (challenges, 403s, hierarchy, DPoP, mTLS, events' codes)
//! is the route's, unchanged. A batch whose union is new gets its flow on demand.

use super::classify::{self, Body, BodyFault, Message};
use super::requirement::{Needed, Rule, Rules};
use super::security_schemes::security_schemes;
use super::tool_result::tool_result;
use crate::decision::response::{json_string, Response};
use crate::decision::texts::{
    BODY_INVALID_REQUEST, BODY_NOT_JSON, BODY_PARSE_ERROR, BODY_TOO_LARGE, BODY_UNREADABLE,
};
use crate::decision::{has_query_token, Decider, Request};
use crate::error::AuthResult;
use crate::flow::{Flow, Outcome, Started};
use crate::options::operations::{OperationPolicy, Signal};
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Batch unions kept; past this each new one is built per request.
const MAX_UNION_FLOWS: usize = 64;

pub struct OperationGate {
    shared: Arc<Shared>,
}

struct Shared {
    rules: Rules,
    /// The route's own flow (unions start from it).
    base: Arc<Flow>,
    public: Arc<Flow>,
    /// One per interned requirement (`Rules::required`).
    flows: Vec<Arc<Flow>>,
    unions: Mutex<HashMap<Vec<String>, Arc<Flow>>>,
    signal: Signal,
    max_body_bytes: usize,
    /// Seals selection tokens: a token only this gate made is restored.
    key: hmac::Key,
}

/// What one request needs, with the flow that decides it.
#[derive(Clone)]
pub struct Selection {
    shared: Arc<Shared>,
    flow: Arc<Flow>,
    needed: Needed,
    /// `'tool-result'` only: the id of the request's single `tools/call`.
    tool_call: Option<Box<RawValue>>,
}

impl OperationGate {
    /// The gate over the route's `base` flow; `policy`: the validated declaration.
    pub fn new(base: Arc<Flow>, policy: &OperationPolicy) -> AuthResult<Self> {
        let route = base.decider.config().required_scopes.clone();
        let rules = Rules::compile(policy, &route);
        let public = with_scopes(&base, &[]);
        let flows = rules
            .required()
            .iter()
            .map(|scopes| with_scopes(&base, scopes))
            .collect();
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret)
            .map_err(|_| crate::panic_guard::internal("no random bytes for the gate's key"))?;
        Ok(Self {
            shared: Arc::new(Shared {
                rules,
                base,
                public,
                flows,
                unions: Mutex::new(HashMap::new()),
                signal: policy.signal,
                max_body_bytes: policy.max_body_bytes,
                key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            }),
        })
    }

    /// The 400/413/415/500 for the body, or the selection.
    pub fn select(&self, http_method: &str, body: Body<'_>) -> Result<Selection, Response> {
        let shared = &self.shared;
        if !http_method.eq_ignore_ascii_case("POST") {
            return Ok(shared.selection(Needed::from(shared.rules.without_body()), None));
        }
        let bytes = match body {
            Body::Json(bytes) => bytes,
            Body::None => b"",
            Body::NotJson => return Err(refusal(BodyFault::NotJson)),
            Body::TooLarge => return Err(refusal(BodyFault::TooLarge)),
            Body::Unreadable => return Err(refusal(BodyFault::Unreadable)),
        };
        let messages = classify::read(bytes).map_err(refusal)?;
        let rules: Vec<Rule> = messages
            .items
            .iter()
            .map(|m| shared.rules.rule(m))
            .collect();
        let needed = shared.rules.needed(&rules);
        let tool_call = match (&messages.items[..], shared.signal, messages.batch) {
            (
                [Message::Request {
                    method,
                    id: Some(id),
                    ..
                }],
                Signal::ToolResult,
                false,
            ) if method == "tools/call" => Some((*id).to_owned()),
            _ => None,
        };
        Ok(shared.selection(needed, tool_call))
    }

    /// A selection back from its [`Selection::token`]; `None` for any text this gate did not make.
    pub fn restore(&self, token: &str) -> Option<Selection> {
        let (payload, tag) = token.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(&self.shared.key, payload.as_bytes(), &tag).ok()?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let sealed: Sealed = serde_json::from_slice(&payload).ok()?;
        let needed = match sealed.n {
            serde_json::Value::String(p) if p == "p" => Needed::Public,
            serde_json::Value::Number(n) => {
                let index = usize::try_from(n.as_u64()?).ok()?;
                (index < self.shared.flows.len()).then_some(Needed::Known(index))?
            }
            serde_json::Value::Array(scopes) => Needed::Union(
                scopes
                    .into_iter()
                    .map(|s| s.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()?,
            ),
            _ => return None,
        };
        Some(self.shared.selection(needed, sealed.i))
    }

    /// `[{"type":"noauth"}]` or `[{"type":"oauth2","scopes":[…]}]` for a
    /// `tools/call` of `tool` (an undeclared tool: `default`'s).
    pub fn security_schemes(&self, tool: &str) -> String {
        match self.shared.rules.tool(tool) {
            Rule::Public => security_schemes(None),
            Rule::Protected(index) => security_schemes(Some(self.shared.rules.scopes(index))),
        }
    }

    /// The body bound the binding applies when it reads the stream (bytes).
    pub fn max_body_bytes(&self) -> usize {
        self.shared.max_body_bytes
    }
}

impl Shared {
    fn selection(self: &Arc<Self>, needed: Needed, tool_call: Option<Box<RawValue>>) -> Selection {
        let flow = match &needed {
            Needed::Public => self.public.clone(),
            Needed::Known(index) => self.flows[*index].clone(),
            Needed::Union(scopes) => self.union_flow(scopes),
        };
        Selection {
            shared: self.clone(),
            flow,
            needed,
            tool_call,
        }
    }

    fn union_flow(&self, scopes: &[String]) -> Arc<Flow> {
        // A poisoned lock only loses the cache, never the decision.
        let Ok(mut unions) = self.unions.lock() else {
            return with_scopes(&self.base, scopes);
        };
        if let Some(flow) = unions.get(scopes) {
            return flow.clone();
        }
        let flow = with_scopes(&self.base, scopes);
        if unions.len() < MAX_UNION_FLOWS {
            unions.insert(scopes.to_vec(), flow.clone());
        }
        flow
    }
}

impl From<Rule> for Needed {
    fn from(rule: Rule) -> Self {
        match rule {
            Rule::Public => Needed::Public,
            Rule::Protected(index) => Needed::Known(index),
        }
    }
}

impl std::fmt::Debug for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selection")
            .field("needed", &self.needed)
            .field("tool_call", &self.tool_call)
            .finish_non_exhaustive()
    }
}

impl Selection {
    pub fn flow(&self) -> &Arc<Flow> {
        &self.flow
    }

    /// Whether no token is needed.
    pub fn is_public(&self) -> bool {
        self.needed == Needed::Public
    }

    /// [`Outcome::Anonymous`] for a public operation whose request carries no
    /// credentials at all; otherwise the flow's decision (a presented token
    /// is verified as on any route), with the signal applied and a `Verify`
    /// carrying this selection's token.
    pub fn start(&self, request: &Request<'_>, timed: bool) -> Started {
        if self.is_public() && !carries_credentials(request) {
            return Started::Done(Outcome::Anonymous, None);
        }
        match self.flow.start(request, timed) {
            Started::Done(
                Outcome::Verify {
                    token,
                    scheme,
                    proof,
                    certificate,
                    ..
                },
                timing,
            ) => Started::Done(
                Outcome::Verify {
                    token,
                    scheme,
                    proof,
                    certificate,
                    operation: Some(self.token()),
                },
                timing,
            ),
            Started::Done(outcome, timing) => Started::Done(self.signal(outcome), timing),
            later => later,
        }
    }

    /// `'tool-result'`: a 401 or 403 for a single `tools/call` request becomes
    /// its JSON-RPC tool error result. Anything else is returned as it is.
    pub fn signal(&self, outcome: Outcome) -> Outcome {
        match (outcome, &self.tool_call) {
            (Outcome::Respond(response), Some(id))
                if response.status == 401 || response.status == 403 =>
            {
                Outcome::Respond(tool_result(id, response))
            }
            (outcome, _) => outcome,
        }
    }

    /// Compact sealed text [`OperationGate::restore`] takes back.
    pub fn token(&self) -> String {
        let n = match &self.needed {
            Needed::Public => r#""p""#.to_owned(),
            Needed::Known(index) => index.to_string(),
            Needed::Union(scopes) => {
                let items: Vec<String> = scopes.iter().map(|s| json_string(s)).collect();
                format!("[{}]", items.join(","))
            }
        };
        let payload = match &self.tool_call {
            Some(id) => format!(r#"{{"n":{n},"i":{}}}"#, id.get()),
            None => format!(r#"{{"n":{n}}}"#),
        };
        let payload = URL_SAFE_NO_PAD.encode(payload);
        let tag = hmac::sign(&self.shared.key, payload.as_bytes());
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }
}

#[derive(Deserialize)]
struct Sealed {
    n: serde_json::Value,
    i: Option<Box<RawValue>>,
}

/// Any `Authorization` header, or a token in the query (refused as on any route).
fn carries_credentials(request: &Request<'_>) -> bool {
    request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        || has_query_token(request.url)
}

/// `base` with `scopes` required instead of its own (itself when they are its own).
fn with_scopes(base: &Arc<Flow>, scopes: &[String]) -> Arc<Flow> {
    if base.decider.config().required_scopes == scopes {
        return base.clone();
    }
    let mut config = base.decider.config().clone();
    config.required_scopes = scopes.to_vec();
    Arc::new(Flow {
        decider: Decider::new(config),
        verifier: base.verifier.clone(),
        introspector: base.introspector.clone(),
        introspection_fleet: base.introspection_fleet.clone(),
        route: base.route,
        dpop: base.dpop.clone(),
        dpop_fleet: base.dpop_fleet.clone(),
        identity_checks: base.identity_checks.clone(),
    })
}

/// A body refusal: a JSON-RPC error as the SDKs' transports send one, no challenge.
fn refusal(fault: BodyFault) -> Response {
    let (status, code, message, reason) = match fault {
        BodyFault::NotJson => (415, -32000, BODY_NOT_JSON, "body_not_json"),
        BodyFault::TooLarge => (413, -32000, BODY_TOO_LARGE, "body_too_large"),
        BodyFault::Parse => (400, -32700, BODY_PARSE_ERROR, "body_invalid"),
        BodyFault::Invalid => (400, -32600, BODY_INVALID_REQUEST, "body_invalid"),
        BodyFault::Unreadable => (500, -32603, BODY_UNREADABLE, "body_unreadable"),
    };
    let error = if status == 500 {
        "server_error"
    } else {
        "invalid_request"
    };
    Response {
        status,
        headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body: format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":{code},"message":{}}},"id":null}}"#,
            json_string(message)
        ),
        error: Some(error.to_owned()),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
