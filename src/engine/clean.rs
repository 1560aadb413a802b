//! Removing job directories safely: the walk `tmpguard clean` does as the
//! directory's owner.
//!
//! Every name is opened with `openat2` relative to the descriptor of its
//! parent, with `RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH`:
//! a symlink is never followed, and a mount point (bind mount, the user's
//! FUSE mount) is refused by the path walk itself, before anything is asked
//! of the mounted filesystem, so a stopped FUSE daemon cannot hang it. Only
//! descriptors of the same mount are ever `fstat`ed. At most [`WINDOW`]
//! directory descriptors are held whatever the depth: ancestors further up
//! are re-opened by name from the nearest one held, and must be the same
//! inode as when first seen. The walk stops at a deadline, saying what it left.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD, OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::{FchmodatFlags, Mode, SFlag, fchmodat, fstat};
use nix::unistd::{UnlinkatFlags, unlinkat};

use crate::engine::jobdir::{KEEP, MARKER, marker_id};

/// Directory descriptors held by one walk, whatever the depth.
pub const WINDOW: usize = 128;

/// Names reported individually among what a walk left behind.
const MAX_LEFT_SHOWN: usize = 5;

/// The largest marker read.
const MAX_MARKER: usize = 4096;

/// What one walk over a directory's contents did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Walked {
    /// Bytes in the regular files removed (or, counting, seen).
    pub bytes: u64,
    /// Entries removed.
    pub removed: u64,
    /// Entries left behind.
    pub left: u64,
    /// A few of them, with why (relative paths).
    pub left_shown: Vec<String>,
    /// The deadline passed: the walk stopped.
    pub timed_out: bool,
    /// Some directory could not be read (counts are a lower bound).
    pub partial: bool,
}

impl Walked {
    fn leave(&mut self, rel: &Path, why: &str) {
        self.left += 1;
        if self.left_shown.len() < MAX_LEFT_SHOWN {
            self.left_shown.push(format!("{} ({why})", show(rel)));
        }
    }

    /// "left 3 entries: a (mount point), ..." for a report line.
    pub fn left_text(&self) -> String {
        let more = self.left - self.left_shown.len() as u64;
        let mut s = format!(
            "left {} entr{}: {}",
            self.left,
            if self.left == 1 { "y" } else { "ies" },
            self.left_shown.join(", ")
        );
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
        s
    }
}

/// A path for a log line: control characters made visible.
pub fn show(p: &Path) -> String {
    crate::render::visible::bytes(p.as_os_str().as_bytes())
}

/// `openat2` of one name relative to `dir`: never a symlink, never across a mount.
pub fn open_beneath(dir: BorrowedFd<'_>, name: &OsStr, flags: OFlag) -> Result<OwnedFd, Errno> {
    if name.as_bytes().contains(&b'/') || name == ".." {
        return Err(Errno::EINVAL);
    }
    let how = OpenHow::new()
        .flags(flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC)
        .resolve(
            ResolveFlag::RESOLVE_NO_XDEV
                | ResolveFlag::RESOLVE_NO_SYMLINKS
                | ResolveFlag::RESOLVE_BENEATH,
        );
    openat2(dir, name, how)
}

/// A directory opened for listing, beneath `dir`.
fn open_dir(dir: BorrowedFd<'_>, name: &OsStr) -> Result<OwnedFd, Errno> {
    open_beneath(dir, name, OFlag::O_RDONLY | OFlag::O_DIRECTORY)
}

/// An `O_PATH` descriptor of any object beneath `dir`, and its stat.
pub fn lookup(
    dir: BorrowedFd<'_>,
    name: &OsStr,
) -> Result<(OwnedFd, nix::sys::stat::FileStat), Errno> {
    let fd = open_beneath(dir, name, OFlag::O_PATH)?;
    let st = fstat(fd.as_fd())?;
    Ok((fd, st))
}

fn is_dir(st: &nix::sys::stat::FileStat) -> bool {
    st.st_mode & SFlag::S_IFMT.bits() == SFlag::S_IFDIR.bits()
}

