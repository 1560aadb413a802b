//! Filesystems and identity services that may never answer.
//!
//! A directory on a network or FUSE filesystem (NFS, Lustre, GPFS, sshfs...)
//! can block every system call on it for minutes, uninterruptibly. Before
//! tmpguard touches a path outside the default base it looks, in
//! `/proc/self/mountinfo` (without touching the path), whether the mount
//! under it is such a filesystem; if so, a detached process asks the mount
//! (`statvfs`) first, and tmpguard touches the path only once that answered.
//! Passwd and group lookups (`getent`: any NSS source may hang) are asked the same way.
//! All of these share one budget per run, [`budget`] (the site's `timeout`,
//! else [`BUDGET`]): past it, the mount or
//! the lookup counts as not answering and the rules go on without it.
//! Paths in the default base (`/tmp`) are never looked up: the fast path
//! reads no mountinfo, forks nothing.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use crate::engine::detach::Young;
use crate::engine::detach::{self, Outcome};
use crate::engine::mounts::{Mount, is_network_type, parse_mountinfo};

/// Time all waiting for possibly hung filesystems and lookups may take in
/// one run, unless the site's `timeout` says otherwise.
pub const BUDGET: Duration = Duration::from_secs(2);

/// The budget of this run: the site's `timeout` ([`set_budget`]), else [`BUDGET`].
pub fn budget() -> Duration {
    state().budget.unwrap_or(BUDGET)
}

/// Take the site's `timeout` as this run's budget (before anything is asked).
pub fn set_budget(d: Option<Duration>) {
    state().budget = d;
}

/// A budget as said to the user: `2 s`, `500 ms`.
pub fn said(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The base whose paths are taken as local without looking.
const LOCAL_BASE: &str = crate::engine::resolve::DEFAULT_BASE;

/// Something that did not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAnswer {
    /// What was asked: `/scratch (nfs4)`, `the passwd lookup of alice`.
    pub what: String,
    pub why: Why,
}

/// Why there is no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Waited for the rest of the budget.
    Timeout,
    /// A check started earlier by this user (this pid) still waits for it.
    Earlier(i32),
    /// The budget was spent on others before this one could be asked.
    Spent,
    /// The check could not be started (errno).
    Failed(nix::errno::Errno),
    /// `getent` ended without an answer: its exit status (-1: a signal).
    Exit(i32),
}

impl fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = said(budget());
        match self.why {
            Why::Timeout => write!(f, "{} did not answer within {s}", self.what),
            Why::Earlier(0) => write!(
                f,
                "{} did not answer within {s} (a check started earlier still waits for it)",
                self.what
            ),
            Why::Earlier(pid) => write!(
                f,
                "{} did not answer within {s} (a check started earlier, pid {pid}, still waits for it)",
                self.what
            ),
            Why::Spent => write!(
                f,
                "{} was not asked: the {s} for slow filesystems and lookups were used up",
                self.what
            ),
            Why::Failed(e) => write!(
                f,
                "{} could not be checked: {}",
                self.what,
                crate::engine::errno::text(e)
            ),
            Why::Exit(-1) => write!(f, "{} failed: getent was killed", self.what),
            Why::Exit(n) => write!(f, "{} failed: getent exited with status {n}", self.what),
        }
    }
}

impl std::error::Error for NoAnswer {}

#[derive(Default)]
struct State {
    /// When the first wait began.
    started: Option<Instant>,
    /// Mountinfo, read at the first path outside the default base.
    mounts: Option<Vec<Mount>>,
    /// Mounts asked in this run, and how they answered.
    asked: Vec<(PathBuf, Result<(), NoAnswer>)>,
    /// The site's `timeout`, when it sets one.
    budget: Option<Duration>,
}

/// A static, not a thread-local: one with a destructor would make every
/// shell start resolve the pthread-key symbols, used or not.
static STATE: Mutex<State> = Mutex::new(State {
    started: None,
    mounts: None,
    asked: Vec::new(),
    budget: None,
});

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A filesystem type whose calls may block for as long as a server or a
/// daemon does not answer.
pub fn may_hang(fstype: &str) -> bool {
    is_network_type(fstype)
        || matches!(
            fstype,
            "fuse" | "fuseblk" | "9p" | "virtiofs" | "smbfs" | "ncpfs"
        )
        || fstype.starts_with("fuse.")
        || fstype.starts_with("nfs")
}

/// The mount `path` (absolute, with no symlinks left in it) is on, when that
/// mount may hang; `None` for the default base without reading mountinfo.
pub fn hanging_mount(path: &Path) -> Option<Mount> {
    if !path.is_absolute() || path.starts_with(LOCAL_BASE) {
        return None;
    }
    {
        let mut s = state();
        let mounts = s.mounts.get_or_insert_with(|| {
            std::fs::read("/proc/self/mountinfo")
                .map(|t| parse_mountinfo(&t))
                .unwrap_or_default()
        });
        // The mount on top at the longest mount point containing the path.
        let m = mounts
            .iter()
            .rev()
            .filter(|m| path.starts_with(&m.point))
            .max_by_key(|m| m.point.as_os_str().len())?;
        may_hang(&m.fstype).then(|| m.clone())
    }
}

