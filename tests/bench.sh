#!/usr/bin/env bash
# What tmpguard costs a shell start, side by side with the floor.
#
#   bash tests/bench.sh              # builds the static musl binary first
#   TG=/path/to/tmpguard bash tests/bench.sh   # e.g. target/release/tmpguard (glibc)
#
# Run by hand (not part of `cargo test`): timings are noisy. Needs hyperfine,
# valgrind, strace, python3, bash, zsh and fish.
#
# Every comparison is `<shell start with tmpguard>` against the same form with
# /bin/true in its place, on the fast path (the private directory exists): a
# 0700 scratch base given as TMPGUARD_BASE, or the real /tmp/$USER with
# REAL=1. A 5 ms command is mostly noise on a shared 2-core machine, so each
# timed run is N (50) shell starts in a loop, the pair is timed in ROUNDS (15)
# short rounds of RUNS (2) runs each, the order swapped every round so a burst
# of load hits both sides, and the table shows the medians over all runs, per
# shell start, and their ratio.
#
# Interactive rows run with a terminal as the shells' stdin, as a login has
# (each hyperfine run goes through `script`, a real pty; the loop reads
# /dev/tty): init then carries the prompt hook's code inline, one process.
# Non-interactive rows have no terminal (ssh host cmd, scp, cron, batch
# jobs), and init prints one short line instead of the hook; the row "bash
# on a terminal" is the wrong guess (a script run by hand that evaluates
# init): the hook's code inline, parsed and skipped.
#
# The environment has a valid XDG_RUNTIME_DIR (a 0700 directory of ours), as
# a login session has: without one every start takes the runtime directory's
# slow path (issue 18), which is not what a login pays.
#
# The deterministic numbers come last: instructions of `tmpguard init bash`
# under callgrind, and its system calls, processes and NSS opens under strace.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-50}
ROUNDS=${ROUNDS:-15}
RUNS=${RUNS:-2}

for tool in hyperfine valgrind strace python3 bash zsh fish; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
# The build the packages carry and the README installs: static musl.
if [[ -z ${TG:-} ]]; then
  t=$(uname -m)-unknown-linux-musl
  rustup target list --installed | grep -qx "$t" || rustup target add "$t" >&2
  cargo build --release --quiet --target "$t"
  TG=$PWD/target/$t/release/tmpguard
fi
TG=$(readlink -f "$TG")

