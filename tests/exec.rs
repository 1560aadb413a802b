//! `tmpguard exec -- CMD`: CMD runs in place with a verified TMPDIR, as cron,
//! systemd or a container entrypoint would start it.
mod common;

/// Prints the directory Python's tempfile settles on.
const GETTEMPDIR: &str = "'import tempfile; print(tempfile.gettempdir())'";

#[test]
fn cron_like_environment_gets_the_private_directory() {
    let Some(sb) = common::sandbox() else { return };
    // Only PATH, as cron gives: no USER, no HOME, no TMPDIR. `python3` is found on PATH.
    let out = sb
        .run(&format!(
            r#"as alice env -i PATH=/usr/bin:/bin "$TG" exec -- python3 -c {GETTEMPDIR}
stat -c '%U %a' /tmp/alice"#
        ))
        .ok();
    assert_eq!(out.lines(), ["/tmp/alice", "alice 700"]);
    assert_eq!(out.stderr, "", "exec is silent when it works");
}

#[test]
fn makes_the_same_decision_as_init() {
    let Some(sb) = common::sandbox() else { return };
    // For each starting TMPDIR, what CMD sees must be what `path` (init's decision) prints.
    let out = sb
        .run(
            r#"mkdir -m 700 "$AUX/home/alice/job" && chown alice: "$AUX/home/alice/job"
for t in unset /tmp /tmp/gone "$AUX/home/alice/job" "$AUX/home/alice/job/"; do
  if [ "$t" = unset ]; then set --; else set -- TMPDIR="$t"; fi
  p=$(as alice env "$@" "$TG" path)
  e=$(as alice env "$@" "$TG" exec -- sh -c 'printf %s "$TMPDIR"')
  echo "$t -> $e"
  [ "$p" = "$e" ] || echo "MISMATCH path=$p exec=$e"
done
# TMP and TEMP follow TMPDIR only when they are set.
as alice env TMP=/x "$TG" exec -- sh -c 'echo "$TMPDIR|$TMP|${TEMP-unset}"'
as alice env TMP= TEMP=/y "$TG" exec -- sh -c 'echo "$TMPDIR|$TMP|${TEMP-unset}"'"#,
        )
        .ok();
    assert!(!out.stdout.contains("MISMATCH"), "{}", out.stdout);
    assert_eq!(
        out.lines(),
        [
            "unset -> /tmp/alice",
            "/tmp -> /tmp/alice",
            "/tmp/gone -> /tmp/alice",
            "/mnt/tg/home/alice/job -> /mnt/tg/home/alice/job",
            "/mnt/tg/home/alice/job/ -> /mnt/tg/home/alice/job",
            "/tmp/alice|/tmp/alice|unset",
            "/tmp/alice|/tmp/alice|/tmp/alice",
        ]
    );
}

#[test]
fn stdout_stderr_and_exit_status_are_cmds_own() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb.run(
        r#"as alice "$TG" exec -- sh -c 'printf "out 1\nout 2\n"; printf "err\n" >&2; exit 42'"#,
    );
    assert_eq!(out.code, Some(42));
    assert_eq!(out.stdout, "out 1\nout 2\n");
    assert_eq!(out.stderr, "err\n");
}

#[test]
fn arguments_pass_through_byte_for_byte() {
    let Some(sb) = common::sandbox() else { return };
    // Non-UTF-8 bytes, an empty argument, and flags that tmpguard must not take as its own;
    // also the form without `--`.
    let out = sb
        .run(
            r#"show='import os, sys; print([os.fsencode(a).hex() for a in sys.argv[1:]])'
as alice "$TG" exec -- "$PY" -c "$show" $'\xff\xfe' '' --help --strict -- -x
as alice "$TG" exec "$PY" -c "$show" --force"#,
        )
        .ok();
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let want = format!(
        "['fffe', '', '{}', '{}', '{}', '{}']",
        hex("--help"),
        hex("--strict"),
        hex("--"),
        hex("-x")
    );
    assert_eq!(out.lines(), [want, format!("['{}']", hex("--force"))]);
}

#[test]
fn cmd_replaces_tmpguard_and_its_death_by_signal_is_seen_by_the_shell() {
    let Some(sb) = common::sandbox() else { return };
    // Started in the background, `$!` is the pid bash forked for tmpguard; CMD must
    // have that same pid, and bash as its parent (no tmpguard process in between).
    let out = sb
        .run(
            r#"as alice bash -c '
for sig in TERM KILL; do
  "$TG" exec -- sh -c "echo \$\$ \$PPID; kill -$sig \$\$; echo survived" & pid=$!
  wait $pid; rc=$?
  echo "$pid $$ $rc"
done'"#,
        )
        .ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 4, "{out:?}");
    for (pair, status) in lines.chunks(2).zip(["143", "137"]) {
        let seen_by_cmd: Vec<&str> = pair[0].split(' ').collect();
        let seen_by_bash: Vec<&str> = pair[1].split(' ').collect();
        assert_eq!(
            seen_by_cmd[0], seen_by_bash[0],
            "CMD's pid is the one bash started: {out:?}"
        );
        assert_eq!(
            seen_by_cmd[1], seen_by_bash[1],
            "CMD's parent is bash: {out:?}"
        );
        assert_eq!(seen_by_bash[2], status, "128 + signal number: {out:?}");
    }
    assert!(!out.stdout.contains("survived"));
    // bash may report the kill ("Killed"); tmpguard itself says nothing.
    assert!(!out.stderr.contains("tmpguard"), "{out:?}");
}

