//! `tmpguard init slurm` as a real Slurm TaskProlog, on a one-node Slurm
//! (Debian `slurmctld slurmd slurm-client munge`) that the test starts in its
//! own network, PID, UTS and mount namespaces: all traffic stays on that
//! namespace's 127.0.0.1, and every daemon dies with the namespace even if the
//! test fails half-way. Not part of a plain `cargo test` (it needs the daemons
//! and takes a while); `.ci/run` runs `cargo test --test slurm`.

mod common;

/// Runs as root inside the new namespaces; `as`, `$TG`, `$AUX` come from the
/// harness. Starts munged, slurmctld and slurmd, and defines `job NAME ENV...`
/// (submit `$AUX/NAME.sh` as alice with ENV, wait, print its output prefixed
/// with `NAME: `) and `stop`.
const CLUSTER: &str = r#"
set -u
hostname localhost
ip link set lo up
# glibc's getaddrinfo(AF_INET, AI_ADDRCONFIG), which Slurm uses, finds nothing
# without one IPv4 address besides 127.0.0.1; this one is on lo, in this
# namespace only, and nothing talks to it.
ip addr add 10.254.254.1/32 dev lo
S=$AUX/slurm
CONF=$S/slurm.conf
mkdir -p $S/state $S/spool $S/log $S/munge
chmod 755 $AUX $S
chown munge:munge $S/munge && chmod 755 $S/munge
head -c 1024 /dev/urandom > $S/munge/munge.key
chown munge:munge $S/munge/munge.key && chmod 400 $S/munge/munge.key
runuser -u munge -- munged --key-file=$S/munge/munge.key --socket=$S/munge/munge.socket.2 \
  --pid-file=$S/munge/munged.pid --log-file=$S/munge/munged.log --seed-file=$S/munge/munged.seed \
  || { echo "munged failed" >&2; exit 1; }

# The TaskProlog: the site's own part first (for jobs that ask for it, a
# per-job directory, as many sites do), then the wrapper tmpguard ships.
sed "s|^tmpguard=.*|tmpguard=$TG|" "$SHIPPED_PROLOG" > $S/tmpguard-taskprolog.sh
cat > $S/taskprolog <<EOF
#!/bin/sh
if [ -n "\${SITE_JOBDIR:-}" ]; then
    d=/var/tmp/job.\$SLURM_JOB_ID
    mkdir -m 700 "\$d" && echo "export TMPDIR=\$d" && TMPDIR=\$d && export TMPDIR
fi
exec $S/tmpguard-taskprolog.sh
EOF
chmod 755 $S/taskprolog $S/tmpguard-taskprolog.sh

cat > $CONF <<EOF
ClusterName=tg
SlurmctldHost=localhost(127.0.0.1)
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket.2
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
CommunicationParameters=NoInAddrAny
MpiDefault=none
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
TaskProlog=$S/taskprolog
EOF
chmod 644 $CONF
export SLURM_CONF=$CONF

