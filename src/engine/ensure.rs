//! "Make this private directory exist, verified": one operation for every
//! kind of directory tmpguard keeps (TMPDIR now; per-job and runtime
//! directories next), parameterised by a [`DirKind`].
//!
//! The sequence, through file descriptors: `mkdirat` (EEXIST: verify what is
//! there), open without following and verify owner, type and mode, set the
//! mode through the fd, probe (when the kind wants it), then confirm that the
//! name still refers to the verified inode. When someone else holds the name,
//! a private directory at an unpredictable name beside it, with the same
//! sequence, a warning, and a line in the system log when it is a squat.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::engine::effects::Fs;
use crate::engine::fallback::{self, Taken};
use crate::engine::privdir::{self, Dir, Error, Problem, Stat, Verified};

/// What differs between the kinds of private directory; everything else
/// (verification, fallback, probe, confirmation, logging) is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirKind {
    /// The variable the directory feeds.
    pub var: &'static str,
    /// Where it is made when no base is configured.
    pub default_base: &'static str,
    /// Its permission bits, exactly (looser ones are set to this).
    pub mode: u32,
    /// CPython's probe must pass in it: Python has to agree it is usable.
    pub probe: bool,
    /// When someone else holds the name, use a private directory at an
    /// unpredictable name beside it (`<name>.<8 random characters>`).
    pub fallback: bool,
}

/// `TMPDIR`: `/tmp/<name>`, mode 0700, probed, with a fallback.
pub const TMPDIR: DirKind = DirKind {
    var: "TMPDIR",
    default_base: "/tmp",
    mode: 0o700,
    probe: true,
    fallback: true,
};

/// `XDG_RUNTIME_DIR` (see `runtime`): `/tmp/xdg-runtime-<uid>`, mode 0700,
/// probed (sockets go there: it must take a new file), with a fallback.
pub const RUNTIME: DirKind = DirKind {
    var: "XDG_RUNTIME_DIR",
    default_base: "/tmp",
    mode: 0o700,
    probe: true,
    fallback: true,
};

/// What happened at the chosen name, before any fallback: doctor reads it
/// from a dry run to say what init would do.
#[derive(Debug, Default)]
pub struct Attempt {
    /// `mkdirat` made it (in a dry run: would make it).
    pub created: bool,
    /// What verification found there (mode as found, before it was set).
    pub verified: Option<Stat>,
    /// Its mode before it was set to the kind's, if it was.
    pub tightened_from: Option<u32>,
    /// Why it cannot be used, if it cannot.
    pub error: Option<Error>,
}

/// A directory ready to export.
#[derive(Debug)]
pub struct Made {
    pub path: PathBuf,
    /// Made in this run.
    pub created: bool,
    /// Its mode before it was set to the kind's.
    pub tightened_from: Option<u32>,
}

/// The outcome: the directory (the one asked for or its fallback), what
/// happened at the name asked for, and a warning when a fallback was used.
#[derive(Debug)]
pub struct Ensured {
    pub result: Result<Made, Error>,
    pub attempt: Attempt,
    pub warning: Option<String>,
}

/// Whether a taken name may be replaced by a fallback here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// As the kind says.
    Kind,
    /// Never (a directory only the user can write: nobody else can take a name there).
    Never,
}

