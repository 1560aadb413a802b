//! CPython's usability probe (`tempfile._get_default_tempdir`), exactly.
//!
//! For one directory: up to [`ATTEMPTS`] random names; for each,
//! `open(O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW, 0600)`, write `blat`, close, unlink.
//! EEXIST tries another name; any other error makes the directory unusable.

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;

use crate::engine::errno;
use crate::engine::random::Chars;
use nix::fcntl::{AT_FDCWD, OFlag, openat};
use nix::sys::stat::Mode;
use nix::unistd::{UnlinkatFlags, unlinkat, write};

/// Names tried per directory. CPython up to 3.12 uses `TMP_MAX` (100 on
/// Linux); 3.13+ uses 20 (gh-66305). We follow 3.12 and earlier, Debian 12's
/// python3 being 3.11; on POSIX the two only differ after 20 collisions in a row.
pub const ATTEMPTS: usize = 100;

/// CPython's `_RandomNameSequence.characters`.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";

/// The step of the probe that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Write,
    Close,
    Remove,
    /// Not tried: the directory is on a network or FUSE filesystem that did
    /// not answer within the time budget (errno `ETIMEDOUT`).
    NoAnswer,
}

/// Why a directory failed the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeError {
    pub step: Step,
    pub errno: Errno,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            Step::Create => "creating a file",
            Step::Write => "writing a file",
            Step::Close => "closing a file",
            Step::Remove => "removing a file",
            Step::NoAnswer => {
                let s = crate::engine::hang::said(crate::engine::hang::budget());
                return write!(f, "its filesystem did not answer within {s}");
            }
        };
        write!(f, "{step} failed: {}", errno::text(self.errno))
    }
}

/// Probe the directory open as `dir`, creating names relative to the fd.
pub fn probe_fd(dir: BorrowedFd<'_>) -> Result<(), ProbeError> {
    probe_at(dir, &[])
}

/// Probe by path, as Python does (following symlinks in `dir`): for `doctor`.
pub fn probe_path(dir: &Path) -> Result<(), ProbeError> {
    if crate::engine::hang::check_path(dir).is_err() {
        return Err(ProbeError {
            step: Step::NoAnswer,
            errno: Errno::ETIMEDOUT,
        });
    }
    let mut prefix = dir.as_os_str().as_bytes().to_vec();
    if prefix.last() != Some(&b'/') {
        prefix.push(b'/');
    }
    probe_at(AT_FDCWD, &prefix)
}

fn probe_at(dirfd: BorrowedFd<'_>, prefix: &[u8]) -> Result<(), ProbeError> {
    let mut rng = Chars::new();
    let mut last = Errno::EEXIST;
    for _ in 0..ATTEMPTS {
        let mut name = prefix.to_vec();
        name.extend(rng.take(ALPHABET, 8));
        let name = std::ffi::OsStr::from_bytes(&name);
        match try_name(dirfd, name) {
            Ok(()) => return Ok(()),
            Err(e) if e.step == Step::Create && e.errno == Errno::EEXIST => last = e.errno,
            Err(e) => return Err(e),
        }
    }
    Err(ProbeError {
        step: Step::Create,
        errno: last,
    })
}

fn try_name(dirfd: BorrowedFd<'_>, name: &std::ffi::OsStr) -> Result<(), ProbeError> {
    let flags =
        OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = openat(dirfd, name, flags, Mode::from_bits_truncate(0o600)).map_err(|errno| {
        ProbeError {
            step: Step::Create,
            errno,
        }
    })?;
    // Like Python: write, close, and remove the file whatever happened.
    let wrote = write_all(fd.as_fd(), b"blat").map_err(|errno| ProbeError {
        step: Step::Write,
        errno,
    });
    let closed = nix::unistd::close(fd).map_err(|errno| ProbeError {
        step: Step::Close,
        errno,
    });
    let removed = unlinkat(dirfd, name, UnlinkatFlags::NoRemoveDir).map_err(|errno| ProbeError {
        step: Step::Remove,
        errno,
    });
    wrote.and(closed).and(removed)
}

fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::open;

    fn scratch() -> std::path::PathBuf {
        crate::testutil::scratch("probe")
    }

    #[test]
    fn usable_dir_passes_and_leaves_nothing() {
        let d = scratch();
        let fd = open(&d, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        probe_fd(fd.as_fd()).unwrap();
        probe_path(&d).unwrap();
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
        std::fs::remove_dir(&d).unwrap();
    }

    #[test]
    fn missing_dir_fails_with_enoent() {
        let d = scratch().join("missing");
        let e = probe_path(&d).unwrap_err();
        assert_eq!((e.step, e.errno), (Step::Create, Errno::ENOENT));
        assert_eq!(e.errno, Errno::ENOENT);
    }

    #[test]
    fn error_text_names_step_and_errno() {
        let e = ProbeError {
            step: Step::Write,
            errno: Errno::EDQUOT,
        };
        assert_eq!(
            e.to_string(),
            "writing a file failed: EDQUOT: Disk quota exceeded"
        );
    }
}
