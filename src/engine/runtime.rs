//! `XDG_RUNTIME_DIR`: the second kind of private directory, made and verified
//! by the same engine as `TMPDIR` (privdir, fallback, the probe), with the
//! XDG Base Directory specification's stricter rules: owned by the user, mode
//! exactly 0700, on a local filesystem, and no symlink at its name.
//!
//! Where a valid one comes from, in order (see the README, "XDG_RUNTIME_DIR"):
//! the inherited value when valid (a `pam_systemd` login: never replaced);
//! logind's `/run/user/$UID` when valid (cron, `sudo -iu`, ssh without
//! `pam_systemd`); else `/tmp/xdg-runtime-$UID`, made private like
//! `/tmp/$USER` (someone else's object there: a private fallback, logged).
//! When none can be had and the inherited value is not valid, it is unset:
//! every program has its own fallback for an unset `XDG_RUNTIME_DIR`.

use std::ffi::{CStr, OsStr};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::AT_FDCWD;

use crate::sys::statx::{self, Statx};

use crate::engine::effects::{Fs, RealFs};
use crate::engine::ensure::{self, Fallback};
use crate::engine::fsinfo::SOCKET_PATH_MAX;
use crate::engine::localfs::{self, Locality};
use crate::engine::privdir::{self, Problem, Unsafe};

/// The variable.
pub const VAR: &str = "XDG_RUNTIME_DIR";
/// Where logind (`pam_systemd`) makes a user's runtime directory.
pub const LOGIND_PARENT: &str = "/run/user";
/// Where tmpguard makes one when logind has not: local on every machine we
/// know, outside `/dev/shm` (logind's `RemoveIPC` empties it).
pub const BASE: &str = ensure::RUNTIME.default_base;

/// logind's directory for `uid`: `/run/user/<uid>`.
pub fn logind_dir(uid: u32) -> PathBuf {
    Path::new(LOGIND_PARENT).join(uid.to_string())
}

/// The name tmpguard gives the directory it makes in [`BASE`]: keyed on the
/// uid (no passwd lookup, no trust in `$USER`) and short, for socket paths.
pub fn name(uid: u32) -> String {
    format!("xdg-runtime-{uid}")
}

/// Why a runtime directory is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not an absolute path (the specification: ignore it).
    Relative,
    /// Nothing there.
    Missing,
    /// Ours, but not mode 0700.
    Mode(u32),
    /// Not on a local filesystem (or on FUSE).
    NotLocal(Locality),
    /// So long that the sockets programs make in it would not fit a socket
    /// path (its length in bytes).
    TooLong(usize),
    /// Someone else's, a symlink, not a directory, ...
    Unsafe(Unsafe),
    /// Something on the way failed.
    Error(privdir::Error),
}

impl Invalid {
    /// Someone other than root or the user could control it (as opposed to
    /// merely missing, loose, or not local): never to be restored.
    pub fn is_unsafe(&self) -> bool {
        match self {
            Invalid::Unsafe(_) => true,
            Invalid::Error(e) => matches!(e.problem, Problem::Unsafe(_)),
            _ => false,
        }
    }
}

impl fmt::Display for Invalid {
    /// The rest of a sentence that starts with `XDG_RUNTIME_DIR=<value>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Relative => f.write_str("is not an absolute path"),
            Invalid::Missing => f.write_str("does not exist"),
            Invalid::Mode(m) => write!(f, "has mode {m:04o}, not 0700"),
            Invalid::NotLocal(l) => l.fmt(f),
            Invalid::TooLong(n) => write!(
                f,
                "is {n} bytes long: sockets in it (gpg-agent's gnupg/S.gpg-agent.browser, podman's podman/podman.sock) would not fit a socket path's {SOCKET_PATH_MAX} bytes"
            ),
            Invalid::Unsafe(u) => u.fmt(f),
            Invalid::Error(e) => write!(f, "cannot be checked ({e})"),
        }
    }
}

/// What the cheap check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quick {
    /// Valid: the full [`check`] would accept it.
    Valid,
    /// Reached through plain directories only, and not valid (missing, not a
    /// directory, not the user's, not 0700, not local): the full [`check`]
    /// would refuse it too, only with a reason.
    Invalid,
    /// Something on the way the cheap check does not judge (a symlink, a
    /// directory others can write, an error): look closer.
    Unsure,
}

