//! One decision, end to end, in two steps: [`plan`] reads the world and
//! applies the rules (creating nothing); [`apply`] carries the plan out
//! through the effects it is given. `init`, `path` and `exec` run both over
//! the real system calls ([`resolve`]); doctor runs the same two over a dry
//! run, so what it says init would do is what init does.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::engine::decide::{self, Bad, Choice, Facts, Parent, Unusable, Why};
use crate::engine::effects::{Fs, RealFs};
use crate::engine::ensure::{self, Attempt, Fallback, TMPDIR};
use crate::engine::env::Snapshot;
use crate::engine::identity::{self, Identity};
use crate::engine::pathnorm::abspath;
use crate::engine::privdir::{self, Dir, Found, Problem};

/// The flags `init`, `path` and `exec` share.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub base: Option<PathBuf>,
    pub force: bool,
    /// Inside a batch job, export `<dir>/job.<id>` (see jobdir.rs).
    pub per_job: bool,
}

/// A directory to export, and what to tell the user about it.
#[derive(Debug)]
pub struct Resolved {
    /// Absolute and normalised, verified private (or a kept job directory), probed.
    pub dir: PathBuf,
    /// One line saying what changed and why; `None` when nothing did.
    pub note: Option<String>,
    /// Problems that did not stop us (a refused base): always shown by `init`.
    pub warnings: Vec<String>,
    /// `$TMPDIR` named the directory exported, before this run.
    pub unchanged: bool,
    pub why: Why,
}

/// Why no directory can be exported.
pub type Failure = privdir::Error;

/// The default base.
pub const DEFAULT_BASE: &str = TMPDIR.default_base;

/// What `init` will do, worked out without creating or changing anything (an
/// existing `$TMPDIR` is probed, as Python would, which leaves nothing
/// behind). [`apply`] carries it out.
#[derive(Debug)]
pub struct Plan {
    /// The base in use: the configured one, else `/tmp`; `Err` when even that fails.
    pub base: Result<Dir, Failure>,
    /// A base was configured and accepted.
    pub base_configured: bool,
    /// Why a configured base was refused (then `/tmp` is used).
    pub base_refused: Option<String>,
    pub ident: Identity,
    /// The identity service did not answer in time: `ident` is then only a
    /// stand-in (`uid-N`) that must not be used to make a directory.
    pub ident_error: Option<crate::engine::hang::NoAnswer>,
    /// `<base>/<name>`.
    pub target: PathBuf,
    /// `$TMPDIR` as `os.path.abspath` makes it; `None` when unset or empty
    /// (or relative with no current directory: nothing to keep).
    pub tmpdir: Option<PathBuf>,
    /// What is at `tmpdir`, when the rules needed to look.
    pub found: Option<Found>,
    pub decision: decide::Decision,
    /// Inside a batch job, export the job's own directory (`--per-job`).
    pub per_job: bool,
}

/// Gather the facts and apply the rules; creates nothing.
pub fn plan(fs: &dyn Fs, snap: &Snapshot, opts: &Options) -> Plan {
    let uid = snap.uid;
    // The base: configured, else /tmp; a refused configured base falls back to /tmp.
    let configured = snap.configured_base(opts.base.as_ref());
    let mut base_refused = None;
    let configured_dir = configured.as_ref().and_then(|b| {
        let opened = abspath(b)
            .map_err(|e| e.to_string())
            .and_then(|p| privdir::open_base(fs, &p, uid).map_err(|e| e.to_string()));
        opened
            .map_err(|why| base_refused = Some(format!("base {}: {why}", Path::new(b).display())))
            .ok()
    });
    let base_configured = configured_dir.is_some();
    let base =
        configured_dir.map_or_else(|| privdir::open_base(fs, Path::new(DEFAULT_BASE), uid), Ok);

    let (ident, ident_error) = match identity::resolve(
        uid,
        snap.user.as_deref().map(OsStrExt::as_bytes),
        |name| base.as_ref().is_ok_and(|b| owned_by(fs, b, name, uid)),
        fs.passwd(),
    ) {
        Ok(i) => (i, None),
        Err(na) => (
            Identity {
                uid,
                name: format!("uid-{uid}"),
                source: identity::Source::Uid,
            },
            Some(na),
        ),
    };
    let target = base
        .as_ref()
        .map_or(Path::new(DEFAULT_BASE), |b| &b.path)
        .join(&ident.name);

    let tmpdir = snap
        .tmpdir
        .as_deref()
        .filter(|v| !v.is_empty())
        .and_then(|v| abspath(v).ok());
    // The fast path (TMPDIR already the target) needs no look at it.
    let found = tmpdir
        .as_deref()
        .filter(|p| !opts.force && *p != target)
        .map(|p| privdir::find(fs, p, uid));
    let facts = match (&found, &tmpdir) {
        (Some(f), Some(p)) => facts_of(fs, f, p, uid),
        // Not looked at: the rules do not need it (unset, --force, or the target).
        _ => Facts::Missing {
            parent: Parent::Other,
        },
    };
    let decision = decide::decide(&decide::Input {
        uid,
        tmpdir: tmpdir.as_deref(),
        facts: &facts,
        target: &target,
        force: opts.force,
        base_configured,
        in_job: snap.job.is_some(),
    });
    Plan {
        base,
        base_configured,
        base_refused,
        ident,
        ident_error,
        target,
        tmpdir,
        found,
        decision,
        per_job: opts.per_job,
    }
}

