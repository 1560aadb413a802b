//! What every build (glibc, portable glibc-2.17, static musl) must do alike,
//! run on any of them with `TMPGUARD_TEST_BIN=/abs/path/tmpguard`.
//!
//! musl has no NSS modules: a user known only to LDAP or sssd is, to it, a
//! user not in /etc/passwd. The README's promise for such a user is asserted
//! here with a uid that no passwd entry has: the fast path still trusts
//! `$USER` when `<base>/$USER` is already theirs (no lookup at all), and a new
//! directory is named `uid-<N>`, still private and verified.
mod common;

// Tier 2: the test switches to a uid no passwd entry has.
use common::root_sandbox as sandbox;

#[test]
fn a_user_not_in_passwd_gets_a_private_directory_named_by_uid() {
    let Some(sb) = sandbox() else { return };
    let out = sb
        .run(
            r#"ghost() { setpriv --reuid=4242 --regid=4242 --clear-groups env -i PATH=/usr/bin:/bin USER=ghost HOME=/ "$@"; }
ghost "$TG" path
stat -c '%a %u' /tmp/uid-4242
mkdir -m 700 /tmp/ghost && chown 4242:4242 /tmp/ghost
ghost "$TG" path
ghost "$TG" init bash --no-hook --no-runtime-dir"#,
        )
        .ok();
    assert_eq!(
        out.lines(),
        [
            "/tmp/uid-4242",
            "700 4242",
            "/tmp/ghost",
            "export TMPDIR='/tmp/ghost'"
        ],
        "{}",
        out.stderr
    );
}
