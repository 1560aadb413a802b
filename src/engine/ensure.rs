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
use std::path::PathBuf;

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

/// What happened at the chosen name, before any fallback: doctor reads it
/// from a dry run to say what init would do.
#[derive(Debug, Default)]
pub struct Attempt {
    pub path: PathBuf,
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
    let mut attempt = Attempt {
        path: base.path.join(name),
        ..Attempt::default()
    };
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
    let made = fallback::ensure(fs, base, &stem, uid, kind.mode)
        .and_then(|v| finish(fs, kind, base, v, None));
    let logged =
        taken.is_squat() && fs.log(&taken.log_line(made.as_ref().ok().map(|m| m.path.as_path())));
    match made {
        Ok(m) => {
            let warning = Some(taken.warning(&m.path, logged));
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
    let name = v.dir.path.file_name().unwrap_or_default().to_owned();
    privdir::confirm_at(fs, base, &name, &v.dir)?;
    Ok(Made {
        path: v.dir.path,
        created: v.created,
        tightened_from: v.tightened_from,
    })
}