/// The cheap check, for the common case: a directory reached through plain
/// directories only, like logind's `/run/user/$UID`. One `lstat` (a `statx`
/// that never waits for a FUSE daemon) per directory on the way and of the
/// directory, one `statfs`: 5 system calls for `/run/user/$UID`, no NSS, no
/// mountinfo, no fd.
///
/// By path, yet race-free: each directory on the way (from `/` down) is root's
/// or the user's and nobody else can write it (or it is sticky and the next
/// one is root's or the user's), so nobody else can rename or replace
/// anything below it between these calls; the last one is the user's and not
/// a symlink. Its `f_type` is not FUSE, so no user mounted it (see `localfs`).
/// For the same reason a negative answer reached that way is final: the full
/// check opens the same directories and finds the same object.
pub fn quick(value: &[u8], uid: u32) -> Quick {
    if !plain(value) {
        return Quick::Unsure;
    }
    let ok_on_the_way = |st: &Statx| {
        is_dir(st.mode)
            && (st.uid == 0 || st.uid == uid)
            && (st.mode & 0o022 == 0 || st.mode & 0o1000 != 0)
    };
    // Every proper prefix, `/` first: "/", "/run", "/run/user".
    let ends = std::iter::once(1).chain(
        value
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, b)| **b == b'/')
            .map(|(i, _)| i),
    );
    // One buffer, each prefix cut off with a NUL in turn.
    let mut buf = Vec::with_capacity(value.len() + 1);
    buf.extend_from_slice(value);
    buf.push(0);
    // statx without a round trip to the filesystem (`AT_STATX_DONT_SYNC`,
    // symlinks not followed: an lstat that a stopped FUSE daemon cannot
    // block; see `sys::statx`), through `syscall(2)`: no new symbol.
    let lstat = |buf: &[u8]| {
        CStr::from_bytes_until_nul(buf)
            .map_err(|_| Errno::EINVAL)
            .and_then(|c| statx::statx(AT_FDCWD, c, false))
    };
    // Whether others can write the directory the last name is in.
    let mut shared = false;
    for end in ends {
        let cut = std::mem::replace(&mut buf[end], 0);
        let st = lstat(&buf);
        buf[end] = cut;
        match st {
            // (See below: mallory's FUSE on the way, stopped, would hold the
            // next lookup; `chase` judges its maker first.)
            Ok(st) if shared && st.mount_root != Some(false) => return Quick::Unsure,
            Ok(st) if ok_on_the_way(&st) => shared = st.mode & 0o022 != 0,
            // A missing directory on a plain way: nothing below it either.
            Err(Errno::ENOENT) => return Quick::Invalid,
            _ => return Quick::Unsure,
        }
    }
    match lstat(&buf) {
        // A mount at a name anyone could have made (in `/tmp`) may be
        // someone's FUSE that lies about its owner, or whose daemon is
        // stopped: the engine judges it, through fds. Elsewhere (logind's
        // tmpfs) only root or the user could have mounted it (a user mounts
        // FUSE only on a directory they may write, and a directory of
        // someone else's on the way is refused above).
        Ok(st) if shared && st.mount_root != Some(false) => return Quick::Unsure,
        Ok(st) if is_dir(st.mode) && st.uid == uid && st.mode & 0o7777 == 0o700 => {}
        // Missing, someone else's, a symlink, a file, a loose mode: refused
        // by the full check as well.
        Ok(_) | Err(Errno::ENOENT) => return Quick::Invalid,
        Err(_) => return Quick::Unsure,
    }
    let path = CStr::from_bytes_until_nul(&buf).map_err(|_| Errno::EINVAL);
    match path.and_then(localfs::of_path) {
        Ok(Locality::Local) => Quick::Valid,
        Ok(_) => Quick::Invalid,
        Err(_) => Quick::Unsure,
    }
}

/// [`quick`] said valid.
pub fn quick_valid(value: &[u8], uid: u32) -> bool {
    quick(value, uid) == Quick::Valid
}

fn is_dir(mode: u32) -> bool {
    mode & libc_ifmt() == 0o040000
}

