//! XDG_RUNTIME_DIR (issue 18), for real: throwaway users in a private mount
//! namespace with their own `/run/user` (a root-made tmpfs, as logind's), real
//! shells, real FUSE, a real system log socket, and real programs that need
//! the directory (dbus-daemon with libdbus's and GLib's clients).
mod common;

use common::{Out, Sandbox, have, real_root_sandbox, require, root_sandbox};

/// Shell helpers every script here has: `fail`, a private `/run/user` (over
/// the harness's, which gives every user a valid one), `logind
/// USER` (a root-made 0700 tmpfs at `/run/user/<uid>`, as pam_systemd makes
/// it), `check_rt USER DIR` (a directory of USER's, 0700, on a local
/// filesystem), and a system log socket of this namespace's own.
const HELPERS: &str = r#"
fail() { echo "FAIL: $*"; }
mount -t tmpfs -o mode=0755,size=1m tmpfs /run/user
logind() { local uid; uid=$(id -u "$1"); mkdir -p "/run/user/$uid"; mount -t tmpfs -o "mode=0700,uid=$uid,gid=$uid,size=1m" tmpfs "/run/user/$uid"; }
check_rt() {
  local want; want=$(id -u "$1")
  [ -d "$2" ] && [ ! -L "$2" ] || { fail "$2 is not a directory"; return; }
  local got; got=$(stat -c '%u %a' "$2")
  [ "$got" = "$want 700" ] || fail "$2: owner and mode $got, want $want 700"
  case $(stat -f -c %T "$2") in tmpfs|ext2/ext3|xfs|btrfs) ;; *) fail "$2: not local: $(stat -f -c %T "$2")";; esac
}
# A private /dev/log: /dev becomes a small tmpfs with the devices scripts use,
# and a listener appends each datagram as a line to $AUX/syslog.
syslog_start() {
  mkdir -p "$AUX/dev" && mount --rbind /dev "$AUX/dev"
  mount -t tmpfs -o mode=755 tmpfs /dev
  local n
  for n in null zero full random urandom tty fuse; do [ -e "$AUX/dev/$n" ] || continue; touch "/dev/$n"; mount --bind "$AUX/dev/$n" "/dev/$n"; done
  ln -s /proc/self/fd /dev/fd; ln -s fd/0 /dev/stdin; ln -s fd/1 /dev/stdout; ln -s fd/2 /dev/stderr
  : >"$AUX/syslog"
  "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
log = open(sys.argv[1], "ab", buffering=0)
print("ready", flush=True)
while True:
    d = s.recv(65536)
    if d == b"STOP":
        break
    log.write(d + b"\n")
' "$AUX/syslog" </dev/null >"$AUX/syslog.ready" 2>/dev/null &
  SYSLOG_PID=$!
  trap 'kill $SYSLOG_PID 2>/dev/null' EXIT
  for _ in $(seq 100); do grep -q ready "$AUX/syslog.ready" && break; sleep 0.05; done
}
syslog_stop() {
  "$PY" -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"STOP", "/dev/log")'
  wait $SYSLOG_PID
}
"#;

/// Run `body` after the helpers; it must reach `DONE` with no `FAIL`.
fn check(sb: Sandbox, body: &str) -> Out {
    let out = sb.run(&format!("{HELPERS}\n{body}\necho DONE\n",));
    let fails: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("FAIL"))
        .collect();
    assert!(
        fails.is_empty() && out.stdout.contains("DONE"),
        "{fails:#?}\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    out
}

