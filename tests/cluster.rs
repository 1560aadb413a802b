//! Per-job directories on a real two-node Slurm (tests/common/cluster.rs):
//! the forwarded-TMPDIR squat proved and closed, tasks of a job sharing their
//! node's directory, the Epilog removing them on both nodes, `.keep`, and
//! `clean --stale` deciding from the node itself. Not part of a plain
//! `cargo test` (daemons); `.ci/run` runs `cargo test --test cluster`.

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use std::collections::{BTreeMap, BTreeSet};

const BODY: &str = r#"
# What a job prints about its directory: node, TMPDIR, its inode, owner and
# mode, and Python's choice.
cat > $AUX/show.sh <<'END'
#!/bin/sh
echo "task $SLURM_JOB_ID $(hostname) $TMPDIR $(stat -c '%d:%i %U %a' "$TMPDIR") $(/usr/bin/python3 -c 'import tempfile; print(tempfile.gettempdir())')"
END
cat > $AUX/squat.sh <<END
#!/bin/sh
/bin/sh $AUX/show.sh
echo "alice's secret" > "\$TMPDIR/job-output"
END
cat > $AUX/multi.sh <<END
#!/bin/sh
srun /bin/sh $AUX/show.sh
sleep 2
END
cat > $AUX/keep.sh <<END
#!/bin/sh
/bin/sh $AUX/show.sh
echo data > "\$TMPDIR/result"
touch "\$TMPDIR/.keep"
END
chmod 755 $AUX/show.sh $AUX/squat.sh $AUX/multi.sh $AUX/keep.sh

# The attacker squats alice's login-node name on node2.
on node2 setpriv --reuid=2002 --regid=2002 --clear-groups sh -c 'umask 0; mkdir -m 777 /tmp/alice'
squat_state() { on node2 sh -c 'cd /tmp/alice && find . -printf "%i %u %m %p\n" | sort; cat ./* 2>/dev/null'; }

# Control: without tmpguard, the job takes the forwarded TMPDIR as it is.
touch $S/no-tmpguard
id=$(submit alice TMPDIR=/tmp/alice -- -w node2 -o control.out $AUX/squat.sh)
wait_jobs $id
sed "s/^/control: /" $AUX/home/alice/control.out
on node2 stat -c 'control: in the squat: %n %U' /tmp/alice/job-output
on node2 rm /tmp/alice/job-output
rm $S/no-tmpguard
before=$(squat_state)

# With tmpguard: the squat job, two concurrent two-node jobs, a kept one.
sq=$(submit alice TMPDIR=/tmp/alice -- -w node2 -o squat.out $AUX/squat.sh)
a=$(submit alice TMPDIR=/tmp/alice -- -N2 --ntasks-per-node=2 -o a.out $AUX/multi.sh)
b=$(submit alice -- -N2 --ntasks-per-node=2 -o b.out $AUX/multi.sh)
k=$(submit alice -- -w node1 -o keep.out $AUX/keep.sh)
wait_jobs $sq $a $b $k
echo "ids: sq=$sq a=$a b=$b k=$k"
sed "s/^/squat: /" $AUX/home/alice/squat.out
sed "s/^/a: /" $AUX/home/alice/a.out
sed "s/^/b: /" $AUX/home/alice/b.out
sed "s/^/keep: /" $AUX/home/alice/keep.out
[ "$(squat_state)" = "$before" ] && echo "squat: attacker's directory unchanged"
grep -q "unsafe private directory /tmp/alice (offending uid 2002, victim uid 2001)" $S/node2.syslog \
  && echo "squat: logged on node2"
for n in node1 node2; do
  on $n sh -c 'for d in /tmp/alice*/; do [ "$(stat -c %u "$d")" = 2001 ] && ls -A "$d"; done' 2>/dev/null | sed "s/^/left on $n: /"
  grep -o "removed job directory [^ ]* (job [0-9]*" $S/$n.syslog | sed "s/^/epilog on $n: /"
done
grep -o "kept job directory .*" $S/node1.syslog | sed "s/^/epilog on node1: /"

