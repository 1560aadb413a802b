//! One decision, end to end, in two steps: [`plan`] reads the world and
//! applies the rules (creating nothing); [`apply`] carries the plan out
//! through the effects it is given. `init`, `path` and `exec` run both over
//! the real system calls ([`resolve`]); doctor runs the same two over a dry
//! run, so what it says init would do is what init does.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config;
use crate::engine::decide::{self, Bad, Choice, Facts, Parent, Unusable, Why};
use crate::engine::effects::{Fs, RealFs};
use crate::engine::ensure::{self, Attempt, Fallback, TMPDIR};
use crate::engine::env::Snapshot;
use crate::engine::identity::{self, Identity};
use crate::engine::mounts;
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

// Here rather than in cli.rs, so that cli.rs stands alone (the man page
// generator, examples/manpages.rs, compiles it by itself).
impl crate::cli::Common {
    /// The options the decision needs.
    pub fn options(&self) -> Options {
        Options {
            base: self.base.clone(),
            force: self.force,
            per_job: self.per_job,
        }
    }
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
    /// The effective settings the decision was made with.
    pub settings: config::Settings,
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
    /// The private directory's name (the site's template filled in).
    pub name: String,
    /// Site bases passed over before the one in use, and why.
    pub skipped: Vec<Failure>,
    /// The effective settings (site file, environment, flags).
    pub settings: config::Settings,
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
    let settings = snap.site.settings(&config::User {
        base_flag: opts.base.as_deref(),
        base_env: snap.base_env.as_deref(),
        no_hook: false,
    });
    // Before any walk: the site's `[trust]` applies to every chase.
    crate::engine::ancestry::set_site(settings.trust());
    // The site's `timeout`: the budget for hung filesystems and lookups.
    crate::engine::hang::set_budget(settings.timeout.value);
    let tpl = settings.name.value.clone();
    // The name `<base>/<name>` has if $USER is right: enough to see that an
    // existing directory keeps its base despite min_free (no passwd lookup).
    let guess = snap
        .user
        .as_deref()
        .map(OsStrExt::as_bytes)
        .filter(|u| identity::valid_name(u))
        .and_then(|u| std::str::from_utf8(u).ok())
        .map(|u| tpl.render(u, uid));
    // The base: a user's (when the site allows it), else the site's list (by
    // default just /tmp); a refused user base falls back to the site's list.
    let mut base_refused = None;
    let user_dir = settings.user_base.as_ref().and_then(|b| {
        let opened = abspath(b.value.as_os_str())
            .map_err(|e| e.to_string())
            .and_then(|p| privdir::open_base(fs, &p, uid).map_err(|e| e.to_string()));
        opened
            .map_err(|why| base_refused = Some(format!("base {}: {why}", b.value.display())))
            .ok()
    });
    let base_configured = user_dir.is_some() || settings.site_base();
    let mut skipped = Vec::new();
    // What pick_base learnt of `<base>/<guess>` in the base it picked.
    let seen = std::cell::Cell::new(None);
    let base = match user_dir {
        Some(dir) => Ok(dir),
        None => pick_base(fs, &settings, uid, guess.as_deref(), &mut skipped, &seen),
    };

