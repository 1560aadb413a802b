//! The system calls nix does not wrap, each behind a safe function.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use nix::libc;

/// Close every descriptor numbered `first` or above: what a process started by
/// root inherited and must not keep once it acts as a user.
pub fn close_fds_from(first: i32) {
    // Collected first: the listing's own descriptor is among them.
    let fds: Vec<i32> = match std::fs::read_dir("/proc/self/fd") {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .filter(|&fd| fd >= first)
            .collect(),
        Err(_) => (first..1024).collect(),
    };
    for fd in fds {
        // SAFETY: closing a descriptor number; nothing in this process uses
        // one it did not open itself after this call (called first thing).
        unsafe { libc::close(fd) };
    }
}

/// `pidfd_open(pid, 0)`: a descriptor that becomes readable when `pid` exits.
pub fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: the syscall takes two integers and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor the kernel just gave us, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
