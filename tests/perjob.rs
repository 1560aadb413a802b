//! `--per-job` without a scheduler (tests/cluster.rs runs the real Slurm):
//! which inherited TMPDIR is replaced by the job's directory and which is
//! kept, the marker, several tasks at once, and nothing outside a job.

mod common;

#[test]
fn per_job_decisions() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let out = sb
        .run(
            r#"
p() { as alice env "$@" "$TG" init slurm --per-job 2>/dev/null | tr '\n' ' '; echo; }
echo "unset: $(p SLURM_JOB_ID=5)"
echo "login target: $(p SLURM_JOB_ID=5 TMPDIR=/tmp/alice)"
echo "same job: $(p SLURM_JOB_ID=5 TMPDIR=/tmp/alice/job.5)"
echo "old job: $(p SLURM_JOB_ID=6 TMPDIR=/tmp/alice/job.5)"
echo "shared: $(p SLURM_JOB_ID=7 TMPDIR=/tmp)"
mkdir -m 700 /var/tmp/site.8 && chown alice /var/tmp/site.8
echo "site dir kept: $(p SLURM_JOB_ID=8 TMPDIR=/var/tmp/site.8)"
echo "pbs: $(p 'PBS_JOBID=12[3].srv' TMPDIR=/tmp)"
echo "no job: $(as alice env TMPDIR=/tmp/alice "$TG" path --per-job)"
cat /tmp/alice/job.5/.tmpguard-job
stat -c '%a %U %n' /tmp/alice/job.5 /tmp/alice/job.5/.tmpguard-job
# Ten tasks of one job at once: one directory, one marker.
for i in 0 1 2 3 4 5 6 7 8 9; do as alice env SLURM_JOB_ID=9 "$TG" path --per-job > $AUX/task.$i & done; wait
sort -u $AUX/task.* | sed 's/^/tasks: /'
# mallory squats alice's name: the job directory goes into alice's fallback.
rm -rf /tmp/alice; mkdir -m 777 /tmp/alice && chown mallory /tmp/alice
as alice env SLURM_JOB_ID=10 TMPDIR=/tmp/alice "$TG" path --per-job | sed 's/alice\.[a-z0-9]*/alice.FALLBACK/; s/^/squatted: /'
"#,
        )
        .ok();
    assert_eq!(
        out.lines(),
        [
            "unset: export TMPDIR=/tmp/alice/job.5 ",
            "login target: export TMPDIR=/tmp/alice/job.5 ",
            "same job: ",
            "old job: export TMPDIR=/tmp/alice/job.6 ",
            "shared: export TMPDIR=/tmp/alice/job.7 ",
            "site dir kept: ",
            "pbs: export TMPDIR=/tmp/alice/job.12%5B3%5D.srv ",
            "no job: /tmp/alice",
            "tmpguard job 1",
            "scheduler=slurm",
            "id=5",
            "700 alice /tmp/alice/job.5",
            "400 alice /tmp/alice/job.5/.tmpguard-job",
            "tasks: /tmp/alice/job.9",
            "squatted: /tmp/alice.FALLBACK/job.10",
        ],
        "{}",
        out.stderr
    );
}
