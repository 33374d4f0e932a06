//! The `Authenticator` class: one resource's request decision. One call per
//! request (`authenticate`) answers a cached or inline-checked JWT (or a
//! cached introspection verdict) synchronously; a worker check, key fetch,
//! introspection call (with or without a fleet store) or fleet DPoP claim
//! is one awaitable. Tokens the
//! caller verifies go through `finish`, errors the caller meets through
//! `refuse`. With `operations` (per-tool authorization),
//! `authenticate_operation` takes the request's body too and the core's
//! `operations/` gate picks the flow. The logic is the core's (`flow.rs`,
//! `decision/`, `operations/`); this file converts, as
//! `src/napi_authenticator.rs` does for Node.

use crate::py_dpop::DpopChecker;
use crate::py_error::{entry, to_py};
use crate::py_introspector::Introspector;
use crate::py_json::options_value;
use crate::py_outcome::{answer, parse_scheme, to_python, Answer};
use crate::py_runtime::awaitable;
use crate::py_verifier::Verifier;
use mcp_auth_core::decision::{header_pairs, CallerIdentity, Refusal, Request};
use mcp_auth_core::error::AuthError;
use mcp_auth_core::flow::{
    Bound as Binding, Flow, Job, Outcome, Pending, Presented, Started, Timing,
};
use mcp_auth_core::operations::{Body, OperationGate, Selection};
use mcp_auth_core::options::authenticator::{dpop_settings, AuthenticatorOptions};
use mcp_auth_core::panic_guard::internal;
use mcp_auth_core::tokens::verifier::Step;
use pyo3::prelude::*;
use std::sync::Arc;

/// A caller-verified identity: (issuer, the audience's strings, expiry).
type PyIdentity = (Option<String>, Vec<String>, Option<f64>);

#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct Authenticator {
    flow: Arc<Flow>,
    /// With `operations`: the per-operation gate.
    gate: Option<OperationGate>,
}

/// An operation's signal applied to an outcome (no selection: as it is).
fn signal(selection: Option<&Selection>, outcome: Outcome) -> Outcome {
    match selection {
        Some(selection) => selection.signal(outcome),
        None => outcome,
    }
}

#[pymethods]
impl Authenticator {
    /// `options_json`: the core's authenticator options as one JSON text
    /// (`options/authenticator.rs`). `dpop` takes DPoP proofs (and, with its
    /// store, claims them fleet-wide); `introspector` answers the
    /// 'introspection' and 'auto' routes (through its store when it has one).
    #[new]
    #[pyo3(signature = (options_json, verifier, dpop = None, introspector = None))]
    fn new(
        py: Python<'_>,
        options_json: &str,
        verifier: Option<Bound<'_, Verifier>>,
        dpop: Option<Bound<'_, DpopChecker>>,
        introspector: Option<Bound<'_, Introspector>>,
    ) -> PyResult<Self> {
        entry(py, || {
            let value = options_value(py, options_json)?;
            let checker = dpop.as_ref().map(|d| d.get().inner.clone());
            let options = to_py(py, AuthenticatorOptions::from_json(value))?;
            let identity_checks = options.identity_checks();
            let policy = to_py(py, options.operation_policy())?;
            let (config, route) = to_py(py, options.to_config(dpop_settings(checker.as_deref())))?;
            let introspector = introspector.as_ref().map(Bound::get);
            let flow = Flow {
                decider: mcp_auth_core::decision::Decider::new(config),
                verifier: verifier.map(|v| v.get().inner.clone()),
                introspector: introspector.map(|i| i.inner.clone()),
                introspection_fleet: introspector.and_then(|i| i.fleet.clone()),
                route,
                dpop: checker,
                dpop_fleet: dpop.as_ref().and_then(|d| d.get().fleet.clone()),
                identity_checks,
            };
            let flow = Arc::new(flow);
            let gate = policy
                .map(|policy| OperationGate::new(flow.clone(), &policy))
                .transpose();
            let gate = to_py(py, gate)?;
            Ok(Self { flow, gate })
        })
    }

