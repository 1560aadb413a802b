//! The channel from `tmpguard path --records` to a modulefile: what to set,
//! what to say, whether to fail, all on stdout (Environment Modules fails a
//! load on any stderr output of a command it runs, so nothing goes there).
//!
//! Each record is one line of text ended by a NUL byte (values may hold any
//! other byte, newlines included):
//!
//! | record | meaning |
//! |---|---|
//! | `set NAME=VALUE` | set NAME to VALUE (several: TMPDIR, TMP, TEMP, others later) |
//! | `unsafe NAME` | NAME's previous value was judged unsafe: never restore it |
//! | `unset NAME` | unset NAME (`XDG_RUNTIME_DIR` not valid, and nothing valid to be had) |
//! | `warn TEXT` | show TEXT; the load goes on |
//! | `error TEXT` | show TEXT and fail the load; nothing is set |
//!
//! Unknown records are ignored by the modulefiles, so new kinds can be added.

/// One record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record<'a> {
    Set(&'a str, &'a [u8]),
    Unsafe(&'a str),
    Unset(&'a str),
    Warn(String),
    Error(String),
}

/// The bytes of `records`, each NUL-terminated. A NUL inside a value
/// (impossible in an environment value) is dropped; a text's control
/// characters, NUL included, are shown as `\xNN` (`render::visible`).
pub fn encode(records: &[Record<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let (tag, body): (&str, Vec<u8>) = match r {
            Record::Set(name, value) => ("set", [name.as_bytes(), b"=", value].concat()),
            Record::Unsafe(name) => ("unsafe", name.as_bytes().to_vec()),
            Record::Unset(name) => ("unset", name.as_bytes().to_vec()),
            // Shown to the user by the modulefile: no control characters.
            Record::Warn(t) => ("warn", super::visible::text(t).as_bytes().to_vec()),
            Record::Error(t) => ("error", super::visible::text(t).as_bytes().to_vec()),
        };
        out.extend_from_slice(tag.as_bytes());
        out.push(b' ');
        out.extend(body.into_iter().filter(|&b| b != 0));
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_terminated_lines() {
        let out = encode(&[
            Record::Set("TMPDIR", b"/tmp/a\nb"),
            Record::Unsafe("TMP"),
            Record::Warn("w\0x".into()),
            Record::Error("e".into()),
        ]);
        assert_eq!(
            out,
            b"set TMPDIR=/tmp/a\nb\0unsafe TMP\0warn w\\x00x\0error e\0".to_vec()
        );
    }
}
