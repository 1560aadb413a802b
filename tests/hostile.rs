//! A hostile and broken /tmp, built for real: an attacker (mallory) squats the
//! victim's (alice's) name with every kind of object and races the creation;
//! /tmp goes read-only, fills up, runs out of inodes; identities lie. In every
//! case the exported directory is a real directory of the user, mode 0700,
//! that CPython accepts, or nothing is exported and stderr says why; nothing
//! of anyone else changes; nothing hangs; squats reach the system log.
//!
//! The scripts assert in bash and print `FAIL: ...` lines; each ends with
//! `DONE` so a script that stopped early cannot pass.
mod common;

use common::{Out, Sandbox};

/// Shell helpers every script here gets, after the harness's prelude.
const HELPERS: &str = r#"
fail() { echo "FAIL: $*"; }

# tg USER [NAME=VALUE...] ARGS...: run tmpguard as USER with a deadline;
# sets $out, $err and $rc.
tg() {
  local u=$1; shift
  local envs=()
  while [[ $# -gt 0 && $1 == *=* ]]; do envs+=("$1"); shift; done
  as "$u" env "${envs[@]}" timeout 10 "$TG" "$@" >"$AUX/out" 2>"$AUX/err"; rc=$?
  out=$(cat "$AUX/out"); err=$(cat "$AUX/err")
}

# The TMPDIR that init's output sets, evaluated by bash.
exported() { env -i bash -c "$1"$'\n''printf %s "$TMPDIR"'; }

# private USER DIR: a real directory (not a link) of USER, mode 0700, empty,
# and python's tempfile, run as USER with TMPDIR=DIR, uses it.
private() {
  local want="directory $(id -u "$1") 700" got py
  got=$(stat -c '%F %u %a' -- "$2")
  [ "$got" = "$want" ] || { fail "$2 is '$got', want '$want'"; return 1; }
  [ -z "$(ls -A -- "$2")" ] || fail "$2 is not empty: $(ls -A -- "$2")"
  py=$(as "$1" env TMPDIR="$2" "$PY" -c 'import tempfile; print(tempfile.gettempdir())')
  [ "$py" = "$2" ] || { fail "python's tempfile uses '$py' with TMPDIR=$2"; return 1; }
}

# failed WHAT PATTERN: tmpguard exited 1, printed nothing on stdout, and said
# on stderr what matches PATTERN (an extended regex).
failed() {
  [ "$rc" = 1 ] || fail "$1: exit $rc, want 1 (stderr: $err)"
  [ -z "$out" ] || fail "$1: printed on stdout: $out"
  [[ $err == tmpguard:* ]] || fail "$1: stderr does not start with tmpguard: '$err'"
  grep -Eq -- "$2" <<<"$err" || fail "$1: stderr '$err' does not match /$2/"
}

# The state of an object, to prove it unchanged: type, owner, mode, size,
# mtime and ctime to the nanosecond, inode; a file's contents; a directory's names.
snap() {
  local p
  for p in "$@"; do
    stat -c '%n %F %u:%g %a %s %y %z %i' -- "$p"
    if [ -f "$p" ] && [ ! -L "$p" ]; then sha256sum <"$p"; fi
    if [ -d "$p" ] && [ ! -L "$p" ]; then ls -A -- "$p"; fi
  done
}

# Empty the sandbox's /tmp (between cases in one test).
reset_tmp() { find /tmp -mindepth 1 -delete; }

# A private /dev/log for this namespace: /dev becomes a small tmpfs with the
# few devices scripts use (the host's devtmpfs is shared, so nothing is made
# there), and a listener appends each datagram as a line to $AUX/syslog.
syslog_start() {
  mkdir -p "$AUX/dev" && mount --rbind /dev "$AUX/dev"
  mount -t tmpfs -o mode=755 tmpfs /dev
  local n
  for n in null zero full random urandom tty; do touch "/dev/$n"; mount --bind "$AUX/dev/$n" "/dev/$n"; done
  ln -s /proc/self/fd /dev/fd; ln -s fd/0 /dev/stdin; ln -s fd/1 /dev/stdout; ln -s fd/2 /dev/stderr
  mkfifo "$AUX/syslog.ack"; : >"$AUX/syslog"
  "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
log = open(sys.argv[1], "ab", buffering=0)
def ack():
    with open(sys.argv[2], "w") as f:
        f.write("ok\n")
ack()
while True:
    d = s.recv(65536)
    if d == b"SYNC":
        ack()
    elif d == b"STOP":
        break
    else:
        log.write(d + b"\n")
' "$AUX/syslog" "$AUX/syslog.ack" </dev/null >/dev/null 2>"$AUX/syslog.err" &
  SYSLOG_PID=$!
  # It must not outlive the script: it would hold the test's pipes open.
  trap 'kill $SYSLOG_PID 2>/dev/null' EXIT
  read -r _ <"$AUX/syslog.ack"
}
syslog_send() { "$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), "/dev/log")' "$1"; }
# Every datagram sent before this is in $AUX/syslog after it (datagrams queue in order).
syslog_sync() { syslog_send SYNC; read -r _ <"$AUX/syslog.ack"; }
syslog_lines() { wc -l <"$AUX/syslog"; }
"#;

/// Run `body` after the helpers; the script must reach `DONE` with no `FAIL`.
fn check(sb: Sandbox, body: &str) -> Out {
    common::run_checked(&sb, HELPERS, body, "HOSTILE_SHOW")
}

/// Every kind of object at the victim's name, by the attacker, root, or the
/// victim herself: a private fallback, warned about, reused, kept silently by
/// a nested shell, logged when someone else's; nothing of theirs touched; the
/// target used again once the object is gone.
#[test]
fn squatted_name_gets_a_private_fallback() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let out = check(
        sb,
        r#"
syslog_start
trap_dir=$AUX/trap; mkdir -m 777 "$trap_dir"; chown mallory: "$trap_dir"; chmod 777 "$trap_dir"
home=$AUX/home/alice
# kind: how to make it | who owns it (uid in the warning; empty: alice's own) | how to remove it
cases=(
  "dir-0755|as mallory mkdir -m 755 /tmp/alice|2002|as mallory rmdir /tmp/alice"
  "dir-0777|as mallory sh -c 'mkdir /tmp/alice && chmod 777 /tmp/alice'|2002|as mallory rmdir /tmp/alice"
  "dir-0700|as mallory mkdir -m 700 /tmp/alice|2002|as mallory rmdir /tmp/alice"
  "link-to-attacker-dir|as mallory ln -s $trap_dir /tmp/alice|2002|as mallory rm /tmp/alice"
  "link-to-victim-home|as mallory ln -s $home /tmp/alice|2002|as mallory rm /tmp/alice"
  "dangling-link|as mallory ln -s /tmp/nowhere /tmp/alice|2002|as mallory rm /tmp/alice"
  "file|as mallory sh -c 'echo secret >/tmp/alice'|2002|as mallory rm /tmp/alice"
  "fifo|as mallory mkfifo /tmp/alice|2002|as mallory rm /tmp/alice"
  "socket|as mallory $PY -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"/tmp/alice\")'|2002|as mallory rm /tmp/alice"
  "root-dir|mkdir -m 755 /tmp/alice|0|rmdir /tmp/alice"
  "own-open-dir|as alice sh -c 'mkdir /tmp/alice && chmod 777 /tmp/alice'||as alice rmdir /tmp/alice"
  "own-link|as alice ln -s $home /tmp/alice||as alice rm /tmp/alice"
)
for c in "${cases[@]}"; do
  IFS='|' read -r kind make owner remove <<<"$c"
  reset_tmp
  eval "$make"
  before=$(snap /tmp/alice "$trap_dir" "$home")
  logged=$(syslog_lines)

  tg alice init bash
  [ "$rc" = 0 ] || fail "$kind: init exit $rc: $err"
  dir=$(exported "$out")
  [[ $dir =~ ^/tmp/alice\.[a-z0-9]{8}$ ]] || { fail "$kind: exported '$dir'"; continue; }
  private alice "$dir"
  grep -q "WARNING: .*/tmp/alice.*using the private fallback $dir" <<<"$err" || fail "$kind: warning: $err"
  [ -z "$owner" ] || grep -q "uid $owner" <<<"$err" || fail "$kind: warning does not name uid $owner: $err"

  # A second login shell reuses it, and warns again.
  tg alice init bash
  [ "$(exported "$out")" = "$dir" ] || fail "$kind: second shell got '$(exported "$out")', not $dir"
  grep -q WARNING <<<"$err" || fail "$kind: second shell did not warn"
  # path prints it and nothing else.
  tg alice path
  [ "$rc/$out/$err" = "0/$dir/" ] || fail "$kind: path: $rc/$out/$err"
  # A nested shell whose TMPDIR is the fallback keeps it, silently.
  tg alice TMPDIR="$dir" init bash
  [ "$(exported "$out")/$err" = "$dir/" ] || fail "$kind: nested shell: $out/$err"
  [ "$(ls -d /tmp/alice.* | wc -l)" = 1 ] || fail "$kind: fallbacks: $(ls -d /tmp/alice.*)"

  [ "$(snap /tmp/alice "$trap_dir" "$home")" = "$before" ] || fail "$kind: something changed: $before // $(snap /tmp/alice "$trap_dir" "$home")"
  syslog_sync
  new=$(tail -n +$((logged + 1)) "$AUX/syslog")
  if [ -n "$owner" ] && [ "$owner" != 2001 ]; then
    [ "$(grep -c "^<36>tmpguard\[[0-9]*\]: unsafe private directory /tmp/alice (offending uid $owner, victim uid 2001): .*; using $dir$" <<<"$new")" = 3 ] \
      || fail "$kind: syslog: $new"
  else
    [ -z "$new" ] || fail "$kind: the user's own object was logged: $new"
  fi

  # Once the object is gone the name is used again; the fallback stays unused.
  eval "$remove"
  tg alice path
  [ "$rc/$out/$err" = "0//tmp/alice/" ] || fail "$kind: after removal: $rc/$out/$err"
  private alice /tmp/alice
  echo "ok $kind"
done

# doctor tells what init does about it.
reset_tmp; as mallory mkdir /tmp/alice
tg alice doctor
grep -q "refuse /tmp/alice: it is not safe; use a private fallback beside it" <<<"$out" || fail "doctor: $out"

# Without a syslog socket the squat is only warned about, and nothing else changes.
syslog_send STOP; wait $SYSLOG_PID; rm /dev/log
reset_tmp; as mallory mkdir /tmp/alice
tg alice init bash
[[ $rc/$(exported "$out") =~ ^0//tmp/alice\.[a-z0-9]{8}$ ]] || fail "no syslog: $rc $out $err"
grep -q "^tmpguard: WARNING: /tmp/alice is a directory owned by uid 2002 (mallory) (mode 0755), not by you; someone else may be attacking you\. Not using" <<<"$err" \
  || fail "no syslog: $err"
"#,
    );
    assert_eq!(
        out.lines().iter().filter(|l| l.starts_with("ok ")).count(),
        12,
        "{}",
        out.stdout
    );
}

/// 150 shells starting at once (a job array, a terminal restoring its tabs):
/// all get the same directory; with the name squatted, all get a verified
/// fallback, and later shells settle on one of them without making more.
#[test]
fn many_shells_at_once_agree() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
syslog_start
burst() {  # burst NAME: 150 concurrent `tmpguard path` as alice into $AUX/NAME/
  mkdir -p "$AUX/$1"
  local i pids=()
  for i in $(seq 150); do
    (as alice timeout 20 "$TG" path >"$AUX/$1/out.$i" 2>"$AUX/$1/err.$i"; echo $? >"$AUX/$1/rc.$i") &
    pids+=($!)
  done
  wait "${pids[@]}"
}
burst fresh
[ "$(cat "$AUX"/fresh/rc.* | sort -u)" = 0 ] || fail "fresh: exit codes $(cat "$AUX"/fresh/rc.* | sort | uniq -c)"
[ "$(cat "$AUX"/fresh/out.* | sort | uniq -c | awk '{print $1, $2}')" = "150 /tmp/alice" ] || fail "fresh: $(cat "$AUX"/fresh/out.* | sort | uniq -c)"
[ -z "$(cat "$AUX"/fresh/err.*)" ] || fail "fresh: stderr: $(cat "$AUX"/fresh/err.* | sort | uniq -c)"
private alice /tmp/alice

reset_tmp
as mallory ln -s /tmp/elsewhere /tmp/alice
burst squatted
[ "$(cat "$AUX"/squatted/rc.* | sort -u)" = 0 ] || fail "squatted: exit codes $(cat "$AUX"/squatted/rc.* | sort | uniq -c)"
[ -z "$(cat "$AUX"/squatted/err.*)" ] || fail "squatted: path printed on stderr"
made=$(ls -d /tmp/alice.* | sort)
[ "$(cat "$AUX"/squatted/out.* | sort -u)" = "$made" ] || fail "squatted: printed $(cat "$AUX"/squatted/out.* | sort -u), made $made"
for d in $made; do
  [[ $d =~ ^/tmp/alice\.[a-z0-9]{8}$ ]] || fail "squatted: made $d"
  private alice "$d"
done
echo "fallbacks made by 150 concurrent first runs: $(wc -w <<<"$made")"
# From now on every shell takes the first by name, and none is added.
for i in 1 2 3; do
  tg alice path
  [ "$rc/$out/$err" = "0/$(head -n1 <<<"$made")/" ] || fail "settled: $rc/$out/$err"
done
[ "$(ls -d /tmp/alice.* | sort)" = "$made" ] || fail "later shells made more"
[ "$(stat -c %F /tmp/alice)" = "symbolic link" ] || fail "the squat changed"
"#,
    );
}

/// An attacker swapping symlinks, directories, files and FIFOs at the names of
/// two victims while they start 2000 shells between them; each victim removes
/// its directory after each run, as cleanup would, so the race starts again.
/// Every run exports a private directory of the victim or fails safe; the
/// attacker's directory and the victims' homes, the symlinks' targets, never change.
#[test]
fn attacker_racing_the_creation_never_wins() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let out = check(
        sb,
        r#"
syslog_start
trap_dir=$AUX/trap; mkdir -m 777 "$trap_dir"; chown mallory: "$trap_dir"; chmod 777 "$trap_dir"
cat >"$AUX/attack.py" <<'PY'
# Cycle through objects at each name as fast as possible; every step may fail
# (the victim holds the name), which is the point.
import os, socket, sys
stop, trap, names = sys.argv[1], sys.argv[2], sys.argv[3:]
def steps(n):
    home = "/mnt/tg/home/" + os.path.basename(n)
    yield lambda: os.symlink(trap, n)
    yield lambda: os.unlink(n)
    yield lambda: os.symlink(home, n)
    yield lambda: os.unlink(n)
    yield lambda: os.mkdir(n, 0o777)
    yield lambda: os.chmod(n, 0o777)
    yield lambda: os.rmdir(n)
    yield lambda: os.close(os.open(n, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    # Swap a symlink over the file in one step, then a directory in.
    yield lambda: os.symlink(trap, n + ".swap")
    yield lambda: os.rename(n + ".swap", n)
    yield lambda: os.unlink(n)
    yield lambda: os.mkdir(n + ".swap", 0o777)
    yield lambda: os.rename(n + ".swap", n)
    yield lambda: os.rmdir(n)
    yield lambda: os.mkfifo(n)
    yield lambda: os.unlink(n)
    yield lambda: socket.socket(socket.AF_UNIX).bind(n)
    yield lambda: os.unlink(n)
while not os.path.exists(stop):
    for n in names:
        for step in steps(n):
            try:
                step()
            except OSError:
                pass
PY
cat >"$AUX/victim.py" <<'PY'
# Run `tmpguard path` N times; check each answer at once; remove the target
# after each use so the next run has to create it again.
import os, re, stat, subprocess, sys
tg, runs = os.environ["TG"], int(sys.argv[1])
uid, target = os.getuid(), "/tmp/" + os.environ["USER"]
shape = re.compile(re.escape(target) + r"\.[a-z0-9]{8}")
counts = {"target": 0, "fallback": 0, "failed": 0}
fallbacks, reasons, fails = set(), set(), []
for _ in range(runs):
    r = subprocess.run([tg, "path"], capture_output=True, timeout=10)
    out, err = r.stdout.decode(), r.stderr.decode()
    if r.returncode != 0:
        counts["failed"] += 1
        reasons.add(err.strip())
        if r.returncode != 1 or out or not err.startswith("tmpguard: "):
            fails.append(f"failure {r.returncode} {out!r} {err!r}")
        continue
    p = out[:-1]
    st = os.lstat(p)
    if err or not out.endswith("\n") or not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or stat.S_IMODE(st.st_mode) != 0o700:
        fails.append(f"exported {out!r} (stderr {err!r}): mode {st.st_mode:o} uid {st.st_uid}")
    elif p == target:
        counts["target"] += 1
        os.rmdir(p)
    elif shape.fullmatch(p):
        counts["fallback"] += 1
        fallbacks.add(p)
    else:
        fails.append(f"exported {p!r}")
for f in fails[:5]:
    print("FAIL:", f)
print("stats", os.environ["USER"], counts["target"], counts["fallback"], counts["failed"], len(fallbacks), *sorted(reasons))
PY
before=$(snap "$trap_dir" "$AUX/home/alice" "$AUX/home/bob")
as mallory "$PY" "$AUX/attack.py" "$AUX/stop" "$trap_dir" /tmp/alice /tmp/bob &
attacker=$!
as alice "$PY" "$AUX/victim.py" 1000 >"$AUX/alice.txt" &
victims=($!)
as bob "$PY" "$AUX/victim.py" 1000 >"$AUX/bob.txt" &
victims+=($!)
wait "${victims[@]}"
touch "$AUX/stop"; wait $attacker
cat "$AUX/alice.txt" "$AUX/bob.txt"
[ "$(snap "$trap_dir" "$AUX/home/alice" "$AUX/home/bob")" = "$before" ] || fail "the symlinks' targets changed"
for u in alice bob; do
  for d in /tmp/$u.*; do
    [ -e "$d" ] || continue
    [[ $d =~ ^/tmp/$u\.[a-z0-9]{8}$ ]] || { [ "$(stat -c %U "$d")" = mallory ] || fail "$d is not mallory's"; continue; }
    private $u "$d"
  done
done
syslog_sync
echo "syslog lines $(syslog_lines)"
"#,
    );
    let stats: Vec<Vec<&str>> = out
        .lines()
        .iter()
        .filter(|l| l.starts_with("stats "))
        .map(|l| l.split(' ').collect())
        .collect();
    assert_eq!(stats.len(), 2, "{}", out.stdout);
    for s in &stats {
        let n = |i: usize| s[i].parse::<u32>().unwrap();
        // Every run succeeded, and the race really happened both ways.
        assert_eq!(n(2) + n(3), 1000, "{}", out.stdout);
        assert!(
            n(2) > 0 && n(3) > 0,
            "the race was never won by one side:\n{}",
            out.stdout
        );
        // One sequential victim needs one fallback, found again ever after.
        assert_eq!(n(5), 1, "{}", out.stdout);
    }
}

/// /tmp read-only, with and without the directory already there: nothing
/// exported, EROFS by name and in words, promptly.
#[test]
fn read_only_tmp_fails_with_erofs() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.tmp("mode=1777,ro"),
        r#"
syslog_start
tg alice init bash
failed "empty ro /tmp" "^tmpguard: cannot create /tmp/alice: EROFS: Read-only file system$"
tg alice path
failed "empty ro /tmp, path" "EROFS"
mount -o remount,rw /tmp
as alice mkdir -m 700 /tmp/alice
mount -o remount,ro /tmp
tg alice init bash
failed "existing dir on ro /tmp" "^tmpguard: /tmp/alice is not usable: creating a file failed: EROFS: Read-only file system$"
# Squatted as well: the fallback cannot be made either, and both are said.
mount -o remount,rw /tmp
rmdir /tmp/alice; as mallory mkdir /tmp/alice
mount -o remount,ro /tmp
tg alice init bash
failed "squatted ro /tmp" "^tmpguard: /tmp/alice is a directory owned by uid 2002 \(mallory\).*no private fallback could be made: cannot create /tmp/alice\.[a-z0-9]{8}: EROFS: Read-only file system$"
syslog_sync
grep -q "(offending uid 2002, victim uid 2001): .*; no fallback$" "$AUX/syslog" || fail "not logged: $(cat "$AUX/syslog")"
"#,
    );
}

/// A full /tmp lets mkdir and open succeed and fails the write: the probe
/// reports ENOSPC and leaves no file behind; nothing is exported.
#[test]
fn full_tmp_fails_with_enospc_and_leaves_nothing() {
    let Some(sb) = common::sandbox() else { return };
    check(
        sb.tmp("mode=1777,size=64k"),
        r#"
dd if=/dev/zero of=/tmp/fill bs=4k count=100 2>/dev/null
[ "$(df --output=avail /tmp | tail -n1 | tr -d ' ')" = 0 ] || fail "/tmp is not full"
tg alice init bash
failed "full /tmp" "^tmpguard: /tmp/alice is not usable: writing a file failed: ENOSPC: No space left on device$"
[ "$(stat -c '%F %U %a' /tmp/alice)" = "directory alice 700" ] || fail "/tmp/alice: $(stat -c '%F %U %a' /tmp/alice)"
[ -z "$(ls -A /tmp/alice)" ] || fail "probe file left: $(ls -A /tmp/alice)"
tg alice path
failed "full /tmp, path" "ENOSPC"
[ -z "$(ls -A /tmp/alice)" ] || fail "probe file left: $(ls -A /tmp/alice)"
# Once there is room again, the same directory works.
rm /tmp/fill
tg alice path
[ "$rc/$out/$err" = "0//tmp/alice/" ] || fail "after cleanup: $rc/$out/$err"
"#,
    );
}

/// No inodes left: mkdir fails, or with the directory there the probe's
/// create fails; both ENOSPC, nothing exported, nothing left.
#[test]
fn inode_exhaustion_fails_with_enospc() {
    let Some(sb) = common::sandbox() else { return };
    check(
        sb.tmp("mode=1777,nr_inodes=16"),
        r#"
fill() { local i=0; while touch "/tmp/f$i" 2>/dev/null; do i=$((i + 1)); done; }
fill
tg alice init bash
failed "no inodes" "^tmpguard: cannot create /tmp/alice: ENOSPC: No space left on device$"
[ ! -e /tmp/alice ] || fail "/tmp/alice was made"
rm /tmp/f*
as alice mkdir -m 700 /tmp/alice
fill
tg alice init bash
failed "no inodes, dir exists" "^tmpguard: /tmp/alice is not usable: creating a file failed: ENOSPC: No space left on device$"
[ -z "$(ls -A /tmp/alice)" ] || fail "probe file left: $(ls -A /tmp/alice)"
"#,
    );
}

/// A configured base that does not exist: said with its errno, and /tmp is
/// used; with /tmp read-only too, nothing is exported.
#[test]
fn missing_base_is_reported() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
tg alice TMPGUARD_BASE=/mnt/tg/none init bash
[ "$rc" = 0 ] || fail "exit $rc: $err"
[ "$(exported "$out")" = /tmp/alice ] || fail "exported $out"
grep -q "^tmpguard: refusing base /mnt/tg/none: cannot open /mnt/tg/none: ENOENT: No such file or directory; using /tmp$" <<<"$err" || fail "warning: $err"
private alice /tmp/alice
tg alice path --base /mnt/tg/none
[ "$rc/$out/$err" = "0//tmp/alice/" ] || fail "path: $rc/$out/$err"
rmdir /tmp/alice
mount -o remount,ro /tmp
tg alice TMPGUARD_BASE=/mnt/tg/none init bash
failed "missing base and ro /tmp" "EROFS: Read-only file system"
"#,
    );
}

