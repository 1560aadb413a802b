//! Whether a filesystem is local to this machine, from `statfs`'s `f_type`
//! (one system call on an fd or a path; no mountinfo read).
//!
//! The XDG Base Directory specification requires the runtime directory on a
//! local filesystem not shared with other systems (sockets, locks, a
//! reliable link count). A magic number also tells who made a mount: in this
//! mount namespace only root mounts filesystems, except FUSE, which users
//! mount through the setuid `fusermount` and whose daemon reports whatever
//! owner and mode it likes. So anything here but FUSE was mounted by root.

use std::fmt;

/// What a filesystem is, for a runtime directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locality {
    /// On this machine only (tmpfs, ext4, xfs, btrfs, ...), mounted by root.
    Local,
    /// Shared between machines: the name of the filesystem.
    Network(&'static str),
    /// FUSE: perhaps remote (sshfs, virtiofs), perhaps mounted by a user.
    Fuse,
}

/// `f_type` of FUSE filesystems (`fuse`, `fuseblk`, `fuse.*`, virtiofs).
pub const FUSE_MAGIC: u64 = 0x6573_5546;
/// `f_type` of tmpfs (logind's `/run/user/$UID`, most `/tmp`s).
#[cfg(test)]
pub const TMPFS_MAGIC: u64 = 0x0102_1994;

/// Filesystems shared between machines, by `f_type` (linux/magic.h and the
/// vendors' own: Lustre, GPFS, BeeGFS, PanFS).
const NETWORK: &[(u64, &str)] = &[
    (0x6969, "nfs"),
    (0x517b, "smb"),
    (0xff53_4d42, "cifs"),
    (0xfe53_4d42, "smb2"),
    (0x0bd0_0bd0, "lustre"),
    (0x4750_4653, "gpfs"),
    (0x5346_414f, "afs"),
    (0x6b41_4653, "afs"),
    (0x00c3_6400, "ceph"),
    (0x0102_1997, "9p"),
    (0x7375_7245, "coda"),
    (0x564c, "ncp"),
    (0x1983_0326, "beegfs"),
    (0xaad7_aaea, "panfs"),
    (0x2003_0528, "orangefs"),
    (0x7461_636f, "ocfs2"),
    (0x0116_1970, "gfs2"),
];

/// Classify an `f_type`.
pub fn classify(f_type: u64) -> Locality {
    // f_type is a signed long in glibc: a magic with the top bit set (cifs)
    // arrives sign-extended.
    let t = f_type & 0xffff_ffff;
    if t == FUSE_MAGIC {
        return Locality::Fuse;
    }
    match NETWORK.iter().find(|(m, _)| *m == t) {
        Some((_, name)) => Locality::Network(name),
        None => Locality::Local,
    }
}

/// The locality of the filesystem holding `path`.
pub fn of_path(path: &std::ffi::CStr) -> Result<Locality, nix::errno::Errno> {
    crate::sys::statfs_type(path).map(classify)
}

/// The locality of the filesystem holding `fd` (an `O_PATH` fd will do):
/// through its `/proc/self/fd` link, which names exactly the inode the fd
/// holds (no path lookup that could be raced), as privdir's `fchmod` does.
pub fn of_fd(fd: std::os::fd::BorrowedFd<'_>) -> Result<Locality, nix::errno::Errno> {
    use std::os::fd::AsRawFd;
    let link = std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map_err(|_| nix::errno::Errno::EINVAL)?;
    of_path(&link)
}

impl fmt::Display for Locality {
    /// The rest of a sentence that starts with the path: `is on ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locality::Local => f.write_str("is on a local filesystem"),
            Locality::Network(name) => write!(
                f,
                "is on a network filesystem ({name}), not a local one: sockets and locks there are not reliable"
            ),
            Locality::Fuse => f.write_str(
                "is on a FUSE filesystem: perhaps remote, perhaps another user's, and it reports whatever owner and mode it likes",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_magic() {
        assert_eq!(classify(TMPFS_MAGIC), Locality::Local);
        assert_eq!(classify(0xef53), Locality::Local); // ext4
        assert_eq!(classify(0x6969), Locality::Network("nfs"));
        assert_eq!(classify(FUSE_MAGIC), Locality::Fuse);
        // cifs, sign-extended as glibc's signed f_type delivers it
        assert_eq!(classify(0xffff_ffff_ff53_4d42), Locality::Network("cifs"));
    }

    #[test]
    fn tmp_here_is_local() {
        let d = crate::testutil::scratch("localfs");
        let f = std::fs::File::open(&d).unwrap();
        use std::os::fd::AsFd;
        assert_eq!(of_fd(f.as_fd()), Ok(Locality::Local));
    }
}
