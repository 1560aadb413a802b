//! One decision, end to end: read the world, decide, create and verify,
//! probe, confirm. Shared by `init`, `path` and `exec`.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config;
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

// Here rather than in cli.rs, so that cli.rs stands alone (the man page
// generator, examples/manpages.rs, compiles it by itself).
impl crate::cli::Common {
    /// The options the decision needs.
    pub fn options(&self) -> Options {
        Options {
            base: self.base.clone(),
            force: self.force,
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
    /// The private directory's name (the site's template filled in).
    pub name: String,
    /// Site bases passed over before the one in use, and why.
    pub skipped: Vec<Failure>,
    /// The effective settings (site file, environment, flags).
    pub settings: config::Settings,
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
    let settings = snap.site.settings(&config::User {
        base_flag: opts.base.as_deref(),
        base_env: snap.base_env.as_deref(),
        no_hook: false,
    });
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
            .and_then(|p| privdir::open_base(&p, uid).map_err(|e| e.to_string()));
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
        None => pick_base(&settings, uid, guess.as_deref(), &mut skipped, &seen),
    };

    let ident = if tpl.uses_user() {
        identity::resolve(
            uid,
            snap.user.as_deref().map(OsStrExt::as_bytes),
            |name| {
                let name = tpl.render(name, uid);
                // pick_base may have looked already (min_free): not twice.
                if let Some((_, owned)) = seen.take().filter(|s| s.0 == name) {
                    return owned;
                }
                base.as_ref().is_ok_and(|b| owned_by(b, &name, uid))
            },
            &SystemPasswd,
        )
    } else {
        // `%U` alone: no name, so no passwd lookup at all.
        Identity {
            uid,
            name: tpl.render("", uid),
            source: identity::Source::Template,
        }
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
        target,
        tmpdir,
        found,
        decision,
    }
}

/// The first base in the site's list that is safe and, for a new directory,
/// has `min_free` room; each one passed over is in `skipped`. An existing
/// directory of ours (`guess`) keeps its base whatever the free space.
fn pick_base(
    settings: &config::Settings,
    uid: u32,
    guess: Option<&str>,
    skipped: &mut Vec<Failure>,
    seen: &std::cell::Cell<Option<(String, bool)>>,
) -> Result<Dir, Failure> {
    for path in &settings.base.value {
        let dir = match privdir::open_base(path, uid) {
            Ok(dir) => dir,
            Err(e) => {
                skipped.push(e);
                continue;
            }
        };
        let room = |min: u64| {
            if let Some(g) = guess {
                let owned = owned_by(&dir, g, uid);
                seen.set(Some((g.to_owned(), owned)));
                if owned {
                    return Ok(());
                }
            }
            let vfs = nix::sys::statvfs::fstatvfs(&dir.fd).map_err(|errno| Problem::Os {
                op: privdir::Op::MeasureSpace,
                errno,
            })?;
            let avail = (vfs.blocks_available() as u64).saturating_mul(vfs.fragment_size() as u64);
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

/// Run the whole decision for this process: plan, then create, verify, probe, confirm.
pub fn resolve(snap: &Snapshot, opts: &Options) -> Result<Resolved, Failure> {
    let Plan {
        base,
        base_refused,
        name,
        skipped,
        settings,
        tmpdir: tmpdir_path,
        found,
        decision,
        ..
    } = plan(snap, opts);
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

    let (dir, created, tightened) = match &decision.choice {
        Choice::Keep => {
            let Some(Found::Dir(dir)) = found else {
                unreachable!("Keep is only decided for a directory")
            };
            privdir::confirm_path(&dir.path, &dir, uid)?;
            (dir.path, false, None)
        }
        Choice::Target => private_or_fallback(&base?, &name, uid, &mut warnings)?,
        Choice::TargetIn(shared) => {
            let shared = privdir::open_base(shared, uid)?;
            private_or_fallback(&shared, &name, uid, &mut warnings)?
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
        settings,
    })
}

/// A directory ready to export: path, made in this run, mode before 0700.
type Made = (PathBuf, bool, Option<u32>);

/// `<base>/<name>`, or, when someone else holds that name, a private fallback
/// beside it: warned about, and written to the system log when it is a squat.
fn private_or_fallback(
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
