//! `tmpguard doctor`: gather where temp files really go and why, judge it into
//! findings, and render them for a person or as JSON.
//!
//! - [`gather`] does all the I/O, through the effects interface: the
//!   environment, CPython's candidates and other runtimes' picks (each probed
//!   the way Python does, which creates and removes one short-lived file), the
//!   filesystem, the start-up files, the names of the uids it will mention, and
//!   what `init` would do: init's own plan, carried out by init's own engine
//!   over a dry run (real reads, pretended writes), so it cannot drift.
//! - [`findings::judge`] is pure: the report in, findings out, each with a
//!   stable [`Code`] (unit tests in `judge_tests.rs`, one per code).
//! - `human` and `json` render the report; neither looks anything up.

pub mod findings;
pub mod human;
pub mod json;
#[cfg(test)]
mod judge_tests;
pub mod rcfiles;
pub mod rcread;
pub mod runtimes;
pub mod xdg;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::engine::decide::{self, Decision};
use crate::engine::decide::{Replaced, Why};
use crate::engine::dryrun::DryRun;
use crate::engine::effects::Fs;
use crate::engine::ensure::Attempt;
use crate::engine::env::Snapshot;
use crate::engine::fsinfo::FsInfo;
use crate::engine::identity::{self, Identity, Names};
use crate::engine::pathnorm::{abspath, python_abspath};
use crate::engine::privdir::{self, Found, Problem, Stat};
use crate::engine::probe::ProbeError;
use crate::engine::resolve::{self, DEFAULT_BASE};
use crate::engine::scheduler::{self, SCHEDULERS, Scheduler};
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

/// What a finding is about: a stable name for scripts (`findings[].code` in
/// `doctor --json`), kept for as long as the JSON schema is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// TEMP or TMP is unusable and Python skips it.
    TmpVarUnusable,
    /// Python's tempfile raises: a relative variable and no current directory.
    PythonNoCwd,
    /// no directory works: Python raises, other programs fail.
    NoUsableDir,
    /// TMPDIR is not set.
    TmpdirUnset,
    /// TMPDIR is set but empty.
    TmpdirEmpty,
    /// TMPDIR is a relative path.
    TmpdirRelative,
    /// TMPDIR does not work (Python silently moves on, others fail).
    TmpdirUnusable,
    /// TMPDIR is shared with every user (like /tmp).
    TmpdirShared,
    /// TMPDIR belongs to another user.
    TmpdirForeignOwner,
    /// group or others can write into TMPDIR.
    TmpdirOpen,
    /// TMPDIR is private (or the job's) and usable.
    TmpdirOk,
    /// TMPDIR passes through another user's symlink.
    TmpdirForeignLink,
    /// TMPDIR is inside a directory others can rename things in, on a mount someone else made, or per-process (/proc).
    TmpdirUnsafePath,
    /// TEMP or TMP differs from TMPDIR.
    TmpVarDiffers,
    /// another runtime would fail or raise.
    RuntimeFails,
    /// another runtime puts temp files elsewhere than Python.
    RuntimeElsewhere,
    /// a runtime ignores TMPDIR (Java, tmpfile()).
    RuntimeIgnoresTmpdir,
    /// init would refuse the configured base and use /tmp.
    BaseRefused,
    /// init cannot work: no usable base.
    BaseUnusable,
    /// init will not use the private directory's name (someone else's object).
    PrivateRefused,
    /// the private directory fails the probe.
    PrivateUnusable,
    /// init would set the private directory to mode 0700.
    PrivateMode,
    /// init cannot create the private directory.
    PrivateCannotCreate,
    /// init would replace TMPDIR, and why.
    TmpdirReplaced,
    /// little free space under the temp directory.
    LowSpace,
    /// few free inodes under the temp directory.
    LowInodes,
    /// the temp directory is on a noexec mount.
    Noexec,
    /// the temp directory's path is too long for Unix sockets under it.
    SocketPathLong,
    /// the temp directory is on a network filesystem.
    NetworkFs,
    /// a start-up file sets TMPDIR unconditionally.
    RcSetsTmpdir,
    /// a start-up file already runs tmpguard.
    RcRunsTmpguard,
    /// tmpguard is not in the start-up files.
    RcNoTmpguard,
    /// $USER is not set.
    UserUnset,
    /// $USER names another account than the uid's.
    UserMismatch,
    /// the uid has no passwd entry.
    NoPasswdEntry,
    /// the passwd lookup did not answer: init fails until it does.
    PasswdNoAnswer,
    /// inside a batch job, TMPDIR is the job's directory.
    JobDirOk,
    /// inside a batch job, TMPDIR is not the job's directory.
    JobDirReplaced,
    /// inside a batch job, nothing tells what the job's directory is.
    JobDirUnknown,
    /// XDG_RUNTIME_DIR is not valid (missing, another user's, not 0700, not local, ...).
    RuntimeDirInvalid,
    /// XDG_RUNTIME_DIR is not set and programs here need it.
    RuntimeDirUnset,
    /// /run/user/<uid> does not exist: gpg-agent puts its sockets in ~/.gnupg.
    GnupgNoRunUser,
    /// the site configuration file is ignored (untrusted or invalid).
    SiteConfigIgnored,
    /// the site configuration switches tmpguard off for this user.
    SiteDisabled,
    /// FUSE lets users make mounts other users enter (`user_allow_other`).
    FuseAllowOther,
}