/// Who we are comes from the uid, never from `$USER` alone: root keeping
/// alice's USER and TMPDIR, a user naming another, hostile or missing USER
/// values, a uid with no passwd entry.
#[test]
fn identity_comes_from_the_uid() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
mkdir -m 755 "$AUX/cwd"
# su without -: root with alice's USER and TMPDIR, /tmp/alice missing, then alice's.
tg root USER=alice TMPDIR=/tmp/alice init bash
[ "$rc/$(exported "$out")" = "0//tmp/root" ] || fail "root with USER=alice: $rc $out $err"
[ ! -e /tmp/alice ] || fail "root created /tmp/alice"
as alice "$TG" path >/dev/null
before=$(snap /tmp/alice)
tg root USER=alice TMPDIR=/tmp/alice init bash
[ "$rc/$(exported "$out")" = "0//tmp/root" ] || fail "root with USER=alice, dir there: $rc $out $err"
[ "$(snap /tmp/alice)" = "$before" ] || fail "root changed /tmp/alice"
reset_tmp

# alice claiming to be bob: never /tmp/bob, whether it exists or not.
tg alice USER=bob path
[ "$rc/$out" = "0//tmp/alice" ] || fail "USER=bob: $rc $out $err"
[ ! -e /tmp/bob ] || fail "/tmp/bob was created"
as bob "$TG" path >/dev/null
before=$(snap /tmp/bob)
tg alice USER=bob TMPDIR=/tmp/bob init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "USER=bob TMPDIR=/tmp/bob: $rc $out $err"
[ "$(snap /tmp/bob)" = "$before" ] || fail "/tmp/bob changed"
reset_tmp

