//! Reliability: limits, hostile inputs to doctor, a squatted name among many
//! decoys, hung filesystems. Each script asserts in bash, prints `FAIL: ...`
//! lines, and ends with `DONE` so a script that stopped early cannot pass.
mod common;

use common::{Out, Sandbox};

const HELPERS: &str = r#"
fail() { echo "FAIL: $*"; }
# stuck_login FILE FIFO UID USER ARGS...: tmpguard ARGS run as UID (USER=USER)
# in a mount namespace of its own, where FILE (/etc/passwd, /etc/group) is
# FIFO, a source that never answers, and nsswitch.conf is $AUX/nsswitch.conf.
# (Not setpriv: it reads passwd itself. python3 -I -S does not.)
stuck_login() {
  local file=$1 fifo=$2 uid=$3 user=$4; shift 4
  unshare -m bash -c 'mount --bind "$AUX/nsswitch.conf" /etc/nsswitch.conf &&
    mount --bind "$1" "$2" &&
    exec "$PY" -I -S -c "
import os, sys
uid = int(sys.argv[1])
os.setgroups([]); os.setgid(uid); os.setuid(uid)
os.execve(sys.argv[3], sys.argv[3:], {\"PATH\": \"/usr/bin:/bin\", \"HOME\": \"/\", \"USER\": sys.argv[2]})
" "$3" "$4" "$TG" "${@:5}"' bash "$fifo" "$file" "$uid" "$user" "$@" 2>&1
}
"#;

fn check(sb: Sandbox, body: &str) -> Out {
    common::run_checked(&sb, HELPERS, body, "REL_SHOW")
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
    let Some(sb) = common::root_sandbox() else {
        return;
    };
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

/// A squatted name among 200,000 fallback-shaped decoys: a squatted login
/// makes the same number of system calls as with none (the fallback is found
/// through its record, not by listing the base), and takes well under a second.
#[test]
fn squatted_login_cost_does_not_grow_with_the_base() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    if !common::require(common::have("strace"), "strace") {
        return;
    }
    check(
        // dave is this test's own: no other test's process shares his
        // passwd-lookup lock, so the count is this login's alone.
        sb.tmp("mode=1777,size=64m").user("dave", DAVE),
        r#"
as mallory mkdir -m 755 /tmp/dave
first=$(as dave bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "$TMPDIR"')
[[ $first == /tmp/dave.???????? ]] || fail "no fallback: '$first'"
# tmpguard's own system calls (not -f: the detached passwd lookup a squatted
# login makes runs in another process, whose poll and thread timing vary).
calls() {
  as dave strace -qq -o "$AUX/home/dave/st" "$TG" init bash >/dev/null 2>&1
  grep -vc '^\(+++\|---\)' "$AUX/home/dave/st"
}
ms() {
  local s; s=$(date +%s%N)
  as dave "$TG" path >/dev/null 2>&1
  echo $(( ($(date +%s%N) - s) / 1000000 ))
}
n0=$(calls); t0=$(ms)
as mallory "$PY" -c '
import os, random, string
a = string.ascii_lowercase + string.digits
for i in range(200000):
    n = "/tmp/dave." + "".join(random.choice(a) for _ in range(8))
    try: os.close(os.open(n, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o700))
    except FileExistsError: pass
'
echo "entries in /tmp: $(ls -f /tmp | wc -l)"
n1=$(calls); t1=$(ms)
echo "system calls of a squatted login: $n0 with no decoys, $n1 with 200,000; $t0 ms, $t1 ms"
[ "$n0" = "$n1" ] || fail "system calls grew with the decoys: $n0 -> $n1"
[ "$n0" -gt 20 ] || fail "strace counted only $n0 calls"
again=$(as dave bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "$TMPDIR"')
[ "$again" = "$first" ] || fail "the fallback changed: $first -> $again"
"#,
    );
}

/// /tmp at 1733 (nobody can list it): twenty squatted logins at once share one
/// fallback, which nobody else can learn (its record is the user's, mode
/// 0600) or plant (a record or fallback of mallory's is never used).
#[test]
fn unlistable_base_shares_one_fallback() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.tmp("mode=1733,size=16m"),
        r#"
as alice ls /tmp >/dev/null 2>&1 && fail "alice can list /tmp"
# mallory squats the name, and plants a record and a fallback of her own.
as mallory mkdir -m 755 /tmp/alice
as mallory mkdir -m 700 /tmp/alice.planted1
as mallory bash -c 'umask 077; printf alice.planted1 >/tmp/.alice.tmpguard.x'
for i in $(seq 20); do
  as alice bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf "%s\n" "$TMPDIR"' >"$AUX/o.$i" &
done
wait
sort -u "$AUX"/o.* >"$AUX/all"
[ "$(wc -l <"$AUX/all")" = 1 ] || fail "the logins did not share one fallback: $(tr '\n' ' ' <"$AUX/all")"
fb=$(cat "$AUX/all")
[[ $fb == /tmp/alice.???????? && $fb != /tmp/alice.planted1 ]] || fail "fallback '$fb'"
n=$(ls -d /tmp/alice.* | grep -vc planted)
[ "$n" = 1 ] || fail "$n fallbacks made: $(ls -d /tmp/alice.*)"
[ "$(stat -c '%u %a %h' /tmp/.alice.tmpguard)" = "2001 600 1" ] || fail "record: $(stat -c '%u %a %h' /tmp/.alice.tmpguard)"
as mallory cat /tmp/.alice.tmpguard 2>/dev/null && fail "mallory can read the record"
# Later logins, one at a time, find it again.
for i in 1 2 3; do
  got=$(as alice bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "$TMPDIR"')
  [ "$got" = "$fb" ] || fail "login $i: $got, want $fb"
done
# The record gone (a cleaner): a new fallback, recorded; the old one left alone.
rm /tmp/.alice.tmpguard
got=$(as alice bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "$TMPDIR"')
[[ $got == /tmp/alice.???????? && $got != "$fb" ]] || fail "after the record went: '$got'"
[ -d "$fb" ] || fail "the old fallback was removed"
[ "$(cat /tmp/.alice.tmpguard)" = "${got#/tmp/}" ] || fail "not recorded again"
# mallory squats the record too: still private, and the warning says why it
# will not be shared.
reset() { find /tmp -mindepth 1 -maxdepth 1 -user alice -exec rm -rf {} +; }
reset
as mallory bash -c 'printf alice.planted1 >/tmp/.alice.tmpguard; chmod 666 /tmp/.alice.tmpguard'
err=$(as alice bash -c 'eval "$("$TG" init bash)"; printf "%s\n" "$TMPDIR" >&2' 2>&1)
got=$(tail -n1 <<<"$err")
[[ $got == /tmp/alice.???????? && $got != /tmp/alice.planted1 ]] || fail "with a squatted record: '$got'"
grep -q 'record /tmp/.alice.tmpguard is not a private file of yours' <<<"$err" || fail "no word on the record: $err"
[ "$(cat /tmp/.alice.tmpguard)" = alice.planted1 ] || fail "mallory's record was changed"
"#,
    );
}

/// A user only the hung-filesystem test has.
const CAROL: u32 = 27315;
/// A user only the decoy test has.
const DAVE: u32 = 27316;
/// A user only the stuck-passwd test has.
const ERIN: u32 = 27317;

/// Mount a FUSE filesystem (bindfs) at `$F` over `$AUX/fsrc`, with carol's
/// private directory in it and a shared sticky base; `$FUSE_PID` is its
/// daemon. `stop_fuse` makes it hang (SIGSTOP), `release_fuse` lets it go and
/// unmounts. Helpers for the scripts below.
const FUSE: &str = r#"
F=$AUX/fuse
mkdir -p "$AUX/fsrc/carol" "$AUX/fsrc/base" "$F"
chown carol: "$AUX/fsrc/carol" && chmod 700 "$AUX/fsrc/carol"
chmod 1777 "$AUX/fsrc/base"
bindfs -f "$AUX/fsrc" "$F" 2>/dev/null & FUSE_PID=$!
trap 'kill -CONT $FUSE_PID 2>/dev/null; umount -l "$F" 2>/dev/null; kill $FUSE_PID 2>/dev/null' EXIT
for i in $(seq 100); do grep -q " $F " /proc/self/mountinfo && break; sleep 0.05; done
grep -q " $F " /proc/self/mountinfo || fail "bindfs did not mount"
# SIGSTOP reaches the daemon's threads one by one: wait until every one is stopped.
stop_fuse() {
  kill -STOP $FUSE_PID
  local i
  for i in $(seq 200); do
    ! grep -qv '^T' < <(for t in /proc/$FUSE_PID/task/*/stat; do awk '{print $3}' "$t"; done) && return
    sleep 0.01
  done
  fail "the FUSE daemon did not stop"
}
release_fuse() { kill -CONT $FUSE_PID; }
# End the outage, let the stuck check finish, start a new outage: the next
# run waits out the budget itself instead of skipping.
fresh_outage() {
  release_fuse
  local i
  for i in $(seq 100); do [ -z "$(stuck)" ] && break; sleep 0.05; done
  stop_fuse
}
# ms CMD...: run, and print the milliseconds it took on fd 3.
ms() { local s; s=$(date +%s%N); "$@"; local rc=$?; echo $(( ($(date +%s%N) - s) / 1000000 )) >&3; return $rc; }
# carol's processes still alive (stuck checks), as "pid state command" lines
# (carol's uid is this test's own: other tests' sandboxes share the pid space).
# Exited ones waiting for init to reap them do not count.
stuck() { ps -u carol -o pid=,stat=,args= 2>/dev/null | awk '$2 !~ /^Z/'; }
"#;

/// A FUSE filesystem whose daemon is stopped, holding TMPDIR and, separately,
/// the configured base: init, exec, path and doctor go on within 3 s with
/// the reason; Python then uses a private directory; twenty logins leave at
/// most one stuck check; nothing stuck holds the caller's pipes or is a child
/// of exec's command.
#[test]
fn hung_filesystem_never_holds_a_login() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    check(
        sb.user("carol", CAROL),
        &format!(
            "{FUSE}{}",
            r#"
# Answering: TMPDIR on it is kept as it is.
got=$(as carol env TMPDIR="$F/carol" bash -c 'eval "$("$TG" init bash)"; printf %s "$TMPDIR"')
[ "$got" = "$F/carol" ] || fail "a healthy FUSE TMPDIR was not kept: '$got'"
stop_fuse

# init, through the shell's $(...) pipe, with 2>&1 into another pipe.
out=$( { ms as carol env TMPDIR="$F/carol" bash -c 'eval "$("$TG" init bash)"; echo done; printf "%s\n" "$TMPDIR"; "$PY" -c "import tempfile; print(tempfile.gettempdir())"' 2>&1 | cat; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "init with TMPDIR on a hung FUSE mount: $t ms"
[ "$t" -lt 3000 ] || fail "init took $t ms"
grep -qx done <<<"$out" || fail "no done: $out"
grep -q 'did not answer within 2 s' <<<"$out" || fail "no reason: $out"
[ "$(grep -c '^/tmp/carol$' <<<"$out")" = 2 ] || fail "TMPDIR and Python are not /tmp/carol: $out"
[ "$(stat -c '%U %a' /tmp/carol)" = "carol 700" ] || fail "/tmp/carol is not private"

# A later login skips the mount at once: the first check still waits.
out=$( { ms as carol env TMPDIR="$F/carol" bash -c 'eval "$("$TG" init bash)"; echo done' 2>&1; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "a later login: $t ms"
[ "$t" -lt 1000 ] || fail "a later login took $t ms"
grep -q 'a check started earlier' <<<"$out" || fail "later login: $out"

# The configured base on it.
fresh_outage
out=$( { ms as carol env TMPGUARD_BASE="$F/base" bash -c 'eval "$("$TG" init bash)"; echo done; printf "%s\n" "$TMPDIR"' 2>&1; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "init with the base on it: $t ms"
[ "$t" -lt 3000 ] || fail "init with the base took $t ms"
grep -qx done <<<"$out" && grep -qx /tmp/carol <<<"$out" || fail "base: $out"
grep -q "refusing base $F/base.*did not answer" <<<"$out" || fail "base: no reason: $out"

# exec: the command runs, and has no child of ours.
fresh_outage
out=$( { ms as carol env TMPDIR="$F/carol" "$TG" exec -- sh -c 'echo "ran $TMPDIR"; ps -o comm= --ppid $$' 2>&1; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "exec: $t ms"
[ "$t" -lt 3000 ] || fail "exec took $t ms"
grep -qx 'ran /tmp/carol' <<<"$out" || fail "exec: $out"
[ "$(grep -vc -e '^ran ' -e '^ps$' -e '^tmpguard:' <<<"$out")" = 0 ] || fail "exec's command has other children: $out"

# path.
fresh_outage
out=$( { ms as carol env TMPDIR="$F/carol" "$TG" path 2>/dev/null; } 3>"$AUX/t")
t=$(cat "$AUX/t")
[ "$t" -lt 3000 ] && [ "$out" = /tmp/carol ] || fail "path: '$out' in $t ms"

# doctor: says so, does not hang.
fresh_outage
out=$( { ms as carol env TMPDIR="$F/carol" TMP="$F/carol" timeout 20 "$TG" doctor 2>&1; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "doctor: $t ms"
[ "$t" -lt 3000 ] || fail "doctor took $t ms"
grep -q 'did not answer within 2 s' <<<"$out" || fail "doctor does not say it: $(tr '\n' '|' <<<"$out")"

# Twenty logins during the outage: at most one stuck check.
pids=()
for i in $(seq 20); do
  as carol env TMPDIR="$F/carol" bash -c 'eval "$("$TG" init bash 2>/dev/null)"; echo done' >"$AUX/l.$i" & pids+=($!)
done
wait "${pids[@]}"
[ "$(cat "$AUX"/l.* | grep -c done)" = 20 ] || fail "not every login finished"
n=$(stuck | wc -l)
echo "carol's processes left during the outage: $n"
[ "$n" -le 1 ] || fail "$n stuck processes: $(stuck)"
# It holds nothing of the caller's: stdin, stdout and stderr are /dev/null.
pid=$(stuck | awk '{print $1}')
if [ -n "$pid" ]; then
  for fd in 0 1 2; do
    [ "$(readlink /proc/$pid/fd/$fd)" = /dev/null ] || fail "stuck check's fd $fd is $(readlink /proc/$pid/fd/$fd)"
  done
  [ "$(ls /proc/$pid/fd | wc -l)" -le 5 ] || fail "stuck check holds fds: $(ls -l /proc/$pid/fd)"
  [ "$(ps -o ppid= -p $pid | tr -d ' ')" = 1 ] || fail "stuck check's parent is $(ps -o ppid= -p $pid)"
fi

# Released: the check ends, the next login uses TMPDIR again.
release_fuse
for i in $(seq 50); do [ -z "$(stuck)" ] && break; sleep 0.1; done
[ -z "$(stuck)" ] || fail "the check did not end after the release: $(stuck)"
got=$(as carol env TMPDIR="$F/carol" bash -c 'eval "$("$TG" init bash)"; printf %s "$TMPDIR"')
[ "$got" = "$F/carol" ] || fail "after the release: '$got'"
"#
        ),
    );
}

/// Issue 18: a forwarded XDG_RUNTIME_DIR on a FUSE mount whose daemon is
/// stopped (as a hung NFS home would be): init, exec and doctor go on within
/// the same time budget as for TMPDIR, with the reason, and init exports
/// carol's valid /run/user/<uid> instead; a later login skips the mount at once.
#[test]
fn hung_runtime_dir_never_holds_a_login() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    check(
        sb.user("carol", CAROL),
        &format!(
            "{FUSE}{}",
            r#"
rt=/run/user/$(id -u carol)
stop_fuse
out=$( { ms as carol env XDG_RUNTIME_DIR="$F/carol" bash -c 'eval "$("$TG" init bash)"; echo done; printf "%s\n" "$XDG_RUNTIME_DIR"' 2>&1 | cat; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "init with XDG_RUNTIME_DIR on a hung FUSE mount: $t ms"
[ "$t" -lt 3000 ] || fail "init took $t ms"
grep -qx done <<<"$out" || fail "no done: $out"
grep -q "XDG_RUNTIME_DIR=$F/carol cannot be checked.*did not answer within 2 s" <<<"$out" || fail "no reason: $out"
grep -qx "$rt" <<<"$out" || fail "XDG_RUNTIME_DIR is not $rt: $out"

# A later login skips the mount at once: the first check still waits.
out=$( { ms as carol env XDG_RUNTIME_DIR="$F/carol" bash -c 'eval "$("$TG" init bash)"; echo done' 2>&1; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "a later login: $t ms"
[ "$t" -lt 1000 ] || fail "a later login took $t ms"
grep -q 'a check started earlier' <<<"$out" || fail "later login: $out"

# exec.
fresh_outage
out=$( { ms as carol env XDG_RUNTIME_DIR="$F/carol" "$TG" exec -- sh -c 'echo "ran $XDG_RUNTIME_DIR"' 2>&1; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "exec: $t ms"
[ "$t" -lt 3000 ] || fail "exec took $t ms"
grep -qx "ran $rt" <<<"$out" || fail "exec: $out"

# doctor: says so, does not hang.
fresh_outage
out=$( { ms as carol env XDG_RUNTIME_DIR="$F/carol" timeout 20 "$TG" doctor 2>&1; } 3>"$AUX/t")
t=$(cat "$AUX/t"); echo "doctor: $t ms"
[ "$t" -lt 3000 ] || fail "doctor took $t ms"
grep -q 'did not answer within 2 s' <<<"$out" || fail "doctor does not say it: $(tr '\n' '|' <<<"$out")"
release_fuse
"#
        ),
    );
}

/// Every kind of finding doctor makes, and the fix it prints, applied as a
/// user would: run in bash (`$SHELL`), or the rc line replaced as it says;
/// then doctor again: the finding is gone, or an info says what is used instead.
#[test]
fn doctor_fixes_really_fix() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        // A /tmp big enough that its own free space is no finding.
        sb.tmp("mode=1777,size=4g"),
        r#"
H=$AUX/home/alice
# findings JSON: one "severity<TAB>message<TAB>fix" line per finding.
findings() { "$PY" -c '
import json, sys
for f in json.load(sys.stdin)["findings"]:
    print(f["severity"], f["message"].replace("\n", " "), f.get("fix") or "", sep="\t")'; }
# doctor as alice in bash, with ENV... and after running CODE first.
doc() { local code=$1; shift; as alice env SHELL=/bin/bash PATH="$AUX:/usr/bin:/bin" "$@" bash -c "cd; $code"$'\n''"$TG" doctor --json' 2>/dev/null | findings; }
# case NAME REGEX ENV...: the finding matching REGEX is there; its fix
# (with $FIXSUB applied, for placeholders) removes it or leaves an info.
case_() {
  local name=$1 re=$2; shift 2
  local before fix after
  before=$(doc "${SETUP:-}" "$@" | grep -E -- "$re" | head -1)
  [ -n "$before" ] || { fail "$name: no finding /$re/ before: $(doc "${SETUP:-}" "$@" | cut -f1,2)"; return; }
  fix=$(cut -f3 <<<"$before")
  [ -n "$fix" ] || { fail "$name: no fix in: $before"; return; }
  [ -n "${FIXSUB:-}" ] && fix=$(sed "$FIXSUB" <<<"$fix")
  echo "$name: fix: $fix"
  if [[ $fix == "replace that line with: "* ]]; then
    after=$(doc "${SETUP:-}" "$@" | grep -E -- "$re" | grep -v '^info' | head -1)
  else
    after=$(doc "${SETUP:-}"$'\n'"$fix" "$@" | grep -E -- "$re" | grep -v '^info' | head -1)
  fi
  [ -z "$after" ] || fail "$name: still there after its fix ($fix): $after"
}

long=$H/$(printf 'a%.0s' $(seq 50))
as alice mkdir -m 700 "$long"
case_ "long socket path" 'Unix sockets under it' TMPDIR="$long"

mkdir -p "$AUX/small" && mount -t tmpfs -o size=64m,mode=755 tmpfs "$AUX/small"
mkdir -m 700 "$AUX/small/alice" && chown alice: "$AUX/small/alice"
FIXSUB='s|BIGGER_DIR|/tmp|' case_ "small filesystem" 'free \(.*\) on the filesystem' TMPDIR="$AUX/small/alice"

as alice mkdir -m 700 "$H/priv"
case_ "TMP disagreeing" 'TMP=/var/tmp' TMPDIR="$H/priv" TMP=/var/tmp
case_ "TEMP disagreeing" 'TEMP=/var/tmp' TMPDIR="$H/priv" TEMP=/var/tmp
case_ "empty TMPDIR" 'TMPDIR is set but empty' TMPDIR=
case_ "relative TMPDIR" 'TMPDIR=rel' TMPDIR=rel
case_ "unset TMPDIR" 'TMPDIR is not set' 
case_ "missing TMPDIR" 'TMPDIR=/nonexistent' TMPDIR=/nonexistent/x
as alice mkdir -m 775 "$H/loose"
case_ "loose mode" "TMPDIR=$H/loose" TMPDIR="$H/loose"
as mallory mkdir -m 777 /tmp/mallorys
case_ "foreign directory" 'TMPDIR=/tmp/mallorys' TMPDIR=/tmp/mallorys
as alice mkdir -m 500 "$H/ro"
case_ "unusable directory" "TMPDIR=$H/ro" TMPDIR="$H/ro"

install -d -m 700 -o alice -g alice /tmp/job42
case_ "job directory replaced" "is not the job's directory" SLURM_JOB_ID=42 SLURM_TMPDIR=/tmp/job42 TMPDIR="$H/priv"

# An unconditional rc line: the fix says what to put instead; do that.
printf 'export TMPDIR=/tmp/fixed\n' >"$H/.bashrc" && chown alice: "$H/.bashrc"
before=$(doc "" | grep -E 'sets TMPDIR unconditionally')
fix=$(cut -f3 <<<"$before")
[[ $fix == "replace that line with: "* ]] || fail "rc line: fix '$fix'"
line=${fix#replace that line with: }
printf '%s\n' "$line" >"$H/.bashrc"
after=$(doc "" | grep -E 'sets TMPDIR unconditionally')
[ -z "$after" ] || fail "rc line: still there: $after"
"#,
    );
}

/// doctor's socket limit for Python's multiprocessing is where the real
/// python3 starts failing: a listener works in a TMPDIR of the length doctor
/// allows, and fails one byte longer.
#[test]
fn socket_limit_agrees_with_real_python() {
    let Some(sb) = common::sandbox() else { return };
    check(
        sb,
        r#"
# doctor lists each tool's limit for a directory too long for all of them.
long=/tmp/$(head -c 100 /dev/zero | tr '\0' c)
mkdir -m 700 "$long" && chown alice: "$long"
n=$(as alice env TMPDIR="$long" timeout 20 "$TG" doctor 2>/dev/null | sed -n 's/.*Python multiprocessing: up to \([0-9]*\) bytes.*/\1/p' | head -1)
[ -n "$n" ] || { fail "doctor names no limit for Python"; n=0; }
listen() { as alice env TMPDIR="$1" "$PY" -c 'from multiprocessing.connection import Listener; Listener(family="AF_UNIX")' 2>&1; }
for len in "$n" $((n + 1)); do
  [ "$len" -gt 10 ] || break
  d=/tmp/$(head -c $((len - 5)) /dev/zero | tr '\0' b)
  mkdir -m 700 "$d" && chown alice: "$d"
  [ ${#d} = "$len" ] || fail "made ${#d} bytes, want $len"
  out=$(listen "$d")
  if [ "$len" = "$n" ]; then [ -z "$out" ] || fail "python fails at $len bytes, doctor allows it: $out"
  else grep -q 'AF_UNIX path too long' <<<"$out" || fail "python works at $len bytes, doctor refuses it: $out"; fi
done
echo "Python multiprocessing: doctor and python3 agree on $n bytes"
"#,
    );
}

/// doctor's Ruby rule against the real ruby: the directory `Dir.tmpdir`
/// returns is the one doctor names, for an empty TMPDIR (the current
/// directory, not /tmp), an empty TMP after a rejected TMPDIR, a
/// world-writable TMPDIR without the sticky bit, and an ordinary one.
#[test]
fn ruby_rule_agrees_with_real_ruby() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have("ruby"), "ruby (apt-get install ruby)") {
        return;
    }
    check(
        sb,
        r#"
H=$AUX/home/alice
as alice mkdir -m 700 "$H/own" && as alice mkdir -m 777 "$H/open"
doctor_ruby() {
  as alice env "$@" bash -c 'cd "$HOME/own" && "$TG" doctor --json' 2>/dev/null | "$PY" -c '
import json, sys
d = [r for r in json.load(sys.stdin)["runtimes"] if r["name"] == "Ruby"][0]["dir"]
# "" and "." name the current directory of doctor: ~/own.
print("(raises)" if d is None else sys.argv[1] if d in ("", ".") else d)' "$H/own"
}
real_ruby() { as alice env "$@" bash -c 'cd "$HOME/own" && ruby -rtmpdir -e "puts Dir.tmpdir"' 2>/dev/null || echo "(raises)"; }
while IFS= read -r envs; do
  eval "set -- $envs"
  want=$(real_ruby "$@"); got=$(doctor_ruby "$@")
  [ "$want" = "$got" ] || fail "Ruby with $envs: ruby says '$want', doctor says '$got'"
  echo "Ruby with ${envs:-nothing set}: $want"
done <<LIST
TMPDIR=
TMPDIR=$H/open TMP=
TMPDIR=$H/open
TMPDIR=$H/own
TMPDIR=/nonexistent TEMP=$H/own
TMP=
LIST
"#,
    );
}

/// A passwd lookup that never answers (/etc/passwd a FIFO with no writer
/// standing in for a stuck LDAP/sssd): init fails within the budget with that
/// reason and exports nothing (never `uid-N`); the next start fails at once;
/// once the lookup answers again, init works. A site whose passwd comes from
/// sssd too (the module need not exist: the files source, a FIFO, hangs
/// first).
#[test]
fn stuck_identity_service_fails_in_time_and_takes_no_other_name() {
    stuck_identity_service("passwd: files sss", ("erin", ERIN));
}

/// The same with only sources that look local (`files`, as `compat` and
/// `systemd` do; red team 7: they were asked with no time limit, and a
/// lookup that could not start named the directory `uid-N`): any source can
/// hang, and every lookup has the budget.
#[test]
fn stuck_local_passwd_source_fails_in_time_too() {
    // Another user than the test above: the lookup's lock is a socket in the
    // abstract namespace, which the two sandboxes share.
    stuck_identity_service("passwd: files", ("gwen", GWEN));
}

fn stuck_identity_service(passwd_line: &str, (user, uid): (&str, u32)) {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.user(user, uid),
        &(format!("printf '%s\\ngroup: files\\n' '{passwd_line}' >\"$AUX/nsswitch.conf\"\n")
            + &r#"
mkfifo -m 644 "$AUX/pwfifo"
# erin's login, with /etc/passwd a FIFO in a mount namespace of its own.
login() { stuck_login /etc/passwd "$AUX/pwfifo" 27317 erin "$@"; }
start=$(date +%s%N); out=$(login init bash); rc=$?; ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "stuck passwd lookup: exit $rc after $ms ms: $out"
[ "$rc" = 1 ] || fail "exit $rc, want 1"
[ "$ms" -lt 3000 ] || fail "took $ms ms"
grep -q 'the passwd lookup of erin did not answer within 2 s' <<<"$out" || fail "reason: $out"
# (XDG_RUNTIME_DIR is decided on its own: logind's valid /run/user/<uid> is
# exported even when TMPDIR fails, issue 18.)
grep -q 'export TMP' <<<"$out" && fail "exported something: $out"
[ -e /tmp/uid-27317 ] && fail "made /tmp/uid-27317"
start=$(date +%s%N); out=$(login init bash); ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "next start: $ms ms"
[ "$ms" -lt 1000 ] || fail "the next start took $ms ms"
grep -q 'a check started earlier' <<<"$out" || fail "next start: $out"
# doctor says the lookup did not answer (not "no passwd entry").
out=$(login doctor --json)
grep -q '"passwd_no_answer"' <<<"$out" || fail "doctor: $out"
grep -q 'no_passwd_entry' <<<"$out" && fail "doctor says no passwd entry: $out"
grep -q '"init_would": *"fail: the passwd lookup of erin' <<<"$out" || fail "doctor, init would: $out"
# The service answers again (a writer comes and goes: EOF, no such user).
: >"$AUX/pwfifo"
for i in $(seq 50); do [ -z "$(ps -u 27317 -o pid= | head -1)" ] && break; sleep 0.1; done
out=$(as erin "$TG" init bash 2>&1)
grep -q "export TMPDIR='/tmp/erin'" <<<"$out" || fail "after the outage: $out"
"#
            .replace("erin", user)
            .replace("27317", &uid.to_string())),
    );
}

/// A passwd lookup that cannot even start (`ulimit -u 1`: no process can be
/// forked) is no answer, not "no such user": init fails with the reason and
/// names nothing `uid-N` (red team 7: it made /tmp/uid-27317).
#[test]
fn a_lookup_that_cannot_start_is_no_answer() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.user("hana", HANA),
        r#"
out=$(as hana bash -c 'ulimit -u 1; exec "$TG" init bash' 2>&1); rc=$?
echo "ulimit -u 1: exit $rc: $out"
[ "$rc" = 1 ] || fail "exit $rc, want 1"
grep -q 'the passwd lookup of hana could not be checked' <<<"$out" || fail "reason: $out"
grep -q 'export TMP' <<<"$out" && fail "exported something: $out"
[ -e /tmp/uid-27320 ] && fail "made /tmp/uid-27320"
out=$(as hana "$TG" init bash 2>&1)
grep -q "export TMPDIR='/tmp/hana'" <<<"$out" || fail "without the limit: $out"
"#,
    );
}

/// A site's `pilot` list asks for the user's groups at every start: when
/// the group source hangs (/etc/group a FIFO), the start ends within the
/// budget and tmpguard stays off for it (red team 7: every login hung).
#[test]
fn a_pilot_list_with_a_stuck_group_source_holds_no_login() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.user("ivy", IVY),
        r#"
# The site's timeout (500 ms) is the pilot lookups' budget too (red team 8:
# they always took the default 2 s).
mkdir -p /etc/tmpguard && printf 'pilot = ["@hpcstaff"]\ntimeout = "500ms"\n' >/etc/tmpguard/tmpguard.toml
chmod 644 /etc/tmpguard/tmpguard.toml
mkfifo -m 644 "$AUX/grfifo"
printf 'passwd: files\ngroup: files\n' >"$AUX/nsswitch.conf"
login() { stuck_login /etc/group "$AUX/grfifo" 27321 ivy init bash; }
start=$(date +%s%N); out=$(login); rc=$?; ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "stuck group lookup: exit $rc after $ms ms: $out"
[ "$rc" = 0 ] || fail "exit $rc, want 0"
[ "$ms" -lt 1600 ] || fail "took $ms ms (the site's timeout is 500 ms)"
[ "$ms" -ge 450 ] || fail "answered in $ms ms: the group source did not hang"
grep -q 'export TMPDIR' <<<"$out" && fail "on for a user not known to be in the pilot: $out"
: >"$AUX/grfifo"
"#,
    );
}

