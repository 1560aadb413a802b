//! The site configuration file, `/etc/tmpguard/tmpguard.toml`: read (and
//! trusted) in `load`, parsed and validated in `parse`, node classes matched
//! in `hosts`; here, the effective settings and where each came from.
//!
//! Precedence, highest first: a command-line flag, the environment
//! (`TMPGUARD_BASE`), the last matching `[[node]]` section, the file's top
//! level, the built-in defaults. Only `base` and `hook` can be set by a
//! user at all; `user_override = false` makes a user's base a warning. The
//! site-only keys (`enable`, `pilot`, `user_override`, `trust`, `jobs`,
//! `runtime_dir`) have no flag or variable.

pub mod hosts;
pub mod load;
pub mod parse;
pub mod pilot;
pub mod toml;
pub mod values;

use std::borrow::Cow;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use parse::{File, Keys, Pilot};
pub use values::NameTemplate;

use crate::engine::ancestry::Trust;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    /// The file's top level, at this line.
    File(usize),
    /// A `[[node]]` section matching this host: its `match`, the line of the key.
    Node(&'static str, usize),
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag.
    Flag(&'static str),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(line) => write!(f, "{}:{line}", load::PATH),
            Origin::Node(m, line) => write!(f, "{}:{line} [[node]] match = {m:?}", load::PATH),
            Origin::Env(v) => write!(f, "environment {v}"),
            Origin::Flag(v) => write!(f, "flag {v}"),
        }
    }
}

/// A setting and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V<T> {
    pub value: T,
    pub origin: Origin,
}

fn default<T>(value: T) -> V<T> {
    V {
        value,
        origin: Origin::Default,
    }
}

/// What was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Source {
    /// No file: built-in defaults.
    #[default]
    Absent,
    /// The file was read and is in effect.
    Read,
    /// The file is there but ignored as a whole: why.
    Ignored(String),
}

/// The site's configuration as loaded for this process.
#[derive(Debug, Clone)]
pub struct Site {
    pub source: Source,
    /// Never freed: it lives until the process ends (moments after, at a
    /// shell start). Freeing its lists and paths one by one only cost
    /// instructions (about 3,000 for a typical file), and being `'static`
    /// the settings borrow its lists instead of copying each.
    pub file: &'static File,
    /// The short host name the node sections were matched on (`None` when
    /// the file has none: then no `uname` is made).
    pub host: Option<String>,
}

/// The file when there is none (or it is ignored): no allocation.
static NO_FILE: File = File::EMPTY;

impl Default for Site {
    fn default() -> Self {
        Site {
            source: Source::Absent,
            file: &NO_FILE,
            host: None,
        }
    }
}

/// A parsed file kept for the rest of the process (see [`Site::file`]).
pub fn keep(file: File) -> &'static File {
    Box::leak(Box::new(file))
}

impl Site {
    /// Read the system file (one failed `open` when there is none). A file
    /// that is untrusted or invalid is ignored, said on stderr by the caller
    /// (see [`Site::warning`]) and in the system log by [`Site::log_ignored`].
    pub fn load() -> Site {
        let mut buf = load::buf();
        let (source, file) = match load::read_trusted(&mut buf) {
            Ok(None) => (Source::Absent, &NO_FILE),
            Ok(Some(text)) => match parse::parse(&text) {
                Ok(file) => (Source::Read, keep(file)),
                Err(issues) => {
                    let first = &issues[0];
                    let more = match issues.len() {
                        1 => String::new(),
                        n => format!(" (and {} more)", n - 1),
                    };
                    (
                        Source::Ignored(format!(
                            "line {}: {}{more}; check it with `tmpguard config check`",
                            first.line, first.msg
                        )),
                        &NO_FILE,
                    )
                }
            },
            Err(why) => (Source::Ignored(why.0), &NO_FILE),
        };
        let host = (!file.nodes.is_empty()).then(short_hostname);
        Site { source, file, host }
    }

    /// Write the system-log line for an ignored file (nothing otherwise).
    /// The caller decides when: once per session, not at every process
    /// start (see `engine::resolve::resolve`).
    pub fn log_ignored(&self) {
        if let Source::Ignored(why) = &self.source {
            crate::engine::syslog::warn(&format!("ignoring {}: {why}", load::PATH));
        }
    }

    /// The one line to print when the file is ignored.
    pub fn warning(&self) -> Option<String> {
        match &self.source {
            Source::Ignored(why) => Some(format!(
                "ignoring the site configuration {}: {why}",
                load::PATH
            )),
            _ => None,
        }
    }
}

