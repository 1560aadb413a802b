//! A question that may never be answered (a hung NFS or FUSE mount, a stuck
//! LDAP server), asked in a detached process with a deadline.
//!
//! The question runs in a grandchild (double fork): it is nobody's child that
//! waits for it (not ours, and not the command `exec` becomes, which keeps our
//! pid), it holds /dev/null as stdin, stdout and stderr and no other file of
//! ours (not the shell's `$(...)` pipe, not a `2>&1` pipe), and it has its own
//! session. The answer comes back through a pipe; past the deadline we stop
//! reading and go on, and a process stuck in the kernel stays stuck alone.
//!
//! While it is outstanding, the grandchild holds a listening socket in the
//! abstract namespace named by `key` (per user and mount, or per user for
//! NSS): a later run that finds it held by the same uid, for longer than a
//! question should take, skips the question at once instead of leaving one
//! more stuck process. The kernel frees the name when the grandchild ends,
//! however it ends. Someone else's socket at the name is ignored (the
//! question is asked without the lock).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, Backlog, SockFlag, SockType, UnixAddr, bind, connect, getsockopt, listen,
    socket, sockopt::PeerCredentials,
};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, pipe2, setsid};

use crate::sys;

/// How a question went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// What the question wrote (empty if it died before writing).
    Answer(Vec<u8>),
    /// No answer before the deadline; the grandchild is left to finish alone.
    Timeout,
    /// An earlier run of this uid has waited too long for the same answer
    /// (the pid of its detached process).
    Busy(i32),
    /// The process could not be started.
    Failed(Errno),
}

/// What to do when a run of ours that started less than `stuck_after` ago
/// holds the name (its question is in progress, not stuck).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Young {
    /// Wait for it to end, then ask (cheap questions: `statvfs`).
    Wait,
    /// Ask at the same time, without the lock (a lookup that may take a while:
    /// 150 shells of a job array must not queue behind each other).
    Parallel,
}

