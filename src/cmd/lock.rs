//! The lock holder of `tmpguard exec`: a shared, non-blocking `flock` on the
//! directory for as long as the command runs, so that `systemd-tmpfiles
//! --clean` (which skips directories it cannot lock exclusively) leaves it.
//!
//! The lock lives in a separate small process, not in the command: an
//! inherited directory descriptor lets a program reach outside its root
//! (runc CVE-2024-21626), and the command must see exactly what it would
//! have seen without tmpguard. `exec` forks; the child starts a new session
//! and forks the holder, then exits, so the holder is no child of the command
//! (a shell's `wait` would wait for it) and no signal of the command's
//! terminal reaches it. The holder closes every descriptor it inherited,
//! takes the lock, says `locked` on a pipe `exec` reads, and waits for the
//! command's pid to end (`pidfd_open`, else a check every 2 seconds).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg, OFlag, open};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::Mode;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, pipe2};

use crate::sys;

/// How long `exec` waits for the holder to say it has the lock.
const READY_WAIT_MS: u16 = 2000;

/// Start the holder for `dir` and wait (briefly) until it holds the lock.
/// Whether it does; the command runs either way.
pub fn start(dir: &Path) -> bool {
    let pid = Pid::this();
    let Ok((r, w)) = pipe2(OFlag::O_CLOEXEC) else {
        return false;
    };
    match sys::fork() {
        Ok(ForkResult::Child) => {
            drop(r);
            let _ = nix::unistd::setsid();
            if let Ok(ForkResult::Child) = sys::fork() {
                hold(dir, pid, w);
            }
            sys::exit_now(0)
        }
        Ok(ForkResult::Parent { child }) => {
            drop(w);
            // The middle process exits at once; reaping it leaves the
            // command no child of ours.
            let _ = waitpid(child, None);
            let mut fds = [PollFd::new(r.as_fd(), PollFlags::POLLIN)];
            if !matches!(poll(&mut fds, PollTimeout::from(READY_WAIT_MS)), Ok(n) if n > 0) {
                return false;
            }
            let mut buf = [0u8; 16];
            matches!(nix::unistd::read(r.as_fd(), &mut buf), Ok(n) if buf[..n].starts_with(b"locked"))
        }
        Err(_) => false,
    }
}

/// The holder: never returns.
fn hold(dir: &Path, pid: Pid, ready: OwnedFd) -> ! {
    // Nothing of the command's but the pipe to `exec`; 0-2 on /dev/null, so
    // that a cron job's output pipe is not held open by us.
    sys::close_fds_from(3, &[ready.as_raw_fd()]);
    if let Ok(null) = open("/dev/null", OFlag::O_RDWR | OFlag::O_CLOEXEC, Mode::empty()) {
        let _ = nix::unistd::dup2_stdin(null.as_fd());
        let _ = nix::unistd::dup2_stdout(null.as_fd());
        let _ = nix::unistd::dup2_stderr(null.as_fd());
    }
    // Before anything can block: the pid is alive (it waits for us).
    let pidfd = sys::pidfd_open(pid.as_raw()).ok();
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let Ok(fd) = open(dir, flags, Mode::empty()) else {
        sys::exit_now(1)
    };
    let Ok(_lock) = Flock::lock(fd, FlockArg::LockSharedNonblock) else {
        sys::exit_now(1)
    };
    if nix::unistd::write(&ready, b"locked\n").is_err() {
        sys::exit_now(1)
    }
    drop(ready);
    match pidfd {
        Some(pfd) => loop {
            let mut fds = [PollFd::new(pfd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::NONE) {
                Err(nix::errno::Errno::EINTR) => continue,
                _ => break,
            }
        },
        None => {
            while nix::sys::signal::kill(pid, None).is_ok() {
                std::thread::sleep(Duration::from_secs(2));
            }
        }
    }
    sys::exit_now(0)
}