const fn libc_ifmt() -> u32 {
    0o170000
}

/// Absolute, and already in its normal form: no empty, `.` or `..`
/// component, no trailing slash, not `/` itself, no NUL.
fn plain(value: &[u8]) -> bool {
    value.len() > 1
        && value[0] == b'/'
        && !value.contains(&0)
        && value[1..]
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

/// The full check through file descriptors, with reasons: the parent is
/// resolved by the engine's rules (symlinks only root's or the user's), the
/// name is opened without following it and must be a directory of the user's
/// with mode exactly 0700 on a local filesystem.
pub fn check(fs: &dyn Fs, value: &OsStr, uid: u32) -> Result<privdir::Dir, Invalid> {
    if value.as_bytes().first() != Some(&b'/') {
        return Err(Invalid::Relative);
    }
    let path = crate::engine::pathnorm::abspath(value).map_err(|_| Invalid::Relative)?;
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        // `/` itself: root's.
        return Err(Invalid::Unsafe(Unsafe::ForeignOwner {
            owner: 0,
            mode: 0o40755,
        }));
    };
    let missing = |e: &privdir::Error| e.errno() == Some(Errno::ENOENT);
    // The directory it is in, under the same rules as every directory on
    // the way (a sticky one of someone else's is refused: its owner may
    // rename what is in it), as for an inherited TMPDIR.
    let parent = privdir::open_dir_of(fs, parent, uid).map_err(|e| match e.problem {
        _ if missing(&e) => Invalid::Missing,
        Problem::Unsafe(u @ Unsafe::Ancestor { .. }) => Invalid::Unsafe(u),
        _ => Invalid::Error(e),
    })?;
    let dir = privdir::open_private(fs, &parent, name, uid).map_err(|e| match e.problem {
        _ if missing(&e) => Invalid::Missing,
        Problem::Unsafe(u) => Invalid::Unsafe(u),
        _ => Invalid::Error(e),
    })?;
    if dir.stat.perm() != 0o700 {
        return Err(Invalid::Mode(dir.stat.perm()));
    }
    match dir.fd.fd().and_then(localfs::of_fd) {
        Ok(Locality::Local) => Ok(dir),
        Ok(other) => Err(Invalid::NotLocal(other)),
        Err(e) => Err(Invalid::Error(privdir::Error {
            path: dir.path.clone(),
            problem: Problem::Os {
                op: privdir::Op::Stat,
                errno: e,
            },
        })),
    }
}

/// What the rules see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inherited {
    /// Unset or empty.
    Unset,
    Valid,
    Invalid(Invalid),
}

/// Where the exported directory comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// The inherited value, unchanged.
    Keep,
    /// logind's `/run/user/$UID`.
    Logind,
    /// `/tmp/xdg-runtime-$UID` (or its private fallback).
    Create,
}

/// The rules, as a pure function. `logind` is looked at only when the
/// inherited value is not valid (`None`: not looked at).
pub fn decide(inherited: &Inherited, logind: Option<&Result<(), Invalid>>) -> Choice {
    match (inherited, logind) {
        (Inherited::Valid, _) => Choice::Keep,
        (_, Some(Ok(()))) => Choice::Logind,
        _ => Choice::Create,
    }
}

/// What happens to the variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Left as it is (valid, or unset with nothing to set).
    Keep,
    /// Set to this directory.
    Set(PathBuf),
    /// Unset: the inherited value is not valid and nothing valid could be had.
    Unset,
}

/// The outcome, with what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub action: Action,
    /// What changed and why (`init -q` leaves it out); `None`: nothing to say.
    pub note: Option<String>,
    /// Always shown: a squat at the name, or the variable taken away.
    pub warnings: Vec<String>,
    /// The inherited value was someone else's or reached unsafely: it must
    /// not come back (a modulefile's unload must not restore it).
    pub was_unsafe: bool,
}

/// The room a runtime directory leaves for the names programs bind sockets
/// at in it: the longest common one, gpg-agent's `gnupg/S.gpg-agent.browser`,
/// and its `/`. (The specification asks for a directory sockets work in.)
pub const SOCKET_ROOM: usize = 26;

