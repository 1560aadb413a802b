//! Text for a terminal: what tmpguard says (on stderr, in doctor's report,
//! in a modulefile's or TaskProlog's message, in the system log) carries
//! paths and mount names other users choose. A control character in one
//! could move the cursor, clear or hide a line, or forge one of tmpguard's
//! own (`\r`, ESC sequences, a newline mountinfo spells `\012`). Every
//! message passes through [`text`] on its way out, so none reaches a
//! terminal: each such character is shown as `\xNN` (`\u{NNNN}` above
//! 0xFF) instead.

use std::borrow::Cow;
use std::fmt::Write;

/// A character that changes how a terminal shows what follows rather than
/// being shown: C0 controls (newline and tab included), DEL, C1 controls,
/// and the Unicode line separators and bidirectional overrides (which
/// reorder what is shown).
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` with every [`is_hostile`] character written as `\xNN` or `\u{NNNN}`;
/// borrowed when there is none (the usual case costs no allocation).
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_hostile(c) {
            out.push(c);
        } else if (c as u32) <= 0xff {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Bytes (a path, an environment value) as [`text`]: invalid UTF-8 shown as U+FFFD.
pub fn bytes(b: &[u8]) -> String {
    text(&String::from_utf8_lossy(b)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert!(matches!(text("/tmp/alice (mode 0700)"), Cow::Borrowed(_)));
        assert_eq!(
            text("x\r\x1b[2Kfake\nhidden\t\x7f\u{9b}1m"),
            "x\\x0d\\x1b[2Kfake\\x0ahidden\\x09\\x7f\\x9b1m"
        );
        assert_eq!(text("a\u{202e}b\u{2028}c"), "a\\u{202e}b\\u{2028}c");
        assert_eq!(text("é ü 日本"), "é ü 日本");
        assert_eq!(bytes(b"/tmp/\xff\x1b"), "/tmp/\u{fffd}\\x1b");
    }
}