    /// The one call per request. `headers`: the request's `Authorization`
    /// and `DPoP` headers as `[name, value, …]`, one entry per header
    /// received (a repeat is refused). `timed`: report the native
    /// verifier's duration. The GIL is released around the checks.
    /// `certificate`: the DER client certificate the TLS connection
    /// presented, on a resource with `mtls` (a proxy's header comes among `headers`).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (method, url, original_url, headers, timed, certificate = None))]
    fn authenticate<'py>(
        &self,
        py: Python<'py>,
        method: String,
        url: String,
        original_url: Option<String>,
        headers: Vec<String>,
        timed: bool,
        certificate: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        entry(py, || {
            let pairs = header_pairs(headers);
            let flow = &self.flow;
            let started = py.detach(|| {
                let request = Request {
                    method: &method,
                    url: &url,
                    original_url: original_url.as_deref(),
                    headers: &pairs,
                    client_certificate: certificate.as_deref(),
                };
                flow.start(&request, timed)
            });
            Self::answer(py, started, flow, None)
        })
    }

    /// `authenticate` on a route with `operations`: the body is judged first
    /// (400/413/415/500), then the operation's requirement decides. `body`:
    /// the bytes read (`body_state` `'json'`); `None` for the other states.
    /// `None` back: a public operation without credentials (no identity).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (method, url, original_url, headers, timed, certificate, body, body_state))]
    fn authenticate_operation<'py>(
        &self,
        py: Python<'py>,
        method: String,
        url: String,
        original_url: Option<String>,
        headers: Vec<String>,
        timed: bool,
        certificate: Option<Vec<u8>>,
        body: Option<&[u8]>,
        body_state: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        entry(py, || {
            let Some(gate) = &self.gate else {
                let err =
                    AuthError::config("`authenticate_operation` needs the `operations` option.");
                return to_py(py, Err(err));
            };
            let bytes = body.unwrap_or_default();
            let body = match Body::from_state(body_state, bytes, "body_state") {
                Ok(body) => body,
                Err(err) => return to_py(py, Err(err)),
            };
            let pairs = header_pairs(headers);
            let decided = py.detach(|| {
                let selection = gate.select(&method, body)?;
                let request = Request {
                    method: &method,
                    url: &url,
                    original_url: original_url.as_deref(),
                    headers: &pairs,
                    client_certificate: certificate.as_deref(),
                };
                let started = selection.start(&request, timed);
                Ok((started, selection))
            });
            match decided {
                Ok((started, selection)) => {
                    let flow = selection.flow().clone();
                    Self::answer(py, started, &flow, Some(selection))
                }
                Err(response) => Ok(Py::new(py, answer(response, None))?
                    .into_any()
                    .into_bound(py)),
            }
        })
    }

    /// A tool descriptor's `securitySchemes` as JSON text (`None` without `operations`).
    fn security_schemes(&self, py: Python<'_>, tool: &str) -> PyResult<Option<String>> {
        entry(py, || {
            Ok(self.gate.as_ref().map(|gate| gate.security_schemes(tool)))
        })
    }

    /// The body bound in bytes the caller applies when it reads (`None` without `operations`).
    fn max_body_bytes(&self, py: Python<'_>) -> PyResult<Option<usize>> {
        entry(py, || {
            Ok(self.gate.as_ref().map(OperationGate::max_body_bytes))
        })
    }

    /// After the caller verified `token`: `cnf` says the claims hold a
    /// `cnf`, `jkt` is their `cnf.jkt`; `scopes` are the granted ones.
    /// `identity` (issuer, the verdict of an issuer function, the audience's
    /// strings, expiry with NaN for a non-number) is checked first when the
    /// options ask for `callerChecks`. `x5t`: the claims' `cnf["x5t#S256"]`
    /// when `cnf` holds nothing but it and `jkt`; `certificate`:
    /// `Verify.certificate` (mTLS). `operation`: `Verify.operation` (its
    /// flow decides, its signal applies).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (scheme, cnf, jkt, proof, method, htu, token, scopes, identity = None, x5t = None, certificate = None, operation = None))]
    fn finish<'py>(
        &self,
        py: Python<'py>,
        scheme: &str,
        cnf: bool,
        jkt: Option<String>,
        proof: Option<String>,
        method: String,
        htu: String,
        token: String,
        scopes: Vec<String>,
        identity: Option<PyIdentity>,
        x5t: Option<String>,
        certificate: Option<String>,
        operation: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        entry(py, || {
            let scheme = to_py(py, parse_scheme(scheme))?;
            let selection = match operation {
                None => None,
                Some(token) => match self.restore(&token) {
                    Some(selection) => Some(selection),
                    None => return Ok(self.unexpected(py)?.into_any()),
                },
            };
            let flow = selection.as_ref().map_or(&self.flow, |s| s.flow());
            let outcome = py.detach(|| {
                let bound = Binding {
                    cnf_present: cnf,
                    jkt: jkt.as_deref(),
                    x5t: x5t.as_deref(),
                };
                let caller =
                    identity
                        .as_ref()
                        .map(|(issuer, audience, expires_at)| CallerIdentity {
                            issuer: issuer.as_deref(),
                            issuer_trusted: None,
                            audience,
                            expires_at: *expires_at,
                        });
                let presented = Presented {
                    proof: proof.as_deref(),
                    certificate: certificate.as_deref(),
                };
                flow.finish(
                    caller.as_ref(),
                    scheme,
                    bound,
                    presented,
                    &method,
                    &htu,
                    &token,
                    &scopes,
                )
            });
            match selection {
                None => Self::answer(py, Started::Done(outcome, None), &self.flow, None),
                Some(selection) => {
                    let outcome = selection.signal(outcome);
                    let flow = selection.flow().clone();
                    Self::answer(py, Started::Done(outcome, None), &flow, Some(selection))
                }
            }
        })
    }

    /// The response for a failure the caller met. `kind`: `coded` (`code`,
    /// `fault`, `reason`, `retry_after`), `missingScopes` (`missing`),
    /// `described` (`code`, `message`, `cause_json`), `server` (`code`,
    /// `description`), anything else unexpected. `used`: the request's
    /// scheme; `operation`: `Verify.operation` (its flow and signal apply).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (
        kind, *, code = None, fault = None, reason = None, retry_after = None,
        missing = None, message = None, cause_json = None, description = None, used = None,
        operation = None
    ))]
    fn refuse(
        &self,
        py: Python<'_>,
        kind: &str,
        code: Option<&str>,
        fault: Option<&str>,
        reason: Option<&str>,
        retry_after: Option<f64>,
        missing: Option<Vec<String>>,
        message: Option<&str>,
        cause_json: Option<String>,
        description: Option<&str>,
        used: Option<&str>,
        operation: Option<&str>,
    ) -> PyResult<Answer> {
        entry(py, || {
            let selection = match operation {
                None => None,
                Some(token) => match self.restore(token) {
                    Some(selection) => Some(selection),
                    None => return Ok(answer(self.flow.refuse(&Refusal::Unexpected, None), None)),
                },
            };
            let used = used.map(parse_scheme).transpose();
            let used = to_py(py, used)?;
            let code = code.unwrap_or("");
            let refusal = match kind {
                "coded" => Refusal::Coded {
                    code,
                    fault: fault.unwrap_or(""),
                    reason: reason.unwrap_or(""),
                    retry_after,
                    nonce: None,
                },
                "missingScopes" => Refusal::MissingScopes(missing),
                "described" => Refusal::Described {
                    code,
                    message: message.unwrap_or(""),
                    cause_json,
                },
                "server" => Refusal::Server {
                    code,
                    description: description.unwrap_or(""),
                },
                _ => Refusal::Unexpected,
            };
            let Some(selection) = selection else {
                return Ok(answer(self.flow.refuse(&refusal, used), None));
            };
            let refused = Outcome::Respond(selection.flow().refuse(&refusal, used));
            match selection.signal(refused) {
                Outcome::Respond(response) => Ok(answer(response, None)),
                _ => Ok(answer(self.flow.refuse(&Refusal::Unexpected, None), None)),
            }
        })
    }

    /// 403 for scopes a tool demanded of an accepted request: the challenge's
    /// `scope` names them; `description` (sanitised by the core) says why.
    #[pyo3(signature = (missing, description=None, used=None))]
    fn step_up(
        &self,
        py: Python<'_>,
        missing: Vec<String>,
        description: Option<&str>,
        used: Option<&str>,
    ) -> PyResult<Answer> {
        entry(py, || {
            let used = to_py(py, used.map(parse_scheme).transpose())?;
            Ok(answer(
                self.flow.decider.step_up(&missing, description, used),
                None,
            ))
        })
    }

    /// The replacement for a handler's own Bearer 403 insufficient_scope
    /// challenge on a request accepted with `used` (DPoP resources only).
    fn rechallenge(&self, py: Python<'_>, used: &str, header: &str) -> PyResult<Option<String>> {
        entry(py, || {
            let used = to_py(py, parse_scheme(used))?;
            Ok(self.flow.decider.rechallenge(used, header))
        })
    }
}

