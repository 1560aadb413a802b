//! `statx(2)` without a round trip to the filesystem, and `fstatfs` for the
//! one question only it answers (is this procfs?). The only `unsafe` of the
//! security checks; it belongs with the rest in `sys.rs` once that exists.
//!
//! Why statx and not `fstat`: on a FUSE mount whose daemon is stopped,
//! `fstat` waits for the daemon (verified on Linux 6.18: `fstat` of the
//! O_PATH fd of an attacker's stopped bindfs blocks; `statx` with
//! `AT_STATX_DONT_SYNC` answers from the attributes the kernel has). statx
//! also says whether the object is the root of a mount
//! (`STATX_ATTR_MOUNT_ROOT`) and which mount (`STATX_MNT_ID`), both Linux 5.8.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;
use nix::libc;

/// What `statx` reports that the checks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statx {
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    pub mode: u32,
    pub nlink: u32,
    /// The mount's id, when the kernel reports it (5.8+).
    pub mnt_id: Option<u64>,
    /// The object is the root of a mount; `None` when the kernel cannot say.
    pub mount_root: Option<bool>,
}

/// `statx(dirfd, path)`, with `AT_STATX_DONT_SYNC` unless `sync`; `path`
/// empty means the fd itself (`AT_EMPTY_PATH` is added). Symlinks are never
/// followed.
///
/// Without sync, the attributes of a FUSE mount's root that nothing has
/// asked its daemon about yet are the kernel's placeholder (owner root,
/// verified): good enough to see it is a mount, not to judge it. Callers
/// sync once they know whose mount it is.
/// Falls back to `fstatat` where statx is missing or filtered (old kernels,
/// old container seccomp profiles).
pub fn statx(dirfd: BorrowedFd<'_>, path: &CStr, sync: bool) -> Result<Statx, Errno> {
    let mut flags = libc::AT_SYMLINK_NOFOLLOW;
    if !sync {
        flags |= libc::AT_STATX_DONT_SYNC;
    }
    if path.is_empty() {
        flags |= libc::AT_EMPTY_PATH;
    }
    let mask = libc::STATX_BASIC_STATS | libc::STATX_MNT_ID;
    let mut buf = MaybeUninit::<libc::statx>::zeroed();
    // SAFETY: `path` is NUL-terminated and outlives the call; `buf` is a
    // writable statx buffer of the right size; the raw syscall (rather than
    // glibc's wrapper, absent before glibc 2.28) takes exactly these arguments.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_statx,
            dirfd.as_raw_fd(),
            path.as_ptr(),
            flags,
            mask,
            buf.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return match Errno::last() {
            Errno::ENOSYS | Errno::EPERM => fallback(dirfd, path),
            e => Err(e),
        };
    }
    // SAFETY: zero-initialised, and filled in by the kernel when rc == 0.
    let s = unsafe { buf.assume_init() };
    let attr_root = libc::STATX_ATTR_MOUNT_ROOT as u64;
    Ok(Statx {
        dev: nix::sys::stat::makedev(s.stx_dev_major.into(), s.stx_dev_minor.into()),
        ino: s.stx_ino,
        uid: s.stx_uid,
        mode: s.stx_mode.into(),
        nlink: s.stx_nlink,
        mnt_id: (s.stx_mask & libc::STATX_MNT_ID != 0).then_some(s.stx_mnt_id),
        mount_root: (s.stx_attributes_mask & attr_root != 0)
            .then_some(s.stx_attributes & attr_root != 0),
    })
}

fn fallback(dirfd: BorrowedFd<'_>, path: &CStr) -> Result<Statx, Errno> {
    let st = if path.is_empty() {
        nix::sys::stat::fstat(dirfd)?
    } else {
        nix::sys::stat::fstatat(dirfd, path, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)?
    };
    Ok(Statx {
        dev: st.st_dev,
        ino: st.st_ino,
        uid: st.st_uid,
        mode: st.st_mode,
        nlink: st.st_nlink as u32,
        mnt_id: None,
        mount_root: None,
    })
}

/// `f_type` of procfs.
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// The object behind `fd` lives on procfs, whose symlinks (`/proc/self`,
/// `/proc/<pid>/cwd`, `.../root`, `.../fd/N`) resolve differently in every
/// process. Asked only of symlinks about to be followed.
pub fn on_procfs(fd: BorrowedFd<'_>) -> bool {
    nix::sys::statfs::fstatfs(fd).is_ok_and(|s| s.filesystem_type().0 as i64 == PROC_SUPER_MAGIC)
}