fn is_reg(st: &nix::sys::stat::FileStat) -> bool {
    st.st_mode & SFlag::S_IFMT.bits() == SFlag::S_IFREG.bits()
}

/// The names in the directory open as `dir` (not `.` or `..`).
fn list(dir: BorrowedFd<'_>) -> Result<Vec<OsString>, Errno> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let mut d = nix::dir::Dir::openat(dir, ".", flags, Mode::empty())?;
    let mut names = Vec::new();
    for e in d.iter() {
        let e = e?;
        let n = e.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(OsStr::from_bytes(n).to_owned());
        }
    }
    Ok(names)
}

/// `fchmod` for an `O_PATH` descriptor, through its `/proc/self/fd` link.
fn chmod_fd(fd: &OwnedFd, mode: u32) -> Result<(), Errno> {
    let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
    fchmodat(
        AT_FDCWD,
        link.as_str(),
        Mode::from_bits_truncate(mode),
        FchmodatFlags::FollowSymlink,
    )
}

/// One directory on the way down.
struct Frame {
    /// Its name in the parent frame (empty for the top).
    name: OsString,
    dev: u64,
    ino: u64,
    /// Held while within [`WINDOW`] of the bottom of the stack.
    fd: Option<OwnedFd>,
    /// Names still to handle.
    todo: Vec<OsString>,
}

/// Walk the contents of the directory open as `top` (opened beneath its
/// parent, so on the same mount), removing them when `remove`, or only
/// counting bytes. `skip` names entries of the top directory left alone
/// (the marker, removed last by the caller). Stops at `deadline`.
pub fn walk(top: OwnedFd, remove: bool, skip: &[&str], deadline: Instant, uid: u32) -> Walked {
    let mut w = Walked::default();
    let st = match fstat(top.as_fd()) {
        Ok(st) => st,
        Err(_) => {
            w.partial = true;
            return w;
        }
    };
    let todo = match list(top.as_fd()) {
        Ok(mut names) => {
            names.retain(|n| !skip.iter().any(|s| OsStr::new(s) == n));
            names
        }
        Err(_) => {
            w.partial = true;
            Vec::new()
        }
    };
    let mut stack = vec![Frame {
        name: OsString::new(),
        dev: st.st_dev,
        ino: st.st_ino,
        fd: Some(top),
        todo,
    }];
    let mut checks = 0u32;
    while let Some(frame) = stack.last_mut() {
        checks = checks.wrapping_add(1);
        if checks % 64 == 0 && Instant::now() >= deadline {
            w.timed_out = true;
            return w;
        }
        let Some(name) = frame.todo.pop() else {
            // This directory is done: remove it from its parent.
            let done = stack.pop().expect("not empty");
            drop(done.fd);
            if stack.is_empty() {
                break;
            }
            let rel = rel_path(&stack, &done.name);
            if !reopen(&mut stack, &mut w) {
                continue;
            }
            if remove {
                let parent = stack.last().and_then(|f| f.fd.as_ref()).expect("reopened");
                match unlinkat(
                    parent.as_fd(),
                    done.name.as_os_str(),
                    UnlinkatFlags::RemoveDir,
                ) {
                    Ok(()) => w.removed += 1,
                    Err(Errno::ENOENT) => {}
                    // What is left inside is already counted.
                    Err(Errno::ENOTEMPTY) => {}
                    Err(e) => w.leave(&rel, e.desc()),
                }
            }
            continue;
        };
        let rel = rel_path(&stack, &name);
        let dir = stack
            .last()
            .and_then(|f| f.fd.as_ref())
            .expect("bottom frame held");
        let (obj, st) = match lookup(dir.as_fd(), &name) {
            Ok(x) => x,
            Err(Errno::ENOENT) => continue,
            Err(Errno::EXDEV) => {
                w.leave(&rel, "a mount point: not entered");
                continue;
            }
            Err(e) => {
                w.leave(&rel, e.desc());
                continue;
            }
        };
        if !is_dir(&st) {
            let size = if is_reg(&st) { st.st_size as u64 } else { 0 };
            drop(obj);
            if !remove {
                w.bytes += size;
            } else {
                match unlinkat(dir.as_fd(), name.as_os_str(), UnlinkatFlags::NoRemoveDir) {
                    Ok(()) => {
                        w.removed += 1;
                        w.bytes += size;
                    }
                    Err(Errno::ENOENT) => {}
                    Err(e) => w.leave(&rel, e.desc()),
                }
            }
            continue;
        }
        let sub = match open_dir(dir.as_fd(), &name) {
            Ok(fd) => Ok(fd),
            // Mode 0000 (or no x/r): ours to fix, when removing.
            Err(Errno::EACCES) if remove && st.st_uid == uid => {
                chmod_fd(&obj, 0o700).and_then(|()| open_dir(dir.as_fd(), &name))
            }
            Err(e) => Err(e),
        };
        drop(obj);
        let sub = match sub {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => continue,
            Err(Errno::EXDEV) => {
                w.leave(&rel, "a mount point: not entered");
                continue;
            }
            Err(e) => {
                w.partial = true;
                w.leave(&rel, e.desc());
                continue;
            }
        };
        // The same inode as looked up (not swapped in between)?
        let sst = match fstat(sub.as_fd()) {
            Ok(s) if s.st_dev == st.st_dev && s.st_ino == st.st_ino => s,
            _ => {
                w.leave(&rel, "replaced during the walk");
                continue;
            }
        };
        let todo = match list(sub.as_fd()) {
            Ok(t) => t,
            Err(e) => {
                w.partial = true;
                w.leave(&rel, e.desc());
                continue;
            }
        };
        stack.push(Frame {
            name,
            dev: sst.st_dev,
            ino: sst.st_ino,
            fd: Some(sub),
            todo,
        });
        // Keep the top and the nearest WINDOW-1 directories open.
        let held = stack.iter().filter(|f| f.fd.is_some()).count();
        if held > WINDOW {
            if let Some(f) = stack.iter_mut().skip(1).find(|f| f.fd.is_some()) {
                f.fd = None;
            }
        }
    }
    w
}

