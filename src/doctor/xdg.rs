//! Doctor's section for `XDG_RUNTIME_DIR`: its state, the verdict by `init`'s
//! own rules (`engine::runtime`, read-only here: nothing is made), what
//! `init` would do, and which programs on this machine need it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::engine::effects::RealFs;
use crate::engine::env::Snapshot;
use crate::engine::runtime::{self, Choice, Inherited, Invalid};

use super::{Code, Finding, Severity};

/// A program that needs a runtime directory, found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub name: &'static str,
    /// Where it was found.
    pub at: PathBuf,
    /// What it does with `XDG_RUNTIME_DIR`, and how it fails without one.
    pub needs: &'static str,
}

/// The section's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeDir {
    pub uid: u32,
    pub value: Option<OsString>,
    pub verdict: Inherited,
    /// logind's `/run/user/$UID`, when the value is not valid.
    pub logind: Option<Result<(), Invalid>>,
    pub choice: Choice,
    /// `/tmp/xdg-runtime-$UID`, when init would make or use it, and whether it
    /// is valid already.
    pub target: Option<(PathBuf, Result<(), Invalid>)>,
    pub programs: Vec<Program>,
}

/// What needs it, and how each fails: (name, how it is found, what it does).
const PROGRAMS: &[(&str, Find, &str)] = &[
    (
        "podman",
        Find::Bin("podman"),
        "rootless podman keeps its state and API socket there; a missing or foreign one fails (\"cannot mkdir /run/user/<uid>/libpod\", \"error creating tmpdir\")",
    ),
    (
        "dbus",
        Find::Bin("dbus-daemon"),
        "the session bus socket is $XDG_RUNTIME_DIR/bus, where libdbus and GLib clients look for it",
    ),
    (
        "gpg-agent",
        Find::Bin("gpg-agent"),
        "ignores XDG_RUNTIME_DIR: its sockets go in /run/user/<uid>/gnupg when that exists, else in ~/.gnupg (which fails on many NFS homes)",
    ),
    (
        "Qt",
        Find::Lib(&["libQt6Core.so.6", "libQt5Core.so.5"]),
        "QStandardPaths warns (\"XDG_RUNTIME_DIR points to non-existing path\", \"... wrong permissions\") and falls back to /tmp/runtime-$USER",
    ),
];

#[derive(Debug, Clone, Copy)]
enum Find {
    Bin(&'static str),
    Lib(&'static [&'static str]),
}

const LIB_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
];

