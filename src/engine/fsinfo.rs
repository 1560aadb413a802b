//! The filesystem under a directory: type and mount from `/proc/self/mountinfo`,
//! space, inodes and flags from `statvfs`. For `doctor` only.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::statvfs::{FsFlags, statvfs};

pub use crate::engine::mounts::{Mount, is_network_type, parse_mountinfo};

/// `sun_path` holds 108 bytes on Linux, one of them the terminating NUL.
pub const SOCKET_PATH_MAX: usize = 107;

/// A tool that binds a Unix socket under `$TMPDIR`, and what it appends.
/// (Not ssh-agent, which is setgid on Debian and so never sees `TMPDIR`, nor
/// tmux, which reads `TMUX_TMPDIR`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketTool {
    pub name: &'static str,
    /// What it puts there, for the report.
    pub what: &'static str,
    /// Bytes it appends to the directory's path.
    pub extra: usize,
}

impl SocketTool {
    /// The longest directory it works in.
    pub fn max_dir(&self) -> usize {
        SOCKET_PATH_MAX.saturating_sub(self.extra)
    }
    /// It works with sockets under `dir`.
    pub fn fits(&self, dir: &Path) -> bool {
        dir.as_os_str().len() <= self.max_dir()
    }
}

/// The tools, each with its own margin.
pub fn socket_tools() -> Vec<SocketTool> {
    // PMIx names its rendezvous socket after the host; Linux host names are
    // at most 64 bytes.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim_end().len())
        .unwrap_or(64)
        .min(64);
    vec![
        // `/ssh-` and the 40 hex digits of %C; the master binds
        // `<ControlPath>.<16 random characters>` first, then renames it
        // (OpenSSH mux.c): 5 + 40 + 17.
        SocketTool {
            name: "ssh",
            what: "ControlPath=$TMPDIR/ssh-%C",
            extra: 62,
        },
        // multiprocessing's `/pymp-XXXXXXXX` directory, then
        // `/listener-XXXXXXXX` (checked against the real python3).
        SocketTool {
            name: "Python multiprocessing",
            what: "/pymp-XXXXXXXX/listener-XXXXXXXX",
            extra: 32,
        },
        // `/pmix.<host>.tool.<pid>` (pid up to 7 digits).
        SocketTool {
            name: "Open MPI/PMIx",
            what: "/pmix.<host>.tool.<pid>",
            extra: 1 + 5 + host + 6 + 7,
        },
    ]
}

/// What `doctor` reports about the filesystem holding a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsInfo {
    /// Filesystem type from mountinfo (`tmpfs`, `ext4`, `nfs4`, `lustre`, ...).
    pub fstype: Option<String>,
    /// Where it is mounted, and what is mounted there.
    pub mount_point: Option<PathBuf>,
    pub source: Option<String>,
    /// Bytes in total and available to an unprivileged user.
    pub size: u64,
    pub avail: u64,
    /// Inodes in total (0: the filesystem does not count them) and available.
    pub inodes: u64,
    pub inodes_avail: u64,
    pub read_only: bool,
    pub noexec: bool,
    pub nosuid: bool,
}

