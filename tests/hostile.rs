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
    let out = sb.run(&format!("{HELPERS}\n{body}\necho DONE\n"));
    let fails: Vec<&str> = out.lines().into_iter().filter(|l| l.starts_with("FAIL")).collect();
    assert!(fails.is_empty(), "{}\nstdout:\n{}\nstderr:\n{}", fails.join("\n"), out.stdout, out.stderr);
    assert_eq!(out.lines().last(), Some(&"DONE"), "script stopped early:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    if std::env::var_os("HOSTILE_SHOW").is_some() {
        eprintln!("{}\n{}", out.stdout, out.stderr);
    }
    out.ok()
}

/// Every kind of object at the victim's name, by the attacker, root, or the
/// victim herself: a private fallback, warned about, reused, kept silently by
/// a nested shell, logged when someone else's; nothing of theirs touched; the
/// target used again once the object is gone.
#[test]
fn squatted_name_gets_a_private_fallback() {
    let Some(sb) = common::sandbox() else { return };
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
"#,
    );
    assert_eq!(out.lines().iter().filter(|l| l.starts_with("ok ")).count(), 12, "{}", out.stdout);
}