/// The path of `name` in the bottom frame, relative to the top.
fn rel_path(stack: &[Frame], name: &OsStr) -> PathBuf {
    let mut p: PathBuf = stack.iter().skip(1).map(|f| f.name.as_os_str()).collect();
    p.push(name);
    p
}

/// Make sure the bottom frame has a descriptor: re-open from the nearest
/// frame that has one, each step checked against the inode first seen, and
/// hold the last WINDOW - 1 on the way. A frame that moved is given up
/// (with everything below it, already done) and reported.
fn reopen(stack: &mut Vec<Frame>, w: &mut Walked) -> bool {
    let bottom = stack.len() - 1;
    if stack[bottom].fd.is_some() {
        return true;
    }
    let from = (0..bottom)
        .rev()
        .find(|&i| stack[i].fd.is_some())
        .expect("the top frame is always held");
    let keep_from = bottom.saturating_sub(WINDOW - 1);
    let mut cur: Option<OwnedFd> = None;
    for i in from + 1..=bottom {
        let parent = match &cur {
            Some(fd) => fd.as_fd(),
            None => stack[i - 1].fd.as_ref().expect("held").as_fd(),
        };
        let opened = open_dir(parent, &stack[i].name).and_then(|fd| {
            let st = fstat(fd.as_fd())?;
            if st.st_dev == stack[i].dev && st.st_ino == stack[i].ino {
                Ok(fd)
            } else {
                Err(Errno::ESTALE)
            }
        });
        match opened {
            Ok(fd) => {
                if let Some(prev) = cur.take() {
                    if i > keep_from && stack[i - 1].fd.is_none() {
                        stack[i - 1].fd = Some(prev);
                    }
                }
                cur = Some(fd);
            }
            Err(_) => {
                let rel = rel_path(&stack[..i], &stack[i].name);
                w.leave(&rel, "moved during the walk");
                stack.truncate(i);
                // The frame above is held or re-opened in turn; this one is gone.
                reopen(stack, w);
                return false;
            }
        }
    }
    stack[bottom].fd = cur;
    true
}

