//! The effects of a dry run: read for real, pretend to write.
//!
//! doctor runs the engine over this to learn what `init` would do. A
//! directory `mkdirat` would make (where the real permissions allow it) is a
//! stand-in, private to the uid with the mode asked for; `chmod` and the
//! system log are skipped; CPython's probe runs for real in directories that
//! exist (it leaves nothing behind), and passes in stand-ins.

use std::cell::{Cell, RefCell};
use std::ffi::{OsStr, OsString};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::stat::SFlag;

use crate::engine::effects::{Fs, Handle};
use crate::engine::fsinfo::FsInfo;
use crate::engine::identity::Passwd;
use crate::engine::mounts::{Accepted, Foreign};
use crate::engine::privdir::Stat;
use crate::engine::probe::ProbeError;

/// A directory the dry run pretends to have made.
#[derive(Debug)]
struct Made {
    /// The directory it is in: (dev, ino), or a stand-in's id.
    parent: (u64, u64),
    name: OsString,
    stat: Stat,
}

/// `st_dev` of stand-ins: no real filesystem has it.
const FAKE_DEV: u64 = u64::MAX;
/// Stand-ins' handles count from here (a test double's own handles stay below).
const FIRST_ID: u64 = 1 << 62;

/// A directory this dry run pretends to have made.
fn stand_in(h: &Handle) -> Option<u64> {
    match h {
        Handle::Fake(id) if *id >= FIRST_ID => Some(*id),
        _ => None,
    }
}

/// Real reads, pretended writes.
pub struct DryRun<'a> {
    real: &'a dyn Fs,
    uid: u32,
    made: RefCell<Vec<Made>>,
    next: Cell<u64>,
    /// What the system log would have been told.
    pub logged: RefCell<Vec<String>>,
}

impl<'a> DryRun<'a> {
    pub fn new(real: &'a dyn Fs, uid: u32) -> DryRun<'a> {
        DryRun {
            real,
            uid,
            made: RefCell::new(Vec::new()),
            next: Cell::new(FIRST_ID),
            logged: RefCell::new(Vec::new()),
        }
    }

    /// The identity of a directory, to find what was made in it.
    fn key(&self, dir: &Handle) -> Result<(u64, u64), Errno> {
        match stand_in(dir) {
            Some(id) => Ok((FAKE_DEV, id)),
            None => self.real.fstat(dir).map(|st| (st.dev, st.ino)),
        }
    }

    /// A stand-in made as `name` in `dir`, if any.
    fn made_at(&self, dir: &Handle, name: &OsStr) -> Result<Option<Stat>, Errno> {
        if self.made.borrow().is_empty() {
            return Ok(None);
        }
        let key = self.key(dir)?;
        Ok(self
            .made
            .borrow()
            .iter()
            .find(|m| m.parent == key && m.name == name)
            .map(|m| m.stat))
    }
}

impl Fs for DryRun<'_> {
    fn root(&self) -> Result<Handle, Errno> {
        self.real.root()
    }

    fn open_at(&self, dir: &Handle, name: &OsStr, dir_only: bool) -> Result<Handle, Errno> {
        if let Some(st) = self.made_at(dir, name)? {
            return Ok(Handle::Fake(st.ino));
        }
        match stand_in(dir) {
            // A stand-in is empty.
            Some(_) => Err(Errno::ENOENT),
            None => self.real.open_at(dir, name, dir_only),
        }
    }

    fn fstat(&self, h: &Handle) -> Result<Stat, Errno> {
        match stand_in(h) {
            Some(id) => self
                .made
                .borrow()
                .iter()
                .find(|m| m.stat.ino == id)
                .map(|m| m.stat)
                .ok_or(Errno::EBADF),
            None => self.real.fstat(h),
        }
    }

    fn fresh_stat(&self, h: &Handle) -> Result<Stat, Errno> {
        match stand_in(h) {
            Some(_) => self.fstat(h),
            None => self.real.fresh_stat(h),
        }
    }

    fn on_procfs(&self, h: &Handle) -> bool {
        stand_in(h).is_none() && self.real.on_procfs(h)
    }