fn find(what: Find, path_var: Option<&OsString>) -> Option<PathBuf> {
    match what {
        Find::Bin(name) => path_var
            .map(|p| std::env::split_paths(p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.join(name))
            .find(|p| p.is_file()),
        Find::Lib(names) => LIB_DIRS
            .iter()
            .flat_map(|d| names.iter().map(move |n| Path::new(d).join(n)))
            .find(|p| p.exists()),
    }
}

/// Look, changing nothing.
pub fn view(snap: &Snapshot) -> RuntimeDir {
    let uid = snap.uid;
    let value = snap.runtime_dir.clone();
    let verdict = runtime::judge(&RealFs, value.as_deref(), uid);
    let logind = (verdict != Inherited::Valid)
        .then(|| runtime::check(&RealFs, runtime::logind_dir(uid).as_os_str(), uid).map(|_| ()));
    let choice = runtime::decide(&verdict, logind.as_ref());
    let target = (choice == Choice::Create).then(|| {
        let t = Path::new(runtime::BASE).join(runtime::name(uid));
        let ok = runtime::check(&RealFs, t.as_os_str(), uid).map(|_| ());
        (t, ok)
    });
    let path_var = std::env::var_os("PATH");
    let programs = PROGRAMS
        .iter()
        .filter_map(|(name, how, needs)| {
            find(*how, path_var.as_ref()).map(|at| Program { name, at, needs })
        })
        .collect();
    RuntimeDir {
        uid,
        value,
        verdict,
        logind,
        choice,
        target,
        programs,
    }
}

impl RuntimeDir {
    /// The uids the section names (owners of what was refused), for the
    /// names doctor looks up while gathering.
    pub fn uids(&self) -> Vec<u32> {
        let of = |i: &Invalid| match i {
            Invalid::Unsafe(u) => u.offender(),
            Invalid::Error(e) => e.offenders().into_iter().next(),
            _ => None,
        };
        let mut out = Vec::new();
        if let Inherited::Invalid(i) = &self.verdict {
            out.extend(of(i));
        }
        if let Some(Err(i)) = &self.logind {
            out.extend(of(i));
        }
        if let Some((_, Err(i))) = &self.target {
            out.extend(of(i));
        }
        out
    }

    fn shown(&self) -> String {
        match &self.value {
            Some(v) if !v.is_empty() => Path::new(v).display().to_string(),
            Some(_) => "(empty)".into(),
            None => "(unset)".into(),
        }
    }

    /// The verdict, in words.
    pub fn verdict_words(&self) -> String {
        match &self.verdict {
            Inherited::Unset => "not set".into(),
            Inherited::Valid => "valid (yours, 0700, local)".into(),
            Inherited::Invalid(why) => format!("not valid: it {why}"),
        }
    }

    /// What `init` would do.
    pub fn init_would(&self) -> String {
        match (&self.choice, &self.target) {
            (Choice::Keep, _) => "keep it".into(),
            (Choice::Logind, _) => format!("export {}", self.logind_path().display()),
            (Choice::Create, Some((t, Ok(())))) => format!("export {}", t.display()),
            (Choice::Create, Some((t, Err(Invalid::Missing)))) => {
                format!("create {} (mode 0700) and export it", t.display())
            }
            (Choice::Create, Some((t, Err(why)))) => format!(
                "use a private fallback beside {} (it {why}) and export it",
                t.display()
            ),
            (Choice::Create, None) => "create a private runtime directory".into(),
        }
    }

    fn logind_path(&self) -> PathBuf {
        runtime::logind_dir(self.uid)
    }

    /// Rows for the human report: (key, value).
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = vec![("value", self.shown()), ("verdict", self.verdict_words())];
        if let Some(l) = &self.logind {
            let p = self.logind_path();
            rows.push((
                "logind's",
                match l {
                    Ok(()) => format!("{} is valid", p.display()),
                    Err(why) => format!("{} {why}", p.display()),
                },
            ));
        }
        rows.push(("init would", self.init_would()));
        // Who needs it matters when it is not valid: then each is a fix to make.
        let shown = match self.verdict {
            Inherited::Valid => &[][..],
            _ => &self.programs[..],
        };
        for p in shown {
            rows.push((
                "needed by",
                format!("{} ({}): {}", p.name, p.at.display(), p.needs),
            ));
        }
        rows
    }

    /// What to tell the user: an invalid value is a warning (an error when it
    /// is someone else's), with a fix that works.
    pub fn findings(&self, init_line: &str) -> Vec<Finding> {
        // gpg-agent ignores the variable: it is told about on its own below.
        let names: Vec<&str> = self
            .programs
            .iter()
            .map(|p| p.name)
            .filter(|n| *n != "gpg-agent")
            .collect();
        let who = match names.as_slice() {
            [] => "programs that use it".to_owned(),
            n => n.join(", "),
        };
        let mut out = Vec::new();
        match &self.verdict {
            Inherited::Invalid(why) => {
                let severity = match why {
                    Invalid::Unsafe(u) if u.offender().is_some_and(|o| o != self.uid) => {
                        Severity::Error
                    }
                    _ => Severity::Warning,
                };
                out.push(Finding {
                    code: Code::RuntimeDirInvalid,
                    severity,
                    message: format!(
                        "XDG_RUNTIME_DIR={} {why}: {who} will fail or use it unsafely; init would {}",
                        self.shown(),
                        self.init_would()
                    ),
                    fix: Some(format!("{init_line}; or run it as `tmpguard exec -- CMD`")),
                });
            }
            Inherited::Unset if !self.programs.is_empty() => out.push(Finding {
                code: Code::RuntimeDirUnset,
                severity: Severity::Info,
                message: format!(
                    "XDG_RUNTIME_DIR is not set ({who} need it); init would {}",
                    self.init_would()
                ),
                fix: Some(init_line.to_owned()),
            }),
            _ => {}
        }
        if self.programs.iter().any(|p| p.name == "gpg-agent")
            && self.logind == Some(Err(Invalid::Missing))
        {
            out.push(Finding {
                code: Code::GnupgNoRunUser,
                severity: Severity::Info,
                message: format!(
                    "{} does not exist, so gpg-agent puts its sockets in ~/.gnupg (it ignores XDG_RUNTIME_DIR)",
                    self.logind_path().display()
                ),
                fix: Some(
                    "on NFS homes: ask the administrator for tmpguard's root Prolog option (it makes /run/user/<uid> for jobs), or set GNUPGHOME to a local directory"
                        .into(),
                ),
            });
        }
        out
    }
}