/// Look at the inherited value: the cheap check first, the full one (with
/// the reason) when that is not enough.
pub fn judge(fs: &dyn Fs, value: Option<&OsStr>, uid: u32) -> Inherited {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Inherited::Unset;
    };
    if v.len() + SOCKET_ROOM > SOCKET_PATH_MAX {
        return Inherited::Invalid(Invalid::TooLong(v.len()));
    }
    if let Err(e) = answers(v, uid) {
        return Inherited::Invalid(Invalid::Error(e));
    }
    if quick_valid(v.as_bytes(), uid) {
        return Inherited::Valid;
    }
    match check(fs, v, uid) {
        Ok(_) => Inherited::Valid,
        Err(why) => Inherited::Invalid(why),
    }
}

/// Before anything touches the inherited value: a forwarded path on a network
/// or FUSE mount that does not answer (a hung NFS server, a stopped FUSE
/// daemon) must not stall a shell start. The same mechanism as `TMPDIR`'s
/// (`hang`: mountinfo, then a detached `statvfs` within the run's budget).
/// Not looked up, so the fast path reads no mountinfo: the default base
/// (`/tmp`, as for `TMPDIR`) and logind's `/run/user/$UID`, whose parent is
/// root's tmpfs, and on which only its owner could mount anything.
fn answers(value: &OsStr, uid: u32) -> Result<(), privdir::Error> {
    let path = Path::new(value);
    if path == logind_dir(uid) {
        return Ok(());
    }
    crate::engine::hang::check_path(path)
        .map_err(|na| privdir::Error::new(path, Problem::NoAnswer(na)))
}

/// Decide and carry it out for this process: keep, point at logind's
/// directory, make one, or take an invalid value away.
pub fn resolve(value: Option<&OsStr>, uid: u32) -> Resolved {
    let fs = &RealFs;
    let inherited = judge(fs, value, uid);
    let logind = logind_dir(uid);
    let logind_verdict = match &inherited {
        Inherited::Valid => None,
        // The same path: the same verdict, no second look.
        Inherited::Invalid(why) if value.map(Path::new) == Some(logind.as_path()) => {
            Some(Err(why.clone()))
        }
        _ => Some(match quick(logind.as_os_str().as_bytes(), uid) {
            Quick::Valid => Ok(()),
            // Final (see `quick`); the reason is not told for logind's.
            Quick::Invalid => Err(Invalid::Missing),
            Quick::Unsure => check(fs, logind.as_os_str(), uid).map(|_| ()),
        }),
    };
    let mut warnings = Vec::new();
    let choice = decide(&inherited, logind_verdict.as_ref());
    // Valid as judged in its normal form (`..` taken lexically, as `abspath`
    // does): exported in that form, never as given, or the kernel would walk
    // the `..` through whatever a symlink there points to later.
    let normal = value
        .filter(|v| choice == Choice::Keep && !plain(v.as_bytes()))
        .and_then(|v| crate::engine::pathnorm::abspath(v).ok());
    if let Some(dir) = normal {
        return Resolved {
            action: Action::Set(dir),
            note: None,
            warnings,
            was_unsafe: false,
        };
    }
    if choice == Choice::Keep {
        // The fast path: nothing to say, nothing to format.
        return Resolved {
            action: Action::Keep,
            note: None,
            warnings,
            was_unsafe: false,
        };
    }
    let old = value.map(|v| Path::new(v).display().to_string());
    let was = |why: &Invalid| format!("{VAR}={} {why}; ", old.as_deref().unwrap_or_default());
    let (dir, created) = match choice {
        Choice::Keep => unreachable!("returned above"),
        Choice::Logind => (logind, false),
        Choice::Create => match found(uid) {
            Some(dir) => (dir, false),
            None => match make(fs, uid, &mut warnings) {
                Ok(made) => made,
                Err(e) => return failed(&inherited, old.as_deref(), &e, warnings),
            },
        },
    };
    let what = || match created {
        true => format!("created {} (mode 0700)", dir.display()),
        false => format!("using {}", dir.display()),
    };
    let note = match &inherited {
        Inherited::Invalid(why) => Some(format!("{}{}", was(why), what())),
        // Unset: say so only when a directory was made (nothing is formatted
        // when the one made before is found again).
        _ if created => Some(format!("{VAR} was not set; {}", what())),
        _ => None,
    };
    Resolved {
        action: Action::Set(dir),
        note,
        warnings,
        was_unsafe: matches!(&inherited, Inherited::Invalid(why) if why.is_unsafe()),
    }
}