/// A job directory found in a base: `<base>/<user dir>/<job dir>`.
pub struct JobDir {
    /// The user directory (`O_PATH`) and the job directory's name in it.
    pub parent: OwnedFd,
    pub name: OsString,
    pub path: PathBuf,
    /// `O_PATH` descriptor of the job directory.
    pub fd: OwnedFd,
    /// The id in its marker.
    pub id: Vec<u8>,
    /// The scheduler in its marker.
    pub scheduler: Vec<u8>,
    /// The newest modification time of the marker and the directory.
    pub mtime: i64,
}

/// Every job directory of `uid` in `base`: directories of `uid` directly in
/// it (the target and its fallbacks) that hold directories of `uid` with a
/// tmpguard marker. Nothing is followed or crossed; nothing is changed.
pub fn find_in_base(base: BorrowedFd<'_>, base_path: &Path, uid: u32, out: &mut Vec<JobDir>) {
    let Ok(names) = list(base) else { return };
    for n in names {
        let Ok((ufd, st)) = lookup(base, &n) else {
            continue;
        };
        if !is_dir(&st) || st.st_uid != uid {
            continue;
        }
        let upath = base_path.join(&n);
        let Ok(rd) = open_dir(base, &n) else { continue };
        let Ok(subs) = list(rd.as_fd()) else { continue };
        drop(rd);
        for s in subs {
            let Ok((jfd, jst)) = lookup(ufd.as_fd(), &s) else {
                continue;
            };
            if !is_dir(&jst) || jst.st_uid != uid {
                continue;
            }
            if let Some((scheduler, id, mtime)) = read_marker(jfd.as_fd(), uid) {
                // The very directory whose owner was checked.
                let Ok(parent) = ufd.try_clone() else {
                    continue;
                };
                out.push(JobDir {
                    parent,
                    path: upath.join(&s),
                    name: s,
                    fd: jfd,
                    id,
                    scheduler,
                    mtime: mtime.max(jst.st_mtime),
                });
            }
        }
    }
}

/// (scheduler, id, mtime) from the marker in the directory `dir`, when it
/// is a small regular file of `uid`.
fn read_marker(dir: BorrowedFd<'_>, uid: u32) -> Option<(Vec<u8>, Vec<u8>, i64)> {
    let fd = open_beneath(dir, OsStr::new(MARKER), OFlag::O_RDONLY | OFlag::O_NONBLOCK).ok()?;
    let st = fstat(fd.as_fd()).ok()?;
    if !is_reg(&st) || st.st_uid != uid || st.st_size as usize > MAX_MARKER {
        return None;
    }
    let mut buf = vec![0u8; MAX_MARKER];
    let n = nix::unistd::read(fd.as_fd(), &mut buf).ok()?;
    let text = &buf[..n];
    let id = marker_id(text)?.to_vec();
    let scheduler = text
        .split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"scheduler="))
        .unwrap_or_default()
        .to_vec();
    Some((scheduler, id, st.st_mtime))
}

/// The newest modification time of the job directory and its `.keep`, if it has one.
pub fn kept_since(job: &JobDir) -> Option<i64> {
    let (_, keep) = lookup(job.fd.as_fd(), OsStr::new(KEEP)).ok()?;
    let dir = fstat(job.fd.as_fd()).ok()?;
    Some(keep.st_mtime.max(dir.st_mtime))
}

/// What happened to one job directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Removed,
    /// Removal was attempted and something is left.
    Left(String),
}