impl Code {
    /// Every code, in the order the judge may give them.
    #[cfg(test)]
    pub const ALL: [Code; 45] = [
        Code::TmpVarUnusable,
        Code::PythonNoCwd,
        Code::NoUsableDir,
        Code::TmpdirUnset,
        Code::TmpdirEmpty,
        Code::TmpdirRelative,
        Code::TmpdirUnusable,
        Code::TmpdirShared,
        Code::TmpdirForeignOwner,
        Code::TmpdirOpen,
        Code::TmpdirOk,
        Code::TmpdirForeignLink,
        Code::TmpdirUnsafePath,
        Code::TmpVarDiffers,
        Code::RuntimeFails,
        Code::RuntimeElsewhere,
        Code::RuntimeIgnoresTmpdir,
        Code::BaseRefused,
        Code::BaseUnusable,
        Code::PrivateRefused,
        Code::PrivateUnusable,
        Code::PrivateMode,
        Code::PrivateCannotCreate,
        Code::TmpdirReplaced,
        Code::LowSpace,
        Code::LowInodes,
        Code::Noexec,
        Code::SocketPathLong,
        Code::NetworkFs,
        Code::RcSetsTmpdir,
        Code::RcRunsTmpguard,
        Code::RcNoTmpguard,
        Code::UserUnset,
        Code::UserMismatch,
        Code::NoPasswdEntry,
        Code::PasswdNoAnswer,
        Code::JobDirOk,
        Code::JobDirReplaced,
        Code::JobDirUnknown,
        Code::RuntimeDirInvalid,
        Code::RuntimeDirUnset,
        Code::GnupgNoRunUser,
        Code::SiteConfigIgnored,
        Code::SiteDisabled,
        Code::FuseAllowOther,
    ];

