//! Every line of `unsafe` in tmpguard, and nothing else.
//!
//! The crate denies `unsafe_code` (Cargo.toml, `[lints]`); this module alone
//! allows it. What is here: the C `main` (the process entry point, without
//! std's runtime set-up), the check that fds 0-2 are open, the signal
//! dispositions tmpguard changes while it works and gives back before `exec`,
//! the system calls nix lacks, and the heap ([`Arena`]).
//! Keep it small: a new `unsafe` elsewhere is a build error, on purpose.
#![allow(unsafe_code)]

use std::ffi::c_int;
use std::mem::MaybeUninit;

use nix::libc;

/// What the C runtime calls: set up, run, and return the exit status
/// (returning from `main` calls `exit`, as std's runtime does).
///
/// tmpguard runs at every shell start, and std's set-up before `fn main`
/// costs more than tmpguard's own work: to place a guard page for its
/// stack-overflow message it reads `/proc/self/maps` through
/// `pthread_getattr_np` (sscanf over every line), installs SIGSEGV/SIGBUS
/// handlers on an alternate stack and queries the CPU affinity: about 95,000
/// instructions and 20 system calls. The crate is `#![no_main]`, and this
/// keeps the one part of that set-up that changes behaviour: fds 0-2 are
/// opened on /dev/null if closed. A stack overflow still kills the process,
/// only without std's message. Signal dispositions are `run`'s business.
///
/// The arguments come from here, not from `std::env::args`: std fills that
/// from an `.init_array` hook on glibc only, and a static musl binary would
/// see no arguments at all.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const std::ffi::c_char) -> c_int {
    use std::ffi::{CStr, OsStr};
    use std::os::unix::ffi::OsStrExt;

    standard_fds();
    let count = usize::try_from(argc).unwrap_or(0);
    let mut args = Vec::with_capacity(count);
    for i in 0..count {
        // SAFETY: the C runtime passes `argv` with `argc` valid entries
        // followed by a null pointer (C11 5.1.2.2.1); `i < argc`, so the read
        // is in bounds. Linux allows argc == 0 (`execve` with an empty
        // argv), which reads nothing.
        let arg = unsafe { *argv.add(i) };
        if arg.is_null() {
            break;
        }
        // SAFETY: each non-null `argv[i]` is a NUL-terminated string that
        // lives, unmodified by us, until the process exits.
        let bytes = unsafe { CStr::from_ptr(arg) }.to_bytes();
        args.push(OsStr::from_bytes(bytes).to_owned());
    }
    c_int::from(crate::run(args))
}

/// Open /dev/null on any of fds 0-2 that is closed, as std does: otherwise a
/// directory or probe file opened later could land on fd 1 or 2. Best effort:
/// where std would abort, a shell start is better served by going on.
#[cfg(not(test))]
fn standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    loop {
        // SAFETY: `fds` is a valid, writable array of 3 pollfd for the
        // duration of the call; poll does not keep the pointer.
        if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } != -1 {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
    for _ in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // Lands on the lowest closed fd, which is this one (in order 0, 1, 2);
        // deliberately left open (no fd is owned, so nothing to wrap).
        // SAFETY: a NUL-terminated path literal; open has no other
        // preconditions.
        unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
    }
}

/// A signal tmpguard ignores while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Writing to a closed pipe: a reported failure (exit 1), not a silent death.
    Pipe,
    /// Writing past `ulimit -f`: `EFBIG` from `write`, which the probe reports,
    /// instead of a core-dumping death.
    Xfsz,
}

impl Signal {
    fn number(self) -> c_int {
        match self {
            Signal::Pipe => libc::SIGPIPE,
            Signal::Xfsz => libc::SIGXFSZ,
        }
    }
}

/// The dispositions tmpguard started with, for the signals it changed.
pub struct Dispositions {
    saved: Vec<(c_int, libc::sigaction)>,
}

/// Ignore `signals` from now on; returns what they were, for [`Dispositions::restore`].
/// A signal whose disposition cannot be read or changed is left alone.
pub fn ignore(signals: &[Signal]) -> Dispositions {
    let mut saved = Vec::with_capacity(signals.len());
    for sig in signals {
        let sig = sig.number();
        // SAFETY: sigaction is all-integer/pointer plain data; zeroes are a
        // valid "default, empty mask, no flags" value.
        let mut act: libc::sigaction = unsafe { MaybeUninit::zeroed().assume_init() };
        act.sa_sigaction = libc::SIG_IGN;
        let mut old = MaybeUninit::<libc::sigaction>::uninit();
        // SAFETY: `act` is a valid sigaction and `old` is writable memory for
        // one; SIG_IGN installs no handler, so no code of ours can run
        // asynchronously. The kernel fills `old` when the call succeeds.
        if unsafe { libc::sigaction(sig, &act, old.as_mut_ptr()) } == 0 {
            // SAFETY: initialised by the successful sigaction above.
            saved.push((sig, unsafe { old.assume_init() }));
        }
    }
    Dispositions { saved }
}

