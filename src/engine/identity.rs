//! Who we are: the uid, and the name the private directory is called by.
//!
//! The fast path trusts `$USER` when `<base>/$USER` already belongs to the uid,
//! so a normal shell start does no passwd/NSS lookup (those hang when LDAP is down).

use std::cell::Cell;

use nix::unistd::{Uid, User};

/// Longest name accepted, in bytes.
pub const MAX_NAME: usize = 64;

/// A name may be used as a directory name: `[A-Za-z0-9._@-]`, not starting
/// with `-`, not `.` or `..`, 1 to 64 bytes.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name[0] != b'-'
        && name != b"."
        && name != b".."
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

/// Where the name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `$USER`, trusted because `<base>/$USER` already belongs to the uid.
    EnvOwned,
    /// `$USER`, confirmed by `getpwnam`.
    EnvConfirmed,
    /// The uid's passwd entry (`getpwuid`).
    Passwd,
    /// No usable passwd name: `uid-<N>`.
    Uid,
}

/// The uid and the name of its private directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub name: String,
    pub source: Source,
}

/// The lookups identity needs, so tests can stand in for NSS.
pub trait Passwd {
    /// uid of the account called `name`; `None` if none or the lookup failed.
    fn uid_of(&self, name: &str) -> Option<u32>;
    /// name of the account with `uid`; `None` if none or the lookup failed.
    fn name_of(&self, uid: u32) -> Option<String>;
}

/// The system's passwd database, through NSS.
pub struct SystemPasswd;

impl Passwd for SystemPasswd {
    fn uid_of(&self, name: &str) -> Option<u32> {
        User::from_name(name).ok().flatten().map(|u| u.uid.as_raw())
    }
    fn name_of(&self, uid: u32) -> Option<String> {
        User::from_uid(Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|u| u.name)
    }
}

/// Decide the name. `owns(name)` answers "does `<base>/<name>` exist and belong
/// to the uid?" (one `fstatat`); only when it does not is passwd consulted.
pub fn resolve(
    uid: u32,
    user: Option<&[u8]>,
    owns: impl FnOnce(&str) -> bool,
    passwd: &dyn Passwd,
) -> Identity {
    if let Some(user) = user.filter(|u| valid_name(u)) {
        // valid_name admits ASCII only, so this cannot fail.
        let user = std::str::from_utf8(user).expect("valid names are ASCII");
        if owns(user) {
            return Identity {
                uid,
                name: user.to_owned(),
                source: Source::EnvOwned,
            };
        }
        if passwd.uid_of(user) == Some(uid) {
            return Identity {
                uid,
                name: user.to_owned(),
                source: Source::EnvConfirmed,
            };
        }
    }
    from_uid(uid, passwd)
}

/// The uid's own passwd name when valid, else `uid-<N>`.
pub fn from_uid(uid: u32, passwd: &dyn Passwd) -> Identity {
    match passwd.name_of(uid).filter(|n| valid_name(n.as_bytes())) {
        Some(name) => Identity {
            uid,
            name,
            source: Source::Passwd,
        },
        None => Identity {
            uid,
            name: format!("uid-{uid}"),
            source: Source::Uid,
        },
    }
}

/// uid -> passwd name, looked up beforehand.
pub type Names = Vec<(u32, Option<String>)>;

thread_local! {
    /// Names already looked up, while [`with_names`] runs: messages built
    /// then (doctor's judge and renderers, unit tests) do no NSS lookup. A
    /// `Copy` cell: a thread-local with a destructor would make every shell
    /// start resolve four more libc symbols.
    static KNOWN: Cell<Option<&'static Names>> = const { Cell::new(None) };
}

/// Run `f` with uids named from `names` only (an unlisted uid shows as a number).
pub fn with_names<R>(names: &Names, f: impl FnOnce() -> R) -> R {
    // Leaked: a few bytes, once per report (and per unit test).
    let names: &'static Names = Box::leak(Box::new(names.clone()));
    let saved = KNOWN.with(|k| k.replace(Some(names)));
    let r = f();
    KNOWN.with(|k| k.set(saved));
    r
}

/// Look up the names of `uids` (each once), for [`with_names`].
pub fn lookup_names(uids: impl IntoIterator<Item = u32>, passwd: &dyn Passwd) -> Names {
    let mut names: Names = Vec::new();
    for uid in uids {
        if !names.iter().any(|n| n.0 == uid) {
            names.push((uid, passwd.name_of(uid)));
        }
    }
    names
}

/// A name for a uid in messages: `1001 (mallory)` or `1001`. Looks up passwd
/// (unless [`with_names`] gave the names), so only for error paths.
pub fn describe_uid(uid: u32) -> String {
    let known = KNOWN.with(|k| {
        k.get()
            .map(|names| names.iter().find(|n| n.0 == uid).and_then(|n| n.1.clone()))
    });
    match known.unwrap_or_else(|| SystemPasswd.name_of(uid)) {
        Some(name) => format!("{uid} ({name})"),
        None => uid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Fake {
        users: Vec<(&'static str, u32)>,
        calls: Cell<u32>,
    }
    impl Passwd for Fake {
        fn uid_of(&self, name: &str) -> Option<u32> {
            self.calls.set(self.calls.get() + 1);
            self.users.iter().find(|u| u.0 == name).map(|u| u.1)
        }
        fn name_of(&self, uid: u32) -> Option<String> {
            self.calls.set(self.calls.get() + 1);
            self.users
                .iter()
                .find(|u| u.1 == uid)
                .map(|u| u.0.to_owned())
        }
    }
    fn fake() -> Fake {
        Fake {
            users: vec![("alice", 1000), ("root", 0), ("bad/name", 7)],
            calls: Cell::new(0),
        }
    }

    #[test]
    fn name_rules() {
        for ok in ["alice", "a", "j.doe", "x_y-z", "me@REALM", &"a".repeat(64)] {
            assert!(valid_name(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "-rf",
            "a/b",
            "a b",
            "$(x)",
            "a\nb",
            &"a".repeat(65),
            "é",
        ] {
            assert!(!valid_name(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn fast_path_does_no_lookup() {
        let p = fake();
        let id = resolve(1000, Some(b"alice"), |n| n == "alice", &p);
        assert_eq!(id.name, "alice");
        assert_eq!(id.source, Source::EnvOwned);
        assert_eq!(p.calls.get(), 0);
    }

    #[test]
    fn missing_dir_confirms_by_passwd() {
        let p = fake();
        let id = resolve(1000, Some(b"alice"), |_| false, &p);
        assert_eq!(
            (id.name.as_str(), id.source),
            ("alice", Source::EnvConfirmed)
        );
    }

    #[test]
    fn su_without_dash_uses_uids_own_name() {
        let id = resolve(0, Some(b"alice"), |_| false, &fake());
        assert_eq!((id.name.as_str(), id.source), ("root", Source::Passwd));
    }

    #[test]
    fn invalid_or_unset_user_uses_passwd() {
        for user in [
            None,
            Some(&b""[..]),
            Some(b".."),
            Some(b"a/b"),
            Some(b"$(touch x)"),
        ] {
            assert_eq!(resolve(1000, user, |_| true, &fake()).name, "alice");
        }
    }

    #[test]
    fn no_entry_or_invalid_entry_gives_uid_name() {
        assert_eq!(
            resolve(54321, Some(b"alice"), |_| false, &fake()).name,
            "uid-54321"
        );
        assert_eq!(resolve(7, None, |_| false, &fake()).name, "uid-7");
    }
}