/// Remove a job directory (contents, then the marker, then itself), as its owner.
pub fn remove_job(job: &JobDir, deadline: Instant, uid: u32) -> (Outcome, u64) {
    let dir = match open_dir(job.parent.as_fd(), &job.name) {
        Ok(fd) => fd,
        Err(e) => return (Outcome::Left(format!("cannot open it: {}", e.desc())), 0),
    };
    // Still the directory whose marker was read?
    match (fstat(dir.as_fd()), fstat(job.fd.as_fd())) {
        (Ok(a), Ok(b)) if a.st_dev == b.st_dev && a.st_ino == b.st_ino => {}
        _ => return (Outcome::Left("replaced since it was found".into()), 0),
    }
    // Something put back while the walk ran (a process of the job still
    // alive) makes the last step fail: walk again, a few times.
    let mut bytes = 0;
    let mut dir = Some(dir);
    for _ in 0..PASSES {
        let fd = match dir.take() {
            Some(fd) => fd,
            None => match open_dir(job.fd.as_fd(), OsStr::new(".")) {
                Ok(fd) => fd,
                Err(e) => {
                    return (
                        Outcome::Left(format!("cannot open it: {}", e.desc())),
                        bytes,
                    );
                }
            },
        };
        let w = walk(fd, true, &[MARKER], deadline, uid);
        bytes += w.bytes;
        if w.timed_out {
            let msg = format!(
                "gave up at the time limit after removing {} entries; the rest is left",
                w.removed
            );
            return (Outcome::Left(msg), bytes);
        }
        if w.left > 0 {
            return (Outcome::Left(w.left_text()), bytes);
        }
        let _ = unlinkat(job.fd.as_fd(), MARKER, UnlinkatFlags::NoRemoveDir);
        match unlinkat(
            job.parent.as_fd(),
            job.name.as_os_str(),
            UnlinkatFlags::RemoveDir,
        ) {
            Ok(()) => return (Outcome::Removed, bytes),
            Err(Errno::ENOTEMPTY) => {
                // Marked again, so that a later `clean --stale` still knows it.
                let _ = remark(job);
            }
            Err(e) => {
                return (
                    Outcome::Left(format!("cannot remove it: {}", e.desc())),
                    bytes,
                );
            }
        }
    }
    (
        Outcome::Left(format!(
            "still not empty after {PASSES} passes: something keeps writing into it"
        )),
        bytes,
    )
}

/// Walks over one job directory before giving up on one that refills.
const PASSES: usize = 3;

/// Write the marker of `job` back into its directory.
fn remark(job: &JobDir) -> Result<(), Errno> {
    let how = OpenHow::new()
        .flags(
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        )
        .mode(Mode::from_bits_truncate(0o400))
        .resolve(
            ResolveFlag::RESOLVE_NO_XDEV
                | ResolveFlag::RESOLVE_NO_SYMLINKS
                | ResolveFlag::RESOLVE_BENEATH,
        );
    let fd = openat2(job.fd.as_fd(), MARKER, how)?;
    let mut text = b"tmpguard job 1\nscheduler=".to_vec();
    text.extend_from_slice(&job.scheduler);
    text.extend_from_slice(b"\nid=");
    text.extend_from_slice(&job.id);
    text.push(b'\n');
    nix::unistd::write(&fd, &text).map(drop)
}

