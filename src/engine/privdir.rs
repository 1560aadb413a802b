//! The private directory: create and verify it through file descriptors.
//!
//! Nothing here trusts a path twice. Names are opened relative to an fd of
//! their parent with `O_NOFOLLOW`, checked with `fstat`, fixed with `fchmod`
//! on the same fd, and the name is confirmed to still refer to the checked
//! inode before it is handed out. Nothing that is not the user's is touched.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::stat::SFlag;

use crate::engine::ancestry::{self, Trust};
use crate::engine::effects::{Fs, Handle};
use crate::engine::mounts;

use crate::engine::errno;
use crate::engine::identity::describe_uid;
use crate::engine::probe::ProbeError;

/// Symlinks followed in one path before giving up, as the kernel's limit.
const MAX_LINKS: u32 = 40;

/// The kind of object at a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    Symlink,
    File,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Unknown,
}

impl Kind {
    /// The type in an `st_mode`.
    pub fn of_mode(mode: u32) -> Kind {
        match SFlag::from_bits_truncate(mode & SFlag::S_IFMT.bits()) {
            SFlag::S_IFDIR => Kind::Dir,
            SFlag::S_IFLNK => Kind::Symlink,
            SFlag::S_IFREG => Kind::File,
            SFlag::S_IFIFO => Kind::Fifo,
            SFlag::S_IFSOCK => Kind::Socket,
            SFlag::S_IFCHR => Kind::CharDevice,
            SFlag::S_IFBLK => Kind::BlockDevice,
            _ => Kind::Unknown,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Dir => "a directory",
            Kind::Symlink => "a symlink",
            Kind::File => "a regular file",
            Kind::Fifo => "a FIFO",
            Kind::Socket => "a socket",
            Kind::CharDevice => "a character device",
            Kind::BlockDevice => "a block device",
            Kind::Unknown => "an object of unknown type",
        })
    }
}

/// The parts of `stat` that safety depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    /// Full `st_mode`: type and permission bits.
    pub mode: u32,
    /// Hard links to it.
    pub nlink: u32,
    /// The mount it is on, when the kernel says.
    pub mnt_id: Option<u64>,
    /// `mnt_id` is the unique id `statmount` takes (Linux 6.8+).
    pub mnt_id_unique: bool,
    /// It is the root of a mount, when the kernel says.
    pub mount_root: Option<bool>,
}

impl Stat {
    /// The object's type.
    pub fn kind(&self) -> Kind {
        Kind::of_mode(self.mode)
    }

    /// Permission bits, including setuid/setgid/sticky.
    pub fn perm(&self) -> u32 {
        self.mode & 0o7777
    }

    /// Group or others may create and remove names in it.
    pub fn writable_by_others(&self) -> bool {
        self.mode & 0o022 != 0
    }

    /// The sticky bit (only owners may remove their names).
    pub fn sticky(&self) -> bool {
        self.mode & 0o1000 != 0
    }

    /// A directory owned by `uid` that neither group nor others can write.
    pub fn private_to(&self, uid: u32) -> bool {
        self.kind() == Kind::Dir && self.uid == uid && !self.writable_by_others()
    }

    /// Owned by root, writable by others, sticky: like `/tmp`.
    pub fn shared_sticky(&self) -> bool {
        self.kind() == Kind::Dir && self.uid == 0 && self.mode & 0o002 != 0 && self.sticky()
    }