    fn mount(&self, root: &Stat, uid: u32) -> Result<Accepted, Foreign> {
        match root.dev {
            // A stand-in is on its parent's filesystem.
            FAKE_DEV => Ok(Accepted::Kernel),
            _ => self.real.mount(root, uid),
        }
    }

    fn lstat_at(&self, dir: &Handle, name: &OsStr) -> Result<Stat, Errno> {
        if let Some(st) = self.made_at(dir, name)? {
            return Ok(st);
        }
        match stand_in(dir) {
            Some(_) => Err(Errno::ENOENT),
            None => self.real.lstat_at(dir, name),
        }
    }

    fn readlink(&self, link: &Handle) -> Result<Vec<u8>, Errno> {
        self.real.readlink(link)
    }

    /// An existing record, read-only (a dry run makes none, and writing to
    /// this one fails quietly); none in a stand-in.
    fn open_record(&self, dir: &Handle, name: &OsStr) -> Result<std::fs::File, Errno> {
        use nix::fcntl::{OFlag, openat};
        if stand_in(dir).is_some() {
            return Err(Errno::ENOSYS);
        }
        let flags = OFlag::O_RDONLY
            | OFlag::O_NOFOLLOW
            | OFlag::O_NONBLOCK
            | OFlag::O_NOCTTY
            | OFlag::O_CLOEXEC;
        openat(dir.fd()?, name, flags, nix::sys::stat::Mode::empty())
            .map(std::fs::File::from)
            .map_err(|e| if e == Errno::ENOENT { Errno::ENOSYS } else { e })
    }

    fn rmdir_at(&self, dir: &Handle, name: &OsStr) -> Result<(), Errno> {
        // Only what this dry run pretended to make can be taken back.
        let parent = self.key(dir)?;
        let mut made = self.made.borrow_mut();
        let at = made
            .iter()
            .position(|m| m.parent == parent && m.name == name);
        at.map(|i| made.remove(i)).map(drop).ok_or(Errno::ENOENT)
    }

    fn mkdir_at(&self, dir: &Handle, name: &OsStr, mode: u32) -> Result<(), Errno> {
        // What mkdirat would say: EEXIST for any object at the name, else the
        // directory's permissions decide.
        match self.lstat_at(dir, name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        self.can_create_in(dir)?;
        let id = self.next.get();
        self.next.set(id + 1);
        let parent = self.key(dir)?;
        self.made.borrow_mut().push(Made {
            parent,
            name: name.to_owned(),
            stat: Stat {
                dev: FAKE_DEV,
                ino: id,
                uid: self.uid,
                mode: SFlag::S_IFDIR.bits() | (mode & 0o7777),
                nlink: 2,
                mnt_id: None,
                mnt_id_unique: false,
                // Not a mount's root: no mount is judged at a stand-in.
                mount_root: Some(false),
            },
        });
        Ok(())
    }

    fn chmod(&self, h: &Handle, mode: u32) -> Result<(), Errno> {
        if let Handle::Fake(id) = h {
            for m in self
                .made
                .borrow_mut()
                .iter_mut()
                .filter(|m| m.stat.ino == *id)
            {
                m.stat.mode = (m.stat.mode & !0o7777) | (mode & 0o7777);
            }
        }
        Ok(())
    }

    fn probe(&self, dir: &Handle) -> Result<(), ProbeError> {
        match stand_in(dir) {
            Some(_) => Ok(()),
            None => self.real.probe(dir),
        }
    }

    fn probe_path(&self, dir: &Path) -> Result<(), ProbeError> {
        self.real.probe_path(dir)
    }

    fn can_create_in(&self, dir: &Handle) -> Result<(), Errno> {
        match stand_in(dir) {
            Some(_) => Ok(()),
            None => self.real.can_create_in(dir),
        }
    }

    fn log(&self, msg: &str) -> bool {
        self.logged.borrow_mut().push(msg.to_owned());
        false
    }

    fn passwd(&self) -> &dyn Passwd {
        self.real.passwd()
    }

    fn fs_info(&self, dir: &Path) -> Result<FsInfo, Errno> {
        self.real.fs_info(dir)
    }

    fn free_bytes(&self, dir: &Handle) -> Result<u64, Errno> {
        self.real.free_bytes(dir)
    }
}
