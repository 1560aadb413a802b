//! Which TMPDIR to export, and why: the rules of the README, as one pure function.
//!
//! Inputs are plain data gathered at the edges (the environment and a few
//! filesystem facts); the output says where the directory comes from. The
//! rules are tried in the order the README's table lists them.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::engine::privdir::{self, Unsafe};
use crate::engine::probe::ProbeError;

/// What is at an existing, non-empty `$TMPDIR`, reduced to what the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    /// A directory (reached through links owned by root or the user).
    Dir {
        owner: u32,
        /// Group or others can write into it.
        open: bool,
        /// Root-owned, world-writable and sticky, like `/tmp`.
        shared_sticky: bool,
        /// CPython's probe passes in it; `Err` says why not.
        usable: Result<(), Unusable>,
    },
    /// The last component is missing.
    Missing { parent: Parent },
    /// Anything else (not a directory, an unsafe link, an error): why.
    /// This includes the rules `privdir::chase` applies on the way: a
    /// directory failing the ancestor rule, a mount someone else made, a
    /// per-process `/proc` path (see README, "What it decides").
    Bad(Bad),
}

/// Why a directory at `$TMPDIR` is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// CPython's probe fails in it.
    Probe(ProbeError),
    /// Not probed: the rules replace it whatever the probe would say.
    NotProbed,
}

/// What is wrong at `$TMPDIR` when it is not a directory that could be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
    /// The object at `$TMPDIR` itself is unsafe (a file, a foreign link...).
    Unsafe(Unsafe),
    /// Something on the way to it failed (a link, a component, a system call).
    Error(privdir::Error),
}

/// The directory a missing `$TMPDIR` would be made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// Root-owned, world-writable, sticky.
    SharedSticky,
    /// The user's own: owned by the uid, not writable by group or others.
    Own,
    /// Missing, unsafe, or someone else's.
    Other,
}

/// Everything the decision depends on.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub uid: u32,
    /// `$TMPDIR` normalised like `os.path.abspath`; `None` when unset or empty.
    pub tmpdir: Option<&'a Path>,
    /// Facts about `tmpdir`; ignored when `tmpdir` is `None`.
    pub facts: &'a Facts,
    /// `<base>/<name>` for the configured (or default) base.
    pub target: &'a Path,
    pub force: bool,
    /// `--base` or `TMPGUARD_BASE` was given.
    pub base_configured: bool,
    /// A batch-job marker is set.
    pub in_job: bool,
    /// The site does not let users choose (`user_override = false`) and
    /// `tmpdir` is not inside one of its bases.
    pub outside_site_bases: bool,
}

/// Where the exported directory comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// `<base>/<name>` in the configured (or default) base: create, tighten, verify.
    Target,
    /// `<dir>/<name>` where `dir` is a shared sticky directory taken as the base.
    TargetIn(PathBuf),
    /// `$TMPDIR` as it is (normalised).
    Keep,
    /// `$TMPDIR` is missing inside the user's own directory: create it there.
    CreateInOwn,
}

/// Why: each variant is one row of the README's rules table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    Unset,
    Forced,
    IsTarget,
    SharedSticky,
    Private,
    JobDir,
    MissingInShared,
    MissingInOwn,
    /// Replaced by the target, for this reason.
    Replaced(Replaced),
}

/// Why an existing `$TMPDIR` is replaced by the target: one variant per rule
/// that refuses it, each with the one wording `init`, `exec` and `doctor` use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaced {
    /// A directory of another uid (not root).
    ForeignOwner(u32),
    /// Group or others can write it, outside a batch job.
    Open,
    /// root's, outside a batch job.
    RootOwned,
    /// It fails the probe (or was not probed).
    Unusable(Unusable),
    /// None of the rules keeps it.
    NotPrivate,
    /// Missing, in a directory that is not the user's own.
    ParentNotOwn,
    /// Not a directory that could be kept.
    Bad(Bad),
    /// Outside the site's bases, which users may not leave (`user_override = false`).
    OutsideSiteBases,
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unusable::Probe(p) => p.fmt(f),
            Unusable::NotProbed => f.write_str("not probed"),
        }
    }
}

/// The reason, as the rest of a sentence that starts with `TMPDIR=<value>`.
impl fmt::Display for Replaced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replaced::ForeignOwner(owner) => write!(f, "belongs to uid {owner}"),
            Replaced::Open => {
                f.write_str("is writable by group or others (allowed only inside a batch job)")
            }
            Replaced::RootOwned => f.write_str("belongs to root, not to you"),
            Replaced::Unusable(u) => write!(f, "is not usable: {u}"),
            Replaced::NotPrivate => f.write_str("is not private"),
            Replaced::ParentNotOwn => {
                f.write_str("does not exist, and its parent is not a directory of yours")
            }
            // The path is already in the sentence; say only what is wrong with it.
            Replaced::Bad(Bad::Unsafe(u)) => u.fmt(f),
            Replaced::Bad(Bad::Error(e)) => write!(f, "is not usable ({e})"),
            Replaced::OutsideSiteBases => {
                f.write_str("is outside the site's bases (the site sets user_override = false)")
            }
        }
    }
}

