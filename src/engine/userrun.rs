//! The site option for `XDG_RUNTIME_DIR` (root only): Slurm's root Prolog
//! makes the real `/run/user/$UID` for a job's user, as `pam_systemd` would
//! (a tmpfs mounted there, mode 0700, the user's, with a size limit, so a
//! user cannot fill `/run`), and the Epilog removes it after the user's last
//! job on the node. Then every program finds it, GnuPG included (which
//! ignores `XDG_RUNTIME_DIR` and looks only at `/run/user/$UID`), and
//! `init` in the job exports it.
//!
//! Which jobs hold it: one marker file per job in `/run/tmpguard/runtime/<uid>/`
//! (root's, 0700), and `.made` there when tmpguard made the mount, so that a
//! directory logind made is never removed. Prolog and Epilog of the same user
//! take an exclusive `flock` on that directory, so concurrent jobs agree.

use std::ffi::{CString, OsStr};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{Mode, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};

use crate::engine::runtime;

/// Where the job markers live.
pub const STATE: &str = "/run/tmpguard/runtime";
/// The marker of a mount tmpguard made (a job's name is never this).
const MADE: &str = ".made";

/// What a Prolog or Epilog did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Mounted a new `/run/user/<uid>`.
    Made(PathBuf),
    /// It is there already and valid (logind's, or another job's).
    Kept(PathBuf),
    /// Unmounted and removed after the user's last job.
    Removed(PathBuf),
    /// Left in place, and why.
    Left(PathBuf, &'static str),
}

/// Whether the Epilog removes the directory: pure.
pub fn removes(other_jobs: usize, made_by_us: bool, logged_in: bool) -> Result<(), &'static str> {
    match (other_jobs, made_by_us, logged_in) {
        (1.., _, _) => Err("other jobs of the user still run on this node"),
        (0, false, _) => Err("tmpguard did not make it (logind did, or it was there)"),
        (0, true, true) => Err("the user has a login session here (logind removes it at logout)"),
        (0, true, false) => Ok(()),
    }
}

/// A job id is a file name: digits, `_` and `.` (array and het jobs) only.
pub fn valid_job(job: &str) -> bool {
    !job.is_empty()
        && job.len() <= 64
        && job != MADE
        && job
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !job.starts_with('.')
}

fn err(what: &str, path: &Path, e: Errno) -> String {
    format!(
        "cannot {what} {}: {}",
        path.display(),
        crate::engine::errno::text(e)
    )
}

fn open_dir(at: Option<&OwnedFd>, name: &Path) -> Result<OwnedFd, Errno> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    match at {
        Some(fd) => openat(fd.as_fd(), name, flags, Mode::empty()),
        None => openat(nix::fcntl::AT_FDCWD, name, flags, Mode::empty()),
    }
}

/// `mkdir -p` of a root-only directory chain, each opened without following
/// a symlink and checked to be root's and not writable by others.
fn root_dir(path: &Path, last_mode: u32) -> Result<OwnedFd, String> {
    let mut fd = open_dir(None, Path::new("/")).map_err(|e| err("open", Path::new("/"), e))?;
    let mut at = PathBuf::from("/");
    let parts: Vec<_> = path.components().skip(1).collect();
    for (i, c) in parts.iter().enumerate() {
        let name = Path::new(c.as_os_str());
        at.push(name);
        let mode = if i + 1 == parts.len() {
            last_mode
        } else {
            0o755
        };
        match mkdirat(fd.as_fd(), name, Mode::from_bits_truncate(mode)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(err("create", &at, e)),
        }
        let next = open_dir(Some(&fd), name).map_err(|e| err("open", &at, e))?;
        let st = nix::sys::stat::fstat(next.as_fd()).map_err(|e| err("stat", &at, e))?;
        if st.st_uid != 0 || st.st_mode & 0o022 != 0 {
            return Err(format!(
                "{} is not root's, or others can write it (mode {:04o}): refusing",
                at.display(),
                st.st_mode & 0o7777
            ));
        }
        fd = next;
    }
    Ok(fd)
}

/// The state directory of `uid`, locked.
fn lock(uid: u32) -> Result<OwnedFd, String> {
    root_dir(Path::new(STATE), 0o700)?;
    let dir = root_dir(&Path::new(STATE).join(uid.to_string()), 0o700)?;
    crate::sys::flock_exclusive(dir.as_fd()).map_err(|e| {
        format!(
            "cannot lock {STATE}/{uid}: {}",
            crate::engine::errno::text(e)
        )
    })?;
    Ok(dir)
}

fn exists_at(fd: &impl AsFd, name: &str) -> bool {
    fstatat(fd.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW).is_ok()
}

