//! A scripted filesystem for unit tests: an in-memory tree behind the
//! effects interface, where a test can make something happen just before the
//! n-th call of an effect (a rename between verify and confirm, a full disk),
//! so races and faults are deterministic and need no root.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Component, Path};

use nix::errno::Errno;
use nix::sys::stat::SFlag;

use crate::engine::effects::{Fs, Handle};
use crate::engine::fsinfo::FsInfo;
use crate::engine::hang::NoAnswer;
use crate::engine::identity::Passwd;
use crate::engine::mounts::{Accepted, Foreign};
use crate::engine::privdir::Stat;
use crate::engine::probe::{ProbeError, Step};

const ROOT: u64 = 1;

#[derive(Debug, Clone)]
enum Content {
    Dir(BTreeMap<OsString, u64>),
    Link(Vec<u8>),
    File,
}

#[derive(Debug, Clone)]
struct Node {
    stat: Stat,
    content: Content,
}

type Hook = Box<dyn FnOnce(&Scripted)>;

/// The in-memory filesystem, its call log and its hooks.
pub struct Scripted {
    nodes: RefCell<BTreeMap<u64, Node>>,
    next: Cell<u64>,
    /// The uid that `mkdir_at` makes directories for.
    pub uid: u32,
    /// Each effect called, in order (`"mkdir_at alice"`, `"probe"`, ...).
    pub calls: RefCell<Vec<String>>,
    /// Lines sent to the system log.
    pub logged: RefCell<Vec<String>>,
    /// What the probe says; `Ok` unless a test sets it.
    pub probe_result: Cell<Result<(), ProbeError>>,
    /// What `mkdir_at` fails with, when a test sets it.
    pub mkdir_error: Cell<Option<Errno>>,
    hooks: RefCell<Vec<(String, usize, Option<Hook>)>>,
    counts: RefCell<BTreeMap<String, usize>>,
    users: Vec<(&'static str, u32)>,
}

/// One filesystem, one link each, no mounts.
fn stat(ino: u64, uid: u32, mode: u32) -> Stat {
    Stat {
        dev: 1,
        ino,
        uid,
        mode,
        nlink: 1,
        mnt_id: None,
        mnt_id_unique: false,
        mount_root: Some(false),
    }
}

fn dir_mode(mode: u32) -> u32 {
    SFlag::S_IFDIR.bits() | mode
}

impl Scripted {
    /// `/` (root's, 0755) and `/tmp` (root's, 1777), for `uid`.
    pub fn new(uid: u32) -> Scripted {
        let fs = Scripted {
            nodes: RefCell::new(BTreeMap::new()),
            next: Cell::new(ROOT + 1),
            uid,
            calls: RefCell::default(),
            logged: RefCell::default(),
            probe_result: Cell::new(Ok(())),
            mkdir_error: Cell::new(None),
            hooks: RefCell::default(),
            counts: RefCell::default(),
            users: vec![("root", 0), ("alice", 1000), ("mallory", 2000)],
        };
        fs.nodes.borrow_mut().insert(
            ROOT,
            Node {
                stat: stat(ROOT, 0, dir_mode(0o755)),
                content: Content::Dir(BTreeMap::new()),
            },
        );
        fs.mkdir("/tmp", 0, 0o1777);
        fs
    }

    /// Run `hook` just before the `nth` (1-based) call of the effect `op`.
    pub fn before(&self, op: &str, nth: usize, hook: impl FnOnce(&Scripted) + 'static) {
        self.hooks
            .borrow_mut()
            .push((op.to_owned(), nth, Some(Box::new(hook))));
    }

    /// Count a call of `op` and run the hooks due now.
    fn event(&self, op: &str, detail: &OsStr) {
        let n = {
            let mut counts = self.counts.borrow_mut();
            let n = counts.entry(op.to_owned()).or_default();
            *n += 1;
            *n
        };
        let due: Vec<Hook> = self
            .hooks
            .borrow_mut()
            .iter_mut()
            .filter(|(o, k, _)| o == op && *k == n)
            .filter_map(|(_, _, h)| h.take())
            .collect();
        for hook in due {
            hook(self);
        }
        let mut line = op.to_owned();
        if !detail.is_empty() {
            line.push(' ');
            line.push_str(&detail.to_string_lossy());
        }
        self.calls.borrow_mut().push(line);
    }

    /// How many times `op` was called.
    pub fn count(&self, op: &str) -> usize {
        self.counts.borrow().get(op).copied().unwrap_or(0)
    }

