//! Every line of `unsafe` in tmpguard, and nothing else.
//!
//! The crate denies `unsafe_code` (Cargo.toml, `[lints]`); this module alone
//! allows it. What is here: the C `main` (the process entry point, without
//! std's runtime set-up), the check that fds 0-2 are open, and the signal
//! dispositions tmpguard changes while it works and gives back before `exec`.
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
