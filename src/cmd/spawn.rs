//! Child processes for `clean` (the owner's process, `scontrol`) and exec's
//! lock holder, by `fork` and `execve` through nix.
//!
//! Not `std::process::Command`, and no threads: those pull about 45 more C
//! library symbols into the binary, and the dynamic linker binds every one at
//! each start (full RELRO), which cost every shell start ~60,000 instructions
//! although only `clean` and `exec` start processes.

use std::ffi::{CString, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Gid, Pid, Uid, execve, pipe2};

use crate::sys;

/// A started child: its pid and the read end of its stdout (and stderr, when merged).
pub struct Child {
    pub pid: Pid,
    pub out: OwnedFd,
}

/// Who the child becomes before `execve`: groups dropped, then gid, then uid.
#[derive(Clone, Copy)]
pub struct Drop {
    pub uid: u32,
    pub gid: u32,
}

fn cstrings(v: &[OsString]) -> Result<Vec<CString>, Errno> {
    v.iter()
        .map(|s| CString::new(s.clone().into_vec()).map_err(|_| Errno::EINVAL))
        .collect()
}

/// Start `prog` with `argv` and `env`, stdin on /dev/null, stdout (and
/// stderr when `merge_stderr`) on a pipe returned to the caller, optionally
/// as another user.
pub fn spawn(
    prog: &Path,
    argv: &[OsString],
    env: &[OsString],
    drop_to: Option<Drop>,
    merge_stderr: bool,
) -> Result<Child, Errno> {
    let prog = CString::new(prog.as_os_str().to_owned().into_vec()).map_err(|_| Errno::EINVAL)?;
    let argv = cstrings(argv)?;
    let env = cstrings(env)?;
    let null = nix::fcntl::open(
        "/dev/null",
        OFlag::O_RDWR | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
    match sys::fork()? {
        ForkResult::Child => {
            let ok = nix::unistd::dup2_stdin(null.as_fd())
                .and_then(|()| nix::unistd::dup2_stdout(w.as_fd()))
                .and_then(|()| match merge_stderr {
                    true => nix::unistd::dup2_stderr(w.as_fd()),
                    false => Ok(()),
                })
                .and_then(|()| match drop_to {
                    Some(d) => nix::unistd::setgroups(&[])
                        .and_then(|()| nix::unistd::setgid(Gid::from_raw(d.gid)))
                        .and_then(|()| nix::unistd::setuid(Uid::from_raw(d.uid))),
                    None => Ok(()),
                });
            if ok.is_ok() {
                let _ = execve(&prog, &argv, &env);
            }
            sys::exit_now(127)
        }
        ForkResult::Parent { child } => Ok(Child { pid: child, out: r }),
    }
}

/// Read the child's output until it closes it, `max` bytes, or `deadline`.
/// Whether the end was reached (false: the deadline passed).
pub fn read_until(out: &OwnedFd, deadline: Instant, max: usize, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let ms = u16::try_from(left.as_millis().min(10_000)).unwrap_or(10_000);
        let mut fds = [PollFd::new(out.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(_) => return true,
        }
        match nix::unistd::read(out.as_fd(), &mut chunk) {
            Ok(0) => return true,
            Ok(n) => {
                let room = max.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(_) => return true,
        }
    }
}

/// The child's exit status, waiting until `deadline`; then it is killed and
/// not waited for (a process stuck in the kernel cannot be).
pub fn wait_until(pid: Pid, deadline: Instant) -> Option<WaitStatus> {
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {}
            Ok(s) => return Some(s),
            Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
        if Instant::now() >= deadline {
            let _ = kill(pid, Signal::SIGKILL);
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Exited with status 0.
pub fn success(s: Option<WaitStatus>) -> bool {
    matches!(s, Some(WaitStatus::Exited(_, 0)))
}