/// Bytes in a job directory, without changing anything.
pub fn count_job(job: &JobDir, deadline: Instant, uid: u32) -> Walked {
    match open_dir(job.parent.as_fd(), &job.name) {
        Ok(fd) => walk(fd, false, &[MARKER], deadline, uid),
        Err(_) => Walked {
            partial: true,
            ..Walked::default()
        },
    }
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
    use std::time::Duration;

    use crate::testutil::{scratch, uid};

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(120)
    }

    fn open(p: &Path) -> OwnedFd {
        nix::fcntl::open(p, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty()).unwrap()
    }

    /// Every path under `root` with inode, mode and contents (for before/after).
    fn listing(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut todo = vec![root.to_owned()];
        while let Some(p) = todo.pop() {
            let m = std::fs::symlink_metadata(&p).unwrap();
            let content = if m.is_file() {
                std::fs::read(&p)
                    .map(|c| c.len().to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            out.push(format!(
                "{} {} {:o} {}",
                p.display(),
                m.ino(),
                m.mode(),
                content
            ));
            if m.is_dir() {
                for e in std::fs::read_dir(&p).unwrap() {
                    todo.push(e.unwrap().path());
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn removes_a_hostile_tree_and_nothing_outside() {
        let s = scratch("clean");
        let outside = s.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("precious"), "keep me").unwrap();
        let job = s.join("job");
        std::fs::create_dir_all(job.join("a/b/c")).unwrap();
        std::fs::write(job.join("a/b/c/f"), "12345").unwrap();
        symlink(&outside, job.join("link-dir")).unwrap();
        symlink(outside.join("precious"), job.join("a/link-file")).unwrap();
        symlink("/etc", job.join("etc")).unwrap();
        nix::unistd::mkfifo(&job.join("fifo"), Mode::from_bits_truncate(0o600)).unwrap();
        std::fs::create_dir(job.join("locked")).unwrap();
        std::fs::write(job.join("locked/x"), "xy").unwrap();
        std::fs::set_permissions(job.join("locked"), std::fs::Permissions::from_mode(0o000))
            .unwrap();
        std::fs::write(job.join("zero"), "abc").unwrap();
        std::fs::set_permissions(job.join("zero"), std::fs::Permissions::from_mode(0o000)).unwrap();
        let before = listing(&outside);
        let w = walk(open(&job), true, &[], far(), uid());
        assert_eq!(w.left, 0, "{w:?}");
        assert_eq!(w.bytes, 5 + 2 + 3);
        assert_eq!(std::fs::read_dir(&job).unwrap().count(), 0);
        assert_eq!(listing(&outside), before);
        std::fs::remove_dir_all(s).unwrap();
    }

    #[test]
    fn deep_tree_with_few_descriptors() {
        let s = scratch("clean-deep");
        let job = s.join("job");
        std::fs::create_dir(&job).unwrap();
        // 3,000 levels: deeper than PATH_MAX allows by path, built by fds.
        let mut fd = open(&job);
        for _ in 0..3000 {
            nix::sys::stat::mkdirat(fd.as_fd(), "d", Mode::from_bits_truncate(0o700)).unwrap();
            fd = nix::fcntl::openat(
                fd.as_fd(),
                "d",
                OFlag::O_RDONLY | OFlag::O_DIRECTORY,
                Mode::empty(),
            )
            .unwrap();
        }
        nix::fcntl::openat(
            fd.as_fd(),
            "f",
            OFlag::O_CREAT | OFlag::O_WRONLY,
            Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        drop(fd);
        let before = std::fs::read_dir("/proc/self/fd").unwrap().count();
        let w = walk(open(&job), true, &[], far(), uid());
        assert_eq!((w.left, w.removed), (0, 3001), "{w:?}");
        assert_eq!(std::fs::read_dir(&job).unwrap().count(), 0);
        assert!(std::fs::read_dir("/proc/self/fd").unwrap().count() <= before);
        std::fs::remove_dir_all(s).unwrap();
    }

    #[test]
    fn a_past_deadline_gives_up_and_says_so() {
        let s = scratch("clean-late");
        let job = s.join("job");
        std::fs::create_dir(&job).unwrap();
        for i in 0..200 {
            std::fs::write(job.join(i.to_string()), "").unwrap();
        }
        let w = walk(open(&job), true, &[], Instant::now(), uid());
        assert!(w.timed_out);
        assert!(std::fs::read_dir(&job).unwrap().count() > 0);
        std::fs::remove_dir_all(s).unwrap();
    }

    #[test]
    fn finds_by_marker_and_owner_only() {
        let s = scratch("clean-find");
        let me = s.join("me");
        std::fs::create_dir_all(me.join("job.1")).unwrap();
        std::fs::write(
            me.join("job.1").join(MARKER),
            "tmpguard job 1\nscheduler=slurm\nid=1\n",
        )
        .unwrap();
        // Same name, no marker: not a job directory.
        std::fs::create_dir_all(s.join("me2/job.1")).unwrap();
        // A marker behind a symlinked user directory: not followed.
        symlink(&me, s.join("link")).unwrap();
        let base = open(&s);
        let mut found = Vec::new();
        find_in_base(base.as_fd(), &s, uid(), &mut found);
        let paths: Vec<_> = found.iter().map(|j| j.path.clone()).collect();
        assert_eq!(paths, [me.join("job.1")]);
        assert_eq!(found[0].id, b"1");
        let (o, _) = remove_job(&found[0], far(), uid());
        assert_eq!(o, Outcome::Removed);
        assert!(!me.join("job.1").exists());
        std::fs::remove_dir_all(s).unwrap();
    }
}
