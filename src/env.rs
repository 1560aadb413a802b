//! The snapshot of the process's world: read once, passed everywhere after.

use std::ffi::OsString;
use std::path::PathBuf;

/// Variables whose presence means "this process runs inside a batch job".
pub const JOB_MARKERS: &[&str] = &[
    "SLURM_JOB_ID",
    "PBS_JOBID",
    "LSB_JOBID",
    "_CONDOR_SCRATCH_DIR",
    "FLUX_JOB_ID",
];

/// What the process was given: environment and uid, read once.
///
/// Tests build this directly instead of mutating the real environment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The real uid (`getuid()`).
    pub uid: u32,
    /// `$USER`, unchecked.
    pub user: Option<OsString>,
    /// `$TMPDIR`, `$TMP`, `$TEMP` as set (possibly empty).
    pub tmpdir: Option<OsString>,
    pub tmp: Option<OsString>,
    pub temp: Option<OsString>,
    /// `$TMPGUARD_BASE`.
    pub base_env: Option<OsString>,
    /// The first batch-job marker that is set, if any.
    pub job: Option<&'static str>,
    /// The job's id, for per-job directories (read only inside a job).
    pub job_id: Option<crate::jobdir::JobId>,
}

impl Snapshot {
    /// Read the real process environment.
    pub fn read() -> Self {
        let var = |name: &str| std::env::var_os(name);
        let job = JOB_MARKERS
            .iter()
            .copied()
            .find(|m| std::env::var_os(m).is_some());
        Snapshot {
            uid: nix::unistd::getuid().as_raw(),
            user: var("USER"),
            tmpdir: var("TMPDIR"),
            tmp: var("TMP"),
            temp: var("TEMP"),
            base_env: var("TMPGUARD_BASE"),
            job,
            job_id: job.and_then(|_| crate::jobdir::JobId::from_env(var)),
        }
    }

    /// The configured base: `--base` wins over `TMPGUARD_BASE`; empty means unset.
    pub fn configured_base(&self, flag: Option<&PathBuf>) -> Option<OsString> {
        flag.map(|p| p.clone().into_os_string())
            .or_else(|| self.base_env.clone())
            .filter(|v| !v.is_empty())
    }
}
