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
//! NSS): a later run that finds it held by the same uid skips the question at
//! once instead of leaving one more stuck process. The kernel frees the name
//! when the grandchild ends, however it ends. Someone else's socket at the
//! name is ignored (the question is asked without the lock).
//!
//! This is the one place that forks; all of its `unsafe` is here.

use std::time::{Duration, Instant};

use nix::libc;

/// How a question went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// What the question wrote (empty if it died before writing).
    Answer(Vec<u8>),
    /// No answer before the deadline; the grandchild is left to finish alone.
    Timeout,
    /// An earlier run of this uid still waits for the same answer (its pid).
    Busy(i32),
    /// The process could not be started (errno).
    Failed(i32),
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

/// Ask `question` in a detached grandchild and wait at most `wait` for what it writes.
/// A holder of `key` that started at least `stuck_after` ago is taken as
/// stuck: [`Outcome::Busy`] at once.
///
/// Must be called while the process has a single thread (the child runs
/// ordinary Rust code after `fork`); tmpguard never starts a thread.
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
            Claim::Held(fd) => break fd,
            Claim::Busy(pid) if age(pid).is_none_or(|a| a >= stuck_after) => {
                return Outcome::Busy(pid);
            }
            Claim::Busy(_) if young == Young::Parallel => break -1,
            Claim::Busy(_) if Instant::now() >= deadline => return Outcome::Timeout,
            Claim::Busy(_) => std::thread::sleep(Duration::from_millis(5)),
            Claim::None => break -1,
        }
    };
    let mut pipe = [-1; 2];
    // SAFETY: `pipe` is a valid array of two ints.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        let e = errno();
        close(lock);
        return Outcome::Failed(e);
    }
    let [rd, wr] = pipe;
    // SAFETY: the process is single-threaded (see above), so the child may run
    // any code; it never returns from this function (it `_exit`s).
    let child = unsafe { libc::fork() };
    if child == 0 {
        // SAFETY: as above.
        if unsafe { libc::fork() } != 0 {
            // The middle process: gone at once, so the grandchild belongs to init.
            // SAFETY: `_exit` skips atexit handlers and stdio flushing, which
            // belong to the parent.
            unsafe { libc::_exit(0) };
        }
        grandchild(wr, lock, question);
    }
    close(wr);
    close(lock);
    if child < 0 {
        let e = errno();
        close(rd);
        return Outcome::Failed(e);
    }
    let mut status = 0;
    // SAFETY: waits for our own child, which exits at once.
    while unsafe { libc::waitpid(child, &mut status, 0) } < 0 && errno() == libc::EINTR {}
    let out = read_until(rd, deadline);
    close(rd);
    out
}

/// The grandchild: detach, answer, write, exit.
fn grandchild(wr: i32, lock: i32, question: impl FnOnce() -> Vec<u8>) -> ! {
    // SAFETY: plain system calls on fds this process owns; `_exit` at the end.
    unsafe {
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
        }
        close_all_except(&[0, 1, 2, wr, lock]);
        if lock >= 0 {
            // Later runs connect to learn who holds the name; never accepted,
            // their connections would fill the backlog and block the next
            // ones. A thread of this process (nobody else's) takes them.
            let _ = std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    loop {
                        let c = libc::accept4(lock, std::ptr::null_mut(), std::ptr::null_mut(), libc::SOCK_CLOEXEC);
                        if c >= 0 {
                            libc::close(c);
                        } else if errno() != libc::EINTR {
                            break;
                        }
                    }
                });
        }
        let answer = question();
        let mut rest = &answer[..];
        while !rest.is_empty() {
            let n = libc::write(wr, rest.as_ptr().cast(), rest.len());
            if n <= 0 {
                break;
            }
            rest = &rest[n as usize..];
        }
        libc::_exit(0)
    }
}

/// Read until EOF, or until the deadline passes.
fn read_until(rd: i32, deadline: Instant) -> Outcome {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Outcome::Timeout;
        }
        let mut pfd = libc::pollfd {
            fd: rd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 && errno() == libc::EINTR || n == 0 {
            continue;
        }
        if n < 0 {
            return Outcome::Failed(errno());
        }
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let got = unsafe { libc::read(rd, buf.as_mut_ptr().cast(), buf.len()) };
        match got {
            0 => return Outcome::Answer(out),
            n if n > 0 => out.extend_from_slice(&buf[..n as usize]),
            _ if errno() == libc::EINTR || errno() == libc::EAGAIN => {}
            _ => return Outcome::Failed(errno()),
        }
    }
}