impl FsInfo {
    /// Available space as a percentage of the size (100 when the size is 0).
    pub fn avail_percent(&self) -> f64 {
        percent(self.avail, self.size)
    }
    /// Available inodes as a percentage, `None` when inodes are not counted.
    pub fn inodes_percent(&self) -> Option<f64> {
        (self.inodes > 0).then(|| percent(self.inodes_avail, self.inodes))
    }
    /// Shared between machines: files may be seen elsewhere, locks and sockets may misbehave.
    pub fn is_network(&self) -> bool {
        is_network_type(self.fstype.as_deref().unwrap_or_default())
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Whether every tool's socket fits under `dir`.
pub fn socket_room(dir: &Path) -> bool {
    socket_tools().iter().all(|t| t.fits(dir))
}

/// Look at the filesystem holding `dir` (following symlinks, as every program does).
pub fn inspect(dir: &Path) -> Result<FsInfo, Errno> {
    // A hung filesystem: not touched (doctor says so elsewhere).
    crate::engine::hang::check_path(dir).map_err(|_| Errno::ETIMEDOUT)?;
    let vfs = statvfs(dir)?;
    let frag = vfs.fragment_size() as u64;
    let flags = vfs.flags();
    let mount = std::fs::read("/proc/self/mountinfo")
        .ok()
        .and_then(|text| mount_of(dir, &parse_mountinfo(&text)).cloned());
    Ok(FsInfo {
        fstype: mount.as_ref().map(|m| m.fstype.clone()),
        mount_point: mount.as_ref().map(|m| m.point.clone()),
        source: mount.as_ref().map(|m| m.source.clone()),
        size: vfs.blocks() as u64 * frag,
        avail: vfs.blocks_available() as u64 * frag,
        inodes: vfs.files() as u64,
        inodes_avail: vfs.files_available() as u64,
        read_only: flags.contains(FsFlags::ST_RDONLY),
        noexec: flags.contains(FsFlags::ST_NOEXEC),
        nosuid: flags.contains(FsFlags::ST_NOSUID),
    })
}

/// The mount `dir` is on: the longest mount point that is a prefix of its real
/// path, preferring one whose device matches and, on ties, the last (the one on top).
pub fn mount_of<'a>(dir: &Path, mounts: &'a [Mount]) -> Option<&'a Mount> {
    let real = std::fs::canonicalize(dir).ok()?;
    let dev = std::fs::metadata(&real).ok()?.dev();
    let under = |m: &&Mount| real.starts_with(&m.point);
    let longest = |candidates: Vec<&'a Mount>| {
        candidates
            .into_iter()
            .rev()
            .max_by_key(|m| m.point.as_os_str().as_bytes().len())
    };
    longest(
        mounts
            .iter()
            .filter(under)
            .filter(|m| m.dev == dev)
            .collect(),
    )
    .or_else(|| longest(mounts.iter().filter(under).collect()))
}

/// A byte count for people: `512 B`, `3.2 MiB`, `1.5 TiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ if v < 10.0 => format!("{v:.1} {}", UNITS[unit]),
        _ => format!("{v:.0} {}", UNITS[unit]),
    }
}

/// A count for people: `950`, `12k`, `3.1M`.
pub fn human_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"22 27 0:21 / /proc rw,relatime - proc proc rw\n\
27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
40 27 0:35 / /tmp rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=1024k\n\
41 40 0:36 / /tmp/with\\040space rw - nfs4 server:/export rw\n\
42 27 0:37 / /tmp rw - tmpfs other rw\n";

    #[test]
    fn parses_fields_and_escapes() {
        let m = parse_mountinfo(SAMPLE);
        assert_eq!(m.len(), 5);
        assert_eq!(m[1].fstype, "ext4");
        assert_eq!(m[1].source, "/dev/sda1");
        assert_eq!(m[2].dev, nix::sys::stat::makedev(0, 35));
        assert_eq!(m[3].point, Path::new("/tmp/with space"));
        assert_eq!(m[3].fstype, "nfs4");
        assert_eq!((m[2].id, m[2].super_opts.as_str()), (40, "rw,size=1024k"));
    }

    #[test]
    fn finds_the_mount_of_a_real_directory() {
        let text = std::fs::read("/proc/self/mountinfo").unwrap();
        let mounts = parse_mountinfo(&text);
        assert_eq!(
            mount_of(Path::new("/"), &mounts).unwrap().point,
            Path::new("/")
        );
        assert_eq!(
            mount_of(Path::new("/proc/self"), &mounts).unwrap().fstype,
            "proc"
        );
    }

    #[test]
    fn inspects_root() {
        let info = inspect(Path::new("/proc")).unwrap();
        assert_eq!(info.fstype.as_deref(), Some("proc"));
        assert_eq!(
            inspect(Path::new("/nonexistent/x")).unwrap_err(),
            Errno::ENOENT
        );
    }

    #[test]
    fn socket_room_counts_bytes_per_tool() {
        let dir = |n: usize| PathBuf::from(format!("/{}", "a".repeat(n - 1)));
        let tools = socket_tools();
        let ssh = tools.iter().find(|t| t.name == "ssh").unwrap();
        let py = tools.iter().find(|t| t.name.starts_with("Python")).unwrap();
        // ssh's ControlPath=$TMPDIR/ssh-%C: up to 45 bytes; Python: up to 75.
        assert!(ssh.fits(&dir(45)) && !ssh.fits(&dir(46)));
        assert!(py.fits(&dir(75)) && !py.fits(&dir(76)));
        assert!(socket_room(Path::new("/tmp/alice")));
        assert!(!socket_room(&dir(46)));
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes(200 << 30), "200 GiB");
        assert_eq!(human_count(4096), "4096");
        assert_eq!(human_count(123_456), "123k");
    }
}