/// The Prolog: record the job, and make `/run/user/<uid>` when it is not
/// there (a tmpfs of `size`, e.g. `10%`, as logind's `RuntimeDirectorySize`).
/// Something else at the name (only root could have put it there) is left alone.
pub fn create(uid: u32, gid: u32, job: &str, size: &str) -> Result<Outcome, String> {
    if uid == 0 {
        return Err("not for root's jobs".into());
    }
    if !valid_job(job) {
        return Err(format!("{job:?} is not a job id"));
    }
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'%') {
        return Err(format!("{size:?} is not a tmpfs size"));
    }
    let state = lock(uid)?;
    let path = runtime::logind_dir(uid);
    let parent = root_dir(Path::new(runtime::LOGIND_PARENT), 0o755)?;
    let name = uid.to_string();
    // The job's marker first: an Epilog that runs after a failed Prolog finds it.
    let marker = openat(
        state.as_fd(),
        job,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    )
    .map_err(|e| {
        err(
            "create",
            &Path::new(STATE).join(uid.to_string()).join(job),
            e,
        )
    })?;
    drop(marker);
    if exists_at(&parent, &name) {
        return match runtime::check(&crate::engine::effects::RealFs, path.as_os_str(), uid) {
            Ok(_) => Ok(Outcome::Kept(path)),
            Err(why) => Err(format!("{} {why}: left as it is", path.display())),
        };
    }
    match mkdirat(
        parent.as_fd(),
        name.as_str(),
        Mode::from_bits_truncate(0o700),
    ) {
        Ok(()) => {}
        Err(e) => return Err(err("create", &path, e)),
    }
    let opts = CString::new(format!("mode=0700,uid={uid},gid={gid},size={size}"))
        .map_err(|_| "bad size".to_string())?;
    let target = CString::new(path.as_os_str().as_bytes()).map_err(|_| "bad path".to_string())?;
    // By path: /run/user is root's and others cannot write it (checked).
    if let Err(e) = crate::sys::mount(
        c"tmpfs",
        &target,
        c"tmpfs",
        nix::libc::MS_NOSUID | nix::libc::MS_NODEV,
        &opts,
    ) {
        let _ = unlinkat(parent.as_fd(), name.as_str(), UnlinkatFlags::RemoveDir);
        return Err(err("mount a tmpfs on", &path, e));
    }
    let made = openat(
        state.as_fd(),
        MADE,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    );
    drop(made);
    Ok(Outcome::Made(path))
}

/// The Epilog: forget the job; after the user's last job, unmount and
/// remove what the Prolog made (never logind's, never while the user is
/// logged in).
pub fn remove(uid: u32, job: &str) -> Result<Outcome, String> {
    if uid == 0 {
        return Err("not for root's jobs".into());
    }
    if !valid_job(job) {
        return Err(format!("{job:?} is not a job id"));
    }
    let state = lock(uid)?;
    let path = runtime::logind_dir(uid);
    match unlinkat(state.as_fd(), job, UnlinkatFlags::NoRemoveDir) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(err("remove the marker of job", Path::new(job), e)),
    }
    let listing = nix::dir::Dir::openat(
        state.as_fd(),
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| err("list", Path::new(STATE), e))?;
    let mut listing = listing;
    let others = listing
        .iter()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_bytes();
            n != b"." && n != b".." && n != MADE.as_bytes()
        })
        .count();
    let made = exists_at(&state, MADE);
    let logged_in = Path::new("/run/systemd/users")
        .join(uid.to_string())
        .exists();
    if let Err(why) = removes(others, made, logged_in) {
        return Ok(Outcome::Left(path, why));
    }
    let target = CString::new(path.as_os_str().as_bytes()).map_err(|_| "bad path".to_string())?;
    match crate::sys::umount2(&target, nix::libc::MNT_DETACH | nix::libc::UMOUNT_NOFOLLOW) {
        Ok(()) | Err(Errno::EINVAL) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(err("unmount", &path, e)),
    }
    let parent = root_dir(Path::new(runtime::LOGIND_PARENT), 0o755)?;
    // The empty mount point (root's, made by the Prolog).
    match unlinkat(
        parent.as_fd(),
        OsStr::new(&uid.to_string()),
        UnlinkatFlags::RemoveDir,
    ) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(err("remove", &path, e)),
    }
    let _ = unlinkat(state.as_fd(), MADE, UnlinkatFlags::NoRemoveDir);
    Ok(Outcome::Removed(path))
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Made(p) => write!(f, "made {} (a tmpfs, mode 0700)", p.display()),
            Outcome::Kept(p) => write!(f, "{} is there and valid", p.display()),
            Outcome::Removed(p) => write!(f, "removed {} after the user's last job", p.display()),
            Outcome::Left(p, why) => write!(f, "left {}: {why}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_after_the_last_job_what_it_made_with_nobody_logged_in() {
        assert_eq!(removes(0, true, false), Ok(()));
        assert!(removes(1, true, false).is_err());
        assert!(removes(0, false, false).is_err());
        assert!(removes(0, true, true).is_err());
    }

    #[test]
    fn job_ids_are_plain_names() {
        for ok in ["123", "123_4", "77.0", "12_3.1"] {
            assert!(valid_job(ok), "{ok}");
        }
        for bad in ["", ".made", "..", "1/2", "../x", "a b", ".5"] {
            assert!(!valid_job(bad), "{bad}");
        }
    }
}
