//! `tmpguard doctor`: gather where temp files really go and why, judge it into
//! findings, and render them for a person or as JSON.
//!
//! Doctor changes nothing: it opens directories read-only through the same
//! `privdir` checks `init` uses (never `ensure`), and probes candidates the way
//! Python does, which creates and removes one short-lived file per directory.

pub mod findings;
pub mod fsinfo;
pub mod human;
pub mod json;
pub mod rcfiles;
pub mod runtimes;
pub mod xdg;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::engine::decide::{self, Decision};
use crate::engine::env::Snapshot;
use crate::engine::identity::{self, Identity, Passwd, SystemPasswd};
use crate::engine::pathnorm::{abspath, python_abspath};
use crate::engine::privdir::{self, Dir, Found, Problem, Stat};
use crate::engine::probe::{self, ProbeError};
use crate::engine::resolve::{self, DEFAULT_BASE};
use crate::engine::scheduler::{self, SCHEDULERS, Scheduler};
use fsinfo::FsInfo;
use rcfiles::Scan;

/// How bad a finding is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Temp files land somewhere unintended or fragile.
    Warning,
    /// Temp files would fail, or land somewhere unsafe.
    Error,
}

impl Severity {
    /// The word used in both outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One thing doctor has to say, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
    /// A command or rc line to use.
    pub fix: Option<String>,
}

/// Variables the JVM reads options from, in the order it applies them.
const JAVA_VARS: &[&str] = &["JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"];

/// What doctor reads besides the core snapshot: read once, like it.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub snap: Snapshot,
    /// `--base`.
    pub base_flag: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub zdotdir: Option<PathBuf>,
    pub config_home: Option<PathBuf>,
    /// `$SHELL`, for the rc line to suggest.
    pub shell: Option<OsString>,
    pub java: Vec<(&'static str, OsString)>,
    pub job_vars: Vec<(&'static str, OsString)>,
}

impl World {
    /// Read the real process environment.
    pub fn read(base_flag: Option<PathBuf>) -> World {
        let var = |n: &str| std::env::var_os(n).filter(|v| !v.is_empty());
        let set = |names: &[&'static str]| -> Vec<(&'static str, OsString)> {
            names
                .iter()
                .filter_map(|&n| std::env::var_os(n).map(|v| (n, v)))
                .collect()
        };
        let abs = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
        let home = dirs::home_dir();
        World {
            snap: Snapshot::read(),
            base_flag,
            cwd: std::env::current_dir().ok(),
            zdotdir: abs(var("ZDOTDIR")),
            config_home: abs(var("XDG_CONFIG_HOME")),
            home,
            shell: var("SHELL"),
            java: set(JAVA_VARS),
            job_vars: set(&scheduler::shown_vars()),
        }
    }
}

/// Where a Python candidate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Env(&'static str),
    Default,
    Cwd,
}

impl Origin {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Origin::Env(n) => n,
            Origin::Default => "default",
            Origin::Cwd => "cwd",
        }
    }
}

/// Why a candidate is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateError {
    /// CPython's probe failed.
    Probe(ProbeError),
    /// A relative value and no current directory: `os.path.abspath` raises,
    /// and so does `gettempdir()`.
    Cwd(Errno),
}

impl CandidateError {
    /// The errno behind it.
    pub fn errno(self) -> Errno {
        match self {
            CandidateError::Probe(p) => p.errno,
            CandidateError::Cwd(e) => e,
        }
    }
}

/// One directory CPython tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub origin: Origin,
    /// As `os.path.abspath` makes it (`.` stays `.` when there is no cwd).
    pub dir: PathBuf,
    pub result: Result<(), CandidateError>,
}

/// Python's view: the candidates tried, in order, and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Python {
    /// Up to and including the one chosen (all when none works).
    pub candidates: Vec<Candidate>,
    /// What `tempfile.gettempdir()` returns; `None` when it raises.
    pub tempdir: Option<PathBuf>,
}

