//! `tmpguard clean` against hostile trees, and exec's lock against a real
//! `systemd-tmpfiles --clean`, as root in the sandbox of tests/common.
//! Needs bindfs (a FUSE filesystem a user can mount) and systemd-tmpfiles;
//! `.ci/run` installs them and runs `cargo test --test jobclean`.

mod common;

/// Shell helpers: `mkjob ID` makes alice's job directory for job ID the way
/// the TaskProlog does (`tmpguard path --per-job` in the job's environment)
/// and prints it; `outside` lists everything that must not change (inode,
/// owner, mode, size, checksum of regular files), leaving out `$1`.
const HELPERS: &str = r#"
mkjob() { as alice env SLURM_JOB_ID=$1 "$TG" path --per-job; }
outside() {
  find /tmp /etc $AUX/home $AUX/src -xdev -path "$1" -prune -o -printf '%i %u %m %s %p\n' 2>/dev/null | sort
  find /tmp $AUX/home $AUX/src -xdev -path "$1" -prune -o -type f -readable -print0 2>/dev/null | sort -z | xargs -0 -r md5sum
}
clean() { SLURM_JOB_ID=$1 SLURM_JOB_UID=2001 timeout 120 "$TG" clean --timeout 60; echo "exit=$?"; }
"#;

fn sandbox() -> Option<common::Sandbox> {
    common::sandbox().map(|s| s.tmp("mode=1777,size=256m,nr_inodes=200000"))
}

/// Symlinks to /etc and to another user's files, a root-made bind mount,
/// alice's own FUSE mount with its daemon stopped (no hang), a FIFO, 10,000
/// files, modes 0000: everything of alice's goes, the two mount points stay
/// (reported), and nothing outside changes.
#[test]
fn hostile_tree_is_removed_and_nothing_outside_changes() {
    let Some(sb) = sandbox() else { return };
    if !common::require(common::have("bindfs"), "bindfs (FUSE)") {
        return;
    }
    let out = sb
        .run(&format!(
            r#"{HELPERS}
# Users may open /dev/fuse (as on a normal Debian system), in this namespace only.
mknod -m 666 $AUX/fuse c 10 229 && mount --bind $AUX/fuse /dev/fuse
# ... and mount with allow_other, so that the cleaner's requests (whatever
# its gid) would reach alice's stopped daemon if it sent any.
echo user_allow_other > $AUX/fuse.conf && mount --bind $AUX/fuse.conf /etc/fuse.conf
mkdir -p $AUX/src/bind $AUX/src/fuse && echo root-data > $AUX/src/bind/file
chown alice $AUX/src/fuse && echo alice-fuse > $AUX/src/fuse/file && chown alice $AUX/src/fuse/file
as mallory sh -c 'mkdir -m 755 /tmp/mallory && echo secret > /tmp/mallory/secret'
J=$(mkjob 7)
echo "job dir: $J"
as alice sh -c "
  cd $J || exit 1
  ln -s /etc etc; ln -s /tmp/mallory mallory; ln -s /tmp/mallory/secret secret; ln -s / root
  mkfifo fifo
  mkdir many && cd many && i=0 && while [ \$i -lt 10000 ]; do : > f\$i; i=\$((i+1)); done && cd ..
  mkdir -p locked/inner && echo x > locked/inner/f && chmod 000 locked/inner/f locked/inner locked
  echo y > zero && chmod 000 zero
  mkdir bind fuse
  bindfs -o allow_other $AUX/src/fuse $J/fuse
"
mount --bind $AUX/src/bind $J/bind
fusepid=$(pgrep -x bindfs)
kill -STOP $fusepid
before=$(outside $J)
clean 7
after=$(outside $J)
[ "$before" = "$after" ] && echo "outside unchanged" || diff <(echo "$before") <(echo "$after")
echo "inside: $(cd $J && ls -A | tr '\n' ' ')"
kill -CONT $fusepid; umount $J/fuse; umount $J/bind
"#
        ))
        .ok();
    let lines = out.lines();
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert!(lines.contains(&"outside unchanged"), "{all}");
    assert!(lines.contains(&"exit=1"), "{all}");
    let inside = lines
        .iter()
        .find_map(|l| l.strip_prefix("inside: "))
        .unwrap();
    assert_eq!(inside, ".tmpguard-job bind fuse ", "{all}");
    assert!(
        out.stderr
            .contains("clean (uid 2001): left job directory /tmp/alice/job.7 (job 7, ")
            && out.stderr.contains("bind (a mount point: not entered)")
            && out.stderr.contains("fuse (a mount point: not entered)"),
        "{all}"
    );
}

