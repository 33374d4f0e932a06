//! Fixed keys for unit tests, generated once with node:crypto (private keys
//! exist only to sign test tokens).

pub const RSA_DER: &str = "MIIEogIBAAKCAQEArg1Y+4hcTceYox4I/urQZ7k9xT5HPkQhXqQVAl+GpRbmsxob6xKB3NY9BpmEqqxuRyEgKxFAzOn2drZjpHMPr3K/zrmOAV113Og/QVV/nNmfau+Vu0kFHagPOXAJuJZySdRnspiJTFmP0uefMIkQpIZXoM+P33Qgar+eo/hiJ0689AWbKXvRdty4u3at+pweyRAEyg1kNl6PV5RvqYrhMjFXCt58TOgLjgQzslg73Ejo0WPdcVpsO2oWma6dz6I3i7gnjiFXWPKtMck1g+RnSx2Sk4OIP3kFCJXPwrzdfT8r2/KQSQWYUdKK2udzZoB6SYU3MYq1C3k8MDOGbm49wwIDAQABAoIBABbygo9TKJxGmvyyiowVaFmshhTZw6nVcLLaHjz8XDOq48qsQA8LlxyHEG+s0N1xs25kUynqcekyVYDMRjHZy7Edh2VZeHv8lvwDkMdr3tHOrWJ7aPnSxD5nOG6hs15nU3UhcHSPANcUnc44JHhRMeUHI0l75COZW2bHkcJbjpFQ7A5tTwQb7xmn/54jV1AkbS77ORDAw/cibPpbuRMXNJBL1YiZ6OjjOZAb1SOAJ8t8g5IeOLiJO1U4fpk1ngkM4UaQnGZOdlDtQFU2xsOK3SEKXp7U1p2iRwEDBWDwjWU98EP/vuBJCH1ejxVlOg2ifI20tIYUiSOBY5QZQ/Cmx4UCgYEA2k2soEjO/QuPhb7cBwAjk+hE3/uyD/a4TSiK4CKcUq+xo1ZyeI5EJhAXwyYhZ2gEYWOgiuAwElPeKEjxww4ZZVMNdjcC8F9ttKf7JUnoHU5KxaEVjMBKIOVfJIkH4hbGFLMkgDjrGkuUzhymDrm0jfjFqT2h9tfC81jRdUYD7v0CgYEAzBuAFyy7QJpRcVHf3VEFj8yPeMW13ZO1AojZMfAh3h6zQnQ4THy6m5M+dQqRirTCLedzc1Al/CX6TN3oiJuN0ZI4ctPuMamcZhp1wg8BpYafdydFsKSIRkV+B+riSbpPY5JW1/28o0E2zkT6rEZi8iGxA+SekCEepXkvjN8nW78CgYBlQyKQNzXMq1An+iCWHrpiIZvRSi+OuCNFp0jEL0nUESuVWMRAp7106oIbQ9S64sUlZ9FQmi2yUrT6etuqXx/ooF3eOCZk2d9JraIR6faBoY+NnOsiHxBDsiIwEGBXv7iiYXbNA5oK2IRuF1vv+LSIJp2Jo809c1g7CTgf7hplAQKBgAx2uXGw15ZwVfzXhRYctnw7f59eY2aueGU5Ohokkczgjw3FzxJMo5CQg0XeaVjRBPKMqa4m/MrS/t/mxSZiaVyc0zmf23HI67YIc5xwEieret1p1oWc5n10DOgq3bqm1+Y6r3btFbHab6BU8gHHIo+qowab1Vrzys1MAy1VCzA9AoGAf6aoDre8bUSJCVkjhB6p3/lvfqecAzTUBVz4bRaBAPGoKpHrNTaXxD0Tc0M3ESKingu7ghAzWMZ2YIavgxQtjAuVeVBcvTewKCYzIn9pn0twS7uTeEfnB8P27Inx9koQiDqcAnFXLE4FCCIwrmwL5HR8VEa+nQ8gUb46Zqq7o+s=";
pub const RSA_JWK: &str = r#"{"kty":"RSA","n":"rg1Y-4hcTceYox4I_urQZ7k9xT5HPkQhXqQVAl-GpRbmsxob6xKB3NY9BpmEqqxuRyEgKxFAzOn2drZjpHMPr3K_zrmOAV113Og_QVV_nNmfau-Vu0kFHagPOXAJuJZySdRnspiJTFmP0uefMIkQpIZXoM-P33Qgar-eo_hiJ0689AWbKXvRdty4u3at-pweyRAEyg1kNl6PV5RvqYrhMjFXCt58TOgLjgQzslg73Ejo0WPdcVpsO2oWma6dz6I3i7gnjiFXWPKtMck1g-RnSx2Sk4OIP3kFCJXPwrzdfT8r2_KQSQWYUdKK2udzZoB6SYU3MYq1C3k8MDOGbm49ww","e":"AQAB"}"#;
pub const RSA_1024_JWK: &str = r#"{"kty":"RSA","n":"x9xBS5nAkDJ5xt_wTaKt7cQseWO_BZopyGTuN1hTHkQU3tneBIM68wLUpArl-WVkv5gbyJ1vpLVtLyHdOJeJ8zlCFbTOmrcTFGPhDGrGLzXunYQEaI0e4zY-puJutOhwUZDs0ltYaql2dBuTxKtFk9IP-eDN6q9RjlZBjfNqDaU","e":"AQAB"}"#;
pub const EC_P256_DER: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgud7KM5GSAUuNVpZ+rWvH+1KgBjZsobTvcdMrrb+srz+hRANCAASSG9BaeHRFmeAP1zpyd4cPboIqF0eow99WTfjFaTq5retaBhHN4fbriSt0k3SYuZ36plxPPiUKr4WJrS2Uo4KD";
pub const EC_P256_JWK: &str = r#"{"kty":"EC","x":"khvQWnh0RZngD9c6cneHD26CKhdHqMPfVk34xWk6ua0","y":"61oGEc3h9uuJK3STdJi5nfqmXE8-JQqvhYmtLZSjgoM","crv":"P-256"}"#;
pub const ED25519_DER: &str = "MC4CAQAwBQYDK2VwBCIEIJ5uynyudl+VmJsDxJs6M+vBZ3iqXvHeQ0VAnNWOwI0L";
pub const ED25519_JWK: &str =
    r#"{"crv":"Ed25519","x":"t2XndMCCGlvd214iYbvvZ68y9pbBC2yUEudQRFvwtmY","kty":"OKP"}"#;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::Value;

pub fn encoding_key(alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(&STANDARD.decode(EC_P256_DER).unwrap()),
        Algorithm::EdDSA => EncodingKey::from_ed_der(&STANDARD.decode(ED25519_DER).unwrap()),
        _ => EncodingKey::from_rsa_der(&STANDARD.decode(RSA_DER).unwrap()),
    }
}

/// A public JWK for `alg` with the given kid.
pub fn public_jwk(alg: Algorithm, kid: &str) -> Value {
    let text = match alg {
        Algorithm::ES256 => EC_P256_JWK,
        Algorithm::EdDSA => ED25519_JWK,
        _ => RSA_JWK,
    };
    let mut jwk: Value = serde_json::from_str(text).unwrap();
    jwk["kid"] = kid.into();
    jwk
}

/// Signs exactly these header and payload bytes with the key for `alg`.
pub fn sign_raw(alg: Algorithm, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &encoding_key(alg), alg).unwrap();
    format!("{input}.{sig}")
}

pub fn sign(alg: Algorithm, header: &Value, claims: &Value) -> String {
    sign_raw(alg, &header.to_string(), &claims.to_string())
}