impl Plan {
    /// The directory the plan exports, whatever a fallback may make of it.
    pub fn dir(&self) -> Option<PathBuf> {
        match &self.decision.choice {
            Choice::Keep | Choice::CreateInOwn => self.tmpdir.clone(),
            Choice::Target => Some(self.target.clone()),
            Choice::TargetIn(shared) => Some(shared.join(&self.ident.name)),
        }
    }
}

/// What [`apply`] did on the way, for doctor to read back from a dry run.
#[derive(Debug, Default)]
pub struct Trace {
    /// The directory the private one is made in could not be opened.
    pub parent_error: Option<Failure>,
    /// What happened at the name the plan chose (before any fallback).
    pub attempt: Option<Attempt>,
}

/// Run the whole decision for this process: plan, then create, verify, probe, confirm.
pub fn resolve(snap: &Snapshot, opts: &Options) -> Result<Resolved, Failure> {
    let plan = plan(&RealFs, snap, opts);
    apply(&RealFs, plan, snap).0
}

/// Carry out the plan: make the directory it chose exist, verified and probed
/// (or confirm the kept one), through `fs`.
pub fn apply(fs: &dyn Fs, plan: Plan, snap: &Snapshot) -> (Result<Resolved, Failure>, Trace) {
    let mut trace = Trace::default();
    let result = carry_out(fs, plan, snap, &mut trace);
    (result, trace)
}