impl Why {
    /// What `init` (and `exec`) say changed, before what they did: `TMPDIR=<old>
    /// is shared; `. Empty when the rule needs no words.
    pub fn note(&self, old: &str) -> String {
        match self {
            Why::Replaced(r) => format!("TMPDIR={old} {r}; "),
            Why::SharedSticky => format!("TMPDIR={old} is shared; "),
            Why::MissingInShared | Why::MissingInOwn => format!("TMPDIR={old} did not exist; "),
            Why::Forced if !old.is_empty() => format!("TMPDIR={old} overridden by --force; "),
            _ => String::new(),
        }
    }

    /// Why, as `doctor` says it next to what init would do.
    pub fn words(&self) -> String {
        match self {
            Why::Unset => "TMPDIR is not set".into(),
            Why::Forced => "--force".into(),
            Why::IsTarget => String::new(),
            Why::SharedSticky => "TMPDIR is shared with every user".into(),
            Why::Private => "TMPDIR is private and usable".into(),
            Why::JobDir => "TMPDIR is this batch job's directory".into(),
            Why::MissingInShared => "TMPDIR does not exist, in a shared directory".into(),
            Why::MissingInOwn => "TMPDIR does not exist, in a directory of yours".into(),
            Why::Replaced(r) => format!("TMPDIR {r}"),
        }
    }
}

/// The decision: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub choice: Choice,
    pub why: Why,
}

fn d(choice: Choice, why: Why) -> Decision {
    Decision { choice, why }
}

fn replaced(r: Replaced) -> Decision {
    d(Choice::Target, Why::Replaced(r))
}

/// Apply the rules, in order.
pub fn decide(i: &Input<'_>) -> Decision {
    let Some(tmpdir) = i.tmpdir else {
        return d(Choice::Target, Why::Unset);
    };
    if i.force {
        return d(Choice::Target, Why::Forced);
    }
    if tmpdir == i.target {
        return d(Choice::Target, Why::IsTarget);
    }
    let shared = |why| match i.base_configured {
        true => d(Choice::Target, why),
        false => d(
            Choice::TargetIn(shared_base(tmpdir, why == Why::MissingInShared)),
            why,
        ),
    };
    match i.facts {
        Facts::Dir {
            shared_sticky: true,
            ..
        } => shared(Why::SharedSticky),
        // A batch job's directory is the batch system's choice, not the user's.
        Facts::Dir { .. }
        | Facts::Missing {
            parent: Parent::Own,
        } if i.outside_site_bases && !i.in_job => {
            d(Choice::Target, Why::Replaced(Replaced::OutsideSiteBases))
        }
        Facts::Dir {
            owner,
            open: false,
            usable: Ok(()),
            ..
        } if *owner == i.uid => d(Choice::Keep, Why::Private),
        Facts::Dir {
            owner,
            usable: Ok(()),
            ..
        } if i.in_job && (*owner == i.uid || *owner == 0) => d(Choice::Keep, Why::JobDir),
        Facts::Dir { owner, .. } if *owner != i.uid && *owner != 0 => {
            replaced(Replaced::ForeignOwner(*owner))
        }
        Facts::Dir { open: true, .. } if !i.in_job => replaced(Replaced::Open),
        Facts::Dir { owner: 0, .. } if !i.in_job => replaced(Replaced::RootOwned),
        Facts::Dir { usable: Err(e), .. } => replaced(Replaced::Unusable(*e)),
        Facts::Dir { .. } => replaced(Replaced::NotPrivate),
        Facts::Missing {
            parent: Parent::SharedSticky,
        } => shared(Why::MissingInShared),
        Facts::Missing {
            parent: Parent::Own,
        } => d(Choice::CreateInOwn, Why::MissingInOwn),
        Facts::Missing {
            parent: Parent::Other,
        } => replaced(Replaced::ParentNotOwn),
        Facts::Bad(bad) => replaced(Replaced::Bad(bad.clone())),
    }
}

