//! The fallback when `<base>/<name>` is taken: a private directory at a name
//! nobody can predict, `<base>/<name>.<8 random characters>`.
//!
//! Later shells find it again through a record, `<base>/.<name>.tmpguard`: a
//! regular file of the uid, mode 0600 (nobody else can read the name in it),
//! one link, holding the fallback's name. Reading it costs the same few system
//! calls whatever the base holds (no listing: 200,000 decoys cost nothing,
//! and a base others cannot list, mode 1733, works the same). What it names is
//! used only if it has the fallback shape and passes the same verification as
//! the target, with mode exactly 0700: only the uid itself (or root) can make
//! a file or directory owned by the uid, so nobody else can plant a record or
//! a fallback we would use. Shells that find no usable record make the
//! fallback under an exclusive `flock` of the record, so shells starting at
//! once share one. Why the base and not `$HOME`: see the README ("The
//! fallback record").

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::engine::effects::Fs;

use crate::engine::privdir::{self, Dir, Error, Op, Problem, Unsafe, Verified};
use crate::engine::random::Chars;

/// Random characters after `<name>.`.
pub const SUFFIX_LEN: usize = 8;

/// The characters of the suffix: 36^8 (about 2.8e12) names.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Fresh names tried before giving up; a collision is already unlikely once.
const CREATE_ATTEMPTS: usize = 10;

/// How long a shell waits for another one making the fallback (it holds the
/// record's lock for a few system calls); after that it goes on alone.
const LOCK_WAIT: Duration = Duration::from_millis(500);

/// Whether a failure to use `<base>/<name>` means someone else holds the name
/// (so a fallback is the answer) rather than a fault that a fallback in the
/// same base would meet too (read-only, full, over quota: those fail).
pub fn taken(e: &Error) -> bool {
    match e.problem {
        Problem::Unsafe(_) | Problem::Moved => true,
        _ => e.raced_at_name(),
    }
}

/// `entry` has the shape of a fallback of `name`: `<name>.` and then exactly
/// [`SUFFIX_LEN`] characters of the alphabet.
pub fn is_fallback_of(entry: &[u8], name: &[u8]) -> bool {
    entry.len() == name.len() + 1 + SUFFIX_LEN
        && entry.starts_with(name)
        && entry[name.len()] == b'.'
        && entry[name.len() + 1..].iter().all(|b| ALPHABET.contains(b))
}

/// The name of the record of `name`'s fallback in the base.
pub fn record_name(name: &str) -> String {
    format!(".{name}.tmpguard")
}

/// A fallback, and what to add to the warning when it could not be recorded.
#[derive(Debug)]
pub struct Found {
    pub verified: Verified,
    /// Why later shells will not find this one again (a squatted record).
    pub unrecorded: Option<String>,
}

/// The recorded fallback of `name` in `base` when it passes verification
/// (mode exactly `mode`), else a new one (recorded). The caller probes and
/// confirms it, as for the target.
pub fn ensure(fs: &dyn Fs, base: &Dir, name: &str, uid: u32, mode: u32) -> Result<Found, Error> {
    let record = match open_record(fs, base, name, uid) {
        Ok(r) => r,
        Err(why) => {
            return create(fs, base, name, uid, mode).map(|verified| Found {
                verified,
                unrecorded: why,
            });
        }
    };
    let found = |dir| Found {
        verified: Verified {
            dir,
            created: false,
            tightened_from: None,
        },
        unrecorded: None,
    };
    if let Some(dir) = recorded(fs, &record, base, name, uid, mode) {
        return Ok(found(dir));
    }
    // None yet (or a stale one): make it under the lock, unless another shell
    // did while we waited.
    let locked = lock(record);
    let file: &File = match &locked {
        Ok(l) => l,
        Err(f) => f,
    };
    if let Some(dir) = recorded(fs, file, base, name, uid, mode) {
        return Ok(found(dir));
    }
    let verified = create(fs, base, name, uid, mode)?;
    let entry = verified.dir.path.file_name().unwrap_or_default().as_bytes();
    // Best effort: a full or size-limited base fails the probe anyway.
    let _ = file.set_len(0).and_then(|()| file.write_all_at(entry, 0));
    Ok(Found {
        verified,
        unrecorded: None,
    })
}