/// Depth 10,000 with at most 1,024 descriptors; a tree whose top the user
/// swapped for a symlink just before the Epilog is not followed.
#[test]
fn deep_tree_and_a_swapped_target() {
    let Some(sb) = sandbox() else { return };
    let out = sb
        .run(&format!(
            r#"{HELPERS}
J=$(mkjob 8)
as alice $PY -c '
import os, sys
os.chdir(sys.argv[1])
for _ in range(10000):
    os.mkdir("d"); os.chdir("d")
open("bottom", "w").write("z")
' $J
(ulimit -n 1024; clean 8)
test -e $J && echo "job dir still there"

# A time limit already passed: it gives up, says so, and the marker stays
# (so that `clean --stale` can finish the job later).
J=$(mkjob 13)
as alice sh -c "cd $J && i=0 && while [ \$i -lt 2000 ]; do : > f\$i; i=\$((i+1)); done"
SLURM_JOB_ID=13 SLURM_JOB_UID=2001 "$TG" clean --timeout 0; echo "exit=$?"
test -e $J/.tmpguard-job && echo "marker kept"

# The target swapped for a symlink to a directory of alice's job dirs elsewhere.
J=$(mkjob 9)
mkdir -p $AUX/home/alice/elsewhere && chown alice $AUX/home/alice/elsewhere
as alice sh -c "mv /tmp/alice $AUX/home/alice/elsewhere/alice && ln -s $AUX/home/alice/elsewhere/alice /tmp/alice"
before=$(outside /nothing)
clean 9
after=$(outside /nothing)
[ "$before" = "$after" ] && echo "outside unchanged"
"#
        ))
        .ok();
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.lines(),
        [
            "exit=0",
            "exit=1",
            "marker kept",
            "exit=0",
            "outside unchanged"
        ],
        "{all}"
    );
    assert!(
        out.stderr
            .contains("left job directory /tmp/alice/job.13 (job 13, ")
            && out
                .stderr
                .contains("gave up at the time limit after removing"),
        "{all}"
    );
    assert!(
        out.stderr
            .contains("clean (uid 2001): removed job directory /tmp/alice/job.8 (job 8, 1 bytes)"),
        "{all}"
    );
    assert!(
        out.stderr.contains("no job directory of job 9 found"),
        "{all}"
    );
}

/// Renames inside the job directory, and out of it and back, while the walk
/// runs: the walk ends, nothing outside the job directory and the rename's
/// swap place changes, and whatever is left is reported.
#[test]
fn rename_race_during_the_walk() {
    let Some(sb) = sandbox() else { return };
    let out = sb
        .run(&format!(
            r#"{HELPERS}
J=$(mkjob 10)
as alice sh -c "
  mkdir -p $J/r1/r2 $J/m && cd $J/r1/r2 && i=0 && while [ \$i -lt 3000 ]; do : > f\$i; i=\$((i+1)); done
  cd $J/m && i=0 && while [ \$i -lt 3000 ]; do mkdir d\$i; i=\$((i+1)); done
"
# Started directly (not through the `as` function) so that $! is the racer itself.
setpriv --reuid=2001 --regid=2001 --clear-groups sh -c "while :; do mv $J/r1/r2 $J/r3; mv $J/r3 $J/r1/r2; mv $J/m /tmp/alice/swap; mv /tmp/alice/swap $J/m; done" 2>/dev/null &
racer=$!
sleep 0.2
before=$(outside /tmp/alice)
clean 10
kill $racer; wait $racer 2>/dev/null
echo "left: $(find $J /tmp/alice/swap 2>/dev/null | wc -l)"
after=$(outside /tmp/alice)
[ "$before" = "$after" ] && echo "outside unchanged"
"#
        ))
        .ok();
    let all = format!("{}\n{}", out.stdout, out.stderr);
    println!("{all}");
    assert!(out.lines().contains(&"outside unchanged"), "{all}");
    // Either it all went, or what is left is said.
    assert!(
        out.stderr
            .contains("removed job directory /tmp/alice/job.10")
            || out.stderr.contains("left job directory /tmp/alice/job.10"),
        "{all}"
    );
}