/// Where one other runtime puts temp files.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub rule: &'static runtimes::Rule,
    /// `None`: it raises, no directory at all.
    pub pick: Option<runtimes::Pick>,
    /// The directory made absolute (an empty path is the current directory).
    pub abs: Option<PathBuf>,
    /// CPython's probe in that directory: would files there work?
    pub usable: Option<Result<(), ProbeError>>,
}

/// What `$TMPDIR` is, by itself.
#[derive(Debug)]
pub struct Tmpdir {
    pub raw: OsString,
    /// Made absolute like Python does; `None` when empty or the cwd is gone.
    pub abs: Option<PathBuf>,
    /// What is there (through links owned by root or the user only).
    pub found: Option<Found>,
}

/// The directory `init` would export.
#[derive(Debug)]
pub enum DirState {
    /// TMPDIR is kept as it is.
    Kept(Stat),
    /// It exists and passes every check; `usable` is the probe through its fd.
    Ready {
        stat: Stat,
        usable: Result<(), ProbeError>,
    },
    /// It does not exist; init would create it (mode 0700).
    Missing,
    /// It does not exist, and init could not create it (read-only, no permission).
    CannotCreate(Errno),
    /// init refuses it; what is at the name, when something is.
    Refused(privdir::Error, Option<Stat>),
}

/// What `init` would do.
#[derive(Debug)]
pub struct Private {
    /// The base in use, and whether it was configured (`--base`/`TMPGUARD_BASE`).
    pub base: PathBuf,
    pub configured: bool,
    /// A configured base that init would refuse, falling back to /tmp.
    pub base_refused: Option<String>,
    /// The base cannot be used at all: init fails.
    pub base_error: Option<privdir::Error>,
    pub ident: Identity,
    /// The uid's own passwd name, for the identity section.
    pub passwd_name: Option<String>,
    pub decision: Option<Decision>,
    /// The directory init would export, and its state.
    pub dir: Option<PathBuf>,
    pub state: Option<DirState>,
}

impl Private {
    /// What `init` would do, in words.
    pub fn init_would(&self) -> String {
        let dir = self.dir.as_deref().map(findings::show).unwrap_or_default();
        let why = self
            .decision
            .as_ref()
            .map(|d| d.why.words())
            .unwrap_or_default();
        if let Some(e) = &self.base_error {
            return format!("fail: {e}");
        }
        let what = match &self.state {
            None => return "fail: no base directory".into(),
            Some(DirState::Kept(_)) => format!("keep {dir}"),
            Some(DirState::Missing) => format!("create {dir} (mode 0700) and export it"),
            Some(DirState::CannotCreate(e)) => {
                return format!(
                    "fail: cannot create {dir}: {}",
                    crate::engine::errno::text(*e)
                );
            }
            Some(DirState::Ready { usable: Err(e), .. }) => {
                return format!("fail: {dir} is not usable: {e}");
            }
            Some(DirState::Ready { stat, .. }) if stat.perm() != 0o700 => {
                format!("set {dir} to mode 0700 and export it")
            }
            Some(DirState::Ready { .. }) => format!("export {dir}"),
            Some(DirState::Refused(e, _)) => {
                return match &e.problem {
                    Problem::Unsafe(_) => {
                        format!("refuse {dir}: it is not safe; use a private fallback beside it")
                    }
                    _ => format!("fail: {e}"),
                };
            }
        };
        if why.is_empty() {
            what
        } else {
            format!("{what} ({why})")
        }
    }

