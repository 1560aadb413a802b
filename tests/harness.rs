//! The harness itself: a sandbox really is private and has its users.
mod common;

#[test]
fn sandbox_has_private_tmp_and_users() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb
        .run(r#"touch /tmp/marker; stat -c '%a %U' /tmp; as alice sh -c 'id -un; test -w /tmp && echo writable'; as alice $TG --version"#)
        .ok();
    assert_eq!(out.lines()[..3], ["1777 root", "alice", "writable"]);
    assert!(out.stdout.contains("tmpguard"));
    assert!(
        !std::path::Path::new("/tmp/marker").exists(),
        "the sandbox's /tmp leaked"
    );
}