/// Make `<base>/<name>` exist as a private directory of `uid` of this kind, verified.
pub fn ensure_private(
    fs: &dyn Fs,
    kind: &DirKind,
    base: &Dir,
    name: &OsStr,
    uid: u32,
    fallback: Fallback,
) -> Ensured {
    let mut attempt = Attempt::default();
    let error = match make(fs, kind, base, name, uid, Some(&mut attempt)) {
        Ok(made) => {
            return Ensured {
                result: Ok(made),
                attempt,
                warning: None,
            };
        }
        Err(e) => e,
    };
    attempt.error = Some(error.clone());
    let may_fall_back = kind.fallback && fallback == Fallback::Kind;
    if !may_fall_back || !fallback::taken(&error) {
        return Ensured {
            result: Err(error),
            attempt,
            warning: None,
        };
    }
    let taken = Taken { error, victim: uid };
    // Fallback names are ASCII: `<name>.<suffix>`, where `name` passed identity's rules.
    let stem = name.to_string_lossy();
    let mut unrecorded = None;
    let made = fallback::ensure(fs, base, &stem, uid, kind.mode).and_then(|f| {
        unrecorded = f.unrecorded;
        let new = f
            .verified
            .created
            .then(|| (f.verified.dir.path.clone(), f.verified.dir.stat));
        finish(fs, kind, base, f.verified, None).inspect_err(|e| {
            if let (Some((path, stat)), Problem::Probe(_)) = (new, &e.problem) {
                take_back(fs, base, &path, &stat);
            }
        })
    });
    let logged =
        taken.is_squat() && fs.log(&taken.log_line(made.as_ref().ok().map(|m| m.path.as_path())));
    match made {
        Ok(m) => {
            let mut warning = taken.warning(&m.path, logged);
            if let Some(why) = unrecorded {
                warning.push_str(&format!(" Also, {why}."));
            }
            let warning = Some(warning);
            Ensured {
                result: Ok(m),
                attempt,
                warning,
            }
        }
        Err(fallback) => Ensured {
            result: Err(Error {
                path: taken.error.path.clone(),
                problem: Problem::NoFallback {
                    taken: Box::new(taken.error),
                    fallback: Box::new(fallback),
                },
            }),
            attempt,
            warning: None,
        },
    }
}

/// Remove a fallback this run made whose probe failed (a full or read-only
/// base): unrecorded, it would never be found again, and every later start
/// would leave one more. Only while the name still holds that directory, and
/// rmdir removes only an empty one.
fn take_back(fs: &dyn Fs, base: &Dir, path: &Path, made: &Stat) {
    let name = path.file_name().unwrap_or_default();
    let same = fs
        .lstat_at(&base.fd, name)
        .is_ok_and(|st| st.dev == made.dev && st.ino == made.ino);
    if same {
        let _ = fs.rmdir_at(&base.fd, name);
    }
}

/// `<base>/<name>`: create or tighten, verify, probe, confirm.
fn make(
    fs: &dyn Fs,
    kind: &DirKind,
    base: &Dir,
    name: &OsStr,
    uid: u32,
    attempt: Option<&mut Attempt>,
) -> Result<Made, Error> {
    let v = privdir::ensure(fs, base, name, uid, kind.mode)?;
    finish(fs, kind, base, v, attempt)
}

