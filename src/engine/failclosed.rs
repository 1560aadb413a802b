//! Fail closed: when tmpguard cannot provide a directory and an inherited
//! `TMPDIR` (or `TMP`, `TEMP`) is one it judged unsafe (someone else could
//! control it), that value must not stay in force. It is replaced with
//! `/tmp`: what every runtime uses when `TMPDIR` is unset (root's and sticky),
//! and unlike unsetting it keeps `set -u` rc files working. A value that is
//! merely unusable (full, read-only, not answering, missing) is left alone.

use std::ffi::OsString;
use std::path::Path;

use crate::engine::effects::Fs;
use crate::engine::env::Snapshot;
use crate::engine::pathnorm::abspath;
use crate::engine::privdir::{self, Found, Problem, Unsafe};

/// What replaces an unsafe inherited value.
pub const SAFE_DEFAULT: &str = "/tmp";

/// One inherited variable judged unsafe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    pub var: &'static str,
    pub old: OsString,
    /// Why, in words ("is a directory owned by uid 2002 ...").
    pub why: String,
}

/// Why what is at an inherited value is unsafe, if it is: someone other
/// than root or `uid` could control it. Pure.
pub fn judge(found: &Found, uid: u32, in_job: bool) -> Option<String> {
    match found {
        Found::Dir(d) => {
            let st = &d.stat;
            if st.uid != uid && st.uid != 0 {
                Some(
                    Unsafe::ForeignOwner {
                        owner: st.uid,
                        mode: st.mode,
                    }
                    .to_string(),
                )
            } else if st.writable_by_others() && !st.sticky() && !in_job {
                Some(format!(
                    "is writable by group or others without the sticky bit (mode {:04o})",
                    st.perm()
                ))
            } else {
                None
            }
        }
        // Missing in a directory someone else can create it in.
        Found::Missing { parent: Some(p) } => {
            let foreign = p.uid != uid && p.uid != 0;
            let open = p.writable_by_others() && !p.sticky();
            (foreign || open).then(|| {
                "does not exist, and someone else can create it where it would be".to_string()
            })
        }
        Found::Missing { parent: None } => None,
        Found::Bad(e) => match &e.problem {
            // Not a directory, but the user's own (a file): unusable, not unsafe.
            Problem::Unsafe(Unsafe::NotDirectory { owner, links, .. })
                if (*owner == uid || *owner == 0) && *links < 2 =>
            {
                None
            }
            Problem::Unsafe(u) => Some(u.to_string()),
            _ => None,
        },
    }
}

/// The inherited `TMPDIR`, `TMP` and `TEMP` that are unsafe, looked at
/// without changing anything. Called only when tmpguard failed.
pub fn unsafe_inherited(fs: &dyn Fs, snap: &Snapshot) -> Vec<Replaced> {
    let vars = [
        ("TMPDIR", &snap.tmpdir),
        ("TMP", &snap.tmp),
        ("TEMP", &snap.temp),
    ];
    vars.into_iter()
        .filter_map(|(var, v)| {
            let v = v.as_ref().filter(|v| !v.is_empty())?;
            let path = abspath(v).ok()?;
            let why = judge(
                &privdir::find(fs, &path, snap.uid),
                snap.uid,
                snap.job.is_some(),
            )?;
            Some(Replaced {
                var,
                old: v.clone(),
                why,
            })
        })
        .collect()
}

/// The line that tells the user, e.g. `TMPDIR=/tmp/x is ...; set to /tmp`.
pub fn message(r: &Replaced) -> String {
    format!(
        "{}={} {}; set to {SAFE_DEFAULT} instead",
        r.var,
        Path::new(&r.old).display(),
        r.why
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::privdir::{Dir, Error, Kind, Stat};

    const ME: u32 = 1000;

    fn stat(uid: u32, perm: u32) -> Stat {
        Stat {
            dev: 1,
            ino: 1,
            uid,
            mode: 0o040000 | perm,
            nlink: 2,
            mnt_id: None,
            mnt_id_unique: false,
            mount_root: None,
        }
    }
    fn dir(uid: u32, perm: u32) -> Found {
        Found::Dir(Dir {
            fd: crate::engine::effects::Handle::Fake(0),
            path: "/x".into(),
            stat: stat(uid, perm),
        })
    }
    fn bad(problem: Problem) -> Found {
        Found::Bad(Error {
            path: "/x".into(),
            problem,
        })
    }

    #[test]
    fn someone_elses_or_open_is_unsafe() {
        assert!(judge(&dir(2002, 0o700), ME, false).is_some());
        assert!(judge(&dir(2002, 0o1777), ME, false).is_some());
        assert!(judge(&dir(ME, 0o777), ME, false).is_some());
        // In a job, the scheduler's open directory of root or yours is not.
        assert!(judge(&dir(0, 0o777), ME, true).is_none());
        assert!(judge(&dir(0, 0o1777), ME, false).is_none());
        assert!(judge(&dir(ME, 0o700), ME, false).is_none());
        assert!(judge(&dir(0, 0o755), ME, false).is_none());
    }

    #[test]
    fn unusable_is_not_unsafe() {
        let os = Problem::Os {
            op: crate::engine::privdir::Op::Open,
            errno: nix::errno::Errno::EIO,
        };
        assert!(judge(&bad(os), ME, false).is_none());
        let own_file = Unsafe::NotDirectory {
            kind: Kind::File,
            owner: ME,
            links: 1,
        };
        assert!(judge(&bad(Problem::Unsafe(own_file)), ME, false).is_none());
        assert!(judge(&Found::Missing { parent: None }, ME, false).is_none());
        let in_own = Found::Missing {
            parent: Some(stat(ME, 0o700)),
        };
        assert!(judge(&in_own, ME, false).is_none());
    }

    #[test]
    fn links_mounts_ancestors_and_proc_are_unsafe() {
        for u in [
            Unsafe::ForeignLink {
                link: "/l".into(),
                owner: 2002,
            },
            Unsafe::PerProcess {
                link: "/proc/self".into(),
            },
            Unsafe::ForeignMount {
                point: "/m".into(),
                fstype: "fuse".into(),
                source: "s".into(),
                owner: Some(2002),
            },
            Unsafe::NotDirectory {
                kind: Kind::Fifo,
                owner: 2002,
                links: 1,
            },
        ] {
            assert!(
                judge(&bad(Problem::Unsafe(u.clone())), ME, false).is_some(),
                "{u:?}"
            );
        }
        let in_theirs = Found::Missing {
            parent: Some(stat(2002, 0o755)),
        };
        assert!(judge(&in_theirs, ME, false).is_some());
    }
}