/// The directory a previous start made, found again: `/tmp/xdg-runtime-$UID`
/// judged exactly as an inherited value is (see [`quick`]), so a shell that
/// starts without `XDG_RUNTIME_DIR` pays what one with a valid value pays.
/// `None`: not there or not valid as it is (loose, someone else's, under a
/// symlink, ...): [`make`] decides, through file descriptors. One more
/// question than for an inherited value: whether sockets can be made in it
/// (`access(W_OK)`; a read-only `/tmp` says `EROFS`), as `make`'s probe
/// would have asked: this is a directory tmpguard hands out, not one it keeps.
fn found(uid: u32) -> Option<PathBuf> {
    let path = Path::new(BASE).join(name(uid));
    let writable = || nix::unistd::access(&path, nix::unistd::AccessFlags::W_OK).is_ok();
    (quick(path.as_os_str().as_bytes(), uid) == Quick::Valid && writable()).then_some(path)
}

/// `/tmp/xdg-runtime-$UID` private, or a private fallback beside it; on a
/// local filesystem (checked on `/tmp` before anything is made).
fn make(fs: &dyn Fs, uid: u32, warnings: &mut Vec<String>) -> Result<(PathBuf, bool), String> {
    let base = privdir::open_base(fs, Path::new(BASE), uid).map_err(|e| e.to_string())?;
    match base.fd.fd().and_then(localfs::of_fd) {
        Ok(Locality::Local) => {}
        Ok(other) => return Err(format!("{BASE} {other}")),
        Err(e) => return Err(format!("cannot stat {BASE}: {e}")),
    }
    let name = name(uid);
    let ensured = ensure::ensure_private(
        fs,
        &ensure::RUNTIME,
        &base,
        OsStr::new(&name),
        uid,
        Fallback::Kind,
    );
    warnings.extend(ensured.warning);
    ensured
        .result
        .map(|m| (m.path, m.created))
        .map_err(|e| e.to_string())
}

