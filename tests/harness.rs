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
