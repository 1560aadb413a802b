#!/usr/bin/env bash
# By hand (root): the shell-start cost of `tmpguard init bash` with a valid
# XDG_RUNTIME_DIR, as logind makes it (a root-made tmpfs at /run/user/<uid>,
# 0700, the user's) and TMPDIR already the private directory: system calls
# (strace -f -c) and instructions (callgrind). Usage: tests/bench-runtime.sh [BINARY]
set -euo pipefail
uid=2999
# A copy outside /tmp, which the namespace covers.
bin=$(mktemp /var/tmp/tmpguard-bench.XXXXXX)
trap 'rm -f "$bin"' EXIT
cp "$(realpath "${1:-target/release/tmpguard}")" "$bin"
unshare -m --propagation private bash -s "$bin" "$uid" <<'INNER'
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
# The whole shell start, deterministic: instructions of
# `bash --norc -c 'eval "$(X)"'` summed over bash and its children, with
# tmpguard, with tmpguard --no-runtime-dir (this issue's share), and with
# /bin/true (the floor).
cg_sum() {
  rm -f /tmp/cgs.*
  run valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/tmp/cgs.%p bash --norc -c "$1" >/dev/null 2>/dev/null
  cat /tmp/cgs.* | awk '/^summary:/ {s += $2} END {print s}'
}
with=$(cg_sum 'eval "$(tmpguard init bash)"')
without=$(cg_sum 'eval "$(tmpguard init bash --no-runtime-dir)"')
floor=$(cg_sum 'eval "$(/bin/true)"')
echo "eval instructions: with $with, --no-runtime-dir $without, floor $floor"
awk -v a="$with" -v b="$without" -v f="$floor" 'BEGIN {printf "eval ratio (instructions): %.3fx with, %.3fx --no-runtime-dir\n", a/f, b/f}'
if [ -n "${TIMES-}" ] && command -v hyperfine >/dev/null; then
  run hyperfine -N -w 20 -r 300 --export-markdown /tmp/hf.md \
    "bash --norc -c 'eval \"\$(tmpguard init bash)\"'" \
    "bash --norc -c 'eval \"\$(tmpguard init bash --no-runtime-dir)\"'" \
    "bash --norc -c 'eval \"\$(/bin/true)\"'" >/dev/null && cat /tmp/hf.md
fi
echo "--- output"; cat /tmp/out
[ -n "${TRACE-}" ] && cat /tmp/trace
true
INNER