    pub fn same_inode(&self, other: &Stat) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

/// Why an object may not be used: someone else could control it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsafe {
    /// A symlink where a directory of ours should be.
    Symlink { owner: u32 },
    /// Not a directory at all (`links`: its hard-link count).
    NotDirectory { kind: Kind, owner: u32, links: u32 },
    /// A directory that belongs to another uid.
    ForeignOwner { owner: u32, mode: u32 },
    /// Our directory, but group or others can write into it.
    OpenToOthers { mode: u32 },
    /// A symlink on the way belongs to neither root nor the user.
    ForeignLink { link: PathBuf, owner: u32 },
    /// A base owned by neither root nor the user.
    BaseOwner { owner: u32 },
    /// A base others can write that lacks the sticky bit.
    BaseNotSticky { mode: u32 },
    /// A directory on the way (see `ancestry`) someone else could rename things in.
    Ancestor {
        dir: PathBuf,
        owner: u32,
        mode: u32,
        flaw: ancestry::Flaw,
    },
    /// On (or passing through) a mount made by someone other than root or the user.
    ForeignMount {
        point: PathBuf,
        fstype: String,
        source: String,
        /// Who made it (FUSE's `user_id=`); `None` when mountinfo does not say.
        owner: Option<u32>,
    },
    /// Resolved through procfs (`/proc/self/...`, `/proc/<pid>/...`,
    /// `/dev/fd/N`): a different directory in every process.
    PerProcess { link: PathBuf },
}

impl Unsafe {
    /// The uid that owns the offending object, for warnings and the system log.
    pub fn offender(&self) -> Option<u32> {
        match *self {
            Unsafe::Symlink { owner }
            | Unsafe::NotDirectory { owner, .. }
            | Unsafe::ForeignOwner { owner, .. }
            | Unsafe::ForeignLink { owner, .. }
            | Unsafe::BaseOwner { owner } => Some(owner),
            Unsafe::Ancestor {
                owner,
                flaw: ancestry::Flaw::Owner,
                ..
            } => Some(owner),
            Unsafe::ForeignMount { owner, .. } => owner,
            Unsafe::OpenToOthers { .. }
            | Unsafe::BaseNotSticky { .. }
            | Unsafe::Ancestor { .. }
            | Unsafe::PerProcess { .. } => None,
        }
    }
}

impl fmt::Display for Unsafe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsafe::Symlink { owner } => {
                write!(
                    f,
                    "is a symlink owned by uid {}; refusing to follow it",
                    describe_uid(*owner)
                )
            }
            Unsafe::NotDirectory { kind, owner, links } => {
                write!(
                    f,
                    "is {kind}, not a directory, owned by uid {}",
                    describe_uid(*owner)
                )?;
                match links {
                    2.. => write!(
                        f,
                        ", with {links} hard links (a hard link planted at the name)"
                    ),
                    _ => Ok(()),
                }
            }
            Unsafe::ForeignOwner { owner, mode } => write!(
                f,
                "is a directory owned by uid {} (mode {:04o}), not by you",
                describe_uid(*owner),
                mode & 0o7777
            ),
            Unsafe::OpenToOthers { mode } => write!(
                f,
                "is your directory but group or others can write into it (mode {:04o}); fix: chmod 700 it",
                mode & 0o7777
            ),
            Unsafe::ForeignLink { link, owner } => write!(
                f,
                "passes through the symlink {} owned by uid {}",
                link.display(),
                describe_uid(*owner)
            ),
            Unsafe::BaseOwner { owner } => {
                write!(
                    f,
                    "is owned by uid {}, neither root nor you",
                    describe_uid(*owner)
                )
            }
            Unsafe::BaseNotSticky { mode } => write!(
                f,
                "is writable by others without the sticky bit (mode {:04o})",
                mode & 0o7777
            ),
            Unsafe::Ancestor {
                dir,
                owner,
                mode,
                flaw,
            } => {
                let (dir, mode) = (dir.display(), mode & 0o7777);
                let who = describe_uid(*owner);
                match flaw {
                    ancestry::Flaw::Owner => write!(
                        f,
                        "is inside {dir}, a directory owned by uid {who} (mode {mode:04o}), neither root nor you: they can replace what is in it; fix: use a directory outside it"
                    ),
                    ancestry::Flaw::NotSticky => write!(
                        f,
                        "is inside {dir} (owner uid {who}, mode {mode:04o}), which group or others can write without the sticky bit: they can replace what is in it; fix: ask the administrator to chmod +t {dir}, or use a directory outside it"
                    ),
                }
            }
            Unsafe::ForeignMount {
                point,
                fstype,
                source,
                owner,
            } => {
                let who = match owner {
                    Some(o) => format!("uid {}", describe_uid(*o)),
                    None => "an unknown user".into(),
                };
                write!(
                    f,
                    "is on the {fstype} mount {} (of {source}) made by {who}, neither root nor you: it reports whatever owner and mode it likes",
                    point.display()
                )
            }
            Unsafe::PerProcess { link } => write!(
                f,
                "resolves through {}, a per-process link of /proc: every program would see a different directory",
                link.display()
            ),
        }
    }
}