impl Dispositions {
    /// Put back the dispositions tmpguard started with, so that a program it
    /// execs gets what it would have got without tmpguard (an ignored signal
    /// stays ignored across `execve`; a default one must be default again).
    pub fn restore(&self) {
        for (sig, old) in &self.saved {
            if old.sa_sigaction == libc::SIG_IGN {
                continue; // already what it was
            }
            // SAFETY: `old` is the sigaction the kernel returned for `sig`
            // (SIG_DFL or SIG_IGN at our start: execve resets handlers), so
            // reinstalling it installs no handler of ours.
            unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
        }
    }
}

/// Whether `sig` is ignored right now (tests).
#[cfg(test)]
pub fn is_ignored(sig: Signal) -> bool {
    let mut old = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null new action only reads the current one into `old`.
    let ok = unsafe { libc::sigaction(sig.number(), std::ptr::null(), old.as_mut_ptr()) } == 0;
    // SAFETY: initialised by the successful sigaction above.
    ok && unsafe { old.assume_init() }.sa_sigaction == libc::SIG_IGN
}

// ---- Raw system calls for XDG_RUNTIME_DIR (issue 18) ----
//
// Through `syscall(2)`, which the binary imports already, rather than glibc's
// wrappers: each new dynamic symbol costs every shell start its lookup at
// load time (about 400 instructions), and these are statfs (the fast path)
// and mount, umount2 and flock (the root-only site command).

/// `f_type` of the filesystem holding `path` (`statfs(2)`, following a
/// final symlink, as `statfs` does).
pub fn statfs_type(path: &std::ffi::CStr) -> Result<u64, nix::errno::Errno> {
    let mut buf = MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `path` is a valid NUL-terminated string for the call's
    // duration; `buf` is a writable `struct statfs` the kernel fills (the
    // raw syscall's layout is glibc's `struct statfs` on 64-bit Linux).
    let r = unsafe { libc::syscall(libc::SYS_statfs, path.as_ptr(), buf.as_mut_ptr()) };
    if r != 0 {
        return Err(nix::errno::Errno::last());
    }
    // SAFETY: the call succeeded, so the kernel filled `buf`.
    Ok(unsafe { buf.assume_init() }.f_type as u64)
}

/// `mount(2)`.
pub fn mount(
    source: &std::ffi::CStr,
    target: &std::ffi::CStr,
    fstype: &std::ffi::CStr,
    flags: u64,
    data: &std::ffi::CStr,
) -> Result<(), nix::errno::Errno> {
    // SAFETY: every pointer is a valid NUL-terminated string for the call's
    // duration; `flags` is a plain integer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount,
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags as libc::c_ulong,
            data.as_ptr(),
        )
    };
    if r != 0 {
        return Err(nix::errno::Errno::last());
    }
    Ok(())
}

/// `umount2(2)`.
pub fn umount2(target: &std::ffi::CStr, flags: c_int) -> Result<(), nix::errno::Errno> {
    // SAFETY: `target` is a valid NUL-terminated string for the call.
    let r = unsafe { libc::syscall(libc::SYS_umount2, target.as_ptr(), flags) };
    if r != 0 {
        return Err(nix::errno::Errno::last());
    }
    Ok(())
}

/// `flock(fd, LOCK_EX)`, waiting; released when `fd` is closed.
pub fn flock_exclusive(fd: std::os::fd::BorrowedFd<'_>) -> Result<(), nix::errno::Errno> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: `fd` is an open descriptor borrowed for the call.
        let r = unsafe { libc::syscall(libc::SYS_flock, fd.as_raw_fd(), libc::LOCK_EX) };
        match r {
            0 => return Ok(()),
            _ if nix::errno::Errno::last() == nix::errno::Errno::EINTR => continue,
            _ => return Err(nix::errno::Errno::last()),
        }
    }
}

/// `fork()`. tmpguard never starts a thread, so the child may run any code
/// (no lock can be held by a thread that does not exist in the child).
pub fn fork() -> nix::Result<nix::unistd::ForkResult> {
    // SAFETY: the process is single-threaded (tmpguard starts no thread), so
    // the child's copy of the allocator and of every lock is consistent.
    unsafe { nix::unistd::fork() }
}

