//! Per-job directories: `<target>/job.<id>`, made as the user by the same
//! engine as the target, with a marker that `tmpguard clean` recognises.
//!
//! The job part of the name is the scheduler's job id, made safe for a file
//! name (see [`file_part`]). The name is only for people: `clean` never
//! recomputes it, it trusts the marker file inside a directory of the uid.

use std::ffi::{OsStr, OsString};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::fcntl::{OFlag, openat};
use nix::sys::stat::Mode;

use crate::engine::ensure::DirKind;

/// The marker file tmpguard leaves in every job directory it makes.
pub const MARKER: &str = ".tmpguard-job";

/// The file a user touches in a job directory to keep it after the job.
pub const KEEP: &str = ".keep";

/// The first line of a marker.
const MAGIC: &str = "tmpguard job 1";

/// Longest file-name part of a job id, in bytes (names stay well under 255).
const MAX_PART: usize = 200;

/// A batch job this process runs in, as the scheduler names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobId {
    /// `slurm`, `pbs`, `lsf` or `flux`.
    pub scheduler: &'static str,
    /// The id as the scheduler's epilog sees it (the marker holds this).
    pub raw: Vec<u8>,
}

impl JobId {
    /// The job's id from the environment, for schedulers whose jobs have one
    /// an epilog can match. HTCondor gives every job its own scratch
    /// directory (and TMPDIR) already: none here.
    pub fn from_env(get: impl Fn(&str) -> Option<OsString>) -> Option<JobId> {
        let val = |n: &str| {
            get(n)
                .map(|v| v.as_bytes().to_vec())
                .filter(|v| !v.is_empty())
        };
        let job = |scheduler, raw| Some(JobId { scheduler, raw });
        // Each Slurm array element has its own SLURM_JOB_ID, which is also
        // what the Epilog gets: no array index needed.
        if let Some(id) = val("SLURM_JOB_ID") {
            return job("slurm", id);
        }
        if let Some(id) = val("PBS_JOBID") {
            return job("pbs", id);
        }
        if let Some(mut id) = val("LSB_JOBID") {
            // Array elements share LSB_JOBID; LSF writes them `ID[INDEX]`.
            if let Some(ix) = val("LSB_JOBINDEX").filter(|i| i != b"0") {
                id.push(b'[');
                id.extend(ix);
                id.push(b']');
            }
            return job("lsf", id);
        }
        if let Some(id) = val("FLUX_JOB_ID") {
            return job("flux", id);
        }
        None
    }

    /// `job.<part>`, or `None` when the id cannot make a name (too long).
    pub fn dir_name(&self) -> Option<OsString> {
        let part = file_part(self.scheduler, &self.raw)?;
        Some(OsString::from(format!("job.{part}")))
    }

    /// What the marker file holds.
    pub fn marker(&self) -> Vec<u8> {
        let mut m = format!("{MAGIC}\nscheduler={}\nid=", self.scheduler).into_bytes();
        m.extend(self.raw.iter().map(|&b| if b == b'\n' { b'?' } else { b }));
        m.push(b'\n');
        m
    }
}

/// The job id a marker names, if `text` is a marker.
pub fn marker_id(text: &[u8]) -> Option<&[u8]> {
    let mut lines = text.split(|&b| b == b'\n');
    if lines.next()? != MAGIC.as_bytes() {
        return None;
    }
    lines.find_map(|l| l.strip_prefix(b"id="))
}

/// The documented mapping from a job id to the part of the file name after `job.`:
/// - Flux ids in F58 (`ƒ2Uy6nWt`, or with an ASCII `f`) become their decimal value;
/// - LSF array elements are `ID_INDEX` (from `ID[INDEX]`);
/// - then every byte other than `A-Z a-z 0-9 . _ -` becomes `%XX` (upper-case
///   hex), `%` included, so different ids always give different names
///   (PBS `123[4].server` is `123%5B4%5D.server`).
///
/// `None` for an empty id or a result longer than 200 bytes.
pub fn file_part(scheduler: &str, raw: &[u8]) -> Option<String> {
    let decoded;
    let mut raw = raw;
    if scheduler == "flux" {
        if let Some(n) = f58_decode(raw) {
            decoded = n.to_string().into_bytes();
            raw = &decoded;
        }
    }
    let lsf;
    if scheduler == "lsf" {
        if let Some(open) = raw.iter().position(|&b| b == b'[') {
            if raw.ends_with(b"]") && raw[..open].iter().all(u8::is_ascii_digit) {
                let ix = &raw[open + 1..raw.len() - 1];
                if !ix.is_empty() && ix.iter().all(u8::is_ascii_digit) {
                    lsf = [&raw[..open], b"_", ix].concat();
                    raw = &lsf;
                }
            }
        }
    }
    if raw.is_empty() {
        return None;
    }
    let mut out = String::new();
    for &b in raw {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    (out.len() <= MAX_PART).then_some(out)
}

/// Flux's F58 job-id encoding (base 58, Bitcoin alphabet, after `ƒ` or `f`).
fn f58_decode(raw: &[u8]) -> Option<u64> {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let digits = raw
        .strip_prefix("ƒ".as_bytes())
        .or_else(|| raw.strip_prefix(b"f"))?;
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &c| {
        let d = ALPHABET.iter().position(|&a| a == c)? as u64;
        n.checked_mul(58)?.checked_add(d)
    })
}

