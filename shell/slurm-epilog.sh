#!/bin/sh
# Slurm Epilog: remove the per-job directories tmpguard made for the job on
# this node (`init slurm --per-job` in the TaskProlog, or `jobs = true`).
#
# Install on every compute node outside /tmp, owned by root, mode 0755, e.g.
# /etc/slurm/tmpguard-epilog.sh, and add to slurm.conf:
#
#     Epilog=/etc/slurm/tmpguard-epilog.sh
#
# slurmd runs it as root with SLURM_JOB_ID and SLURM_JOB_UID set; tmpguard
# looks for the job's directories (by owner and marker, never by name) under
# the user's directories in each base, removes them as that user, keeps one
# with a `.keep` file, and writes one line per directory to the system log.
# It gives up after --timeout seconds, saying what it left. A failing Epilog
# drains the node, so this script always exits 0. A site with other bases
# lists them: --base /tmp --base /var/tmp.
tmpguard=/usr/local/bin/tmpguard
if [ -x "$tmpguard" ]; then
    "$tmpguard" clean --timeout 60
else
    echo "tmpguard-epilog: $tmpguard is missing; job directories not removed" >&2
fi
exit 0