    /// The code as `doctor --json` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::TmpVarUnusable => "tmp_var_unusable",
            Code::PythonNoCwd => "python_no_cwd",
            Code::NoUsableDir => "no_usable_dir",
            Code::TmpdirUnset => "tmpdir_unset",
            Code::TmpdirEmpty => "tmpdir_empty",
            Code::TmpdirRelative => "tmpdir_relative",
            Code::TmpdirUnusable => "tmpdir_unusable",
            Code::TmpdirShared => "tmpdir_shared",
            Code::TmpdirForeignOwner => "tmpdir_foreign_owner",
            Code::TmpdirOpen => "tmpdir_open",
            Code::TmpdirOk => "tmpdir_ok",
            Code::TmpdirForeignLink => "tmpdir_foreign_link",
            Code::TmpdirUnsafePath => "tmpdir_unsafe_path",
            Code::TmpVarDiffers => "tmp_var_differs",
            Code::RuntimeFails => "runtime_fails",
            Code::RuntimeElsewhere => "runtime_elsewhere",
            Code::RuntimeIgnoresTmpdir => "runtime_ignores_tmpdir",
            Code::BaseRefused => "base_refused",
            Code::BaseUnusable => "base_unusable",
            Code::PrivateRefused => "private_refused",
            Code::PrivateUnusable => "private_unusable",
            Code::PrivateMode => "private_mode",
            Code::PrivateCannotCreate => "private_cannot_create",
            Code::TmpdirReplaced => "tmpdir_replaced",
            Code::LowSpace => "low_space",
            Code::LowInodes => "low_inodes",
            Code::Noexec => "noexec",
            Code::SocketPathLong => "socket_path_long",
            Code::NetworkFs => "network_fs",
            Code::RcSetsTmpdir => "rc_sets_tmpdir",
            Code::RcRunsTmpguard => "rc_runs_tmpguard",
            Code::RcNoTmpguard => "rc_no_tmpguard",
            Code::UserUnset => "user_unset",
            Code::UserMismatch => "user_mismatch",
            Code::NoPasswdEntry => "no_passwd_entry",
            Code::PasswdNoAnswer => "passwd_no_answer",
            Code::JobDirOk => "job_dir_ok",
            Code::JobDirReplaced => "job_dir_replaced",
            Code::JobDirUnknown => "job_dir_unknown",
            Code::RuntimeDirInvalid => "runtime_dir_invalid",
            Code::RuntimeDirUnset => "runtime_dir_unset",
            Code::GnupgNoRunUser => "gnupg_no_run_user",
            Code::SiteConfigIgnored => "site_config_ignored",
            Code::SiteDisabled => "site_disabled",
            Code::FuseAllowOther => "fuse_allow_other",
        }
    }
}

/// One thing doctor has to say, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// A command or rc line to use.
    pub fix: Option<String>,
}

/// fusermount's configuration.
pub const FUSE_CONF: &str = "/etc/fuse.conf";

/// Whether fuse.conf lets users mount with `allow_other` (as fusermount reads
/// it: one option a line, `#` starts a comment, blanks around it ignored).
pub fn allows_other(text: &str) -> bool {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .any(|l| l == "user_allow_other")
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
    /// `/etc/fuse.conf` has `user_allow_other`.
    pub fuse_allow_other: bool,
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
            fuse_allow_other: std::fs::read_to_string(FUSE_CONF)
                .is_ok_and(|text| allows_other(&text)),
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
    pub found: Option<Seen>,
}

/// What is at `$TMPDIR` (through links owned by root or the user only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A directory.
    Dir(Stat),
    /// Nothing at the last name; the directory it would be made in, when safe.
    Missing { parent: Option<Stat> },
    /// Anything else.
    Bad(privdir::Error),
}

impl From<&Found> for Seen {
    fn from(f: &Found) -> Seen {
        match f {
            Found::Dir(d) => Seen::Dir(d.stat),
            Found::Missing { parent } => Seen::Missing { parent: *parent },
            Found::Bad(e) => Seen::Bad(e.clone()),
        }
    }
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
    /// A passwd lookup that did not answer (init's, or the uid's name).
    pub passwd_error: Option<String>,
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
        // The name could not be confirmed: init fails with that reason
        // (`uid-N` here is only a placeholder, never used).
        if let (Some(e), identity::Source::Uid) = (&self.passwd_error, self.ident.source) {
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
        identity::Source::Template => "the site's name template (by uid)",
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
    /// The site configuration file: read, absent or ignored, and whether it
    /// has tmpguard on for this user (`Err`: why not).
    pub site: (crate::config::Source, Result<(), String>),
    /// Nothing else works but `/dev/shm` does: the fix to suggest.
    pub shm_usable: bool,
    /// The passwd names of every uid the report mentions, looked up while
    /// gathering: judging and rendering do no lookup.
    pub names: Names,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Every uid a message may name: the user, owners of what was found, offenders.
    pub fn uids(&self) -> Vec<u32> {
        let mut uids = vec![self.uid];
        match self.tmpdir.as_ref().and_then(|t| t.found.as_ref()) {
            Some(Seen::Dir(st)) => uids.push(st.uid),
            Some(Seen::Bad(e)) => uids.extend(e.offenders()),
            _ => {}
        }
        let p = &self.private;
        match &p.state {
            Some(DirState::Kept(st) | DirState::Ready { stat: st, .. }) => uids.push(st.uid),
            Some(DirState::Refused(e, st)) => {
                uids.extend(e.offenders());
                uids.extend(st.map(|s| s.uid));
            }
            _ => {}
        }
        uids.extend(p.base_error.iter().flat_map(privdir::Error::offenders));
        if let Some(Why::Replaced(Replaced::Bad(bad))) = p.decision.as_ref().map(|d| &d.why) {
            match bad {
                decide::Bad::Unsafe(u) => uids.extend(u.offender()),
                decide::Bad::Error(e) => uids.extend(e.offenders()),
            }
        }
        uids.extend(self.runtime_dir.uids());
        uids
    }

    /// Exit status: 0 with only info findings, 1 with any warning or error.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.findings.iter().any(|f| f.severity > Severity::Info))
    }
}

