//! `tmpguard init slurm` output, without a Slurm (tests/slurm.rs drives the
//! real one): TaskProlog lines exactly as Slurm parses them, nothing when the
//! job's TMPDIR is kept, and exit 0 even when it cannot help.

mod common;

fn run(sb: common::Sandbox, body: &str) -> Vec<String> {
    let out = sb
        .run(&format!(
            r#"prolog() {{ as alice env SLURM_JOB_ID=7 "$@" "$TG" init slurm > $AUX/out 2> $AUX/err; echo "exit=$?"; sed 's/^/out: /' $AUX/out; sed 's/^/err: /' $AUX/err; }}
{body}"#
        ))
        .ok();
    out.lines().into_iter().map(String::from).collect()
}

#[test]
fn exports_raw_lines_for_what_is_set() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let lines = run(
        sb,
        "prolog TMPDIR=/tmp\nprolog TMPDIR=/tmp TMP=/tmp TEMP=/tmp",
    );
    assert_eq!(
        lines,
        [
            "exit=0",
            "out: export TMPDIR=/tmp/alice",
            "err: tmpguard: TMPDIR=/tmp is shared; created /tmp/alice (mode 0700)",
            "exit=0",
            "out: export TMPDIR=/tmp/alice",
            "out: export TMP=/tmp/alice",
            "out: export TEMP=/tmp/alice",
            "err: tmpguard: TMPDIR=/tmp is shared; using /tmp/alice",
        ]
    );
}

#[test]
fn nothing_when_the_jobs_tmpdir_is_kept() {
    let Some(sb) = common::sandbox() else { return };
    let lines = run(
        sb,
        "mkdir -m 700 /tmp/job.7 && chown alice /tmp/job.7\nprolog TMPDIR=/tmp/job.7",
    );
    assert_eq!(lines, ["exit=0"]);
}

#[test]
fn failure_is_printed_into_the_job_and_exits_0() {
    let Some(sb) = common::sandbox() else { return };
    let lines = run(sb.tmp("mode=1777,ro,size=1m"), "prolog TMPDIR=/tmp");
    assert_eq!(lines[0], "exit=0");
    assert!(
        lines[1].starts_with("out: print tmpguard: cannot create /tmp/alice"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("; TMPDIR not changed"), "{lines:?}");
    assert!(
        lines[2].starts_with("err: tmpguard: cannot create /tmp/alice"),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
}

#[test]
fn newline_is_refused_in_one_print_line() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let lines = run(
        sb,
        r#"nl=$(printf '/tmp/a\nb'); mkdir -m 1777 "$nl"
prolog TMPDIR=/tmp TMPGUARD_BASE="$nl""#,
    );
    assert_eq!(
        lines,
        [
            "exit=0",
            "out: print tmpguard: cannot export /tmp/a\\x0ab/alice: a Slurm TaskProlog cannot carry a newline in a value; TMPDIR not changed",
            "err: tmpguard: cannot export /tmp/a\\x0ab/alice: a Slurm TaskProlog cannot carry a newline in a value",
        ]
    );
}

#[test]
fn usage_errors_still_fail() {
    let Some(sb) = common::sandbox() else { return };
    let lines = run(
        sb,
        r#"as alice "$TG" init slurm --no-such-flag 2>/dev/null; echo "exit=$?""#,
    );
    assert_eq!(lines, ["exit=2"]);
}
