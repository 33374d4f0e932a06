//! One resource's request path with the native verifier and proof checker
//! wired to the core's decision, so a cached or inline-checked JWT is
//! decided in a single call: credentials (400/401), the token (401), its
//! binding and proof (401), scopes (403), then the proof is used up. With
//! fleet stores, the introspection fleet path and the DPoP fleet claim run
//! here too (the core's `fleet/`), so the request stays one call and at most
//! one promise. Each binding converts the
//! [`Outcome`] for its language (the Node addon: `src/napi_authenticator.rs`).

use crate::decision::{
    Authorization, CallerIdentity, Decider, Decision, IdentityChecks, Refusal, Request, Response,
    Scheme,
};
use crate::dpop::proof::{self as dpop, ProofRequest};
use crate::error::{AuthError, Fault};
use crate::fleet::dpop::DpopFleet;
use crate::fleet::introspection::IntrospectionFleet;
use crate::introspection::introspector::Introspector;
use crate::tokens::verifier::{self, Step, Verified};
use std::sync::Arc;
use std::time::Instant;

/// How tokens reach the native verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Every token is a JWT for the verifier.
    Jwt,
    /// A token naming a trusted issuer to the verifier, any other to the introspector.
    Auto,
    /// Every token to the introspector.
    Introspection,
    /// The caller verifies every token (a custom function, introspection).
    Caller,
}

pub struct Flow {
    pub decider: Decider,
    pub verifier: Option<Arc<verifier::Verifier>>,
    pub introspector: Option<Arc<Introspector>>,
    /// The introspector's fleet store path, when it has one.
    pub introspection_fleet: Option<Arc<IntrospectionFleet>>,
    pub route: Route,
    pub dpop: Option<Arc<dpop::DpopChecker>>,
    /// A fleet replay store: an accepted proof is claimed there too.
    pub dpop_fleet: Option<Arc<DpopFleet>>,
    /// What an identity from the caller's verify function must satisfy.
    pub identity_checks: Option<IdentityChecks>,
}

/// What one step hands back.
pub enum Outcome {
    Accept(Accepted),
    Respond(Response),
    /// A public operation without credentials (`operations/`): pass, no identity.
    Anonymous,
    /// The caller verifies `token`, then calls [`Flow::finish`].
    Verify {
        token: String,
        scheme: Scheme,
        proof: Option<String>,
        /// The presented client certificate's thumbprint (mTLS), for `finish`.
        certificate: Option<String>,
        /// The operation's selection (`operations/`), for `finish`; `None` without operations.
        operation: Option<String>,
    },
}

pub struct Accepted {
    pub scheme: Scheme,
    pub effective_scopes: Vec<String>,
    /// The token's length and its verification, when the verifier here checked it.
    pub verified: Option<(usize, Arc<Verified>)>,
    /// With a fleet replay store: the proof to claim there before accepting.
    pub replay: Option<dpop::CheckedProof>,
}

/// A verified token's request, kept for a check that finishes on a worker.
pub struct Pending {
    pub token: String,
    pub scheme: Scheme,
    pub proof: Option<String>,
    pub method: String,
    pub htu: String,
    /// The presented client certificate's thumbprint (mTLS).
    pub certificate: Option<String>,
    /// When the verifier was asked, if its duration is reported.
    pub timer: Option<Instant>,
}

/// How long the native verifier took and whether it accepted the token
/// (the `verification` event), when asked for.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub duration_ms: f64,
    pub valid: bool,
}

impl Timing {
    pub fn since(start: Instant, valid: bool) -> Self {
        Self {
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            valid,
        }
    }
}

/// What is left to run off the JavaScript thread.
// Never stored unboxed: `Started::Later` boxes it.
#[allow(clippy::large_enum_variant)]
pub enum Job {
    /// A signature check on a worker, or a key fetch.
    Step(Step),
    /// An introspection call (a local cache miss), through the fleet store when there is one.
    Introspect,
}

/// The first step: an outcome now, or a verification still to complete.
pub enum Started {
    Done(Outcome, Option<Timing>),
    /// Boxed: only the slow path carries it.
    Later(Box<(Job, Pending)>),
}

