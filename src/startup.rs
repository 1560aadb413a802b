//! The process entry point, without std's runtime set-up.
//!
//! tmpguard runs at every shell start, and std's set-up before `fn main`
//! costs more than tmpguard's own work: to place a guard page for its
//! stack-overflow message it reads `/proc/self/maps` through
//! `pthread_getattr_np` (sscanf over every line), installs SIGSEGV/SIGBUS
//! handlers on an alternate stack and queries the CPU affinity: about 95,000
//! instructions and 20 system calls. The crate is `#![no_main]`, and this
//! C `main` keeps the two parts of that set-up that change behaviour:
//! fds 0-2 are opened on /dev/null if closed, and SIGPIPE is ignored so a
//! closed stdout is a reported failure (exit 1), not a silent death.
//! A stack overflow still kills the process, only without std's message.
//! `std::env::args` does not depend on this set-up: on glibc std reads argv
//! from an `.init_array` hook.

use std::ffi::{c_char, c_int};

use nix::libc;

/// What the C runtime calls: set up, run, and return the exit status
/// (returning from `main` calls `exit`, as std's runtime does).
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    standard_fds();
    // SAFETY: plain signal disposition change, before any other code runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    // Under `ulimit -f 0` the probe's 4-byte write would kill us with SIGXFSZ
    // (leaving the probe file behind); ignored, it fails with EFBIG and is
    // reported. `exec` gives CMD back the disposition it was started with.
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    c_int::from(crate::run())
}

/// Open /dev/null on any of fds 0-2 that is closed, as std does: otherwise a
/// directory or probe file opened later could land on fd 1 or 2. Best effort:
/// where std would abort, a shell start is better served by going on.
fn standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    loop {
        // SAFETY: `fds` is a valid array of 3 pollfd for the duration of the call.
        if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } != -1 {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
    for _ in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // Lands on the lowest closed fd, which is this one (in order 0, 1, 2);
        // deliberately left open.
        // SAFETY: a NUL-terminated path.
        unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
    }
}