/// Ask `question` in a detached grandchild and wait at most `wait` for what
/// it writes. A holder of `key` that started at least `stuck_after` ago is
/// taken as stuck: [`Outcome::Busy`] at once.
///
/// Must be called while the process has a single thread (see `sys::fork`).
pub fn ask(
    key: &str,
    wait: Duration,
    stuck_after: Duration,
    young: Young,
    question: impl FnOnce() -> Vec<u8>,
) -> Outcome {
    let deadline = Instant::now() + wait;
    let lock = loop {
        match claim(key) {
            Claim::Held(fd) => break Some(fd),
            Claim::Busy(pid) if age(pid).is_none_or(|a| a >= stuck_after) => {
                return Outcome::Busy(pid);
            }
            Claim::Busy(_) if young == Young::Parallel => break None,
            Claim::Busy(_) if Instant::now() >= deadline => return Outcome::Timeout,
            Claim::Busy(_) => sleep_ms(5),
            Claim::None => break None,
        }
    };
    let (rd, wr) = match pipe2(OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(e),
    };
    let child = match sys::fork() {
        Ok(ForkResult::Child) => {
            drop(rd);
            match sys::fork() {
                // The middle process: gone at once, so the grandchild belongs to init.
                Ok(ForkResult::Parent { .. }) | Err(_) => sys::exit_now(0),
                Ok(ForkResult::Child) => grandchild(wr, lock, question),
            }
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(e) => return Outcome::Failed(e),
    };
    drop(wr);
    drop(lock);
    while waitpid(child, None) == Err(Errno::EINTR) {}
    read_until(File::from(rd), deadline)
}

/// The grandchild: detach, answer, write, exit.
fn grandchild(wr: OwnedFd, lock: Option<OwnedFd>, question: impl FnOnce() -> Vec<u8>) -> ! {
    let _ = setsid();
    // Later runs connect only to learn who holds the name (SO_PEERCRED); the
    // connections are never accepted (that would take a thread), so the
    // backlog is as long as the kernel allows, and a full one is read as
    // "held for long" too.
    let lock = lock.filter(|l| listen(l, Backlog::MAXCONN).is_ok());
    sys::keep_only(
        &[Some(wr.as_raw_fd()), lock.as_ref().map(|l| l.as_raw_fd())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    );
    let answer = question();
    // Free the name before answering, so that whoever reads the answer finds it free.
    drop(lock);
    let _ = File::from(wr).write_all(&answer);
    sys::exit_now(0)
}

/// Read until EOF, or until the deadline passes.
fn read_until(mut rd: File, deadline: Instant) -> Outcome {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Outcome::Timeout;
        }
        let ms = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(rd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Outcome::Failed(e),
        }
        match rd.read(&mut buf) {
            Ok(0) => return Outcome::Answer(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Outcome::Failed(Errno::from_raw(e.raw_os_error().unwrap_or(0))),
        }
    }
}

enum Claim {
    /// We hold the name: the bound socket, for the grandchild to listen on and keep.
    Held(OwnedFd),
    /// A process of ours holds it (the grandchild, which listens).
    Busy(i32),
    /// No lock to be had (someone else's name, no sockets): ask anyway.
    None,
}

/// Bind a listening socket at `\0tmpguard/<key>`.
fn claim(key: &str) -> Claim {
    let Ok(addr) = UnixAddr::new_abstract(format!("tmpguard/{key}").as_bytes()) else {
        return Claim::None;
    };
    let Ok(fd) = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    ) else {
        return Claim::None;
    };
    match bind(fd.as_raw_fd(), &addr) {
        // Bound, not yet listening: the grandchild listens, so that the
        // credentials later runs read are its own (the pid whose age is the
        // question's). Until then their connect is refused: they ask alone.
        Ok(()) => return Claim::Held(fd),
        Err(Errno::EADDRINUSE) => {}
        Err(_) => return Claim::None,
    }
    // Who holds it: the listener's credentials, from the kernel. Non-blocking:
    // a full backlog (someone else's listener that never accepts) must not
    // block us.
    let Ok(c) = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    ) else {
        return Claim::None;
    };
    let cred = connect(c.as_raw_fd(), &addr).and_then(|()| getsockopt(&c, PeerCredentials));
    match cred {
        Ok(cred) if cred.uid() == nix::unistd::getuid().as_raw() => Claim::Busy(cred.pid()),
        // A full backlog: thousands of our own runs that connected while a
        // check was stuck, or another user's listener that never accepts and
        // filled it on purpose (red team 8: every start of the victim then
        // gave up at once). Who holds it cannot be told: ask without the lock.
        _ => Claim::None,
    }
}

/// Sleep, through poll (std's sleep would pull in more of libc at every start).
pub fn sleep_ms(ms: u16) {
    let _ = poll(&mut [], PollTimeout::from(ms));
}

/// How long ago process `pid` started (`None`: gone, or unknown).
fn age(pid: i32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22, counting from the pid, after the command name in parentheses;
    // in clock ticks, which /proc counts at USER_HZ = 100 on every Linux.
    let start: u64 = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(Duration::from_secs_f64(
        (uptime - start as f64 / 100.0).max(0.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_and_a_stuck_question_is_left_behind() {
        let key = format!("test/{}", std::process::id());
        // A holder older than 300 ms is stuck; a younger one is waited for.
        let stuck = Duration::from_millis(300);
        let ask = |wait, f: fn() -> Vec<u8>| ask(&key, wait, stuck, Young::Wait, f);
        assert_eq!(
            ask(Duration::from_secs(5), || b"yes".to_vec()),
            Outcome::Answer(b"yes".to_vec())
        );
        let start = Instant::now();
        let out = ask(Duration::from_millis(200), || {
            std::thread::sleep(Duration::from_secs(2));
            Vec::new()
        });
        assert_eq!(out, Outcome::Timeout);
        assert!(start.elapsed() < Duration::from_secs(1));
        // The stuck one still holds the name: the next run skips at once.
        std::thread::sleep(stuck);
        assert!(matches!(
            ask(Duration::from_secs(5), Vec::new),
            Outcome::Busy(_)
        ));
    }
}