/// The login node's XDG_RUNTIME_DIR, forwarded to a node where
/// /run/user/<uid> does not exist (Slurm's `--export=ALL`): after eval in
/// each shell, XDG_RUNTIME_DIR is a 0700 directory of the user's on a local
/// filesystem, said once on stderr; a nested shell keeps it silently.
#[test]
fn forwarded_missing_dir_becomes_a_private_one_in_every_shell() {
    let Some(sb) = root_sandbox() else { return };
    for sh in ["bash", "zsh", "fish", "dash", "tcsh"] {
        if !require(have(sh), sh) {
            return;
        }
    }
    check(
        sb,
        r#"
run() { as alice env XDG_RUNTIME_DIR=/run/user/2001 "$@"; }
for sh in bash zsh dash; do
  got=$(run $sh -c 'eval "$("$TG" init '"$sh"' 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
  [ "$got" = /tmp/xdg-runtime-2001 ] || fail "$sh: $got"
  check_rt alice "$got"
  grep -q "XDG_RUNTIME_DIR=/run/user/2001 does not exist; " "$AUX/home/alice/err" || fail "$sh: stderr: $(cat "$AUX/home/alice/err")"
done
got=$(run fish -c 'eval ("$TG" init fish 2>/dev/null | string collect); printf %s "$XDG_RUNTIME_DIR"')
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "fish: $got"
got=$(run tcsh -c 'eval "`$TG init tcsh`"; printf %s "$XDG_RUNTIME_DIR"' 2>/dev/null)
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "tcsh: $got"
check_rt alice /tmp/xdg-runtime-2001
# A shell started from that one: the value is valid, nothing to say or print.
err=$(as alice env XDG_RUNTIME_DIR=/tmp/xdg-runtime-2001 "$TG" init bash 2>&1 >"$AUX/out")
[ -z "$err" ] || fail "nested: stderr: $err"
grep -q XDG_RUNTIME_DIR "$AUX/out" && fail "nested: printed $(grep XDG "$AUX/out")"
# Unset (cron, a container): made or found the same way.
got=$(as alice env -u XDG_RUNTIME_DIR bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "$XDG_RUNTIME_DIR"')
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "unset: $got"
# --no-runtime-dir leaves it as it was.
run "$TG" init bash --no-runtime-dir 2>&1 | grep -q XDG_RUNTIME_DIR && fail "--no-runtime-dir"
true
"#,
    );
}

/// logind's directory (a root-made tmpfs, 0700, the user's) is kept and
/// nothing is said; unset (cron, `sudo -iu`, ssh without pam_systemd), it is
/// exported silently. Bad ones are replaced, each with its reason.
#[test]
fn valid_logind_dir_kept_silently_bad_ones_replaced_with_a_reason() {
    let Some(sb) = root_sandbox() else { return };
    check(
        sb,
        r#"
logind alice
out=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 "$TG" init bash 2>"$AUX/err")
grep XDG "$AUX/err" && fail "kept: stderr: $(cat "$AUX/err")"
grep -q XDG_RUNTIME_DIR <<<"$out" && fail "kept: printed: $out"
got=$(as alice env -u XDG_RUNTIME_DIR bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
[ "$got" = /run/user/2001 ] || fail "unset: $got"
grep XDG "$AUX/home/alice/err" && fail "unset: stderr: $(cat "$AUX/home/alice/err")"
ls -A /tmp | grep -q xdg-runtime && fail "made a directory beside a valid logind one"

# case: setup, the reason init must give.
replaced() {
  local what=$1 why=$2
  got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
  [ "$got" = /tmp/xdg-runtime-2001 ] || fail "$what: got $got"
  check_rt alice "$got"
  grep -qF "XDG_RUNTIME_DIR=/run/user/2001 $why" "$AUX/home/alice/err" || fail "$what: stderr: $(cat "$AUX/home/alice/err")"
  grep -qE "; (created|using) /tmp/xdg-runtime-2001( \(mode 0700\))?$" "$AUX/home/alice/err" || fail "$what: stderr: $(cat "$AUX/home/alice/err")"
}
chmod 0755 /run/user/2001
replaced "0755" "has mode 0755, not 0700; "
[ "$(stat -c %a /run/user/2001)" = 755 ] || fail "chmod'ed logind's directory"
umount /run/user/2001; rmdir /run/user/2001
install -d -m 0700 -o mallory -g mallory /run/user/2001
replaced "another user's" "is a directory owned by uid 2002 (mallory)"
rmdir /run/user/2001
install -d -m 0700 -o alice -g alice "$AUX/alices"
ln -s "$AUX/alices" /run/user/2001
replaced "a symlink" "is a symlink owned by uid 0 (root)"
rm /run/user/2001
echo x >/run/user/2001; chown alice /run/user/2001
replaced "a file" "is a regular file, not a directory"
rm /run/user/2001
replaced "missing" "does not exist"
# Valid but too long for the sockets programs make in it (red team): 82 bytes.
long=$AUX/home/alice/$(printf 'd%.0s' $(seq $((82 - ${#AUX} - 12))))
as alice mkdir -m 0700 "$long"
[ ${#long} = 82 ] || fail "long path is ${#long} bytes"
got=$(as alice env XDG_RUNTIME_DIR="$long" bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "too long: got $got"
grep -qF "XDG_RUNTIME_DIR=$long is 82 bytes long: sockets in it" "$AUX/home/alice/err" || fail "too long: stderr: $(cat "$AUX/home/alice/err")"
true
"#,
    );
}

/// Another user's FUSE mount (bindfs reporting "alice's, 0700") as the
/// forwarded value is refused: FUSE says whatever owner and mode it likes;
/// root's FUSE mount too: not a local filesystem.
#[test]
fn someone_elses_fuse_mount_is_replaced() {
    // Tier 3: mallory mounts FUSE through the setuid fusermount3 (and the test
    // makes a /dev/fuse node), which a user namespace cannot.
    let Some(sb) = real_root_sandbox() else {
        return;
    };
    if !require(
        have("bindfs") && have("fusermount3"),
        "bindfs and fusermount3",
    ) {
        return;
    }
    check(
        sb,
        r#"
mknod "$AUX/fuse" c 10 229 && chmod 666 "$AUX/fuse"
mount --bind "$AUX/fuse" /dev/fuse
{ cat /etc/fuse.conf 2>/dev/null; echo user_allow_other; } >"$AUX/fuse.conf"
mount --bind "$AUX/fuse.conf" /etc/fuse.conf
install -d -m 0755 -o mallory -g mallory /tmp/msrc /tmp/mnt
as mallory bindfs -f -o allow_other --force-user=alice --force-group=alice --perms=0700 /tmp/msrc /tmp/mnt </dev/null >/dev/null 2>&1 &
FUSE_PID=$!
trap 'umount -l /tmp/mnt 2>/dev/null; kill $FUSE_PID 2>/dev/null' EXIT
for _ in $(seq 100); do [ "$(stat -c %u /tmp/mnt)" = 2001 ] && break; sleep 0.05; done
[ "$(stat -c '%u %a' /tmp/mnt)" = "2001 700" ] || fail "setup: the mount does not pose as alice's: $(stat -c '%u %a' /tmp/mnt)"
got=$(as alice env XDG_RUNTIME_DIR=/tmp/mnt bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "kept the FUSE mount: $got"
grep -qF "XDG_RUNTIME_DIR=/tmp/mnt is on the fuse mount /tmp/mnt (of /tmp/msrc) made by uid 2002 (mallory)" "$AUX/home/alice/err" || fail "stderr: $(cat "$AUX/home/alice/err")"
# Root's FUSE mount passes the mount rule (root made it), but FUSE is not a
# local filesystem in the XDG specification's sense (sshfs, virtiofs).
install -d -m 0700 -o alice -g alice /tmp/rsrc
install -d -m 0755 /tmp/rmnt
bindfs -f -o allow_other /tmp/rsrc /tmp/rmnt </dev/null >/dev/null 2>&1 &
ROOT_FUSE=$!
trap 'umount -l /tmp/mnt /tmp/rmnt 2>/dev/null; kill $FUSE_PID $ROOT_FUSE 2>/dev/null' EXIT
for _ in $(seq 100); do [ "$(stat -c %u /tmp/rmnt)" = 2001 ] && break; sleep 0.05; done
got=$(as alice env XDG_RUNTIME_DIR=/tmp/rmnt bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "kept root's FUSE mount: $got"
grep -qF "XDG_RUNTIME_DIR=/tmp/rmnt is on a FUSE filesystem" "$AUX/home/alice/err" || fail "root's: stderr: $(cat "$AUX/home/alice/err")"
true
"#,
    );
}

/// A kept value passes TMPDIR's path rules (the red team's t26, t27, t2):
/// alice's 0700 directory inside mallory's sticky (or 0777) directory is
/// not kept (mallory may rename it away and put hers there); a value with
/// `..` is judged in its normal form and exported in that form, never as
/// given (a symlink of mallory's before the `..` would lead elsewhere).
#[test]
fn a_kept_value_passes_the_tmpdir_path_rules() {
    let Some(sb) = root_sandbox() else { return };
    check(
        sb,
        r#"
as alice "$TG" init bash >/dev/null 2>&1
[ -d /tmp/xdg-runtime-2001 ] || fail "setup: no /tmp/xdg-runtime-2001"
as mallory mkdir -m 1777 /tmp/m && as mallory chmod 1777 /tmp/m
as mallory mkdir /tmp/m2 && as mallory chmod 0777 /tmp/m2
as alice mkdir -m 0700 /tmp/m/arun /tmp/m2/arun
for v in /tmp/m/arun /tmp/m2/arun /tmp/m/arun/../arun; do
  got=$(as alice env XDG_RUNTIME_DIR=$v bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
  [ "$got" = /tmp/xdg-runtime-2001 ] || fail "$v: kept or used: $got"
  grep -q "XDG_RUNTIME_DIR=$v is inside /tmp/m2\?, a directory owned by uid 2002 (mallory)" "$AUX/home/alice/err" || fail "$v: stderr: $(cat "$AUX/home/alice/err")"
done
# `..` after mallory's symlink: the kernel would go to her 0777 directory.
as mallory mkdir -p /tmp/mx/y /tmp/mx/xdg-runtime-2001 && as mallory chmod 0777 /tmp/mx/xdg-runtime-2001
as mallory ln -s /tmp/mx/y /tmp/m3
v=/tmp/m3/../xdg-runtime-2001
got=$(as alice env XDG_RUNTIME_DIR=$v bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf "%s\n" "$XDG_RUNTIME_DIR"; "$PY" -c "import os; print(os.path.realpath(os.environ[\"XDG_RUNTIME_DIR\"]))"')
[ "$got" = "$(printf '/tmp/xdg-runtime-2001\n/tmp/xdg-runtime-2001')" ] || fail "$v: got $got"
# A valid value with `..` or a trailing slash: its normal form, silently.
for v in /tmp/xdg-runtime-2001/ /tmp/nonexistent/../xdg-runtime-2001; do
  got=$(as alice env XDG_RUNTIME_DIR=$v bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
  [ "$got" = /tmp/xdg-runtime-2001 ] || fail "$v: got $got"
  [ ! -s "$AUX/home/alice/err" ] || fail "$v: said: $(cat "$AUX/home/alice/err")"
done
true
"#,
    );
}

/// Without `XDG_RUNTIME_DIR`, the directory an earlier start made is found
/// again cheaply (issue 18) — but mallory's FUSE mount at that name, posing
/// as alice's (0700, alice's), is never taken for it, whether its daemon
/// answers or is stopped (a lookup that waited for it would hold every login):
/// a private fallback, within a second, the squat reported.
#[test]
fn a_fuse_squat_at_the_name_is_not_found_again() {
    // Tier 3: mallory mounts FUSE through the setuid fusermount3 (and the test
    // makes a /dev/fuse node), which a user namespace cannot.
    let Some(sb) = real_root_sandbox() else {
        return;
    };
    if !common::require_fuse(&sb) {
        return;
    }
    let out = check(
        sb,
        r#"
mknod "$AUX/fuse" c 10 229 && chmod 666 "$AUX/fuse"
mount --bind "$AUX/fuse" /dev/fuse
{ cat /etc/fuse.conf 2>/dev/null; echo user_allow_other; } >"$AUX/fuse.conf"
mount --bind "$AUX/fuse.conf" /etc/fuse.conf
install -d -m 0755 -o mallory -g mallory /tmp/msrc /tmp/xdg-runtime-2001
as mallory bindfs -f -o allow_other --force-user=alice --force-group=alice --perms=0700 /tmp/msrc /tmp/xdg-runtime-2001 </dev/null >/dev/null 2>&1 &
FUSE_PID=$!
trap 'kill -CONT $FUSE_PID 2>/dev/null; umount -l /tmp/xdg-runtime-2001 2>/dev/null; kill $FUSE_PID 2>/dev/null' EXIT
for _ in $(seq 100); do [ "$(stat -c %u /tmp/xdg-runtime-2001)" = 2001 ] && break; sleep 0.05; done
[ "$(stat -c '%u %a' /tmp/xdg-runtime-2001)" = "2001 700" ] || fail "setup: the mount does not pose as alice's"
login() { as alice env -u XDG_RUNTIME_DIR bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"'; }
got=$(login)
case $got in /tmp/xdg-runtime-2001.????????) ;; *) fail "answering: got $got: $(cat "$AUX/home/alice/err")" ;; esac
check_rt alice "$got"
grep -q "WARNING: /tmp/xdg-runtime-2001 " "$AUX/home/alice/err" || fail "answering: stderr: $(cat "$AUX/home/alice/err")"
# The daemon itself ($! is the subshell `as` runs in), every thread stopped.
DAEMON=$(pgrep -u mallory -x bindfs)
[ -n "$DAEMON" ] || fail "setup: no bindfs of mallory's"
trap 'kill -CONT $DAEMON 2>/dev/null; umount -l /tmp/xdg-runtime-2001 2>/dev/null; kill $DAEMON 2>/dev/null' EXIT
kill -STOP $DAEMON
for _ in $(seq 200); do ! grep -qv '^T' < <(for t in /proc/$DAEMON/task/*/stat; do awk '{print $3}' "$t"; done) && break; sleep 0.01; done
for i in 1 2; do
  s=$(date +%s%N); again=$(timeout 20 bash -c "$(declare -f as login); login"); t=$(( ($(date +%s%N) - s) / 1000000 ))
  echo "stopped daemon, start $i: $t ms"
  [ "$t" -lt 1000 ] || fail "stopped daemon: start $i took $t ms"
  [ "$again" = "$got" ] || fail "stopped daemon: start $i got '$again', want $got: $(cat "$AUX/home/alice/err")"
done
# Inherited, at the mount or below it (the red team's t21): every command
# that judges XDG_RUNTIME_DIR refuses it without waiting for the daemon.
for v in /tmp/xdg-runtime-2001 /tmp/xdg-runtime-2001/sub; do
  for cmd in "init bash" "init slurm" "exec -- true" "path --records" "doctor"; do
    s=$(date +%s%N)
    out=$(as alice env SLURM_JOB_ID=42 SLURM_JOB_UID=2001 XDG_RUNTIME_DIR=$v timeout 20 "$TG" $cmd 2>&1 | tr '\0' '\n')
    t=$(( ($(date +%s%N) - s) / 1000000 ))
    [ "$t" -lt 1500 ] || fail "stopped daemon: XDG_RUNTIME_DIR=$v $cmd took $t ms"
    case $cmd in init*|exec*) grep -q "/tmp/xdg-runtime-2001 is on the fuse mount /tmp/xdg-runtime-2001 .* made by uid 2002 (mallory)" <<<"$out" || fail "$v $cmd: $out" ;; esac
    case $cmd in doctor) grep -q "not valid: .*made by uid 2002 (mallory)" <<<"$out" || fail "$v doctor: $out" ;;
      *) grep -qF "$got" <<<"$out" || fail "$v $cmd: not the fallback: $out" ;; esac
  done
done
kill -CONT $DAEMON
true
"#,
    );
    eprint!("{}", out.stdout);
}

/// An attacker's object at the chosen name (`/tmp/xdg-runtime-<uid>`): a
/// private fallback beside it, a warning and a line in the system log,
/// never the attacker's directory; a later shell finds the same fallback.
#[test]
fn squat_at_the_chosen_name_gives_a_private_fallback_and_a_log_line() {
    let Some(sb) = root_sandbox() else { return };
    check(
        sb,
        r#"
syslog_start
for kind in dir-0777 dir-0700 symlink; do
  find /tmp -mindepth 1 -delete
  case $kind in
    dir-0777) as mallory mkdir -m 0777 /tmp/xdg-runtime-2001; as mallory chmod 0777 /tmp/xdg-runtime-2001 ;;
    dir-0700) as mallory mkdir -m 0700 /tmp/xdg-runtime-2001 ;;
    symlink) as mallory mkdir -m 0777 /tmp/m; as mallory ln -s /tmp/m /tmp/xdg-runtime-2001 ;;
  esac
  got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
  case $got in /tmp/xdg-runtime-2001.????????) ;; *) fail "$kind: got $got" ;; esac
  check_rt alice "$got"
  grep -q "WARNING: /tmp/xdg-runtime-2001 .*someone else may be attacking you (reported to the system log)" "$AUX/home/alice/err" || fail "$kind: stderr: $(cat "$AUX/home/alice/err")"
  again=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 "$TG" init sh 2>/dev/null | grep XDG_RUNTIME_DIR)
  [ "$again" = "export XDG_RUNTIME_DIR='$got'" ] || fail "$kind: a second shell: $again"
  [ "$(stat -c %U /tmp/xdg-runtime-2001)" = mallory ] || fail "$kind: touched the squat"
done
syslog_stop
n=$(grep -c "unsafe private directory /tmp/xdg-runtime-2001 (offending uid 2002, victim uid 2001)" "$AUX/syslog")
[ "$n" -ge 3 ] || fail "log: $(cat "$AUX/syslog")"
true
"#,
    );
}

/// Nothing valid can be had (a read-only /tmp, no logind directory): an
/// inherited value that is not valid is taken away, with the reason, in
/// `init` (every shell), `exec` and the TaskProlog; an unset one stays unset.
#[test]
fn no_safe_dir_unsets_an_invalid_value() {
    let Some(sb) = root_sandbox() else { return };
    check(
        sb.tmp("mode=1777,size=1m,ro"),
        r#"
install -d -m 0700 -o mallory -g mallory /run/user/2001
for sh in bash zsh dash; do
  got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 $sh -c 'eval "$("$TG" init '"$sh"' 2>"$HOME/err")"; printf %s "${XDG_RUNTIME_DIR-unset}"')
  [ "$got" = unset ] || fail "$sh: $got"
done
grep -q "XDG_RUNTIME_DIR=/run/user/2001 is a directory owned by uid 2002 (mallory).*; unsetting XDG_RUNTIME_DIR" "$AUX/home/alice/err" || fail "stderr: $(cat "$AUX/home/alice/err")"
got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 fish -c 'eval ("$TG" init fish 2>/dev/null | string collect); set -q XDG_RUNTIME_DIR; and echo set; or echo unset')
[ "$got" = unset ] || fail "fish: $got"
got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 tcsh -c 'eval "`$TG init tcsh`"; if ( $?XDG_RUNTIME_DIR ) echo set; if ( ! $?XDG_RUNTIME_DIR ) echo unset' 2>/dev/null)
[ "$got" = unset ] || fail "tcsh: $got"
# elvish and xonsh (strict) evaluate init's output even when it exits 1: the rc lines of the README.
got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 elvish -norc -c 'eval (try { $E:TG init elvish } catch { } | slurp); if (has-env XDG_RUNTIME_DIR) { echo set } else { echo unset }' 2>/dev/null)
[ "$got" = unset ] || fail "elvish: $got"
got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 XONSH_DATA_DIR="$AUX/home/alice" xonsh --no-rc -DRAISE_SUBPROC_ERROR=1 -c 'with ${...}.swap(RAISE_SUBPROC_ERROR=False): execx($($TG init xonsh))
print("set" if "XDG_RUNTIME_DIR" in ${...} else "unset")' 2>/dev/null)
[ "$got" = unset ] || fail "xonsh: $got"
got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 "$TG" exec -- sh -c 'printf %s "${XDG_RUNTIME_DIR-unset}"' 2>/dev/null)
[ "$got" = unset ] || fail "exec: $got"
got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 SLURM_JOB_ID=7 "$TG" init slurm 2>/dev/null)
grep -qx "unset XDG_RUNTIME_DIR" <<<"$got" || fail "slurm: $got"
got=$(as alice env -u XDG_RUNTIME_DIR bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "${XDG_RUNTIME_DIR-unset}"')
[ "$got" = unset ] || fail "unset stays unset: $got"
# The directory an earlier start made, found again on a /tmp that has since
# become read-only: not handed out (sockets cannot be made there), as the
# probe of a new one would say (lmod_runtime_dir_through_records in CI).
mount -o remount,rw /tmp
got=$(as alice env -u XDG_RUNTIME_DIR bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "${XDG_RUNTIME_DIR-unset}"')
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "made on a writable /tmp: $got"
mount -o remount,ro /tmp
got=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 bash -c 'eval "$("$TG" init bash 2>/dev/null)"; printf %s "${XDG_RUNTIME_DIR-unset}"')
[ "$got" = unset ] || fail "found again on a read-only /tmp: $got"
true
"#,
    );
}

/// Real programs: dbus-daemon's session bus with its socket in the runtime
/// directory, found there by libdbus (dbus-send) and GLib (gdbus) through
/// XDG_RUNTIME_DIR alone. With the forwarded value it cannot even start;
/// after `eval "$(tmpguard init bash)"` and in `tmpguard exec` it works.
#[test]
fn dbus_session_bus_works_in_the_runtime_dir() {
    let Some(sb) = root_sandbox() else { return };
    for p in ["dbus-daemon", "dbus-send", "gdbus"] {
        if !require(have(p), p) {
            return;
        }
    }
    check(
        sb,
        r#"
cat >"$AUX/bus.sh" <<'EOF'
dbus-daemon --session --address="unix:path=$XDG_RUNTIME_DIR/bus" --fork --print-pid=3 3>"$HOME/pid" 2>"$HOME/daemon.err" || { echo "daemon failed: $(cat "$HOME/daemon.err")"; exit 1; }
[ -S "$XDG_RUNTIME_DIR/bus" ] && echo "socket in $XDG_RUNTIME_DIR"
unset DBUS_SESSION_BUS_ADDRESS
dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null && echo dbus-send ok
gdbus call --session --dest org.freedesktop.DBus --object-path / --method org.freedesktop.DBus.GetId >/dev/null && echo gdbus ok
kill "$(cat "$HOME/pid")"
EOF
chmod 644 "$AUX/bus.sh"
# Before: the forwarded directory does not exist on this node.
before=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 bash "$AUX/bus.sh" 2>&1)
grep -q "daemon failed" <<<"$before" || fail "before: expected the daemon to fail: $before"
after=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 bash -c 'eval "$("$TG" init bash 2>/dev/null)"; bash "$1"' _ "$AUX/bus.sh" 2>&1)
grep -q "dbus-send ok" <<<"$after" && grep -q "gdbus ok" <<<"$after" || fail "after init: $after"
grep -q "socket in /tmp/xdg-runtime-2001" <<<"$after" || fail "no socket in the runtime dir: $after"
after=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 "$TG" exec -- bash "$AUX/bus.sh" 2>&1)
grep -q "dbus-send ok" <<<"$after" && grep -q "gdbus ok" <<<"$after" || fail "after exec: $after"
true
"#,
    );
}

/// doctor: the section (value, verdict, what init would do, the programs
/// here that need it), a finding with a fix that works, and the JSON object;
/// it changes nothing.
#[test]
fn doctor_reports_the_runtime_dir() {
    let Some(sb) = root_sandbox() else { return };
    check(
        sb,
        r#"
install -d -m 0700 -o mallory -g mallory /run/user/2001
out=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 "$TG" doctor)
grep -q "^Runtime directory (XDG_RUNTIME_DIR)" <<<"$out" || fail "no section: $out"
grep -q "verdict .*not valid: it is a directory owned by uid 2002 (mallory)" <<<"$out" || fail "verdict: $out"
grep -q "init would .*create /tmp/xdg-runtime-2001 (mode 0700) and export it" <<<"$out" || fail "would: $out"
grep -q "error .*XDG_RUNTIME_DIR=/run/user/2001 is a directory owned by uid 2002" <<<"$out" || fail "finding: $out"
if command -v dbus-daemon >/dev/null; then grep -q "needed by .*dbus" <<<"$out" || fail "dbus not listed: $out"; fi
[ -e /tmp/xdg-runtime-2001 ] && fail "doctor made the directory"
json=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 "$TG" doctor --json)
"$PY" -c 'import json,sys; d=json.loads(sys.argv[1])["runtime_dir"]; assert d["state"]=="invalid" and d["value"]=="/run/user/2001" and "2002" in d["reason"], d' "$json" || fail "json: $json"
# The fix works: after it, doctor has nothing to say about the runtime directory.
out=$(as alice env XDG_RUNTIME_DIR=/run/user/2001 bash -c 'eval "$("$TG" init bash 2>/dev/null)"; "$TG" doctor')
grep -q "verdict .*valid (yours, 0700, local)" <<<"$out" || fail "after the fix: $out"
grep -q "XDG_RUNTIME_DIR=" <<<"$out" && fail "after the fix, still a finding: $out"
true
"#,
    );
}

/// Twenty shells starting at once (a tmux session restoring its panes) agree
/// on one directory and none fails; after a cleaner removed it, the next
/// shell makes it again; after someone else took the name, a private fallback.
#[test]
fn concurrent_shells_agree_and_a_cleaned_dir_comes_back() {
    let Some(sb) = root_sandbox() else { return };
    check(
        sb,
        r#"
for i in $(seq 20); do
  as alice env XDG_RUNTIME_DIR=/run/user/2001 bash -c 'eval "$("$TG" init bash 2>/dev/null)" && printf "%s\n" "$XDG_RUNTIME_DIR"' >"$AUX/out.$i" 2>&1 &
done
wait
for i in $(seq 20); do
  [ "$(cat "$AUX/out.$i")" = /tmp/xdg-runtime-2001 ] || fail "shell $i: $(cat "$AUX/out.$i")"
done
ls -A /tmp | grep xdg-runtime | grep -vx xdg-runtime-2001 && fail "more than one: $(ls -A /tmp)"
check_rt alice /tmp/xdg-runtime-2001
# A cleaner (systemd-tmpfiles, tmpreaper) removes it under a running session.
rm -r /tmp/xdg-runtime-2001
got=$(as alice env XDG_RUNTIME_DIR=/tmp/xdg-runtime-2001 bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
[ "$got" = /tmp/xdg-runtime-2001 ] || fail "after the cleaner: $got"
check_rt alice "$got"
grep -q "XDG_RUNTIME_DIR=/tmp/xdg-runtime-2001 does not exist; created /tmp/xdg-runtime-2001" "$AUX/home/alice/err" || fail "after the cleaner: $(cat "$AUX/home/alice/err")"
# ... and mallory re-creates the name before alice's next shell.
rm -r /tmp/xdg-runtime-2001
as mallory mkdir -m 0700 /tmp/xdg-runtime-2001
got=$(as alice env XDG_RUNTIME_DIR=/tmp/xdg-runtime-2001 bash -c 'eval "$("$TG" init bash 2>"$HOME/err")"; printf %s "$XDG_RUNTIME_DIR"')
case $got in /tmp/xdg-runtime-2001.????????) check_rt alice "$got" ;; *) fail "re-squatted: $got" ;; esac
grep -q "XDG_RUNTIME_DIR=/tmp/xdg-runtime-2001 is a directory owned by uid 2002" "$AUX/home/alice/err" || fail "re-squatted: $(cat "$AUX/home/alice/err")"
true
"#,
    );
}