impl Authenticator {
    /// A selection this authenticator made, back from `Verify.operation`.
    fn restore(&self, token: &str) -> Option<Selection> {
        self.gate.as_ref()?.restore(token)
    }

    /// The 500 for an operation text this authenticator did not make: never a pass.
    fn unexpected<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Answer>> {
        let response = self.flow.refuse(&Refusal::Unexpected, None);
        Bound::new(py, answer(response, None))
    }

    /// The Python answer for a started request on `flow` (an operation's
    /// `selection`: its signal applied to what settles later).
    fn answer<'py>(
        py: Python<'py>,
        started: Started,
        flow: &Arc<Flow>,
        selection: Option<Selection>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match started {
            Started::Done(outcome, timing) if flow.needs_claim(&outcome) => {
                Self::claim_later(py, flow, outcome, timing, selection)
            }
            Started::Done(outcome, timing) => Ok(to_python(py, outcome, timing)?.into_bound(py)),
            Started::Later(pending) => {
                let (job, pending) = *pending;
                Self::later(py, flow, job, pending, selection)
            }
        }
    }

    /// An awaitable for the fleet's DPoP claim of an accepted proof.
    fn claim_later<'py>(
        py: Python<'py>,
        flow: &Arc<Flow>,
        outcome: Outcome,
        timing: Option<Timing>,
        selection: Option<Selection>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let flow = flow.clone();
        awaitable(
            py,
            async move { Ok(flow.claimed(outcome).await) },
            move |py, outcome| to_python(py, signal(selection.as_ref(), outcome), timing),
        )
    }

    /// An awaitable for a verifier step that runs on a worker or fetches
    /// keys; the rest of the decision runs there too.
    fn later<'py>(
        py: Python<'py>,
        flow: &Arc<Flow>,
        job: Job,
        pending: Pending,
        selection: Option<Selection>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let flow = flow.clone();
        let work = async move {
            let result = mcp_auth_core::panic_guard::guarded(async {
                match job {
                    Job::Step(step) => {
                        let verifier = flow
                            .verifier
                            .clone()
                            .ok_or_else(|| internal("no verifier"))?;
                        match step {
                            Step::Settled(result) => result,
                            Step::Offload(ready) => verifier.complete(ready),
                            Step::Fetch(wait) => verifier.resolve(wait).await,
                        }
                    }
                    Job::Introspect => flow.introspect(&pending.token).await,
                }
            })
            .await;
            let timing = pending
                .timer
                .map(|start| Timing::since(start, result.is_ok()));
            let outcome = flow.verified(
                result,
                &pending.token,
                pending.scheme,
                pending.proof.as_deref(),
                &pending.method,
                &pending.htu,
                pending.certificate.as_deref(),
            );
            Ok((flow.claimed(outcome).await, timing))
        };
        awaitable(py, work, move |py, (outcome, timing)| {
            to_python(py, signal(selection.as_ref(), outcome), timing)
        })
    }
}