# Hostile, empty or missing USER: the passwd name, nothing else anywhere.
long=$(printf 'a%.0s' $(seq 300))
for user in "" ".." "a/b" '$(touch x)' $'alice\nbob' "$long" "../../etc" "-rf"; do
  (cd "$AUX/cwd" && as alice env USER="$user" timeout 10 "$TG" init bash) >"$AUX/out" 2>"$AUX/err"; rc=$?
  [ "$rc/$(exported "$(cat "$AUX/out")")" = "0//tmp/alice" ] || fail "USER=${user@Q}: $rc $(cat "$AUX/out" "$AUX/err")"
  [ "$(ls -A /tmp)" = alice ] || fail "USER=${user@Q} made: $(ls -A /tmp)"
done
(cd "$AUX/cwd" && as alice env -u USER timeout 10 "$TG" path) >"$AUX/out" 2>&1
[ "$(cat "$AUX/out")" = /tmp/alice ] || fail "USER unset: $(cat "$AUX/out")"
[ -z "$(ls -A "$AUX/cwd")" ] || fail "something ran: $(ls -A "$AUX/cwd")"
[ "$(ls -A /tmp)" = alice ] || fail "made: $(ls -A /tmp)"
private alice /tmp/alice

# A uid with no passwd entry, even claiming to be alice.
for user in "" alice; do
  got=$(setpriv --reuid=4242 --regid=4242 --clear-groups env -i PATH=/usr/bin:/bin USER="$user" timeout 10 "$TG" path 2>&1)
  [ "$got" = /tmp/uid-4242 ] || fail "uid 4242 with USER=$user: $got"