    fn add(&self, parent: u64, name: &OsStr, uid: u32, mode: u32, content: Content) -> u64 {
        let ino = self.next.get();
        self.next.set(ino + 1);
        let mut nodes = self.nodes.borrow_mut();
        nodes.insert(
            ino,
            Node {
                stat: stat(ino, uid, mode),
                content,
            },
        );
        match &mut nodes.get_mut(&parent).expect("parent exists").content {
            Content::Dir(children) => children.insert(name.to_owned(), ino),
            _ => panic!("parent is not a directory"),
        };
        ino
    }

    /// The inode at an absolute path, not following symlinks (tests only spell real paths).
    fn lookup(&self, path: &str) -> Option<u64> {
        let nodes = self.nodes.borrow();
        let mut at = ROOT;
        for c in Path::new(path).components() {
            if let Component::Normal(name) = c {
                match &nodes.get(&at)?.content {
                    Content::Dir(children) => at = *children.get(name)?,
                    _ => return None,
                }
            }
        }
        Some(at)
    }

    fn split(path: &str) -> (&str, &OsStr) {
        let p = Path::new(path);
        (
            p.parent().and_then(Path::to_str).unwrap_or("/"),
            p.file_name().expect("a name"),
        )
    }

    /// Make a directory (its parent must exist).
    pub fn mkdir(&self, path: &str, uid: u32, mode: u32) {
        let (parent, name) = Scripted::split(path);
        let parent = self.lookup(parent).expect("parent exists");
        self.add(
            parent,
            name,
            uid,
            dir_mode(mode),
            Content::Dir(BTreeMap::new()),
        );
    }

    /// Make a symlink.
    pub fn symlink(&self, path: &str, target: &str, uid: u32) {
        let (parent, name) = Scripted::split(path);
        let parent = self.lookup(parent).expect("parent exists");
        let link = Content::Link(target.as_bytes().to_vec());
        self.add(parent, name, uid, SFlag::S_IFLNK.bits() | 0o777, link);
    }

    /// Make a regular file.
    pub fn file(&self, path: &str, uid: u32) {
        let (parent, name) = Scripted::split(path);
        let parent = self.lookup(parent).expect("parent exists");
        self.add(
            parent,
            name,
            uid,
            SFlag::S_IFREG.bits() | 0o644,
            Content::File,
        );
    }

    /// Remove a name (whatever it is; the inode lives on for open handles).
    pub fn remove(&self, path: &str) {
        let (parent, name) = Scripted::split(path);
        let parent = self.lookup(parent).expect("parent exists");
        if let Content::Dir(children) =
            &mut self.nodes.borrow_mut().get_mut(&parent).unwrap().content
        {
            children.remove(name);
        }
    }

    /// Move a name within its directory.
    pub fn rename(&self, from: &str, to: &str) {
        let ino = self.lookup(from).expect("source exists");
        self.remove(from);
        let (parent, name) = Scripted::split(to);
        let parent = self.lookup(parent).expect("parent exists");
        if let Content::Dir(children) =
            &mut self.nodes.borrow_mut().get_mut(&parent).unwrap().content
        {
            children.insert(name.to_owned(), ino);
        }
    }

    /// The stat at a path, if something is there.
    pub fn stat(&self, path: &str) -> Option<Stat> {
        let ino = self.lookup(path)?;
        self.nodes.borrow().get(&ino).map(|n| n.stat)
    }

    /// The names in a directory.
    pub fn names(&self, path: &str) -> Vec<String> {
        let ino = self.lookup(path).expect("exists");
        match &self.nodes.borrow()[&ino].content {
            Content::Dir(c) => c.keys().map(|k| k.to_string_lossy().into_owned()).collect(),
            _ => Vec::new(),
        }
    }

    fn node(&self, h: &Handle) -> Result<Node, Errno> {
        let Handle::Fake(ino) = h else {
            return Err(Errno::EBADF);
        };
        self.nodes.borrow().get(ino).cloned().ok_or(Errno::EBADF)
    }

    fn child(&self, dir: &Handle, name: &OsStr) -> Result<u64, Errno> {
        match self.node(dir)?.content {
            Content::Dir(children) => children.get(name).copied().ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }
}

impl Fs for Scripted {
    fn root(&self) -> Result<Handle, Errno> {
        self.event("root", OsStr::new(""));
        Ok(Handle::Fake(ROOT))
    }

    fn open_at(&self, dir: &Handle, name: &OsStr, dir_only: bool) -> Result<Handle, Errno> {
        self.event("open_at", name);
        if name == ".." || name == "." {
            return Err(Errno::EINVAL);
        }
        let ino = self.child(dir, name)?;
        let node = self.nodes.borrow()[&ino].clone();
        match node.content {
            Content::Link(_) if dir_only => Err(Errno::ELOOP),
            Content::Dir(_) | Content::Link(_) => Ok(Handle::Fake(ino)),
            Content::File if dir_only => Err(Errno::ENOTDIR),
            Content::File => Ok(Handle::Fake(ino)),
        }
    }