    /// The safety verdict on the directory init would use, and why.
    pub fn verdict(&self) -> (Option<bool>, String) {
        match &self.state {
            Some(DirState::Kept(st)) | Some(DirState::Ready { stat: st, .. }) => {
                let safe =
                    st.private_to(self.ident.uid) || matches!(self.state, Some(DirState::Kept(_)));
                let why = if st.private_to(self.ident.uid) {
                    "a real directory, yours, that group and others cannot write".to_owned()
                } else {
                    "kept as this batch job's directory".to_owned()
                };
                (Some(safe), why)
            }
            Some(DirState::Missing) | Some(DirState::CannotCreate(_)) => {
                (None, "does not exist yet".into())
            }
            Some(DirState::Refused(e, _)) => match &e.problem {
                Problem::Unsafe(u) => (Some(false), u.to_string()),
                _ => (None, e.to_string()),
            },
            None => (None, "no base directory to look in".into()),
        }
    }
}

/// Where the name came from, in words.
pub fn source_words(s: identity::Source) -> &'static str {
    match s {
        identity::Source::EnvOwned => "$USER; that directory is already yours",
        identity::Source::EnvConfirmed => "$USER, confirmed by passwd",
        identity::Source::Passwd => "your passwd entry",
        identity::Source::Uid => "your uid: no usable passwd name",
    }
}

/// The filesystem under the directory Python would use.
#[derive(Debug, Clone)]
pub struct Filesystem {
    pub dir: PathBuf,
    /// It is Python's answer (not a stand-in because none works).
    pub is_python_dir: bool,
    pub info: Result<FsInfo, Errno>,
}

/// The batch job this runs in, if any.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// The batch system the job belongs to.
    pub scheduler: Option<&'static Scheduler>,
    pub vars: Vec<(&'static str, OsString)>,
    /// TMPDIR is this job's directory: `None` when it cannot be told.
    pub tmpdir_is_job_dir: Option<bool>,
    /// The job directory TMPDIR should be, when one is known.
    pub job_dir: Option<(&'static str, PathBuf)>,
}

/// Everything gathered, and the findings.
#[derive(Debug)]
pub struct Report {
    pub uid: u32,
    pub user: Option<OsString>,
    pub vars: [(&'static str, Option<OsString>); 3],
    pub tmpdir: Option<Tmpdir>,
    pub python: Python,
    pub runtimes: Vec<Runtime>,
    pub private: Private,
    pub fs: Option<Filesystem>,
    pub rc: Scan,
    pub job: Job,
    /// `XDG_RUNTIME_DIR`.
    pub runtime_dir: xdg::RuntimeDir,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Exit status: 0 with only info findings, 1 with any warning or error.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.findings.iter().any(|f| f.severity > Severity::Info))
    }
}

/// CPython's probe by path, each directory probed at most once per run.
#[derive(Default)]
struct Probes(RefCell<HashMap<PathBuf, Result<(), ProbeError>>>);

impl Probes {
    fn probe(&self, dir: &Path) -> Result<(), ProbeError> {
        if let Some(r) = self.0.borrow().get(dir) {
            return *r;
        }
        let r = probe::probe_path(dir);
        self.0.borrow_mut().insert(dir.to_owned(), r);
        r
    }
}

/// Gather everything and judge it.
pub fn gather(w: &World) -> Report {
    let probes = Probes::default();
    let snap = &w.snap;
    let python = python_view(snap, w.cwd.as_deref(), &probes);
    let runtimes = runtime_views(w, &probes);
    let (tmpdir, private) = private_view(w);
    let fs = filesystem_view(&python, tmpdir.as_ref());
    let home = w.home.clone().unwrap_or_default();
    let rc = rcfiles::scan(&rcfiles::rc_files(
        &home,
        w.zdotdir.as_deref().unwrap_or(&home),
        &w.config_home
            .clone()
            .unwrap_or_else(|| home.join(".config")),
    ));
    let job = job_view(w, tmpdir.as_ref());
    let mut report = Report {
        uid: snap.uid,
        user: snap.user.clone(),
        vars: [
            ("TMPDIR", snap.tmpdir.clone()),
            ("TEMP", snap.temp.clone()),
            ("TMP", snap.tmp.clone()),
        ],
        tmpdir,
        python,
        runtimes,
        private,
        fs,
        rc,
        job,
        runtime_dir: xdg::view(snap),
        findings: Vec::new(),
    };
    report.findings = findings::judge(&report, w);
    report
}

/// CPython's `_candidate_tempdir_list` and `_get_default_tempdir`.
pub fn candidate_list(snap: &Snapshot, cwd: Option<&Path>) -> Vec<(Origin, OsString)> {
    let mut list = Vec::new();
    for (name, v) in [
        ("TMPDIR", &snap.tmpdir),
        ("TEMP", &snap.temp),
        ("TMP", &snap.tmp),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            list.push((Origin::Env(name), v.clone()));
        }
    }
    for d in ["/tmp", "/var/tmp", "/usr/tmp"] {
        list.push((Origin::Default, OsString::from(d)));
    }
    list.push((
        Origin::Cwd,
        cwd.map_or_else(|| OsString::from("."), |c| c.as_os_str().to_owned()),
    ));
    list
}

