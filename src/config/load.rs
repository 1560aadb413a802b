//! Reading `/etc/tmpguard/tmpguard.toml`, trusted only as the site's.
//!
//! The file is opened once (`O_NOFOLLOW`, non-blocking) and judged on that fd
//! (`fstat`): a regular file owned by root, not writable by group or others.
//! Its directory and every one above are then checked by path (`lstat`:
//! owned by root, not writable by group or others, not a symlink). That order
//! has no window a user can use: a user can only have changed what the open
//! went through if some directory on the path was theirs or writable by them,
//! and no user can make such a directory root-owned and closed again before
//! the check; only root can. Anything less than that is ignored as a whole,
//! with one warning and one system-log line: never half-read.
//!
//! The path is fixed: neither an environment variable nor a flag can point
//! tmpguard at another file, so a user cannot swap in a configuration that
//! lifts the site's keys (`trust`, `enable`, `user_override = false`).
//! Tests use a private mount namespace with an overlay on `/etc`.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use nix::libc;

/// The site configuration file.
pub const PATH: &str = "/etc/tmpguard/tmpguard.toml";

/// Larger than any sensible configuration; larger files are refused unread.
const MAX_SIZE: u64 = 64 * 1024;

/// The uid a root-squashing NFS server shows for root's files.
const NOBODY: u32 = 65534;

/// Why the file was not trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distrust(pub String);

/// Read `path` if it exists and is trusted; `Ok(None)` when it does not exist.
pub fn read_trusted(path: &Path) -> Result<Option<String>, Distrust> {
    let file = match File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
            return Ok(None);
        }
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(Distrust(format!("{} is a symbolic link", path.display())));
        }
        Err(e) => {
            return Err(Distrust(format!(
                "cannot read {}: {e} (it must be readable by every user, mode 0644)",
                path.display()
            )));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| Distrust(format!("cannot examine {}: {e}", path.display())))?;
    if !meta.file_type().is_file() {
        return Err(Distrust(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    judge(path, meta.uid(), meta.mode())?;
    if meta.len() > MAX_SIZE {
        return Err(Distrust(format!(
            "{} is larger than {MAX_SIZE} bytes",
            path.display()
        )));
    }
    let text = read_all(file, meta.len())
        .map_err(|e| Distrust(format!("cannot read {}: {e}", path.display())))?;
    for dir in path.ancestors().skip(1) {
        let st = nix::sys::stat::lstat(dir)
            .map_err(|e| Distrust(format!("cannot examine {}: {e}", dir.display())))?;
        if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
            return Err(Distrust(format!(
                "{} is a symbolic link (tmpguard reads the configuration only through real directories)",
                dir.display()
            )));
        }
        judge(dir, st.st_uid, st.st_mode)?;
    }
    Ok(Some(text))
}

/// Owned by root and not writable by group or others.
fn judge(path: &Path, uid: u32, mode: u32) -> Result<(), Distrust> {
    if uid == NOBODY {
        return Err(Distrust(format!(
            "{} is owned by nobody (uid {NOBODY}), as root's files look on root-squashed NFS; \
             it must be owned by root: copy the configuration to a local disk",
            path.display()
        )));
    }
    if uid != 0 {
        return Err(Distrust(format!(
            "{} is owned by uid {uid}, not root",
            path.display()
        )));
    }
    if mode & 0o022 != 0 {
        let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
            (true, true) => "group and others",
            (true, false) => "group",
            _ => "others",
        };
        return Err(Distrust(format!(
            "{} is writable by {who} (mode {:04o})",
            path.display(),
            mode & 0o7777
        )));
    }
    Ok(())
}

/// The whole file in as few `read`s as its size allows (usually one).
fn read_all(mut file: File, size: u64) -> std::io::Result<String> {
    let mut buf = vec![0u8; size as usize + 1];
    let mut len = 0;
    // A file that is exactly `size` bytes needs no read to see its end.
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if len == size as usize {
            break;
        }
    }
    if len > size as usize {
        return Err(std::io::Error::other("it grew while being read"));
    }
    buf.truncate(len);
    String::from_utf8(buf).map_err(|_| std::io::Error::other("it is not UTF-8 text"))
}
