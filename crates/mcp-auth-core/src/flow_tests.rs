//! The bound-token rule with mTLS (RFC 8705) on the caller-verified path:
//! the certificate read at `start` reaches `finish`.

use super::*;
use crate::decision::mtls::{thumbprint, HeaderFormat, MtlsSettings};
use crate::decision::{DecisionConfig, ScopeHierarchy};

fn flow(mtls: Option<MtlsSettings>) -> Flow {
    Flow {
        decider: Decider::new(DecisionConfig {
            dpop: None,
            resource_metadata_url: Some(
                "https://r.example/.well-known/oauth-protected-resource".into(),
            ),
            required_scopes: vec![],
            scope_hierarchy: ScopeHierarchy::none(),
            show_error_details: true,
            max_token_length: 8192,
            mtls,
        }),
        verifier: None,
        introspector: None,
        introspection_fleet: None,
        route: Route::Caller,
        dpop: None,
        dpop_fleet: None,
        identity_checks: None,
    }
}

const CERT: &[u8] = b"client certificate DER";

/// `start` then `finish` for a token whose `cnf` holds `x5t` (and `jkt`).
fn run(
    flow: &Flow,
    client: Option<&[u8]>,
    headers: &[(&str, &str)],
    x5t: Option<&str>,
    jkt: Option<&str>,
) -> Outcome {
    let mut pairs = vec![("authorization".to_owned(), "Bearer abc".to_owned())];
    pairs.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let request = Request {
        method: "GET",
        url: "/mcp",
        original_url: None,
        headers: &pairs,
        client_certificate: client,
    };
    let Started::Done(
        Outcome::Verify {
            scheme,
            certificate,
            ..
        },
        _,
    ) = flow.start(&request, false)
    else {
        panic!("the caller verifies");
    };
    let bound = Bound {
        cnf_present: x5t.is_some() || jkt.is_some(),
        jkt,
        x5t,
    };
    let presented = Presented {
        proof: None,
        certificate: certificate.as_deref(),
    };
    flow.finish(None, scheme, bound, presented, "GET", "/mcp", "abc", &[])
}

fn refused(outcome: &Outcome) -> (u16, String, String) {
    match outcome {
        Outcome::Respond(r) => (
            r.status,
            r.header("WWW-Authenticate").unwrap_or("").to_owned(),
            r.body.clone(),
        ),
        _ => panic!("accepted"),
    }
}

#[test]
fn certificate_bound_token_needs_its_certificate() {
    let on = flow(Some(MtlsSettings {
        connection: true,
        header: None,
    }));
    let x5t = thumbprint(CERT);
    assert!(matches!(
        run(&on, Some(CERT), &[], Some(&x5t), None),
        Outcome::Accept(_)
    ));
    for client in [Some(&b"another certificate"[..]), None] {
        let (status, challenge, body) = refused(&run(&on, client, &[], Some(&x5t), None));
        assert_eq!(status, 401);
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains("resource_metadata="), "{challenge}");
        assert!(body.contains("certificate_mismatch"), "{body}");
    }
    // An unbound token is unaffected, certificate or not.
    assert!(matches!(
        run(&on, Some(CERT), &[], None, None),
        Outcome::Accept(_)
    ));
    assert!(matches!(
        run(&on, None, &[], None, None),
        Outcome::Accept(_)
    ));
}

#[test]
fn without_mtls_a_certificate_bound_token_is_refused() {
    let off = flow(None);
    let x5t = thumbprint(CERT);
    // The binding's certificate and a proxy header are both ignored.
    let header = [("x-client-cert", "whatever")];
    let (status, _, body) = refused(&run(&off, Some(CERT), &header, Some(&x5t), None));
    assert_eq!(status, 401);
    assert!(body.contains("certificate_mismatch"), "{body}");
}

#[test]
fn proxy_header_certificate() {
    let proxied = flow(Some(MtlsSettings {
        connection: false,
        header: Some(("x-client-cert".into(), HeaderFormat::Xfcc)),
    }));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, CERT);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let xfcc = format!("Hash={hex}");
    let x5t = thumbprint(CERT);
    assert!(matches!(
        run(
            &proxied,
            None,
            &[("X-Client-Cert", &xfcc)],
            Some(&x5t),
            None
        ),
        Outcome::Accept(_)
    ));
    // The connection's certificate is not read when only the header is configured.
    assert_eq!(
        refused(&run(&proxied, Some(CERT), &[], Some(&x5t), None)).0,
        401
    );
}

#[test]
fn both_bindings_must_hold() {
    let on = flow(Some(MtlsSettings {
        connection: true,
        header: None,
    }));
    let x5t = thumbprint(CERT);
    let jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    // Presented as Bearer: the DPoP binding cannot hold, whatever the certificate.
    let (status, _, body) = refused(&run(&on, Some(CERT), &[], Some(&x5t), Some(jkt)));
    assert_eq!(status, 401);
    assert!(body.contains("sender_constrained"), "{body}");
    // As DPoP with another certificate: refused before the proof is looked at.
    let bound = Bound {
        cnf_present: true,
        jkt: Some(jkt),
        x5t: Some(&x5t),
    };
    let other = thumbprint(b"other");
    let presented = Presented {
        proof: Some("proof"),
        certificate: Some(&other),
    };
    let (status, challenge, body) = refused(&on.finish(
        None,
        Scheme::Dpop,
        bound,
        presented,
        "GET",
        "/mcp",
        "abc",
        &[],
    ));
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");
    assert!(body.contains("certificate_mismatch"), "{body}");
}