/// The lookup's lock is a socket name in the abstract namespace, which any
/// user can take. Another user who binds it and fills its queue (connects
/// that are never accepted) must not make jill's starts give up as if an
/// earlier lookup of hers were stuck (red team 8: init failed at every start
/// while /tmp/jill was missing, and a pilot site left tmpguard off).
#[test]
fn a_lookup_lock_squatted_by_another_user_is_ignored() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.user("jill", JILL),
        r#"
cat >"$AUX/squat.py" <<'PY'
import socket, sys, time
name = b"\0tmpguard/27322/nss"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(name)
s.listen(0)
held = []
while True:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(name)
        held.append(c)
    except BlockingIOError:
        break
open(sys.argv[1], "w").write("full %d\n" % len(held))
time.sleep(20)
PY
chmod 755 "$AUX/squat.py" && mkdir -m 777 "$AUX/sq"
as mallory "$PY" "$AUX/squat.py" "$AUX/sq/full" &
squatter=$!
for i in $(seq 100); do [ -s "$AUX/sq/full" ] && break; sleep 0.05; done
[ -s "$AUX/sq/full" ] || fail "the squatter did not fill its queue"
out=$(as jill "$TG" init bash 2>&1); rc=$?
echo "with the lock squatted: exit $rc: $out"
[ "$rc" = 0 ] || fail "exit $rc: $out"
grep -q "export TMPDIR='/tmp/jill'" <<<"$out" || fail "no TMPDIR: $out"
pkill -u mallory -f squat.py; wait 2>/dev/null
"#,
    );
}