# clean --stale: a kept directory stays while young; once old, it goes,
# but not while the node's slurmd cannot say which jobs run here.
on node1 $TG clean --stale 2>&1 | sed 's/^/stale young: /'
on node1 bash -c "as alice sh -c 'cd /tmp/alice/job.$k && touch -d \"8 days ago\" .keep .tmpguard-job result . '"
slurmd_stop node1
on node1 $TG clean --stale 2>&1 | sed 's/^/stale no slurmd: /'
on node1 ls -A /tmp/alice | sed 's/^/stale no slurmd left: /'
slurmd_start node1
for _ in $(seq 100); do on node1 scontrol show slurmd >/dev/null 2>&1 && break; sleep 0.1; done
on node1 $TG clean --stale 2>&1 | sed 's/^/stale old: /'
on node1 ls -A /tmp/alice | sed 's/^/stale left: /'
"#;

#[test]
fn per_job_directories_on_a_two_node_cluster() {
    let Some(out) = cluster::run(BODY, 240) else {
        return;
    };
    let out = out.ok();
    let lines = out.lines();
    let all = format!("stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    let has = |l: &str| lines.iter().any(|x| *x == l);
    let with = |p: &str| -> Vec<&str> { lines.iter().filter_map(|l| l.strip_prefix(p)).collect() };

    // The hole is real: the job wrote into the attacker's directory.
    let control = with("control: task ");
    assert_eq!(control.len(), 1, "{all}");
    assert!(control[0].contains(" node2 /tmp/alice "), "{all}");
    assert!(
        has("control: in the squat: /tmp/alice/job-output alice"),
        "{all}"
    );

    let ids: BTreeMap<&str, &str> = with("ids: ")[0]
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect();

    // Closed: alice's own per-job directory (in a fallback, the name being
    // squatted), 0700; Python agrees; the squat logged on node2.
    let squat = with("squat: task ");
    assert_eq!(squat.len(), 1, "{all}");
    let f: Vec<&str> = squat[0].split(' ').collect();
    let job = format!("job.{}", ids["sq"]);
    assert_eq!(f[1], "node2", "{all}");
    assert!(
        f[2].starts_with("/tmp/alice.") && f[2].ends_with(&format!("/{job}")),
        "{all}"
    );
    assert_eq!((f[4], f[5], f[6]), ("alice", "700", f[2]), "{all}");
    assert!(has("squat: attacker's directory unchanged"), "{all}");
    assert!(has("squat: logged on node2"), "{all}");

    // Two jobs, two nodes, two tasks each: one directory per (job, node),
    // shared by the node's tasks; Python agrees.
    // On node2 alice's directory is the fallback the squat made.
    let fallback = f[2].rsplit_once('/').unwrap().0;
    let mut dirs: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (p, key) in [("a: task ", "a"), ("b: task ", "b")] {
        let tasks = with(p);
        assert_eq!(tasks.len(), 4, "{all}");
        for t in tasks {
            let f: Vec<&str> = t.split(' ').collect();
            assert_eq!(f[0], ids[key]);
            let user_dir = if f[1] == "node2" {
                fallback
            } else {
                "/tmp/alice"
            };
            assert_eq!(f[2], format!("{user_dir}/job.{}", ids[key]), "{all}");
            assert_eq!((f[4], f[5], f[6]), ("alice", "700", f[2]), "{all}");
            dirs.entry((key.into(), f[1].into()))
                .or_default()
                .insert(format!("{} {}", f[2], f[3]));
        }
    }
    let nodes: BTreeSet<&str> = dirs.keys().map(|(_, n)| n.as_str()).collect();
    assert_eq!(nodes, ["node1", "node2"].into(), "{dirs:?}");
    assert_eq!(dirs.len(), 4, "{all}");
    assert!(
        dirs.values().all(|d| d.len() == 1),
        "tasks of a node share: {dirs:?}"
    );

    // The Epilog removed every job directory but the kept one, on both nodes.
    for (k, n) in [
        ("a", "node1"),
        ("a", "node2"),
        ("b", "node1"),
        ("b", "node2"),
        ("sq", "node2"),
    ] {
        let l = format!("epilog on {n}: removed job directory ");
        let end = format!("/job.{} (job {}", ids[k], ids[k]);
        assert!(
            lines.iter().any(|x| x.starts_with(&l) && x.ends_with(&end)),
            "{k} on {n}: {all}"
        );
    }
    let kept = format!("job.{}", ids["k"]);
    assert_eq!(with("left on node1: "), [kept.as_str()], "{all}");
    assert_eq!(with("left on node2: "), Vec::<&str>::new(), "{all}");
    let kept_line = format!(
        "kept job directory /tmp/alice/{kept} (job {}, 5 bytes): it has .keep",
        ids["k"]
    );
    assert!(
        with("epilog on node1: ")
            .iter()
            .any(|l| l.ends_with(&kept_line))
            || has(&format!("epilog on node1: {kept_line}")),
        "{all}"
    );

    // clean --stale: young kept stays; no slurmd: nothing deleted; old: removed.
    assert_eq!(with("stale young: "), Vec::<&str>::new(), "{all}");
    assert!(
        with("stale no slurmd: ")
            .iter()
            .any(|l| l.contains("cannot tell which jobs run on this node")
                && l.ends_with("deleting nothing")),
        "{all}"
    );
    assert_eq!(with("stale no slurmd left: "), [kept.as_str()], "{all}");
    let removed = format!(
        "removed job directory /tmp/alice/{kept} (job {}, 5 bytes; job no longer runs here)",
        ids["k"]
    );
    assert!(
        with("stale old: ").iter().any(|l| l.ends_with(&removed)),
        "{all}"
    );
    assert_eq!(with("stale left: "), Vec::<&str>::new(), "{all}");
}

/// XDG_RUNTIME_DIR (issue 18) on two nodes: alice submits from a login
/// session (`XDG_RUNTIME_DIR=/run/user/2001`, valid there) and Slurm forwards
/// it; neither node has that directory, and on node2 mallory took the name
/// tmpguard would use. Each task gets a valid one from the TaskProlog: the
/// chosen name on node1, a private fallback on node2 (and a line in node2's
/// system log), never mallory's directory.
#[test]
fn forwarded_runtime_dir_on_two_nodes() {
    let Some(out) = cluster::run(
        r#"
# A compute node's /run/user: nobody logged in through pam_systemd.
for n in node1 node2; do on $n mount -t tmpfs -o mode=0755,size=1m tmpfs /run/user || die "/run/user on $n"; done
on login test -d /run/user/2001 || die "the login session has no runtime dir"
on node2 setpriv --reuid=2002 --regid=2002 --clear-groups mkdir -m 700 /tmp/xdg-runtime-2001
cat > $AUX/rt.sh <<'END'
#!/bin/sh
echo "rt $(hostname) $XDG_RUNTIME_DIR $(stat -c '%U %a' "$XDG_RUNTIME_DIR")"
END
cat > $AUX/rt2.sh <<END
#!/bin/sh
srun /bin/sh $AUX/rt.sh
END
chmod 755 $AUX/rt.sh $AUX/rt2.sh
id=$(submit alice XDG_RUNTIME_DIR=/run/user/2001 -- -N2 --ntasks-per-node=1 -o rt.out $AUX/rt2.sh)
wait_jobs $id
sort $AUX/home/alice/rt.out
on node2 stat -c 'squat %U %a' /tmp/xdg-runtime-2001
grep -c "unsafe private directory /tmp/xdg-runtime-2001 (offending uid 2002, victim uid 2001)" $S/node2.syslog | sed 's/^/logged /'
"#,
        180,
    ) else {
        return;
    };
    let out = out.ok();
    let lines = out.lines();
    let all = format!("stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(
        lines.contains(&"rt node1 /tmp/xdg-runtime-2001 alice 700"),
        "{all}"
    );
    let node2: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("rt node2 "))
        .copied()
        .collect();
    assert_eq!(node2.len(), 1, "{all}");
    let dir = node2[0].split(' ').nth(2).unwrap();
    assert!(
        dir.starts_with("/tmp/xdg-runtime-2001.")
            && dir.len() == "/tmp/xdg-runtime-2001.".len() + 8,
        "{all}"
    );
    assert!(node2[0].ends_with(" alice 700"), "{all}");
    assert!(lines.contains(&"squat mallory 700"), "{all}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("logged ") && *l != "logged 0"),
        "{all}"
    );
}