enum Claim {
    /// We hold the name: this fd, for the grandchild to keep.
    Held(i32),
    /// A process of ours holds it (pid).
    Busy(i32),
    /// No lock to be had (someone else's name, no sockets): ask anyway.
    None,
}

/// Bind a listening socket at `\0tmpguard/<key>`.
fn claim(key: &str) -> Claim {
    let mut addr: libc::sockaddr_un = unsafe_zeroed();
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let name = format!("tmpguard/{key}");
    let name = &name.as_bytes()[..name.len().min(addr.sun_path.len() - 1)];
    for (i, b) in name.iter().enumerate() {
        addr.sun_path[i + 1] = *b as libc::c_char;
    }
    let len = (std::mem::size_of::<libc::sa_family_t>() + 1 + name.len()) as libc::socklen_t;
    // The listener blocks (its accept thread waits); the probing socket does
    // not: a full backlog (someone else's listener that never accepts) must
    // not block the connect.
    let sock = |flags| {
        // SAFETY: plain socket creation.
        unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | flags, 0) }
    };
    let addr_ptr = (&raw const addr).cast::<libc::sockaddr>();
    let fd = sock(0);
    if fd < 0 {
        return Claim::None;
    }
    // SAFETY: `addr` is a valid sockaddr_un of `len` bytes.
    if unsafe { libc::bind(fd, addr_ptr, len) } == 0 {
        // SAFETY: a bound socket of ours.
        if unsafe { libc::listen(fd, 16) } == 0 {
            return Claim::Held(fd);
        }
        close(fd);
        return Claim::None;
    }
    let in_use = errno() == libc::EADDRINUSE;
    close(fd);
    if !in_use {
        return Claim::None;
    }
    let c = sock(libc::SOCK_NONBLOCK);
    if c < 0 {
        return Claim::None;
    }
    // Who holds it: the listener's credentials, from the kernel.
    let mut cred: libc::ucred = unsafe_zeroed();
    let mut clen = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: valid address and credential buffers of the given sizes.
    let ok = unsafe {
        libc::connect(c, addr_ptr, len) == 0
            && libc::getsockopt(
                c,
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&raw mut cred).cast(),
                &mut clen,
            ) == 0
    };
    close(c);
    // SAFETY: getuid cannot fail.
    if ok && cred.uid == unsafe { libc::getuid() } {
        Claim::Busy(cred.pid)
    } else {
        Claim::None
    }
}

/// Close every fd but `keep` (close_range over the gaps; one by one where
/// the kernel lacks it).
fn close_all_except(keep: &[i32]) {
    let mut keep: Vec<i32> = keep.iter().copied().filter(|&f| f >= 0).collect();
    keep.sort_unstable();
    let mut from = 0u32;
    for k in keep.iter().map(|&k| k as u32).chain([u32::MAX]) {
        if k > from {
            close_range(from, k - 1);
        }
        from = k.saturating_add(1);
        if k == u32::MAX {
            break;
        }
    }
}

fn close_range(first: u32, last: u32) {
    // SAFETY: closes fds of this process only; no Rust object owns them in the grandchild.
    let r = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
    if r != 0 {
        for fd in first..=last.min(4095) {
            // SAFETY: as above.
            unsafe { libc::close(fd as i32) };
        }
    }
}

fn close(fd: i32) {
    if fd >= 0 {
        // SAFETY: an fd this function's caller owns and no longer uses.
        unsafe { libc::close(fd) };
    }
}

/// How long ago process `pid` started (`None`: gone, or unknown).
fn age(pid: i32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22, counting from the pid, after the command name in parentheses.
    let start: u64 = stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(Duration::from_secs_f64((uptime - start as f64 / hz).max(0.0)))
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A zeroed C struct (sockaddr_un, ucred: all-zero is valid for both).
fn unsafe_zeroed<T: Copy>() -> T {
    // SAFETY: only used for plain C structs of integers and arrays.
    unsafe { std::mem::zeroed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_and_a_stuck_question_is_left_behind() {
        let key = format!("test/{}", std::process::id());
        let ask = |wait, f: fn() -> Vec<u8>| ask(&key, wait, Duration::ZERO, Young::Wait, f);
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
        assert!(matches!(ask(Duration::from_secs(5), Vec::new), Outcome::Busy(_)));
    }
}