done
[ "$(stat -c '%F %u %a' /tmp/uid-4242)" = "directory 4242 700" ] || fail "/tmp/uid-4242: $(stat -c '%F %u %a' /tmp/uid-4242)"
py=$(setpriv --reuid=4242 --regid=4242 --clear-groups env -i TMPDIR=/tmp/uid-4242 "$PY" -c 'import tempfile; print(tempfile.gettempdir())')
[ "$py" = /tmp/uid-4242 ] || fail "python for uid 4242: $py"
"#,
    );
}

/// A base others can write without the sticky bit, one owned by another
/// user, one reached through another user's symlink: refused with a warning,
/// /tmp used, nothing made in or changed about the refused base.
#[test]
fn unsafe_bases_are_refused() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
mkdir -m 777 "$AUX/open"; chmod 777 "$AUX/open"
mkdir -m 1777 "$AUX/mallorys"; chown mallory: "$AUX/mallorys"
mkdir -m 1777 "$AUX/shared"; chmod 1777 "$AUX/shared"
mkdir -m 755 "$AUX/m"; chown mallory: "$AUX/m"; as mallory ln -s "$AUX/shared" "$AUX/m/link"
mkdir -m 1777 "$AUX/s2"; chmod 1777 "$AUX/s2"; as mallory ln -s "$AUX/shared" "$AUX/s2/link"
cases=(
  "$AUX/open|is writable by others without the sticky bit \(mode 0777\)"
  "$AUX/mallorys|is owned by uid 2002 \(mallory\), neither root nor you"
  "$AUX/s2/link|passes through the symlink $AUX/s2/link owned by uid 2002 \(mallory\)"
  "$AUX/m/link|is inside $AUX/m, a directory owned by uid 2002 \(mallory\) \(mode 0755\), neither root nor you: they can replace what is in it; fix: use a directory outside it"
)
for c in "${cases[@]}"; do
  IFS='|' read -r base why <<<"$c"
  before=$(snap "$AUX/open" "$AUX/mallorys" "$AUX/shared" "$AUX/m/link")
  tg alice TMPGUARD_BASE="$base" init bash
  [ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "$base: $rc $out $err"
  grep -Eq "^tmpguard: refusing base $base: $base $why; using /tmp$" <<<"$err" || fail "$base: warning: $err"
  tg alice path --base "$base"
  [ "$rc/$out/$err" = "0//tmp/alice/" ] || fail "$base: path: $rc/$out/$err"
  [ "$(snap "$AUX/open" "$AUX/mallorys" "$AUX/shared" "$AUX/m/link")" = "$before" ] || fail "$base: a base changed"
done
private alice /tmp/alice
# The sound base behind the link is used when named directly.
tg alice TMPGUARD_BASE="$AUX/shared" path
[ "$rc/$out/$err" = "0/$AUX/shared/alice/" ] || fail "shared: $rc/$out/$err"
"#,
    );
}

