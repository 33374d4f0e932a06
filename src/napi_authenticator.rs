//! The `Authenticator` class: one resource's request decision (the core's
//! `decision/`) with the native `Verifier` and `DpopChecker` it uses. One
//! call per request (`authenticate`) answers a cached or inline-checked JWT;
//! a worker check, key fetch, introspection call (with or without a fleet
//! store) or fleet DPoP claim is one promise. Tokens the caller verifies
//! (a custom function) go through `finish`; errors the caller meets go
//! through `refuse`. The logic is in the core (`flow.rs`, `decision/`).

use crate::completion::{Completions, Settle};
use crate::js_error::{internal, js_error};
use crate::js_options::JsOptions;
use crate::js_outcome::{answer, parse_scheme, to_js, AuthAnswer, AuthRefusal, JsOutcome};
use crate::js_store::Readiness;
use crate::js_text::header_text;
use crate::napi_dpop::JsDpopChecker;
use crate::napi_introspector::Introspector;
use crate::napi_verifier::Verifier;
use mcp_auth_core::decision::{
    header_pairs, CallerIdentity as CoreCallerIdentity, Decider, Refusal, Request,
};
use mcp_auth_core::error::AuthResult;
use mcp_auth_core::flow::{Bound, Flow, Job, Outcome, Pending, Presented, Started, Timing};
use mcp_auth_core::operations::{OperationGate, Selection};
use mcp_auth_core::options::authenticator::{
    dpop_settings, AuthenticatorOptions as CoreAuthenticatorOptions,
    CallerChecks as CoreCallerChecks, MtlsOptions as CoreMtlsOptions,
    ProxyHeaderOptions as CoreProxyHeaderOptions, ScopeRule as CoreScopeRule,
};
use mcp_auth_core::options::operations::OperationsOptions as CoreOperationsOptions;
use mcp_auth_core::panic_guard::guarded;
use mcp_auth_core::tokens::verifier::Step;
use napi::bindgen_prelude::*;
use napi::{sys, JsString};
use napi_derive::napi;
use std::sync::Arc;

#[napi(object)]
pub struct ScopeRule {
    pub scope: String,
    pub implies: Vec<String>,
}

#[napi(object, object_to_js = false)]
pub struct AuthenticatorOptions {
    pub resource_metadata_url: Option<String>,
    pub required_scopes: Vec<String>,
    /// The resource's scope hierarchy, in the object's key order (already validated).
    pub scope_hierarchy: Option<Vec<ScopeRule>>,
    pub show_error_details: bool,
    pub max_token_length: u32,
    /// How tokens reach the verifier: every one, only those naming a trusted issuer, or none.
    #[napi(ts_type = "'jwt' | 'auto' | 'introspection' | 'caller'")]
    pub route: String,
    /// Present: `finish` holds a caller-verified identity to these (and its expiry).
    pub caller_checks: Option<CallerChecks>,
    /// RFC 8705: where the client certificate is read; absent: off.
    pub mtls: Option<MtlsOptions>,
    /// Per-tool authorization (`authenticateOperation`); the core checks it.
    #[napi(ts_type = "OperationsOptions")]
    pub operations: Option<JsOptions>,
}

/// The trusted issuers (absent: `finish` is told the verdict) and audiences (absent: any).
#[napi(object)]
pub struct CallerChecks {
    pub issuers: Option<Vec<String>>,
    pub audiences: Option<Vec<String>>,
}

/// What a caller's verify function returned, as `finish` checks it.
#[napi(object)]
pub struct CallerIdentity {
    pub issuer: Option<String>,
    /// The verdict of a user's issuer function, when it has one.
    pub issuer_trusted: Option<bool>,
    /// The string values of `audience`.
    pub audience: Vec<String>,
    /// Absent when unknown; NaN for anything but a finite number.
    pub expires_at: Option<f64>,
}