fn carry_out(
    fs: &dyn Fs,
    plan: Plan,
    snap: &Snapshot,
    trace: &mut Trace,
) -> Result<Resolved, Failure> {
    let Plan {
        base,
        base_refused,
        ident,
        ident_error,
        target,
        tmpdir: tmpdir_path,
        found,
        decision,
        per_job,
        ..
    } = plan;
    // The name is needed to make `<base>/<name>`; without an answer, no name
    // (never another one).
    if let (Some(na), Choice::Target | Choice::TargetIn(_)) = (ident_error, &decision.choice) {
        return Err(privdir::Error {
            path: target,
            problem: Problem::NoAnswer(na),
        });
    }
    let uid = snap.uid;
    let mut warnings: Vec<String> = base_refused
        .map(|why| format!("refusing {why}; using {DEFAULT_BASE}"))
        .into_iter()
        .collect();
    let tmpdir = snap.tmpdir.as_deref().filter(|v| !v.is_empty());
    let name = OsStr::new(&ident.name);

    let mut made = |dir: Result<Dir, Failure>, name: &OsStr, fallback| {
        let dir = dir.inspect_err(|e| trace.parent_error = Some(e.clone()))?;
        let ensured = ensure::ensure_private(fs, &TMPDIR, &dir, name, uid, fallback);
        trace.attempt = Some(ensured.attempt);
        warnings.extend(ensured.warning);
        ensured
            .result
            .map(|m| (m.path, m.created, m.tightened_from))
    };
    let (dir, created, tightened) = match &decision.choice {
        Choice::Keep => {
            let Some(Found::Dir(dir)) = found else {
                unreachable!("Keep is only decided for a directory")
            };
            privdir::confirm_path(fs, &dir.path, &dir, uid)?;
            (dir.path, false, None)
        }
        Choice::Target => made(base, name, Fallback::Kind)?,
        Choice::TargetIn(shared) => {
            made(privdir::open_base(fs, shared, uid), name, Fallback::Kind)?
        }
        Choice::CreateInOwn => {
            let path = tmpdir_path.as_deref().expect("CreateInOwn needs TMPDIR");
            let parent = privdir::open_parent(fs, path.parent().unwrap_or(Path::new("/")), uid);
            // The user's own directory: nobody else can hold a name in it.
            made(
                parent,
                path.file_name().unwrap_or_default(),
                Fallback::Never,
            )?
        }
    };

    // Per-job: the job's own directory inside the user's (never inside a
    // directory the scheduler or the user chose and the rules kept).
    let job_parent = match (&snap.job_id, &decision.choice) {
        (Some(_), Choice::Target | Choice::TargetIn(_)) if per_job => Some(dir.clone()),
        (Some(_), Choice::Keep) if per_job => jobdir_parent(&dir, &target, &ident.name),
        _ => None,
    };
    let (dir, created, tightened) = match (job_parent, &snap.job_id) {
        (Some(parent), Some(job)) => match make_job_dir(fs, &parent, job, uid) {
            Ok(m) => m,
            Err(e) => {
                // The user's own verified directory is still far better than
                // what the job inherited: use it, and say why.
                warnings.push(format!(
                    "{e}; no per-job directory, using {}",
                    parent.display()
                ));
                (parent, created, tightened)
            }
        },
        _ => (dir, created, tightened),
    };

    let unchanged = tmpdir.map(Path::new) == Some(dir.as_path());
    let note = note(
        &decision.why,
        snap.tmpdir.as_deref(),
        &dir,
        created,
        tightened,
        unchanged,
    );
    Ok(Resolved {
        dir,
        note,
        warnings,
        unchanged,
        why: decision.why,
    })
}

/// Where the job directory goes when `$TMPDIR` was kept as `dir`: inside it
/// when it is the user's target's fallback (`<base>/<name>.XXXXXXXX`),
/// beside it when it is an earlier job's directory in the target or a
/// fallback; `None` (keep it) for anything else, such as a directory the
/// scheduler made for this job.
fn jobdir_parent(dir: &Path, target: &Path, name: &str) -> Option<PathBuf> {
    let users = |p: &Path| {
        p == target
            || (p.parent() == target.parent()
                && p.file_name().is_some_and(|f| {
                    crate::engine::fallback::is_fallback_of(f.as_bytes(), name.as_bytes())
                }))
    };
    if users(dir) {
        return Some(dir.to_owned());
    }
    let parent = dir.parent()?;
    let old_job = dir
        .file_name()
        .is_some_and(|f| f.as_bytes().starts_with(b"job."));
    (old_job && users(parent)).then(|| parent.to_owned())
}

/// `<parent>/job.<id>`, made by the same engine as the user's directory
/// (verified, probed, confirmed; no fallback: only the user can make names
/// in it), with its marker. `parent` is opened again and must be a private
/// directory of the uid.
fn make_job_dir(
    fs: &dyn Fs,
    parent: &Path,
    job: &crate::engine::jobdir::JobId,
    uid: u32,
) -> Result<(PathBuf, bool, Option<u32>), Failure> {
    use crate::engine::jobdir;
    let p = privdir::open_base(fs, parent, uid)?;
    if !p.stat.private_to(uid) {
        return Err(privdir::Error {
            path: parent.to_owned(),
            problem: Problem::Moved,
        });
    }
    let name = job.dir_name().ok_or_else(|| privdir::Error {
        path: parent.join("job.?"),
        problem: Problem::Os {
            op: privdir::Op::Create,
            errno: nix::errno::Errno::ENAMETOOLONG,
        },
    })?;
    let m = ensure::ensure_private(fs, &jobdir::KIND, &p, &name, uid, Fallback::Never).result?;
    let marker_error = |errno| privdir::Error {
        path: m.path.join(jobdir::MARKER),
        problem: Problem::Os {
            op: privdir::Op::Create,
            errno,
        },
    };
    let h = fs.open_at(&p.fd, &name, true).map_err(marker_error)?;
    // A dry run has no real descriptor, and writes nothing.
    if let Ok(fd) = h.fd() {
        jobdir::write_marker(fd, job).map_err(marker_error)?;
    }
    Ok((m.path, m.created, m.tightened_from))
}