/// The directory aged away while the user is logged in is made again by the
/// next shell; re-squatted after the removal, the fallback applies; a shell
/// still pointing at the removed directory moves on too.
#[test]
fn removed_directory_is_recreated_or_replaced() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
syslog_start
tg alice init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "first: $rc $out $err"
ino=$(stat -c %i /tmp/alice)
rmdir /tmp/alice   # systemd-tmpfiles ageing
tg alice TMPDIR=/tmp/alice init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "after removal: $rc $out $err"
grep -q "created /tmp/alice" <<<"$err" || fail "not said: $err"
private alice /tmp/alice
rmdir /tmp/alice
as mallory mkdir -m 777 /tmp/alice
tg alice TMPDIR=/tmp/alice init bash
dir=$(exported "$out")
[[ $rc/$dir =~ ^0//tmp/alice\.[a-z0-9]{8}$ ]] || fail "re-squatted: $rc $out $err"
grep -q "WARNING" <<<"$err" || fail "no warning: $err"
private alice "$dir"
syslog_sync
grep -q "offending uid 2002, victim uid 2001" "$AUX/syslog" || fail "not logged: $(cat "$AUX/syslog")"
"#,
    );
}

// ---------------------------------------------------------------------------
// Issue 13: ancestors, mounts, per-process paths, hard links.

/// A real FUSE for the sandbox: a private /dev/fuse node (the host's may be
/// 0600, and is shared), `user_allow_other` in a private copy of
/// /etc/fuse.conf, and a trap that unmounts and kills every bindfs started
/// (a daemon left running would keep the namespace, and the test's pipes, alive).
const FUSE: &str = r#"
FUSE_PIDS=()
fuse_start() {
  mknod "$AUX/fuse" c 10 229 && chmod 666 "$AUX/fuse"
  [ -e /dev/fuse ] || touch /dev/fuse  # /dev may be syslog_start's tmpfs
  mount --bind "$AUX/fuse" /dev/fuse
  { cat /etc/fuse.conf 2>/dev/null; echo user_allow_other; } >"$AUX/fuse.conf"
  mount --bind "$AUX/fuse.conf" /etc/fuse.conf
  trap 'fuse_stop; kill ${SYSLOG_PID:-} 2>/dev/null' EXIT
}
# Only the daemons this script started (other tests may run their own).
fuse_stop() {
  local p m
  for p in "${FUSE_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; done
  grep ' - fuse' /proc/self/mountinfo | awk '{print $5}' | while read -r m; do umount -l "$m"; done
  for p in "${FUSE_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  FUSE_PIDS=()
}
# bindfs_as USER ARGS... MOUNTPOINT: mount with bindfs as USER, in the
# foreground so that its pid is known (output discarded); waits for the mount.
bindfs_as() {
  local u=$1; shift
  local point=${*: -1} i
  # exec: the background job's pid is the daemon's (setpriv and env exec too).
  (exec setpriv --reuid="$(id -u "$u")" --regid="$(id -u "$u")" --clear-groups \
    env -i PATH=/usr/bin:/bin bindfs -f "$@" </dev/null >>"$AUX/bindfs.log" 2>&1) &
  local pid=$!
  for i in $(seq 100); do
    grep -q " $point .* - fuse" /proc/self/mountinfo && break
    sleep 0.05
  done
  grep -q " $point .* - fuse" /proc/self/mountinfo || fail "bindfs $* did not mount"
  FUSE_PIDS+=("$pid")
}
"#;