/// The fast path (TMPDIR already /tmp/$USER) pays nothing for hung-filesystem
/// safety: no mountinfo read, no fork or thread, no socket, under strace -f.
#[test]
fn fast_path_reads_no_mountinfo_and_forks_nothing() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have("strace"), "strace") {
        return;
    }
    check(
        sb,
        r#"
as alice "$TG" init bash >/dev/null 2>&1
as alice env TMPDIR=/tmp/alice strace -f -qq -o "$AUX/home/alice/st" "$TG" init bash >/dev/null 2>&1
grep -E 'mountinfo|clone|fork|socket\(' "$AUX/home/alice/st" && fail "the fast path did one of the above"
n=$(grep -vc '^[0-9]* *\(+++\|---\)' "$AUX/home/alice/st")
echo "fast path: $n system calls"
"#,
    );
}

/// A user only the remote-hook test has.
const FAY: u32 = 27318;
/// A user of her own for the second stuck-lookup test.
const GWEN: u32 = 27319;
/// And for the lookup that cannot start, and the stuck pilot lookup.
const HANA: u32 = 27320;
const IVY: u32 = 27321;
/// The user whose lookup lock another user squats.
const JILL: u32 = 27322;

/// A TMPDIR on a FUSE mount of the user's own gets no prompt check (a hung
/// mount would block every prompt at its check): the hook checks
/// XDG_RUNTIME_DIR alone (TMPDIR is the value it is quiet about), and with
/// --no-runtime-dir there is no hook; a local one has the full hook, and
/// so does the same directory reached through the local copy.
#[test]
fn no_prompt_hook_for_a_tmpdir_on_fuse() {
    // Tier 3: a test user mounts FUSE through the setuid fusermount3, which a
    // user namespace cannot use.
    let Some(sb) = common::real_root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    check(
        sb.user("fay", FAY),
        r#"
# A private /dev/fuse node: the host's may be 0600, and is shared.
mknod "$AUX/fusedev" c 10 229 && chmod 666 "$AUX/fusedev"
[ -e /dev/fuse ] || touch /dev/fuse
mount --bind "$AUX/fusedev" /dev/fuse
S=/mnt/tg/home/fay/src F=/mnt/tg/home/fay/fuse
as fay mkdir -p -m 700 "$S/t" "$F"
(exec setpriv --reuid=fay --regid=fay --clear-groups env -i PATH=/usr/bin:/bin bindfs -f --no-allow-other "$S" "$F" </dev/null >"$AUX/bindfs.log" 2>&1) & P=$!
trap 'umount -l "$F" 2>/dev/null; kill -KILL $P 2>/dev/null' EXIT
for i in $(seq 100); do grep -q " $F .* - fuse" /proc/self/mountinfo && break; sleep 0.05; done
grep -q " $F .* - fuse" /proc/self/mountinfo || fail "bindfs did not mount: $(cat $AUX/bindfs.log; ls -ld $S $F)"
# Through a symlink of fay's, too: where it leads decides.
as fay ln -s "$F/t" /mnt/tg/home/fay/link
for d in "$F/t" /mnt/tg/home/fay/link "$S/t"; do
  out=$(as fay env TMPDIR="$d" bash -ic '"$TG" init bash' 2>&1)
  grep -qx "export TMPDIR='$d'" <<<"$out" || fail "$d not kept: $out"
  case $d in
    "$S/t") grep -q -e --hook-only -e __tmpguard_hook <<<"$out" || fail "local $d: no hook: $out" ;;
    *) grep -q -e --hook-only -e __tmpguard_hook <<<"$out" && grep -qxF '[[ $- != *i* ]]||__tgf=$TMPDIR' <<<"$out" || fail "FUSE $d: no hook for XDG_RUNTIME_DIR alone: $out"
       out=$(as fay env TMPDIR="$d" bash -ic '"$TG" init bash --no-runtime-dir' 2>&1)
       ! grep -q -e --hook-only -e __tmpguard_hook <<<"$out" || fail "FUSE $d, --no-runtime-dir: a hook: $out" ;;
  esac