#[napi(object)]
pub struct MtlsOptions {
    /// The TLS connection's peer certificate (`authenticateTls`'s `certificate`).
    pub connection: Option<bool>,
    /// A header a trusted proxy sets.
    pub proxy_header: Option<ProxyHeaderOptions>,
}

#[napi(object)]
pub struct ProxyHeaderOptions {
    pub name: String,
    #[napi(ts_type = "'escaped-pem' | 'xfcc'")]
    pub format: String,
}

/// Settles a promise with the flow's outcome (or its error) on the JS thread;
/// an operation's `selection` applies its signal first.
fn settle_outcome(
    outcome: AuthResult<Outcome>,
    timing: Option<Timing>,
    selection: Option<Selection>,
) -> Settle {
    Box::new(move |env| match outcome {
        Ok(outcome) => {
            let outcome = match &selection {
                Some(selection) => selection.signal(outcome),
                None => outcome,
            };
            unsafe { JsOutcome::to_napi_value(env.raw(), to_js(outcome, timing)) }
        }
        Err(err) => Err(js_error(env, &err)),
    })
}

#[napi]
pub struct Authenticator {
    pub(crate) flow: Arc<Flow>,
    completions: Completions,
    /// JavaScript fleet stores' `isReady`, asked at the start of each request.
    readiness: Vec<Arc<Readiness>>,
    /// With `operations`: the per-operation gate (`napi_operations.rs`).
    pub(crate) gate: Option<OperationGate>,
}