impl Site {
    /// Whether the site has tmpguard on for `uid` (`enable`, `pilot`); `Err`
    /// says why not. The pilot list needs NSS; without one, no lookup.
    pub fn active(&self, uid: u32) -> Result<(), String> {
        if self.source != Source::Read {
            return Ok(());
        }
        // Only these two keys: no whole settings built on the fast path.
        let mut enable = (true, Origin::Default);
        let mut pilot = None;
        let mut timeout = None;
        for (keys, node) in sections(self.file, self.host.as_deref()) {
            let origin = |line| match node {
                None => Origin::File(line),
                Some(m) => Origin::Node(m, line),
            };
            if let Some(e) = &keys.enable {
                enable = (e.value, origin(e.line));
            }
            if let Some(p) = &keys.pilot {
                pilot = Some((&p.value, origin(p.line)));
            }
            if let Some(t) = &keys.timeout {
                timeout = Some(t.value);
            }
        }
        // The pilot list's lookups wait as long as the site said (red team 8:
        // they always took the default 2 s).
        if pilot.is_some() {
            crate::engine::hang::set_budget(timeout);
        }
        if !enable.0 {
            return Err(format!(
                "switched off by the site (enable = false, {})",
                enable.1
            ));
        }
        match pilot {
            Some((list, origin)) if !pilot::includes(list, uid) => Err(format!(
                "not switched on for you: you are not in the site's pilot list ({origin})"
            )),
            _ => Ok(()),
        }
    }
}

impl Site {
    /// Whether the runtime-directory feature is on (`runtime_dir`, default
    /// true). Like [`Site::active`], only this key is looked at: no whole
    /// settings built on the fast path. Site only: a user can turn it off
    /// (`--no-runtime-dir`), never back on.
    pub fn runtime_dir(&self) -> bool {
        if self.source != Source::Read {
            return true;
        }
        sections(self.file, self.host.as_deref())
            .filter_map(|(keys, _)| keys.runtime_dir.as_ref())
            .last()
            .is_none_or(|at| at.value)
    }
}

/// This host's short name, from `uname` (no DNS, no NSS).
pub fn short_hostname() -> String {
    nix::sys::utsname::uname()
        .map(|u| hosts::short(&u.nodename().to_string_lossy()).to_owned())
        .unwrap_or_default()
}

/// What a user asked for, which may override the site's base and hook.
#[derive(Debug, Clone, Copy, Default)]
pub struct User<'a> {
    /// `--base`.
    pub base_flag: Option<&'a Path>,
    /// `$TMPGUARD_BASE` (empty means unset).
    pub base_env: Option<&'a OsStr>,
    /// `--no-hook`.
    pub no_hook: bool,
}

/// The effective settings on one host for one invocation. The lists are
/// borrowed from the site's file (which lives as long as the process), not
/// copied: a copy of each cost an allocation at every shell start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub enable: V<bool>,
    pub pilot: V<Option<&'static [Pilot]>>,
    /// The site's ordered candidate bases (the default: `/tmp`).
    pub base: V<Cow<'static, [PathBuf]>>,
    /// A user's base (`--base`, `TMPGUARD_BASE`), when the site allows it.
    pub user_base: Option<V<PathBuf>>,
    pub min_free: V<Option<u64>>,
    pub name: V<Cow<'static, NameTemplate>>,
    /// Variables set besides TMPDIR.
    pub export: V<Cow<'static, [String]>>,
    /// `TMP`/`TEMP` (when in `export`) are set even when they were not before.
    pub export_always: V<bool>,
    pub hook: V<bool>,
    pub user_override: V<bool>,
    pub timeout: V<Option<Duration>>,
    pub jobs: V<bool>,
    pub runtime_dir: V<bool>,
    pub trust_owners: V<&'static [u32]>,
    pub trust_dirs: V<&'static [PathBuf]>,
    /// Things to tell the user (a base the site does not let them set).
    pub warnings: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enable: default(true),
            pilot: default(None),
            base: default(Cow::Owned(vec![PathBuf::from(
                crate::engine::resolve::DEFAULT_BASE,
            )])),
            user_base: None,
            min_free: default(None),
            name: default(Cow::Owned(NameTemplate::default())),
            export: default(Cow::Owned(vec!["TMP".into(), "TEMP".into()])),
            export_always: default(false),
            hook: default(true),
            user_override: default(true),
            timeout: default(None),
            jobs: default(false),
            runtime_dir: default(true),
            trust_owners: default(&[]),
            trust_dirs: default(&[]),
            warnings: Vec::new(),
        }
    }
}

