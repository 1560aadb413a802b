//! The harness itself: a sandbox really is private and has its users.
mod common;

#[test]
fn sandbox_has_private_tmp_and_users() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb
        .run(r#"touch /tmp/marker; stat -c '%a %U' /tmp; as alice sh -c 'id -un; test -w /tmp && echo writable'; as alice $TG --version"#)
        .ok();
    // Without root, /tmp belongs to the namespace's root, which is alice's uid.
    let owner = if sb.unprivileged() { "alice" } else { "root" };
    assert_eq!(
        out.lines()[..3],
        [
            "1777 ".to_owned() + owner,
            "alice".into(),
            "writable".into()
        ]
    );
    assert!(out.stdout.contains("tmpguard"));
    assert!(
        !std::path::Path::new("/tmp/marker").exists(),
        "the sandbox's /tmp leaked"
    );
}

/// For developers: run `$TMPGUARD_SANDBOX_BODY` in a tier-1 sandbox and show
/// what it printed: `TMPGUARD_SANDBOX_BODY='as alice "$TG" path' cargo test
/// --test harness run_a_body -- --ignored --nocapture`.
#[test]
#[ignore = "a tool, not a test"]
fn run_a_body() {
    let body = std::env::var("TMPGUARD_SANDBOX_BODY").expect("TMPGUARD_SANDBOX_BODY");
    let sb = if std::env::var_os("TMPGUARD_SANDBOX_ROOT").is_some() {
        common::root_sandbox()
    } else {
        common::sandbox()
    };
    let out = sb.expect("a sandbox").run(&body);
    println!(
        "--- stdout\n{}--- stderr\n{}--- exit {:?}",
        out.stdout, out.stderr, out.code
    );
}

/// A script that never ends is killed, with everything it started, and the
/// test says so instead of hanging `cargo test`.
#[test]
fn a_spinning_script_is_killed_by_the_timeout() {
    let Some(sb) = common::sandbox() else { return };
    let started = std::time::Instant::now();
    let out = sb
        .timeout(2)
        .run("as alice sh -c 'while :; do :; done' & while :; do :; done");
    assert_eq!(out.code, Some(124), "{out:?}");
    assert!(out.stderr.contains("timed out after 2 s"), "{out:?}");
    assert!(started.elapsed().as_secs() < 60, "{out:?}");
}

/// A host tool that replaces /etc/passwd by rename (useradd, vipw, any
/// package's postinst) while a test runs must not take the test's users
/// away. The "host" here is an outer namespace with its own /etc, so the
/// rename touches nothing outside the test.
#[test]
fn users_survive_the_host_replacing_etc_passwd() {
    // Tier 3: the "host" is a mount namespace of the real root's.
    let Some(sb) = common::real_root_sandbox() else {
        return;
    };
    let sync =
        std::path::PathBuf::from(format!("/var/tmp/tmpguard-harness-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&sync);
    std::fs::create_dir(&sync).unwrap();
    let inner = sb.script(
        r#"before=$(as alice id -un)
touch "$SYNC/ready"
for _ in $(seq 200); do [ -e "$SYNC/renamed" ] && break; sleep 0.05; done
[ -e "$SYNC/renamed" ] || { echo "the host never renamed" >&2; exit 1; }
echo "before=$before after=$(as alice id -un) mallory=$(as mallory id -un) uid=$(id -u bob)"
echo "host's new user seen: $(grep -c '^newcomer:' /etc/passwd)""#,
    );
    let outer = r#"set -eu
mount --make-rprivate /
mkdir "$SYNC/etc" && cp -a /etc/. "$SYNC/etc/" && mount --bind "$SYNC/etc" /etc
unshare -m --propagation private bash -c "$INNER" > "$SYNC/out" 2> "$SYNC/err" & pid=$!
for _ in $(seq 200); do [ -e "$SYNC/ready" ] && break; sleep 0.05; done
# What useradd does: write a new file, rename it over the old one.
for f in passwd group; do
  cp -p /etc/$f /etc/$f+ && echo "newcomer:x:3999:3999::/:/bin/sh" >> /etc/$f+ && mv /etc/$f+ /etc/$f
done
touch "$SYNC/renamed"
wait $pid; rc=$?
cat "$SYNC/out"; cat "$SYNC/err" >&2
exit $rc"#;
    let out = std::process::Command::new("timeout")
        .args([
            "120",
            "unshare",
            "-m",
            "--propagation",
            "private",
            "bash",
            "-c",
            outer,
        ])
        .env("SYNC", &sync)
        .env("INNER", &inner)
        .output()
        .expect("run unshare");
    let _ = std::fs::remove_dir_all(&sync);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "before=alice after=alice mallory=mallory uid=2003",
            "host's new user seen: 0"
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Tier 2 is several real users with or without root: the sandbox's own
/// files are root's, each user's files are theirs, and the kernel keeps
/// them apart (mallory cannot enter alice's 0700 directory nor replace
/// root's files), as on a shared machine.
#[test]
fn root_sandbox_users_are_really_different() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let out = sb
        .run(
            r#"stat -c '%U %a' / /etc /etc/passwd /tmp "$TG"
as alice mkdir -m 700 /tmp/alice && as alice touch /tmp/alice/secret
stat -c '%U %a' /tmp/alice
as mallory ls /tmp/alice 2>/dev/null || echo "mallory cannot list"
as mallory sh -c 'echo x >> /etc/passwd' 2>/dev/null || echo "mallory cannot write passwd"
as mallory chown mallory /tmp/alice 2>/dev/null || echo "mallory cannot chown"
echo "$(as alice id -u) $(as mallory id -u) $(as bob id -u)""#,
        )
        .ok();
    assert_eq!(
        out.lines(),
        [
            "root 755",
            "root 755",
            "root 644",
            "root 1777",
            "root 755",
            "alice 700",
            "mallory cannot list",
            "mallory cannot write passwd",
            "mallory cannot chown",
            "2001 2002 2003"
        ],
        "{}",
        out.stderr
    );
}
