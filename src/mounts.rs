//! Mounts on the way: a directory tmpguard exports or keeps, and every
//! directory on its path, must not be a mount someone other than root or the
//! user made. A FUSE filesystem reports whatever owner and mode its daemon
//! likes, so "yours, 0700" proves nothing on a mount an attacker made.
//!
//! Detecting a mount needs no round trip to the mounted filesystem (a stopped
//! FUSE daemon must not hang the check): `privdir` gets the mount-root flag
//! (or the device number, on kernels before 5.8) from `statx` with
//! `AT_STATX_DONT_SYNC`, and asks [`check`] only where one directory is the
//! root of a mount. Only then is `/proc/self/mountinfo` read (once per run),
//! which the kernel writes from its own records, never asking the filesystem.
//!
//! Who made a mount: a mount visible in this namespace needs `CAP_SYS_ADMIN`
//! (root), except FUSE, which users mount through the setuid `fusermount`;
//! the kernel records that user in the superblock as `user_id=` (verified on
//! Linux 6.18 with bindfs: `... - fuse /src rw,user_id=2002,group_id=2002,...`).

use std::cell::RefCell;
use std::path::PathBuf;

use crate::fsinfo::{Mount, parse_mountinfo};
use crate::privdir::Stat;

/// A mount on the way made by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    pub point: PathBuf,
    pub fstype: String,
    pub source: String,
    /// Who made it; `None` when mountinfo does not say.
    pub owner: Option<u32>,
}

/// `child`, reached by a lookup in `parent` (or by `..`), is the root of a
/// mount. Without the kernel's flag, a device number differing from the
/// parent's says so (and also flags a btrfs subvolume, which [`check`] then
/// does not find in mountinfo and lets pass).
pub fn is_crossing(parent: &Stat, child: &Stat) -> bool {
    match child.mount_root {
        Some(root) => root,
        None => child.dev != parent.dev,
    }
}

/// FUSE (`fuse`, `fuseblk`, `fuse.<name>`): mountable by users.
fn is_fuse(fstype: &str) -> bool {
    fstype == "fuse" || fstype == "fuseblk" || fstype.starts_with("fuse.")
}

/// The uid that made the mount `m`: root for anything but FUSE, FUSE's
/// `user_id=` otherwise (`None`: not recorded).
pub fn maker(m: &Mount) -> Option<u32> {
    if !is_fuse(&m.fstype) {
        return Some(0);
    }
    m.super_opts
        .split(',')
        .find_map(|o| o.strip_prefix("user_id="))
        .and_then(|v| v.parse().ok())
}

/// Whether `m` was made by root or `uid` (or an owner the site trusts).
pub fn judge(m: &Mount, uid: u32, trusted: &[u32]) -> Result<(), Foreign> {
    match maker(m) {
        Some(o) if o == 0 || o == uid || trusted.contains(&o) => Ok(()),
        owner => Err(Foreign {
            point: m.point.clone(),
            fstype: m.fstype.clone(),
            source: m.source.clone(),
            owner,
        }),
    }
}

/// The mountinfo entry of the mount whose root `st` is: by mount id, else
/// (old kernels) the last entry with its device number, the one on top.
pub fn find<'a>(mounts: &'a [Mount], st: &Stat) -> Option<&'a Mount> {
    match st.mnt_id {
        Some(id) => mounts.iter().find(|m| m.id == id),
        None => mounts.iter().rev().find(|m| m.dev == st.dev),
    }
}

thread_local! {
    /// mountinfo, read at the first mount met in this run.
    static TABLE: RefCell<Option<Vec<Mount>>> = const { RefCell::new(None) };
}

fn read_table() -> Vec<Mount> {
    std::fs::read("/proc/self/mountinfo")
        .map(|t| parse_mountinfo(&t))
        .unwrap_or_default()
}