fn python_view(snap: &Snapshot, cwd: Option<&Path>, probes: &Probes) -> Python {
    let mut candidates = Vec::new();
    for (origin, raw) in candidate_list(snap, cwd) {
        // Python keeps os.curdir as it is; everything else goes through abspath.
        let dir = if raw == "." && origin == Origin::Cwd {
            Ok(PathBuf::from("."))
        } else {
            python_abspath(&raw)
                .map_err(|e| e.raw_os_error().map_or(Errno::ENOENT, Errno::from_raw))
        };
        match dir {
            Ok(dir) => {
                let result = probes.probe(&dir).map_err(CandidateError::Probe);
                let ok = result.is_ok();
                candidates.push(Candidate {
                    origin,
                    dir: dir.clone(),
                    result,
                });
                if ok {
                    return Python {
                        candidates,
                        tempdir: Some(dir),
                    };
                }
            }
            Err(e) => {
                // os.getcwd() raises inside gettempdir(): no further candidate is tried.
                candidates.push(Candidate {
                    origin,
                    dir: PathBuf::from(raw),
                    result: Err(CandidateError::Cwd(e)),
                });
                break;
            }
        }
    }
    Python {
        candidates,
        tempdir: None,
    }
}

/// The real filesystem answers for the runtimes' own checks.
struct RealChecks {
    uid: u32,
    groups: Vec<u32>,
}

impl RealChecks {
    fn new(uid: u32) -> RealChecks {
        let mut groups: Vec<u32> = nix::unistd::getgroups()
            .unwrap_or_default()
            .iter()
            .map(|g| g.as_raw())
            .collect();
        groups.push(nix::unistd::getegid().as_raw());
        RealChecks { uid, groups }
    }
    /// Permission bits say this user may write (root always may), as Perl and Ruby test.
    fn mode_writable(&self, m: &std::fs::Metadata) -> bool {
        let mode = m.mode();
        self.uid == 0
            || if m.uid() == self.uid {
                mode & 0o200 != 0
            } else if self.groups.contains(&m.gid()) {
                mode & 0o020 != 0
            } else {
                mode & 0o002 != 0
            }
    }
}

impl runtimes::Checks for RealChecks {
    fn dir_access_writable(&self, p: &Path) -> bool {
        p.is_dir() && nix::unistd::access(p, nix::unistd::AccessFlags::W_OK).is_ok()
    }
    fn dir_mode_writable(&self, p: &Path) -> bool {
        std::fs::metadata(p).is_ok_and(|m| m.is_dir() && self.mode_writable(&m))
    }
    fn ruby_accepts(&self, p: &Path) -> bool {
        std::fs::metadata(p).is_ok_and(|m| {
            let world_writable_unsticky = m.mode() & 0o002 != 0 && m.mode() & 0o1000 == 0;
            m.is_dir() && self.mode_writable(&m) && !world_writable_unsticky
        })
    }
}