/// Only the owner's directories, and only with the job's marker: another
/// user's directory with a forged marker for the job is not touched, nor is
/// alice's directory of that name without a marker; uid 0 is refused. The
/// walk has alice's rights only (no root, no group of root's or anyone
/// else's): what root or bob's group put in her job directory stays.
#[test]
fn owner_and_marker_decide_never_the_name() {
    let Some(sb) = sandbox() else { return };
    let out = sb
        .run(&format!(
            r#"{HELPERS}
as mallory sh -c 'mkdir -m 700 /tmp/mallory && mkdir /tmp/mallory/job.11 && printf "tmpguard job 1\nscheduler=slurm\nid=11\n" > /tmp/mallory/job.11/.tmpguard-job'
as alice sh -c 'mkdir -m 700 /tmp/alice && mkdir /tmp/alice/job.11 && echo x > /tmp/alice/job.11/data'
before=$(outside /nothing)
clean 11
after=$(outside /nothing)
[ "$before" = "$after" ] && echo "unchanged by alice's clean"
SLURM_JOB_ID=11 SLURM_JOB_UID=0 "$TG" clean; echo "root: exit=$?"

J=$(mkjob 12)
mkdir -m 755 $J/rootdir && echo r > $J/rootdir/f
mkdir -m 770 $J/bobgrp && echo b > $J/bobgrp/f && chown -R root:2003 $J/bobgrp
echo a > $J/mine && chown alice $J/mine
clean 12
find $J | sort
"#
        ))
        .ok();
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.lines(),
        [
            "exit=0",
            "unchanged by alice's clean",
            "root: exit=1",
            "exit=1",
            "/tmp/alice/job.12",
            "/tmp/alice/job.12/.tmpguard-job",
            "/tmp/alice/job.12/bobgrp",
            "/tmp/alice/job.12/bobgrp/f",
            "/tmp/alice/job.12/rootdir",
            "/tmp/alice/job.12/rootdir/f",
        ],
        "{all}"
    );
    assert!(
        out.stderr
            .contains("clean (uid 2001): no job directory of job 11 found"),
        "{all}"
    );
    assert!(
        out.stderr.contains("clean: refusing to act for uid 0"),
        "{all}"
    );
    assert!(
        out.stderr.contains(
            "left job directory /tmp/alice/job.12 (job 12, 2 bytes removed): left 2 entries: "
        ),
        "{all}"
    );
}

/// exec's lock: `systemd-tmpfiles --clean` aging the base to nothing leaves
/// the directory of a running `tmpguard exec` (and its files), and removes
/// the one of `exec --no-lock` (the control); the command holds no
/// directory descriptor.
#[test]
fn exec_lock_keeps_systemd_tmpfiles_away() {
    let Some(sb) = sandbox() else { return };
    if !common::require(
        common::have("systemd-tmpfiles"),
        "systemd-tmpfiles (Debian: systemd)",
    ) {
        return;
    }
    let out = sb
        .run(
            r#"
echo 'd /tmp 1777 root root 1s' > $AUX/age.conf
as alice "$TG" exec -- sh -c 'echo a > "$TMPDIR/f"; for f in /proc/$$/fd/*; do [ -d "$f" ] && echo "dirfd $f -> $(readlink $f)"; done; sleep 8' &
as bob "$TG" exec --no-lock -- sh -c 'echo b > "$TMPDIR/f"; sleep 8' &
sleep 3
systemd-tmpfiles --clean $AUX/age.conf
ls /tmp/alice/f /tmp/bob/f 2>&1 | sed 's/^ls: //'
wait
"#,
        )
        .ok();
    let all = format!("{}\n{}", out.stdout, out.stderr);
    let lines = out.lines();
    assert!(lines.contains(&"/tmp/alice/f"), "{all}");
    assert!(
        lines.contains(&"cannot access '/tmp/bob/f': No such file or directory"),
        "{all}"
    );
    assert!(!out.stdout.contains("dirfd"), "{all}");
}
