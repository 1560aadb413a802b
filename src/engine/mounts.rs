//! Mounts on the way: a directory tmpguard exports or keeps, and every
//! directory on its path, must not be a mount someone other than root or the
//! user made. A FUSE filesystem reports whatever owner and mode its daemon
//! likes, so "yours, 0700" proves nothing on a mount an attacker made.
//!
//! Detecting a mount needs no round trip to the mounted filesystem (a stopped
//! FUSE daemon must not hang the check): `privdir` gets the mount-root flag
//! (or the device number, on kernels before 5.8) from `statx` with
//! `AT_STATX_DONT_SYNC`, and asks [`check`] only where one directory is the
//! root of a mount. There, on Linux 6.8+, `statmount` gives the superblock's
//! magic from the kernel's records in one call: anything but FUSE is root's
//! (a root-made tmpfs /tmp costs 2 more system calls). Only for FUSE, or
//! before 6.8, is `/proc/self/mountinfo` read (once per run; the kernel writes
//! it from its own records, never asking the filesystem), and only the line
//! of that mount is parsed.
//!
//! Who made a mount: a mount visible in this namespace needs `CAP_SYS_ADMIN`
//! (root), except FUSE, which users mount through the setuid `fusermount`;
//! the kernel records that user in the superblock as `user_id=` (verified on
//! Linux 6.18 with bindfs: `... - fuse /src rw,user_id=2002,group_id=2002,...`).

use std::path::PathBuf;
use std::sync::Mutex;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::engine::privdir::Stat;

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

/// How a mount is looked up in mountinfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The id mountinfo shows (statx's `STATX_MNT_ID`, before Linux 6.8).
    Id(u64),
    /// The superblock's device: a FUSE filesystem's own, so every line of
    /// it carries the same `user_id=` (the last line is the one on top).
    Dev(u64),
}

/// The key for the mount whose root `st` is.
pub fn key(st: &Stat) -> Key {
    match st.mnt_id {
        Some(id) if !st.mnt_id_unique => Key::Id(id),
        _ => Key::Dev(st.dev),
    }
}

/// The mountinfo line of `key`, parsing only that line.
pub fn find(text: &[u8], key: Key) -> Option<Mount> {
    let matches = |line: &&[u8]| {
        let mut f = line.split(|&b| b == b' ');
        let id = f.next();
        let dev = f.nth(1);
        let num = |v: Option<&[u8]>| std::str::from_utf8(v?).ok()?.parse::<u64>().ok();
        match key {
            Key::Id(want) => num(id) == Some(want),
            Key::Dev(want) => {
                dev.and_then(|d| std::str::from_utf8(d).ok()?.split_once(':'))
                    .and_then(|(a, b)| {
                        Some(nix::sys::stat::makedev(a.parse().ok()?, b.parse().ok()?))
                    })
                    == Some(want)
            }
        }
    };
    let line = text.split(|&b| b == b'\n').rev().find(matches)?;
    parse_mountinfo(line).pop()
}

/// `f_type` of FUSE filesystems (`fuse`, `fuseblk`, `fuse.*`).
const FUSE_SUPER_MAGIC: u64 = 0x6573_5546;

/// mountinfo, read at the first mount that needs it in this run. A static,
/// not a thread-local: one with a destructor makes every shell start resolve
/// four more libc symbols (pthread keys), about 2,000 instructions.
static TABLE: Mutex<Option<Vec<u8>>> = Mutex::new(None);

/// mountinfo in one or two reads (std's `fs::read` starts with 32 bytes
/// for a file whose size /proc does not know).
fn read_table() -> Vec<u8> {
    use std::io::Read;
    let mut text = Vec::with_capacity(64 * 1024);
    let read =
        std::fs::File::open("/proc/self/mountinfo").and_then(|mut f| f.read_to_end(&mut text));
    if read.is_err() {
        text.clear();
    }
    text
}

/// What [`check`] found acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Not FUSE: root made it, and its attributes are real.
    Kernel,
    /// FUSE (root's or the user's), or not known: attributes seen without
    /// sync may be placeholders until its daemon was asked.
    MaybeFuse,
}