#[test]
fn read_only_tmp_runs_cmd_with_tmpdir_unchanged_and_a_warning() {
    let Some(sb) = common::sandbox() else { return };
    let sb = sb.tmp("mode=1777,ro");
    let out = sb.run(
        r#"as alice "$TG" exec -- sh -c 'echo "ran TMPDIR=${TMPDIR-unset}"'; echo "rc=$?"
as alice env TMPDIR=/tmp "$TG" exec -- sh -c 'echo "ran TMPDIR=${TMPDIR-unset}"'; echo "rc=$?""#,
    );
    assert_eq!(
        out.lines(),
        ["ran TMPDIR=unset", "rc=0", "ran TMPDIR=/tmp", "rc=0"],
        "{out:?}"
    );
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "one warning per run: {out:?}");
    for w in warnings {
        assert!(
            w.starts_with("tmpguard: ") && w.contains("/tmp/alice"),
            "{w}"
        );
        assert!(
            w.contains("Read-only file system") && w.ends_with("running sh with TMPDIR unchanged"),
            "{w}"
        );
    }
}

#[test]
fn strict_does_not_run_cmd_without_a_safe_directory() {
    let Some(sb) = common::sandbox() else { return };
    let sb = sb.tmp("mode=1777,ro");
    let out = sb.run(r#"as alice "$TG" exec --strict -- sh -c 'echo ran'; echo "rc=$?""#);
    assert_eq!(out.lines(), ["rc=1"], "{out:?}");
    let reason = out.stderr.trim_end();
    assert!(!reason.contains('\n'), "one line: {reason}");
    assert!(
        reason.starts_with("tmpguard: ") && reason.contains("/tmp/alice"),
        "{reason}"
    );
    assert!(
        reason.contains("Read-only file system") && reason.ends_with("not running sh (--strict)"),
        "{reason}"
    );
}

#[test]
fn strict_runs_cmd_when_the_directory_is_fine() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb
        .run(r#"as alice "$TG" exec --strict -- sh -c 'echo "$TMPDIR"'"#)
        .ok();
    assert_eq!(out.lines(), ["/tmp/alice"]);
    assert_eq!(out.stderr, "");
}

#[test]
fn missing_or_unexecutable_cmd_exits_like_a_shell() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb.run(
        r#"printf 'echo hi\n' > "$AUX/plain"; chmod 644 "$AUX/plain"
printf '#!/no/such/interpreter\n' > "$AUX/badint"; chmod 755 "$AUX/badint"
for cmd in no-such-command "$AUX/no-such-file" "$AUX/plain" "$AUX/badint" "$AUX"; do
  as alice "$TG" exec -- "$cmd" arg; mine=$?
  as alice bash -c '"$0" arg' "$cmd" 2>/dev/null; shell=$?
  echo "$mine $shell"
done"#,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    // Same status as bash (5.2) gives for the same command.
    assert_eq!(
        out.lines(),
        ["127 127", "127 127", "126 126", "127 127", "126 126"],
        "{out:?}"
    );
    assert_eq!(
        out.stderr.lines().collect::<Vec<_>>(),
        [
            "tmpguard: no-such-command: command not found",
            "tmpguard: /mnt/tg/no-such-file: No such file or directory",
            "tmpguard: /mnt/tg/plain: Permission denied",
            "tmpguard: /mnt/tg/badint: bad interpreter: No such file or directory",
            "tmpguard: /mnt/tg: Is a directory",
        ]
    );
}

#[test]
fn usage_error_without_cmd() {
    let Some(sb) = common::sandbox() else { return };
    let out =
        sb.run(r#"as alice "$TG" exec --strict; echo "rc=$?"; test -e /tmp/alice && echo created"#);
    assert_eq!(out.lines(), ["rc=2"], "{out:?}");
    assert!(out.stderr.contains("CMD"), "{}", out.stderr);
}

#[test]
fn cmd_inherits_the_ignored_signals_it_would_have_without_tmpguard() {
    let Some(sb) = common::sandbox() else { return };
    // systemd starts services with SIGPIPE ignored and nohup ignores SIGHUP;
    // tmpguard ignores SIGPIPE and SIGXFSZ itself while it works, which must
    // not leak into CMD either. Each of the four alone, all, and none.
    let out = sb
        .run(
            r#"for ignore in '' PIPE HUP INT XFSZ 'PIPE HUP INT XFSZ'; do
  as alice bash -c '[ -z "$1" ] || trap "" $1
    direct=$(grep SigIgn /proc/self/status)
    via=$("$TG" exec -- grep SigIgn /proc/self/status)
    echo "${1:-none}: $direct | $via"' - "$ignore"
done"#,
        )
        .ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 6, "{out:?}");
    for line in &lines {
        let (direct, via) = line.split_once(" | ").unwrap();
        assert_eq!(direct.split_once(": ").unwrap().1, via, "{line}");
    }
    // The cases really differ, so the comparison above means something.
    let masks: std::collections::HashSet<&str> = lines
        .iter()
        .map(|l| l.split_once(" | ").unwrap().1)
        .collect();
    assert_eq!(masks.len(), 6, "{out:?}");
}

#[test]
fn as_a_container_entrypoint_cmd_stays_pid_1() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    // A new pid namespace, as `docker run` gives: tmpguard is PID 1 and CMD must stay PID 1
    // (the process that receives `docker stop`'s SIGTERM).
    let out = sb
        .run(r#"unshare --pid --fork "$TG" exec -- sh -c 'echo "$$ $TMPDIR"'"#)
        .ok();
    assert_eq!(out.lines().len(), 1, "{out:?}");
    let (pid, tmpdir) = out.lines()[0].split_once(' ').unwrap();
    assert_eq!(pid, "1", "{out:?}");
    assert!(tmpdir.starts_with("/tmp/"), "{out:?}");
}
