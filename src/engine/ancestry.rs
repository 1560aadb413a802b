//! The ancestor rule (OpenSSH's `safe_path`, checkpath's `tmpdir`): every
//! directory walked through on the way to a directory tmpguard exports or
//! keeps, from `/` down to its parent, including those that hold a symlink
//! followed, is owned by root or the user, and if group or others can write
//! it, it has the sticky bit. Otherwise someone else can rename the checked
//! directory away after the check and put their own in its place.
//!
//! Pure: `privdir::chase` calls [`check`] with the stat of each directory it
//! is about to look a name up in.

use std::path::{Path, PathBuf};

use crate::engine::privdir::Stat;

/// Owners and directories a site vouches for (its configuration, `[trust]`).
/// Empty by default: only root and the user are trusted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Trust<'a> {
    /// Uids trusted like root as owners of directories on the way (system accounts).
    pub owners: &'a [u32],
    /// Directories accepted on the way whatever their owner and mode (project spaces).
    pub dirs: &'a [PathBuf],
}

impl Trust<'_> {
    /// Nobody but root and the user.
    pub const NONE: Trust<'static> = Trust {
        owners: &[],
        dirs: &[],
    };
}

/// The site's `[trust]` for this process, set once by `resolve::plan` from
/// the site file (never from flags or the environment); every walk
/// (`privdir::chase`) reads it. Unset (the default): [`Trust::NONE`].
static SITE: std::sync::OnceLock<Trust<'static>> = std::sync::OnceLock::new();

/// Record the site's trust (borrowed from the site file, which lives as
/// long as the process: no copy); empty trust records nothing. The first
/// call wins: one site file per process.
pub fn set_site(t: Trust<'static>) {
    if !t.owners.is_empty() || !t.dirs.is_empty() {
        let _ = SITE.set(t);
    }
}

/// The site's trust recorded by [`set_site`].
pub fn site() -> Trust<'static> {
    SITE.get().copied().unwrap_or(Trust::NONE)
}

/// Why a directory on the way is not safe to pass through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Owned by someone other than root or the user.
    Owner,
    /// Group or others can write it and it is not sticky.
    NotSticky,
}

/// Whether `dir` (with stat `st`) may be passed through by `uid`.
pub fn check(dir: &Path, st: &Stat, uid: u32, trust: &Trust<'_>) -> Result<(), Flaw> {
    if trust.dirs.iter().any(|d| d == dir) {
        return Ok(());
    }
    if st.uid != 0 && st.uid != uid && !trust.owners.contains(&st.uid) {
        return Err(Flaw::Owner);
    }
    if st.writable_by_others() && !st.sticky() {
        return Err(Flaw::NotSticky);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(uid: u32, perm: u32) -> Stat {
        Stat {
            dev: 1,
            ino: 2,
            uid,
            mode: 0o040000 | perm,
            nlink: 2,
            mnt_id: None,
            mnt_id_unique: false,
            mount_root: None,
        }
    }
    const ME: u32 = 1000;
    fn ok(st: Stat) -> Result<(), Flaw> {
        check(Path::new("/p"), &st, ME, &Trust::NONE)
    }

    #[test]
    fn root_or_own_and_sticky_when_shared() {
        assert_eq!(ok(dir(0, 0o755)), Ok(()));
        assert_eq!(ok(dir(0, 0o1777)), Ok(()));
        assert_eq!(ok(dir(ME, 0o700)), Ok(()));
        assert_eq!(ok(dir(ME, 0o3770)), Ok(()));
        assert_eq!(ok(dir(0, 0o2770)), Err(Flaw::NotSticky));
        assert_eq!(ok(dir(ME, 0o2770)), Err(Flaw::NotSticky));
        assert_eq!(ok(dir(0, 0o757)), Err(Flaw::NotSticky));
        assert_eq!(ok(dir(2000, 0o755)), Err(Flaw::Owner));
        assert_eq!(ok(dir(2000, 0o1777)), Err(Flaw::Owner));
    }

    #[test]
    fn site_trust_vouches_for_owners_and_dirs() {
        let owners = [2000];
        let dirs = [PathBuf::from("/proj")];
        let t = Trust {
            owners: &owners,
            dirs: &dirs,
        };
        assert_eq!(check(Path::new("/x"), &dir(2000, 0o755), ME, &t), Ok(()));
        assert_eq!(
            check(Path::new("/x"), &dir(2000, 0o2770), ME, &t),
            Err(Flaw::NotSticky)
        );
        assert_eq!(
            check(Path::new("/proj"), &dir(3000, 0o2770), ME, &t),
            Ok(())
        );
        assert_eq!(
            check(Path::new("/proj/a"), &dir(3000, 0o755), ME, &t),
            Err(Flaw::Owner)
        );
    }
}
