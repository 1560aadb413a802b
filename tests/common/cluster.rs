//! A real two-node Slurm cluster for tests (Debian's Slurm 22.05 and munge),
//! started and stopped by the test inside the sandbox of `common::Sandbox`.
//!
//! Layout, all in namespaces the test makes (nothing reaches the host):
//! - "ctl": a network, PID and UTS namespace with a bridge `br0`
//!   (10.77.0.1/24), munged and slurmctld. Every process of the cluster is
//!   in its PID namespace and dies with it, even if the test fails half-way.
//! - "node1", "node2": each its own network, mount and UTS namespace, joined
//!   to the bridge by a veth (10.77.0.11, 10.77.0.12), with its own `/tmp`
//!   (a tmpfs), its own `/dev/log` (a listener writing `$S/<node>.syslog`)
//!   and its own slurmd (spool and pid file per node).
//! - "login": a network and UTS namespace (10.77.0.100) to submit from; it
//!   shares the sandbox's `/tmp`, which no node sees.
//! munge's socket, `$S` (configuration, logs) and the users' homes are one
//! shared tmpfs. Reuse: `run(body)` with shell functions documented on
//! [`PRELUDE`].
#![allow(dead_code)]

/// Bash run as root in the "ctl" namespace before the test's body. Gives:
/// - `$S` (cluster directory), `$CONF` (slurm.conf, also `$SLURM_CONF`),
///   `$TG` (tmpguard), `$AUX/home/<user>`;
/// - `on NS CMD...`: run CMD (a program, or one of the exported functions
///   `as`) in namespace NS (node1, node2, login);
/// - `submit USER ENV... -- SBATCH-ARGS...`: sbatch from "login" as USER
///   (cwd: the user's home), prints the job id;
/// - `wait_jobs ID...`: until none is in squeue (so each Epilog has run);
/// - `slurmd_start NODE`, `slurmd_stop NODE`, `stop` (everything), `logs`;
/// - `$S/taskprolog` runs `$S/taskprolog.d/*` as the site's part, then the
///   shipped wrapper unless `$S/no-tmpguard` exists; `$S/epilog` runs the
///   shipped Epilog (with `$TG`).
pub const PRELUDE: &str = r#"
set -u
S=$AUX/cluster
CONF=$S/slurm.conf
export SLURM_CONF=$CONF
mkdir -p $S/state $S/spool $S/log $S/munge $S/run $S/taskprolog.d
chmod 755 $AUX $S $S/taskprolog.d

hostname ctl
ip link set lo up
ip link add br0 type bridge
ip addr add 10.77.0.1/24 dev br0
ip link set br0 up

printf '127.0.0.1 localhost\n10.77.0.1 ctl\n10.77.0.11 node1\n10.77.0.12 node2\n10.77.0.100 login\n' > $S/hosts
chmod 644 $S/hosts
mount --bind $S/hosts /etc/hosts

chown munge:munge $S/munge && chmod 755 $S/munge
head -c 1024 /dev/urandom > $S/munge/munge.key
chown munge:munge $S/munge/munge.key && chmod 400 $S/munge/munge.key
runuser -u munge -- munged --key-file=$S/munge/munge.key --socket=$S/munge/munge.socket.2 \
  --pid-file=$S/munge/munged.pid --log-file=$S/munge/munged.log --seed-file=$S/munge/munged.seed \
  || { echo "munged failed" >&2; exit 1; }

