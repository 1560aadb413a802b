//! `/proc/self/mountinfo`: which filesystem a path is on, without touching
//! the path. Used by `hang` (is it one that may hang?) and by doctor.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

/// A filesystem type shared between machines.
pub fn is_network_type(t: &str) -> bool {
    [
        "nfs",
        "nfs4",
        "lustre",
        "gpfs",
        "beegfs",
        "cifs",
        "smb3",
        "ceph",
        "glusterfs",
        "panfs",
        "wekafs",
        "afs",
    ]
    .contains(&t)
        || (t.starts_with("fuse.") && ["sshfs", "gcsfuse", "s3fs"].iter().any(|f| t.ends_with(f)))
}

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// `st_dev` of files on it.
    pub dev: u64,
    pub point: PathBuf,
    pub fstype: String,
    pub source: String,
}

/// Parse mountinfo (`proc(5)`): `id parent major:minor root point opts [tags] - type source superopts`.
pub fn parse_mountinfo(text: &[u8]) -> Vec<Mount> {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            let sep = fields.iter().position(|f| *f == b"-")?;
            let (major, minor) = std::str::from_utf8(fields.get(2)?).ok()?.split_once(':')?;
            let dev = nix::sys::stat::makedev(major.parse().ok()?, minor.parse().ok()?);
            Some(Mount {
                dev,
                point: PathBuf::from(OsString::from_vec(unescape(fields.get(4)?))),
                fstype: String::from_utf8_lossy(&unescape(fields.get(sep + 1)?)).into_owned(),
                source: String::from_utf8_lossy(&unescape(fields.get(sep + 2)?)).into_owned(),
            })
        })
        .collect()
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let oct = field
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (field[i], oct) {
            (b'\\', Some(d)) => {
                out.push(d.iter().fold(0u8, |n, c| n.wrapping_mul(8) + (c - b'0')));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
