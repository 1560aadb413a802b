//! Reliability: limits, hostile inputs to doctor, a squatted name among many
//! decoys, hung filesystems. Each script asserts in bash, prints `FAIL: ...`
//! lines, and ends with `DONE` so a script that stopped early cannot pass.
mod common;

use common::{Out, Sandbox};

const HELPERS: &str = r#"
fail() { echo "FAIL: $*"; }
"#;

fn check(sb: Sandbox, body: &str) -> Out {
    let out = sb.run(&format!("{HELPERS}\n{body}\necho DONE\n"));
    let fails: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("FAIL"))
        .collect();
    assert!(
        fails.is_empty(),
        "{}\nstdout:\n{}\nstderr:\n{}",
        fails.join("\n"),
        out.stdout,
        out.stderr
    );
    assert_eq!(
        out.lines().last(),
        Some(&"DONE"),
        "script stopped early:\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    if std::env::var_os("REL_SHOW").is_some() {
        eprintln!("{}\n{}", out.stdout, out.stderr);
    }
    out.ok()
}

/// `ulimit -f 0`: the probe's write fails with EFBIG (not SIGXFSZ, rc 153):
/// init and path say so, leave no probe file; exec still runs the command,
/// which gets SIGXFSZ back at its default; doctor leaves nothing either.
#[test]
fn file_size_limit_fails_in_words_and_leaves_nothing() {
    let Some(sb) = common::sandbox() else { return };
    check(
        sb,
        r#"
# Output only through pipes: a file written under the limit would fail too.
err=$(as alice bash -c 'ulimit -f 0; timeout 10 "$TG" init bash >/dev/null' 2>&1); rc=$?
[ "$rc" = 1 ] || fail "init: exit $rc, want 1: $err"
grep -q 'EFBIG' <<<"$err" || fail "init: no EFBIG in '$err'"
[ -z "$(ls -A /tmp/alice)" ] || fail "init left $(ls -A /tmp/alice)"
err=$(as alice bash -c 'ulimit -f 0; timeout 10 "$TG" path >/dev/null' 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q 'EFBIG' <<<"$err" || fail "path: exit $rc: $err"
[ -z "$(ls -A /tmp/alice)" ] || fail "path left $(ls -A /tmp/alice)"

# exec: the command runs (TMPDIR unchanged), with SIGXFSZ not ignored
# (SigIgn bit 25-1), and still dies of it when it writes past the limit.
out=$(as alice bash -c 'ulimit -f 0; timeout 10 "$TG" exec -- sh -c "echo ran; grep SigIgn /proc/self/status"' 2>&1); rc=$?
grep -q '^ran$' <<<"$out" || fail "exec did not run the command ($rc): $out"
grep -q 'EFBIG' <<<"$out" || fail "exec: no EFBIG in '$out'"
ign=$(sed -n 's/^SigIgn:\s*//p' <<<"$out")
(( (0x$ign >> 24) & 1 )) && fail "exec: SIGXFSZ still ignored in the command (SigIgn $ign)"
as alice bash -c 'ulimit -f 0; exec "$TG" exec -- sh -c "echo x > $AUX/home/alice/f"' >/dev/null 2>&1; rc=$?
[ "$rc" = 153 ] || fail "exec: the command's own write past the limit exits $rc, want 153 (SIGXFSZ)"
# Started with SIGXFSZ ignored, the command keeps it ignored.
out=$(as alice bash -c 'trap "" XFSZ; ulimit -f 0; timeout 10 "$TG" exec -- grep SigIgn /proc/self/status' 2>/dev/null)
ign=$(sed -n 's/^SigIgn:\s*//p' <<<"$out")
(( (0x$ign >> 24) & 1 )) || fail "exec: an ignored SIGXFSZ was not passed on (SigIgn $ign)"

# doctor probes /tmp and the rest by path: nothing left anywhere.
out=$(as alice bash -c 'ulimit -f 0; cd /; timeout 10 "$TG" doctor' 2>&1); rc=$?
[ "$rc" = 1 ] || fail "doctor: exit $rc: $out"
grep -q 'EFBIG' <<<"$out" || fail "doctor: no EFBIG in its report"
left=$(find /tmp /var/tmp -mindepth 1 -maxdepth 2 -newer "$TG" -type f 2>/dev/null)
[ -z "$left" ] || fail "probe files left: $left"
"#,
    );
}

/// doctor's start-up files: a FIFO, /dev/zero, a 1 GiB sparse file, and
/// (doctor run as root with alice's HOME) symlinks to root-only files: it
/// finishes at once and prints nothing from them.
#[test]
fn doctor_reads_rc_files_safely() {
    let Some(sb) = common::sandbox() else { return };
    check(
        sb,
        r#"
H=$AUX/home/alice
mkfifo "$H/.bashrc"
ln -s /dev/zero "$H/.profile"
truncate -s 1G "$H/.kshrc"
printf 'export TMPDIR=/SECRET_0600\n' >"$AUX/secret" && chmod 600 "$AUX/secret"
# Group-readable by a group root is in (doctor runs with it below): root's
# own groups must not open it either.
printf 'export TMPDIR=/SECRET_0640\n' >"$AUX/secret2" && chmod 640 "$AUX/secret2"
chgrp 42 "$AUX/secret2"
ln -s "$AUX/secret" "$H/.zshenv"
ln -s "$AUX/secret2" "$H/.zshrc"
# A file alice may read, through a link: read as usual.
printf 'export TMPDIR=/VISIBLE\n' >"$AUX/shared" && chmod 644 "$AUX/shared"
ln -s "$AUX/shared" "$H/.bash_profile"
chown -h alice: "$H"/.[a-z]*
for json in "" --json; do
  start=$(date +%s%N)
  out=$(cd / && HOME=$H setpriv --groups 0,42 timeout 10 "$TG" doctor $json 2>&1); rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$rc" = 124 ] && fail "doctor $json hung"
  echo "doctor $json as root: ${ms} ms"
  grep -q SECRET <<<"$out" && fail "doctor $json disclosed a root-only file: $(grep SECRET <<<"$out")"
  grep -q VISIBLE <<<"$out" || fail "doctor $json did not read a file alice can read"
done
# As alice herself: the same, by the kernel's own rules.
out=$(as alice timeout 10 "$TG" doctor 2>&1); rc=$?
[ "$rc" = 124 ] && fail "doctor as alice hung"
grep -q SECRET <<<"$out" && fail "doctor as alice disclosed a root-only file"
grep -q 'FIFO, not a regular file' <<<"$out" || fail "the FIFO is not reported: $out"
"#,
    );
}

/// TMPDIR, TMP, TEMP at the kernel's limit for one environment string
/// (128 KiB with the name): every command ends cleanly, no panic (rc 134).
#[test]
fn longest_values_never_panic() {
    let Some(sb) = common::sandbox() else { return };
    check(
        sb,
        r#"
abs=$("$PY" -c 'print("/" + "a" * (131072 - len("TMPDIR=") - 2))')
rel=$("$PY" -c 'print("a/" * 65530)')
for v in TMPDIR TMP TEMP; do
  for val in "$abs" "$rel" "${abs:0:70000}"; do
    for cmd in doctor "doctor --json" "init bash" path "exec -- true"; do
      as alice env "$v=$val" timeout 10 "$TG" $cmd >/dev/null 2>"$AUX/err"; rc=$?
      case $rc in 0|1) ;; *) fail "$v (${#val} bytes): $cmd exit $rc: $(head -c 300 "$AUX/err")";; esac
      grep -q panicked "$AUX/err" && fail "$v: $cmd panicked"
    done
  done
done
"#,
    );
}
