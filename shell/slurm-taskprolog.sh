#!/bin/sh
# Slurm TaskProlog: a private, verified TMPDIR for every task.
#
# Install on every compute node outside /tmp (private-/tmp plugins hide it),
# owned by root, mode 0755, e.g. /etc/slurm/tmpguard-taskprolog.sh, and add
# to slurm.conf:
#
#     TaskProlog=/etc/slurm/tmpguard-taskprolog.sh
#
# slurmstepd runs it as the job's user before each task and reads its stdout.
# `tmpguard init slurm` prints `export TMPDIR=...` (and TMP/TEMP when the job
# has them), nothing when the job's TMPDIR is already private and usable, and
# a `print` line with the reason when it cannot help. It always exits 0, and
# so does this script: a failing TaskProlog cancels the task.
#
# A site that already has a TaskProlog can run this at its end; if the site's
# part prints `export TMPDIR=DIR`, it should also `export TMPDIR=DIR` in the
# script itself, so that tmpguard sees the job's directory and keeps it.
#
# Per-job directories (<base>/<user>/job.<id>, removed by the Epilog in
# slurm-epilog.sh): set flags="--per-job".
tmpguard=/usr/local/bin/tmpguard
flags=""
if [ -x "$tmpguard" ]; then
    # shellcheck disable=SC2086 # flags is a list of words
    "$tmpguard" init slurm $flags
else
    echo "tmpguard-taskprolog: $tmpguard is missing; TMPDIR not changed" >&2
fi
exit 0
