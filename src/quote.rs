//! One escaper per shell quoting family. Each returns a single word that the
//! shell reads back as exactly the input bytes, with nothing expanded.

/// POSIX shells (sh, bash, zsh, dash, ksh, mksh): `'...'`, each `'` as `'\''`.
/// Carries every byte, newlines and non-UTF-8 included.
pub fn posix(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() + 2);
    out.push(b'\'');
    for &b in v {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// fish: `'...'` where `\` is `\\` and `'` is `\'`.
pub fn fish(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() + 2);
    out.push(b'\'');
    for &b in v {
        if b == b'\\' || b == b'\'' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_quotes() {
        assert_eq!(posix(b"/tmp/a b"), b"'/tmp/a b'");
        assert_eq!(posix(b"it's"), b"'it'\\''s'");
        assert_eq!(posix(b"$(x)`y`\\"), b"'$(x)`y`\\'");
    }

    #[test]
    fn fish_quotes() {
        assert_eq!(fish(b"a'b\\c"), b"'a\\'b\\\\c'");
        assert_eq!(fish(b"$x"), b"'$x'");
    }
}
