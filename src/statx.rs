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
    /// `mnt_id` is the 64-bit unique id (6.8+), which `statmount` takes,
    /// rather than the id `/proc/self/mountinfo` shows.
    pub mnt_id_unique: bool,
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
    // Both: a kernel that knows unique ids (6.8+) returns that one.
    let mask = libc::STATX_BASIC_STATS | libc::STATX_MNT_ID | libc::STATX_MNT_ID_UNIQUE;
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
        mnt_id: (s.stx_mask & (libc::STATX_MNT_ID | libc::STATX_MNT_ID_UNIQUE) != 0)
            .then_some(s.stx_mnt_id),
        mnt_id_unique: s.stx_mask & libc::STATX_MNT_ID_UNIQUE != 0,
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
        mnt_id_unique: false,
        mount_root: None,
    })
}

/// `statmount(2)`'s number: one table for x86_64 and the generic arches (Linux 6.8).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const SYS_STATMOUNT: libc::c_long = 457;

/// The `f_type` magic of the superblock of the mount with unique id `id`,
/// from the kernel's records (`statmount`, `STATMOUNT_SB_BASIC`): no round
/// trip to the filesystem, no mountinfo to read and parse. `ENOSYS` before 6.8.
pub fn sb_magic(id: u64) -> Result<u64, Errno> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        // struct mnt_id_req, version 0: size, spare, mnt_id, param (the mask).
        #[repr(C)]
        struct Req {
            size: u32,
            spare: u32,
            mnt_id: u64,
            param: u64,
        }
        const STATMOUNT_SB_BASIC: u64 = 1;
        let req = Req {
            size: std::mem::size_of::<Req>() as u32,
            spare: 0,
            mnt_id: id,
            param: STATMOUNT_SB_BASIC,
        };
        // struct statmount: room for all of it; the fields used are
        // size (u32 @0), mask (u64 @8), sb_magic (u64 @24).
        let mut buf = [0u64; 128];
        // SAFETY: `req` is a valid mnt_id_req of the size it states; `buf` is
        // writable for the byte length passed; flags 0.
        let rc = unsafe {
            libc::syscall(
                SYS_STATMOUNT,
                &req as *const Req,
                buf.as_mut_ptr(),
                std::mem::size_of_val(&buf),
                0u32,
            )
        };
        if rc != 0 {
            return Err(Errno::last());
        }
        if buf[1] & STATMOUNT_SB_BASIC == 0 {
            return Err(Errno::ENODATA);
        }
        Ok(buf[3])
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = id;
        Err(Errno::ENOSYS)
    }
}

/// The object behind `fd` lives on procfs, whose symlinks (`/proc/self`,
/// `/proc/<pid>/cwd`, `.../root`, `.../fd/N`) resolve differently in every
/// process. Asked only of symlinks about to be followed.
pub fn on_procfs(fd: BorrowedFd<'_>) -> bool {
    use nix::sys::statfs::{PROC_SUPER_MAGIC, fstatfs};
    fstatfs(fd).is_ok_and(|s| s.filesystem_type() == PROC_SUPER_MAGIC)
}