done
"#,
    );
}

/// `doctor_dir NAME VAR=... ...`: the directory doctor's runtimes table
/// names for NAME with those variables (as alice, in `~/own`);
/// `compare NAME REAL`: for each line of stdin (variables, shell-quoted),
/// the real program (the function REAL, given the variables) prints what
/// doctor names.
const RUNTIMES: &str = r#"
H=$AUX/home/alice
as alice mkdir -m 700 "$H/own" && as alice mkdir -m 500 "$H/ro"
doctor_dir() {
  local name=$1; shift
  as alice env "$@" bash -c 'cd "$HOME/own" && "$TG" doctor --json' 2>/dev/null | "$PY" -c '
import json, sys
d = [r for r in json.load(sys.stdin)["runtimes"] if r["name"] == sys.argv[1]][0]["dir"]
print("(raises)" if d is None else d)' "$name"
}
compare() {
  local name=$1 real=$2 envs want got
  while IFS= read -r envs; do
    eval "set -- $envs"
    want=$("$real" "$@"); got=$(doctor_dir "$name" "$@")
    [ "$want" = "$got" ] || fail "$name with $envs: the real one says '$want', doctor says '$got'"
    echo "$name with ${envs:-nothing set}: $want"
  done
}
"#;

/// doctor's Go rule against the real Go: `os.TempDir()` in a program built
/// here, for TMPDIR unset, empty, unusable (Go does not check) and ordinary.
#[test]
fn go_rule_agrees_with_real_go() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have("go"), "go (apt-get install golang-go)") {
        return;
    }
    check(
        sb,
        &format!(
            r#"{RUNTIMES}
mkdir -p "$AUX/gosrc"
printf 'package main\nimport ("fmt"; "os")\nfunc main() {{ fmt.Println(os.TempDir()) }}\n' >"$AUX/gosrc/main.go"
( cd "$AUX/gosrc" && HOME=$AUX GOCACHE=$AUX/gocache GOPATH=$AUX/gopath GOFLAGS=-mod=mod GO111MODULE=off \
    timeout 300 go build -o "$AUX/gotmp" main.go ) || fail "go build failed"
chmod 755 "$AUX/gotmp"
real_go() {{ as alice env "$@" bash -c 'cd "$HOME/own" && "$AUX/gotmp"' 2>/dev/null || echo "(fails)"; }}
compare Go real_go <<LIST

TMPDIR=
TMPDIR=$H/own
TMPDIR=/nonexistent TMP=$H/own
TMPDIR=$H/ro
LIST
"#
        ),
    );
}