#[napi]
impl Authenticator {
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        options: AuthenticatorOptions,
        verifier: Option<ClassInstance<Verifier>>,
        #[napi(ts_arg_type = "DpopChecker | undefined | null")] dpop: Option<
            ClassInstance<JsDpopChecker>,
        >,
        introspector: Option<ClassInstance<Introspector>>,
    ) -> Result<Self> {
        let readiness: Vec<Arc<Readiness>> = [
            dpop.as_ref().and_then(|d| d.readiness.clone()),
            introspector.as_ref().and_then(|i| i.readiness.clone()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let dpop_fleet = dpop.as_ref().and_then(|d| d.fleet.clone());
        let introspection_fleet = introspector.as_ref().and_then(|i| i.fleet.clone());
        let checker = dpop.map(|d| d.inner.clone());
        let dpop_settings = dpop_settings(checker.as_deref());
        // The core reads the options (one rule for every binding).
        let core_options = CoreAuthenticatorOptions {
            resource_metadata_url: options.resource_metadata_url,
            required_scopes: options.required_scopes,
            scope_hierarchy: options.scope_hierarchy.map(|rules| {
                rules
                    .into_iter()
                    .map(|rule| CoreScopeRule {
                        scope: rule.scope,
                        implies: rule.implies,
                    })
                    .collect()
            }),
            show_error_details: options.show_error_details,
            max_token_length: Some(f64::from(options.max_token_length)),
            route: options.route,
            caller_checks: options.caller_checks.map(|c| CoreCallerChecks {
                issuers: c.issuers,
                audiences: c.audiences,
            }),
            mtls: options.mtls.map(|mtls| CoreMtlsOptions {
                connection: mtls.connection.unwrap_or(false),
                proxy_header: mtls.proxy_header.map(|h| CoreProxyHeaderOptions {
                    name: h.name,
                    format: h.format,
                }),
            }),
            operations: options
                .operations
                .map(|o| {
                    o.decode(
                        CoreOperationsOptions::from_json,
                        CoreOperationsOptions::unrepresentable,
                    )
                })
                .transpose()
                .map_err(|e| js_error(env, &e))?,
        };
        let identity_checks = core_options.identity_checks();
        let policy = core_options
            .operation_policy()
            .map_err(|e| js_error(env, &e))?;
        let (config, route) = core_options
            .to_config(dpop_settings)
            .map_err(|e| js_error(env, &e))?;
        let decider = Decider::new(config);
        let flow = Flow {
            decider,
            verifier: verifier.map(|v| v.inner.clone()),
            introspector: introspector.map(|i| i.inner.clone()),
            introspection_fleet,
            route,
            dpop: checker,
            dpop_fleet,
            identity_checks,
        };
        let flow = Arc::new(flow);
        let gate = policy
            .map(|policy| OperationGate::new(flow.clone(), &policy))
            .transpose()
            .map_err(|e| js_error(env, &e))?;
        Ok(Self {
            flow,
            completions: Completions::new(env)?,
            readiness,
            gate,
        })
    }

    /// The one call per request. `headers`: the request's `Authorization`
    /// and `DPoP` headers as `[name, value, …]`, one entry per header
    /// received (a repeat is refused). `timed`: report the native
    /// verifier's duration (`verifyMs`) for the `verification` event.
    #[napi(
        catch_unwind,
        ts_return_type = "string | AuthAnswer | AuthVerify | Promise<string | AuthAnswer>"
    )]
    pub fn authenticate<'env>(
        &self,
        env: &'env Env,
        method: String,
        url: String,
        original_url: Option<String>,
        headers: Vec<String>,
        timed: bool,
    ) -> Result<Unknown<'env>> {
        let pairs = header_pairs(headers);
        self.decide(env, method, url, original_url, &pairs, timed, None)
    }

    /// `authenticate` for the usual request, which has exactly one
    /// `Authorization` header and no `DPoP` header: its value alone, read
    /// through UTF-16 (`js_text.rs`), without the array of names and values.
    #[napi(
        catch_unwind,
        ts_return_type = "string | AuthAnswer | AuthVerify | Promise<string | AuthAnswer>"
    )]
    pub fn authenticate_one<'env>(
        &self,
        env: &'env Env,
        method: String,
        url: String,
        original_url: Option<String>,
        authorization: JsString,
        timed: bool,
    ) -> Result<Unknown<'env>> {
        let value = header_text(env, &authorization)?;
        let pairs = [("authorization".to_owned(), value)];
        self.decide(env, method, url, original_url, &pairs, timed, None)
    }

    /// `authenticate` on a resource with `mtls`: `certificate` is the DER
    /// client certificate the TLS connection presented, if any (a proxy's
    /// header comes among `headers`). A separate method, so a resource
    /// without mTLS pays nothing for it.
    #[napi(
        catch_unwind,
        ts_return_type = "string | AuthAnswer | AuthVerify | Promise<string | AuthAnswer>"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn authenticate_tls<'env>(
        &self,
        env: &'env Env,
        method: String,
        url: String,
        original_url: Option<String>,
        headers: Vec<String>,
        timed: bool,
        certificate: Option<Buffer>,
    ) -> Result<Unknown<'env>> {
        let certificate = certificate.as_deref();
        let pairs = header_pairs(headers);
        self.decide(env, method, url, original_url, &pairs, timed, certificate)
    }

    #[allow(clippy::too_many_arguments)]
    fn decide<'env>(
        &self,
        env: &'env Env,
        method: String,
        url: String,
        original_url: Option<String>,
        headers: &[(String, String)],
        timed: bool,
        certificate: Option<&[u8]>,
    ) -> Result<Unknown<'env>> {
        let request = Request {
            method: &method,
            url: &url,
            original_url: original_url.as_deref(),
            headers,
            client_certificate: certificate,
        };
        let started = self.flow.start(&request, timed);
        self.answer(env, started, &self.flow, None)
    }

    /// The JavaScript answer for a started request on `flow` (an operation's
    /// `selection`: its flow, its signal applied to what settles later).
    pub(crate) fn answer<'env>(
        &self,
        env: &'env Env,
        started: Started,
        flow: &Arc<Flow>,
        selection: Option<Selection>,
    ) -> Result<Unknown<'env>> {
        let value = match started {
            Started::Done(outcome, timing) if flow.needs_claim(&outcome) => {
                self.refresh_readiness(env);
                self.claim_later(env, flow, outcome, timing, selection)?
            }
            Started::Done(outcome, timing) => unsafe {
                JsOutcome::to_napi_value(env.raw(), to_js(outcome, timing))?
            },
            Started::Later(pending) => {
                // A store may be asked off this thread: its `isReady` is asked here.
                self.refresh_readiness(env);
                let (job, pending) = *pending;
                self.later(env, flow, job, pending, selection)?
            }
        };
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// After the caller verified `token`: `cnf` says the claims hold a
    /// `cnf`, `jkt` is their `cnf.jkt`; `scopes` are the granted ones;
    /// `identity`, checked first when the options ask for `callerChecks`.
    /// `x5t`: the claims' `cnf["x5t#S256"]` when `cnf` holds nothing but
    /// it and `jkt`; `certificate`: `AuthVerify.certificate` (mTLS);
    /// `operation`: `AuthVerify.operation` (its flow decides, its signal applies).
    #[napi(
        catch_unwind,
        ts_return_type = "AuthAccepted | AuthAnswer | Promise<AuthAccepted | AuthAnswer>"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn finish<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "'bearer' | 'dpop'")] scheme: String,
        cnf: bool,
        jkt: Option<String>,
        proof: Option<String>,
        method: String,
        htu: String,
        token: String,
        scopes: Vec<String>,
        identity: Option<CallerIdentity>,
        x5t: Option<String>,
        certificate: Option<String>,
        operation: Option<String>,
    ) -> Result<Unknown<'env>> {
        let selection = match operation {
            None => None,
            Some(token) => match self.gate.as_ref().and_then(|gate| gate.restore(&token)) {
                Some(selection) => Some(selection),
                // Not a selection this authenticator made: a server fault, never a pass.
                None => {
                    let response = self.flow.refuse(&Refusal::Unexpected, None);
                    let refused = Some(Either4::C(answer(response)));
                    let value = unsafe { JsOutcome::to_napi_value(env.raw(), refused)? };
                    return Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) });
                }
            },
        };
        let flow = selection.as_ref().map_or(&self.flow, |s| s.flow());
        let bound = Bound {
            cnf_present: cnf,
            jkt: jkt.as_deref(),
            x5t: x5t.as_deref(),
        };
        let presented = Presented {
            proof: proof.as_deref(),
            certificate: certificate.as_deref(),
        };
        let caller = identity.as_ref().map(|i| CoreCallerIdentity {
            issuer: i.issuer.as_deref(),
            issuer_trusted: i.issuer_trusted,
            audience: &i.audience,
            expires_at: i.expires_at,
        });
        let outcome = flow.finish(
            caller.as_ref(),
            parse_scheme(&scheme),
            bound,
            presented,
            &method,
            &htu,
            &token,
            &scopes,
        );
        match selection {
            None => self.answer(env, Started::Done(outcome, None), &self.flow, None),
            Some(selection) => {
                let outcome = selection.signal(outcome);
                let flow = selection.flow().clone();
                self.answer(env, Started::Done(outcome, None), &flow, Some(selection))
            }
        }
    }

    /// Asks JavaScript fleet stores' `isReady` (on this thread) before a
    /// promise whose work may reach them; the synchronous paths never do.
    fn refresh_readiness(&self, env: &Env) {
        for readiness in &self.readiness {
            readiness.refresh(env);
        }
    }

    /// A promise for the fleet's DPoP claim of an accepted proof.
    fn claim_later(
        &self,
        env: &Env,
        flow: &Arc<Flow>,
        outcome: Outcome,
        timing: Option<Timing>,
        selection: Option<Selection>,
    ) -> Result<sys::napi_value> {
        let (promise, ticket) = self.completions.promise(env)?;
        let flow = flow.clone();
        napi::bindgen_prelude::spawn(async move {
            let outcome = guarded(async { Ok(flow.claimed(outcome).await) }).await;
            ticket.settle(settle_outcome(outcome, timing, selection));
        });
        Ok(promise)
    }

    /// The response for a failure the caller met (`used`: the request's
    /// scheme; `operation`: `AuthVerify.operation`, whose flow and signal apply).
    #[napi(catch_unwind)]
    pub fn refuse(
        &self,
        refusal: AuthRefusal,
        #[napi(ts_arg_type = "'bearer' | 'dpop'")] used: Option<String>,
        operation: Option<String>,
    ) -> AuthAnswer {
        let text = |value: &Option<String>| value.as_deref().unwrap_or("").to_owned();
        let (code, fault, reason) = (
            text(&refusal.code),
            text(&refusal.fault),
            text(&refusal.reason),
        );
        let (message, description) = (text(&refusal.message), text(&refusal.description));
        let core = match refusal.kind.as_str() {
            "coded" => Refusal::Coded {
                code: &code,
                fault: &fault,
                reason: &reason,
                retry_after: refusal.retry_after,
                nonce: None,
            },
            "missingScopes" => Refusal::MissingScopes(refusal.missing),
            "described" => Refusal::Described {
                code: &code,
                message: &message,
                cause_json: refusal.cause_json,
            },
            "server" => Refusal::Server {
                code: &code,
                description: &description,
            },
            _ => Refusal::Unexpected,
        };
        let used = used.as_deref().map(parse_scheme);
        let Some(token) = operation else {
            return answer(self.flow.refuse(&core, used));
        };
        match self.gate.as_ref().and_then(|gate| gate.restore(&token)) {
            Some(selection) => {
                let response = selection.flow().refuse(&core, used);
                match selection.signal(Outcome::Respond(response)) {
                    Outcome::Respond(response) => answer(response),
                    _ => answer(self.flow.refuse(&Refusal::Unexpected, None)),
                }
            }
            None => answer(self.flow.refuse(&Refusal::Unexpected, None)),
        }
    }

    /// The replacement for a handler's own Bearer 403 insufficient_scope
    /// challenge on a request accepted with `used` (DPoP resources only).
    #[napi(catch_unwind)]
    pub fn rechallenge(
        &self,
        #[napi(ts_arg_type = "'bearer' | 'dpop'")] used: String,
        header: String,
    ) -> Option<String> {
        self.flow.decider.rechallenge(parse_scheme(&used), &header)
    }

    /// A promise for a verifier step that runs on a worker or fetches keys;
    /// the rest of the decision runs there too.
    fn later(
        &self,
        env: &Env,
        flow: &Arc<Flow>,
        job: Job,
        pending: Pending,
        selection: Option<Selection>,
    ) -> Result<sys::napi_value> {
        let (promise, ticket) = self.completions.promise(env)?;
        let flow = flow.clone();
        let verifier = flow.verifier.clone();
        let introspecting = flow.clone();
        let token = pending.token.clone();
        napi::bindgen_prelude::spawn(async move {
            // `start` hands back a job only for a source it has.
            let result = guarded(async move {
                match job {
                    Job::Step(step) => {
                        let verifier = verifier.ok_or_else(|| internal("no verifier"))?;
                        match step {
                            Step::Settled(result) => result,
                            Step::Offload(ready) => verifier.complete(ready),
                            Step::Fetch(wait) => verifier.resolve(wait).await,
                        }
                    }
                    Job::Introspect => introspecting.introspect(&token).await,
                }
            })
            .await;
            let timing = pending
                .timer
                .map(|start| Timing::since(start, result.is_ok()));
            let outcome = guarded(async {
                let outcome = flow.verified(
                    result,
                    &pending.token,
                    pending.scheme,
                    pending.proof.as_deref(),
                    &pending.method,
                    &pending.htu,
                    pending.certificate.as_deref(),
                );
                Ok(flow.claimed(outcome).await)
            })
            .await;
            ticket.settle(settle_outcome(outcome, timing, selection));
        });
        Ok(promise)
    }
}