logs() { for f in $S/log/*.log $S/munge/munged.log; do echo "== $f" >&2; tail -n 30 "$f" >&2; done; }
stop() {
  for p in $S/slurmd.pid $S/slurmctld.pid $S/munge/munged.pid; do
    test -r $p && kill "$(cat $p)" 2>/dev/null
  done
  for _ in $(seq 50); do
    pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x munged >/dev/null || return 0
    sleep 0.2
  done
  echo "daemons did not stop" >&2
}
die() { echo "$*" >&2; logs; stop; exit 1; }

slurmctld -f $CONF || die "slurmctld failed"
slurmd -f $CONF -N localhost || die "slurmd failed"
for _ in $(seq 150); do
  pgrep -x slurmctld >/dev/null && pgrep -x slurmd >/dev/null || die "a daemon died"
  test "$(timeout 5 sinfo -h -N -o %t 2>/dev/null)" = idle && break
  sleep 0.2
done
test "$(sinfo -h -N -o %t)" = idle || die "the node did not come up: $(sinfo -N 2>&1)"

job() {
  local name=$1; shift
  local id
  id=$(cd $AUX/home/alice && as alice env SLURM_CONF=$CONF "$@" sbatch --parsable -o "$name.out" "$AUX/$name.sh") \
    || die "sbatch $name failed"
  for _ in $(seq 300); do
    test -z "$(squeue -h -j "$id" 2>/dev/null)" && break
    sleep 0.2
  done
  test -z "$(squeue -h -j "$id")" || die "job $name ($id) did not finish"
  sed "s/^/$name: /; s/job\.$id/job.ID/g" "$AUX/home/alice/$name.out"
}

# What every job prints: its TMPDIR, that directory's mode and owner, and what
# Python's tempfile picks.
show='echo "TMPDIR=$TMPDIR $(stat -c "%a %U" "$TMPDIR")"; /usr/bin/python3 -c "import tempfile; print(\"python=\" + tempfile.gettempdir())"'
printf '#!/bin/sh\n%s\n' "$show" > $AUX/plain.sh
printf '#!/bin/bash -l\n%s\n' "$show" > $AUX/login.sh
chmod 755 $AUX/plain.sh $AUX/login.sh
"#;

fn run(body: &str) -> Option<common::Out> {
    let sb = common::sandbox()?;
    for prog in [
        "ip",
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "sinfo",
        "runuser",
    ] {
        if !common::require(common::have(prog), prog) {
            return None;
        }
    }
    // The harness's copy: the checkout itself may be under the sandbox's /tmp.
    let shipped = "$REPO/shell/slurm-taskprolog.sh";
    let script = format!(
        r#"mount -t tmpfs -o mode=1777 tmpfs /var/tmp
# Login shells in jobs read /etc/profile.d: only what the test puts there.
mkdir $AUX/profile.d && mount --bind $AUX/profile.d /etc/profile.d
export -f as
export SHIPPED_PROLOG="{shipped}"
cat > $AUX/cluster.sh <<'EOF_CLUSTER'
{CLUSTER}
{body}
stop
EOF_CLUSTER
# A hung daemon must not hang the test: unshare's child (and with it every
# process in the namespace) is killed when unshare is.
timeout 600 unshare --net --pid --fork --kill-child --mount-proc --uts bash $AUX/cluster.sh"#
    );
    Some(sb.run(&script))
}

/// The TaskProlog gives a job the private directory; a job's own directory
/// survives a `#!/bin/bash -l` job whose `.bashrc` runs `tmpguard init bash`,
/// and is lost with a naive `.bashrc` (the control, proving the job really
/// reads `.bashrc`); a value Slurm cannot carry and a failure are reported in
/// the job's output, and the job still runs.
#[test]
fn taskprolog_in_a_real_slurm() {
    let Some(out) = run(r#"
H=$AUX/home/alice
echo '. ~/.bashrc' > $H/.bash_profile
chown alice $H/.bash_profile

job plain

printf 'eval "$(%s init bash)"\n' "$TG" > $H/.bashrc && chown alice $H/.bashrc
job login SITE_JOBDIR=1

echo 'export TMPDIR=/tmp/$USER' > $H/.bashrc
job login SITE_JOBDIR=1 | sed 's/^login:/control:/'

nl=$(printf '/var/tmp/a\nb')
mkdir -m 1777 "$nl"
rm $H/.bashrc
job plain TMPGUARD_BASE="$nl" | sed 's/^plain:/newline:/'

mount -o remount,ro /tmp
job plain | sed 's/^plain:/readonly:/'
mount -o remount,rw /tmp

# Fail closed (issue 13): the job inherits the attacker's TMPDIR, /tmp/alice
# is squatted and no fallback can be made: the job gets /tmp, never /var/tmp/m.
mkdir /var/tmp/m && chown mallory: /var/tmp/m && chmod 777 /var/tmp/m
rm -rf /tmp/alice /tmp/alice.* && as mallory mkdir -m 755 /tmp/alice
mount -o remount,ro /tmp
job plain TMPDIR=/var/tmp/m | sed 's/^plain:/attacker:/; s/alice\.[a-z0-9]\{8\}/alice.XXXXXXXX/'
mount -o remount,rw /tmp
"#)
    else {
        return;
    };
    let out = out.ok();
    assert_eq!(
        out.lines(),
        [
            "plain: TMPDIR=/tmp/alice 700 alice",
            "plain: python=/tmp/alice",
            "login: TMPDIR=/var/tmp/job.ID 700 alice",
            "login: python=/var/tmp/job.ID",
            "control: TMPDIR=/tmp/alice 700 alice",
            "control: python=/tmp/alice",
            "newline: tmpguard: cannot export /var/tmp/a\\x0ab/alice: a Slurm TaskProlog cannot carry a newline in a value; TMPDIR not changed",
            "newline: TMPDIR=/tmp 1777 root",
            "newline: python=/tmp",
            "readonly: tmpguard: /tmp/alice is not usable: creating a file failed: EROFS: Read-only file system; TMPDIR not changed",
            "readonly: TMPDIR=/tmp 1777 root",
            "readonly: python=/var/tmp",
            "attacker: tmpguard: /tmp/alice is a directory owned by uid 2002 (mallory) (mode 0755), not by you; and no private fallback could be made: cannot create /tmp/alice.XXXXXXXX: EROFS: Read-only file system; TMPDIR=/var/tmp/m is a directory owned by uid 2002 (mallory) (mode 0777), not by you; set to /tmp instead",
            // slurmstepd checks the TMPDIR the TaskProlog set (the read-only /tmp).
            "attacker: slurmstepd-localhost: error: TMPDIR [/tmp] is not writeable",
            "attacker: slurmstepd-localhost: error: Setting TMPDIR to /tmp",
            "attacker: TMPDIR=/tmp 1777 root",
            "attacker: python=/var/tmp",
        ],
        "stderr:\n{}",
        out.stderr
    );
}

/// XDG_RUNTIME_DIR (issue 18): a job submitted from a login session
/// (`XDG_RUNTIME_DIR=/run/user/<uid>`, forwarded by `--export=ALL`) lands on a
/// node where that directory does not exist, or forwards root's: the
/// TaskProlog gives the job a valid one, and a session bus runs in it.
#[test]
fn taskprolog_gives_a_job_a_valid_runtime_dir() {
    if !common::require(common::have("dbus-daemon"), "dbus-daemon") {
        return;
    }
    let Some(out) = run(r##"
# The compute node: no logind directory for alice (the harness made one).
umount /run/user/2001 && rmdir /run/user/2001
cat > $AUX/rt.sh <<'EOF_RT'
#!/bin/sh
echo "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $(stat -c '%a %U' "$XDG_RUNTIME_DIR")"
dbus-daemon --session --address="unix:path=$XDG_RUNTIME_DIR/bus" --fork --print-pid=3 3>"$HOME/bus.pid" 2>/dev/null && test -S "$XDG_RUNTIME_DIR/bus" && echo "bus up"
kill "$(cat "$HOME/bus.pid")" 2>/dev/null
EOF_RT
chmod 755 $AUX/rt.sh
job rt
job rt XDG_RUNTIME_DIR=/run/user/0 | sed 's/^rt:/root:/'
"##)
    else {
        return;
    };
    let out = out.ok();
    assert_eq!(
        out.lines(),
        [
            "rt: XDG_RUNTIME_DIR=/tmp/xdg-runtime-2001 700 alice",
            "rt: bus up",
            "root: XDG_RUNTIME_DIR=/tmp/xdg-runtime-2001 700 alice",
            "root: bus up",
        ],
        "stderr:\n{}",
        out.stderr
    );
}

/// The site option (issue 18): the root Prolog makes the real /run/user/<uid>
/// for the job's user (a tmpfs, 0700, the user's), which `init` in the
/// TaskProlog then exports and GnuPG (which ignores XDG_RUNTIME_DIR) uses;
/// the Epilog removes it after the user's last job on the node, not before.
#[test]
fn root_prolog_makes_run_user_and_the_epilog_removes_it_after_the_last_job() {
    if !common::require(common::have("gpgconf"), "gpgconf") {
        return;
    }
    let Some(out) = run(r##"
# This node's /run, with no logind directory for alice.
mount -t tmpfs -o mode=0755 tmpfs /run
printf '#!/bin/sh\nexec %s runtime-dir create --size 4m\n' "$TG" > $S/prolog
printf '#!/bin/sh\nexec %s runtime-dir remove\n' "$TG" > $S/epilog
chmod 755 $S/prolog $S/epilog
printf 'Prolog=%s\nEpilog=%s\n' $S/prolog $S/epilog >> $CONF
scontrol reconfigure || die "reconfigure failed"
sleep 1
cat > $AUX/rt.sh <<'EOF_RT'
#!/bin/sh
echo "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $(stat -c '%a %U' "$XDG_RUNTIME_DIR") $(stat -f -c %T "$XDG_RUNTIME_DIR")"
gpgconf --create-socketdir && echo "gnupg $(gpgconf --list-dirs socketdir)"
EOF_RT
printf '#!/bin/sh\nsleep 120\n' > $AUX/long.sh
chmod 755 $AUX/rt.sh $AUX/long.sh
job rt
test -e /run/user/2001 && echo "after: still there" || echo "after: removed"
# Two jobs: the first to end leaves it for the other.
long=$(cd $AUX/home/alice && as alice env SLURM_CONF=$CONF sbatch --mem=100 --parsable -o long.out "$AUX/long.sh")
for _ in $(seq 100); do test "$(squeue -h -j "$long" -o %t)" = R && break; sleep 0.1; done
job rt SBATCH_MEM_PER_NODE=100 | sed "s/^rt:/second:/"
test -d /run/user/2001 && echo "while the other runs: kept" || echo "while the other runs: removed"
scancel "$long"
for _ in $(seq 200); do test -z "$(squeue -h -j "$long")" && break; sleep 0.1; done
test -e /run/user/2001 && echo "after both: still there" || echo "after both: removed"
"##)
    else {
        return;
    };
    let out = out.ok();
    assert_eq!(
        out.lines(),
        [
            "rt: XDG_RUNTIME_DIR=/run/user/2001 700 alice tmpfs",
            "rt: gnupg /run/user/2001/gnupg",
            "after: removed",
            "second: XDG_RUNTIME_DIR=/run/user/2001 700 alice tmpfs",
            "second: gnupg /run/user/2001/gnupg",
            "while the other runs: kept",
            "after both: removed",
        ],
        "stderr:\n{}",
        out.stderr
    );
}