/// Open (creating if absent) the record: a regular file of `uid`, one link,
/// that nobody else can read or write. `Err` says what holds its name instead
/// (`None`: no record to be had here, as in a dry run or a test double).
fn open_record(fs: &dyn Fs, base: &Dir, name: &str, uid: u32) -> Result<File, Option<String>> {
    let rec = record_name(name);
    let path = base.path.join(&rec);
    let file = match fs.open_record(&base.fd, OsStr::new(&rec)) {
        Ok(f) => f,
        Err(Errno::ENOSYS | Errno::EBADF | Errno::ENOENT) => return Err(None),
        Err(e) => {
            return Err(Some(format!(
                "its record {} cannot be opened ({e})",
                path.display()
            )));
        }
    };
    let m = file.metadata().map_err(|e| {
        Some(format!(
            "its record {} cannot be checked ({e})",
            path.display()
        ))
    })?;
    let ours = m.file_type().is_file() && m.uid() == uid && m.nlink() == 1;
    if ours && m.mode() & 0o077 == 0 {
        Ok(file)
    } else {
        Err(Some(format!(
            "its record {} is not a private file of yours (owner uid {}, mode {:04o}): \
             later shells cannot find this fallback again",
            path.display(),
            m.uid(),
            m.mode() & 0o7777
        )))
    }
}

/// The fallback the record names, if it is one of `uid`'s with mode `mode`.
fn recorded(
    fs: &dyn Fs,
    record: &File,
    base: &Dir,
    name: &str,
    uid: u32,
    mode: u32,
) -> Option<Dir> {
    let mut buf = [0u8; crate::engine::identity::MAX_NAME + 1 + SUFFIX_LEN + 1];
    let n = record.read_at(&mut buf, 0).ok()?;
    let entry = &buf[..n];
    if !is_fallback_of(entry, name.as_bytes()) {
        return None;
    }
    privdir::open_private(fs, base, OsStr::from_bytes(entry), uid)
        .ok()
        .filter(|d| d.stat.perm() == mode)
}

/// Take the record's exclusive lock, waiting at most [`LOCK_WAIT`]; `Err`
/// gives the file back unlocked (a stopped shell holding it must not hold us).
fn lock(record: File) -> Result<Flock<File>, File> {
    let deadline = Instant::now() + LOCK_WAIT;
    let mut file = record;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(l) => return Ok(l),
            Err((f, Errno::EWOULDBLOCK | Errno::EINTR)) if Instant::now() < deadline => {
                file = f;
                crate::engine::detach::sleep_ms(5);
            }
            Err((f, _)) => return Err(f),
        }
    }
}

/// Make a new fallback: `mkdirat` at fresh random names until one is free,
/// then the target's own create-and-verify sequence on it.
fn create(fs: &dyn Fs, base: &Dir, name: &str, uid: u32, mode: u32) -> Result<Verified, Error> {
    // Seeded from the kernel's random source: nobody else can predict the names.
    let mut rng = Chars::new();
    let mut last = None;
    for _ in 0..CREATE_ATTEMPTS {
        let suffix: String = rng.take(ALPHABET, SUFFIX_LEN).map(char::from).collect();
        let candidate = format!("{name}.{suffix}");
        let path = base.path.join(&candidate);
        match fs.mkdir_at(&base.fd, OsStr::new(&candidate), mode) {
            Ok(()) => {
                // ensure sees EEXIST, verifies what we made and undoes a umask.
                let mut v = privdir::ensure(fs, base, OsStr::new(&candidate), uid, mode)?;
                v.created = true;
                return Ok(v);
            }
            // Someone's object already has this name: never ours, try another.
            Err(Errno::EEXIST) => last = Some(path),
            Err(errno) => {
                return Err(Error {
                    path,
                    problem: Problem::Os {
                        op: Op::Create,
                        errno,
                    },
                });
            }
        }
    }
    let path = last.unwrap_or_else(|| base.path.join(name));
    Err(Error {
        path,
        problem: Problem::Os {
            op: Op::Create,
            errno: Errno::EEXIST,
        },
    })
}

