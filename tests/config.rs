//! The site configuration file, end to end: the real path
//! (/etc/tmpguard/tmpguard.toml) in a private mount namespace with its own
//! copy of /etc, real users, real shells, real trust checks.
mod common;

use common::{Out, Sandbox, root_sandbox as sandbox};
// Every test here is tier 2: the site file must belong to root, and the
// tier-1 sandbox's /etc belongs to the unprivileged developer.

/// Bash that puts `conf` at /etc/tmpguard/tmpguard.toml (root, 0644) in the
/// sandbox's private copy of /etc (the harness binds it over /etc in this
/// namespace only). `$CONF` names the file for the test to spoil.
fn with_site(conf: &str) -> String {
    format!(
        r#"mkdir -p -m 755 /etc/tmpguard
CONF=/etc/tmpguard/tmpguard.toml
cat > $CONF <<'TMPGUARD_EOF'
{conf}
TMPGUARD_EOF
chmod 644 $CONF
"#
    )
}

fn run(sb: &Sandbox, conf: &str, body: &str) -> Out {
    sb.run(&format!("{}\n{body}", with_site(conf)))
}

#[test]
fn a_missing_file_costs_one_failed_open() {
    let Some(sb) = sandbox() else { return };
    if !common::require(common::have("strace"), "strace") {
        return;
    }
    // /etc/tmpguard does not exist at all, or exists without the file.
    for setup in ["rm -rf /etc/tmpguard", "mkdir -m 755 /etc/tmpguard"] {
        let out = sb
            .run(&format!(
                r#"{setup}
as alice mkdir -m 700 /tmp/alice
as alice env TMPDIR=/tmp/alice strace -f -o /tmp/trace "$TG" init bash >/dev/null
grep -c . /tmp/trace
grep -E 'tmpguard\.toml|/etc/tmpguard|uname' /tmp/trace"#
            ))
            .ok();
        let lines = out.lines();
        assert_eq!(lines.len(), 2, "{}", out.stdout);
        assert!(
            lines[1].contains("openat(AT_FDCWD, \"/etc/tmpguard/tmpguard.toml\"")
                && lines[1].contains("ENOENT"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn the_file_is_used_when_trusted() {
    let Some(sb) = sandbox() else { return };
    let out = run(
        &sb,
        "name = \"tmp-%U\"\n",
        r#"as alice "$TG" path; as alice "$TG" doctor | grep -A2 'Site configuration'"#,
    )
    .ok();
    assert_eq!(out.lines()[0], "/tmp/tmp-2001", "{}", out.stderr);
    assert!(
        out.stdout.contains("tmpguard.toml (read)"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_untrusted_file_is_ignored_with_one_warning_naming_the_problem() {
    let Some(sb) = sandbox() else { return };
    for (spoil, says) in [
        ("chmod 664 $CONF", "is writable by group (mode 0664)"),
        ("chmod 646 $CONF", "is writable by others (mode 0646)"),
        ("chown alice $CONF", "is owned by uid 2001, not root"),
        (
            "chmod 1777 /etc/tmpguard",
            "/etc/tmpguard is writable by group and others",
        ),
        (
            "chown alice /etc/tmpguard",
            "/etc/tmpguard is owned by uid 2001",
        ),
        ("chmod 775 /etc", "/etc is writable by group"),
        ("chown 65534 $CONF", "root-squashed NFS"),
        ("chmod 600 $CONF", "cannot read"),
        (
            "mv $CONF /etc/tmpguard/real; ln -s real $CONF",
            "is a symbolic link",
        ),
        ("echo 'bsae = 1' >> $CONF", "unknown key bsae"),
    ] {
        let out = run(
            &sb,
            "name = \"tmp-%U\"\n",
            &format!(r#"{spoil}; as alice "$TG" init bash --no-hook"#),
        )
        .ok();
        // The file's setting is not applied: the defaults are.
        assert_eq!(out.stdout, "export TMPDIR='/tmp/alice'\n", "{spoil}");
        let warnings: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("ignoring the site configuration"))
            .collect();
        assert_eq!(warnings.len(), 1, "{spoil}: {}", out.stderr);
        assert!(warnings[0].contains(says), "{spoil}: {}", out.stderr);
    }
}

#[test]
fn bases_in_order_with_min_free_and_each_skip_said() {
    let Some(sb) = sandbox() else { return };
    let conf = "base = [\"/nonexistent\", \"/mnt/tg/full\", \"/tmp\"]\nmin_free = \"8M\"\n";
    let out = run(
        &sb,
        conf,
        r#"mkdir -p /mnt/tg/full && mount -t tmpfs -o size=4m,mode=1777 tmpfs /mnt/tg/full
as alice "$TG" init bash --no-hook
# An existing directory in a base below min_free keeps being used.
as alice mkdir -m 700 /mnt/tg/full/alice
as alice "$TG" path
# None usable: fails, each base's reason given.
umount /mnt/tg/full; mount -t tmpfs -o size=4m,mode=1777 tmpfs /mnt/tg/full
mount -t tmpfs -o size=4m,mode=1777 tmpfs /tmp
as alice "$TG" path; echo "rc=$?""#,
    );
    let lines = out.lines();
    assert_eq!(lines[0], "export TMPDIR='/tmp/alice'", "{}", out.stderr);
    assert!(
        out.stderr
            .contains("skipping base cannot open /nonexistent"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "/mnt/tg/full has 4.0 MiB free, less than the site's min_free 8.0 MiB; using /tmp"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(lines[1], "/mnt/tg/full/alice");
    assert_eq!(lines[2], "rc=1");
    assert!(
        out.stderr.contains("no base the site lists can be used"),
        "{}",
        out.stderr
    );
}

#[test]
fn node_sections_match_the_short_host_name_by_glob_and_host_list() {
    let Some(sb) = sandbox() else { return };
    let conf = "name = \"top-%u\"\n[[node]]\nmatch = \"gpu[001-064]\"\nname = \"gpu-%u\"\n[[node]]\nmatch = \"login*\"\nname = \"login-%u\"\n";
    let out = run(
        &sb,
        conf,
        r#"for h in gpu017.cluster.example gpu065 login2 cpu1; do
  unshare -u bash -c "hostname $h; as() { $(declare -f as | tail -n +2); }; TG=$TG; as alice \"\$TG\" path"
done"#,
    )
    .ok();
    assert_eq!(
        out.lines(),
        [
            "/tmp/gpu-alice",
            "/tmp/top-alice",
            "/tmp/login-alice",
            "/tmp/top-alice"
        ],
        "{}",
        out.stderr
    );
}

#[test]
fn export_names_in_every_shell_taskprolog_and_modulefile() {
    let Some(sb) = sandbox() else { return };
    let conf = "export = [\"TMP\", \"TEMP\", \"SCRATCH_TMPDIR\"]\n";
    let out = run(
        &sb,
        conf,
        r#"as alice env TMP=/x bash -c 'eval "$("$TG" init bash)"; echo "bash $TMP ${TEMP-unset} $SCRATCH_TMPDIR"'
as alice env TMP=/x zsh -fc 'eval "$("$TG" init zsh)"; echo "zsh $TMP ${TEMP-unset} $SCRATCH_TMPDIR"'
as alice env TMP=/x sh -c 'eval "$("$TG" init sh)"; echo "sh $TMP ${TEMP-unset} $SCRATCH_TMPDIR"'
as alice env TMP=/x fish -c '"$TG" init fish | source; echo "fish $TMP" (set -q TEMP; and echo $TEMP; or echo unset) $SCRATCH_TMPDIR'
as alice env TMP=/x tcsh -fc 'eval "`$TG init tcsh`"; echo "tcsh $TMP $SCRATCH_TMPDIR"'
as alice env TMP=/x "$TG" exec -- sh -c 'echo "exec $TMP ${TEMP-unset} $SCRATCH_TMPDIR"'
as alice env SLURM_JOB_ID=1 "$TG" init slurm
# What the modulefiles set at load (Lmod and Environment Modules alike).
as alice "$TG" path --records | tr '\0' '\n'"#,
    )
    .ok();
    let d = "/tmp/alice";
    assert_eq!(
        out.lines(),
        [
            format!("bash {d} unset {d}"),
            format!("zsh {d} unset {d}"),
            format!("sh {d} unset {d}"),
            format!("fish {d} unset {d}"),
            format!("tcsh {d} {d}"),
            format!("exec {d} unset {d}"),
            format!("export TMPDIR={d}"),
            format!("export SCRATCH_TMPDIR={d}"),
            format!("set TMPDIR={d}"),
            format!("set SCRATCH_TMPDIR={d}"),
        ],
        "{}",
        out.stderr
    );
    // export_always: TMP and TEMP set even when they were not.
    let out = run(
        &sb,
        "export = [\"TMP\", \"TEMP\"]\nexport_always = true\n",
        r#"as alice bash -c 'eval "$("$TG" init bash)"; echo "$TMP $TEMP"'"#,
    )
    .ok();
    assert_eq!(out.lines(), [format!("{d} {d}")]);
}

#[test]
fn hook_false_is_the_default_and_a_user_cannot_turn_it_on_only_off() {
    let Some(sb) = sandbox() else { return };
    let out = run(
        &sb,
        "hook = false\n",
        r#"as alice "$TG" init bash | grep -c hook || true
as alice "$TG" config show | grep '^hook'"#,
    );
    assert_eq!(
        out.lines(),
        ["0", "hook = false  # /etc/tmpguard/tmpguard.toml:1"],
        "{}",
        out.stderr
    );
    let out = run(
        &sb,
        "\n",
        r#"as alice "$TG" init bash | grep -c hook || true"#,
    )
    .ok();
    assert_ne!(out.lines(), ["0"]);
}

#[test]
fn user_override_false_makes_a_users_base_a_warning_and_replaces_a_private_tmpdir_elsewhere() {
    let Some(sb) = sandbox() else { return };
    let conf = "user_override = false\nbase = [\"/tmp\"]\n";
    let out = run(
        &sb,
        conf,
        r#"mkdir -m 1777 /mnt/tg/scratch
as alice "$TG" init bash --no-hook --base /mnt/tg/scratch
as alice env TMPGUARD_BASE=/mnt/tg/scratch "$TG" path
as alice mkdir -m 700 /mnt/tg/home/alice/tmp
as alice env TMPDIR=/mnt/tg/home/alice/tmp "$TG" path"#,
    )
    .ok();
    assert_eq!(
        out.lines(),
        ["export TMPDIR='/tmp/alice'", "/tmp/alice", "/tmp/alice"],
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "--base /mnt/tg/scratch ignored: the site sets the base (user_override = false)"
        ),
        "{}",
        out.stderr
    );
    // The default keeps both.
    let out = run(
        &sb,
        "base = [\"/tmp\"]\n",
        r#"mkdir -m 1777 /mnt/tg/scratch
as alice "$TG" path --base /mnt/tg/scratch
as alice mkdir -m 700 /mnt/tg/home/alice/tmp
as alice env TMPDIR=/mnt/tg/home/alice/tmp "$TG" path"#,
    )
    .ok();
    assert_eq!(
        out.lines(),
        ["/mnt/tg/scratch/alice", "/mnt/tg/home/alice/tmp"]
    );
}

#[test]
fn enable_false_and_pilot_lists() {
    let Some(sb) = sandbox() else { return };
    let out = run(
        &sb,
        "enable = false\n",
        r#"as alice env TMPGUARD_BASE=/tmp "$TG" init bash; echo "rc=$?"
as alice "$TG" init slurm; echo "rc=$?"
as alice "$TG" doctor | grep -E '^  tmpguard|does nothing'"#,
    )
    .ok();
    let lines = out.lines();
    assert_eq!(&lines[..2], ["rc=0", "rc=0"], "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert!(
        out.stdout
            .contains("off: switched off by the site (enable = false"),
        "{}",
        out.stdout
    );
    let out = run(
        &sb,
        "pilot = [\"alice\", \"@bob\"]\n",
        r#"for u in alice bob mallory; do echo "$u: $(as $u "$TG" init bash --no-hook)"; done"#,
    )
    .ok();
    assert_eq!(
        out.lines(),
        [
            "alice: export TMPDIR='/tmp/alice'",
            "bob: export TMPDIR='/tmp/bob'",
            "mallory: "
        ],
        "{}",
        out.stderr
    );
}

#[test]
fn config_check_reports_each_problem_with_its_line() {
    let Some(sb) = sandbox() else { return };
    let out = run(
        &sb,
        "enable = true\nbsae = [\"/tmp\"]\nexport = [\"LD_PRELOAD\"]\n",
        r#"as alice "$TG" config check; echo "rc=$?"
printf 'name = "%%u"\n' > /mnt/tg/ok.toml; as alice "$TG" config check /mnt/tg/ok.toml; echo "rc=$?"
chmod 666 $CONF; "$TG" config check; echo "rc=$?""#,
    );
    assert_eq!(out.lines(), ["rc=1", "rc=0", "rc=1"], "{}", out.stderr);
    assert!(
        out.stderr
            .contains("/etc/tmpguard/tmpguard.toml:2: unknown key bsae (did you mean base?)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("tmpguard.toml:3: export: LD_PRELOAD is refused"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("/mnt/tg/ok.toml: OK"), "{}", out.stderr);
    assert!(
        out.stderr.contains("is writable by group and others"),
        "{}",
        out.stderr
    );
}

#[test]
fn config_show_names_each_values_origin() {
    let Some(sb) = sandbox() else { return };
    let conf = "base = [\"/tmp\"]\n[trust]\nowners = [990]\n[[node]]\nmatch = \"gpu[01-02]\"\nhook = false\n";
    let out = run(
        &sb,
        conf,
        r#"as alice env TMPGUARD_BASE=/mnt/tg "$TG" config show --host gpu02.example --json
as alice "$TG" config show --host cpu1"#,
    )
    .ok();
    let json = out.lines()[0];
    for want in [
        r#""host":"gpu02""#,
        r#""source":"read""#,
        r#""base":{"origin":{"file":"/etc/tmpguard/tmpguard.toml","kind":"file","line":1},"value":["/tmp"]}"#,
        r#""hook":{"origin":{"file":"/etc/tmpguard/tmpguard.toml","kind":"node","line":6,"match":"gpu[01-02]"},"value":false}"#,
        r#""user_base":{"origin":{"kind":"environment","name":"TMPGUARD_BASE"},"value":"/mnt/tg"}"#,
        r#""trust.owners":{"origin":{"file":"/etc/tmpguard/tmpguard.toml","kind":"file","line":3},"value":[990]}"#,
        r#""export":{"origin":{"kind":"default"},"value":["TMP","TEMP"]}"#,
    ] {
        assert!(json.contains(want), "{want}\n{json}");
    }
    assert!(
        out.stdout.contains("hook = true  # default"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_ignored_file_is_written_to_the_system_log_once_per_session() {
    let Some(sb) = sandbox() else { return };
    let out = run(
        &sb,
        "name = \"tmp-%U\"\n",
        r#"chmod 664 $CONF
# A listener on a socket bound over this namespace's /dev/log: every datagram a line.
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(1)
print("ready", flush=True)
try:
    while True:
        print(s.recv(4096).decode(), flush=True)
except socket.timeout:
    pass
' /mnt/tg/log.sock > /mnt/tg/syslog &
until grep -q ready /mnt/tg/syslog 2>/dev/null; do sleep 0.05; done
chmod 666 /mnt/tg/log.sock
# This namespace's own /dev (the host's devtmpfs is shared): a few devices and the socket.
mkdir -p /mnt/tg/dev && mount --rbind /dev /mnt/tg/dev && mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero urandom random tty; do touch /dev/$n; mount --bind /mnt/tg/dev/$n /dev/$n; done
touch /dev/log && mount --bind /mnt/tg/log.sock /dev/log
as alice "$TG" init bash --no-hook >/dev/null 2>&1
# Later starts in the same session keep the TMPDIR the first one set (a
# nested shell, a job step), and doctor and config show only report: no
# line each (one per session, not one per shell of every user).
as alice env TMPDIR=/tmp/alice "$TG" init bash --no-hook >/dev/null 2>&1
as alice env TMPDIR=/tmp/alice "$TG" path >/dev/null 2>&1
as alice "$TG" doctor >/dev/null 2>&1
as alice "$TG" config show >/dev/null 2>&1
wait
grep -v ready /mnt/tg/syslog"#,
    )
    .ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(
        lines[0].starts_with("<36>tmpguard[")
            && lines[0].contains("ignoring /etc/tmpguard/tmpguard.toml: /etc/tmpguard/tmpguard.toml is writable by group (mode 0664)"),
        "{}",
        out.stdout
    );
}

#[test]
fn jobs_true_makes_per_job_directories_the_default() {
    let Some(sb) = sandbox() else { return };
    let out = run(
        &sb,
        "jobs = true\n",
        r#"as alice env SLURM_JOB_ID=42 "$TG" path
as alice "$TG" path"#,
    )
    .ok();
    let lines = out.lines();
    assert!(
        lines[0].starts_with("/tmp/alice/") && lines[0].contains("42"),
        "{}",
        out.stdout
    );
    assert_eq!(lines[1], "/tmp/alice", "{}", out.stderr);
}

/// `[trust]` reaches the walks (issue 13's ancestor rule): a TMPDIR under a
/// 2770 project directory, or under a directory of a system account, is
/// replaced unless the site vouches for that directory or owner.
#[test]
fn trust_dirs_and_owners_keep_a_tmpdir_the_ancestor_rule_would_replace() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let setup = r#"mkdir -m 2770 /mnt/tg/proj && chown root:2001 /mnt/tg/proj && chmod 2770 /mnt/tg/proj
mkdir -m 700 /mnt/tg/proj/alice && chown alice:alice /mnt/tg/proj/alice
mkdir -m 755 /mnt/tg/svc && chown bob:bob /mnt/tg/svc
mkdir -m 700 /mnt/tg/svc/alice && chown alice:alice /mnt/tg/svc/alice
as alice env TMPDIR=/mnt/tg/proj/alice "$TG" path
as alice env TMPDIR=/mnt/tg/svc/alice "$TG" path
# Flags and the environment cannot trust anything.
as alice env TMPDIR=/mnt/tg/proj/alice TMPGUARD_TRUST=/mnt/tg/proj "$TG" path"#;
    let out = run(&sb, "base = [\"/tmp\"]\n", setup).ok();
    assert_eq!(
        out.lines(),
        ["/tmp/alice", "/tmp/alice", "/tmp/alice"],
        "{}",
        out.stderr
    );
    let conf = "base = [\"/tmp\"]\n[trust]\ndirs = [\"/mnt/tg/proj\"]\nowners = [2003]\n";
    let out = run(&sb, conf, setup).ok();
    assert_eq!(
        out.lines(),
        [
            "/mnt/tg/proj/alice",
            "/mnt/tg/svc/alice",
            "/mnt/tg/proj/alice"
        ],
        "{}",
        out.stderr
    );
    // Each entry alone covers only its own case.
    let conf = "base = [\"/tmp\"]\n[trust]\nowners = [2003]\n";
    let out = run(&sb, conf, setup).ok();
    assert_eq!(
        out.lines(),
        ["/tmp/alice", "/mnt/tg/svc/alice", "/tmp/alice"],
        "{}",
        out.stderr
    );
}

/// `timeout` is the budget for a filesystem that does not answer: a TMPDIR
/// on a stopped FUSE daemon's mount is given up after 500 ms, and said so.
#[test]
fn timeout_sets_the_budget_for_a_hung_filesystem() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    let out = run(
        &sb,
        "timeout = \"500ms\"\n",
        r#"F=$AUX/fuse
mkdir -p "$AUX/fsrc/alice" "$F" && chown alice: "$AUX/fsrc/alice" && chmod 700 "$AUX/fsrc/alice"
bindfs -f "$AUX/fsrc" "$F" 2>/dev/null & P=$!
trap 'kill -CONT $P 2>/dev/null; umount -l "$F" 2>/dev/null; kill $P 2>/dev/null' EXIT
for i in $(seq 100); do grep -q " $F " /proc/self/mountinfo && break; sleep 0.05; done
as alice env TMPDIR="$F/alice" "$TG" path
kill -STOP $P
for i in $(seq 200); do
  ! grep -qv '^T' < <(for t in /proc/$P/task/*/stat; do awk '{print $3}' "$t"; done) && break
  sleep 0.01
done
as alice env TMPDIR="$F/alice" "$TG" init bash --no-hook"#,
    )
    .ok();
    let fuse = format!("{}/alice", "/mnt/tg/fuse");
    assert_eq!(
        out.lines(),
        [fuse.as_str(), "export TMPDIR='/tmp/alice'"],
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did not answer within 500 ms"),
        "stdout:{}\nstderr:{}",
        out.stdout,
        out.stderr
    );
}

/// `runtime_dir = false` (site only) turns the runtime directory off like
/// `--no-runtime-dir`: init for every shell, exec, `path --records` and the
/// TaskProlog leave a forwarded, missing `XDG_RUNTIME_DIR` alone (a path
/// below the harness's valid /run/user/2001, which would be kept). With the
/// key absent the same commands do fix it (the control).
#[test]
fn runtime_dir_false_turns_the_runtime_directory_off() {
    let Some(sb) = sandbox() else { return };
    let body = r#"as alice mkdir -m 700 /tmp/alice
for sh in bash zsh sh fish tcsh elvish xonsh; do
  # A line that sets or takes it away, in any shell's syntax (the hook's
  # code names it too: tcsh and xonsh test it when init recorded one).
  as alice env TMPDIR=/tmp/alice XDG_RUNTIME_DIR=/run/user/2001/gone "$TG" init $sh 2>&1 |
    grep -qE '^(export|unset|setenv|unsetenv|set -gx|set -e|set-env|unset-env|del) \$?XDG_RUNTIME_DIR|^\$XDG_RUNTIME_DIR =|tmpguard: XDG_RUNTIME_DIR' && echo "init $sh"
done
as alice env TMPDIR=/tmp/alice XDG_RUNTIME_DIR=/run/user/2001/gone "$TG" exec -- sh -c 'echo "exec $XDG_RUNTIME_DIR"'
as alice env TMPDIR=/tmp/alice XDG_RUNTIME_DIR=/run/user/2001/gone "$TG" path --records 2>&1 | grep -q XDG_RUNTIME_DIR && echo records
as alice env TMPDIR=/tmp/alice XDG_RUNTIME_DIR=/run/user/2001/gone SLURM_JOB_ID=7 "$TG" init slurm 2>&1 | grep -q XDG_RUNTIME_DIR && echo slurm
true"#;
    let off = run(&sb, "runtime_dir = false\n", body).ok();
    assert_eq!(
        off.stdout.trim(),
        "exec /run/user/2001/gone",
        "{}{}",
        off.stdout,
        off.stderr
    );
    let on = run(&sb, "runtime_dir = true\n", body).ok();
    for what in [
        "init bash",
        "init zsh",
        "init sh",
        "init fish",
        "init tcsh",
        "init elvish",
        "init xonsh",
        "records",
        "slurm",
    ] {
        assert!(
            on.stdout.contains(what),
            "{what}: {}{}",
            on.stdout,
            on.stderr
        );
    }
    // The harness's valid /run/user/2001 replaces the missing one.
    assert!(
        on.stdout.contains("exec /run/user/2001\n"),
        "{}{}",
        on.stdout,
        on.stderr
    );
}
