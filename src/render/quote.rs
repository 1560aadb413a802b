//! One escaper per quoting family. Each returns a single word that the
//! shell (or language) reads back as exactly the input bytes, with nothing
//! expanded, or says why it cannot carry the value.

use std::fmt;
use std::io::Write;

/// A value a shell cannot carry exactly: refused, never mangled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unquotable(pub &'static str);

impl fmt::Display for Unquotable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unquotable {}

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

/// tcsh and csh: `'...'`, `'` as `'\''`, `!` as `\!` (history substitution
/// happens even inside single quotes). A newline cannot survive
/// ``eval "`...`"``, which joins lines, so control characters are refused.
pub fn csh(v: &[u8]) -> Result<Vec<u8>, Unquotable> {
    if v.iter().any(u8::is_ascii_control) {
        return Err(Unquotable(
            "tcsh cannot carry a newline or other control character in a value",
        ));
    }
    let mut out = Vec::with_capacity(v.len() + 2);
    out.push(b'\'');
    for &b in v {
        match b {
            b'\'' => out.extend_from_slice(b"'\\''"),
            b'!' => out.extend_from_slice(b"\\!"),
            _ => out.push(b),
        }
    }
    out.push(b'\'');
    Ok(out)
}

/// elvish: `'...'` with `'` doubled; bytes that are not UTF-8 go in
/// `"\xHH"` words, which elvish joins with their neighbours into one string.
pub fn elvish(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() + 2);
    for chunk in v.utf8_chunks() {
        let valid = chunk.valid();
        if !valid.is_empty() {
            out.push(b'\'');
            out.extend_from_slice(valid.replace('\'', "''").as_bytes());
            out.push(b'\'');
        }
        if !chunk.invalid().is_empty() {
            out.push(b'"');
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02x}");
            }
            out.push(b'"');
        }
    }
    if out.is_empty() {
        out.extend_from_slice(b"''");
    }
    out
}

/// Python (xonsh): a plain ASCII `'...'` literal. Bytes that are not UTF-8
/// become `\udcHH`, as `os.fsdecode` would give them, so they reach the
/// environment as the same bytes.
pub fn python(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() + 2);
    out.push(b'\'');
    for chunk in v.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' | '\'' => {
                    out.push(b'\\');
                    out.push(c as u8);
                }
                ' '..='~' => out.push(c as u8),
                _ if (c as u32) < 0x100 => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                _ if (c as u32) < 0x10000 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                _ => {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\udc{b:02x}");
        }
    }
    out.push(b'\'');
    out
}

/// Lua: a `"..."` literal in plain ASCII; anything unprintable as `\ddd`.
/// Lua strings are bytes, so every value can be carried.
pub fn lua(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() + 2);
    out.push(b'"');
    for &b in v {
        match b {
            b'\\' | b'"' => {
                out.push(b'\\');
                out.push(b);
            }
            b' '..=b'~' => out.push(b),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
    out.push(b'"');
    out
}

/// Tcl: a `"..."` word with `\ $ [ ] " { }` escaped (braces so that it can
/// also sit inside a braced script) and control characters as
/// `\ooo`. Tcl reads the modulefile and encodes `exec` arguments with the
/// system encoding, so other bytes are written as they are; bytes that are
/// not UTF-8 would not come back in a UTF-8 locale and are refused.
pub fn tcl(v: &[u8]) -> Result<Vec<u8>, Unquotable> {
    if std::str::from_utf8(v).is_err() {
        return Err(Unquotable("Tcl cannot carry bytes that are not UTF-8"));
    }
    let mut out = Vec::with_capacity(v.len() + 2);
    out.push(b'"');
    for &b in v {
        match b {
            b'\\' | b'$' | b'[' | b']' | b'"' | b'{' | b'}' => {
                out.push(b'\\');
                out.push(b);
            }
            _ if b.is_ascii_control() => {
                let _ = write!(out, "\\{b:03o}");
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
    Ok(out)
}

/// Slurm TaskProlog `export NAME=value`: the value is taken raw to the end of
/// the line, so it cannot hold a newline, and Slurm's parser strips nothing
/// but a reader would: leading or trailing white space is refused too.
pub fn slurm(v: &[u8]) -> Result<Vec<u8>, Unquotable> {
    if v.iter().any(|&b| b == b'\n' || b == b'\r') {
        return Err(Unquotable(
            "a Slurm TaskProlog cannot carry a newline in a value",
        ));
    }
    if v.first().is_some_and(u8::is_ascii_whitespace)
        || v.last().is_some_and(u8::is_ascii_whitespace)
    {
        return Err(Unquotable(
            "a Slurm TaskProlog value cannot start or end with white space",
        ));
    }
    Ok(v.to_vec())
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

    #[test]
    fn csh_quotes_and_refuses_control_characters() {
        assert_eq!(csh(b"a'b!c").unwrap(), b"'a'\\''b\\!c'");
        assert_eq!(csh(b"{a,b}*$x").unwrap(), b"'{a,b}*$x'");
        assert!(csh(b"a\nb").is_err());
        assert!(csh(b"a\x7fb").is_err());
    }

    #[test]
    fn elvish_quotes() {
        assert_eq!(elvish(b"it's"), b"'it''s'");
        assert_eq!(elvish(b""), b"''");
        assert_eq!(elvish(b"a\xffb"), b"'a'\"\\xff\"'b'");
        assert_eq!(elvish(b"\xfe\xff"), b"\"\\xfe\"\"\\xff\"");
    }

    #[test]
    fn python_quotes() {
        assert_eq!(python(b"a'b\\"), b"'a\\'b\\\\'");
        assert_eq!(
            python("\né\u{20ac}\u{1f600}\x7f".as_bytes()),
            b"'\\x0a\\xe9\\u20ac\\U0001f600\\x7f'"
        );
        assert_eq!(python(b"\xff"), b"'\\udcff'");
    }

    #[test]
    fn lua_quotes() {
        assert_eq!(lua(b"a\"b\\c\n\xff1"), b"\"a\\\"b\\\\c\\010\\2551\"");
    }

    #[test]
    fn tcl_quotes() {
        assert_eq!(
            tcl(b"$a[b]\"c\\{d}\n").unwrap(),
            b"\"\\$a\\[b\\]\\\"c\\\\\\{d\\}\\012\""
        );
        assert!(tcl(b"\xff").is_err());
    }

    #[test]
    fn slurm_is_raw_but_refuses_what_it_cannot_carry() {
        assert_eq!(slurm(b"/tmp/a b'$x").unwrap(), b"/tmp/a b'$x");
        assert!(slurm(b"/tmp/a\nb").is_err());
        assert!(slurm(b" /tmp/a").is_err());
        assert!(slurm(b"/tmp/a ").is_err());
        assert!(slurm(b"/tmp/a\t").is_err());
    }
}
