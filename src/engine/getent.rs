//! Passwd and group lookups through the system's `getent`.
//!
//! The binary tmpguard ships is static (musl: no dynamic loader, the cheapest
//! shell start), and a static binary cannot load the system's NSS modules
//! (sssd, LDAP, winbind): musl has none, and static glibc can only load
//! those of the exact glibc it was built with. `getent` is the system's own
//! C library asking its own NSS configuration, so the answer is the one
//! every other program on the machine gets. Only the slow path asks (the
//! fast path trusts `$USER` when `<base>/$USER` is already the uid's): one
//! fork and exec there, and the caller's time budget covers it (`hang`).

use std::process::{Command, Stdio};

/// Where `getent` is: glibc's libc-bin (Debian, Ubuntu), glibc-common (RHEL,
/// SUSE), musl-utils (Alpine). Never looked up in `PATH`.
const GETENT: &[&str] = &["/usr/bin/getent", "/bin/getent", "/usr/sbin/getent"];

/// An entry: `name:password:id:...` split at `:`.
type Entry = Vec<String>;

/// The first line `getent DB KEY` prints, split into fields; `None` when it
/// prints none (no such entry, or no `getent`).
fn getent(db: &str, key: &str) -> Option<Entry> {
    // A key is never an option (not every getent takes `--`).
    if key.is_empty() || key.starts_with('-') {
        return None;
    }
    let out = GETENT.iter().find_map(|exe| {
        Command::new(exe)
            .args([db, key])
            .env_clear()
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
    })?;
    let line = out.stdout.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    (!line.is_empty()).then(|| line.split(':').map(str::to_owned).collect())
}

/// Field `i` of an entry whose name (field 0) is `name`, as a number.
fn id_of(entry: Option<Entry>, name: &str, i: usize) -> Option<u32> {
    entry
        .filter(|e| e.first().is_some_and(|n| n == name))
        .and_then(|e| e.get(i)?.parse().ok())
}

/// The uid of the account called `name`. An all-digit key is a uid to
/// `getent`, so the entry must also carry the name asked for.
pub fn uid_of(name: &str) -> Option<u32> {
    id_of(getent("passwd", name), name, 2)
}

/// The name of the account with `uid`, checked against the entry's uid.
pub fn name_of(uid: u32) -> Option<String> {
    getent("passwd", &uid.to_string())
        .filter(|e| e.get(2).and_then(|u| u.parse().ok()) == Some(uid))
        .and_then(|mut e| Some(e.swap_remove(0)).filter(|n| !n.is_empty()))
}

/// The gid of the group called `name`.
pub fn gid_of(name: &str) -> Option<u32> {
    id_of(getent("group", name), name, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_must_carry_the_name_asked_for() {
        let e = |s: &str| Some(s.split(':').map(str::to_owned).collect::<Entry>());
        assert_eq!(
            id_of(e("alice:x:1000:1000::/home/alice:/bin/bash"), "alice", 2),
            Some(1000)
        );
        // `getent passwd 1000` answers for uid 1000, not for a user named 1000.
        assert_eq!(
            id_of(e("alice:x:1000:1000::/home/alice:/bin/bash"), "1000", 2),
            None
        );
        assert_eq!(id_of(e("alice:x:notanumber:1"), "alice", 2), None);
        assert_eq!(id_of(e("alice"), "alice", 2), None);
        assert_eq!(id_of(None, "alice", 2), None);
    }

    /// The real `getent` of the machine the tests run on: root is uid 0
    /// everywhere, and group root is gid 0.
    #[test]
    fn the_system_getent_answers() {
        assert_eq!(uid_of("root"), Some(0));
        assert_eq!(name_of(0).as_deref(), Some("root"));
        assert_eq!(gid_of("root"), Some(0));
        assert_eq!(uid_of("no-such-user-tmpguard"), None);
        assert_eq!(name_of(4_000_000_000), None);
    }
}
