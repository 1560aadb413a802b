#!/usr/bin/env bash
# By hand (root): the shell-start cost of `tmpguard init bash` with a valid
# XDG_RUNTIME_DIR, as logind makes it (a root-made tmpfs at /run/user/<uid>,
# 0700, the user's) and TMPDIR already the private directory: system calls
# (strace -f -c) and instructions (callgrind). Usage: tests/bench-runtime.sh [BINARY]
set -euo pipefail
bin=$(realpath "${1:-target/release/tmpguard}")
uid=2999
exec unshare -m --propagation private bash -s "$bin" "$uid" <<'INNER'
set -euo pipefail
bin=$1 uid=$2
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run/user
mkdir /run/user/$uid
mount -t tmpfs -o mode=0700,uid=$uid,gid=$uid,size=1m tmpfs /run/user/$uid
install -d -m 0700 -o $uid -g $uid /tmp/bench
install -m 0755 "$bin" /tmp/tmpguard
cd /
run() {
  setpriv --reuid=$uid --regid=$uid --clear-groups env -i PATH=/tmp:/usr/bin:/bin USER=bench \
    TMPDIR=/tmp/bench XDG_RUNTIME_DIR=/run/user/$uid "$@"
}
run tmpguard init bash >/dev/null
run strace -f -qq -o /tmp/trace tmpguard init bash >/tmp/out
echo "system calls: $(grep -cE '^[0-9]+ +[a-z_0-9]+\(' /tmp/trace || true)"
echo "calls naming /run/user: $(grep -c run/user /tmp/trace || true)"
if grep -q 'mountinfo\|passwd\|nsswitch' /tmp/trace; then echo "NSS or mountinfo read!"; fi
run valgrind --tool=callgrind --callgrind-out-file=/tmp/cg tmpguard init bash >/dev/null 2>/tmp/vg
echo "instructions: $(grep '^summary:' /tmp/cg | awk '{print $2}')"
echo "--- output"; cat /tmp/out
[ -n "${TRACE-}" ] && cat /tmp/trace
true
INNER
