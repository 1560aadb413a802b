//! One decision, end to end: read the world, decide, create and verify,
//! probe, confirm. Shared by `init`, `path` and `exec`.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::engine::decide::{self, Bad, Choice, Facts, Parent, Unusable, Why};
use crate::engine::env::Snapshot;
use crate::engine::fallback::{self, Taken};
use crate::engine::identity::{self, Identity, SystemPasswd};
use crate::engine::pathnorm::abspath;
use crate::engine::privdir::{self, Dir, Found, Problem};
use crate::engine::probe::probe_fd;
use crate::engine::syslog;

/// The flags `init`, `path` and `exec` share.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub base: Option<PathBuf>,
    pub force: bool,
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
pub const DEFAULT_BASE: &str = "/tmp";

/// What `init` would do, worked out without creating or changing anything (an
/// existing `$TMPDIR` is probed, as Python would). `doctor` shows it;
/// [`resolve`] carries it out.
#[derive(Debug)]
pub struct Plan {
    /// The base in use: the configured one, else `/tmp`; `Err` when even that fails.
    pub base: Result<Dir, Failure>,
    /// A base was configured and accepted.
    pub base_configured: bool,
    /// Why a configured base was refused (then `/tmp` is used).
    pub base_refused: Option<String>,
    pub ident: Identity,
    /// `<base>/<name>`.
    pub target: PathBuf,
    /// `$TMPDIR` as `os.path.abspath` makes it; `None` when unset or empty
    /// (or relative with no current directory: nothing to keep).
    pub tmpdir: Option<PathBuf>,
    /// What is at `tmpdir`, when the rules needed to look.
    pub found: Option<Found>,
    pub decision: decide::Decision,
}

/// Gather the facts and apply the rules; creates nothing.
pub fn plan(snap: &Snapshot, opts: &Options) -> Plan {
    let uid = snap.uid;
    // The base: configured, else /tmp; a refused configured base falls back to /tmp.
    let configured = snap.configured_base(opts.base.as_ref());
    let mut base_refused = None;
    let configured_dir = configured.as_ref().and_then(|b| {
        let opened = abspath(b)
            .map_err(|e| e.to_string())
            .and_then(|p| privdir::open_base(&p, uid).map_err(|e| e.to_string()));
        opened
            .map_err(|why| base_refused = Some(format!("base {}: {why}", Path::new(b).display())))
            .ok()
    });
    let base_configured = configured_dir.is_some();
    let base = configured_dir.map_or_else(|| privdir::open_base(Path::new(DEFAULT_BASE), uid), Ok);

    let ident = identity::resolve(
        uid,
        snap.user.as_deref().map(OsStrExt::as_bytes),
        |name| base.as_ref().is_ok_and(|b| owned_by(b, name, uid)),
        &SystemPasswd,
    );
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
        .map(|p| privdir::find(p, uid));
    let facts = match (&found, &tmpdir) {
        (Some(f), Some(p)) => facts_of(f, p, uid),
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
        target,
        tmpdir,
        found,
        decision,
    }
}