/// Whether the directory `dir` (absolute, verified) is on a filesystem that
/// may hang, as the walks judged it: by its path, and, when a symlink on the
/// way may have led elsewhere, by where it leads. Nothing is looked at for a
/// path in the default base (the fast path).
pub fn remote(dir: &Path) -> bool {
    if !dir.is_absolute() || dir.starts_with(LOCAL_BASE) {
        return false;
    }
    hanging_mount(dir).is_some()
        || std::fs::canonicalize(dir)
            .ok()
            .filter(|real| real != dir)
            .is_some_and(|real| hanging_mount(&real).is_some())
}

/// Whether it is safe to touch `path` now: `Err` when its filesystem may hang
/// and did not answer (this run, within the budget).
pub fn check_path(path: &Path) -> Result<(), NoAnswer> {
    match hanging_mount(path) {
        Some(m) => answers(&m),
        None => Ok(()),
    }
}

/// Ask a mount that may hang whether it answers (once per run).
fn answers(m: &Mount) -> Result<(), NoAnswer> {
    let asked = state()
        .asked
        .iter()
        .find(|a| a.0 == m.point)
        .map(|a| a.1.clone());
    if let Some(r) = asked {
        return r;
    }
    let what = format!("{} ({})", m.point.display(), m.fstype);
    let point = m.point.clone();
    let key = format!(
        "{}/mount/{}:{}",
        nix::unistd::getuid(),
        nix::sys::stat::major(m.dev),
        nix::sys::stat::minor(m.dev)
    );
    let r = ask(&key, what, Young::Wait, Duration::ZERO, move || {
        // Any answer, even an error (ESTALE), is an answer.
        let _ = nix::sys::statvfs::statvfs(&point);
        vec![b'1']
    })
    .map(|_| ());
    state().asked.push((m.point.clone(), r.clone()));
    r
}

/// This run's budget, and what is left of it at `now` (the first asking
/// starts the clock).
fn left(s: &mut State, now: Instant, grace: Duration) -> (Duration, Duration) {
    let started = *s.started.get_or_insert(now);
    let budget = s.budget.unwrap_or(BUDGET);
    (
        budget,
        (budget + grace).saturating_sub(now.duration_since(started)),
    )
}

/// What a passwd or group lookup may take past the budget, when hung
/// filesystems used it up: a local source answers in milliseconds, and a
/// hung TMPDIR must not leave the user without a name (moving to
/// `/tmp/$USER` needs one). A run waits at most the budget and this.
pub const LOOKUP_GRACE: Duration = Duration::from_millis(500);

/// Ask `question` detached, within what is left of the budget. A holder of
/// the lock started at least a budget ago is stuck, not busy.
pub fn ask(
    key: &str,
    what: String,
    young: Young,
    grace: Duration,
    question: impl FnOnce() -> Vec<u8>,
) -> Result<Vec<u8>, NoAnswer> {
    let (budget, left) = left(&mut state(), Instant::now(), grace);
    let no = |why| {
        Err(NoAnswer {
            what: what.clone(),
            why,
        })
    };
    if left.is_zero() {
        return no(Why::Spent);
    }
    match detach::ask(key, left, budget, young, question) {
        Outcome::Answer(a) => Ok(a),
        Outcome::Timeout => no(Why::Timeout),
        Outcome::Busy(pid) => no(Why::Earlier(pid)),
        Outcome::Failed(e) => no(Why::Failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_base_is_never_looked_up() {
        assert_eq!(hanging_mount(Path::new("/tmp/alice")), None);
        assert_eq!(hanging_mount(Path::new("/tmp")), None);
        // (That no mountinfo is read for them is tests/syscalls.rs's: the
        // state here is shared with other unit tests.)
        // Elsewhere: looked up, and / is local.
        assert_eq!(hanging_mount(Path::new("/")), None);
        assert!(state().mounts.is_some());
    }

    #[test]
    fn the_sites_timeout_is_the_budget() {
        assert_eq!(said(BUDGET), "2 s");
        assert_eq!(said(Duration::from_millis(500)), "500 ms");
        let t0 = Instant::now();
        let mut s = State::default();
        assert_eq!(left(&mut s, t0, Duration::ZERO), (BUDGET, BUDGET));
        let t1 = t0 + Duration::from_millis(1500);
        assert_eq!(
            left(&mut s, t1, Duration::ZERO).1,
            Duration::from_millis(500)
        );
        s.budget = Some(Duration::from_secs(5));
        assert_eq!(
            left(&mut s, t1, Duration::ZERO),
            (Duration::from_secs(5), Duration::from_millis(3500))
        );
        s.budget = Some(Duration::from_millis(1000));
        assert_eq!(left(&mut s, t1, Duration::ZERO).1, Duration::ZERO);
        // A lookup may go on past a budget the filesystems used up, by the grace.
        let t2 = t0 + Duration::from_millis(1200);
        assert_eq!(left(&mut s, t2, LOOKUP_GRACE).1, Duration::from_millis(300));
    }

    #[test]
    fn hanging_types() {
        for t in [
            "nfs",
            "nfs4",
            "lustre",
            "gpfs",
            "fuse",
            "fuse.sshfs",
            "fuseblk",
            "cifs",
        ] {
            assert!(may_hang(t), "{t}");
        }
        for t in ["ext4", "xfs", "tmpfs", "btrfs", "proc", "overlay"] {
            assert!(!may_hang(t), "{t}");
        }
    }
}