    let (ident, ident_error) = if tpl.uses_user() {
        let looked_up = identity::resolve(
            uid,
            snap.user.as_deref().map(OsStrExt::as_bytes),
            |name| {
                let name = tpl.render(name, uid);
                // pick_base may have looked already (min_free): not twice.
                if let Some((_, owned)) = seen.take().filter(|s| s.0 == name) {
                    return owned;
                }
                base.as_ref().is_ok_and(|b| owned_by(fs, b, &name, uid))
            },
            fs.passwd(),
        );
        match looked_up {
            Ok(i) => (i, None),
            Err(na) => (
                Identity {
                    uid,
                    name: format!("uid-{uid}"),
                    source: identity::Source::Uid,
                },
                Some(na),
            ),
        }
    } else {
        // `%U` alone: no name, so no passwd lookup at all.
        let ident = Identity {
            uid,
            name: tpl.render("", uid),
            source: identity::Source::Template,
        };
        (ident, None)
    };
    let name = tpl.render(&ident.name, uid);
    let target = base
        .as_ref()
        .map_or(Path::new(DEFAULT_BASE), |b| &b.path)
        .join(&name);

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
    let settings_jobs = settings.jobs.value;
    let decision = decide::decide(&decide::Input {
        uid,
        tmpdir: tmpdir.as_deref(),
        facts: &facts,
        target: &target,
        force: opts.force,
        base_configured,
        in_job: snap.job.is_some(),
        outside_site_bases: !settings.user_override.value
            && tmpdir.as_deref().is_some_and(|t| !settings.in_bases(t)),
    });
    Plan {
        base,
        base_configured,
        base_refused,
        ident,
        name,
        skipped,
        settings,
        ident_error,
        target,
        tmpdir,
        found,
        decision,
        // The site's `jobs = true` makes per-job directories the default.
        per_job: opts.per_job || settings_jobs,
    }
}

/// The first base in the site's list that is safe and, for a new directory,
/// has `min_free` room; each one passed over is in `skipped`. An existing
/// directory of ours (`guess`) keeps its base whatever the free space.
fn pick_base(
    fs: &dyn Fs,
    settings: &config::Settings,
    uid: u32,
    guess: Option<&str>,
    skipped: &mut Vec<Failure>,
    seen: &std::cell::Cell<Option<(String, bool)>>,
) -> Result<Dir, Failure> {
    for path in settings.base.value.iter() {
        let dir = match privdir::open_base(fs, path, uid) {
            Ok(dir) => dir,
            Err(e) => {
                skipped.push(e);
                continue;
            }
        };
        let room = |min: u64| {
            if let Some(g) = guess {
                let owned = owned_by(fs, &dir, g, uid);
                seen.set(Some((g.to_owned(), owned)));
                if owned {
                    return Ok(());
                }
            }
            let avail = fs.free_bytes(&dir.fd).map_err(|errno| Problem::Os {
                op: privdir::Op::MeasureSpace,
                errno,
            })?;
            match avail >= min {
                true => Ok(()),
                false => Err(Problem::NoRoom {
                    avail,
                    min_free: min,
                }),
            }
        };
        match settings.min_free.value.map_or(Ok(()), room) {
            Ok(()) => return Ok(dir),
            Err(problem) => skipped.push(privdir::Error {
                path: path.clone(),
                problem,
            }),
        }
    }
    // Nothing usable: one base says its own reason; several, each one's.
    Err(match skipped.len() {
        1 => skipped.pop().expect("one"),
        _ => privdir::Error {
            path: settings.base.value.first().cloned().unwrap_or_default(),
            problem: Problem::NoBase(std::mem::take(skipped)),
        },
    })
}