impl Settings {
    /// The site set the base list (then TMPDIR in a shared directory does not
    /// become the base, as with `--base`).
    pub fn site_base(&self) -> bool {
        self.base.origin != Origin::Default
    }

    /// `TMP` / `TEMP` follow TMPDIR: listed in `export`, and set before or `export_always`.
    pub fn follows(&self, name: &str, was_set: bool) -> bool {
        self.export.value.iter().any(|n| n == name) && (was_set || self.export_always.value)
    }

    /// Names in `export` other than TMP and TEMP: always set.
    pub fn extra_exports(&self) -> impl Iterator<Item = &str> {
        self.export
            .value
            .iter()
            .map(String::as_str)
            .filter(|n| *n != "TMP" && *n != "TEMP")
    }

    /// `path` lies in one of the site's bases (or the user's allowed base).
    pub fn in_bases(&self, path: &Path) -> bool {
        self.base
            .value
            .iter()
            .chain(self.user_base.as_ref().map(|b| &b.value))
            .any(|b| path.starts_with(b) && path != b)
    }
}

/// Apply one section's keys over `s`.
fn apply(s: &mut Settings, k: &'static Keys, origin: impl Fn(usize) -> Origin) {
    fn set<T: 'static, U>(
        dst: &mut V<U>,
        src: &'static Option<parse::At<T>>,
        origin: &dyn Fn(usize) -> Origin,
        f: impl Fn(&'static T) -> U,
    ) {
        if let Some(at) = src {
            *dst = V {
                value: f(&at.value),
                origin: origin(at.line),
            };
        }
    }
    let o = &origin;
    set(&mut s.enable, &k.enable, o, |v| *v);
    set(&mut s.pilot, &k.pilot, o, |v| Some(v.as_slice()));
    set(&mut s.base, &k.base, o, |v| Cow::Borrowed(v.as_slice()));
    set(&mut s.min_free, &k.min_free, o, |v| Some(*v));
    set(&mut s.name, &k.name, o, Cow::Borrowed);
    set(&mut s.export, &k.export, o, |v| Cow::Borrowed(v.as_slice()));
    set(&mut s.export_always, &k.export_always, o, |v| *v);
    set(&mut s.hook, &k.hook, o, |v| *v);
    set(&mut s.user_override, &k.user_override, o, |v| *v);
    set(&mut s.timeout, &k.timeout, o, |v| Some(*v));
    set(&mut s.jobs, &k.jobs, o, |v| *v);
    set(&mut s.runtime_dir, &k.runtime_dir, o, |v| *v);
    set(&mut s.trust_owners, &k.trust_owners, o, |v| v.as_slice());
    set(&mut s.trust_dirs, &k.trust_dirs, o, |v| v.as_slice());
}

/// The sections that apply on `host`, in order of precedence (lowest first):
/// the top level, then each matching `[[node]]` (with its `match`).
fn sections<'f, 'h>(
    file: &'f File,
    host: Option<&'h str>,
) -> impl Iterator<Item = (&'f Keys, Option<&'f str>)> + use<'f, 'h> {
    std::iter::once((&file.keys, None)).chain(
        file.nodes
            .iter()
            .filter(move |n| host.is_some_and(|h| n.patterns.iter().any(|p| p.matches(h))))
            .map(|n| (&n.keys, Some(n.text.as_str()))),
    )
}

/// The effective settings: defaults, the file, matching node sections (in
/// file order, a later one winning), then what the user gave, if allowed.
pub fn settings(file: &'static File, host: Option<&str>, user: &User<'_>) -> Settings {
    let mut s = Settings::default();
    for (keys, node) in sections(file, host) {
        apply(&mut s, keys, |line| match node {
            None => Origin::File(line),
            Some(m) => Origin::Node(m, line),
        });
    }
    let given = match (user.base_flag, user.base_env.filter(|v| !v.is_empty())) {
        (Some(flag), _) => Some(V {
            value: flag.to_owned(),
            origin: Origin::Flag("--base"),
        }),
        (None, Some(env)) => Some(V {
            value: PathBuf::from(env),
            origin: Origin::Env("TMPGUARD_BASE"),
        }),
        (None, None) => None,
    };
    match given {
        Some(b) if !s.user_override.value => s.warnings.push(format!(
            "{} {} ignored: the site sets the base (user_override = false)",
            match b.origin {
                Origin::Flag(_) => "--base",
                _ => "TMPGUARD_BASE",
            },
            b.value.display()
        )),
        other => s.user_base = other,
    }
    if user.no_hook {
        s.hook = V {
            value: false,
            origin: Origin::Flag("--no-hook"),
        };
    }
    s
}