/// A system call on the way, as messages name it (`cannot open /tmp/x: ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Open,
    Stat,
    Chmod,
    Resolve,
    ReadLink,
    /// statvfs, for the site's min_free.
    MeasureSpace,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Create => "create",
            Op::Open => "open",
            Op::Stat => "stat",
            Op::Chmod => "chmod",
            Op::Resolve => "resolve",
            Op::ReadLink => "read link",
            Op::MeasureSpace => "measure the free space of",
        })
    }
}

/// What went wrong with a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Someone else could control it: never used.
    Unsafe(Unsafe),
    /// A system call failed.
    Os { op: Op, errno: Errno },
    /// It is safe, but CPython's probe fails in it.
    Probe(ProbeError),
    /// The name stopped referring to the inode that was checked.
    Moved,
    /// A network or FUSE filesystem (or the identity service) did not answer in time.
    NoAnswer(crate::engine::hang::NoAnswer),
    /// The name is taken (`taken` says how) and no fallback could be made.
    NoFallback {
        taken: Box<Error>,
        fallback: Box<Error>,
    },
    /// A base with less free space than the site's `min_free`.
    NoRoom { avail: u64, min_free: u64 },
    /// None of the site's bases can be used: each one's reason.
    NoBase(Vec<Error>),
}

/// A directory that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub path: PathBuf,
    pub problem: Problem,
}

impl Error {
    pub fn new(path: impl Into<PathBuf>, problem: Problem) -> Error {
        Error {
            path: path.into(),
            problem,
        }
    }
    pub fn os(path: impl Into<PathBuf>, op: Op, errno: Errno) -> Error {
        Error::new(path, Problem::Os { op, errno })
    }

    /// The object at the name vanished or changed type between the steps that
    /// look it up (after `mkdirat` said EEXIST: opening it, confirming it): a
    /// race at the name, not a fault of the filesystem.
    pub fn raced_at_name(&self) -> bool {
        matches!(
            self.problem,
            Problem::Os {
                op: Op::Open | Op::Stat,
                errno: Errno::ENOENT | Errno::ELOOP | Errno::ENOTDIR | Errno::EACCES,
            }
        )
    }

    /// The uids whose objects made it fail (for their names in messages).
    pub fn offenders(&self) -> Vec<u32> {
        match &self.problem {
            Problem::Unsafe(u) => u.offender().into_iter().collect(),
            Problem::NoFallback { taken, fallback } => {
                let mut v = taken.offenders();
                v.extend(fallback.offenders());
                v
            }
            _ => Vec::new(),
        }
    }