/// Judge the mount whose root `st` is, for `uid`. A mount missing from
/// mountinfo (read again once, in case it was mounted since) is refused:
/// it was unmounted under us, or /proc cannot be read.
pub fn check(st: &Stat, uid: u32) -> Result<Accepted, Foreign> {
    if let (Some(id), true) = (st.mnt_id, st.mnt_id_unique) {
        match crate::sys::statx::sb_magic(id) {
            Ok(magic) if magic != FUSE_SUPER_MAGIC => return Ok(Accepted::Kernel),
            // FUSE (who made it is only in mountinfo), or no statmount.
            _ => {}
        }
    }
    let key = key(st);
    {
        let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        for fresh in [false, true] {
            if fresh || t.is_none() {
                *t = Some(read_table());
            }
            if let Some(m) = find(t.as_deref().unwrap_or_default(), key) {
                return judge(&m, uid, &[]).map(|()| Accepted::MaybeFuse);
            }
        }
        match st.mount_root {
            Some(true) => Err(Foreign {
                point: PathBuf::from("?"),
                fstype: "unknown".into(),
                source: "?".into(),
                owner: None,
            }),
            // Another device but no mount of it: a btrfs subvolume.
            _ => Ok(Accepted::Kernel),
        }
    }
}

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The mount's id (what `statx` reports as `stx_mnt_id`).
    pub id: u64,
    /// `st_dev` of files on it.
    pub dev: u64,
    pub point: PathBuf,
    pub fstype: String,
    pub source: String,
    /// The superblock's options (for FUSE: `user_id=` names who mounted it).
    pub super_opts: String,
}

/// Parse mountinfo (`proc(5)`): `id parent major:minor root point opts [tags] - type source superopts`.
pub fn parse_mountinfo(text: &[u8]) -> Vec<Mount> {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            let sep = fields.iter().position(|f| *f == b"-")?;
            let (major, minor) = std::str::from_utf8(fields.get(2)?).ok()?.split_once(':')?;
            let dev = nix::sys::stat::makedev(major.parse().ok()?, minor.parse().ok()?);
            Some(Mount {
                id: std::str::from_utf8(fields.first()?).ok()?.parse().ok()?,
                dev,
                point: PathBuf::from(OsString::from_vec(unescape(fields.get(4)?))),
                fstype: String::from_utf8_lossy(&unescape(fields.get(sep + 1)?)).into_owned(),
                source: String::from_utf8_lossy(&unescape(fields.get(sep + 2)?)).into_owned(),
                super_opts: fields
                    .get(sep + 3)
                    .map(|o| String::from_utf8_lossy(&unescape(o)).into_owned())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let oct = field
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (field[i], oct) {
            (b'\\', Some(d)) => {
                out.push(d.iter().fold(0u8, |n, c| n.wrapping_mul(8) + (c - b'0')));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// A filesystem type shared between machines (for `hang` and doctor).
pub fn is_network_type(t: &str) -> bool {
    [
        "nfs",
        "nfs4",
        "lustre",
        "gpfs",
        "beegfs",
        "cifs",
        "smb3",
        "ceph",
        "glusterfs",
        "panfs",
        "wekafs",
        "afs",
    ]
    .contains(&t)
        || (t.starts_with("fuse.") && ["sshfs", "gcsfuse", "s3fs"].iter().any(|f| t.ends_with(f)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
            mnt_id_unique: false,
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
        let text = b"1 0 0:5 / / rw - ext4 a rw\n2 1 0:7 / /x rw - tmpfs b rw\n3 1 0:7 / /y rw - fuse c rw,user_id=9\n";
        assert_eq!(find(text, Key::Id(2)).unwrap().point, Path::new("/x"));
        let dev7 = nix::sys::stat::makedev(0, 7);
        let top = find(text, Key::Dev(dev7)).unwrap();
        assert_eq!((top.id, maker(&top)), (3, Some(9)));
        assert!(find(text, Key::Id(4)).is_none());
        let mut st = stat(dev7, Some(2), Some(true));
        assert_eq!(key(&st), Key::Id(2));
        st.mnt_id_unique = true;
        assert_eq!(key(&st), Key::Dev(dev7));
    }

    /// statmount's struct layout, checked on the running kernel: /proc's
    /// superblock is procfs (where statmount exists).
    #[test]
    fn statmount_reads_the_superblock_magic() {
        let (_, st) =
            crate::engine::privdir::chase(&crate::engine::effects::RealFs, Path::new("/proc"), 0)
                .unwrap();
        assert_eq!(st.mount_root, Some(true));
        match (st.mnt_id, st.mnt_id_unique) {
            (Some(id), true) => assert_eq!(crate::sys::statx::sb_magic(id), Ok(0x9fa0)),
            _ => eprintln!("no unique mount ids: kernel before 6.8"),
        }
    }

    #[test]
    fn the_root_mount_is_in_mountinfo_and_roots() {
        let root = crate::engine::privdir::chase(
            &crate::engine::effects::RealFs,
            std::path::Path::new("/"),
            0,
        )
        .unwrap()
        .1;
        assert!(check(&root, 12345).is_ok());
    }
}