/// Nothing valid could be had: an invalid inherited value is unset (said on
/// stderr whatever `--quiet`); an unset one stays unset.
fn failed(
    inherited: &Inherited,
    old: Option<&str>,
    error: &str,
    mut warnings: Vec<String>,
) -> Resolved {
    let action = match inherited {
        Inherited::Invalid(why) => {
            warnings.push(format!(
                "{VAR}={} {why}, and no private runtime directory could be made ({error}); unsetting {VAR}",
                old.unwrap_or_default()
            ));
            Action::Unset
        }
        _ => {
            warnings.push(format!(
                "no private runtime directory could be made ({error}); {VAR} stays unset"
            ));
            Action::Keep
        }
    };
    Resolved {
        action,
        note: None,
        warnings,
        was_unsafe: matches!(inherited, Inherited::Invalid(why) if why.is_unsafe()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{scratch, uid};
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn chmod(p: &Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }

    #[test]
    fn rules_keep_valid_then_logind_then_create() {
        let bad = Inherited::Invalid(Invalid::Missing);
        assert_eq!(decide(&Inherited::Valid, None), Choice::Keep);
        assert_eq!(decide(&Inherited::Unset, Some(&Ok(()))), Choice::Logind);
        assert_eq!(decide(&bad, Some(&Ok(()))), Choice::Logind);
        let no = Err(Invalid::Missing);
        assert_eq!(decide(&Inherited::Unset, Some(&no)), Choice::Create);
        assert_eq!(decide(&bad, Some(&no)), Choice::Create);
    }

    #[test]
    fn plain_paths_only_for_the_quick_check() {
        for ok in ["/run/user/1000", "/a"] {
            assert!(plain(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            "/",
            "run/user",
            "/run//user",
            "/run/user/",
            "/a/./b",
            "/a/../b",
        ] {
            assert!(!plain(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn quick_and_full_agree_on_a_valid_dir() {
        let d = scratch("runtime").join("rt");
        std::fs::create_dir(&d).unwrap();
        chmod(&d, 0o700);
        // The test's /tmp may sit under a group-writable directory; the full
        // check must accept it in any case.
        assert!(check(&RealFs, d.as_os_str(), uid()).is_ok());
        chmod(&d, 0o755);
        assert!(!quick_valid(d.as_os_str().as_bytes(), uid()));
        assert_eq!(
            check(&RealFs, d.as_os_str(), uid()).unwrap_err(),
            Invalid::Mode(0o755)
        );
    }

    #[test]
    fn quick_no_is_final_only_on_a_plain_way() {
        // `/` is root's and others cannot write it: a name missing there is missing.
        assert_eq!(quick(b"/nonexistent-tmpguard/1000", uid()), Quick::Invalid);
        assert_eq!(quick(b"/nonexistent-tmpguard", uid()), Quick::Invalid);
        // Not in normal form: the full check decides.
        assert_eq!(quick(b"/nonexistent-tmpguard/../x", uid()), Quick::Unsure);
        // Someone else's (root's, for a test not run as root) or loose: refused.
        let d = scratch("quick");
        let full = check(&RealFs, d.as_os_str(), uid());
        if quick(d.as_os_str().as_bytes(), uid()) == Quick::Invalid {
            assert!(full.is_err(), "quick refused what the full check accepts");
        }
        // A symlink on the way: never judged by the quick check.
        let link = d.join("link");
        symlink(&d, &link).unwrap();
        assert_eq!(
            quick(link.join("x").as_os_str().as_bytes(), uid()),
            Quick::Unsure
        );
    }

    #[test]
    fn full_check_reasons() {
        let s = scratch("runtime");
        assert_eq!(
            check(&RealFs, OsStr::new("run/user"), uid()).unwrap_err(),
            Invalid::Relative
        );
        assert_eq!(
            check(&RealFs, s.join("none").as_os_str(), uid()).unwrap_err(),
            Invalid::Missing
        );
        assert_eq!(
            check(&RealFs, s.join("none/deeper").as_os_str(), uid()).unwrap_err(),
            Invalid::Missing
        );
        std::fs::create_dir(s.join("real")).unwrap();
        chmod(&s.join("real"), 0o700);
        symlink(s.join("real"), s.join("link")).unwrap();
        assert!(matches!(
            check(&RealFs, s.join("link").as_os_str(), uid()).unwrap_err(),
            Invalid::Unsafe(Unsafe::Symlink { .. })
        ));
        assert!(!quick_valid(s.join("link").as_os_str().as_bytes(), uid()));
        std::fs::write(s.join("file"), "").unwrap();
        assert!(matches!(
            check(&RealFs, s.join("file").as_os_str(), uid()).unwrap_err(),
            Invalid::Unsafe(Unsafe::NotDirectory { .. })
        ));
    }

    #[test]
    fn judge_unset_and_empty() {
        assert_eq!(judge(&RealFs, None, uid()), Inherited::Unset);
        assert_eq!(
            judge(&RealFs, Some(OsStr::new("")), uid()),
            Inherited::Unset
        );
    }

    #[test]
    fn too_long_for_sockets_is_invalid_before_anything_is_looked_at() {
        // Red team: a valid 0700 directory at a 123-byte path was kept, and
        // bind($XDG_RUNTIME_DIR/bus) failed. 81 bytes leave gpg-agent room.
        let at = |n: usize| format!("/{}", "d".repeat(n - 1));
        assert_eq!(
            judge(&RealFs, Some(OsStr::new(&at(82))), uid()),
            Inherited::Invalid(Invalid::TooLong(82))
        );
        assert_ne!(
            judge(&RealFs, Some(OsStr::new(&at(81))), uid()),
            Inherited::Invalid(Invalid::TooLong(81))
        );
        assert!(!Invalid::TooLong(82).is_unsafe());
        assert!(
            Invalid::TooLong(123)
                .to_string()
                .starts_with("is 123 bytes long")
        );
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(Invalid::Mode(0o755).to_string(), "has mode 0755, not 0700");
        assert_eq!(
            Invalid::NotLocal(Locality::Network("nfs")).to_string(),
            "is on a network filesystem (nfs), not a local one: sockets and locks there are not reliable"
        );
    }
}