impl Site {
    /// The effective settings for this process.
    pub fn settings(&self, user: &User<'_>) -> Settings {
        settings(self.file, self.host.as_deref(), user)
    }
}

impl Settings {
    /// The `[trust]` keys as the ancestor rule (`engine::ancestry`) takes them.
    /// Site-only: no flag or variable reaches them.
    pub fn trust(&self) -> Trust<'static> {
        Trust {
            owners: self.trust_owners.value,
            dirs: self.trust_dirs.value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> &'static File {
        keep(parse::parse(text).unwrap())
    }

    const CONF: &str = "base = [\"/site\", \"/tmp\"]\nname = \"%U\"\n\
        [[node]]\nmatch = \"gpu[001-064]\"\nbase = [\"/nvme\"]\n\
        [[node]]\nmatch = \"gpu06*\"\nname = \"x%u\"\n";

    #[test]
    fn precedence_flag_env_node_file_default() {
        let f = file(CONF);
        let s = settings(f, Some("login1"), &User::default());
        assert_eq!(s.base.value, vec![PathBuf::from("/site"), "/tmp".into()]);
        assert_eq!(s.base.origin, Origin::File(1));
        assert_eq!(s.export.origin, Origin::Default);
        let s = settings(f, Some("gpu063"), &User::default());
        assert_eq!(s.base.value, vec![PathBuf::from("/nvme")]);
        assert_eq!(s.base.origin, Origin::Node("gpu[001-064]", 5));
        // Both sections match: the later one's name wins, the base stays the first's.
        assert_eq!(s.name.value.as_str(), "x%u");
        let env = OsStr::new("/env");
        let s = settings(
            f,
            Some("gpu001"),
            &User {
                base_env: Some(env),
                ..Default::default()
            },
        );
        assert_eq!(s.user_base.unwrap().origin, Origin::Env("TMPGUARD_BASE"));
        let s = settings(
            f,
            None,
            &User {
                base_env: Some(env),
                base_flag: Some(Path::new("/flag")),
                no_hook: true,
            },
        );
        assert_eq!(s.user_base.unwrap().value, PathBuf::from("/flag"));
        assert_eq!(s.hook.origin, Origin::Flag("--no-hook"));
    }

    #[test]
    fn user_override_false_turns_a_users_base_into_a_warning() {
        let f = file("user_override = false\nbase = [\"/site\"]\n");
        let s = settings(
            f,
            None,
            &User {
                base_flag: Some(Path::new("/mine")),
                ..Default::default()
            },
        );
        assert_eq!(s.user_base, None);
        assert_eq!(s.warnings.len(), 1);
        assert!(
            s.warnings[0].contains("--base /mine ignored"),
            "{:?}",
            s.warnings
        );
        assert!(s.in_bases(Path::new("/site/alice")));
        assert!(!s.in_bases(Path::new("/home/alice/tmp")));
        assert!(!s.in_bases(Path::new("/site")));
    }

    #[test]
    fn site_only_keys_have_no_user_source() {
        let f = file("enable = false\n[trust]\nowners = [990]\n");
        let s = settings(
            f,
            None,
            &User {
                base_env: Some(OsStr::new("/x")),
                base_flag: Some(Path::new("/y")),
                no_hook: true,
            },
        );
        assert!(!s.enable.value);
        assert_eq!(s.trust().owners, [990]);
    }

    #[test]
    fn tmp_and_temp_follow_by_the_export_rule() {
        let s = Settings::default();
        assert!(s.follows("TMP", true) && !s.follows("TMP", false));
        assert_eq!(s.extra_exports().count(), 0);
        let f = file("export = [\"TEMP\", \"SCRATCH_TMPDIR\"]\nexport_always = true\n");
        let s = settings(f, None, &User::default());
        assert!(!s.follows("TMP", true));
        assert!(s.follows("TEMP", false));
        assert_eq!(
            s.extra_exports().collect::<Vec<_>>(),
            vec!["SCRATCH_TMPDIR"]
        );
    }
}
