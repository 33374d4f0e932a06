//! The `Authenticator` class: one resource's request decision (the core's
//! `decision/`) with the native `Verifier` and `DpopChecker` it uses. One
//! call per request (`authenticate`) answers a cached or inline-checked JWT;
//! a worker check or key fetch is one promise. Tokens the caller verifies
//! (a custom function, introspection) go through `finish`; errors the caller
//! meets go through `refuse`. The logic is in `auth_flow.rs` and the core.

use crate::accepted_json::{accepted_json, AcceptedFields};
use crate::auth_flow::{Accepted, Bound, Flow, Job, Outcome, Pending, Route, Started, Timing};
use crate::completion::{Completions, Settle};
use crate::js_error::{internal, js_error};
use crate::napi_dpop::{fleet_ttl_ms, JsDpopChecker};
use crate::napi_introspector::Introspector;
use crate::napi_verifier::Verifier;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mcp_auth_core::decision::{
    Decider, DecisionConfig, DpopMode, DpopSettings, Refusal, Request, Response, Scheme,
    ScopeHierarchy,
};
use mcp_auth_core::dpop::proof::{CheckedProof, Mode};
use mcp_auth_core::error::AuthError;
use mcp_auth_core::panic_guard::guarded;
use mcp_auth_core::tokens::verifier::Step;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::sync::Arc;

#[napi(object)]
pub struct ScopeRule {
    pub scope: String,
    pub implies: Vec<String>,
}

#[napi(object)]
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
    /// The DPoP checker's replay cache is backed by a fleet store the caller claims proofs in.
    pub fleet: bool,
}

/// An accepted request whose token the caller verified (`finish`); one the
/// native verifier checked comes as JSON text instead (`accepted_json.rs`).
#[napi(object, object_from_js = false)]
pub struct AuthAccepted {
    #[napi(ts_type = "'bearer' | 'dpop'")]
    pub scheme: String,
    /// The granted scopes expanded through the hierarchy.
    pub effective_scopes: Vec<String>,
    /// For a fleet store: the proof's replay key (never the proof) and how long to keep it.
    pub replay_key: Option<String>,
    pub ttl_ms: Option<f64>,
}

/// The exact response to send; `error` and `reason` are for events only.
#[napi(object, object_from_js = false)]
pub struct AuthAnswer {
    pub status: u32,
    /// Names and values in wire order: `[name, value, name, value, …]`.
    pub headers: Vec<String>,
    pub body: String,
    pub error: Option<String>,
    pub reason: String,
    /// When timing was asked for and the native verifier ran: its duration and verdict.
    pub verify_ms: Option<f64>,
    pub verify_valid: Option<bool>,
}

/// A token for the caller to verify, then `finish`.
#[napi(object, object_from_js = false)]
pub struct AuthVerify {
    pub token: String,
    #[napi(ts_type = "'bearer' | 'dpop'")]
    pub scheme: String,
    pub proof: Option<String>,
}

/// Why the caller's verification failed, as the core's `Refusal` takes it.
#[napi(object)]
pub struct AuthRefusal {
    #[napi(ts_type = "'coded' | 'missingScopes' | 'described' | 'server' | 'unexpected'")]
    pub kind: String,
    pub code: Option<String>,
    pub fault: Option<String>,
    pub reason: Option<String>,
    pub retry_after: Option<f64>,
    pub missing: Option<Vec<String>>,
    pub message: Option<String>,
    pub cause_json: Option<String>,
    pub description: Option<String>,
}

/// An accepted request the native verifier checked is JSON text (`accepted_json.rs`).
type JsOutcome = Either4<String, AuthAccepted, AuthAnswer, AuthVerify>;

fn scheme_name(scheme: Scheme) -> String {
    match scheme {
        Scheme::Bearer => "bearer".to_owned(),
        Scheme::Dpop => "dpop".to_owned(),
    }
}