/// CPython's probe by path, each directory probed at most once per run.
struct Probes<'a>(
    &'a dyn Fs,
    RefCell<HashMap<PathBuf, Result<(), ProbeError>>>,
);

impl Probes<'_> {
    fn probe(&self, dir: &Path) -> Result<(), ProbeError> {
        if let Some(r) = self.1.borrow().get(dir) {
            return *r;
        }
        // Resolved first the way init does (symlinks and all, asking each
        // network or FUSE mount on the way): one that does not answer is not probed.
        let uid = nix::unistd::getuid().as_raw();
        let r = match dir.is_absolute().then(|| privdir::chase(self.0, dir, uid)) {
            Some(Err(e)) if matches!(e.problem, Problem::NoAnswer(_)) => Err(ProbeError {
                step: crate::engine::probe::Step::NoAnswer,
                errno: Errno::ETIMEDOUT,
            }),
            _ => self.0.probe_path(dir),
        };
        self.1.borrow_mut().insert(dir.to_owned(), r);
        r
    }
}

/// Gather everything and judge it.
pub fn gather(fs: &dyn Fs, w: &World) -> Report {
    let probes = Probes(fs, RefCell::default());
    let snap = &w.snap;
    let python = python_view(snap, w.cwd.as_deref(), &probes);
    let runtimes = runtime_views(w, &probes);
    let (tmpdir, private) = private_view(fs, w);
    let fs_view = filesystem_view(fs, &python, tmpdir.as_ref());
    // Where everything fails, /dev/shm may still work: the fix to suggest.
    let shm = Path::new("/dev/shm");
    let shm_usable = python.tempdir.is_none()
        && privdir::open_base(fs, shm, snap.uid).is_ok()
        && fs.probe_path(shm).is_ok();
    let home = w.home.clone().unwrap_or_default();
    let rc = rcfiles::scan(
        &rcfiles::rc_files(
            &home,
            w.zdotdir.as_deref().unwrap_or(&home),
            &w.config_home
                .clone()
                .unwrap_or_else(|| home.join(".config")),
        ),
        crate::doctor::rcread::rights_for(&home),
    );
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
        fs: fs_view,
        rc,
        job,
        runtime_dir: xdg::view(snap),
        site: (snap.site.source.clone(), snap.site.active(snap.uid)),
        shm_usable,
        names: Names::new(),
        findings: Vec::new(),
    };
    report.names = identity::lookup_names(report.uids(), fs.passwd());
    report.findings = identity::with_names(&report.names, || findings::judge(&report, w));
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