W=$(mktemp -d "${TMPDIR:-/tmp}/tmpguard-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/bin" "$W/home" "$W/case" "$W/json"
mkdir -m 0700 "$W/run"
ln -s "$TG" "$W/bin/tmpguard"
user=$(id -un)

# A clean, login-like environment: what a shell start sees, no TMPDIR yet.
clean=(env -i PATH="$W/bin:/usr/local/bin:/usr/bin:/bin" HOME="$W/home" USER="$user" LOGNAME="$user" LANG=C.UTF-8
  XDG_RUNTIME_DIR="$W/run")
if [[ ${REAL:-} == 1 ]]; then
  where="/tmp/$user"
else
  mkdir -m 0700 "$W/base"
  clean+=(TMPGUARD_BASE="$W/base")
  where="$W/base/$user (TMPGUARD_BASE)"
fi
# Make the directory once, so every timed start takes the fast path.
"${clean[@]}" tmpguard init bash >/dev/null

# case NAME COMMAND [STDIN]: a script running COMMAND N times, stdin from
# STDIN (/dev/tty: the terminal `script` gives it).
case_script() {
  printf '#!/bin/bash\nfor ((i = 0; i < %d; i++)); do\n  %s\ndone <%s >/dev/null 2>&1\n' "$N" "$2" "${3:-/dev/null}" >"$W/case/$1"
  chmod +x "$W/case/$1"
}

# The pairs, side by side: label, the form with tmpguard, the same form with
# /bin/true in its place. Shells run without rc files (--norc, -f,
# --no-config), so the floor is as low as it goes.
labels=() withs=() floors=() ins=()
pair() { labels+=("$1") withs+=("$2") floors+=("$3") ins+=("${4:-/dev/null}"); }
tty=/dev/tty
pair "bash: eval" "bash --norc -c 'eval \"\$(tmpguard init bash)\"'" "bash --norc -c 'eval \"\$(/bin/true)\"'"
pair "bash -i: eval" "bash --norc -i -c 'eval \"\$(tmpguard init bash)\"'" "bash --norc -i -c 'eval \"\$(/bin/true)\"'" $tty
pair "zsh: eval" "zsh -f -c 'eval \"\$(tmpguard init zsh)\"'" "zsh -f -c 'eval \"\$(/bin/true)\"'"
pair "zsh -i: eval" "zsh -f -i -c 'eval \"\$(tmpguard init zsh)\"'" "zsh -f -i -c 'eval \"\$(/bin/true)\"'" $tty
pair "fish: source" "fish --no-config -c 'tmpguard init fish | source'" "fish --no-config -c '/bin/true | source'"
pair "fish -i: source" "fish --no-config -i -c 'tmpguard init fish | source'" "fish --no-config -i -c '/bin/true | source'" $tty
# The same interactive bash with init's stdin not a terminal: the hook's code
# from a second process (`. <(tmpguard init bash --hook-only)`), which the
# inline form saves.
pair "bash -i: hook apart" "bash --norc -i -c 'eval \"\$(tmpguard init bash </dev/null)\"'" "bash --norc -i -c 'eval \"\$(/bin/true)\"'" $tty
pair "bash on a terminal: eval" "bash --norc -c 'eval \"\$(tmpguard init bash)\"'" "bash --norc -c 'eval \"\$(/bin/true)\"'" $tty
pair "the binary alone" "tmpguard init bash" "/bin/true"
pair "path vs Python" "tmpguard path" "python3 -c 'import tempfile; print(tempfile.gettempdir())'"

for i in "${!labels[@]}"; do
  case_script "tg$i" "${withs[$i]}" "${ins[$i]}"
  case_script "floor$i" "${floors[$i]}" "${ins[$i]}"
  # Each form must work before it is timed.
  "${clean[@]}" bash -c "${withs[$i]}" >/dev/null 2>"$W/err" </dev/null || { cat "$W/err" >&2; exit 1; }
done
# On a terminal, init carries the hook inline.
"${clean[@]}" script -qec "tmpguard init bash >$W/err" /dev/null
grep -q __tmpguard_hook "$W/err" || { echo "bench: no inline hook on a terminal" >&2; exit 1; }

echo "timing: $N shell starts per run, $ROUNDS rounds x $RUNS runs per command (about a few minutes)" >&2
for ((r = 0; r < ROUNDS; r++)); do
  for i in "${!labels[@]}"; do
    a="$W/case/tg$i" b="$W/case/floor$i"
    if ((r % 2)); then t=$a a=$b b=$t; fi
    run=("${clean[@]}" hyperfine -N --style none --warmup $((r == 0)) --runs "$RUNS"
      --export-json "$W/json/$i.$r.json" "$a" "$b")
    if [[ ${ins[$i]} == "$tty" ]]; then
      script -qec "$(printf '%q ' "${run[@]}") >/dev/null" /dev/null >/dev/null </dev/null
    else
      "${run[@]}" >/dev/null
    fi
  done
  echo "  round $((r + 1))/$ROUNDS done" >&2
done

# Deterministic: instructions, system calls, processes, NSS and sockets.
"${clean[@]}" valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" tmpguard init bash >/dev/null 2>&1
instr=$(awk '/^(totals|summary):/ {print $2; exit}' "$W/cg.out")
"${clean[@]}" strace -f -qq -o "$W/strace.out" tmpguard init bash >/dev/null
syscalls=$(grep -cv -e '^[0-9]* +++' -e '^[0-9]* ---' -e 'resumed>' "$W/strace.out")
procs=$(awk '{print $1}' "$W/strace.out" | sort -u | wc -l)
nss=$(grep -cE 'open.*"/etc/(passwd|group|nsswitch\.conf)"|socket\(|connect\(' "$W/strace.out" || true)

W=$W N=$N runs=$((ROUNDS * RUNS)) where=$where instr=$instr syscalls=$syscalls procs=$procs nss=$nss python3 - "${labels[@]}" "${withs[@]}" "${floors[@]}" <<'PY'
import glob, json, os, statistics, subprocess, sys

W, N = os.environ["W"], int(os.environ["N"])
def medians(script):
    """Wall ms per start (median over all runs) and CPU ms per start (user +
    system of the whole process tree: median over rounds of hyperfine's mean)."""
    wall, cpu = [], []
    for f in glob.glob(f"{W}/json/*.json"):
        for res in json.load(open(f))["results"]:
            if res["command"] == script:
                wall += res["times"]
                cpu.append(res["user"] + res["system"])
    return statistics.median(wall) * 1000 / N, statistics.median(cpu) * 1000 / N

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
osr = dict(l.rstrip().split("=", 1) for l in open("/etc/os-release") if "=" in l)
ver = subprocess.run([f"{W}/bin/tmpguard", "--version"], capture_output=True, text=True).stdout.strip()
print(f"{ver} on {os.cpu_count()} cores ({cpu}), {osr.get('PRETTY_NAME', '?').strip(chr(34))}, "
      f"load {os.getloadavg()[0]:.2f}; fast path in {os.environ['where']}")
print(f"ms per shell start: wall-clock median over {os.environ['runs']} timed runs of {N} starts per command; "
      f"CPU = user + system time of the whole process tree\n")
print("| comparison | with tmpguard | floor | ms with | ms floor | ratio | CPU ms with | CPU ms floor | CPU ratio |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
args = sys.argv[1:]
k = len(args) // 3
for i, (label, tg, floor) in enumerate(zip(args[:k], args[k:2 * k], args[2 * k:])):
    (a, ac), (b, bc) = medians(f"{W}/case/tg{i}"), medians(f"{W}/case/floor{i}")
    tg, floor = (c.replace("|", "\\|") for c in (tg, floor))
    print(f"| {label} | `{tg}` | `{floor}` | {a:.2f} | {b:.2f} | {a / b:.2f}x | {ac:.2f} | {bc:.2f} | {ac / bc:.2f}x |")
print()
print(f"`tmpguard init bash`: {int(os.environ['instr']):,} instructions (callgrind), "
      f"{os.environ['syscalls']} system calls, {os.environ['procs']} process(es), "
      f"{os.environ['nss']} passwd/group/nsswitch opens or sockets (strace -f)")
PY