impl Plan {
    /// The directory the plan exports, whatever a fallback may make of it.
    pub fn dir(&self) -> Option<PathBuf> {
        match &self.decision.choice {
            Choice::Keep | Choice::CreateInOwn => self.tmpdir.clone(),
            Choice::Target => Some(self.target.clone()),
            Choice::TargetIn(shared) => Some(shared.join(&self.name)),
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
    // An ignored site file goes to the system log when this process sets
    // TMPDIR (a session's first shell, an ssh command, a cron job), not when
    // it keeps the one an earlier start in the same session set: one line
    // per session, not one per shell, hook or job step of 2,000 users.
    // (stderr still says it at every start; doctor and `config show` say
    // it too, without logging.)
    if !matches!(
        plan.decision.why,
        Why::IsTarget | Why::Private | Why::JobDir
    ) {
        snap.site.log_ignored();
    }
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
        name: dir_name,
        skipped,
        settings,
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
    let mut warnings: Vec<String> = snap.site.warning().into_iter().collect();
    warnings.extend(settings.warnings.iter().cloned());
    // Only when there is something to say: formatting costs every shell start.
    if base_refused.is_some() || !skipped.is_empty() {
        let in_use = match &base {
            Ok(b) => b.path.display().to_string(),
            Err(_) => "none".into(),
        };
        if let Some(why) = base_refused {
            warnings.push(format!("refusing {why}; using {in_use}"));
        }
        if base.is_ok() {
            for e in &skipped {
                warnings.push(format!("skipping base {e}; using {in_use}"));
            }
        }
    }
    let tmpdir = snap.tmpdir.as_deref().filter(|v| !v.is_empty());
    let name = OsStr::new(&dir_name);

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
        (Some(_), Choice::Keep) if per_job => jobdir_parent(&dir, &target, &dir_name),
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
        settings,
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
        .is_ok_and(|st| owner_proves_name(&base.stat, &st, uid, |m| fs.mount(m, uid)))
}

/// Whether `st`, what is at `<base>/$USER`, shows that the uid made it, so
/// `$USER` may be taken as its name without asking passwd. Only a directory
/// (a file can be hard-linked there by anyone), and only when its owner is
/// real: a mount root's owner is whatever the mount reports (a FUSE daemon
/// forges any uid), so there only a mount root made (not FUSE) will do; any
/// other mount is confirmed by passwd like a missing directory. The mount
/// root flag comes with the stat: the usual case costs nothing more.
fn owner_proves_name(
    base: &privdir::Stat,
    st: &privdir::Stat,
    uid: u32,
    mount: impl FnOnce(&privdir::Stat) -> Result<mounts::Accepted, mounts::Foreign>,
) -> bool {
    st.uid == uid
        && st.kind() == privdir::Kind::Dir
        && (!mounts::is_crossing(base, st) || mount(st) == Ok(mounts::Accepted::Kernel))
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

    /// `$USER`'s fast path: only a directory of the uid proves the name, and
    /// on a mount root only one the kernel's records say root made (not FUSE,
    /// whose daemon reports any owner); else passwd is asked.
    #[test]
    fn only_a_real_owner_proves_the_name() {
        let st = |uid, mode, dev, root| privdir::Stat {
            dev,
            ino: 2,
            uid,
            mode,
            nlink: 1,
            mnt_id: None,
            mnt_id_unique: false,
            mount_root: root,
        };
        let base = st(0, 0o41777, 1, Some(true));
        let foreign = || {
            Err(mounts::Foreign {
                point: "/tmp/bob".into(),
                fstype: "fuse".into(),
                source: "x".into(),
                owner: Some(2002),
            })
        };
        let never = |_: &privdir::Stat| -> Result<mounts::Accepted, mounts::Foreign> {
            panic!("no mount look-up off a mount root")
        };
        let dir = st(ALICE, 0o40700, 1, Some(false));
        assert!(owner_proves_name(&base, &dir, ALICE, never));
        assert!(!owner_proves_name(&base, &dir, 2002, never));
        // A file can be hard-linked there by anyone.
        let file = st(ALICE, 0o100600, 1, Some(false));
        assert!(!owner_proves_name(&base, &file, ALICE, never));
        // A mount root: its owner is only as real as the mount.
        let fuse = st(ALICE, 0o40700, 9, Some(true));
        assert!(!owner_proves_name(&base, &fuse, ALICE, |_| foreign()));
        let own_fuse = || Ok(mounts::Accepted::MaybeFuse);
        assert!(!owner_proves_name(&base, &fuse, ALICE, |_| own_fuse()));
        assert!(owner_proves_name(&base, &fuse, ALICE, |_| Ok(
            mounts::Accepted::Kernel
        )));
        // Before Linux 5.8 (no mount-root flag): another device says so.
        let old = st(ALICE, 0o40700, 9, None);
        assert!(!owner_proves_name(&base, &old, ALICE, |_| foreign()));
        let same_dev = st(ALICE, 0o40700, 1, None);
        assert!(owner_proves_name(&base, &same_dev, ALICE, never));
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
