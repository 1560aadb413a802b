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

use crate::engine::hang::{self, NoAnswer, Why};

/// Where `getent` is: glibc's libc-bin (Debian, Ubuntu), glibc-common (RHEL,
/// SUSE), musl-utils (Alpine). Never looked up in `PATH`.
const GETENT: &[&str] = &["/usr/bin/getent", "/bin/getent", "/usr/sbin/getent"];

/// An entry: `name:password:id:...` split at `:`.
type Entry = Vec<String>;

/// What `getent` said: an entry, none (exit 2: no such key), or no answer
/// (it could not be started, or exited otherwise: killed, a database it does
/// not know). sssd or LDAP being down is, to getent, no such key.
type Said = Result<Option<Entry>, Why>;

/// The first line `getent DB KEY` prints, split into fields.
fn getent(db: &str, key: &str) -> Said {
    // A key is never an option (not every getent takes `--`).
    if key.is_empty() || key.starts_with('-') {
        return Ok(None);
    }
    let mut failed = Why::Failed(nix::errno::Errno::ENOENT);
    for exe in GETENT {
        let out = match Command::new(exe)
            .args([db, key])
            .env_clear()
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
        {
            Ok(out) => out,
            Err(e) => {
                let errno = nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0));
                failed = Why::Failed(errno);
                // Not there: the next place. Any other error (EAGAIN under
                // `ulimit -u`, EMFILE): no answer.
                if errno == nix::errno::Errno::ENOENT {
                    continue;
                }
                return Err(failed);
            }
        };
        return match out.status.code() {
            Some(0) => {
                let line = out.stdout.split(|&b| b == b'\n').next().unwrap_or_default();
                let line = std::str::from_utf8(line).unwrap_or_default();
                Ok((!line.is_empty()).then(|| line.split(':').map(str::to_owned).collect()))
            }
            Some(2) => Ok(None),
            Some(n) => Err(Why::Exit(n)),
            None => Err(Why::Exit(-1)),
        };
    }
    Err(failed)
}

/// Field `i` of an entry whose name (field 0) is `name`, as a number.
fn id_of(entry: Option<Entry>, name: &str, i: usize) -> Option<u32> {
    entry
        .filter(|e| e.first().is_some_and(|n| n == name))
        .and_then(|e| e.get(i)?.parse().ok())
}

/// Ask within the run's time budget, in a detached process (`hang::ask`):
/// any NSS source can hang, `files` included (`compat` loads NIS, systemd's
/// talks to a daemon, `/etc/passwd` can sit on a hung mount), and `getent`
/// is a fork either way. The answer travels as text: `=VALUE`, empty for no
/// such entry, `!CODE` for no answer. One lock per user for all lookups.
fn ask(
    what: String,
    q: impl FnOnce() -> Result<Option<String>, Why>,
) -> Result<Option<String>, NoAnswer> {
    let key = format!("{}/nss", nix::unistd::getuid());
    let grace = hang::LOOKUP_GRACE;
    let answer = hang::ask(
        &key,
        what.clone(),
        hang::Young::Parallel,
        grace,
        move || match q() {
            Ok(Some(v)) => format!("={v}").into_bytes(),
            Ok(None) => Vec::new(),
            Err(Why::Failed(e)) => format!("!e{}", e as i32).into_bytes(),
            Err(Why::Exit(n)) => format!("!x{n}").into_bytes(),
            Err(_) => b"!x-1".to_vec(),
        },
    )?;
    let text = String::from_utf8_lossy(&answer);
    match text.split_at_checked(1) {
        None => Ok(None),
        Some(("=", v)) => Ok(Some(v.to_owned())),
        Some((_, code)) => Err(NoAnswer {
            what,
            why: match code.split_at_checked(1) {
                Some(("e", n)) => Why::Failed(nix::errno::Errno::from_raw(n.parse().unwrap_or(0))),
                Some((_, n)) => Why::Exit(n.parse().unwrap_or(-1)),
                None => Why::Exit(-1),
            },
        }),
    }
}

/// The uid of the account called `name`.
pub fn uid_of(name: &str) -> Result<Option<u32>, NoAnswer> {
    id_by_name("passwd", name)
}

/// The gid of the group called `name`.
pub fn gid_of(name: &str) -> Result<Option<u32>, NoAnswer> {
    id_by_name("group", name)
}

/// The id (field 2) of the entry called `name` in `db`. An all-digit key is
/// an id to `getent`, so the entry must also carry the name asked for.
fn id_by_name(db: &'static str, name: &str) -> Result<Option<u32>, NoAnswer> {
    let n = name.to_owned();
    let v = ask(format!("the {db} lookup of {name}"), move || {
        Ok(id_of(getent(db, &n)?, &n, 2).map(|id| id.to_string()))
    })?;
    Ok(v.and_then(|v| v.parse().ok()))
}

/// The name of the account with `uid`, checked against the entry's uid.
pub fn name_of(uid: u32) -> Result<Option<String>, NoAnswer> {
    ask(format!("the passwd lookup of uid {uid}"), move || {
        Ok(getent("passwd", &uid.to_string())?
            .filter(|e| e.get(2).and_then(|u| u.parse().ok()) == Some(uid))
            .and_then(|mut e| Some(e.swap_remove(0)).filter(|n| !n.is_empty())))
    })
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
        assert_eq!(getent("passwd", "root").unwrap().unwrap()[2], "0");
        assert_eq!(getent("group", "root").unwrap().unwrap()[0], "root");
        assert_eq!(getent("passwd", "no-such-user-tmpguard"), Ok(None));
        assert_eq!(getent("passwd", "4000000000"), Ok(None));
        // A database getent does not know: exit 1, no answer (not "none").
        assert_eq!(getent("no-such-database", "root"), Err(Why::Exit(1)));
    }
}
