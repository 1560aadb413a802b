//! Who we are: the uid, and the name the private directory is called by.
//!
//! The fast path trusts `$USER` when `<base>/$USER` already belongs to the uid,
//! so a normal shell start does no passwd/NSS lookup (those hang when LDAP is down).
//! When one is needed it is asked in a detached process within the run's time
//! budget (`hang`); with no answer, the run fails with that reason rather than
//! take another name (`uid-N` would make `TMPDIR` flip with the health of LDAP).

use std::cell::Cell;

use crate::engine::getent;
use crate::engine::hang::NoAnswer;

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
    /// The site's name template has no `%u`: the name needs no user name.
    Template,
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
    /// uid of the account called `name`; `None` if none or the lookup failed;
    /// `Err` if it did not answer in time.
    fn uid_of(&self, name: &str) -> Result<Option<u32>, NoAnswer>;
    /// name of the account with `uid`; as `uid_of`.
    fn name_of(&self, uid: u32) -> Result<Option<String>, NoAnswer>;
}

/// The system's passwd database, through NSS as `getent` asks it (see
/// `getent`: the binary is static), each lookup within the run's time budget.
pub struct SystemPasswd;

impl Passwd for SystemPasswd {
    fn uid_of(&self, name: &str) -> Result<Option<u32>, NoAnswer> {
        getent::uid_of(name)
    }
    fn name_of(&self, uid: u32) -> Result<Option<String>, NoAnswer> {
        getent::name_of(uid)
    }
}

/// Decide the name. `owns(name)` answers "does `<base>/<name>` exist and belong
/// to the uid?" (one `fstatat`); only when it does not is passwd consulted.
pub fn resolve(
    uid: u32,
    user: Option<&[u8]>,
    owns: impl FnOnce(&str) -> bool,
    passwd: &dyn Passwd,
) -> Result<Identity, NoAnswer> {
    if let Some(user) = user.filter(|u| valid_name(u)) {
        // valid_name admits ASCII only, so this cannot fail.
        let user = std::str::from_utf8(user).expect("valid names are ASCII");
        if owns(user) {
            return Ok(Identity {
                uid,
                name: user.to_owned(),
                source: Source::EnvOwned,
            });
        }
        if passwd.uid_of(user)? == Some(uid) {
            return Ok(Identity {
                uid,
                name: user.to_owned(),
                source: Source::EnvConfirmed,
            });
        }
    }
    from_uid(uid, passwd)
}

/// The uid's own passwd name when valid, else `uid-<N>` (when passwd
/// answered that there is none; not when it did not answer).
pub fn from_uid(uid: u32, passwd: &dyn Passwd) -> Result<Identity, NoAnswer> {
    Ok(
        match passwd.name_of(uid)?.filter(|n| valid_name(n.as_bytes())) {
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
        },
    )
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
            names.push((uid, passwd.name_of(uid).ok().flatten()));
        }
    }
    names
}

/// A name for a uid in messages: `1001 (mallory)` or `1001`. Looks up passwd
/// (unless [`with_names`] gave the names; within the run's time budget), so
/// only for error paths.
pub fn describe_uid(uid: u32) -> String {
    let known = KNOWN.with(|k| {
        k.get()
            .map(|names| names.iter().find(|n| n.0 == uid).and_then(|n| n.1.clone()))
    });
    // Not answering within the time budget: the number alone.
    match known.unwrap_or_else(|| SystemPasswd.name_of(uid).ok().flatten()) {
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
        fn uid_of(&self, name: &str) -> Result<Option<u32>, NoAnswer> {
            self.calls.set(self.calls.get() + 1);
            if name == "stuck" {
                return Err(stuck());
            }
            Ok(self.users.iter().find(|u| u.0 == name).map(|u| u.1))
        }
        fn name_of(&self, uid: u32) -> Result<Option<String>, NoAnswer> {
            self.calls.set(self.calls.get() + 1);
            if uid == 666 {
                return Err(stuck());
            }
            Ok(self
                .users
                .iter()
                .find(|u| u.1 == uid)
                .map(|u| u.0.to_owned()))
        }
    }
    fn stuck() -> NoAnswer {
        NoAnswer {
            what: "the passwd lookup".into(),
            why: crate::engine::hang::Why::Timeout,
        }
    }

    #[test]
    fn no_answer_fails_and_never_takes_another_name() {
        assert_eq!(
            resolve(1000, Some(b"stuck"), |_| false, &fake()),
            Err(stuck())
        );
        assert_eq!(resolve(666, None, |_| false, &fake()), Err(stuck()));
        assert_eq!(
            resolve(666, Some(b"alice"), |_| false, &fake()),
            Err(stuck())
        );
        // Its directory already ours: no lookup, no failure.
        assert_eq!(
            resolve(666, Some(b"stuck"), |_| true, &fake())
                .unwrap()
                .name,
            "stuck"
        );
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
        let id = resolve(1000, Some(b"alice"), |n| n == "alice", &p).unwrap();
        assert_eq!(id.name, "alice");
        assert_eq!(id.source, Source::EnvOwned);
        assert_eq!(p.calls.get(), 0);
    }

    #[test]
    fn missing_dir_confirms_by_passwd() {
        let p = fake();
        let id = resolve(1000, Some(b"alice"), |_| false, &p).unwrap();
        assert_eq!(
            (id.name.as_str(), id.source),
            ("alice", Source::EnvConfirmed)
        );
    }

    #[test]
    fn su_without_dash_uses_uids_own_name() {
        let id = resolve(0, Some(b"alice"), |_| false, &fake()).unwrap();
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
            assert_eq!(
                resolve(1000, user, |_| true, &fake()).unwrap().name,
                "alice"
            );
        }
    }

    #[test]
    fn no_entry_or_invalid_entry_gives_uid_name() {
        assert_eq!(
            resolve(54321, Some(b"alice"), |_| false, &fake())
                .unwrap()
                .name,
            "uid-54321"
        );
        assert_eq!(resolve(7, None, |_| false, &fake()).unwrap().name, "uid-7");
    }
}
