//! The lock holder of `tmpguard exec`: a shared, non-blocking `flock` on the
//! directory for as long as the command runs, so that `systemd-tmpfiles
//! --clean` (which skips directories it cannot lock exclusively) leaves it.
//!
//! The lock lives in a separate small process, not in the command: an
//! inherited directory descriptor lets a program reach outside its root
//! (runc CVE-2024-21626), and the command must see exactly what it would
//! have seen without tmpguard. `exec` starts `hold-lock` (the outer), which
//! starts `hold-lock --inner` in its own process group and exits, so the
//! holder is no child of the command (a shell's `wait` would wait for it)
//! and no Ctrl-C of the command's terminal reaches it. The inner process
//! takes the lock, says `locked` on the pipe `exec` reads, and waits for the
//! command's pid to end (`pidfd_open`, else a check every 2 seconds).

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg, OFlag, open};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::Mode;

use super::{FAILED, OK};
use crate::cli::HoldLockArgs;

/// How long `exec` waits for the holder to say it has the lock.
const READY_WAIT_MS: u16 = 2000;

/// Start the holder for `dir` and wait (briefly) until it holds the lock.
/// Whether it does; the command runs either way.
pub fn start(dir: &Path) -> bool {
    let pid = std::process::id();
    let child = Command::new("/proc/self/exe")
        .arg0("tmpguard")
        .args(["hold-lock", "--pid", &pid.to_string()])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    let Ok(mut child) = child else { return false };
    let Some(out) = child.stdout.take() else {
        return false;
    };
    // The outer exits at once; reaping it leaves the command no child of ours.
    let _ = child.wait();
    let mut fds = [PollFd::new(out.as_fd(), PollFlags::POLLIN)];
    if !matches!(poll(&mut fds, PollTimeout::from(READY_WAIT_MS)), Ok(n) if n > 0) {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(nix::unistd::read(out.as_fd(), &mut buf), Ok(n) if buf[..n].starts_with(b"locked"))
    // `out` is closed here: the holder's later writes (none) would go nowhere.
}

/// `tmpguard hold-lock [--inner] --pid PID DIR` (internal).
pub fn run(args: &HoldLockArgs) -> u8 {
    if !args.inner {
        // Re-start detached: a new process group, reparented when we exit.
        let spawned = Command::new("/proc/self/exe")
            .arg0("tmpguard")
            .args(["hold-lock", "--inner", "--pid", &args.pid.to_string()])
            .arg(&args.dir)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        return if spawned.is_ok() { OK } else { FAILED };
    }
    crate::sys::close_fds_from(3);
    // Before anything can block: the pid is alive (it is waiting for us).
    let pidfd = crate::sys::pidfd_open(args.pid as i32).ok();
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let Ok(fd) = open(&args.dir, flags, Mode::empty()) else {
        return FAILED;
    };
    let Ok(_lock) = Flock::lock(fd, FlockArg::LockSharedNonblock) else {
        return FAILED;
    };
    let mut out = std::io::stdout().lock();
    if out
        .write_all(b"locked\n")
        .and_then(|()| out.flush())
        .is_err()
    {
        return FAILED;
    }
    drop(out);
    match pidfd {
        Some(pfd) => loop {
            let mut fds = [PollFd::new(pfd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            }
        },
        None => {
            let pid = nix::unistd::Pid::from_raw(args.pid as i32);
            while nix::sys::signal::kill(pid, None).is_ok() {
                std::thread::sleep(Duration::from_secs(2));
            }
        }
    }
    OK
}