fn runtime_views(w: &World, probes: &Probes) -> Vec<Runtime> {
    let snap = &w.snap;
    let vars = runtimes::Vars {
        tmpdir: snap.tmpdir.as_deref(),
        tmp: snap.tmp.as_deref(),
        temp: snap.temp.as_deref(),
        java: &w.java,
    };
    let checks = RealChecks::new(snap.uid);
    runtimes::RULES
        .iter()
        .map(|rule| {
            let pick = (rule.pick)(&vars, &checks);
            let abs = pick.as_ref().and_then(|p| match p.dir.is_empty() {
                true => w.cwd.clone(),
                false => abspath(&p.dir).ok(),
            });
            let usable = abs.as_deref().map(|d| probes.probe(d));
            Runtime {
                rule,
                pick,
                abs,
                usable,
            }
        })
        .collect()
}

/// `$TMPDIR` by itself, and what `init` would do: read-only, through the same
/// `privdir` checks and the same `decide` rules as `init`.
fn private_view(w: &World) -> (Option<Tmpdir>, Private) {
    let snap = &w.snap;
    let uid = snap.uid;
    // The very decision init would make (init's own code: one rule, one place).
    let opts = resolve::Options {
        base: w.base_flag.clone(),
        force: false,
    };
    let resolve::Plan {
        base,
        base_configured,
        base_refused,
        ident,
        target,
        tmpdir: abs,
        found,
        decision,
    } = resolve::plan(snap, &opts);
    let (base, base_error) = match base {
        Ok(b) => (Some(b), None),
        Err(e) => (None, Some(e)),
    };
    let base_path = base
        .as_ref()
        .map_or_else(|| PathBuf::from(DEFAULT_BASE), |b| b.path.clone());
    let passwd_name = SystemPasswd.name_of(uid);
    let tmpdir_path = abs.as_deref();
    // Doctor looks at TMPDIR even where init's fast path need not.
    let found = found.or_else(|| tmpdir_path.map(|p| privdir::find(p, uid)));
    let tmpdir = snap.tmpdir.as_ref().map(|raw| Tmpdir {
        raw: raw.clone(),
        abs: abs.clone(),
        found,
    });

    let inspect = |base: &Dir| -> DirState {
        let name = OsStr::new(&ident.name);
        match privdir::open_private(base, name, uid) {
            Ok(dir) => DirState::Ready {
                stat: dir.stat,
                usable: probe::probe_fd(dir.fd.as_fd()),
            },
            Err(e)
                if matches!(
                    e.problem,
                    Problem::Os {
                        errno: Errno::ENOENT,
                        ..
                    }
                ) =>
            {
                creatable_in(base)
            }
            Err(e) => DirState::Refused(e, lstat_at(base, name)),
        }
    };
    let (dir, state) = match &decision.choice {
        decide::Choice::Keep => {
            let stat = match tmpdir.as_ref().and_then(|t| t.found.as_ref()) {
                Some(Found::Dir(d)) => d.stat,
                _ => unreachable!("Keep is only decided for a directory"),
            };
            (tmpdir_path.map(Path::to_owned), Some(DirState::Kept(stat)))
        }
        decide::Choice::Target => (Some(target.clone()), base.as_ref().map(inspect)),
        decide::Choice::TargetIn(shared) => {
            let path = shared.join(&ident.name);
            match privdir::open_base(shared, uid) {
                Ok(b) => (Some(path), Some(inspect(&b))),
                Err(e) => (Some(path), Some(DirState::Refused(e, None))),
            }
        }
        decide::Choice::CreateInOwn => {
            let path = tmpdir_path.map(Path::to_owned);
            let parent = path
                .as_deref()
                .and_then(Path::parent)
                .unwrap_or(Path::new("/"));
            let state = match privdir::open_parent(parent, uid) {
                Ok(p) => creatable_in(&p),
                Err(e) => DirState::Refused(e, None),
            };
            (path, Some(state))
        }
    };
    let private = Private {
        base: base_path,
        configured: base_configured,
        base_refused,
        base_error,
        ident,
        passwd_name,
        decision: Some(decision),
        dir,
        state,
    };
    (tmpdir, private)
}