/// Someone else holds `<base>/<name>`: what the user and the log are told.
#[derive(Debug, Clone)]
pub struct Taken {
    /// Why the target was not used.
    pub error: Error,
    /// The uid tmpguard runs for.
    pub victim: u32,
}

impl Taken {
    /// The uid that owns the object in the way, when it is known.
    pub fn offender(&self) -> Option<u32> {
        match &self.error.problem {
            Problem::Unsafe(u) => u.offender(),
            _ => None,
        }
    }

    /// Another uid's object (or one that changed under us), or a hard link
    /// at the name (the user's own file linked there by someone else where
    /// `fs.protected_hardlinks=0`): an attack, for the system log. The user's
    /// own loose directory or symlink is not.
    pub fn is_squat(&self) -> bool {
        match &self.error.problem {
            Problem::Unsafe(Unsafe::NotDirectory { links: 2.., .. }) => true,
            Problem::Unsafe(_) => self.offender().is_some_and(|o| o != self.victim),
            _ => true,
        }
    }

    /// The warning `init` prints: what is wrong, and what was used instead.
    pub fn warning(&self, fallback: &Path, logged: bool) -> String {
        let target = self.error.path.display();
        let fallback = fallback.display();
        let raced = match self.error.problem {
            Problem::Os { .. } => " (it changed while being checked)",
            _ => "",
        };
        let who = match (self.is_squat(), logged) {
            (true, true) => "; someone else may be attacking you (reported to the system log)",
            (true, false) => "; someone else may be attacking you",
            (false, _) => "",
        };
        format!(
            "WARNING: {}{raced}{who}. Not using {target}; using the private fallback {fallback} instead.",
            self.error
        )
    }