fn parse_scheme(name: &str) -> Scheme {
    if name == "dpop" {
        Scheme::Dpop
    } else {
        Scheme::Bearer
    }
}

fn answer(response: Response) -> AuthAnswer {
    let mut headers = Vec::with_capacity(response.headers.len() * 2);
    for (name, value) in response.headers {
        headers.push(name);
        headers.push(value);
    }
    AuthAnswer {
        status: u32::from(response.status),
        headers,
        body: response.body,
        error: response.error,
        reason: response.reason,
        verify_ms: None,
        verify_valid: None,
    }
}

fn to_js(outcome: Outcome, timing: Option<Timing>) -> JsOutcome {
    let verify_ms = timing.map(|t| t.duration_ms);
    match outcome {
        // The hot path (a cache hit or an inline check): one string for JavaScript to parse.
        Outcome::Accept(Accepted {
            scheme,
            effective_scopes,
            verified: Some((length, verified)),
            replay,
        }) => {
            let expanded = effective_scopes != verified.identity.scopes;
            let replay_key = replay
                .as_ref()
                .map(|c| URL_SAFE_NO_PAD.encode(c.replay_digest));
            let fields = AcceptedFields {
                scheme,
                effective_scopes: expanded.then_some(&effective_scopes[..]),
                token_length: length,
                replay_key: replay_key.as_deref(),
                ttl_ms: replay.as_ref().map(fleet_ttl_ms),
                verify_ms,
            };
            Either4::A(accepted_json(&fields, &verified))
        }
        Outcome::Accept(Accepted {
            scheme,
            effective_scopes,
            verified: None,
            replay,
        }) => Either4::B(accepted(scheme, effective_scopes, replay.as_ref())),
        Outcome::Respond(response) => Either4::C(AuthAnswer {
            verify_ms,
            verify_valid: timing.map(|t| t.valid),
            ..answer(response)
        }),
        Outcome::Verify {
            token,
            scheme,
            proof,
        } => Either4::D(AuthVerify {
            token,
            scheme: scheme_name(scheme),
            proof,
        }),
    }
}

/// An accepted request whose token the caller verified (`finish`).
fn accepted(
    scheme: Scheme,
    effective_scopes: Vec<String>,
    replay: Option<&CheckedProof>,
) -> AuthAccepted {
    AuthAccepted {
        scheme: scheme_name(scheme),
        effective_scopes,
        replay_key: replay.map(|c| URL_SAFE_NO_PAD.encode(c.replay_digest)),
        ttl_ms: replay.map(fleet_ttl_ms),
    }
}

fn config_error(env: &Env, reason: String) -> Error {
    js_error(env, &AuthError::config(reason))
}