// A directory on a filesystem that does not answer is not touched: it fails
// every runtime's check, as it would (after a long wait) for the runtime.
impl runtimes::Checks for RealChecks {
    fn dir_access_writable(&self, p: &Path) -> bool {
        answers(p) && p.is_dir() && nix::unistd::access(p, nix::unistd::AccessFlags::W_OK).is_ok()
    }
    fn dir_mode_writable(&self, p: &Path) -> bool {
        answers(p) && std::fs::metadata(p).is_ok_and(|m| m.is_dir() && self.mode_writable(&m))
    }
    fn ruby_accepts(&self, p: &Path) -> bool {
        answers(p)
            && std::fs::metadata(p).is_ok_and(|m| {
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

/// `$TMPDIR` by itself, and what `init` would do: init's own plan, carried
/// out by init's own engine over a dry run (real reads, pretended writes).
fn private_view(fs: &dyn Fs, w: &World) -> (Option<Tmpdir>, Private) {
    let snap = &w.snap;
    let uid = snap.uid;
    let opts = resolve::Options {
        base: w.base_flag.clone(),
        force: false,
        per_job: false,
    };
    let dry = DryRun::new(fs, uid);
    let plan = resolve::plan(&dry, snap, &opts);
    let base_path = plan
        .base
        .as_ref()
        .map_or_else(|_| PathBuf::from(DEFAULT_BASE), |b| b.path.clone());
    let base_error = plan.base.as_ref().err().cloned();
    let (passwd_name, passwd_error) = match fs.passwd().name_of(uid) {
        Ok(name) => (name, None),
        Err(e) => (None, Some(e.to_string())),
    };
    // The lookup init would make (of $USER) comes first: it is what fails init.
    let passwd_error = plan
        .ident_error
        .as_ref()
        .map(ToString::to_string)
        .or(passwd_error);
    let abs = plan.tmpdir.clone();
    let dir = plan.dir();
    // Doctor looks at TMPDIR even where init's fast path need not.
    let found = match &plan.found {
        Some(f) => Some(Seen::from(f)),
        None => abs
            .as_deref()
            .map(|p| Seen::from(&privdir::find(fs, p, uid))),
    };
    let tmpdir = snap.tmpdir.as_ref().map(|raw| Tmpdir {
        raw: raw.clone(),
        abs: abs.clone(),
        found,
    });
    let decision = plan.decision.clone();
    let ident = plan.ident.clone();
    let target_needs_base = decision.choice == decide::Choice::Target && base_error.is_some();
    let kept = match (&decision.choice, &plan.found) {
        (decide::Choice::Keep, Some(Found::Dir(d))) => Some(d.stat),
        _ => None,
    };
    let (base_configured, base_refused) = (plan.base_configured, plan.base_refused.clone());
    let (_, trace) = resolve::apply(&dry, plan, snap);
    let state = if let Some(stat) = kept {
        Some(DirState::Kept(stat))
    } else if target_needs_base {
        None
    } else {
        match (trace.parent_error, trace.attempt) {
            (Some(e), _) => Some(DirState::Refused(e, None)),
            (None, Some(a)) => Some(state_of(fs, a, dir.as_deref(), uid)),
            (None, None) => None,
        }
    };
    let private = Private {
        base: base_path,
        configured: base_configured,
        base_refused,
        base_error,
        ident,
        passwd_name,
        passwd_error,
        decision: Some(decision),
        dir,
        state,
    };
    (tmpdir, private)
}

/// What the dry run's attempt at the directory's name says init would find.
fn state_of(fs: &dyn Fs, a: Attempt, path: Option<&Path>, uid: u32) -> DirState {
    match (a.error, a.verified) {
        (None, _) if a.created => DirState::Missing,
        (None, Some(stat)) => DirState::Ready {
            stat,
            usable: Ok(()),
        },
        (Some(e), Some(stat)) if matches!(e.problem, Problem::Probe(_)) => {
            let Problem::Probe(p) = e.problem else {
                unreachable!()
            };
            DirState::Ready {
                stat,
                usable: Err(p),
            }
        }
        (
            Some(privdir::Error {
                problem:
                    Problem::Os {
                        op: privdir::Op::Create,
                        errno,
                    },
                ..
            }),
            _,
        ) => DirState::CannotCreate(errno),
        (Some(e), _) => {
            // What is at the name, for the report (not following a symlink).
            let at = path.and_then(|path| {
                let parent = privdir::open_parent(fs, path.parent()?, uid).ok()?;
                fs.lstat_at(&parent.fd, path.file_name()?).ok()
            });
            DirState::Refused(e, at)
        }
        (None, None) => DirState::Missing,
    }
}

fn filesystem_view(fs: &dyn Fs, python: &Python, tmpdir: Option<&Tmpdir>) -> Option<Filesystem> {
    if let Some(dir) = &python.tempdir {
        return Some(Filesystem {
            dir: dir.clone(),
            is_python_dir: true,
            info: fs.fs_info(dir),
        });
    }
    // Nothing works: describe where TMPDIR points if it exists, else /tmp.
    let stand_in = tmpdir
        .and_then(|t| t.abs.clone())
        .filter(|p| answers(p) && p.is_dir())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let info = fs.fs_info(&stand_in);
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

/// `p` is not on a filesystem that failed to answer (relative: made absolute first).
fn answers(p: &Path) -> bool {
    let abs = match p.is_absolute() {
        true => Some(p.to_owned()),
        false => abspath(p.as_os_str()).ok(),
    };
    abs.is_none_or(|a| crate::engine::hang::check_path(&a).is_ok())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scripted::Scripted;

    const ALICE: u32 = 1000;

    /// What doctor says init would do, from init's engine over a dry run.
    fn would(fs: &Scripted, tmpdir: Option<&str>) -> Private {
        let w = World {
            snap: Snapshot {
                uid: ALICE,
                user: Some("alice".into()),
                tmpdir: tmpdir.map(Into::into),
                ..Snapshot::default()
            },
            ..World::default()
        };
        let (_, private) = private_view(fs, &w);
        assert_eq!(
            fs.count("mkdir_at") + fs.count("chmod"),
            0,
            "a dry run wrote"
        );
        private
    }

    #[test]
    fn init_would_create_a_missing_directory() {
        let fs = Scripted::new(ALICE);
        let p = would(&fs, None);
        assert!(matches!(p.state, Some(DirState::Missing)));
        assert_eq!(
            p.init_would(),
            "create /tmp/alice (mode 0700) and export it (TMPDIR is not set)"
        );
    }

    #[test]
    fn init_would_tighten_a_loose_one_and_shows_its_mode_as_found() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", ALICE, 0o755);
        let p = would(&fs, None);
        let Some(DirState::Ready {
            stat,
            usable: Ok(()),
        }) = p.state
        else {
            panic!("{:?}", p.state)
        };
        assert_eq!(stat.perm(), 0o755);
        assert!(p.init_would().starts_with("set /tmp/alice to mode 0700"));
    }

    #[test]
    fn init_would_refuse_a_squatted_name() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", 2000, 0o700);
        let p = would(&fs, None);
        let Some(DirState::Refused(e, Some(st))) = &p.state else {
            panic!("{:?}", p.state)
        };
        assert_eq!(st.uid, 2000);
        assert!(matches!(e.problem, Problem::Unsafe(_)));
        assert_eq!(
            p.init_would(),
            "refuse /tmp/alice: it is not safe; use a private fallback beside it"
        );
    }

    #[test]
    fn init_would_fail_where_it_cannot_create_or_probe() {
        let fs = Scripted::new(ALICE);
        fs.mkdir_error.set(Some(Errno::EROFS));
        let p = would(&fs, None);
        assert!(matches!(
            p.state,
            Some(DirState::CannotCreate(Errno::EROFS))
        ));
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", ALICE, 0o700);
        fs.probe_result.set(Err(ProbeError {
            step: crate::engine::probe::Step::Write,
            errno: Errno::ENOSPC,
        }));
        let p = would(&fs, None);
        assert!(matches!(
            p.state,
            Some(DirState::Ready { usable: Err(_), .. })
        ));
        assert!(p.init_would().starts_with("fail: /tmp/alice is not usable"));
    }

    #[test]
    fn init_would_keep_a_private_tmpdir() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/mine", ALICE, 0o700);
        let p = would(&fs, Some("/tmp/mine"));
        assert!(matches!(p.state, Some(DirState::Kept(_))));
        assert_eq!(
            p.init_would(),
            "keep /tmp/mine (TMPDIR is private and usable)"
        );
    }

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