/// An attacker's FUSE mount at the victim's name, forging her ownership and
/// mode 0700 (bindfs --force-user, allow_other): never exported by init, path
/// or exec; a private fallback, a warning naming the mount and who made it, a
/// system-log line; doctor calls it unsafe. The same with the attacker's
/// daemon stopped: nothing hangs. A root-made tmpfs at the name is used; the
/// user's own FUSE mount as TMPDIR is kept.
#[test]
fn attackers_fuse_mount_is_never_used() {
    // Tier 3: a test user mounts FUSE through the setuid fusermount3, which a
    // user namespace cannot use.
    let Some(sb) = common::real_root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    check(
        sb,
        &format!(
            "{FUSE}\n{}",
            r#"
syslog_start
fuse_start
mkdir -m 777 "$AUX/msrc"; chown mallory: "$AUX/msrc"
as mallory mkdir -m 700 /tmp/alice
bindfs_as mallory -o allow_other --force-user=alice --force-group=alice --perms=0700 "$AUX/msrc" /tmp/alice
[ "$(stat -c '%U %a' /tmp/alice)" = "alice 700" ] || fail "the forgery did not take: $(stat -c '%U %a' /tmp/alice)"
grep -q ' /tmp/alice .* - fuse .*user_id=2002' /proc/self/mountinfo || fail "mountinfo: $(grep /tmp/alice /proc/self/mountinfo)"
# And one at a name of the fallback's shape, first by name: only the uid can
# make a directory of its own, except on a mount that lies.
mkdir -m 777 "$AUX/msrc2"; chown mallory: "$AUX/msrc2"
as mallory mkdir -m 700 /tmp/alice.aaaaaaaa
bindfs_as mallory -o allow_other --force-user=alice --force-group=alice --perms=0700 "$AUX/msrc2" /tmp/alice.aaaaaaaa

attacked() {  # attacked WHEN: every entry point refuses the mount
  local dir logged
  logged=$(syslog_lines)
  tg alice init bash
  dir=$(exported "$out")
  [[ $rc/$dir =~ ^0//tmp/alice\.[a-z0-9]{8}$ ]] || fail "$1: init: $rc $out $err"
  [ "$dir" != /tmp/alice.aaaaaaaa ] || fail "$1: took the attacker's mount of the fallback's shape"
  grep -q "WARNING: /tmp/alice is on the fuse mount /tmp/alice (of $AUX/msrc) made by uid 2002 (mallory), neither root nor you.*using the private fallback $dir" <<<"$err" \
    || fail "$1: warning: $err"
  tg alice path
  [ "$rc/$out" = "0/$dir" ] || fail "$1: path: $rc/$out/$err"
  tg alice TMPDIR=/tmp/alice exec -- sh -c 'printf %s "$TMPDIR"'
  [ "$rc/$out" = "0/$dir" ] || fail "$1: exec: $rc/$out/$err"
  # (doctor looks at TMPDIR by path too: that is the hung-filesystem issue's.)
  if [ "$1" = running ]; then tg alice TMPDIR=/tmp/alice doctor; else tg alice doctor; fi
  grep -q "unsafe" <<<"$out" && grep -q "fuse mount /tmp/alice" <<<"$out" || fail "$1: doctor: $rc $out $err"
  syslog_sync
  tail -n +$((logged + 1)) "$AUX/syslog" | grep -q "unsafe private directory /tmp/alice (offending uid 2002, victim uid 2001): .*fuse mount.*; using $dir" \
    || fail "$1: syslog: $(cat "$AUX/syslog")"
  [ -z "$(ls -A "$AUX/msrc" "$AUX/msrc2" | grep -v '^/\|^$')" ] || fail "$1: something was written into the attacker's filesystem: $(ls -A "$AUX/msrc" "$AUX/msrc2")"
}
attacked running
# The daemon stopped, its cached attributes expired: no check may wait for it.
for p in "${FUSE_PIDS[@]}"; do
  kill -STOP "$p"
  [ "$(ps -o stat= -p "$p" | cut -c1)" = T ] || fail "the daemon is not stopped: $(ps -o pid,stat,comm -p "$p")"
done
sleep 2
start=$SECONDS
attacked stopped
[ $((SECONDS - start)) -lt 30 ] || fail "stopped daemon: took $((SECONDS - start))s"
fuse_stop

# A root-made tmpfs at the name (a site's per-user tmpfs) is the user's directory.
reset_tmp 2>/dev/null; umount -l /tmp/alice 2>/dev/null
mkdir /tmp/alice && mount -t tmpfs -o mode=0700,uid=2001,gid=2001 tmpfs /tmp/alice
tg alice path
[ "$rc/$out/$err" = "0//tmp/alice/" ] || fail "root tmpfs: $rc/$out/$err"
umount /tmp/alice; rmdir /tmp/alice

# The user's own FUSE mount (think sshfs) as TMPDIR is kept.
as alice mkdir -m 700 "$AUX/home/alice/src" "$AUX/home/alice/mnt"
bindfs_as alice "$AUX/home/alice/src" "$AUX/home/alice/mnt"
grep -q "home/alice/mnt .*user_id=2001" /proc/self/mountinfo || fail "alice's mount: $(grep alice/mnt /proc/self/mountinfo)"
tg alice TMPDIR="$AUX/home/alice/mnt" path
[ "$rc/$out/$err" = "0/$AUX/home/alice/mnt/" ] || fail "own fuse: $rc/$out/$err"
# ...but not when someone else mounted it on a directory on the way.
mkdir -m 755 "$AUX/mm" "$AUX/mm2"; chown mallory: "$AUX/mm"
mkdir -m 755 "$AUX/mm2/x"; chown mallory: "$AUX/mm2/x"
bindfs_as mallory -o allow_other --force-user=alice --perms=0755 "$AUX/mm" "$AUX/mm2/x"
as mallory mkdir -m 700 "$AUX/mm/t"
tg alice TMPDIR="$AUX/mm2/x/t" init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "fuse on the way: $rc/$out/$err"
grep -q "^tmpguard: TMPDIR=$AUX/mm2/x/t is on the fuse mount $AUX/mm2/x (of $AUX/mm) made by uid 2002 (mallory)" <<<"$err" || fail "fuse on the way: $err"
# Its daemon stopped: the walk judges the mount before looking anything up in it.
kill -STOP "${FUSE_PIDS[-1]}"; sleep 2
tg alice TMPDIR="$AUX/mm2/x/t" init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "fuse on the way, stopped: $rc/$out/$err"
tg alice TMPDIR="$AUX/mm2/x/t" exec -- sh -c 'printf %s "$TMPDIR"'
[ "$rc/$out" = "0//tmp/alice" ] || fail "fuse on the way, stopped, exec: $rc/$out/$err"
fuse_stop
"#
        ),
    );
}

/// A FUSE mount cannot lend its owner to `$USER`'s fast path: mallory's
/// bindfs at /tmp/bob forging alice, and at /tmp/mallory forging root. alice
/// with USER=bob, and root with USER=mallory (`su` without `-`), get their
/// own names (confirmed by passwd); nothing is made under another's name.
/// A root-made tmpfs at the name still proves it.
#[test]
fn fuse_mount_cannot_lend_a_name() {
    // Tier 3: a test user mounts FUSE through the setuid fusermount3, which a
    // user namespace cannot use.
    let Some(sb) = common::real_root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    check(
        sb,
        &format!(
            "{FUSE}\n{}",
            r#"
fuse_start
mkdir -m 777 "$AUX/msrc"; chown mallory: "$AUX/msrc"
as mallory mkdir -m 700 /tmp/bob /tmp/mallory
bindfs_as mallory -o allow_other --force-user=alice --force-group=alice --perms=0700 "$AUX/msrc" /tmp/bob
bindfs_as mallory -o allow_other --force-user=root --force-group=root --perms=0700 "$AUX/msrc" /tmp/mallory
# mallory primes the attribute cache: statx without sync then sees the forgery.
as mallory stat /tmp/bob /tmp/mallory >/dev/null
[ "$(stat -c %U /tmp/bob)/$(stat -c %U /tmp/mallory)" = alice/root ] || fail "the forgery did not take"
tg alice USER=bob path
[ "$rc/$out/$err" = "0//tmp/alice/" ] || fail "alice, USER=bob: $rc/$out/$err"
tg root USER=mallory path
[ "$rc/$out/$err" = "0//tmp/root/" ] || fail "root, USER=mallory: $rc/$out/$err"
tg alice USER=bob init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "alice, USER=bob, init: $rc/$out/$err"
left=$(ls -A /tmp | grep -E '^(bob|mallory)\.') && fail "made under another's name: $left"
fuse_stop
# A root-made tmpfs at the name is real: the fast path takes it.
rmdir /tmp/bob; mkdir /tmp/bob && mount -t tmpfs -o mode=0700,uid=2001,gid=2001 tmpfs /tmp/bob
tg alice USER=bob path
[ "$rc/$out/$err" = "0//tmp/bob/" ] || fail "root tmpfs: $rc/$out/$err"
umount /tmp/bob
"#
        ),
    );
}

/// A FUSE mount's name (fsname) is the attacker's text: shown in init's
/// warning, doctor's report, a modulefile's records, never obeyed by the
/// terminal (CR, ESC sequences, DEL, a C1 CSI, and the newline mountinfo
/// spells `\012`): every stderr line is one of tmpguard's.
#[test]
fn fuse_fsname_cannot_reach_the_terminal() {
    // Tier 3: a test user mounts FUSE through the setuid fusermount3, which a
    // user namespace cannot use.
    let Some(sb) = common::real_root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    check(
        sb,
        &format!(
            "{FUSE}\n{}",
            r#"
fuse_start
mkdir -m 777 "$AUX/msrc"; chown mallory: "$AUX/msrc"
as mallory mkdir -m 700 /tmp/alice
FSN=$'x\r\e[2Ktmpguard: created /tmp/alice (mode 0700)\e[8m\nhidden\x7f\xc2\x9b1m'
# bindfs names its mount after its source: fusermount3 itself takes any
# fsname. Nobody serves the mount (tmpguard asks it nothing); a child holds
# its fd, killed by fuse_stop.
as mallory "$PY" -c '
import os, socket, sys, time
a, b = socket.socketpair(); os.set_inheritable(b.fileno(), True)
if os.fork() == 0:
    os.execve("/usr/bin/fusermount3", ["fusermount3", "-o", "allow_other,fsname=" + sys.argv[1], "--", "/tmp/alice"], dict(_FUSE_COMMFD=str(b.fileno())))
socket.recv_fds(a, 1, 1); os.wait()
p = os.fork()
if p == 0:
    os.closerange(0, 3); time.sleep(120); os._exit(0)
print(p)
' "$FSN" >"$AUX/holder" || fail "fusermount3"
FUSE_PIDS+=("$(cat "$AUX/holder")")
grep -q ' /tmp/alice .* - fuse x.*\\012hidden' /proc/self/mountinfo || fail "fsname: $(grep ' /tmp/alice ' /proc/self/mountinfo | cat -v)"
# raw WHAT FILE: FILE holds no control character but newline (and NUL), no C1.
raw() {
  if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$2" || LC_ALL=C grep -qP '\xc2[\x80-\x9f]' "$2"; then
    fail "$1: control characters reach the terminal: $(cat -v "$2")"
  fi
}
tg alice init bash
raw "init stderr" "$AUX/err"
grep -q '(of x\\x0d\\x1b\[2Ktmpguard: created /tmp/alice (mode 0700)\\x1b\[8m\\x0ahidden\\x7f\\x9b1m) made by uid 2002' <<<"$err" || fail "init warning: $(cat -v "$AUX/err")"
bad=$(grep -v '^tmpguard: ' <<<"$err") && fail "init: a line not tmpguard's: $bad"
[ "$(grep -c . <<<"$err")" = 2 ] || fail "init: not two lines: $(cat -v "$AUX/err")"
tg alice doctor
raw "doctor" "$AUX/out"
grep -q '^ *hidden' <<<"$out" && fail "doctor: a forged line: $out"
grep -q 'fuse mount' <<<"$out" || fail "doctor: $out"
tg alice doctor --json
raw "doctor --json" "$AUX/out"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any("\x1b[8m\nhidden\x7f\x9b1m" in f["message"] for f in d["findings"]), d' "$AUX/out" \
  || fail "doctor --json: the values changed: $out"
tg alice path --records
raw "path --records" "$AUX/out"
grep -qa 'warn tmpguard: WARNING: /tmp/alice is on the fuse mount' "$AUX/out" || fail "records: $(cat -v "$AUX/out")"
"#
        ),
    );
}

/// The ancestor rule: every directory on the way to a kept TMPDIR, a
/// configured base or a TMPDIR created in the user's own directory is root's
/// or the user's, and sticky if others can write it. A 2770 project
/// directory, whose group member could swap the victim's directory, is
/// refused before any swap, naming it; so is a directory inside another
/// user's 0755 one, and a symlink held in a group-writable non-sticky
/// directory. A 1777 scratch, a root 0755 chain, symlinks of root or the user
/// are accepted.
#[test]
fn ancestors_others_can_write_are_refused() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
# Project group 3000: alice and mallory are members.
asg() { local u=$1; shift; local uid; uid=$(id -u "$u")
  setpriv --reuid="$uid" --regid="$uid" --groups=3000 env -i PATH=/usr/bin:/bin USER="$u" HOME="$AUX/home/$u" "$@"; }
tgg() { local u=$1; shift; asg "$u" env "$@" >"$AUX/out" 2>"$AUX/err"; rc=$?; out=$(cat "$AUX/out"); err=$(cat "$AUX/err"); }
mkdir "$AUX/proj"; chown root:3000 "$AUX/proj"; chmod 2770 "$AUX/proj"
asg alice mkdir -m 700 "$AUX/proj/alice"

# Kept TMPDIR in the project directory: replaced, naming the directory, owner and mode.
tgg alice TMPDIR="$AUX/proj/alice" timeout 10 "$TG" init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "project: $rc $out $err"
grep -q "^tmpguard: TMPDIR=$AUX/proj/alice is inside $AUX/proj (owner uid 0 (root), mode 2770), which group or others can write without the sticky bit.*chmod +t $AUX/proj" <<<"$err" || fail "project: $err"
# The attack it prevents: exec would otherwise run in whatever mallory swaps in.
tgg alice TMPDIR="$AUX/proj/alice" timeout 10 "$TG" exec -- sh -c 'printf %s "$TMPDIR"'
[ "$rc/$out" = "0//tmp/alice" ] || fail "project exec: $rc/$out/$err"
asg mallory mv "$AUX/proj/alice" "$AUX/proj/gone" && asg mallory mkdir -m 777 "$AUX/proj/alice" && asg mallory chmod 777 "$AUX/proj/alice"
tgg alice TMPDIR="$AUX/proj/alice" timeout 10 "$TG" path
[ "$rc/$out" = "0//tmp/alice" ] || fail "after the swap: $rc/$out/$err"
# Missing there: not created in it either.
tgg alice TMPDIR="$AUX/proj/gone/sub" timeout 10 "$TG" path
[ "$rc/$out" = "0//tmp/alice" ] || fail "created in project: $rc/$out/$err"
[ ! -e "$AUX/proj/gone/sub" ] || fail "created $AUX/proj/gone/sub"
# A base in it: refused as bases are.
mkdir -m 1777 "$AUX/proj/scratch"; chmod 1777 "$AUX/proj/scratch"
tgg alice TMPGUARD_BASE="$AUX/proj/scratch" timeout 10 "$TG" init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "base in project: $rc $out $err"
grep -q "^tmpguard: refusing base $AUX/proj/scratch: $AUX/proj/scratch is inside $AUX/proj (owner uid 0 (root), mode 2770)" <<<"$err" || fail "base in project: $err"
# doctor says why, and the fix.
tgg alice TMPDIR="$AUX/proj/alice" timeout 10 "$TG" doctor
grep -q "chmod +t $AUX/proj" <<<"$out" || fail "doctor: $out"

# Inside another user's 0755 directory.
mkdir -m 755 "$AUX/bobs"; chown bob: "$AUX/bobs"; mkdir -m 700 "$AUX/bobs/a"; chown alice: "$AUX/bobs/a"
tg alice TMPDIR="$AUX/bobs/a" init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "bob's: $rc $out $err"
grep -q "is inside $AUX/bobs, a directory owned by uid 2003 (bob) (mode 0755), neither root nor you" <<<"$err" || fail "bob's: $err"

# A symlink of root's held in a group-writable, non-sticky directory.
mkdir -m 755 -p "$AUX/r1/r2"; mkdir -m 700 "$AUX/r1/r2/alice"; chown alice: "$AUX/r1/r2/alice"
mkdir "$AUX/gw"; chown root:3000 "$AUX/gw"; chmod 2775 "$AUX/gw"; ln -s "$AUX/r1/r2/alice" "$AUX/gw/l"
tg alice TMPDIR="$AUX/gw/l" init bash
[ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "link in gw: $rc $out $err"
grep -q "is inside $AUX/gw (owner uid 0 (root), mode 2775)" <<<"$err" || fail "link in gw: $err"

# Accepted: a root 0755 chain, root's and the user's symlinks on the way, a 1777 scratch.
ln -s "$AUX/r1" "$AUX/rootlink"; as alice ln -s "$AUX/rootlink/r2/alice" "$AUX/home/alice/mine"
mkdir -m 1777 "$AUX/scr"; chmod 1777 "$AUX/scr"; mkdir -m 700 "$AUX/scr/alice"; chown alice: "$AUX/scr/alice"
for d in "$AUX/r1/r2/alice" "$AUX/home/alice/mine" "$AUX/scr/alice"; do
  tg alice TMPDIR="$d" init bash
  [ "$rc/$(exported "$out")/$err" = "0/$d/" ] || fail "accepted $d: $rc $out $err"
done
tg alice TMPDIR="$AUX/home/alice/new" path
[ "$rc/$out/$err" = "0/$AUX/home/alice/new/" ] || fail "created in home: $rc/$out/$err"
"#,
    );
}

/// Per-process paths (procfs magic links) are refused with a reason: every
/// program would resolve them to a different directory.
#[test]
fn per_process_paths_are_refused() {
    // Tier 3: in a user namespace /proc and /dev, the real root's, show as uid
    // 65534, and the ancestor rule refuses them before the per-process rule.
    let Some(sb) = common::real_root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
as alice mkdir -m 700 "$AUX/home/alice/d"
for t in /proc/self/cwd '/proc/$$/cwd' '/proc/$$/root/tmp' /dev/fd/3 /proc/self/fd/3 /proc/thread-self/cwd; do
  out=$(cd "$AUX/home/alice/d" && as alice bash -c "exec 3<$AUX/home/alice/d; TMPDIR=$t timeout 10 \"\$TG\" init bash" 2>"$AUX/err"); rc=$?
  err=$(cat "$AUX/err")
  [ "$rc/$(exported "$out")" = "0//tmp/alice" ] || fail "$t: $rc $out $err"
  grep -q "is a per-process link of /proc\|per-process link" <<<"$err" || fail "$t: $err"
done
"#,
    );
}

