//! Reading a start-up file for `doctor`, safely.
//!
//! A `~/.bashrc` is whatever the user (or someone who could write their home)
//! made it: a FIFO (an open that blocks until a writer comes), `/dev/zero`
//! (endless), a 1 GiB sparse file, a symlink to `/etc/shadow`. doctor opens
//! with `O_NONBLOCK` (a FIFO opens at once), reads only a regular file, and at
//! most [`CAP`] bytes of it. Run as root with another user's `HOME`, it opens
//! with that user's file-system rights (`setfsuid`/`setfsgid`, and only that
//! user's group), so a symlink to a root-only file discloses nothing.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use nix::libc;
use nix::unistd::{Gid, Uid, getgroups, setfsgid, setfsuid, setgroups};

/// Bytes read from one start-up file; the rest of a larger file is not looked at.
pub const CAP: u64 = 1 << 20;

/// Whose rights a file is opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    pub uid: u32,
    pub gid: u32,
}

/// The rights to read files under `home` with: the home's owner when doctor
/// runs as root and the home is someone else's; `None` (our own) otherwise.
pub fn rights_for(home: &Path) -> Option<Rights> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    // lstat: a HOME that is a symlink counts as root's (root set HOME to it).
    let m = std::fs::symlink_metadata(home).ok()?;
    (m.uid() != 0).then_some(Rights {
        uid: m.uid(),
        gid: m.gid(),
    })
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Does not exist (or a dangling link): nothing to say.
    Missing,
    /// Exists but is not for reading: why, for the report.
    Refused(String),
}

/// Up to [`CAP`] bytes of `path` (and whether there was more), if it is a
/// regular file the rights allow reading.
pub fn read(path: &Path, rights: Option<Rights>) -> Result<(Vec<u8>, bool), Skip> {
    // A home on a hung network filesystem: not touched.
    crate::engine::hang::check_path(path).map_err(|na| Skip::Refused(na.to_string()))?;
    let file = match rights {
        Some(r) => as_user(r, || open(path)),
        None => open(path),
    };
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Skip::Missing),
        Err(e) => return Err(Skip::Refused(format!("cannot open: {e}"))),
    };
    let meta = file
        .metadata()
        .map_err(|e| Skip::Refused(format!("cannot stat: {e}")))?;
    if !meta.file_type().is_file() {
        let kind = crate::engine::privdir::Kind::of_mode(meta.mode());
        return Err(Skip::Refused(format!("is {kind}, not a regular file")));
    }
    let mut buf = Vec::new();
    file.take(CAP + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Skip::Refused(format!("cannot read: {e}")))?;
    let more = buf.len() as u64 > CAP;
    buf.truncate(CAP as usize);
    Ok((buf, more))
}

fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Run `f` with the file-system uid and gid of `r` and no other group.
/// fsuid/fsgid are per thread; the groups are restored after.
fn as_user<T>(r: Rights, f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    let groups = getgroups().unwrap_or_default();
    // Without dropping the groups, root's own (say `shadow` or `adm`) would
    // still open group-readable files the user cannot.
    if setgroups(&[Gid::from_raw(r.gid)]).is_err() {
        return Err(std::io::Error::from_raw_os_error(libc::EPERM));
    }
    let old_gid = setfsgid(Gid::from_raw(r.gid));
    let old_uid = setfsuid(Uid::from_raw(r.uid));
    let out = f();
    setfsuid(old_uid);
    setfsgid(old_gid);
    let _ = setgroups(&groups);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_device_and_big_files_are_not_read_whole() {
        let d = crate::testutil::scratch("rcread");
        let fifo = d.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert!(matches!(read(&fifo, None), Err(Skip::Refused(m)) if m.contains("FIFO")));
        assert!(matches!(
            read(Path::new("/dev/zero"), None),
            Err(Skip::Refused(m)) if m.contains("character device")
        ));
        let big = d.join("big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let (text, more) = read(&big, None).unwrap();
        assert_eq!((text.len() as u64, more), (CAP, true));
        assert_eq!(read(&d.join("none"), None), Err(Skip::Missing));
        std::fs::write(d.join("small"), "x\n").unwrap();
        assert_eq!(read(&d.join("small"), None), Ok((b"x\n".to_vec(), false)));
    }
}
