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
}