/// `_exit(code)`: end a forked child without running the parent's exit handlers.
pub fn exit_now(code: c_int) -> ! {
    // SAFETY: _exit has no preconditions and does not return.
    unsafe { libc::_exit(code) }
}

/// Close every descriptor numbered `first` or above but those in `keep`:
/// what a process started by root inherited and must not keep once it acts
/// as a user (`clean`'s owner process), or what a detached helper must not
/// hold (exec's lock holder).
pub fn close_fds_from(first: c_int, keep: &[c_int]) {
    // Collected first: the listing's own descriptor is among them.
    let fds: Vec<c_int> = match std::fs::read_dir("/proc/self/fd") {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .filter(|&fd| fd >= first && !keep.contains(&fd))
            .collect(),
        Err(_) => (first..1024).filter(|fd| !keep.contains(fd)).collect(),
    };
    for fd in fds {
        // SAFETY: closing a descriptor number. Called first thing in those
        // processes, before they open or wrap any descriptor of their own, so
        // no OwnedFd refers to one of these numbers.
        unsafe { libc::close(fd) };
    }
}

/// `pidfd_open(pid, 0)`: a descriptor that becomes readable when `pid` exits.
pub fn pidfd_open(pid: c_int) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: the system call takes two integers and returns a new
    // descriptor or -1; no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a descriptor the kernel just created, owned by nothing else.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as c_int) })
}

/// In a detached child: /dev/null as fds 0-2, every other fd but `keep`
/// closed, so the child holds no pipe or terminal of whoever started us.
/// Fds owned by Rust objects are closed under them: the child never drops
/// them (it leaves through `_exit`).
pub fn keep_only(keep: &[std::os::fd::RawFd]) {
    // SAFETY: plain system calls on this process's fd table; the path is a
    // NUL-terminated literal.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
        }
    }
    let mut keep: Vec<u32> = keep
        .iter()
        .chain(&[0, 1, 2])
        .filter_map(|&f| u32::try_from(f).ok())
        .collect();
    keep.sort_unstable();
    keep.dedup();
    let mut from = 0u32;
    for k in keep.into_iter().chain([u32::MAX]) {
        if k > from {
            // SAFETY: closes fds of this process only (see above).
            let r = unsafe { libc::syscall(libc::SYS_close_range, from, k - 1, 0) };
            if r != 0 {
                // A kernel before 5.9: one by one, as far as fds usually go.
                for fd in from..=(k - 1).min(4095) {
                    // SAFETY: as above.
                    unsafe { libc::close(fd as c_int) };
                }
            }
        }
        from = k.saturating_add(1);
    }
}