    fn fstat(&self, h: &Handle) -> Result<Stat, Errno> {
        self.event("fstat", OsStr::new(""));
        Ok(self.node(h)?.stat)
    }

    fn fresh_stat(&self, h: &Handle) -> Result<Stat, Errno> {
        self.event("fresh_stat", OsStr::new(""));
        Ok(self.node(h)?.stat)
    }

    fn on_procfs(&self, _h: &Handle) -> bool {
        false
    }

    fn mount(&self, _root: &Stat, _uid: u32) -> Result<Accepted, Foreign> {
        // One filesystem, no mounts.
        Ok(Accepted::Kernel)
    }

    fn lstat_at(&self, dir: &Handle, name: &OsStr) -> Result<Stat, Errno> {
        self.event("lstat_at", name);
        let ino = self.child(dir, name)?;
        Ok(self.nodes.borrow()[&ino].stat)
    }

    fn readlink(&self, link: &Handle) -> Result<Vec<u8>, Errno> {
        self.event("readlink", OsStr::new(""));
        match self.node(link)?.content {
            Content::Link(t) => Ok(t),
            _ => Err(Errno::EINVAL),
        }
    }

    fn open_record(&self, _dir: &Handle, name: &OsStr) -> Result<std::fs::File, Errno> {
        self.event("open_record", name);
        Err(Errno::ENOSYS)
    }

    fn rmdir_at(&self, dir: &Handle, name: &OsStr) -> Result<(), Errno> {
        self.event("rmdir_at", name);
        let ino = self.child(dir, name)?;
        let Handle::Fake(parent) = dir else {
            return Err(Errno::EBADF);
        };
        let mut nodes = self.nodes.borrow_mut();
        match &nodes[&ino].content {
            Content::Dir(c) if c.is_empty() => {}
            Content::Dir(_) => return Err(Errno::ENOTEMPTY),
            _ => return Err(Errno::ENOTDIR),
        }
        if let Content::Dir(children) = &mut nodes.get_mut(parent).unwrap().content {
            children.remove(name);
        }
        Ok(())
    }

    fn mkdir_at(&self, dir: &Handle, name: &OsStr, mode: u32) -> Result<(), Errno> {
        self.event("mkdir_at", name);
        if let Some(e) = self.mkdir_error.get() {
            return Err(e);
        }
        let Handle::Fake(parent) = dir else {
            return Err(Errno::EBADF);
        };
        match self.child(dir, name) {
            Ok(_) => Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {
                self.add(
                    *parent,
                    name,
                    self.uid,
                    dir_mode(mode),
                    Content::Dir(BTreeMap::new()),
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn chmod(&self, h: &Handle, mode: u32) -> Result<(), Errno> {
        self.event("chmod", OsStr::new(""));
        let Handle::Fake(ino) = h else {
            return Err(Errno::EBADF);
        };
        let mut nodes = self.nodes.borrow_mut();
        let node = nodes.get_mut(ino).ok_or(Errno::EBADF)?;
        node.stat.mode = (node.stat.mode & !0o7777) | mode;
        Ok(())
    }

    fn probe(&self, dir: &Handle) -> Result<(), ProbeError> {
        self.event("probe", OsStr::new(""));
        self.node(dir).map_err(|errno| ProbeError {
            step: Step::Create,
            errno,
        })?;
        self.probe_result.get()
    }

    fn probe_path(&self, _dir: &Path) -> Result<(), ProbeError> {
        self.event("probe_path", OsStr::new(""));
        self.probe_result.get()
    }

    fn can_create_in(&self, _dir: &Handle) -> Result<(), Errno> {
        self.event("can_create_in", OsStr::new(""));
        // What makes mkdir_at fail makes a dry run's creation fail too.
        self.mkdir_error.get().map_or(Ok(()), Err)
    }

    fn log(&self, msg: &str) -> bool {
        self.event("log", OsStr::new(""));
        self.logged.borrow_mut().push(msg.to_owned());
        true
    }

    fn passwd(&self) -> &dyn Passwd {
        self
    }

    fn fs_info(&self, _dir: &Path) -> Result<FsInfo, Errno> {
        Err(Errno::ENOSYS)
    }

    fn free_bytes(&self, _dir: &Handle) -> Result<u64, Errno> {
        // The scripted world has room everywhere.
        Ok(u64::MAX)
    }
}

impl Passwd for Scripted {
    fn uid_of(&self, name: &str) -> Result<Option<u32>, NoAnswer> {
        Ok(self.users.iter().find(|u| u.0 == name).map(|u| u.1))
    }
    fn name_of(&self, uid: u32) -> Result<Option<String>, NoAnswer> {
        Ok(self
            .users
            .iter()
            .find(|u| u.1 == uid)
            .map(|u| u.0.to_owned()))
    }
}
