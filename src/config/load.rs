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

use std::borrow::Cow;
use std::fs::File;
use std::mem::MaybeUninit;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::fcntl::{AT_FDCWD, OFlag, openat};
use nix::libc;
use nix::sys::stat::Mode;

use crate::sys::statx;

/// The site configuration file.
pub const PATH: &str = "/etc/tmpguard/tmpguard.toml";

/// Larger than any sensible configuration; larger files are refused unread.
const MAX_SIZE: u64 = 64 * 1024;

/// The uid a root-squashing NFS server shows for root's files.
const NOBODY: u32 = 65534;

/// Why the file was not trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distrust(pub String);

/// The directories above the file, relative to `/`, innermost first, then
/// `/` itself: each must be root's and closed.
const DIRS: [(&std::ffi::CStr, &str); 2] = [(c"etc/tmpguard", "/etc/tmpguard"), (c"etc", "/etc")];

/// Files up to this size are read into the caller's stack buffer: no heap
/// allocation (a large one makes glibc's malloc consolidate, ~9,000
/// instructions at every shell start).
pub const STACK_BUF: usize = 4096;

/// The caller's buffer for the file: uninitialised, so it costs nothing
/// when there is no file.
pub type Buf = [MaybeUninit<u8>; STACK_BUF];

/// A fresh [`Buf`].
pub const fn buf() -> Buf {
    [const { MaybeUninit::uninit() }; STACK_BUF]
}

/// Read [`PATH`] if it exists and is trusted; `Ok(None)` when it does not
/// exist. Small files land in `buf`.
pub fn read_trusted(buf: &mut Buf) -> Result<Option<Cow<'_, str>>, Distrust> {
    let path = Path::new(PATH);
    // `openat`, not `open`: musl's `open` follows an `O_CLOEXEC` open with
    // an `fcntl` (for kernels before 2.6.23), one more system call per start.
    let flags = OFlag::O_RDONLY
        | OFlag::O_NOFOLLOW
        | OFlag::O_NONBLOCK
        | OFlag::O_NOCTTY
        | OFlag::O_CLOEXEC;
    let file = match openat(AT_FDCWD, path, flags, Mode::empty()).map_err(std::io::Error::from) {
        Ok(fd) => File::from(fd),
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
    let text = read_all(&file, meta.len(), buf)
        .map_err(|e| Distrust(format!("cannot read {}: {e}", path.display())))?;
    // Not closed: a `close` at every shell start for nothing. The descriptor
    // is read-only on a root-owned file and `O_CLOEXEC`; the process ends
    // (or execs) moments later, which closes it.
    std::mem::forget(file);
    // `/` is opened and stat'ed once for this check and the engine's walk
    // (which then reuses that descriptor and stat); the directories below
    // it are stat'ed through it, never following a symlink at the name.
    crate::engine::effects::with_root(|root, root_st| {
        for (rel, shown) in DIRS {
            let st = statx::statx(root, rel, false)
                .map_err(|e| Distrust(format!("cannot examine {shown}: {e}")))?;
            judge_dir(Path::new(shown), st.uid, st.mode)?;
        }
        judge_dir(Path::new("/"), root_st.uid, root_st.mode)
    })
    .map_err(|e| Distrust(format!("cannot examine /: {e}")))??;
    Ok(Some(text))
}

/// A directory above the file: no symlink, root's, closed.
fn judge_dir(dir: &Path, uid: u32, mode: u32) -> Result<(), Distrust> {
    if mode & libc::S_IFMT == libc::S_IFLNK {
        return Err(Distrust(format!(
            "{} is a symbolic link (tmpguard reads the configuration only through real directories)",
            dir.display()
        )));
    }
    judge(dir, uid, mode)
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

/// The whole file in as few `read`s as its size allows (usually one: a file
/// that is exactly `size` bytes needs no read to see its end), in `stack`
/// when it fits.
fn read_all<'b>(file: &File, size: u64, stack: &'b mut Buf) -> std::io::Result<Cow<'b, str>> {
    use std::os::fd::AsFd;
    let size = size as usize;
    fn text(got: &[u8], size: usize) -> std::io::Result<&str> {
        if got.len() > size {
            return Err(std::io::Error::other("it grew while being read"));
        }
        std::str::from_utf8(got).map_err(|_| std::io::Error::other("it is not UTF-8 text"))
    }
    if size < STACK_BUF {
        let got = crate::sys::read_full(file.as_fd(), &mut stack[..size + 1], size)?;
        text(got, size).map(Cow::Borrowed)
    } else {
        let mut heap = vec![MaybeUninit::new(0); size + 1];
        let got = crate::sys::read_full(file.as_fd(), &mut heap, size)?;
        text(got, size).map(|t| Cow::Owned(t.to_owned()))
    }
}