/// doctor's Java rule against the real JVM: `java.io.tmpdir` as
/// `java -XshowSettings:properties` prints it. TMPDIR is ignored; a
/// `-Djava.io.tmpdir=` in JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS or
/// _JAVA_OPTIONS wins, the last applied first.
#[test]
fn java_rule_agrees_with_real_java() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(
        common::have("java"),
        "java (apt-get install openjdk-17-jre-headless)",
    ) {
        return;
    }
    check(
        sb,
        &format!(
            r#"{RUNTIMES}
real_java() {{
  as alice env "$@" bash -c 'cd "$HOME/own" && timeout 60 java -XshowSettings:properties -version 2>&1' |
    sed -n 's/^ *java\.io\.tmpdir = //p' | grep . || echo "(fails)"
}}
compare Java real_java <<LIST

TMPDIR=
TMPDIR=$H/own
TMPDIR=/nonexistent
JAVA_TOOL_OPTIONS=-Djava.io.tmpdir=$H/own
JAVA_TOOL_OPTIONS=-Djava.io.tmpdir=/a JDK_JAVA_OPTIONS=-Djava.io.tmpdir=$H/own
JDK_JAVA_OPTIONS=-Djava.io.tmpdir=/a _JAVA_OPTIONS=-Djava.io.tmpdir=$H/own
_JAVA_OPTIONS=-Djava.io.tmpdir=$H/own JAVA_TOOL_OPTIONS=-Djava.io.tmpdir=/a
LIST
"#
        ),
    );
}

