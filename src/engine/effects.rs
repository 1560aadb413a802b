//! Every read and write the engine makes, behind one small interface.
//!
//! [`RealFs`] makes the system calls. doctor runs the same engine over
//! [`DryRun`](crate::engine::dryrun::DryRun), which reads for real and only
//! pretends to write, so "what init would do" cannot drift from what init
//! does. Unit tests run it over a scripted double (`engine::scripted`) that
//! makes races and faults happen exactly where a test wants them.

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD, AtFlags, OFlag, openat, readlinkat};
use nix::sys::stat::{FileStat, Mode, fstat, fstatat, mkdirat};

use crate::engine::fsinfo::{self, FsInfo};
use crate::engine::identity::{Passwd, SystemPasswd};
use crate::engine::privdir::Stat;
use crate::engine::probe::{self, ProbeError};
use crate::engine::syslog;

/// An open object: a real file descriptor, or a stand-in of a test double or
/// of a directory a dry run only pretends to have made.
#[derive(Debug)]
pub enum Handle {
    Os(OwnedFd),
    Fake(u64),
}

impl Handle {
    /// The real descriptor; EBADF for a stand-in (never given to [`RealFs`]).
    pub fn fd(&self) -> Result<BorrowedFd<'_>, Errno> {
        match self {
            Handle::Os(fd) => Ok(fd.as_fd()),
            Handle::Fake(_) => Err(Errno::EBADF),
        }
    }
}

/// The reads and writes of the engine (and of doctor's gathering).
pub trait Fs {
    /// `/`, opened `O_PATH`.
    fn root(&self) -> Result<Handle, Errno>;
    /// `openat(dir, name, O_PATH | O_NOFOLLOW)`, `O_DIRECTORY` too when `dir_only`:
    /// whatever is at the name, never following a symlink there.
    fn open_at(&self, dir: &Handle, name: &OsStr, dir_only: bool) -> Result<Handle, Errno>;
    fn fstat(&self, h: &Handle) -> Result<Stat, Errno>;
    /// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`.
    fn lstat_at(&self, dir: &Handle, name: &OsStr) -> Result<Stat, Errno>;
    /// The target of the symlink open as `link`.
    fn readlink(&self, link: &Handle) -> Result<Vec<u8>, Errno>;
    /// The names in a directory (`readdir`).
    fn list(&self, dir: &Handle) -> Result<Vec<Vec<u8>>, Errno>;
    /// `mkdirat(dir, name, mode)`.
    fn mkdir_at(&self, dir: &Handle, name: &OsStr, mode: u32) -> Result<(), Errno>;
    /// Set the permission bits of the object open as `h` (no path lookup).
    fn chmod(&self, h: &Handle, mode: u32) -> Result<(), Errno>;
    /// CPython's probe in the directory open as `dir`.
    fn probe(&self, dir: &Handle) -> Result<(), ProbeError>;
    /// CPython's probe by path, following symlinks as Python does (doctor).
    fn probe_path(&self, dir: &Path) -> Result<(), ProbeError>;
    /// Could a name be made in `dir` (write and search permission)? Changes nothing.
    fn can_create_in(&self, dir: &Handle) -> Result<(), Errno>;
    /// One line to the system log; whether it was sent.
    fn log(&self, msg: &str) -> bool;
    /// passwd lookups (NSS).
    fn passwd(&self) -> &dyn Passwd;
    /// The filesystem under `dir` (`statvfs`, `/proc/self/mountinfo`): for doctor.
    fn fs_info(&self, dir: &Path) -> Result<FsInfo, Errno>;
}

impl From<&FileStat> for Stat {
    fn from(st: &FileStat) -> Stat {
        Stat {
            dev: st.st_dev,
            ino: st.st_ino,
            uid: st.st_uid,
            mode: st.st_mode,
        }
    }
}

/// The real system calls.
pub struct RealFs;

impl Fs for RealFs {
    fn root(&self) -> Result<Handle, Errno> {
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        openat(AT_FDCWD, "/", flags, Mode::empty()).map(Handle::Os)
    }

    fn open_at(&self, dir: &Handle, name: &OsStr, dir_only: bool) -> Result<Handle, Errno> {
        let mut flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        if dir_only {
            flags |= OFlag::O_DIRECTORY;
        }
        openat(dir.fd()?, name, flags, Mode::empty()).map(Handle::Os)
    }

    fn fstat(&self, h: &Handle) -> Result<Stat, Errno> {
        fstat(h.fd()?).map(|s| Stat::from(&s))
    }

    fn lstat_at(&self, dir: &Handle, name: &OsStr) -> Result<Stat, Errno> {
        fstatat(dir.fd()?, name, AtFlags::AT_SYMLINK_NOFOLLOW).map(|s| Stat::from(&s))
    }

    fn readlink(&self, link: &Handle) -> Result<Vec<u8>, Errno> {
        readlinkat(link.fd()?, "").map(|t| t.as_bytes().to_vec())
    }

    fn list(&self, dir: &Handle) -> Result<Vec<Vec<u8>>, Errno> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut listing = nix::dir::Dir::openat(dir.fd()?, ".", flags, Mode::empty())?;
        Ok(listing
            .iter()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_bytes().to_vec())
            .collect())
    }

    fn mkdir_at(&self, dir: &Handle, name: &OsStr, mode: u32) -> Result<(), Errno> {
        mkdirat(dir.fd()?, name, Mode::from_bits_truncate(mode))
    }

    fn chmod(&self, h: &Handle, mode: u32) -> Result<(), Errno> {
        // fchmod does not take an O_PATH fd: go through its /proc/self/fd
        // link, which names exactly the inode the fd holds (no path lookup
        // that could be raced).
        let link = format!("/proc/self/fd/{}", h.fd()?.as_raw_fd());
        nix::sys::stat::fchmodat(
            AT_FDCWD,
            link.as_str(),
            Mode::from_bits_truncate(mode),
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )
    }

    fn probe(&self, dir: &Handle) -> Result<(), ProbeError> {
        match dir.fd() {
            Ok(fd) => probe::probe_fd(fd),
            Err(errno) => Err(ProbeError {
                step: probe::Step::Create,
                errno,
            }),
        }
    }

    fn probe_path(&self, dir: &Path) -> Result<(), ProbeError> {
        probe::probe_path(dir)
    }

    fn can_create_in(&self, dir: &Handle) -> Result<(), Errno> {
        use nix::unistd::{AccessFlags, faccessat};
        faccessat(
            dir.fd()?,
            ".",
            AccessFlags::W_OK | AccessFlags::X_OK,
            AtFlags::empty(),
        )
    }

    fn log(&self, msg: &str) -> bool {
        syslog::warn(msg)
    }

    fn passwd(&self) -> &dyn Passwd {
        &SystemPasswd
    }

    fn fs_info(&self, dir: &Path) -> Result<FsInfo, Errno> {
        fsinfo::inspect(dir)
    }
}