/// `<base>/<name>` exists and belongs to `uid` (one `fstatat`, no passwd lookup).
fn owned_by(fs: &dyn Fs, base: &Dir, name: &str, uid: u32) -> bool {
    // statx without a round trip: a stopped FUSE daemon at the name must not hang.
    fs.lstat_at(&base.fd, OsStr::new(name))
        .is_ok_and(|st| st.uid == uid)
}

/// Reduce what is at `$TMPDIR` to the facts `decide` needs (probing it when worth it).
fn facts_of(fs: &dyn Fs, found: &Found, path: &Path, uid: u32) -> Facts {
    match found {
        Found::Dir(dir) => {
            let st = &dir.stat;
            let worth_probing = (st.uid == uid || st.uid == 0) && !st.shared_sticky();
            Facts::Dir {
                owner: st.uid,
                open: st.writable_by_others(),
                shared_sticky: st.shared_sticky(),
                usable: if worth_probing {
                    fs.probe(&dir.fd).map_err(Unusable::Probe)
                } else {
                    Err(Unusable::NotProbed)
                },
            }
        }
        Found::Missing { parent: Some(p) } if p.shared_sticky() => Facts::Missing {
            parent: Parent::SharedSticky,
        },
        Found::Missing { parent: Some(p) } if p.private_to(uid) => Facts::Missing {
            parent: Parent::Own,
        },
        Found::Missing { .. } => Facts::Missing {
            parent: Parent::Other,
        },
        Found::Bad(e) => Facts::Bad(match &e.problem {
            Problem::Unsafe(u) if e.path == path => Bad::Unsafe(u.clone()),
            _ => Bad::Error(e.clone()),
        }),
    }
}