/// Probe a verified directory in `base` (if the kind wants it), then confirm
/// its name still refers to it.
fn finish(
    fs: &dyn Fs,
    kind: &DirKind,
    base: &Dir,
    v: Verified,
    attempt: Option<&mut Attempt>,
) -> Result<Made, Error> {
    if let Some(a) = attempt {
        a.created = v.created;
        a.tightened_from = v.tightened_from;
        let mut found = v.dir.stat;
        if let Some(m) = v.tightened_from {
            found.mode = (found.mode & !0o7777) | m;
        }
        a.verified = Some(found);
    }
    if kind.probe {
        fs.probe(&v.dir.fd).map_err(|p| Error {
            path: v.dir.path.clone(),
            problem: Problem::Probe(p),
        })?;
    }
    privdir::confirm_at(fs, base, v.dir.path.file_name().unwrap_or_default(), &v.dir)?;
    Ok(Made {
        path: v.dir.path,
        created: v.created,
        tightened_from: v.tightened_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dryrun::DryRun;
    use crate::engine::fallback::is_fallback_of;
    use crate::engine::privdir::{Unsafe, open_base};
    use crate::engine::scripted::Scripted;

    const ALICE: u32 = 1000;

    fn tmp(fs: &Scripted) -> Dir {
        open_base(fs, Path::new("/tmp"), ALICE).unwrap()
    }

    fn run(fs: &Scripted, kind: &DirKind) -> Ensured {
        ensure_private(
            fs,
            kind,
            &tmp(fs),
            OsStr::new("alice"),
            ALICE,
            Fallback::Kind,
        )
    }

    use std::path::Path;

    #[test]
    fn creates_verifies_probes_confirms() {
        let fs = Scripted::new(ALICE);
        let e = run(&fs, &TMPDIR);
        let made = e.result.unwrap();
        assert_eq!(made.path, Path::new("/tmp/alice"));
        assert!(made.created && e.warning.is_none());
        assert_eq!(fs.stat("/tmp/alice").unwrap().perm(), 0o700);
        assert_eq!(fs.count("probe"), 1);
        // Confirmed last: the name is looked at again after the probe.
        let calls = fs.calls.borrow();
        let probe = calls.iter().position(|c| c == "probe").unwrap();
        assert_eq!(calls[probe + 1], "lstat_at alice");
    }

    #[test]
    fn renamed_away_between_verify_and_confirm_is_refused() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", ALICE, 0o700);
        // After verification, before confirmation: a cleaner removes the
        // directory and mallory puts a symlink of his at the name.
        fs.before("probe", 1, |fs| {
            fs.rename("/tmp/alice", "/tmp/old");
            fs.symlink("/tmp/alice", "/home/mallory", 2000);
        });
        let e = run(&fs, &TMPDIR);
        let made = e.result.unwrap();
        assert_ne!(
            made.path,
            Path::new("/tmp/alice"),
            "exported the swapped name"
        );
        let name = made.path.file_name().unwrap().as_encoded_bytes().to_vec();
        assert!(is_fallback_of(&name, b"alice"), "{}", made.path.display());
        let warning = e.warning.unwrap();
        assert!(
            warning.contains("/tmp/alice was replaced while being checked"),
            "{warning}"
        );
        assert_eq!(e.attempt.error.unwrap().problem, Problem::Moved);
        // A squat: reported to the system log.
        assert_eq!(fs.logged.borrow().len(), 1);
    }

    #[test]
    fn renamed_away_without_a_fallback_fails() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", ALICE, 0o700);
        fs.before("probe", 1, |fs| fs.rename("/tmp/alice", "/tmp/old"));
        let kind = DirKind {
            fallback: false,
            ..TMPDIR
        };
        let e = run(&fs, &kind);
        assert!(matches!(
            e.result.unwrap_err().problem,
            Problem::Os {
                op: privdir::Op::Stat,
                ..
            }
        ));
    }

    #[test]
    fn replaced_by_another_directory_is_refused() {
        // Same owner, same mode, another inode: only the confirmation can tell.
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", ALICE, 0o700);
        fs.before("lstat_at", 1, |fs| {
            fs.rename("/tmp/alice", "/tmp/old");
            fs.mkdir("/tmp/alice", ALICE, 0o700);
        });
        let e = run(
            &fs,
            &DirKind {
                fallback: false,
                ..TMPDIR
            },
        );
        assert_eq!(e.result.unwrap_err().problem, Problem::Moved);
    }

    #[test]
    fn squatted_name_gets_a_fallback_and_a_log_line() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", 2000, 0o755);
        let e = run(&fs, &TMPDIR);
        let made = e.result.unwrap();
        assert!(made.path.to_string_lossy().starts_with("/tmp/alice.") && made.created);
        assert!(matches!(
            e.attempt.error.unwrap().problem,
            Problem::Unsafe(Unsafe::ForeignOwner { owner: 2000, .. })
        ));
        assert!(fs.logged.borrow()[0].contains("offending uid 2000, victim uid 1000"));
        // Nothing of mallory's was touched.
        assert_eq!(fs.stat("/tmp/alice").unwrap().perm(), 0o755);
    }

    #[test]
    fn a_full_disk_is_a_fault_not_a_squat() {
        let fs = Scripted::new(ALICE);
        fs.mkdir_error.set(Some(nix::errno::Errno::EDQUOT));
        let e = run(&fs, &TMPDIR);
        assert_eq!(
            e.result.unwrap_err().to_string(),
            "cannot create /tmp/alice: EDQUOT: Disk quota exceeded"
        );
        assert_eq!(fs.count("open_record"), 0, "no fallback tried");
        assert!(fs.logged.borrow().is_empty());
    }

    #[test]
    fn a_failing_probe_fails_the_directory() {
        let fs = Scripted::new(ALICE);
        fs.probe_result.set(Err(crate::engine::probe::ProbeError {
            step: crate::engine::probe::Step::Write,
            errno: nix::errno::Errno::ENOSPC,
        }));
        let e = run(&fs, &TMPDIR);
        assert!(matches!(e.result.unwrap_err().problem, Problem::Probe(_)));
        assert!(e.attempt.verified.is_some());
    }

    #[test]
    fn a_new_fallback_whose_probe_fails_is_taken_back() {
        // Red team: with /tmp squatted and full, every start left one more
        // empty /tmp/alice.XXXXXXXX (the record could not be written either).
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", 2000, 0o777);
        fs.probe_result.set(Err(crate::engine::probe::ProbeError {
            step: crate::engine::probe::Step::Write,
            errno: nix::errno::Errno::ENOSPC,
        }));
        for _ in 0..3 {
            let e = run(&fs, &TMPDIR);
            assert!(matches!(
                e.result.unwrap_err().problem,
                Problem::NoFallback { .. }
            ));
        }
        assert_eq!(fs.count("rmdir_at"), 3);
        let left: Vec<_> = fs
            .names("/tmp")
            .into_iter()
            .filter(|n| is_fallback_of(n.as_bytes(), b"alice"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // mallory's directory is untouched.
        assert_eq!(fs.stat("/tmp/alice").unwrap().perm(), 0o777);
    }

    #[test]
    fn loose_mode_is_tightened_through_the_handle() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/tmp/alice", ALICE, 0o755);
        let e = run(&fs, &TMPDIR);
        assert_eq!(e.result.unwrap().tightened_from, Some(0o755));
        assert_eq!(e.attempt.verified.unwrap().perm(), 0o755);
        assert_eq!(fs.stat("/tmp/alice").unwrap().perm(), 0o700);
    }

    /// A second kind of directory, as per-job and runtime directories will be:
    /// the same engine, other parameters, no code copied.
    const RUNTIME: DirKind = DirKind {
        var: "XDG_RUNTIME_DIR",
        default_base: "/run/user",
        mode: 0o700,
        probe: false,
        fallback: false,
    };

    #[test]
    fn a_second_kind_uses_the_same_engine() {
        let fs = Scripted::new(ALICE);
        fs.mkdir("/run", 0, 0o755);
        fs.mkdir("/run/user", 0, 0o755);
        let base = open_base(&fs, Path::new(RUNTIME.default_base), ALICE).unwrap();
        let e = ensure_private(
            &fs,
            &RUNTIME,
            &base,
            OsStr::new("1000"),
            ALICE,
            Fallback::Kind,
        );
        assert_eq!(e.result.unwrap().path, Path::new("/run/user/1000"));
        assert_eq!(fs.count("probe"), 0, "this kind is not probed");
        // Its rules hold: someone else's directory at the name is refused,
        // and this kind has no fallback.
        fs.mkdir("/run/user/1001", 2000, 0o700);
        let e = ensure_private(
            &fs,
            &RUNTIME,
            &base,
            OsStr::new("1001"),
            ALICE,
            Fallback::Kind,
        );
        assert!(matches!(e.result.unwrap_err().problem, Problem::Unsafe(_)));
        assert_eq!(fs.count("open_record"), 0);
    }

    #[test]
    fn a_dry_run_writes_nothing_and_says_what_would_be_made() {
        let fs = Scripted::new(ALICE);
        let dry = DryRun::new(&fs, ALICE);
        let base = open_base(&dry, Path::new("/tmp"), ALICE).unwrap();
        let e = ensure_private(
            &dry,
            &TMPDIR,
            &base,
            OsStr::new("alice"),
            ALICE,
            Fallback::Kind,
        );
        assert!(e.result.is_ok() && e.attempt.created);
        assert_eq!(fs.count("mkdir_at") + fs.count("chmod"), 0);
        assert!(fs.stat("/tmp/alice").is_none());
        // Squatted: the dry run takes the fallback road too, without writing or logging.
        fs.mkdir("/tmp/alice", 2000, 0o755);
        let dry = DryRun::new(&fs, ALICE);
        let base = open_base(&dry, Path::new("/tmp"), ALICE).unwrap();
        let e = ensure_private(
            &dry,
            &TMPDIR,
            &base,
            OsStr::new("alice"),
            ALICE,
            Fallback::Kind,
        );
        assert!(e.attempt.error.is_some() && e.result.is_ok());
        assert_eq!(fs.names("/tmp"), ["alice"]);
        assert!(fs.logged.borrow().is_empty() && dry.logged.borrow().len() == 1);
    }
}