/// Judge the mount whose root `st` is, for `uid`. A mount id missing from
/// mountinfo (read again once, in case it was mounted since) is refused:
/// it was unmounted under us, or /proc cannot be read.
pub fn check(st: &Stat, uid: u32) -> Result<(), Foreign> {
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        for fresh in [false, true] {
            if fresh || t.is_none() {
                *t = Some(read_table());
            }
            if let Some(m) = find(t.as_deref().unwrap_or_default(), st) {
                return judge(m, uid, &[]);
            }
        }
        match st.mnt_id {
            Some(_) => Err(Foreign {
                point: PathBuf::from("?"),
                fstype: "unknown".into(),
                source: "?".into(),
                owner: None,
            }),
            // Another device but no mount of it: a btrfs subvolume.
            None => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(id: u64, dev: u64, fstype: &str, opts: &str) -> Mount {
        Mount {
            id,
            dev,
            point: format!("/m{id}").into(),
            fstype: fstype.into(),
            source: "src".into(),
            super_opts: opts.into(),
        }
    }

    fn stat(dev: u64, mnt_id: Option<u64>, mount_root: Option<bool>) -> Stat {
        Stat {
            dev,
            ino: 1,
            uid: 0,
            mode: 0o040700,
            nlink: 2,
            mnt_id,
            mount_root,
        }
    }

    #[test]
    fn only_fuse_mounts_have_a_user_maker() {
        assert_eq!(maker(&mount(1, 1, "tmpfs", "rw,user_id=5")), Some(0));
        assert_eq!(maker(&mount(1, 1, "nfs4", "rw")), Some(0));
        let bindfs = "rw,user_id=2002,group_id=2002,default_permissions,allow_other";
        assert_eq!(maker(&mount(1, 1, "fuse", bindfs)), Some(2002));
        assert_eq!(maker(&mount(1, 1, "fuse.sshfs", "rw,user_id=7")), Some(7));
        assert_eq!(maker(&mount(1, 1, "fuseblk", "rw,user_id=0")), Some(0));
        assert_eq!(maker(&mount(1, 1, "fuse.x", "rw")), None);
    }

    #[test]
    fn judged_by_who_made_it() {
        let theirs = mount(3, 9, "fuse", "rw,user_id=2002");
        assert_eq!(judge(&theirs, 2002, &[]), Ok(()));
        let e = judge(&theirs, 2001, &[]).unwrap_err();
        assert_eq!((e.owner, e.point), (Some(2002), "/m3".into()));
        assert_eq!(judge(&theirs, 2001, &[2002]), Ok(()));
        assert_eq!(judge(&mount(4, 9, "tmpfs", "rw"), 2001, &[]), Ok(()));
        assert!(judge(&mount(5, 9, "fuse", "rw"), 2001, &[]).is_err());
    }

    #[test]
    fn crossing_by_flag_else_by_device() {
        let parent = stat(1, Some(1), Some(false));
        assert!(is_crossing(&parent, &stat(1, Some(2), Some(true))));
        // A btrfs subvolume: another device, not a mount.
        assert!(!is_crossing(&parent, &stat(2, Some(1), Some(false))));
        assert!(is_crossing(&parent, &stat(2, None, None)));
        assert!(!is_crossing(&parent, &stat(1, None, None)));
    }

    #[test]
    fn found_by_id_else_by_top_device() {
        let ms = [
            mount(1, 5, "ext4", ""),
            mount(2, 7, "tmpfs", ""),
            mount(3, 7, "tmpfs", ""),
        ];
        assert_eq!(find(&ms, &stat(7, Some(2), Some(true))).unwrap().id, 2);
        assert_eq!(find(&ms, &stat(7, None, None)).unwrap().id, 3);
        assert!(find(&ms, &stat(8, None, None)).is_none());
    }

    #[test]
    fn the_root_mount_is_in_mountinfo_and_roots() {
        let root = crate::privdir::chase(std::path::Path::new("/"), 0)
            .unwrap()
            .1;
        assert_eq!(check(&root, 12345), Ok(()));
    }
}