/// The one line `init` prints when something changed.
fn note(
    why: &Why,
    old: Option<&OsStr>,
    dir: &Path,
    created: bool,
    tightened: Option<u32>,
    unchanged: bool,
) -> Option<String> {
    let dir = dir.display();
    let what = match (created, tightened) {
        (true, _) => format!("created {dir} (mode 0700)"),
        (false, Some(m)) => format!("set {dir} to mode 0700 (was {m:04o})"),
        (false, None) => format!("using {dir}"),
    };
    let old = old
        .map(|o| Path::new(o).display().to_string())
        .unwrap_or_default();
    let reason = why.note(&old);
    // Nothing new to say: the same directory as before, untouched.
    if unchanged && !created && tightened.is_none() {
        return None;
    }
    if reason.is_empty() && !created && tightened.is_none() && !matches!(why, Why::Forced) {
        return None;
    }
    Some(format!("{reason}{what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dryrun::DryRun;
    use crate::engine::scripted::Scripted;

    const ALICE: u32 = 1000;

    fn alice(tmpdir: Option<&str>) -> Snapshot {
        Snapshot {
            uid: ALICE,
            user: Some("alice".into()),
            tmpdir: tmpdir.map(Into::into),
            ..Snapshot::default()
        }
    }

    fn run(fs: &dyn Fs, snap: &Snapshot) -> Result<Resolved, Failure> {
        apply(fs, plan(fs, snap, &Options::default()), snap).0
    }

    #[test]
    fn plan_then_apply_through_the_effects() {
        let fs = Scripted::new(ALICE);
        let r = run(&fs, &alice(None)).unwrap();
        assert_eq!(r.dir, Path::new("/tmp/alice"));
        assert_eq!(r.note.as_deref(), Some("created /tmp/alice (mode 0700)"));
        // The next shell: the fast path trusts $USER, no passwd lookup, nothing made.
        fs.calls.borrow_mut().clear();
        let r = run(&fs, &alice(Some("/tmp/alice"))).unwrap();
        assert!(r.unchanged && r.note.is_none());
        assert_eq!(fs.count("probe"), 2);
    }

    #[test]
    fn a_file_at_tmpdir_is_replaced_with_the_reason() {
        let fs = Scripted::new(ALICE);
        fs.file("/tmp/f", 2000);
        let names = vec![(2000, Some("mallory".to_owned()))];
        let r = identity::with_names(&names, || run(&fs, &alice(Some("/tmp/f")))).unwrap();
        assert_eq!(r.dir, Path::new("/tmp/alice"));
        assert_eq!(
            r.note.as_deref(),
            Some(
                "TMPDIR=/tmp/f is a regular file, not a directory, owned by uid 2000 (mallory); \
                 created /tmp/alice (mode 0700)"
            )
        );
    }

    #[test]
    fn a_kept_directory_swapped_before_confirmation_is_refused() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/home", 0, 0o755);
        fs.mkdir("/home/alice", ALICE, 0o700);
        fs.mkdir("/home/alice/t", ALICE, 0o700);
        // Kept as private and usable; swapped between the probe and the final look.
        fs.before("probe", 1, |fs| {
            fs.rename("/home/alice/t", "/home/alice/old");
            fs.mkdir("/home/alice/t", ALICE, 0o700);
        });
        let e = run(&fs, &alice(Some("/home/alice/t"))).unwrap_err();
        assert_eq!(e.problem, Problem::Moved);
    }

    #[test]
    fn the_dry_run_predicts_the_real_run() {
        type Setup = fn(&Scripted);
        let worlds: [(&str, Option<&str>, Setup); 5] = [
            ("missing", None, |_| {}),
            ("loose", None, |fs| fs.mkdir("/tmp/alice", ALICE, 0o755)),
            ("squatted", None, |fs| fs.mkdir("/tmp/alice", 2000, 0o700)),
            ("shared TMPDIR", Some("/scratch"), |fs| {
                fs.mkdir("/scratch", 0, 0o1777)
            }),
            ("missing own", Some("/home/alice/t"), |fs| {
                fs.mkdir("/home", 0, 0o755);
                fs.mkdir("/home/alice", ALICE, 0o700);
            }),
        ];
        for (what, tmpdir, setup) in worlds {
            let snap = alice(tmpdir);
            let (real, dry) = (Scripted::new(ALICE), Scripted::new(ALICE));
            setup(&real);
            setup(&dry);
            let predicted = run(&DryRun::new(&dry, ALICE), &snap).unwrap();
            assert_eq!(dry.count("mkdir_at") + dry.count("chmod"), 0, "{what}");
            let done = run(&real, &snap).unwrap();
            let shape = |p: &Path| {
                let s = p.to_string_lossy().into_owned();
                // A fallback's random part differs from run to run.
                s.rsplit_once('.').map_or(s.clone(), |(a, _)| a.to_owned())
            };
            assert_eq!(shape(&predicted.dir), shape(&done.dir), "{what}");
            assert_eq!(predicted.why, done.why, "{what}");
            assert_eq!(predicted.note.is_some(), done.note.is_some(), "{what}");
        }
    }
}

#[cfg(test)]
mod job_tests {
    use super::*;

    #[test]
    fn where_a_job_directory_goes_when_tmpdir_was_kept() {
        let t = Path::new("/tmp/alice");
        let p = |s: &str| jobdir_parent(Path::new(s), t, "alice");
        assert_eq!(p("/tmp/alice"), Some(t.to_owned()));
        assert_eq!(p("/tmp/alice.abcd1234"), Some("/tmp/alice.abcd1234".into()));
        // An earlier job's directory: beside it.
        assert_eq!(p("/tmp/alice/job.7"), Some(t.to_owned()));
        assert_eq!(
            p("/tmp/alice.abcd1234/job.7"),
            Some("/tmp/alice.abcd1234".into())
        );
        // Anything else was chosen by someone on purpose: kept.
        assert_eq!(p("/var/tmp/job.7"), None);
        assert_eq!(p("/tmp/alice.toolong123"), None);
        assert_eq!(p("/tmp/alice/sub"), None);
        assert_eq!(p("/scratch/alice"), None);
    }
}
