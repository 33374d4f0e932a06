//! Character classes of the HTTP grammar the decision reads (RFC 9110 §5.6.2
//! `tchar`, RFC 6750 §2.1 `b64token`), as 256-entry tables: a token's every
//! byte is tested on each request, and a table lookup is one load.

const fn table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

static TCHAR: [bool; 256] = table(b"!#$%&'*+-.^_`|~");
static B64TOKEN: [bool; 256] = table(b"-._~+/=");

/// `tchar`: a header token's (an auth scheme's, a parameter name's) characters.
pub fn is_tchar(byte: u8) -> bool {
    TCHAR[byte as usize]
}

/// `b64token`'s characters (before its trailing `=`s, which it also allows anywhere here).
pub fn is_b64token_char(byte: u8) -> bool {
    B64TOKEN[byte as usize]
}

/// Every byte of `bytes` a `b64token` character. A token is hundreds of
/// bytes, tested on every request: compared 32 at a time without early exit,
/// which the compiler turns into vector instructions, where a table lookup
/// per byte cannot be (the remaining bytes use the table).
pub fn all_b64token_chars(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        if !chunk
            .iter()
            .fold(true, |all, &b| all & b64token_by_ranges(b))
        {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| is_b64token_char(b))
}

// The same class as `B64TOKEN`, by comparisons only (branch-free).
fn b64token_by_ranges(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    // `+` `-` `.` `/` are 0x2B, 0x2D, 0x2E, 0x2F.
    let sign_to_slash = b.wrapping_sub(b'+') < 5 && b != b',';
    letter | digit | sign_to_slash | (b == b'_') | (b == b'~') | (b == b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_the_grammar() {
        for b in 0..=255u8 {
            let alnum = b.is_ascii_alphanumeric();
            assert_eq!(
                is_tchar(b),
                alnum || b"!#$%&'*+-.^_`|~".contains(&b),
                "tchar {b}"
            );
            assert_eq!(
                is_b64token_char(b),
                alnum || b"-._~+/=".contains(&b),
                "b64token {b}"
            );
        }
        assert!(!is_tchar(b' ') && !is_tchar(b'"') && !is_tchar(0x80));
        assert!(!is_b64token_char(b',') && !is_b64token_char(b' ') && !is_b64token_char(0xff));
    }

    #[test]
    fn the_vector_test_agrees_with_the_table() {
        for b in 0..=255u8 {
            assert_eq!(b64token_by_ranges(b), is_b64token_char(b), "byte {b}");
        }
        // Each position of a chunk and of the remainder, each byte value there.
        let valid: Vec<u8> = b"eyJhbGciOiJSUzI1NiJ9.abc-_~+/="
            .iter()
            .copied()
            .cycle()
            .take(70)
            .collect();
        assert!(all_b64token_chars(&valid) && all_b64token_chars(b""));
        for at in 0..valid.len() {
            for b in 0..=255u8 {
                let mut bytes = valid.clone();
                bytes[at] = b;
                assert_eq!(
                    all_b64token_chars(&bytes),
                    is_b64token_char(b),
                    "byte {b} at {at}"
                );
            }
        }
    }
}
