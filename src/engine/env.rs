//! The snapshot of the process's world: read once, passed everywhere after.

use std::ffi::OsString;

use crate::engine::scheduler::{self, Scheduler};

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
    /// `$XDG_RUNTIME_DIR` as set (possibly empty).
    pub runtime_dir: Option<OsString>,
    /// The batch system this process runs a job of, if any.
    pub job: Option<&'static Scheduler>,
    /// The job's id, for per-job directories (read only inside a job).
    pub job_id: Option<crate::engine::jobdir::JobId>,
    /// The site configuration file, as read (default: none).
    pub site: crate::config::Site,
}

impl Snapshot {
    /// Read the real process environment.
    pub fn read() -> Self {
        let var = |name: &str| std::env::var_os(name);
        Snapshot {
            uid: nix::unistd::getuid().as_raw(),
            user: var("USER"),
            tmpdir: var("TMPDIR"),
            tmp: var("TMP"),
            temp: var("TEMP"),
            base_env: var("TMPGUARD_BASE"),
            runtime_dir: var("XDG_RUNTIME_DIR"),
            job: scheduler::detect(|m| std::env::var_os(m).is_some()),
            job_id: None,
            site: crate::config::Site::load(),
        }
        .with_job_id(var)
    }

    /// The job's id, looked up only inside a job.
    fn with_job_id(mut self, var: impl Fn(&str) -> Option<OsString>) -> Self {
        if self.job.is_some() {
            self.job_id = crate::engine::jobdir::JobId::from_env(var);
        }
        self
    }
}