impl Flow {
    /// `timed`: report how long the verifier takes (someone listens for it).
    pub fn start(&self, request: &Request<'_>, timed: bool) -> Started {
        let (token, scheme, proof) = match self.decider.decide(request) {
            Decision::Respond(response) => return Started::Done(Outcome::Respond(response), None),
            Decision::Credentials {
                token,
                scheme,
                proof,
            } => (token, scheme, proof),
        };
        // Read only where the resource reads certificates (mTLS on).
        let certificate = self.decider.presented_certificate(request);
        let native = match self.route {
            Route::Jwt => self.verifier.as_ref().map(Ok),
            Route::Auto => match &self.verifier {
                Some(v) if v.names_trusted_issuer(token) => Some(Ok(v)),
                _ => self.introspector.as_ref().map(Err),
            },
            Route::Introspection => self.introspector.as_ref().map(Err),
            Route::Caller => None,
        };
        let Some(native) = native else {
            let verify = Outcome::Verify {
                token: token.to_owned(),
                scheme,
                proof: proof.map(str::to_owned),
                certificate,
                operation: None,
            };
            return Started::Done(verify, None);
        };
        let timer = timed.then(Instant::now);
        let settled = match native {
            Ok(verifier) => match verifier.step(token, true) {
                Step::Settled(result) => Ok(result),
                step => Err(Job::Step(step)),
            },
            Err(introspector) => introspector.cached(token).ok_or(Job::Introspect),
        };
        match settled {
            Ok(result) => {
                let timing = timer.map(|start| Timing::since(start, result.is_ok()));
                let outcome = self.verified(
                    result,
                    token,
                    scheme,
                    proof,
                    request.method,
                    request.htu_url(),
                    certificate.as_deref(),
                );
                Started::Done(outcome, timing)
            }
            Err(job) => Started::Later(Box::new((
                job,
                Pending {
                    token: token.to_owned(),
                    scheme,
                    proof: proof.map(str::to_owned),
                    method: request.method.to_owned(),
                    htu: request.htu_url().to_owned(),
                    certificate,
                    timer,
                },
            ))),
        }
    }

    /// After the native verifier answered (`certificate`: the presented
    /// client certificate's thumbprint).
    #[allow(clippy::too_many_arguments)]
    pub fn verified(
        &self,
        result: Result<Arc<Verified>, AuthError>,
        token: &str,
        scheme: Scheme,
        proof: Option<&str>,
        method: &str,
        htu: &str,
        certificate: Option<&str>,
    ) -> Outcome {
        let verified = match result {
            Ok(verified) => verified,
            Err(err) => return Outcome::Respond(self.refuse_error(&err, scheme)),
        };
        let cnf = verified.claims.get("cnf");
        let jkt = cnf.and_then(|c| c.get("jkt")).and_then(|j| j.as_str());
        let bound = Bound {
            cnf_present: cnf.is_some(),
            jkt,
            x5t: crate::tokens::claims::certificate_x5t(&verified.claims),
        };
        let granted = verified.identity.scopes.clone();
        let presented = Presented { proof, certificate };
        let mut outcome = self.finish(None, scheme, bound, presented, method, htu, token, &granted);
        if let Outcome::Accept(accepted) = &mut outcome {
            accepted.verified = Some((token.len(), verified));
        }
        outcome
    }