/// A job directory, for the engine that makes private directories: like
/// TMPDIR's (0700, probed), but never a fallback (it is made in the user's
/// own directory, where nobody else can take a name).
pub const KIND: DirKind = DirKind {
    var: "TMPDIR",
    default_base: "/tmp",
    mode: 0o700,
    probe: true,
    fallback: false,
};

/// Create the marker in the job directory open as `dir`, unless a task of
/// the same job already did.
pub fn write_marker(dir: BorrowedFd<'_>, job: &JobId) -> Result<(), Errno> {
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = match openat(
        dir,
        OsStr::new(MARKER),
        flags,
        Mode::from_bits_truncate(0o400),
    ) {
        Ok(fd) => fd,
        // Another task of this job on this node made it first.
        Err(Errno::EEXIST) => return Ok(()),
        Err(e) => return Err(e),
    };
    let text = job.marker();
    let n = nix::unistd::write(&fd, &text)?;
    if n != text.len() {
        return Err(Errno::EIO);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    fn from(vars: &[(&str, &str)]) -> Option<JobId> {
        let m: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        JobId::from_env(|n| m.get(n).cloned())
    }

    fn name(vars: &[(&str, &str)]) -> Option<String> {
        from(vars)?
            .dir_name()
            .map(|n| n.to_string_lossy().into_owned())
    }

    #[test]
    fn names_for_every_scheduler() {
        assert_eq!(name(&[("SLURM_JOB_ID", "1234")]).unwrap(), "job.1234");
        assert_eq!(
            name(&[("PBS_JOBID", "123[4].pbs01.example.org")]).unwrap(),
            "job.123%5B4%5D.pbs01.example.org"
        );
        assert_eq!(
            name(&[("LSB_JOBID", "77"), ("LSB_JOBINDEX", "3")]).unwrap(),
            "job.77_3"
        );
        assert_eq!(
            name(&[("LSB_JOBID", "77"), ("LSB_JOBINDEX", "0")]).unwrap(),
            "job.77"
        );
        // ƒ + "2" is 1 in F58; the ASCII spelling decodes the same.
        assert_eq!(name(&[("FLUX_JOB_ID", "ƒ2")]).unwrap(), "job.1");
        assert_eq!(name(&[("FLUX_JOB_ID", "f2")]).unwrap(), "job.1");
        assert_eq!(name(&[("FLUX_JOB_ID", "ƒ0")]).unwrap(), "job.%C6%920");
        assert_eq!(
            name(&[("SLURM_JOB_ID", "../x/y %")]).unwrap(),
            "job...%2Fx%2Fy%20%25"
        );
        assert_eq!(name(&[("_CONDOR_SCRATCH_DIR", "/s")]), None);
        assert_eq!(name(&[("SLURM_JOB_ID", &"9".repeat(201))]), None);
    }

    #[test]
    fn mapping_is_injective_on_awkward_ids() {
        let ids = [
            "1", "1%", "1%25", "1[2]", "1_2", "1%5B2%5D", "a/b", "a%2Fb", "é", "%C3%A9",
        ];
        let names: std::collections::HashSet<_> =
            ids.iter().map(|i| file_part("pbs", i.as_bytes())).collect();
        assert_eq!(names.len(), ids.len());
    }

    #[test]
    fn marker_round_trip() {
        let j = from(&[("LSB_JOBID", "77"), ("LSB_JOBINDEX", "3")]).unwrap();
        assert_eq!(marker_id(&j.marker()), Some(&b"77[3]"[..]));
        assert_eq!(marker_id(b"id=5\n"), None);
    }

    #[test]
    fn marker_is_written_once() {
        use std::os::fd::AsFd;
        let b = crate::testutil::scratch("jobdir");
        let d = nix::fcntl::open(&b, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        let j = from(&[("SLURM_JOB_ID", "42")]).unwrap();
        write_marker(d.as_fd(), &j).unwrap();
        let other = from(&[("SLURM_JOB_ID", "43")]).unwrap();
        write_marker(d.as_fd(), &other).unwrap();
        let m = std::fs::read(Path::new(&b).join(MARKER)).unwrap();
        assert_eq!(marker_id(&m), Some(&b"42"[..]));
        std::fs::remove_dir_all(b).ok();
    }
}