    /// One line for the system log: path, offending uid, victim uid, outcome.
    pub fn log_line(&self, fallback: Option<&Path>) -> String {
        let offender = self.offender().map_or("unknown".into(), |o| o.to_string());
        let outcome = match fallback {
            Some(f) => format!("using {}", f.display()),
            None => "no fallback".into(),
        };
        format!(
            "unsafe private directory {} (offending uid {offender}, victim uid {}): {}; {outcome}",
            self.error.path.display(),
            self.victim,
            self.error
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::effects::RealFs;
    use crate::engine::privdir::{Kind, open_base};
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::path::PathBuf;

    fn scratch() -> PathBuf {
        crate::testutil::scratch("fallback")
    }
    use crate::testutil::uid;
    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn shape_is_name_dot_eight_of_the_alphabet() {
        assert!(is_fallback_of(b"alice.abcd0123", b"alice"));
        assert!(is_fallback_of(b"j.doe.zzzzzzzz", b"j.doe"));
        for bad in [
            "alice.abcd012",
            "alice.abcd01234",
            "alice.ABCD0123",
            "alice-abcd0123",
            "alicex.abcd0123",
            "alice.abcd_123",
        ] {
            assert!(!is_fallback_of(bad.as_bytes(), b"alice"), "{bad}");
        }
        // Another user's fallback never has our shape, whatever the names.
        assert!(!is_fallback_of(b"j.doe.zzzzzzzz", b"j"));
    }

    #[test]
    fn creates_then_reuses_the_same_one() {
        let b = scratch();
        let base = open_base(&RealFs, &b, uid()).unwrap();
        let first = ensure(&RealFs, &base, "me", uid(), 0o700).unwrap();
        assert!(first.unrecorded.is_none());
        let first = first.verified;
        assert!(first.created);
        let name = first.dir.path.file_name().unwrap().as_bytes().to_vec();
        assert!(is_fallback_of(&name, b"me"), "{:?}", first.dir.path);
        assert_eq!(mode(&first.dir.path), 0o700);
        let rec = b.join(record_name("me"));
        assert_eq!(std::fs::read(&rec).unwrap(), name);
        assert_eq!(mode(&rec) & 0o077, 0);
        let again = ensure(&RealFs, &base, "me", uid(), 0o700).unwrap().verified;
        assert!(!again.created);
        assert_eq!(again.dir.path, first.dir.path);
        // The fallback and its record, nothing else.
        assert_eq!(std::fs::read_dir(&b).unwrap().count(), 2);
    }

    #[test]
    fn a_record_naming_anything_unverified_is_replaced() {
        let b = scratch();
        let base = open_base(&RealFs, &b, uid()).unwrap();
        let rec = b.join(record_name("me"));
        // Shaped like fallbacks but unusable: a symlink, a file, a loose dir;
        // not of the shape; of another name's shape; missing.
        std::fs::create_dir(b.join("elsewhere")).unwrap();
        symlink(b.join("elsewhere"), b.join("me.aaaaaaaa")).unwrap();
        std::fs::write(b.join("me.aaaaaaab"), "x").unwrap();
        std::fs::create_dir(b.join("me.aaaaaaac")).unwrap();
        std::fs::set_permissions(
            b.join("me.aaaaaaac"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::fs::create_dir(b.join("you.aaaaaaaa")).unwrap();
        for bad in [
            "me.aaaaaaaa",
            "me.aaaaaaab",
            "me.aaaaaaac",
            "elsewhere",
            "../me.aaaaaaad",
            "you.aaaaaaaa",
            "me.zzzzzzzz",
        ] {
            std::fs::write(&rec, bad).unwrap();
            std::fs::set_permissions(&rec, std::fs::Permissions::from_mode(0o600)).unwrap();
            let f = ensure(&RealFs, &base, "me", uid(), 0o700).unwrap();
            assert!(f.unrecorded.is_none(), "{bad}");
            let v = f.verified;
            assert!(v.created, "{bad}");
            assert_ne!(v.dir.path, b.join(bad));
            let written = std::fs::read(&rec).unwrap();
            assert_eq!(written, v.dir.path.file_name().unwrap().as_bytes());
            std::fs::remove_dir(&v.dir.path).unwrap();
        }
        // The loose one was not tightened: a candidate is only ever read.
        assert_eq!(mode(&b.join("me.aaaaaaac")), 0o755);
    }

    #[test]
    fn an_unsafe_record_is_never_used_nor_changed() {
        let b = scratch();
        let base = open_base(&RealFs, &b, uid()).unwrap();
        let rec = b.join(record_name("me"));
        std::fs::create_dir(b.join("me.goodgood")).unwrap();
        std::fs::set_permissions(
            b.join("me.goodgood"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        // Readable by others; a symlink to a good record; a hard link.
        std::fs::write(b.join("good"), "me.goodgood").unwrap();
        std::fs::set_permissions(b.join("good"), std::fs::Permissions::from_mode(0o600)).unwrap();
        for setup in ["loose", "symlink", "hardlink", "dir"] {
            let _ = std::fs::remove_file(&rec);
            let _ = std::fs::remove_dir(&rec);
            match setup {
                "loose" => {
                    std::fs::write(&rec, "me.goodgood").unwrap();
                    std::fs::set_permissions(&rec, std::fs::Permissions::from_mode(0o644)).unwrap();
                }
                "symlink" => symlink(b.join("good"), &rec).unwrap(),
                "hardlink" => std::fs::hard_link(b.join("good"), &rec).unwrap(),
                _ => std::fs::create_dir(&rec).unwrap(),
            }
            let f = ensure(&RealFs, &base, "me", uid(), 0o700).unwrap();
            assert!(f.unrecorded.is_some(), "{setup}");
            assert!(f.verified.created, "{setup}");
            assert_ne!(f.verified.dir.path, b.join("me.goodgood"), "{setup}");
            std::fs::remove_dir(&f.verified.dir.path).unwrap();
        }
        assert_eq!(std::fs::read(b.join("good")).unwrap(), b"me.goodgood");
    }

    #[test]
    fn taken_means_someone_holds_the_name_not_a_fault() {
        let e = |problem| Error {
            path: "/tmp/me".into(),
            problem,
        };
        let u = Unsafe::NotDirectory {
            kind: Kind::Fifo,
            owner: 2,
            links: 1,
        };
        assert!(taken(&e(Problem::Unsafe(u))));
        assert!(taken(&e(Problem::Moved)));
        assert!(taken(&e(Problem::Os {
            op: Op::Open,
            errno: Errno::ENOENT
        })));
        for errno in [Errno::EROFS, Errno::ENOSPC, Errno::EDQUOT, Errno::EACCES] {
            assert!(
                !taken(&e(Problem::Os {
                    op: Op::Create,
                    errno
                })),
                "{errno}"
            );
        }
        let full = crate::engine::probe::ProbeError {
            step: crate::engine::probe::Step::Write,
            errno: Errno::EDQUOT,
        };
        assert!(!taken(&e(Problem::Probe(full))));
    }

    // The kernel here has no quotas, so EDQUOT cannot be caused for real: the
    // path it takes is proved on the errors privdir and the probe return.
    #[test]
    fn over_quota_fails_with_the_errno_by_name_and_in_words() {
        let e = |problem| Error {
            path: "/tmp/me".into(),
            problem,
        };
        let mkdir = e(Problem::Os {
            op: Op::Create,
            errno: Errno::EDQUOT,
        });
        let write = e(Problem::Probe(crate::engine::probe::ProbeError {
            step: crate::engine::probe::Step::Write,
            errno: Errno::EDQUOT,
        }));
        assert_eq!(
            mkdir.to_string(),
            "cannot create /tmp/me: EDQUOT: Disk quota exceeded"
        );
        assert_eq!(
            write.to_string(),
            "/tmp/me is not usable: writing a file failed: EDQUOT: Disk quota exceeded"
        );
        // A fault, not a squat: no fallback is tried, the run fails.
        assert!(!taken(&mkdir) && !taken(&write));
        // Squatted and over quota: both are said, and the errno is the quota's.
        let both = e(Problem::NoFallback {
            taken: Box::new(e(Problem::Unsafe(Unsafe::Symlink { owner: 7 }))),
            fallback: Box::new(Error {
                path: "/tmp/me.abcdefgh".into(),
                problem: Problem::Os {
                    op: Op::Create,
                    errno: Errno::EDQUOT,
                },
            }),
        });
        assert_eq!(both.errno(), Some(Errno::EDQUOT));
        let text = both.to_string();
        assert!(
            text.starts_with("/tmp/me is a symlink owned by uid 7"),
            "{text}"
        );
        assert!(
            text.ends_with("; and no private fallback could be made: cannot create /tmp/me.abcdefgh: EDQUOT: Disk quota exceeded"),
            "{text}"
        );
    }

    #[test]
    fn squat_is_someone_elses_object() {
        let t = |problem, victim| Taken {
            error: Error {
                path: "/tmp/me".into(),
                problem,
            },
            victim,
        };
        let foreign = Problem::Unsafe(Unsafe::Symlink { owner: 7 });
        assert!(t(foreign.clone(), 1).is_squat());
        assert!(!t(foreign, 7).is_squat());
        assert!(!t(Problem::Unsafe(Unsafe::OpenToOthers { mode: 0o777 }), 1).is_squat());
        // The user's own file, but hard-linked at the name: planted.
        let file = |links| Unsafe::NotDirectory {
            kind: Kind::File,
            owner: 1,
            links,
        };
        assert!(!t(Problem::Unsafe(file(1)), 1).is_squat());
        assert!(t(Problem::Unsafe(file(2)), 1).is_squat());
        assert!(t(Problem::Moved, 1).is_squat());
        let line = t(Problem::Unsafe(Unsafe::Symlink { owner: 7 }), 1)
            .log_line(Some(Path::new("/tmp/me.abcdefgh")));
        assert!(
            line.starts_with("unsafe private directory /tmp/me (offending uid 7, victim uid 1): "),
            "{line}"
        );
        assert!(line.ends_with("; using /tmp/me.abcdefgh"), "{line}");
    }
}