/// A missing directory: could init make it in `parent`? (`faccessat`, changes nothing.)
fn creatable_in(parent: &Dir) -> DirState {
    use nix::unistd::{AccessFlags, faccessat};
    let mode = AccessFlags::W_OK | AccessFlags::X_OK;
    match faccessat(parent.fd.as_fd(), ".", mode, nix::fcntl::AtFlags::empty()) {
        Ok(()) => DirState::Missing,
        Err(e) => DirState::CannotCreate(e),
    }
}

/// What is at `<dir>/<name>`, not following a symlink, for the report.
fn lstat_at(dir: &Dir, name: &OsStr) -> Option<Stat> {
    // Without a round trip to a filesystem mounted there (a stopped FUSE daemon).
    privdir::lstat_at(dir, name).ok()
}

fn filesystem_view(python: &Python, tmpdir: Option<&Tmpdir>) -> Option<Filesystem> {
    if let Some(dir) = &python.tempdir {
        return Some(Filesystem {
            dir: dir.clone(),
            is_python_dir: true,
            info: fsinfo::inspect(dir),
        });
    }
    // Nothing works: describe where TMPDIR points if it exists, else /tmp.
    let stand_in = tmpdir
        .and_then(|t| t.abs.clone())
        .filter(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let info = fsinfo::inspect(&stand_in);
    Some(Filesystem {
        dir: stand_in,
        is_python_dir: false,
        info,
    })
}

fn job_view(w: &World, tmpdir: Option<&Tmpdir>) -> Job {
    let scheduler = w.snap.job;
    let mut job = Job {
        scheduler,
        vars: w.job_vars.clone(),
        ..Job::default()
    };
    if scheduler.is_none() {
        return job;
    }
    let get = |n: &str| {
        w.job_vars
            .iter()
            .find(|v| v.0 == n)
            .map(|v| &v.1)
            .filter(|v| !v.is_empty())
    };
    job.job_dir = SCHEDULERS
        .iter()
        .filter_map(|s| s.job_dir)
        .find_map(|n| get(n).and_then(|v| abspath(v).ok()).map(|p| (n, p)));
    let Some(tmpdir) = tmpdir.and_then(|t| t.abs.as_deref()) else {
        job.tmpdir_is_job_dir = job.job_dir.as_ref().map(|_| false);
        return job;
    };
    if let Some((_, dir)) = &job.job_dir {
        job.tmpdir_is_job_dir = Some(tmpdir.starts_with(dir));
        return job;
    }
    // No directory variable: a TMPDIR naming the job id (pbs.<id>, <id>.tmpdir, job_<id>) is the job's.
    let ids: Vec<&OsString> = SCHEDULERS
        .iter()
        .flat_map(|s| s.job_ids)
        .filter_map(|m| get(m))
        .collect();
    if ids
        .iter()
        .any(|id| contains(tmpdir.as_os_str().as_bytes(), id.as_bytes()))
    {
        job.tmpdir_is_job_dir = Some(true);
    }
    job
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_cpython() {
        let snap = Snapshot {
            tmpdir: Some("".into()),
            temp: Some("/b".into()),
            tmp: Some("rel".into()),
            ..Snapshot::default()
        };
        let list: Vec<_> = candidate_list(&snap, Some(Path::new("/home/a")))
            .into_iter()
            .map(|(o, v)| format!("{}={}", o.label(), v.to_string_lossy()))
            .collect();
        assert_eq!(
            list,
            [
                "TEMP=/b",
                "TMP=rel",
                "default=/tmp",
                "default=/var/tmp",
                "default=/usr/tmp",
                "cwd=/home/a"
            ]
        );
        assert_eq!(
            candidate_list(&Snapshot::default(), None).last().unwrap().1,
            "."
        );
    }

    #[test]
    fn severity_orders_and_exit_code() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
    }
}
