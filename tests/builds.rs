//! What every build (the glibc release build, the static musl build the
//! packages carry) must do alike, run on any of them with
//! `TMPGUARD_TEST_BIN=/abs/path/tmpguard`.
//!
//! Passwd lookups go through the system's `getent`, so a static binary sees
//! the users the system's NSS modules know (sssd, LDAP): asserted with a
//! real NSS module, libnss-extrausers. A uid no passwd source knows: the fast
//! path still trusts `$USER` when `<base>/$USER` is already theirs (no lookup
//! at all), and a new directory is named `uid-<N>`, still private and verified.
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

/// A user only an NSS module other than `files` knows (libnss-extrausers, as
/// sssd or LDAP would be): `$USER` is confirmed and the directory takes the
/// name. A static binary asking its own C library would not see the user and
/// would name the directory `uid-4343`.
#[test]
fn a_user_known_only_to_an_nss_module_is_confirmed() {
    let Some(sb) = sandbox() else { return };
    if !common::require(
        ["/usr/lib", "/usr/lib/x86_64-linux-gnu", "/lib64"]
            .iter()
            .any(|d| {
                std::path::Path::new(d)
                    .join("libnss_extrausers.so.2")
                    .exists()
            }),
        "libnss-extrausers (apt-get install libnss-extrausers)",
    ) {
        return;
    }
    let out = sb
        .run(
            r#"mkdir -p /var/lib/extrausers && mount -t tmpfs -o mode=0755 tmpfs /var/lib/extrausers
echo 'nssonly:x:4343:4343::/:/bin/sh' > /var/lib/extrausers/passwd
echo 'nssonly:x:4343:' > /var/lib/extrausers/group
sed -i 's/^passwd:.*/passwd: files extrausers/; s/^group:.*/group: files extrausers/' /etc/nsswitch.conf
grep -q nssonly /etc/passwd && echo "in /etc/passwd"
getent passwd nssonly | cut -d: -f1,3
nss() { setpriv --reuid=4343 --regid=4343 --clear-groups env -i PATH=/usr/bin:/bin USER=nssonly HOME=/ "$@"; }
nss "$TG" path
stat -c '%a %u' /tmp/nssonly
ls /tmp | grep -c uid- || true"#,
        )
        .ok();
    assert_eq!(
        out.lines(),
        ["nssonly:4343", "/tmp/nssonly", "700 4343", "0"],
        "{}",
        out.stderr
    );
}

/// The hook and the modulefiles call tmpguard again by the path it was
/// invoked by, a symlink left unresolved (an upgrade that repoints
/// /usr/local/bin/tmpguard keeps them working). `argv[0]` comes from the C
/// runtime: a static musl binary's std sees no arguments, and fell back to
/// /proc/self/exe, the resolved path.
#[test]
fn the_hook_calls_tmpguard_by_the_path_it_was_invoked_by() {
    let dir = std::env::temp_dir().join(format!("tg-arg0-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("tg-link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(common::tmpguard_bin(), &link).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&link)
            .args(args)
            .env("TMPGUARD_BASE", &dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let hook = run(&["init", "bash", "--hook-only"]);
    let lmod = run(&["init", "lmod"]);
    let _ = std::fs::remove_dir_all(&dir);
    let want = link.to_str().unwrap();
    assert!(hook.contains(&format!("__tgx='{want}'")), "{hook}");
    assert!(lmod.contains(want), "{lmod}");
}