    /// The errno behind the failure, if a system call or the probe failed.
    pub fn errno(&self) -> Option<Errno> {
        match &self.problem {
            Problem::Os { errno, .. } => Some(*errno),
            Problem::Probe(p) => Some(p.errno),
            Problem::NoFallback { fallback, .. } => fallback.errno(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.problem {
            Problem::Unsafe(u) => write!(f, "{path} {u}"),
            Problem::Os { op, errno } => write!(f, "cannot {op} {path}: {}", errno::text(*errno)),
            Problem::Probe(p) => write!(f, "{path} is not usable: {p}"),
            Problem::Moved => write!(f, "{path} was replaced while being checked"),
            Problem::NoAnswer(na) if na.what.starts_with('/') => write!(f, "{path}: {na}"),
            Problem::NoAnswer(na) => write!(f, "{na}"),
            Problem::NoFallback { taken, fallback } => {
                write!(
                    f,
                    "{taken}; and no private fallback could be made: {fallback}"
                )
            }
            Problem::NoRoom { avail, min_free } => write!(
                f,
                "{path} has {} free, less than the site's min_free {}",
                crate::engine::fsinfo::human_bytes(*avail),
                crate::engine::fsinfo::human_bytes(*min_free)
            ),
            Problem::NoBase(each) => {
                f.write_str("no base the site lists can be used")?;
                each.iter().try_for_each(|e| write!(f, "; {e}"))
            }
        }
    }
}

impl std::error::Error for Error {}

/// A directory opened and checked, with the path it will be exported as.
#[derive(Debug)]
pub struct Dir {
    pub fd: Handle,
    pub path: PathBuf,
    pub stat: Stat,
}

/// A private directory ready to export.
#[derive(Debug)]
pub struct Verified {
    pub dir: Dir,
    /// tmpguard made it in this run.
    pub created: bool,
    /// Its mode before tmpguard set 0700, if it did.
    pub tightened_from: Option<u32>,
}

fn stat_fd(fs: &dyn Fs, fd: &Handle, path: &Path) -> Result<Stat, Error> {
    fs.fstat(fd).map_err(|e| Error::os(path, Op::Stat, e))
}

/// `child` (held by `fd`), reached from the directory `parent`, is not the
/// root of a mount someone other than root or `uid` made. Reads mountinfo
/// only at a mount; there, once the mount is known to be root's or the
/// user's, `child` is stat'ed again asking the filesystem (a FUSE root's
/// attributes are placeholders until its daemon was asked).
fn check_mount(
    fs: &dyn Fs,
    parent: &Stat,
    child: &mut Stat,
    fd: &Handle,
    path: &Path,
    uid: u32,
) -> Result<(), Error> {
    if !mounts::is_crossing(parent, child) {
        return Ok(());
    }
    match fs.mount(child, uid) {
        Ok(mounts::Accepted::Kernel) => return Ok(()),
        Ok(mounts::Accepted::MaybeFuse) => {}
        Err(m) => {
            let u = Unsafe::ForeignMount {
                point: m.point,
                fstype: m.fstype,
                source: m.source,
                owner: m.owner,
            };
            return Err(Error::new(path, Problem::Unsafe(u)));
        }
    }
    *child = fs
        .fresh_stat(fd)
        .map_err(|e| Error::os(path, Op::Stat, e))?;
    Ok(())
}

/// Resolve an absolute, normalised `path` one component at a time, following
/// a symlink only when it belongs to root or `uid`. Returns an `O_PATH` fd of
/// the object reached, which may be of any type.
///
/// Every directory a name is looked up in must pass the ancestor rule
/// (`ancestry`); a mount met on the way must be root's or `uid`'s (`mounts`),
/// judged before anything inside it is looked up; a symlink on procfs is
/// refused (per-process). The object reached is judged by the caller.
pub fn chase(fs: &dyn Fs, path: &Path, uid: u32) -> Result<(Handle, Stat), Error> {
    chase_trusting(fs, path, uid, &ancestry::site())
}

/// [`chase`], with owners and directories the site vouches for on the way.
pub fn chase_trusting(
    fs: &dyn Fs,
    path: &Path,
    uid: u32,
    trust: &Trust<'_>,
) -> Result<(Handle, Stat), Error> {
    let open_root = || fs.root().map_err(|e| Error::os("/", Op::Open, e));
    let (mut fd, root_stat) = match fs.opened_root() {
        Some(opened) => opened,
        None => {
            let fd = open_root()?;
            let st = stat_fd(fs, &fd, Path::new("/"))?;
            (fd, st)
        }
    };
    // The stat of `fd`.
    let mut fd_stat = root_stat;
    let mut at = PathBuf::from("/");
    // Components still to walk, next first.
    let mut todo: Vec<Vec<u8>> = components(path.as_os_str().as_bytes());
    todo.reverse();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        if c.is_empty() || c == b"." {
            continue;
        }
        let name = OsStr::from_bytes(&c);
        // Outside the default base, a network or FUSE mount is asked first
        // (within the run's time budget) and never touched if it does not answer.
        if c != b".." {
            crate::engine::hang::check_path(&at.join(name))
                .map_err(|na| Error::new(path, Problem::NoAnswer(na)))?;
        }
        // A name is about to be looked up in `at`: whoever can write it could
        // swap what the name refers to.
        if fd_stat.kind() == Kind::Dir {
            look_in(&at, &fd_stat, uid, trust).map_err(|u| Error::new(path, u))?;
        }
        let next = fs
            .open_at(&fd, name, false)
            .map_err(|e| Error::os(at.join(name), Op::Open, e))?;
        let mut st = stat_fd(fs, &next, &at.join(name))?;
        check_mount(fs, &fd_stat, &mut st, &next, path, uid)?;
        if st.kind() == Kind::Symlink {
            if st.uid != 0 && st.uid != uid {
                return Err(Error::new(
                    path,
                    Problem::Unsafe(Unsafe::ForeignLink {
                        link: at.join(name),
                        owner: st.uid,
                    }),
                ));
            }
            if fs.on_procfs(&next) {
                let u = Unsafe::PerProcess {
                    link: at.join(name),
                };
                return Err(Error::new(path, Problem::Unsafe(u)));
            }
            links += 1;
            if links > MAX_LINKS {
                return Err(Error::os(path, Op::Resolve, Errno::ELOOP));
            }
            let target = fs
                .readlink(&next)
                .map_err(|e| Error::os(at.join(name), Op::ReadLink, e))?;
            let mut parts = components(&target);
            parts.reverse();
            todo.extend(parts);
            if target.first() == Some(&b'/') {
                fd = open_root()?;
                fd_stat = root_stat;
                at = PathBuf::from("/");
            }
            continue;
        }
        if c == b".." {
            at.pop();
        } else {
            at.push(name);
        }
        fd = next;
        fd_stat = st;
    }
    Ok((fd, fd_stat))
}

/// The ancestor rule for a directory a name is about to be looked up in.
fn look_in(at: &Path, st: &Stat, uid: u32, trust: &Trust<'_>) -> Result<(), Problem> {
    ancestry::check(at, st, uid, trust).map_err(|flaw| {
        Problem::Unsafe(Unsafe::Ancestor {
            dir: at.to_owned(),
            owner: st.uid,
            mode: st.mode,
            flaw,
        })
    })
}

fn components(p: &[u8]) -> Vec<Vec<u8>> {
    p.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Open a base directory: owned by root or `uid`, sticky if others can write
/// it, reached only through symlinks owned by root or `uid`.
pub fn open_base(fs: &dyn Fs, path: &Path, uid: u32) -> Result<Dir, Error> {
    let (fd, stat) = chase(fs, path, uid)?;
    if stat.kind() != Kind::Dir {
        let u = Unsafe::NotDirectory {
            kind: stat.kind(),
            owner: stat.uid,
            links: stat.nlink,
        };
        return Err(Error::new(path, Problem::Unsafe(u)));
    }
    if stat.uid != 0 && stat.uid != uid {
        return Err(Error::new(
            path,
            Problem::Unsafe(Unsafe::BaseOwner { owner: stat.uid }),
        ));
    }
    if stat.writable_by_others() && !stat.sticky() {
        return Err(Error::new(
            path,
            Problem::Unsafe(Unsafe::BaseNotSticky { mode: stat.mode }),
        ));
    }
    Ok(Dir {
        fd,
        path: path.to_owned(),
        stat,
    })
}

/// Open `<base>/<name>` without following it and check it is a directory of
/// `uid` that group and others cannot write. Changes nothing.
///
/// The fd is `O_PATH`: it needs no read permission (a umask of 0777 makes a
/// mode-000 directory that is still ours to fix), opens a FIFO without
/// blocking, and serves as the `dirfd` of the probe.
pub fn open_private(fs: &dyn Fs, base: &Dir, name: &OsStr, uid: u32) -> Result<Dir, Error> {
    let path = base.path.join(name);
    let fd = match fs.open_at(&base.fd, name, true) {
        Ok(fd) => fd,
        Err(errno) => {
            // Say what is there instead, from an lstat of the name.
            return Err(match fs.lstat_at(&base.fd, name) {
                Ok(st) => match unsafe_object(&st, uid) {
                    Some(u) => Error::new(path, Problem::Unsafe(u)),
                    None => Error::os(path, Op::Open, errno),
                },
                Err(_) => Error::os(path, Op::Open, errno),
            });
        }
    };
    let mut stat = stat_fd(fs, &fd, &path)?;
    // Before anything looks inside: a mount there is judged by who made it.
    check_mount(fs, &base.stat, &mut stat, &fd, &path, uid)?;
    if let Some(u) = unsafe_object(&stat, uid) {
        return Err(Error::new(path, Problem::Unsafe(u)));
    }
    Ok(Dir { fd, path, stat })
}

/// Why `st` is not a directory `uid` may use privately, if it is not.
fn unsafe_object(st: &Stat, uid: u32) -> Option<Unsafe> {
    match st.kind() {
        Kind::Symlink => Some(Unsafe::Symlink { owner: st.uid }),
        Kind::Dir if st.uid != uid => Some(Unsafe::ForeignOwner {
            owner: st.uid,
            mode: st.mode,
        }),
        Kind::Dir if st.writable_by_others() => Some(Unsafe::OpenToOthers { mode: st.mode }),
        Kind::Dir => None,
        kind => Some(Unsafe::NotDirectory {
            kind,
            owner: st.uid,
            links: st.nlink,
        }),
    }
}

/// Make `<base>/<name>` exist as a private directory of `uid` with mode
/// exactly `mode`: `mkdirat` (EEXIST is a concurrent shell: go verify), then
/// [`open_private`], then `chmod` through the fd if other bits are set.
pub fn ensure(
    fs: &dyn Fs,
    base: &Dir,
    name: &OsStr,
    uid: u32,
    mode: u32,
) -> Result<Verified, Error> {
    let created = match fs.mkdir_at(&base.fd, name, mode) {
        Ok(()) => true,
        Err(Errno::EEXIST) => false,
        Err(e) => return Err(Error::os(base.path.join(name), Op::Create, e)),
    };
    let mut dir = open_private(fs, base, name, uid)?;
    let mut tightened_from = None;
    if dir.stat.perm() != mode {
        fs.chmod(&dir.fd, mode)
            .map_err(|e| Error::os(&dir.path, Op::Chmod, e))?;
        tightened_from = Some(dir.stat.perm());
        dir.stat.mode = (dir.stat.mode & !0o7777) | mode;
    }
    Ok(Verified {
        dir,
        created,
        tightened_from,
    })
}

/// Confirm `<base>/<name>` still names the inode that was verified.
pub fn confirm_at(fs: &dyn Fs, base: &Dir, name: &OsStr, dir: &Dir) -> Result<(), Error> {
    match fs.lstat_at(&base.fd, name) {
        Ok(st) if st.same_inode(&dir.stat) => Ok(()),
        Ok(_) => Err(Error::new(&dir.path, Problem::Moved)),
        Err(e) => Err(Error::os(&dir.path, Op::Stat, e)),
    }
}

/// Confirm `path`, resolved again, still reaches the inode that was verified.
pub fn confirm_path(fs: &dyn Fs, path: &Path, dir: &Dir, uid: u32) -> Result<(), Error> {
    let (_, st) = chase(fs, path, uid)?;
    if st.same_inode(&dir.stat) {
        Ok(())
    } else {
        Err(Error::new(path, Problem::Moved))
    }
}

/// What is at an existing `$TMPDIR`.
#[derive(Debug)]
pub enum Found {
    /// A directory, reached through symlinks owned by root or the user only.
    Dir(Dir),
    /// Nothing at the last component; `parent` is the directory it would be
    /// made in, when that resolves safely to a directory.
    Missing { parent: Option<Stat> },
    /// Anything else.
    Bad(Error),
}

/// Look at `path` (absolute, normalised) without changing anything.
pub fn find(fs: &dyn Fs, path: &Path, uid: u32) -> Found {
    match chase(fs, path, uid) {
        Ok((fd, stat)) if stat.kind() == Kind::Dir => Found::Dir(Dir {
            fd,
            path: path.to_owned(),
            stat,
        }),
        Ok((_, stat)) => Found::Bad(Error::new(
            path,
            Problem::Unsafe(Unsafe::NotDirectory {
                kind: stat.kind(),
                owner: stat.uid,
                links: stat.nlink,
            }),
        )),
        Err(e) if e.errno() == Some(Errno::ENOENT) => {
            let parent = path.parent().and_then(|p| open_parent(fs, p, uid).ok());
            match parent {
                // Only "missing" if the last name itself is absent (not a dangling link).
                Some(p) => match fs.lstat_at(&p.fd, path.file_name().unwrap_or_default()) {
                    Err(Errno::ENOENT) => Found::Missing {
                        parent: Some(p.stat),
                    },
                    _ => Found::Bad(e),
                },
                None => Found::Missing { parent: None },
            }
        }
        Err(e) => Found::Bad(e),
    }
}

/// Open the directory an existing private directory is in, held to the
/// same rule [`chase`] holds every directory on the way to: the parent of an
/// inherited `$TMPDIR` is judged that way (`find`), not as a base (where a
/// shared sticky directory is expected), so the same for a kept
/// `XDG_RUNTIME_DIR` (`runtime::check`). A sticky directory of someone
/// else's is refused: its owner may rename anything in it.
pub fn open_dir_of(fs: &dyn Fs, path: &Path, uid: u32) -> Result<Dir, Error> {
    let dir = open_parent(fs, path, uid)?;
    look_in(&dir.path, &dir.stat, uid, &ancestry::site()).map_err(|u| Error::new(path, u))?;
    Ok(dir)
}

/// Open the parent directory of a missing `$TMPDIR`.
pub fn open_parent(fs: &dyn Fs, path: &Path, uid: u32) -> Result<Dir, Error> {
    let (fd, stat) = chase(fs, path, uid)?;
    if stat.kind() != Kind::Dir {
        let u = Unsafe::NotDirectory {
            kind: stat.kind(),
            owner: stat.uid,
            links: stat.nlink,
        };
        return Err(Error::new(path, Problem::Unsafe(u)));
    }
    Ok(Dir {
        fd,
        path: path.to_owned(),
        stat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::effects::RealFs;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn scratch() -> PathBuf {
        crate::testutil::scratch("privdir")
    }
    use crate::testutil::uid;

    #[test]
    fn creates_0700_and_is_idempotent() {
        let b = scratch();
        let base = open_base(&RealFs, &b, uid()).unwrap();
        let v = ensure(&RealFs, &base, OsStr::new("me"), uid(), 0o700).unwrap();
        assert!(v.created);
        assert_eq!(
            std::fs::metadata(b.join("me"))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777,
            0o700
        );
        let again = ensure(&RealFs, &base, OsStr::new("me"), uid(), 0o700).unwrap();
        assert!(!again.created && again.tightened_from.is_none());
        confirm_at(&RealFs, &base, OsStr::new("me"), &again.dir).unwrap();
    }

    #[test]
    fn tightens_read_bits_but_refuses_writable() {
        let b = scratch();
        let base = open_base(&RealFs, &b, uid()).unwrap();
        std::fs::create_dir(b.join("r")).unwrap();
        std::fs::set_permissions(b.join("r"), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            ensure(&RealFs, &base, OsStr::new("r"), uid(), 0o700)
                .unwrap()
                .tightened_from,
            Some(0o755)
        );
        std::fs::create_dir(b.join("w")).unwrap();
        std::fs::set_permissions(b.join("w"), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = ensure(&RealFs, &base, OsStr::new("w"), uid(), 0o700).unwrap_err();
        assert!(matches!(
            e.problem,
            Problem::Unsafe(Unsafe::OpenToOthers { .. })
        ));
        assert_eq!(
            std::fs::metadata(b.join("w")).unwrap().permissions().mode() & 0o7777,
            0o777
        );
    }

    #[test]
    fn never_follows_a_symlink_at_the_name() {
        let b = scratch();
        std::fs::create_dir(b.join("real")).unwrap();
        symlink(b.join("real"), b.join("me")).unwrap();
        let base = open_base(&RealFs, &b, uid()).unwrap();
        let e = ensure(&RealFs, &base, OsStr::new("me"), uid(), 0o700).unwrap_err();
        assert!(
            matches!(e.problem, Problem::Unsafe(Unsafe::Symlink { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn a_file_or_fifo_is_not_a_directory() {
        let b = scratch();
        std::fs::write(b.join("f"), "x").unwrap();
        nix::unistd::mkfifo(
            &b.join("p"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let base = open_base(&RealFs, &b, uid()).unwrap();
        for (n, k) in [("f", Kind::File), ("p", Kind::Fifo)] {
            let e = ensure(&RealFs, &base, OsStr::new(n), uid(), 0o700).unwrap_err();
            assert_eq!(
                e.problem,
                Problem::Unsafe(Unsafe::NotDirectory {
                    kind: k,
                    owner: uid(),
                    links: 1
                })
            );
        }
    }

    #[test]
    fn chase_follows_own_links_and_reports_missing() {
        let b = scratch();
        std::fs::create_dir_all(b.join("a/b")).unwrap();
        symlink("a/b", b.join("l")).unwrap();
        symlink(b.join("a"), b.join("abs")).unwrap();
        let (_, st) = chase(&RealFs, &b.join("l"), uid()).unwrap();
        assert_eq!(st.kind(), Kind::Dir);
        let (_, st2) = chase(&RealFs, &b.join("abs/b"), uid()).unwrap();
        assert_eq!(st.ino, st2.ino);
        assert!(matches!(
            find(&RealFs, &b.join("a/none"), uid()),
            Found::Missing { parent: Some(_) }
        ));
        assert!(matches!(
            find(&RealFs, &b.join("none/none"), uid()),
            Found::Missing { parent: None }
        ));
        symlink(b.join("nowhere"), b.join("dangling")).unwrap();
        assert!(matches!(
            find(&RealFs, &b.join("dangling"), uid()),
            Found::Bad(_)
        ));
    }

    #[test]
    fn chase_refuses_a_link_owned_by_another_user() {
        // The link must belong to neither root nor the user the walk is for.
        // Without root: our own link, walked for another uid; it then sits
        // in the scratch directory's parent (root's sticky /tmp), since the
        // scratch directory, ours, would fail that uid's ancestor rule
        // first. As root: the link handed to another uid (lchown), walked
        // for root.
        let b = scratch();
        std::fs::create_dir(b.join("target")).unwrap();
        let (link, owner, walker) = if uid() == 0 {
            let link = b.join("link");
            symlink(b.join("target"), &link).unwrap();
            let other = 54_321;
            std::os::unix::fs::lchown(&link, Some(other), None).unwrap();
            (link, other, 0)
        } else {
            let link = PathBuf::from(format!("{}.link", b.display()));
            symlink(b.join("target"), &link).unwrap();
            (link, uid(), uid() + 1)
        };
        for p in [link.clone(), link.join(".")] {
            let e = chase(&RealFs, &p, walker).unwrap_err();
            assert_eq!(
                e.problem,
                Problem::Unsafe(Unsafe::ForeignLink {
                    link: link.clone(),
                    owner
                }),
                "{}",
                p.display()
            );
        }
        // The same link is followed for its owner.
        let followed = chase(&RealFs, &link, owner).map(|r| r.1.kind());
        if uid() != 0 {
            let _ = std::fs::remove_file(&link);
        }
        assert_eq!(followed.unwrap(), Kind::Dir);
    }

    #[test]
    fn chase_stat_is_of_the_object_reached() {
        use std::os::unix::fs::MetadataExt;
        let b = scratch();
        std::fs::create_dir_all(b.join("a/b")).unwrap();
        symlink("/", b.join("root")).unwrap();
        symlink("a/b", b.join("rel")).unwrap();
        std::fs::write(b.join("a/f"), "").unwrap();
        for p in [
            Path::new("/"),
            &b,
            &b.join("root"),
            &b.join("rel"),
            &b.join("a/b/.."),
            &b.join("a/f"),
        ] {
            let (_, st) = chase(&RealFs, p, uid()).unwrap();
            let m = std::fs::metadata(p).unwrap();
            assert_eq!(
                (st.dev, st.ino, st.mode),
                (m.dev(), m.ino(), m.mode()),
                "{}",
                p.display()
            );
        }
    }
}