/// A hard link at the name to one of the victim's own files (what an
/// attacker can plant where fs.protected_hardlinks=0; root plants it here,
/// the sysctl being the host's): a fallback, called an attack, logged.
#[test]
fn hard_link_at_the_name_is_a_logged_squat() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb,
        r#"
syslog_start
as alice sh -c 'echo secret >/tmp/notes'
ln /tmp/notes /tmp/alice
tg alice init bash
dir=$(exported "$out")
[[ $rc/$dir =~ ^0//tmp/alice\.[a-z0-9]{8}$ ]] || fail "init: $rc $out $err"
grep -q "WARNING: /tmp/alice is a regular file, not a directory, owned by uid 2001 (alice), with 2 hard links.*someone else may be attacking you" <<<"$err" || fail "warning: $err"
syslog_sync
grep -q "unsafe private directory /tmp/alice (offending uid 2001, victim uid 2001): .*2 hard links" "$AUX/syslog" || fail "syslog: $(cat "$AUX/syslog")"
[ "$(cat /tmp/notes)" = secret ] || fail "the file changed"
"#,
    );
}

/// Fail closed: /tmp/alice squatted and no inode left for a fallback, with
/// the inherited TMPDIR (and TMP/TEMP) pointing at the attacker's 0777
/// directory. Every entry point still exits 1 with the reason, and the
/// attacker's value is gone: /tmp after `eval` in bash (set -euo pipefail),
/// zsh, fish, sh and tcsh; exec runs the command with /tmp (--strict: not at
/// all); init slurm exports /tmp; path --records tells a modulefile to set
/// /tmp and never restore the old value. A merely unusable value is left.
#[test]
fn unsafe_inherited_tmpdir_is_replaced_when_tmpguard_fails() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.tmp("mode=1777,nr_inodes=8"),
        r#"