/// Run the whole decision for this process: plan, then create, verify, probe, confirm.
pub fn resolve(snap: &Snapshot, opts: &Options) -> Result<Resolved, Failure> {
    let Plan {
        base,
        base_refused,
        ident,
        tmpdir: tmpdir_path,
        found,
        decision,
        ..
    } = plan(snap, opts);
    let uid = snap.uid;
    let mut warnings: Vec<String> = base_refused
        .map(|why| format!("refusing {why}; using {DEFAULT_BASE}"))
        .into_iter()
        .collect();
    let tmpdir = snap.tmpdir.as_deref().filter(|v| !v.is_empty());

    let (dir, created, tightened) = match &decision.choice {
        Choice::Keep => {
            let Some(Found::Dir(dir)) = found else {
                unreachable!("Keep is only decided for a directory")
            };
            privdir::confirm_path(&dir.path, &dir, uid)?;
            (dir.path, false, None)
        }
        Choice::Target => private_or_fallback(&base?, &ident.name, uid, &mut warnings)?,
        Choice::TargetIn(shared) => {
            let shared = privdir::open_base(shared, uid)?;
            private_or_fallback(&shared, &ident.name, uid, &mut warnings)?
        }
        Choice::CreateInOwn => {
            let path = tmpdir_path.as_deref().expect("CreateInOwn needs TMPDIR");
            let parent = privdir::open_parent(path.parent().unwrap_or(Path::new("/")), uid)?;
            let name = path.file_name().unwrap_or_default();
            let v = privdir::ensure(&parent, name, uid)?;
            check_usable(&v.dir)?;
            privdir::confirm_at(&parent, name, &v.dir)?;
            (v.dir.path, v.created, v.tightened_from)
        }
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

/// A directory ready to export: path, made in this run, mode before 0700.
pub type Made = (PathBuf, bool, Option<u32>);

/// `<base>/<name>`, or, when someone else holds that name, a private fallback
/// beside it: warned about, and written to the system log when it is a squat.
/// Every kind of private directory (TMPDIR's, XDG_RUNTIME_DIR's) is made here.
pub fn private_or_fallback(
    base: &Dir,
    name: &str,
    uid: u32,
    warnings: &mut Vec<String>,
) -> Result<Made, Failure> {
    let error = match make_private(base, OsStr::new(name), uid) {
        Err(e) if fallback::taken(&e) => e,
        other => return other,
    };
    let taken = Taken { error, victim: uid };
    let made = fallback::ensure(base, name, uid).and_then(|v| finish(base, v));
    let logged = taken.is_squat()
        && syslog::warn(&taken.log_line(made.as_ref().ok().map(|m| m.0.as_path())));
    match made {
        Ok(m) => {
            warnings.push(taken.warning(&m.0, logged));
            Ok(m)
        }
        Err(fallback) => Err(privdir::Error {
            path: taken.error.path.clone(),
            problem: Problem::NoFallback {
                taken: Box::new(taken.error),
                fallback: Box::new(fallback),
            },
        }),
    }
}

/// `<base>/<name>`: create or tighten to 0700, verify, probe, confirm.
fn make_private(base: &Dir, name: &OsStr, uid: u32) -> Result<Made, Failure> {
    let v = privdir::ensure(base, name, uid)?;
    finish(base, v)
}

/// Probe a verified directory in `base`, then confirm its name still refers to it.
fn finish(base: &Dir, v: privdir::Verified) -> Result<Made, Failure> {
    check_usable(&v.dir)?;
    privdir::confirm_at(base, v.dir.path.file_name().unwrap_or_default(), &v.dir)?;
    Ok((v.dir.path, v.created, v.tightened_from))
}

fn check_usable(dir: &Dir) -> Result<(), Failure> {
    probe_fd(dir.fd.as_fd()).map_err(|p| privdir::Error {
        path: dir.path.clone(),
        problem: Problem::Probe(p),
    })
}

/// `<base>/<name>` exists and belongs to `uid` (one `fstatat`, no passwd lookup).
fn owned_by(base: &Dir, name: &str, uid: u32) -> bool {
    // statx without a round trip: a stopped FUSE daemon at the name must not hang.
    privdir::lstat_at(base, OsStr::new(name)).is_ok_and(|st| st.uid == uid)
}

/// Reduce what is at `$TMPDIR` to the facts `decide` needs (probing it when worth it).
fn facts_of(found: &Found, path: &Path, uid: u32) -> Facts {
    match found {
        Found::Dir(dir) => {
            let st = &dir.stat;
            let worth_probing = (st.uid == uid || st.uid == 0) && !st.shared_sticky();
            Facts::Dir {
                owner: st.uid,
                open: st.writable_by_others(),
                shared_sticky: st.shared_sticky(),
                usable: if worth_probing {
                    probe_fd(dir.fd.as_fd()).map_err(Unusable::Probe)
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
