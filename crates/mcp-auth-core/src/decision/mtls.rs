//! RFC 8705 certificate-bound access tokens: which client certificate a
//! request presented (the TLS connection's, or a trusted proxy's header),
//! its SHA-256 thumbprint (§3.1 `x5t#S256`), and the constant-time match
//! against the token's `cnf`. No TLS here: the binding hands over the DER
//! bytes its server saw, or the header as received.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

/// A longer certificate header is ignored (a chain of a few PEM certificates fits).
pub const MAX_HEADER_LENGTH: usize = 32 * 1024;

/// How a trusted proxy passes the client certificate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFormat {
    /// The leaf certificate as URL-encoded PEM (nginx `$ssl_client_escaped_cert`).
    EscapedPem,
    /// Envoy's `x-forwarded-client-cert`: one element, `Hash=` (hex SHA-256
    /// of the DER) and/or `Cert=` (URL-encoded PEM).
    Xfcc,
}

/// Where a resource reads the client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtlsSettings {
    /// The TLS connection's peer certificate.
    pub connection: bool,
    /// A trusted proxy's header: its lower-case name and format.
    pub header: Option<(String, HeaderFormat)>,
}

/// RFC 8705 §3.1: base64url (no padding) of the SHA-256 of the DER.
pub fn thumbprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Whether the token's `x5t#S256` names the presented certificate's
/// thumbprint, compared in constant time.
pub fn certificate_matches(bound: &str, presented: Option<&str>) -> bool {
    presented.is_some_and(|presented| {
        aws_lc_rs::constant_time::verify_slices_are_equal(bound.as_bytes(), presented.as_bytes())
            .is_ok()
    })
}

impl MtlsSettings {
    /// The thumbprint of the certificate this request presented: the
    /// connection's when it is read and there is one, else the proxy
    /// header's (exactly one, well-formed). `None`: no certificate.
    pub fn presented(
        &self,
        connection: Option<&[u8]>,
        headers: &[(String, String)],
    ) -> Option<String> {
        if self.connection {
            if let Some(der) = connection.filter(|der| !der.is_empty()) {
                return Some(thumbprint(der));
            }
        }
        let (name, format) = self.header.as_ref()?;
        let (value, count) = super::credentials::find_header(headers, name);
        // A repeated header is no certificate: which one the proxy set is unknown.
        let value = value.filter(|v| count == 1 && v.len() <= MAX_HEADER_LENGTH)?;
        match format {
            HeaderFormat::EscapedPem => {
                pem_leaf(&percent_decode(value.trim())?).map(|d| thumbprint(&d))
            }
            HeaderFormat::Xfcc => xfcc_thumbprint(value),
        }
    }
}

/// `%XX` decoded; `+` stays `+` (it is base64, not a space). `None` for a bad escape.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(hex_byte(bytes.get(i + 1..i + 3)?)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The first PEM `CERTIFICATE` block's DER (the leaf, as proxies put it first).
fn pem_leaf(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let len = pem[start..].find(END)?;
    let body: String = pem[start..start + len]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(body).ok().filter(|der| !der.is_empty())
}

/// Splits on `separator` outside double quotes.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quoted, mut escaped, mut start) = (false, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

/// Envoy XFCC: exactly one element (the proxy sanitises and sets it);
/// `Hash=` and `Cert=` must agree when both are there.
fn xfcc_thumbprint(value: &str) -> Option<String> {
    let elements = split_unquoted(value, ',');
    let [element] = elements.as_slice() else {
        return None;
    };
    let (mut hash, mut cert) = (None, None);
    for pair in split_unquoted(element, ';') {
        let (key, value) = pair.split_once('=')?;
        let key = key.trim();
        if key.eq_ignore_ascii_case("hash") {
            hash = Some(hex_thumbprint(&unquote(value))?);
        } else if key.eq_ignore_ascii_case("cert") {
            cert = Some(thumbprint(&pem_leaf(&percent_decode(&unquote(value))?)?));
        }
    }
    match (hash, cert) {
        (Some(hash), Some(cert)) => (hash == cert).then_some(hash),
        (hash, cert) => hash.or(cert),
    }
}

/// 64 hex digits (a SHA-256) as base64url.
fn hex_thumbprint(hex: &str) -> Option<String> {
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = hex_byte(&hex.as_bytes()[2 * i..2 * i + 2])?;
    }
    Some(URL_SAFE_NO_PAD.encode(digest))
}

/// Two hex digits (no sign, unlike `from_str_radix`).
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(*pair.first()?)? * 16 + digit(*pair.get(1)?)?) as u8)
}

#[cfg(test)]
#[path = "mtls_tests.rs"]
mod tests;