/// The shared sticky directory a rule takes as the base: `$TMPDIR` itself, or
/// its parent when `$TMPDIR` is missing in it.
fn shared_base(tmpdir: &Path, missing: bool) -> PathBuf {
    match missing {
        true => tmpdir.parent().unwrap_or(Path::new("/")).to_owned(),
        false => tmpdir.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: u32 = 1000;

    fn dir(owner: u32, open: bool, shared_sticky: bool, usable: bool) -> Facts {
        let usable = if usable {
            Ok(())
        } else {
            Err(Unusable::Probe(ProbeError {
                step: crate::engine::probe::Step::Write,
                errno: nix::errno::Errno::ENOSPC,
            }))
        };
        Facts::Dir {
            owner,
            open,
            shared_sticky,
            usable,
        }
    }

    fn run(tmpdir: Option<&str>, facts: Facts, tweak: impl FnOnce(&mut Input<'_>)) -> Decision {
        let tmpdir = tmpdir.map(Path::new);
        let mut i = Input {
            uid: UID,
            tmpdir,
            facts: &facts,
            target: Path::new("/tmp/alice"),
            force: false,
            base_configured: false,
            in_job: false,
            outside_site_bases: false,
        };
        tweak(&mut i);
        decide(&i)
    }

    #[test]
    fn unset_uses_target() {
        assert_eq!(
            run(
                None,
                Facts::Missing {
                    parent: Parent::Other
                },
                |_| ()
            ),
            d(Choice::Target, Why::Unset)
        );
    }

    #[test]
    fn force_and_already_target() {
        let kept = dir(UID, false, false, true);
        assert_eq!(
            run(Some("/x"), kept.clone(), |i| i.force = true).choice,
            Choice::Target
        );
        assert_eq!(run(Some("/tmp/alice"), kept, |_| ()).why, Why::IsTarget);
    }

    #[test]
    fn shared_sticky_becomes_base_unless_configured() {
        let f = dir(0, true, true, true);
        assert_eq!(
            run(Some("/scratch"), f.clone(), |_| ()).choice,
            Choice::TargetIn("/scratch".into())
        );
        assert_eq!(
            run(Some("/tmp"), f.clone(), |i| i.in_job = true).choice,
            Choice::TargetIn("/tmp".into())
        );
        assert_eq!(
            run(Some("/scratch"), f, |i| i.base_configured = true).choice,
            Choice::Target
        );
    }

    #[test]
    fn private_and_usable_is_kept() {
        assert_eq!(
            run(Some("/job/1"), dir(UID, false, false, true), |_| ()),
            d(Choice::Keep, Why::Private)
        );
    }

    #[test]
    fn private_but_unusable_is_replaced() {
        assert!(matches!(
            run(Some("/full"), dir(UID, false, false, false), |_| ()).why,
            Why::Replaced(_)
        ));
    }

    #[test]
    fn job_keeps_open_root_or_own_dir_never_foreign() {
        let job = |i: &mut Input<'_>| i.in_job = true;
        assert_eq!(
            run(Some("/j"), dir(0, true, false, true), job).why,
            Why::JobDir
        );
        assert_eq!(
            run(Some("/j"), dir(UID, true, false, true), job).why,
            Why::JobDir
        );
        assert_eq!(
            run(Some("/j"), dir(0, false, false, true), job).why,
            Why::JobDir
        );
        assert!(matches!(
            run(Some("/j"), dir(2000, true, false, true), job).why,
            Why::Replaced(_)
        ));
        assert!(matches!(
            run(Some("/j"), dir(2000, false, false, true), job).why,
            Why::Replaced(_)
        ));
        assert!(matches!(
            run(Some("/j"), dir(0, true, false, false), job).why,
            Why::Replaced(_)
        ));
    }

    #[test]
    fn outside_job_open_or_root_dirs_are_replaced() {
        assert!(matches!(
            run(Some("/j"), dir(0, true, false, true), |_| ()).why,
            Why::Replaced(_)
        ));
        assert!(matches!(
            run(Some("/j"), dir(0, false, false, true), |_| ()).why,
            Why::Replaced(_)
        ));
        assert!(matches!(
            run(Some("/j"), dir(UID, true, false, true), |_| ()).why,
            Why::Replaced(_)
        ));
    }

    #[test]
    fn missing_in_shared_uses_target_in_that_parent() {
        let m = Facts::Missing {
            parent: Parent::SharedSticky,
        };
        assert_eq!(
            run(Some("/scratch/bob"), m.clone(), |_| ()).choice,
            Choice::TargetIn("/scratch".into())
        );
        assert_eq!(
            run(Some("/scratch/bob"), m, |i| i.base_configured = true).choice,
            Choice::Target
        );
    }

    #[test]
    fn missing_in_own_is_created_elsewhere_replaced() {
        let own = Facts::Missing {
            parent: Parent::Own,
        };
        assert_eq!(
            run(Some("/home/alice/tmp"), own, |_| ()).choice,
            Choice::CreateInOwn
        );
        let other = Facts::Missing {
            parent: Parent::Other,
        };
        assert_eq!(run(Some("/nope/x"), other, |_| ()).choice, Choice::Target);
    }

    #[test]
    fn outside_the_sites_bases_is_replaced_unless_in_a_job() {
        let outside = |i: &mut Input<'_>| i.outside_site_bases = true;
        assert!(matches!(
            run(Some("/home/a/t"), dir(UID, false, false, true), outside).why,
            Why::Replaced(_)
        ));
        let own = Facts::Missing {
            parent: Parent::Own,
        };
        assert_eq!(run(Some("/home/a/t"), own, outside).choice, Choice::Target);
        assert_eq!(
            run(Some("/j"), dir(UID, false, false, true), |i| {
                i.outside_site_bases = true;
                i.in_job = true;
            })
            .why,
            Why::Private
        );
    }

    #[test]
    fn bad_is_replaced_with_reason() {
        let file = Bad::Unsafe(Unsafe::NotDirectory {
            kind: privdir::Kind::File,
            owner: UID,
            links: 1,
        });
        let why = run(Some("/x"), Facts::Bad(file.clone()), |_| ()).why;
        assert_eq!(why, Why::Replaced(Replaced::Bad(file)));
    }

    /// Every reason a TMPDIR is replaced for, one of each.
    pub fn every_replaced() -> Vec<Replaced> {
        use crate::engine::privdir::{Error, Kind, Problem};
        let probe = ProbeError {
            step: crate::engine::probe::Step::Create,
            errno: nix::errno::Errno::EROFS,
        };
        vec![
            Replaced::ForeignOwner(2000),
            Replaced::Open,
            Replaced::RootOwned,
            Replaced::Unusable(Unusable::Probe(probe)),
            Replaced::Unusable(Unusable::NotProbed),
            Replaced::NotPrivate,
            Replaced::ParentNotOwn,
            Replaced::Bad(Bad::Unsafe(Unsafe::NotDirectory {
                kind: Kind::File,
                owner: UID,
                links: 1,
            })),
            Replaced::Bad(Bad::Error(Error {
                path: "/x/link".into(),
                problem: Problem::Unsafe(Unsafe::ForeignLink {
                    link: "/x/link".into(),
                    owner: 2000,
                }),
            })),
            // Issue 13: what chase finds on the way, about TMPDIR itself.
            Replaced::Bad(Bad::Unsafe(Unsafe::Ancestor {
                dir: "/proj".into(),
                owner: 0,
                mode: 0o42770,
                flaw: crate::engine::ancestry::Flaw::NotSticky,
            })),
            Replaced::Bad(Bad::Unsafe(Unsafe::ForeignMount {
                point: "/tmp/alice".into(),
                fstype: "fuse".into(),
                source: "/src".into(),
                owner: Some(2000),
            })),
            Replaced::Bad(Bad::Unsafe(Unsafe::PerProcess {
                link: "/proc/self".into(),
            })),
        ]
    }

    #[test]
    fn a_reason_has_one_wording_in_init_and_doctor() {
        for r in every_replaced() {
            let text = r.to_string();
            let why = Why::Replaced(r);
            assert_eq!(why.note("/old"), format!("TMPDIR=/old {text}; "));
            assert_eq!(why.words(), format!("TMPDIR {text}"));
        }
        // The rules' other reasons: the same fact in both, in its own words.
        assert_eq!(Why::SharedSticky.note("/s"), "TMPDIR=/s is shared; ");
        assert_eq!(
            Why::SharedSticky.words(),
            "TMPDIR is shared with every user"
        );
    }

    #[test]
    fn reasons_in_words() {
        let words: Vec<String> = every_replaced().iter().map(ToString::to_string).collect();
        assert_eq!(words[0], "belongs to uid 2000");
        assert_eq!(
            words[3],
            "is not usable: creating a file failed: EROFS: Read-only file system"
        );
        assert_eq!(words[4], "is not usable: not probed");
        assert!(words[7].starts_with("is a regular file, not a directory, owned by uid "));
        assert!(
            words[8].starts_with(
                "is not usable (/x/link passes through the symlink /x/link owned by uid 2000"
            ),
            "{}",
            words[8]
        );
        assert!(
            words[9].starts_with("is inside /proj (owner uid 0"),
            "{}",
            words[9]
        );
        assert!(
            words[9].ends_with("mode 2770), which group or others can write without the sticky bit: they can replace what is in it; fix: ask the administrator to chmod +t /proj, or use a directory outside it"),
            "{}",
            words[9]
        );
        assert!(
            words[10].starts_with("is on the fuse mount /tmp/alice (of /src) made by uid 2000"),
            "{}",
            words[10]
        );
        assert_eq!(
            words[11],
            "resolves through /proc/self, a per-process link of /proc: every program would see a different directory"
        );
        // Each is a replacement of TMPDIR by the rules, never kept.
        for r in &every_replaced()[9..] {
            let Replaced::Bad(b) = r else { unreachable!() };
            let d = run(Some("/x"), Facts::Bad(b.clone()), |i| i.in_job = true);
            assert_eq!(d.choice, Choice::Target);
        }
    }
}
