//! One wording for a failed system call, used by every message and by
//! `doctor --json`: the errno by name (`EDQUOT`) and in the C library's
//! words (`Disk quota exceeded`), as every other tool prints them.

use nix::errno::Errno;

/// The errno's name: `ENOSPC`.
pub fn name(e: Errno) -> String {
    format!("{e:?}")
}

/// The C library's words for it (`strerror`): `No space left on device`.
pub fn words(e: Errno) -> String {
    let words = std::io::Error::from_raw_os_error(e as i32).to_string();
    words
        .split(" (os error")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Both: `ENOSPC: No space left on device`.
pub fn text(e: Errno) -> String {
    format!("{}: {}", name(e), words(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_words() {
        assert_eq!(text(Errno::ENOENT), "ENOENT: No such file or directory");
        // nix's own table says "Quota exceeded": the JSON once disagreed with the report.
        assert_eq!(words(Errno::EDQUOT), "Disk quota exceeded");
        assert_eq!(name(Errno::EDQUOT), "EDQUOT");
    }
}
