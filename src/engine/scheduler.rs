//! The batch schedulers tmpguard knows, in one table: how to tell a process
//! runs inside a job, the job's id, and the variable naming its own directory.
//! Adding a scheduler is one row here.

/// One batch system.
#[derive(Debug, PartialEq, Eq)]
pub struct Scheduler {
    /// Its name, as doctor shows it (and `job.scheduler` in `doctor --json`).
    pub name: &'static str,
    /// Set in every job of this system: the process runs inside a job.
    pub marker: &'static str,
    /// Variables holding the job's id (a `TMPDIR` naming it is the job's own).
    pub job_ids: &'static [&'static str],
    /// The variable naming the job's own temporary directory, if it has one.
    pub job_dir: Option<&'static str>,
}

/// The schedulers, in the order their markers are tried.
pub const SCHEDULERS: &[Scheduler] = &[
    Scheduler {
        name: "Slurm",
        marker: "SLURM_JOB_ID",
        job_ids: &["SLURM_JOB_ID"],
        job_dir: Some("SLURM_TMPDIR"),
    },
    Scheduler {
        name: "PBS",
        marker: "PBS_JOBID",
        job_ids: &["PBS_JOBID"],
        job_dir: None,
    },
    Scheduler {
        name: "LSF",
        marker: "LSB_JOBID",
        job_ids: &["LSB_JOBID"],
        job_dir: None,
    },
    Scheduler {
        name: "HTCondor",
        marker: "_CONDOR_SCRATCH_DIR",
        // HTCondor's marker is its job directory, not an id.
        job_ids: &[],
        job_dir: Some("_CONDOR_SCRATCH_DIR"),
    },
    Scheduler {
        name: "Flux",
        marker: "FLUX_JOB_ID",
        job_ids: &["FLUX_JOB_ID"],
        job_dir: Some("FLUX_JOB_TMPDIR"),
    },
];

/// Variables doctor shows though no scheduler sets them: sites' names for a
/// job's local disk.
pub const SITE_JOB_VARS: &[&str] = &["LOCAL_SCRATCH", "LOCALWORKDIR"];

/// Whether tmpguard reads `name` to tell it runs in a job (a marker, a job
/// id or a job's directory): a site may not have tmpguard set it.
pub fn reads(name: &str) -> bool {
    SCHEDULERS
        .iter()
        .any(|s| s.marker == name || s.job_ids.contains(&name) || s.job_dir == Some(name))
}

/// The scheduler whose marker `is_set` says is set, first in table order.
pub fn detect(is_set: impl Fn(&str) -> bool) -> Option<&'static Scheduler> {
    SCHEDULERS.iter().find(|s| is_set(s.marker))
}

/// Every variable doctor shows in its batch-job section: the markers, then the
/// job-directory variables not listed yet, then the sites' own.
pub fn shown_vars() -> Vec<&'static str> {
    let mut vars: Vec<&'static str> = SCHEDULERS.iter().map(|s| s.marker).collect();
    for s in SCHEDULERS {
        for v in s.job_ids.iter().copied().chain(s.job_dir) {
            if !vars.contains(&v) {
                vars.push(v);
            }
        }
    }
    vars.extend_from_slice(SITE_JOB_VARS);
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_vars_markers_first() {
        assert_eq!(
            shown_vars(),
            [
                "SLURM_JOB_ID",
                "PBS_JOBID",
                "LSB_JOBID",
                "_CONDOR_SCRATCH_DIR",
                "FLUX_JOB_ID",
                "SLURM_TMPDIR",
                "FLUX_JOB_TMPDIR",
                "LOCAL_SCRATCH",
                "LOCALWORKDIR",
            ]
        );
    }

    #[test]
    fn first_marker_wins() {
        let set = ["FLUX_JOB_ID", "PBS_JOBID"];
        assert_eq!(detect(|v| set.contains(&v)).unwrap().name, "PBS");
        assert!(detect(|_| false).is_none());
    }
}
