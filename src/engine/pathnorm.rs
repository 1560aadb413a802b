//! Python's `os.path.abspath`, so the exported TMPDIR is exactly what `gettempdir()` prints.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// Make `p` absolute against the current directory (only read when `p` is relative)
/// and normalise it lexically, like `os.path.abspath` (not `realpath`).
pub fn abspath(p: &OsStr) -> io::Result<PathBuf> {
    let bytes = p.as_bytes();
    if bytes.first() == Some(&b'/') {
        return Ok(PathBuf::from(OsString::from_vec(normalize(bytes))));
    }
    let mut joined = std::env::current_dir()?.into_os_string().into_vec();
    joined.push(b'/');
    joined.extend_from_slice(bytes);
    Ok(PathBuf::from(OsString::from_vec(normalize(&joined))))
}

/// [`abspath`] against a current directory read before (`None`: there is none).
pub fn abspath_in(p: &OsStr, cwd: Option<&std::path::Path>) -> Option<PathBuf> {
    let bytes = p.as_bytes();
    if bytes.first() == Some(&b'/') {
        return Some(PathBuf::from(OsString::from_vec(normalize(bytes))));
    }
    let mut joined = cwd?.as_os_str().as_bytes().to_vec();
    joined.push(b'/');
    joined.extend_from_slice(bytes);
    Some(PathBuf::from(OsString::from_vec(normalize(&joined))))
}

/// Exactly `os.path.abspath`, which keeps a leading `//` (POSIX leaves two
/// initial slashes implementation-defined): for `doctor`, which must print
/// what Python prints. `init` exports [`abspath`]'s form, also a fixed point.
pub fn python_abspath(p: &OsStr) -> io::Result<PathBuf> {
    let abs = abspath(p)?;
    let b = p.as_bytes();
    if b.starts_with(b"//") && !b.starts_with(b"///") {
        let mut v = b"/".to_vec();
        v.extend_from_slice(abs.as_os_str().as_bytes());
        return Ok(PathBuf::from(OsString::from_vec(v)));
    }
    Ok(abs)
}

/// Lexical normalisation of an absolute path: no `.`, no `..`, no empty
/// components, no trailing slash. Leading `//` becomes `/` (Python keeps it,
/// but both spell the same directory and `/x` is a fixed point of abspath).
pub fn normalize(abs: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in abs.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(abs.len());
    for c in parts {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        String::from_utf8(normalize(s.as_bytes())).unwrap()
    }

    #[test]
    fn normalizes_like_python() {
        assert_eq!(n("/tmp/alice/"), "/tmp/alice");
        assert_eq!(n("/tmp//alice"), "/tmp/alice");
        assert_eq!(n("/tmp/./alice/."), "/tmp/alice");
        assert_eq!(n("/tmp/x/../alice"), "/tmp/alice");
        assert_eq!(n("/../tmp"), "/tmp");
        assert_eq!(n("/"), "/");
        assert_eq!(n("///"), "/");
        assert_eq!(n("//tmp"), "/tmp");
    }

    #[test]
    fn python_keeps_exactly_two_leading_slashes() {
        let p = |s: &str| {
            python_abspath(OsStr::new(s))
                .unwrap()
                .into_os_string()
                .into_string()
                .unwrap()
        };
        assert_eq!(p("//tmp/x/"), "//tmp/x");
        assert_eq!(p("///tmp/x"), "/tmp/x");
        assert_eq!(p("//"), "//");
        assert_eq!(p("/tmp"), "/tmp");
    }

    #[test]
    fn abspath_in_a_given_cwd() {
        let cwd = std::path::Path::new("/home/a");
        assert_eq!(
            abspath_in(OsStr::new("x/../y/"), Some(cwd)).unwrap(),
            cwd.join("y")
        );
        assert_eq!(
            abspath_in(OsStr::new("/t//u/"), None).unwrap(),
            std::path::Path::new("/t/u")
        );
        assert_eq!(abspath_in(OsStr::new("rel"), None), None);
    }

    #[test]
    fn relative_joins_cwd() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(abspath(OsStr::new("x/../y/")).unwrap(), cwd.join("y"));
    }
}
