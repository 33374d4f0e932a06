use super::*;

fn settings(connection: bool, header: Option<HeaderFormat>) -> MtlsSettings {
    MtlsSettings {
        connection,
        header: header.map(|f| ("x-client-cert".to_owned(), f)),
    }
}

const DER: &[u8] = b"\x30\x82\x01\x0a not really a certificate, only bytes to hash";

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn escaped(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn header(value: &str) -> Vec<(String, String)> {
    vec![("X-Client-Cert".to_owned(), value.to_owned())]
}

#[test]
fn thumbprint_is_base64url_sha256() {
    // RFC 8705 §3.1: 43 base64url characters; SHA-256 of "" is well known.
    assert_eq!(
        thumbprint(b""),
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    );
    assert_eq!(thumbprint(DER).len(), 43);
}

#[test]
fn connection_certificate_first_then_header() {
    let want = thumbprint(DER);
    let other = pem(b"another certificate");
    let both = settings(true, Some(HeaderFormat::EscapedPem));
    assert_eq!(
        both.presented(Some(DER), &header(&escaped(&other))),
        Some(want.clone())
    );
    assert_eq!(
        both.presented(None, &header(&escaped(&pem(DER)))),
        Some(want.clone())
    );
    assert_eq!(both.presented(Some(b""), &[]), None);
    // The connection is not read unless configured; the header is not read unless configured.
    assert_eq!(
        settings(false, Some(HeaderFormat::EscapedPem)).presented(Some(DER), &[]),
        None
    );
    assert_eq!(
        settings(true, None).presented(None, &header(&escaped(&pem(DER)))),
        None
    );
}

#[test]
fn escaped_pem_header() {
    let s = settings(false, Some(HeaderFormat::EscapedPem));
    let want = Some(thumbprint(DER));
    assert_eq!(s.presented(None, &header(&escaped(&pem(DER)))), want);
    // A chain: the leaf is the first block.
    let chain = format!("{}{}", pem(DER), pem(b"issuer"));
    assert_eq!(s.presented(None, &header(&escaped(&chain))), want);
    // Repeated, malformed, empty or oversized: no certificate.
    let mut twice = header(&escaped(&pem(DER)));
    twice.push(("x-client-cert".into(), escaped(&pem(DER))));
    for bad in [
        twice,
        header("%ZZ"),
        header("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"),
        header(""),
        header(&"A".repeat(MAX_HEADER_LENGTH + 1)),
        header("%+f"),
    ] {
        assert_eq!(s.presented(None, &bad), None, "{bad:?}");
    }
}

#[test]
fn xfcc_header() {
    let s = settings(false, Some(HeaderFormat::Xfcc));
    let want = thumbprint(DER);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, DER);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let cert = escaped(&pem(DER));
    for ok in [
        format!("By=spiffe://proxy;Hash={hex};Subject=\"CN=a;b,c\";URI=spiffe://client"),
        format!("Cert=\"{cert}\""),
        format!("Hash={};Cert={cert}", hex.to_uppercase()),
    ] {
        assert_eq!(s.presented(None, &header(&ok)), Some(want.clone()), "{ok}");
    }
    let other = escaped(&pem(b"other"));
    for bad in [
        format!("Hash={hex},Hash={hex}"),
        format!("Hash={hex};Cert={other}"),
        format!("Hash={}", &hex[..62]),
        "By=spiffe://proxy".to_owned(),
        "Hash".to_owned(),
    ] {
        assert_eq!(s.presented(None, &header(&bad)), None, "{bad}");
    }
}

#[test]
fn matching_is_exact() {
    let t = thumbprint(DER);
    assert!(certificate_matches(&t, Some(&t)));
    assert!(!certificate_matches(&t, None));
    assert!(!certificate_matches(&t, Some(&thumbprint(b"x"))));
    assert!(!certificate_matches(&t, Some(&t[..42])));
}