as mallory mkdir -m 777 /tmp/m /tmp/alice; chmod 777 /tmp/m
i=0; while touch "/tmp/f$i" 2>/dev/null; do i=$((i + 1)); done
bad=/tmp/m
shells=(
  "bash|bash -c|set -euo pipefail; eval \"\$(\$TG init bash)\"; printf '%s\n' \"\$TMPDIR\" \"\$TMP\" \"\$TEMP\""
  "zsh|zsh -c|eval \"\$(\$TG init zsh)\"; printf '%s\n' \"\$TMPDIR\" \"\$TMP\" \"\$TEMP\""
  "fish|fish -c|\$TG init fish | source; printf '%s\n' \"\$TMPDIR\" \"\$TMP\" \"\$TEMP\""
  "sh|dash -c|eval \"\$(\$TG init sh)\"; printf '%s\n' \"\$TMPDIR\" \"\$TMP\" \"\$TEMP\""
  "tcsh|tcsh -c|eval \"\`\$TG init tcsh\`\"; printf '%s\n' \"\$TMPDIR\" \"\$TMP\" \"\$TEMP\""
  "elvish|elvish -norc -c|eval (try { \$E:TG init elvish } catch { } | slurp); echo \$E:TMPDIR; echo \$E:TMP; echo \$E:TEMP"
  "xonsh|xonsh --no-rc -DRAISE_SUBPROC_ERROR=1 -c|with \${...}.swap(RAISE_SUBPROC_ERROR=False): execx(\$(\$TG init xonsh)); print(\$TMPDIR); print(\$TMP); print(\$TEMP)"
)
for c in "${shells[@]}"; do
  IFS='|' read -r name run code <<<"$c"
  command -v "${run%% *}" >/dev/null || { fail "$name is not installed"; continue; }
  got=$(as alice env TMPDIR=$bad TMP=$bad TEMP=$bad timeout 20 $run "$code" 2>"$AUX/err")
  [ "$got" = $'/tmp\n/tmp\n/tmp' ] || fail "$name: after eval: '$got' ($(cat "$AUX/err"))"
  grep -q "^tmpguard: TMPDIR=/tmp/m is a directory owned by uid 2002 (mallory) (mode 0777), not by you; set to /tmp instead$" "$AUX/err" || fail "$name: $(cat "$AUX/err")"
  grep -q "no private fallback could be made" "$AUX/err" || fail "$name: no reason: $(cat "$AUX/err")"
done
tg alice TMPDIR=$bad init bash
[ "$rc" = 1 ] || fail "init: exit $rc"
tg alice TMPDIR=$bad exec -- sh -c 'printf %s "$TMPDIR"'
[ "$rc/$out" = "0//tmp" ] || fail "exec: $rc/$out/$err"
grep -q "set to /tmp instead" <<<"$err" || fail "exec: $err"
tg alice TMPDIR=$bad exec --strict -- sh -c 'echo ran'
[ "$rc/$out" = "1/" ] || fail "exec --strict: $rc/$out/$err"
tg alice TMPDIR=$bad TEMP=$bad SLURM_JOB_ID=7 init slurm
[ "$rc" = 0 ] || fail "slurm: exit $rc"
grep -qx "export TMPDIR=/tmp" <<<"$out" && grep -qx "export TEMP=/tmp" <<<"$out" && ! grep -q "TMPDIR not changed" <<<"$out" || fail "slurm: $out"
grep -q "^print tmpguard: .*set to /tmp instead" <<<"$out" || fail "slurm print: $out"
tg alice TMPDIR=$bad path --records
[ "$rc/$err" = "1/" ] || fail "records: $rc/$err"
recs=$(tr '\0' '\n' <"$AUX/out")
grep -qx "set TMPDIR=/tmp" <<<"$recs" && grep -qx "unsafe TMPDIR" <<<"$recs" && grep -q "^warn tmpguard: TMPDIR=/tmp/m is a directory owned by uid 2002" <<<"$recs" || fail "records: $recs"
# Merely unusable (the user's own private directory, but the run fails): left as it is.
as alice mkdir -m 700 "$AUX/home/alice/t"
tg alice TMPDIR="$AUX/home/alice/t" init bash --force
[ "$rc/$out" = "1/" ] || fail "unusable own: $rc/$out/$err"
tg alice TMPDIR="$AUX/home/alice/t" path --force --records
[ "$rc/$(tr '\0' '\n' <"$AUX/out" | cut -c1-6)" = "1/error " ] || fail "records, own: $rc/$(tr '\0' '|' <"$AUX/out")"
"#,
    );
}

/// Red team: with `/tmp/alice` squatted and `/tmp`'s blocks full (inodes
/// left), each start made a fallback, failed its probe, could not record it,
/// and left it: one more empty `/tmp/alice.XXXXXXXX` per start, for ever. The
/// engine takes back what it made; mallory's directory is untouched.
#[test]
fn a_full_tmp_does_not_collect_empty_fallbacks() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    check(
        sb.tmp("mode=1777,size=256k"),
        r#"
as mallory mkdir -m 777 /tmp/alice
dd if=/dev/zero of=/tmp/fill bs=4k count=1000 2>/dev/null || true
for i in 1 2 3 4 5; do
  tg alice init bash
  [ "$rc" = 1 ] || fail "start $i: exit $rc: $out"
done
grep -q "no private fallback could be made" <<<"$err" || fail "no reason: $err"
left=$(cd /tmp && ls -d alice.* 2>/dev/null | wc -l)
[ "$left" = 0 ] || fail "$left fallbacks left behind: $(ls -la /tmp)"
[ "$(stat -c %U:%a /tmp/alice)" = mallory:777 ] || fail "mallory's directory changed: $(stat -c %U:%a /tmp/alice)"
"#,
    );
}