#[napi]
pub struct Authenticator {
    flow: Arc<Flow>,
    completions: Completions,
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
        let entries: Vec<(String, Vec<String>)> = options
            .scope_hierarchy
            .iter()
            .flatten()
            .map(|rule| (rule.scope.clone(), rule.implies.clone()))
            .collect();
        // No option keeps repeated grants; an option (even `{}`) lists each scope once.
        let scope_hierarchy = match options.scope_hierarchy {
            None => ScopeHierarchy::none(),
            Some(_) => ScopeHierarchy::compile(&entries, "scopeHierarchy")
                .map_err(|reason| config_error(env, reason))?,
        };
        let checker = dpop.map(|d| d.inner.clone());
        let dpop_settings = checker.as_ref().and_then(|c| {
            let mode = match c.mode {
                Mode::Off => return None,
                Mode::Allowed => DpopMode::Allowed,
                Mode::Required => DpopMode::Required,
            };
            let algorithms = c
                .rules
                .algorithms
                .iter()
                .map(|alg| mcp_auth_core::keys::algorithms::name(*alg).to_owned())
                .collect();
            Some(DpopSettings { mode, algorithms })
        });
        let route = match options.route.as_str() {
            "jwt" => Route::Jwt,
            "auto" => Route::Auto,
            "introspection" => Route::Introspection,
            _ => Route::Caller,
        };
        let decider = Decider::new(DecisionConfig {
            dpop: dpop_settings,
            resource_metadata_url: options.resource_metadata_url,
            required_scopes: options.required_scopes,
            scope_hierarchy,
            show_error_details: options.show_error_details,
            max_token_length: options.max_token_length as usize,
        });
        let flow = Flow {
            decider,
            verifier: verifier.map(|v| v.inner.clone()),
            introspector: introspector.map(|i| i.inner.clone()),
            route,
            dpop: checker,
            fleet: options.fleet,
        };
        Ok(Self {
            flow: Arc::new(flow),
            completions: Completions::new(env)?,
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
        // Moved, not copied: the token is the longest string on the hot path.
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(headers.len() / 2);
        let mut entries = headers.into_iter();
        while let (Some(name), Some(value)) = (entries.next(), entries.next()) {
            pairs.push((name, value));
        }
        let request = Request {
            method: &method,
            url: &url,
            original_url: original_url.as_deref(),
            headers: &pairs,
        };
        let value = match self.flow.start(&request, timed) {
            Started::Done(outcome, timing) => unsafe {
                JsOutcome::to_napi_value(env.raw(), to_js(outcome, timing))?
            },
            Started::Later(pending) => {
                let (job, pending) = *pending;
                self.later(env, job, pending)?
            }
        };
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// After the caller verified `token`: `cnf` says the claims hold a
    /// `cnf`, `jkt` is their `cnf.jkt`; `scopes` are the granted ones.
    #[napi(catch_unwind, ts_return_type = "AuthAccepted | AuthAnswer")]
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &self,
        #[napi(ts_arg_type = "'bearer' | 'dpop'")] scheme: String,
        cnf: bool,
        jkt: Option<String>,
        proof: Option<String>,
        method: String,
        htu: String,
        token: String,
        scopes: Vec<String>,
    ) -> JsOutcome {
        let bound = Bound {
            cnf_present: cnf,
            jkt: jkt.as_deref(),
        };
        let outcome = self.flow.finish(
            parse_scheme(&scheme),
            bound,
            proof.as_deref(),
            &method,
            &htu,
            &token,
            &scopes,
        );
        to_js(outcome, None)
    }

    /// The response for a failure the caller met (`used`: the request's scheme).
    #[napi(catch_unwind)]
    pub fn refuse(
        &self,
        refusal: AuthRefusal,
        #[napi(ts_arg_type = "'bearer' | 'dpop'")] used: Option<String>,
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
        answer(self.flow.refuse(&core, used.as_deref().map(parse_scheme)))
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
    fn later(&self, env: &Env, job: Job, pending: Pending) -> Result<sys::napi_value> {
        let (promise, ticket) = self.completions.promise(env)?;
        let flow = self.flow.clone();
        let verifier = flow.verifier.clone();
        let introspector = flow.introspector.clone();
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
                    Job::Introspect => {
                        let introspector =
                            introspector.ok_or_else(|| internal("no introspector"))?;
                        introspector.verify(&token).await
                    }
                }
            })
            .await;
            let timing = pending
                .timer
                .map(|start| Timing::since(start, result.is_ok()));
            let outcome = guarded(async {
                Ok(flow.verified(
                    result,
                    &pending.token,
                    pending.scheme,
                    pending.proof.as_deref(),
                    &pending.method,
                    &pending.htu,
                ))
            })
            .await;
            let settle: Settle = Box::new(move |env| match outcome {
                Ok(outcome) => unsafe {
                    JsOutcome::to_napi_value(env.raw(), to_js(outcome, timing))
                },
                Err(err) => Err(js_error(env, &err)),
            });
            ticket.settle(settle);
        });
        Ok(promise)
    }
}
