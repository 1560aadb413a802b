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
use nix::sys::stat::{Mode, mkdirat};

use crate::engine::fsinfo::{self, FsInfo};
use crate::engine::identity::{Passwd, SystemPasswd};
use crate::engine::mounts::{self, Accepted, Foreign};
use crate::engine::privdir::Stat;
use crate::engine::probe::{self, ProbeError};
use crate::engine::syslog;
use crate::sys::statx::{self, Statx};

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
    /// `/` and its stat when something earlier in this process (the site
    /// configuration's trust check) already opened and stat'ed it: handed
    /// over once, so the walk saves an `openat` and a `statx`.
    fn opened_root(&self) -> Option<(Handle, Stat)> {
        None
    }
    /// `openat(dir, name, O_PATH | O_NOFOLLOW)`, `O_DIRECTORY` too when `dir_only`:
    /// whatever is at the name, never following a symlink there.
    fn open_at(&self, dir: &Handle, name: &OsStr, dir_only: bool) -> Result<Handle, Errno>;
    /// The stat of the object `h` holds, without a round trip to its
    /// filesystem (a stopped FUSE daemon cannot hang it).
    fn fstat(&self, h: &Handle) -> Result<Stat, Errno>;
    /// [`Fs::fstat`], asking the filesystem (once its mount is known to be trusted).
    fn fresh_stat(&self, h: &Handle) -> Result<Stat, Errno>;
    /// What is at `<dir>/<name>`, not following a symlink, without a round trip.
    fn lstat_at(&self, dir: &Handle, name: &OsStr) -> Result<Stat, Errno>;
    /// `h` (a symlink) is on procfs: it means something else in every process.
    fn on_procfs(&self, h: &Handle) -> bool;
    /// Judge the mount whose root `root` is (statmount, `/proc/self/mountinfo`).
    fn mount(&self, root: &Stat, uid: u32) -> Result<Accepted, Foreign>;
    /// The target of the symlink open as `link`.
    fn readlink(&self, link: &Handle) -> Result<Vec<u8>, Errno>;
    /// `mkdirat(dir, name, mode)`.
    fn mkdir_at(&self, dir: &Handle, name: &OsStr, mode: u32) -> Result<(), Errno>;
    /// `unlinkat(dir, name, AT_REMOVEDIR)`: removes an empty directory only (in
    /// a sticky base, only one of the user's own).
    fn rmdir_at(&self, dir: &Handle, name: &OsStr) -> Result<(), Errno>;
    /// The fallback's record `name` in `dir` (see `fallback`): opened read-write,
    /// made (mode 0600) if absent, never through a symlink, never blocking on
    /// a FIFO. ENOSYS where there is no real file to have.
    fn open_record(&self, dir: &Handle, name: &OsStr) -> Result<std::fs::File, Errno>;
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
    /// Bytes an unprivileged user may still write on the filesystem of `dir`
    /// (`fstatvfs`): the site's `min_free`.
    fn free_bytes(&self, dir: &Handle) -> Result<u64, Errno>;
}

impl From<&Statx> for Stat {
    fn from(st: &Statx) -> Stat {
        Stat {
            dev: st.dev,
            ino: st.ino,
            uid: st.uid,
            mode: st.mode,
            nlink: st.nlink,
            mnt_id: st.mnt_id,
            mnt_id_unique: st.mnt_id_unique,
            mount_root: st.mount_root,
        }
    }
}

/// The real system calls.
pub struct RealFs;

/// `/` as [`with_root`] opened and stat'ed it, until the walk takes it.
static OPENED_ROOT: std::sync::Mutex<Option<(OwnedFd, Statx)>> = std::sync::Mutex::new(None);

fn open_root() -> Result<OwnedFd, Errno> {
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    openat(AT_FDCWD, "/", flags, Mode::empty())
}

/// Call `f` with `/` opened `O_PATH` and its stat (the same `statx` the
/// walk makes), then keep both for [`Fs::opened_root`] of [`RealFs`]: the
/// configuration's check of `/` and the walk's are one `openat` and one
/// `statx`. The walk gets the very descriptor that was checked.
pub fn with_root<T>(f: impl FnOnce(BorrowedFd<'_>, &Statx) -> T) -> Result<T, Errno> {
    let mut kept = OPENED_ROOT.lock().unwrap_or_else(|e| e.into_inner());
    if kept.is_none() {
        let fd = open_root()?;
        let st = statx::statx(fd.as_fd(), c"", false)?;
        *kept = Some((fd, st));
    }
    let (fd, st) = kept.as_ref().expect("just set");
    Ok(f(fd.as_fd(), st))
}

impl Fs for RealFs {
    fn root(&self) -> Result<Handle, Errno> {
        open_root().map(Handle::Os)
    }

    fn opened_root(&self) -> Option<(Handle, Stat)> {
        let mut kept = OPENED_ROOT.lock().unwrap_or_else(|e| e.into_inner());
        kept.take()
            .map(|(fd, st)| (Handle::Os(fd), Stat::from(&st)))
    }

    fn open_at(&self, dir: &Handle, name: &OsStr, dir_only: bool) -> Result<Handle, Errno> {
        let mut flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        if dir_only {
            flags |= OFlag::O_DIRECTORY;
        }
        openat(dir.fd()?, name, flags, Mode::empty()).map(Handle::Os)
    }

    fn fstat(&self, h: &Handle) -> Result<Stat, Errno> {
        statx::statx(h.fd()?, c"", false).map(|s| Stat::from(&s))
    }

    fn fresh_stat(&self, h: &Handle) -> Result<Stat, Errno> {
        statx::statx(h.fd()?, c"", true).map(|s| Stat::from(&s))
    }

    fn lstat_at(&self, dir: &Handle, name: &OsStr) -> Result<Stat, Errno> {
        let name = std::ffi::CString::new(name.as_bytes()).map_err(|_| Errno::EINVAL)?;
        statx::statx(dir.fd()?, &name, false).map(|s| Stat::from(&s))
    }

    fn on_procfs(&self, h: &Handle) -> bool {
        h.fd().is_ok_and(statx::on_procfs)
    }

    fn mount(&self, root: &Stat, uid: u32) -> Result<Accepted, Foreign> {
        mounts::check(root, uid)
    }

    fn readlink(&self, link: &Handle) -> Result<Vec<u8>, Errno> {
        readlinkat(link.fd()?, "").map(|t| t.as_bytes().to_vec())
    }

    fn open_record(&self, dir: &Handle, name: &OsStr) -> Result<std::fs::File, Errno> {
        let flags = OFlag::O_RDWR
            | OFlag::O_CREAT
            | OFlag::O_NOFOLLOW
            | OFlag::O_NONBLOCK
            | OFlag::O_NOCTTY
            | OFlag::O_CLOEXEC;
        openat(dir.fd()?, name, flags, Mode::from_bits_truncate(0o600)).map(std::fs::File::from)
    }

    fn mkdir_at(&self, dir: &Handle, name: &OsStr, mode: u32) -> Result<(), Errno> {
        mkdirat(dir.fd()?, name, Mode::from_bits_truncate(mode))
    }

    fn rmdir_at(&self, dir: &Handle, name: &OsStr) -> Result<(), Errno> {
        nix::unistd::unlinkat(dir.fd()?, name, nix::unistd::UnlinkatFlags::RemoveDir)
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

    fn free_bytes(&self, dir: &Handle) -> Result<u64, Errno> {
        let vfs = nix::sys::statvfs::fstatvfs(dir.fd()?)?;
        Ok((vfs.blocks_available() as u64).saturating_mul(vfs.fragment_size() as u64))
    }
}