    /// Bind, proof, scopes, proof used up: everything after the token verified.
    /// `caller`: the identity the caller's verify function returned, first
    /// held to the resource's issuer, audience and expiry checks.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &self,
        caller: Option<&CallerIdentity<'_>>,
        scheme: Scheme,
        bound: Bound<'_>,
        presented: Presented<'_>,
        method: &str,
        htu: &str,
        token: &str,
        granted: &[String],
    ) -> Outcome {
        let failed = match (caller, &self.identity_checks) {
            (Some(identity), Some(checks)) => checks.refusal(identity),
            _ => None,
        };
        if let Some(refusal) = failed {
            return Outcome::Respond(self.refuse(&refusal, Some(scheme)));
        }
        // A token bound by its certificate alone may be presented as
        // Bearer (RFC 8705 §3); any other `cnf` is DPoP's, as before.
        let certificate_only = bound.x5t.is_some() && bound.jkt.is_none();
        if let Err(response) = self.decider.bind(
            scheme,
            bound.cnf_present && !certificate_only,
            bound.jkt.is_some(),
        ) {
            return Outcome::Respond(response);
        }
        // Both bindings, when the token has both: each names a key the
        // client must hold (RFC 8705 §3, RFC 9449 §6), so neither may be skipped.
        if let Some(x5t) = bound.x5t {
            if let Err(response) = self
                .decider
                .bind_certificate(scheme, x5t, presented.certificate)
            {
                return Outcome::Respond(response);
            }
        }
        let proof = presented.proof;
        let checked = match (scheme, &self.dpop, proof, bound.jkt) {
            (Scheme::Dpop, Some(checker), Some(proof), Some(jkt)) => {
                let request = ProofRequest {
                    method,
                    path: htu,
                    access_token: token,
                    jkt,
                };
                match checker.verify(proof, &request) {
                    Ok(checked) => Some(checked),
                    Err(err) => return Outcome::Respond(self.refuse_error(&err, scheme)),
                }
            }
            (Scheme::Dpop, ..) => return Outcome::Respond(self.unexpected()),
            _ => None,
        };
        let effective_scopes = match self.decider.authorize(scheme, granted) {
            Authorization::Accept { effective_scopes } => effective_scopes,
            Authorization::Respond(response) => return Outcome::Respond(response),
        };
        // The local replay cache first, so a local replay never reaches a fleet store.
        if let (Some(checked), Some(checker)) = (&checked, &self.dpop) {
            if let Err(err) = checker.record(checked) {
                return Outcome::Respond(self.refuse_error(&err, scheme));
            }
        }
        Outcome::Accept(Accepted {
            scheme,
            effective_scopes,
            verified: None,
            replay: checked.filter(|_| self.dpop_fleet.is_some()),
        })
    }

    /// Whether `outcome` still waits for the fleet's DPoP claim.
    pub fn needs_claim(&self, outcome: &Outcome) -> bool {
        matches!(
            outcome,
            Outcome::Accept(Accepted {
                replay: Some(_),
                ..
            })
        )
    }

    /// The outcome once the fleet claimed the accepted proof: a replay at
    /// another process (401) or the store out (503) refuses the request.
    pub async fn claimed(&self, mut outcome: Outcome) -> Outcome {
        let Outcome::Accept(accepted) = &mut outcome else {
            return outcome;
        };
        let (Some(checked), Some(fleet), Some(checker)) =
            (accepted.replay.take(), &self.dpop_fleet, &self.dpop)
        else {
            return outcome;
        };
        match fleet.claim(checker, &checked).await {
            Ok(()) => outcome,
            Err(err) => Outcome::Respond(self.refuse_error(&err, accepted.scheme)),
        }
    }

    /// The introspection step off the JavaScript thread: the fleet's path, or the endpoint.
    pub async fn introspect(&self, token: &str) -> Result<Arc<Verified>, AuthError> {
        let Some(introspector) = &self.introspector else {
            return Err(crate::panic_guard::internal("no introspector"));
        };
        match &self.introspection_fleet {
            Some(fleet) => fleet.verify(introspector, token).await,
            None => introspector.verify(token).await,
        }
    }

    /// A coded error from the verifier, the proof checker or the replay cache.
    pub fn refuse_error(&self, err: &AuthError, used: Scheme) -> Response {
        let fault = err.code.fault();
        let nonce = match (fault, &self.dpop) {
            (Fault::Nonce, Some(checker)) => checker.nonce(),
            _ => None,
        };
        self.decider.refuse(
            &Refusal::Coded {
                code: err.code.as_str(),
                fault: fault.as_str(),
                reason: &err.reason,
                retry_after: err.retry_after.map(f64::from),
                nonce: nonce.as_deref(),
            },
            Some(used),
        )
    }

    /// A refusal the caller describes; a `nonce` fault gets a fresh nonce here.
    pub fn refuse(&self, refusal: &Refusal<'_>, used: Option<Scheme>) -> Response {
        if let Refusal::Coded {
            code,
            fault: "nonce",
            reason,
            retry_after,
            ..
        } = refusal
        {
            let nonce = self.dpop.as_ref().and_then(|checker| checker.nonce());
            let with_nonce = Refusal::Coded {
                code,
                fault: "nonce",
                reason,
                retry_after: *retry_after,
                nonce: nonce.as_deref(),
            };
            return self.decider.refuse(&with_nonce, used);
        }
        self.decider.refuse(refusal, used)
    }

    fn unexpected(&self) -> Response {
        self.decider.refuse(&Refusal::Unexpected, None)
    }
}

/// What the token's claims say about its binding (RFC 9449 §6.1).
#[derive(Debug, Clone, Copy)]
pub struct Bound<'a> {
    /// Any `cnf` claim: a Bearer token must have none.
    pub cnf_present: bool,
    /// `cnf.jkt`: a DPoP token must have one.
    pub jkt: Option<&'a str>,
    /// `cnf["x5t#S256"]` (RFC 8705 §3.1): the request must present that certificate.
    pub x5t: Option<&'a str>,
}

/// What the request presented besides its token.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    /// The DPoP proof (the DPoP scheme).
    pub proof: Option<&'a str>,
    /// The client certificate's thumbprint, where the resource reads one (mTLS).
    pub certificate: Option<&'a str>,
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
