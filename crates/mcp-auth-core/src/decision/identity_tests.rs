//! The checks on a caller-verified identity: each refusal's code and text.
use super::*;

fn identity<'a>(
    issuer: Option<&'a str>,
    audience: &'a [String],
    exp: Option<f64>,
) -> CallerIdentity<'a> {
    CallerIdentity {
        issuer,
        issuer_trusted: None,
        audience,
        expires_at: exp,
    }
}

fn code(refusal: Option<Refusal<'_>>) -> String {
    match refusal {
        None => "pass".into(),
        Some(Refusal::Described { code, message, .. }) => format!("{code}: {message}"),
        Some(Refusal::Coded { code, reason, .. }) => format!("{code}: {reason}"),
        Some(_) => "other".into(),
    }
}

#[test]
fn issuer_audience_then_expiry_with_the_wrappers_texts() {
    let checks = IdentityChecks::new(
        Some(vec!["https://as.example.com".into()]),
        Some(vec!["http://localhost:3001".into()]),
    );
    let aud = vec!["http://LOCALHOST:3001/".to_owned()];
    let other = vec!["https://elsewhere".to_owned()];
    let iss = Some("https://as.example.com");
    assert_eq!(code(checks.refusal(&identity(iss, &aud, None))), "pass");
    assert_eq!(
        code(checks.refusal(&identity(Some("https://evil"), &other, None))),
        "invalid_issuer: The token issuer does not match the expected issuer."
    );
    assert_eq!(
        code(checks.refusal(&identity(None, &aud, None))),
        "invalid_issuer: The token issuer does not match the expected issuer."
    );
    assert_eq!(
        code(checks.refusal(&identity(iss, &other, Some(f64::NAN)))),
        "invalid_audience: The token audience does not match the expected audience."
    );
    assert_eq!(
        code(checks.refusal(&identity(iss, &aud, Some(f64::INFINITY)))),
        "invalid_claim: expiresAt is not a finite number"
    );
    let now = now_seconds();
    assert_eq!(
        code(checks.refusal(&identity(iss, &aud, Some(now - 31.0)))),
        "expired: token expired"
    );
    assert_eq!(
        code(checks.refusal(&identity(iss, &aud, Some(now - 20.0)))),
        "pass",
        "within the 30 s leeway"
    );
}

#[test]
fn a_bindings_verdict_on_the_issuer_wins_and_unset_checks_pass() {
    let checks = IdentityChecks::new(None, None);
    let none: Vec<String> = Vec::new();
    let mut judged = identity(Some("https://any"), &none, None);
    assert_eq!(code(checks.refusal(&judged)), "pass");
    judged.issuer_trusted = Some(false);
    assert_eq!(
        code(checks.refusal(&judged)),
        "invalid_issuer: The token issuer does not match the expected issuer."
    );
}
