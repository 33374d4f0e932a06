//! The `Authenticator` class: one resource's request decision. One call per
//! request (`authenticate`) answers a cached or inline-checked JWT (or a
//! cached introspection verdict) synchronously; a worker check, key fetch,
//! introspection call (with or without a fleet store) or fleet DPoP claim
//! is one awaitable. Tokens the
//! caller verifies go through `finish`, errors the caller meets through
//! `refuse`. The logic is the core's (`flow.rs`, `decision/`); this file
//! converts, as `src/napi_authenticator.rs` does for Node.

use crate::py_dpop::DpopChecker;
use crate::py_error::{entry, to_py};
use crate::py_introspector::Introspector;
use crate::py_json::options_value;
use crate::py_outcome::{answer, parse_scheme, to_python, Answer};
use crate::py_runtime::awaitable;
use crate::py_verifier::Verifier;
use mcp_auth_core::decision::{CallerIdentity, Refusal, Request};
use mcp_auth_core::flow::{
    Bound as Binding, Flow, Job, Outcome, Pending, Presented, Started, Timing,
};
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
            Ok(Self {
                flow: Arc::new(flow),
            })
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
            let mut pairs: Vec<(String, String)> = Vec::with_capacity(headers.len() / 2);
            let mut entries = headers.into_iter();
            while let (Some(name), Some(value)) = (entries.next(), entries.next()) {
                pairs.push((name, value));
            }
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
            match started {
                Started::Done(outcome, timing) if flow.needs_claim(&outcome) => {
                    self.claim_later(py, outcome, timing)
                }
                Started::Done(outcome, timing) => {
                    Ok(to_python(py, outcome, timing)?.into_bound(py))
                }
                Started::Later(pending) => {
                    let (job, pending) = *pending;
                    self.later(py, job, pending)
                }
            }
        })
    }

    /// After the caller verified `token`: `cnf` says the claims hold a
    /// `cnf`, `jkt` is their `cnf.jkt`; `scopes` are the granted ones.
    /// `identity` (issuer, the verdict of an issuer function, the audience's
    /// strings, expiry with NaN for a non-number) is checked first when the
    /// options ask for `callerChecks`. `x5t`: the claims' `cnf["x5t#S256"]`
    /// when `cnf` holds nothing but it and `jkt`; `certificate`:
    /// `Verify.certificate` (mTLS).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (scheme, cnf, jkt, proof, method, htu, token, scopes, identity = None, x5t = None, certificate = None))]
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
    ) -> PyResult<Bound<'py, PyAny>> {
        entry(py, || {
            let scheme = to_py(py, parse_scheme(scheme))?;
            let flow = &self.flow;
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
            if flow.needs_claim(&outcome) {
                self.claim_later(py, outcome, None)
            } else {
                Ok(to_python(py, outcome, None)?.into_bound(py))
            }
        })
    }

    /// The response for a failure the caller met. `kind`: `coded` (`code`,
    /// `fault`, `reason`, `retry_after`), `missingScopes` (`missing`),
    /// `described` (`code`, `message`, `cause_json`), `server` (`code`,
    /// `description`), anything else unexpected. `used`: the request's scheme.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (
        kind, *, code = None, fault = None, reason = None, retry_after = None,
        missing = None, message = None, cause_json = None, description = None, used = None
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
    ) -> PyResult<Answer> {
        entry(py, || {
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
            Ok(answer(self.flow.refuse(&refusal, used), None))
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
    /// An awaitable for the fleet's DPoP claim of an accepted proof.
    fn claim_later<'py>(
        &self,
        py: Python<'py>,
        outcome: Outcome,
        timing: Option<Timing>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let flow = self.flow.clone();
        awaitable(
            py,
            async move { Ok(flow.claimed(outcome).await) },
            move |py, outcome| to_python(py, outcome, timing),
        )
    }

    /// An awaitable for a verifier step that runs on a worker or fetches
    /// keys; the rest of the decision runs there too.
    fn later<'py>(
        &self,
        py: Python<'py>,
        job: Job,
        pending: Pending,
    ) -> PyResult<Bound<'py, PyAny>> {
        let flow = self.flow.clone();
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
        awaitable(py, work, |py, (outcome, timing)| {
            to_python(py, outcome, timing)
        })
    }
}