/// doctor's R rule against the real R: the parent of `tempdir()` (R makes
/// its own RtmpXXXXXX under the directory it chose) for TMPDIR unset,
/// empty, missing, read-only (R skips to TMP, then TEMP, then /tmp) and
/// ordinary.
#[test]
fn r_rule_agrees_with_real_r() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(
        common::have("Rscript"),
        "Rscript (apt-get install r-base-core)",
    ) {
        return;
    }
    check(
        sb,
        &format!(
            r#"{RUNTIMES}
real_r() {{
  as alice env "$@" bash -c 'cd "$HOME/own" && timeout 60 Rscript --vanilla -e "cat(dirname(tempdir()), fill = TRUE)"' 2>/dev/null ||
    echo "(fails)"
}}
compare R real_r <<LIST

TMPDIR=
TMPDIR=$H/own
TMPDIR=/nonexistent
TMPDIR=/nonexistent TMP=$H/own
TMPDIR=$H/ro TMP= TEMP=$H/own
TMPDIR=$H/ro
LIST
"#
        ),
    );
}

/// doctor's socket limit for ssh is where the real ssh starts failing: a
/// master (`ControlMaster=yes`, `ControlPath=$TMPDIR/ssh-%C`) binds its
/// socket in a TMPDIR of the length doctor allows, and one byte longer it
/// cannot (it binds `<ControlPath>.<16 random characters>` first). The
/// server is the real sshd in inetd mode behind a ProxyCommand, as alice
/// with a throwaway host key: no network, no daemon left behind.
#[test]
fn socket_limit_agrees_with_real_ssh() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(
        common::have("ssh") && common::have("/usr/sbin/sshd"),
        "ssh, sshd (apt-get install openssh-client openssh-server)",
    ) {
        return;
    }
    check(
        sb,
        r#"
S=$AUX/sshd
mkdir -m 700 "$S" && chown alice: "$S"
as alice ssh-keygen -q -t ed25519 -N '' -f "$S/host" || fail "host key"
as alice ssh-keygen -q -t ed25519 -N '' -f "$S/id" || fail "user key"
as alice cp "$S/id.pub" "$S/authorized_keys"
cat >"$S/config" <<CONF
HostKey $S/host
AuthorizedKeysFile $S/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
CONF
chown alice: "$S/config"
long=/tmp/$(head -c 100 /dev/zero | tr '\0' c)
mkdir -m 700 "$long" && chown alice: "$long"
n=$(as alice env TMPDIR="$long" timeout 20 "$TG" doctor 2>/dev/null | sed -n 's/^ *ssh: up to \([0-9]*\) bytes.*/\1/p' | head -1)
[ -n "$n" ] || { fail "doctor names no limit for ssh"; n=0; }
# The master lists its TMPDIR from the remote side while its socket exists.
master() {
  as alice env TMPDIR="$1" timeout 30 ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$S/id" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=error \
    -o ProxyCommand="/usr/sbin/sshd -i -f $S/config" \
    -o ControlMaster=yes -o ControlPath="$1/ssh-%C" -o ControlPersist=no \
    tmpguard-test "ls -A '$1'" 2>&1
}
for len in "$n" $((n + 1)); do
  [ "$len" -gt 10 ] || break
  d=/tmp/$(head -c $((len - 5)) /dev/zero | tr '\0' s)
  mkdir -m 700 "$d" && chown alice: "$d"
  [ ${#d} = "$len" ] || fail "made ${#d} bytes, want $len"
  out=$(master "$d")
  if [ "$len" = "$n" ]; then
    grep -Eq '^ssh-[0-9a-f]{40}$' <<<"$out" || fail "ssh has no socket at $len bytes, doctor allows it: $out"
  else
    grep -q 'too long for Unix domain socket' <<<"$out" || fail "ssh binds at $len bytes, doctor refuses it: $out"
    grep -Eq '^ssh-[0-9a-f]{40}' <<<"$out" && fail "a socket at $len bytes: $out"
  fi
  echo "ssh at $len bytes: $(tr '\n' ' ' <<<"$out")"
done
echo "ssh: doctor and ssh agree on $n bytes"
"#,
    );
}

/// The prompt hook's repair meets a hung filesystem: carol's interactive
/// bash has a local TMPDIR (so it has the hook); the directory is removed and
/// the base she now names (TMPGUARD_BASE) is on a FUSE mount whose daemon is
/// stopped. The repair before the next command runs init, which gives the
/// base up within the time budget and falls back to /tmp: the command runs
/// with a fresh private /tmp/carol, and the shell goes on.
#[test]
fn hook_repair_on_a_hung_filesystem_goes_on() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    check(
        sb.user("carol", CAROL),
        &format!(
            "{FUSE}{}",
            r#"
stop_fuse
cat >"$AUX/session" <<'S'
eval "$("$TG" init bash)"
echo "before $TMPDIR"
rm -rf /tmp/carol; export TMPGUARD_BASE=$F/base; date +%s%N >"$AUX/t0"
echo "after $TMPDIR"; date +%s%N >"$AUX/t1"
echo done
S
chmod 644 "$AUX/session"
rm -f "$AUX/t0" "$AUX/t1"; touch "$AUX/t0" "$AUX/t1"; chmod 666 "$AUX/t0" "$AUX/t1"
out=$(as carol env F="$F" AUX="$AUX" PS1= timeout 20 bash --norc --noediting -i <"$AUX/session" 2>&1)
grep -q 'before /tmp/carol$' <<<"$out" || fail "no hook start: $out"
grep -q 'after /tmp/carol$' <<<"$out" || fail "the command did not run with a fresh /tmp/carol: $out"
grep -q 'done$' <<<"$out" || fail "the shell did not go on: $out"
[ "$(stat -c '%U %a' /tmp/carol)" = "carol 700" ] || fail "/tmp/carol is not private"
t=$(( ($(cat "$AUX/t1") - $(cat "$AUX/t0")) / 1000000 ))
echo "the repair took $t ms"
# It met the hung base (waited out the budget), and no more.
[ "$t" -ge 1500 ] || fail "the repair took $t ms: it did not meet the hung base"
[ "$t" -lt 3000 ] || fail "the repair took $t ms"
"#
        ),
    );
}