# The shipped scripts, pointing at the binary under test.
sed "s|^tmpguard=.*|tmpguard=$TG|; s|^flags=.*|flags=--per-job|" "$REPO/shell/slurm-taskprolog.sh" > $S/tmpguard-taskprolog.sh
sed "s|^tmpguard=.*|tmpguard=$TG|" "$REPO/shell/slurm-epilog.sh" > $S/tmpguard-epilog.sh
cat > $S/taskprolog <<EOF
#!/bin/sh
for f in $S/taskprolog.d/*; do [ -x "\$f" ] && "\$f"; done
[ -e $S/no-tmpguard ] && exit 0
exec $S/tmpguard-taskprolog.sh
EOF
cat > $S/epilog <<EOF
#!/bin/sh
[ -e $S/no-tmpguard ] && exit 0
exec $S/tmpguard-epilog.sh
EOF
chmod 755 $S/taskprolog $S/epilog $S/tmpguard-taskprolog.sh $S/tmpguard-epilog.sh

cat > $CONF <<EOF
ClusterName=tg2
SlurmctldHost=ctl(10.77.0.1)
NodeName=node1 NodeAddr=10.77.0.11 CPUs=8 RealMemory=500 State=UNKNOWN
NodeName=node2 NodeAddr=10.77.0.12 CPUs=8 RealMemory=500 State=UNKNOWN
SlurmdParameters=config_overrides
PartitionName=debug Nodes=node1,node2 Default=YES MaxTime=INFINITE State=UP
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket.2
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
PrologFlags=Contain
MpiDefault=none
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
SlurmdTimeout=30
MessageTimeout=10
TaskProlog=$S/taskprolog
Epilog=$S/epilog
EOF
chmod 644 $CONF

declare -A NS
logs() {
  for f in $S/log/*.log $S/munge/munged.log; do echo "== $f" >&2; tail -n 40 "$f" >&2; done
}
stop() {
  for p in $S/run/*.pid $S/munge/munged.pid; do
    test -r $p && kill "$(cat $p)" 2>/dev/null
  done
  for n in "${!NS[@]}"; do kill "${NS[$n]}" 2>/dev/null; done
  for _ in $(seq 50); do
    pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x munged >/dev/null || return 0
    sleep 0.2
  done
  echo "daemons did not stop" >&2
}
die() { echo "$*" >&2; logs; stop; exit 1; }

# A namespace (network, UTS, and for nodes mount) joined to the bridge.
mkns() {
  local name=$1 ip=$2 flags=$3
  unshare $flags sleep infinity &
  local pid=$!
  for _ in $(seq 200); do
    [ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.02
  done
  NS[$name]=$pid
  ip link add "v-$name" type veth peer name eth0 netns "$pid" || die "veth for $name"
  ip link set "v-$name" master br0 up
  nsenter -t $pid -n -u sh -c "hostname $name; ip link set lo up; ip addr add $ip/24 dev eth0; ip link set eth0 up" \
    || die "network of $name"
}
on() {
  local name=$1; shift
  local m=-m
  [ "$name" = login ] && m=
  nsenter -t "${NS[$name]}" -n -u $m -- "$@"
}
export -f as

# A node: own /tmp, own /dev/log (listener in the node's mount namespace).
mknode() {
  local name=$1 ip=$2
  mkns $name $ip "--net --uts --mount --propagation private"
  mkdir -p $S/$name/dev
  on $name sh -c "
    mount -t tmpfs -o mode=1777,size=64m tmpfs /tmp
    mount -t tmpfs -o mode=755 tmpfs $S/$name/dev
    for d in null zero full random urandom tty; do touch $S/$name/dev/\$d; mount --bind /dev/\$d $S/$name/dev/\$d; done
    ln -s /proc/self/fd $S/$name/dev/fd
    mkdir $S/$name/dev/pts $S/$name/dev/shm
    mount --bind /dev/pts $S/$name/dev/pts
    mount -t tmpfs -o mode=1777 tmpfs $S/$name/dev/shm
  " || die "mounts of $name"
  on $name $PY -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
f = open(sys.argv[2], "ab", 0)
if os.fork(): os._exit(0)
while True: f.write(s.recv(4096) + b"\n")
' $S/$name/dev/log $S/$name.syslog || die "syslog of $name"
  on $name mount --rbind $S/$name/dev /dev || die "/dev of $name"
}
slurmd_start() { on $1 slurmd -f $CONF -N $1 || die "slurmd $1 failed"; }
slurmd_stop() {
  local p; p=$(cat $S/run/slurmd-$1.pid)
  kill $p
  for _ in $(seq 100); do kill -0 $p 2>/dev/null || return 0; sleep 0.1; done
  die "slurmd $1 did not stop"
}

slurmctld -f $CONF || die "slurmctld failed"
mknode node1 10.77.0.11
mknode node2 10.77.0.12
mkns login 10.77.0.100 "--net --uts"
slurmd_start node1
slurmd_start node2
for _ in $(seq 150); do
  test "$(timeout 5 sinfo -h -N -o %t 2>/dev/null | sort -u)" = idle && break
  sleep 0.2
done
test "$(sinfo -h -N -o %t | sort -u)" = idle || die "the nodes did not come up: $(sinfo -N 2>&1)"

# submit USER [ENV...] -- [SBATCH ARGS...]: the job id.
submit() {
  local user=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  (cd $AUX/home/$user && on login bash -c 'as "$@"' _ $user env SLURM_CONF=$CONF "${envs[@]}" sbatch --parsable "$@") \
    || die "sbatch $* failed"
}
wait_jobs() {
  for _ in $(seq 300); do
    test -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" && return 0
    sleep 0.2
  done
  die "jobs $* did not finish: $(squeue 2>&1)"
}
"#;

/// Run `body` (bash, after [`PRELUDE`]) as root on a fresh two-node cluster;
/// `None` to skip (locally, without root or Slurm). Everything is stopped
/// afterwards, and killed with the PID namespace if the body hangs.
pub fn run(body: &str, timeout_secs: u32) -> Option<crate::common::Out> {
    let sb = crate::common::sandbox()?;
    for prog in [
        "ip",
        "nsenter",
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "sinfo",
        "scontrol",
        "runuser",
    ] {
        if !crate::common::require(crate::common::have(prog), prog) {
            return None;
        }
    }
    let script = format!(
        r#"mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mkdir $AUX/profile.d && mount --bind $AUX/profile.d /etc/profile.d
export -f as
cat > $AUX/cluster.sh <<'EOF_CLUSTER'
{PRELUDE}
{body}
stop
EOF_CLUSTER
timeout {timeout_secs} unshare --net --pid --fork --kill-child --mount-proc --uts bash $AUX/cluster.sh"#
    );
    Some(sb.run(&script))
}
