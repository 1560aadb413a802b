//! The path of this binary as the user invoked it, for code that calls it again.
//!
//! Made absolute but not resolved through symlinks, so a baked-in
//! `/usr/local/bin/tmpguard` keeps working after an upgrade replaces its target.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// `argv[0]` (as the C runtime passed it to `sys::main`: std's `args_os` is
/// empty in a static musl binary) made absolute: joined to the current
/// directory when it contains a `/`, else found on `PATH` as a shell would;
/// `/proc/self/exe` as a last resort.
pub fn invoked(arg0: &OsStr) -> PathBuf {
    from_arg0(arg0, std::env::var_os("PATH").as_deref())
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("tmpguard"))
}

fn from_arg0(arg0: &OsStr, path: Option<&OsStr>) -> Option<PathBuf> {
    if arg0.as_bytes().contains(&b'/') {
        let p = Path::new(arg0);
        let abs = if p.is_absolute() {
            p.to_owned()
        } else {
            std::env::current_dir().ok()?.join(p)
        };
        // components() drops `.` and doubled slashes but keeps `..`, which
        // only the filesystem can resolve.
        return Some(abs.components().collect());
    }
    path?
        .as_bytes()
        .split(|&b| b == b':')
        .filter(|d| d.first() == Some(&b'/'))
        .map(|d| Path::new(OsStr::from_bytes(d)).join(arg0))
        .find(|c| nix::unistd::access(c, nix::unistd::AccessFlags::X_OK).is_ok() && c.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_kept_relative_joined_bare_searched() {
        assert_eq!(
            from_arg0(OsStr::new("/usr/local/bin/tg"), None).unwrap(),
            Path::new("/usr/local/bin/tg")
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            from_arg0(OsStr::new("./x/../tg"), None).unwrap(),
            cwd.join("x/../tg")
        );
        assert_eq!(
            from_arg0(OsStr::new("sh"), Some(OsStr::new("rel:/nonexistent:/bin"))).unwrap(),
            Path::new("/bin/sh")
        );
        assert_eq!(from_arg0(OsStr::new("sh"), None), None);
    }
}