// `statx` and `statmount` for the security checks (issue 13).
/// Read from `fd` into `buf` (uninitialised: no memset for a buffer that
/// is mostly not used) until `want` bytes, end of file or `buf` is full;
/// the bytes read. Retries `EINTR`.
pub fn read_full<'b>(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &'b mut [MaybeUninit<u8>],
    want: usize,
) -> std::io::Result<&'b [u8]> {
    use std::os::fd::AsRawFd;
    let mut len = 0;
    while len < buf.len() && len < want {
        let rest = &mut buf[len..];
        // SAFETY: `rest` is writable memory of `rest.len()` bytes that
        // outlives the call; read(2) writes at most that many.
        let n = unsafe { libc::read(fd.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
        match n {
            0 => break,
            n if n > 0 => len += n as usize,
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    // SAFETY: the kernel initialised the first `len` bytes (the sum of
    // what each read(2) reported, each within bounds).
    Ok(unsafe { std::slice::from_raw_parts(buf.as_ptr().cast(), len) })
}

pub mod statx {
    //! `statx(2)` without a round trip to the filesystem, `statmount(2)` for
    //! a mount's superblock, and `fstatfs` for the one question only it
    //! answers (is this procfs?).
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
    /// The kernel's `struct statx` (include/uapi/linux/stat.h), declared here
    /// because the libc crate has it for glibc only (the musl build needs it too).
    #[repr(C)]
    struct RawStatx {
        stx_mask: u32,
        stx_blksize: u32,
        stx_attributes: u64,
        stx_nlink: u32,
        stx_uid: u32,
        stx_gid: u32,
        stx_mode: u16,
        spare0: u16,
        stx_ino: u64,
        stx_size: u64,
        stx_blocks: u64,
        stx_attributes_mask: u64,
        /// atime, btime, ctime, mtime: `{ i64 sec; u32 nsec; i32 pad }` each.
        times: [u64; 8],
        stx_rdev_major: u32,
        stx_rdev_minor: u32,
        stx_dev_major: u32,
        stx_dev_minor: u32,
        stx_mnt_id: u64,
        spare: [u64; 13],
    }
    const _: () = assert!(std::mem::size_of::<RawStatx>() == 256);

    const AT_STATX_DONT_SYNC: libc::c_int = 0x4000;
    const STATX_BASIC_STATS: u32 = 0x7ff;
    const STATX_MNT_ID: u32 = 0x1000;
    const STATX_MNT_ID_UNIQUE: u32 = 0x4000;
    const STATX_ATTR_MOUNT_ROOT: u64 = 0x2000;

    pub fn statx(dirfd: BorrowedFd<'_>, path: &CStr, sync: bool) -> Result<Statx, Errno> {
        let mut flags = libc::AT_SYMLINK_NOFOLLOW;
        if !sync {
            flags |= AT_STATX_DONT_SYNC;
        }
        if path.is_empty() {
            flags |= libc::AT_EMPTY_PATH;
        }
        // Both: a kernel that knows unique ids (6.8+) returns that one.
        let mask = STATX_BASIC_STATS | STATX_MNT_ID | STATX_MNT_ID_UNIQUE;
        let mut buf = MaybeUninit::<RawStatx>::zeroed();
        // SAFETY: `path` is NUL-terminated and outlives the call; `buf` is a
        // writable buffer of the kernel's struct statx size (256 bytes,
        // asserted above); the raw syscall (rather than glibc's wrapper,
        // absent before glibc 2.28 and in the libc crate for musl) takes
        // exactly these arguments.
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
        // SAFETY: zero-initialised (every field an integer), and filled in by
        // the kernel when rc == 0.
        let s = unsafe { buf.assume_init() };
        Ok(Statx {
            dev: nix::sys::stat::makedev(s.stx_dev_major.into(), s.stx_dev_minor.into()),
            ino: s.stx_ino,
            uid: s.stx_uid,
            mode: s.stx_mode.into(),
            nlink: s.stx_nlink,
            mnt_id: (s.stx_mask & (STATX_MNT_ID | STATX_MNT_ID_UNIQUE) != 0)
                .then_some(s.stx_mnt_id),
            mnt_id_unique: s.stx_mask & STATX_MNT_ID_UNIQUE != 0,
            mount_root: (s.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT != 0)
                .then_some(s.stx_attributes & STATX_ATTR_MOUNT_ROOT != 0),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_then_restore_gives_back_the_start_disposition() {
        // Only SIGXFSZ: libtest's own runtime ignores SIGPIPE already.
        let before = is_ignored(Signal::Xfsz);
        let saved = ignore(&[Signal::Xfsz]);
        assert!(is_ignored(Signal::Xfsz));
        saved.restore();
        assert_eq!(is_ignored(Signal::Xfsz), before);
    }
}

/// The heap: a bump allocator over a fixed arena, then the C library's.
///
/// A shell start allocates a few kilobytes, mostly short-lived, and exits.
/// musl's allocator (the shipped build is static musl) maps a page per new
/// size class and spends about a third of the start's instructions in
/// `malloc`/`free`; glibc's sets up its arena with `brk`. Here an
/// allocation is an aligned bump of an offset in `.bss` (no system call;
/// a page costs its fault only when first touched), freeing gives back only
/// the most recent block, and when the arena is used up the C library's
/// allocator takes over, so a long `clean` or `doctor` run is never short
/// of memory: at most the arena's size is never reused.
pub struct Arena<const N: usize> {
    space: std::cell::UnsafeCell<[u8; N]>,
    /// Bytes of `space` handed out (the offset of the next free byte).
    used: std::sync::atomic::AtomicUsize,
}

// SAFETY: `space` is only reached through offsets that `used`'s
// compare-and-swap hands to one caller each, so no two callers share a byte.
unsafe impl<const N: usize> Sync for Arena<N> {}

impl<const N: usize> Arena<N> {
    pub const fn new() -> Self {
        Self {
            space: std::cell::UnsafeCell::new([0; N]),
            used: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The offset of `ptr` in the arena, if it is in it.
    fn offset(&self, ptr: *mut u8) -> Option<usize> {
        let base = self.space.get() as usize;
        (ptr as usize).checked_sub(base).filter(|&o| o < N)
    }

    /// `size` bytes aligned to `align` (a power of two), or null when the
    /// arena has no room.
    fn bump(&self, size: usize, align: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let base = self.space.get() as usize;
        let mut used = self.used.load(Relaxed);
        loop {
            let Some(start) = (base + used).checked_next_multiple_of(align) else {
                return std::ptr::null_mut();
            };
            let end = start - base + size;
            if end > N {
                return std::ptr::null_mut();
            }
            match self.used.compare_exchange_weak(used, end, Relaxed, Relaxed) {
                // Derived from `space`'s pointer, so it keeps its provenance.
                Ok(_) => return self.space.get().cast::<u8>().wrapping_add(start - base),
                Err(now) => used = now,
            }
        }
    }
}

impl<const N: usize> Default for Arena<N> {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: `alloc` returns either a block of the arena that no other live
// allocation overlaps (`bump`) or the system allocator's; `dealloc` and
// `realloc` tell the two apart by address and give the system's back to it.
unsafe impl<const N: usize> std::alloc::GlobalAlloc for Arena<N> {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = self.bump(layout.size(), layout.align());
        if p.is_null() {
            // SAFETY: the caller's layout, passed on unchanged.
            unsafe { std::alloc::System.alloc(layout) }
        } else {
            p
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        use std::sync::atomic::Ordering::Relaxed;
        match self.offset(ptr) {
            // The most recent block is given back; any other stays used.
            Some(o) => {
                let _ = self
                    .used
                    .compare_exchange(o + layout.size(), o, Relaxed, Relaxed);
            }
            // SAFETY: not in the arena, so the system allocator made it,
            // with this layout (the caller's contract).
            None => unsafe { std::alloc::System.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(o) = self.offset(ptr) else {
            // SAFETY: the system allocator's block, with the caller's layout.
            return unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        };
        // The most recent block grows or shrinks in place when it fits.
        if o + new_size <= N
            && self
                .used
                .compare_exchange(o + layout.size(), o + new_size, Relaxed, Relaxed)
                .is_ok()
        {
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: `layout.align()` is a valid alignment and `new_size` is
        // non-zero and does not overflow when rounded (the caller's contract).
        let new_layout =
            unsafe { std::alloc::Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a valid layout, as above.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for `layout.size()` bytes (the
            // new one is larger) and distinct allocations do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
            // SAFETY: `ptr` was allocated here with `layout`.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

/// 64 KiB: a shell start, with a site file, uses a fraction of it.
#[cfg(not(test))]
#[global_allocator]
static HEAP: Arena<{ 64 * 1024 }> = Arena::new();

#[cfg(test)]
mod arena_tests {
    use super::Arena;
    use std::alloc::{GlobalAlloc, Layout};

    #[test]
    fn bumps_aligned_reuses_the_last_block_and_falls_back_when_full() {
        let a: Box<Arena<256>> = Box::default();
        let l = |size, align| Layout::from_size_align(size, align).unwrap();
        // SAFETY (test): layouts are valid and every pointer goes back with its layout.
        unsafe {
            let p = a.alloc(l(3, 1));
            assert_eq!(a.offset(p), Some(0));
            let q = a.alloc(l(8, 8));
            assert_eq!(a.offset(q), Some(8), "aligned to 8");
            q.write_bytes(0xab, 8);
            // The last block grows in place, keeping its bytes.
            let q2 = a.realloc(q, l(8, 8), 24);
            assert_eq!(q2, q);
            assert_eq!(*q2.add(7), 0xab);
            // An earlier block that grows moves, its bytes copied.
            p.write_bytes(7, 3);
            let p2 = a.realloc(p, l(3, 1), 16);
            assert_eq!(a.offset(p2), Some(32));
            assert_eq!(std::slice::from_raw_parts(p2, 3), &[7, 7, 7]);
            // Freeing the last block gives its room back.
            a.dealloc(p2, l(16, 1));
            assert_eq!(a.offset(a.alloc(l(4, 1))), Some(32));
            // No room: the system allocator's block, outside the arena.
            let big = a.alloc(l(1000, 16));
            assert!(!big.is_null());
            assert_eq!(a.offset(big), None);
            big.write_bytes(1, 1000);
            let big2 = a.realloc(big, l(1000, 16), 5000);
            assert_eq!(*big2.add(999), 1);
            a.dealloc(big2, l(5000, 16));
            // A block of the arena that outgrows it moves to the system's.
            let r = a.alloc(l(8, 1));
            r.write_bytes(9, 8);
            let r2 = a.realloc(r, l(8, 1), 4096);
            assert_eq!(a.offset(r2), None);
            assert_eq!(*r2.add(7), 9);
            a.dealloc(r2, l(4096, 1));
        }
    }
}
