//! Where other runtimes would put temp files, each by its own rules
//! (`shared/reference/runtimes.md`). Pure: filesystem checks come in through [`Checks`].

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The variables the runtimes read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vars<'a> {
    pub tmpdir: Option<&'a OsStr>,
    pub tmp: Option<&'a OsStr>,
    pub temp: Option<&'a OsStr>,
    /// `JAVA_TOOL_OPTIONS`, `JDK_JAVA_OPTIONS`, `_JAVA_OPTIONS`, in the order the JVM applies them.
    pub java: &'a [(&'static str, OsString)],
}

/// The few filesystem questions runtimes ask before choosing.
pub trait Checks {
    /// A directory, and `access(W_OK)` allows writing (R).
    fn dir_access_writable(&self, p: &Path) -> bool;
    /// A directory whose mode bits let this user write (Perl's `-d && -w`).
    fn dir_mode_writable(&self, p: &Path) -> bool;
    /// Ruby's test: a writable directory, not world-writable without the sticky bit.
    fn ruby_accepts(&self, p: &Path) -> bool;
}

/// What a runtime picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The directory as the runtime spells it (may be empty or relative).
    pub dir: OsString,
    /// Where it came from: a variable, an option, or the built-in fallback.
    pub from: String,
}

/// One runtime's rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    /// TMPDIR has no effect on it.
    pub ignores_tmpdir: bool,
    /// Checks it makes before using the directory, in words.
    pub checks: &'static str,
    /// The choice; `None` when it gives up (raises).
    pub pick: fn(&Vars<'_>, &dyn Checks) -> Option<Pick>,
}

fn pick(dir: impl Into<OsString>, from: &str) -> Option<Pick> {
    Some(Pick {
        dir: dir.into(),
        from: from.into(),
    })
}

/// TMPDIR when set and not empty, else /tmp, unchecked (Go, coreutils mktemp).
fn tmpdir_or_tmp(v: &Vars<'_>) -> Option<Pick> {
    match nonempty(v.tmpdir) {
        Some(t) => pick(t, "TMPDIR"),
        None => pick("/tmp", "default"),
    }
}

fn nonempty(v: Option<&OsStr>) -> Option<&OsStr> {
    v.filter(|v| !v.is_empty())
}

/// The first of TMPDIR, TMP, TEMP (in that order) that is set, not empty and
/// passes `accepts` (R and Ruby skip a variable whose directory they reject).
fn first_accepted(v: &Vars<'_>, accepts: impl Fn(&Path) -> bool) -> Option<Pick> {
    ["TMPDIR", "TMP", "TEMP"].into_iter().find_map(|name| {
        first_var(v, &[name])
            .filter(|(_, dir)| accepts(Path::new(dir)))
            .and_then(|(_, dir)| pick(dir, name))
    })
}

/// The first of TMPDIR, TMP, TEMP (in that order) that is set and not empty.
fn first_var<'a>(v: &Vars<'a>, names: &[&'static str]) -> Option<(&'static str, &'a OsStr)> {
    names.iter().find_map(|&n| {
        let val = match n {
            "TMPDIR" => v.tmpdir,
            "TMP" => v.tmp,
            _ => v.temp,
        };
        nonempty(val).map(|val| (n, val))
    })
}

/// The rules, in the order `doctor` shows them.
pub const RULES: &[Rule] = &[
    Rule {
        name: "Rust",
        ignores_tmpdir: false,
        checks: "none",
        // std::env::temp_dir: TMPDIR as set, even empty (an empty path means the current directory).
        pick: |v, _| match v.tmpdir {
            Some(t) => pick(t, "TMPDIR"),
            None => pick("/tmp", "default"),
        },
    },
    Rule {
        name: "Go",
        ignores_tmpdir: false,
        checks: "none",
        pick: |v, _| tmpdir_or_tmp(v),
    },
    Rule {
        name: "Node",
        ignores_tmpdir: false,
        checks: "none",
        // TMPDIR || TMP || TEMP || '/tmp', then one trailing '/' dropped.
        pick: |v, _| {
            let (from, dir) =
                first_var(v, &["TMPDIR", "TMP", "TEMP"]).unwrap_or(("default", OsStr::new("/tmp")));
            let b = dir.as_bytes();
            let dir = if b.len() > 1 && b.ends_with(b"/") {
                OsStr::from_bytes(&b[..b.len() - 1])
            } else {
                dir
            };
            pick(dir, from)
        },
    },
    Rule {
        name: "mktemp",
        ignores_tmpdir: false,
        checks: "none",
        pick: |v, _| tmpdir_or_tmp(v),
    },
    Rule {
        name: "R",
        ignores_tmpdir: false,
        checks: "a writable directory",
        pick: |v, c| {
            first_accepted(v, |d| c.dir_access_writable(d)).or_else(|| pick("/tmp", "default"))
        },
    },
    Rule {
        name: "Perl",
        ignores_tmpdir: false,
        checks: "a writable directory",
        // File::Spec->tmpdir: TMPDIR, /tmp, then the current directory.
        pick: |v, c| {
            if let Some(t) = nonempty(v.tmpdir).filter(|t| c.dir_mode_writable(Path::new(t))) {
                return pick(t, "TMPDIR");
            }
            if c.dir_mode_writable(Path::new("/tmp")) {
                return pick("/tmp", "default");
            }
            pick(".", "current directory")
        },
    },
    Rule {
        name: "Ruby",
        ignores_tmpdir: false,
        checks: "a writable directory, sticky if world-writable",
        // Dir.tmpdir: TMPDIR, TMP, TEMP, the system tmpdir (/tmp), /tmp, "."; raises if none.
        // A set but empty variable is not skipped: File.expand_path("") is the
        // current directory, taken if it passes (Ruby 3.1, Debian 12).
        pick: |v, c| {
            for (name, val) in [("TMPDIR", v.tmpdir), ("TMP", v.tmp), ("TEMP", v.temp)] {
                let Some(val) = val else { continue };
                let dir = if val.is_empty() { OsStr::new(".") } else { val };
                if c.ruby_accepts(Path::new(dir)) {
                    return pick(val, name);
                }
            }
            if c.ruby_accepts(Path::new("/tmp")) {
                return pick("/tmp", "default");
            }
            if c.ruby_accepts(Path::new(".")) {
                return pick(".", "current directory");
            }
            None
        },
    },
    Rule {
        name: "Java",
        ignores_tmpdir: true,
        checks: "none",
        // java.io.tmpdir: /tmp on Linux unless -Djava.io.tmpdir= is given; the last one applied wins.
        pick: |v, _| {
            let mut found = None;
            for (var, opts) in v.java {
                for word in opts.as_bytes().split(|b| b.is_ascii_whitespace()) {
                    if let Some(dir) = word.strip_prefix(b"-Djava.io.tmpdir=") {
                        found = pick(
                            OsStr::from_bytes(dir),
                            &format!("-Djava.io.tmpdir in {var}"),
                        );
                    }
                }
            }
            found.or_else(|| pick("/tmp", "default"))
        },
    },
    Rule {
        name: "tmpfile()",
        ignores_tmpdir: true,
        checks: "none",
        // glibc tmpfile() and tmpnam(): P_tmpdir, whatever TMPDIR says.
        pick: |_, _| pick("/tmp", "P_tmpdir"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Directories that exist: (path, writable by mode, writable by access, ruby accepts).
    struct Fake(&'static [(&'static str, bool, bool, bool)]);
    impl Checks for Fake {
        fn dir_access_writable(&self, p: &Path) -> bool {
            self.0.iter().any(|d| Path::new(d.0) == p && d.2)
        }
        fn dir_mode_writable(&self, p: &Path) -> bool {
            self.0.iter().any(|d| Path::new(d.0) == p && d.1)
        }
        fn ruby_accepts(&self, p: &Path) -> bool {
            self.0.iter().any(|d| Path::new(d.0) == p && d.3)
        }
    }

    fn run(name: &str, v: &Vars<'_>, fs: &Fake) -> Option<(String, String)> {
        let rule = RULES.iter().find(|r| r.name == name).unwrap();
        (rule.pick)(v, fs).map(|p| (p.dir.to_string_lossy().into_owned(), p.from))
    }
    fn s(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.into(), b.into()))
    }

    #[test]
    fn empty_tmpdir() {
        let v = Vars {
            tmpdir: Some(OsStr::new("")),
            ..Vars::default()
        };
        let fs = Fake(&[("/tmp", true, true, true)]);
        assert_eq!(run("Rust", &v, &fs), s("", "TMPDIR"));
        for name in ["Go", "Node", "mktemp", "R", "Perl", "Ruby"] {
            assert_eq!(run(name, &v, &fs), s("/tmp", "default"), "{name}");
        }
    }

    #[test]
    fn missing_tmpdir_is_used_blindly_or_skipped() {
        let v = Vars {
            tmpdir: Some(OsStr::new("/tmp/alice/")),
            ..Vars::default()
        };
        let fs = Fake(&[("/tmp", true, true, true)]);
        assert_eq!(run("Go", &v, &fs), s("/tmp/alice/", "TMPDIR"));
        assert_eq!(run("Node", &v, &fs), s("/tmp/alice", "TMPDIR"));
        assert_eq!(run("R", &v, &fs), s("/tmp", "default"));
        assert_eq!(run("Perl", &v, &fs), s("/tmp", "default"));
    }

    #[test]
    fn tmp_and_temp_order() {
        let v = Vars {
            tmp: Some(OsStr::new("/a")),
            temp: Some(OsStr::new("/b")),
            ..Vars::default()
        };
        let fs = Fake(&[
            ("/a", true, false, false),
            ("/b", true, true, true),
            ("/tmp", true, true, true),
        ]);
        assert_eq!(run("Node", &v, &fs), s("/a", "TMP"));
        assert_eq!(run("R", &v, &fs), s("/b", "TEMP"));
        assert_eq!(run("Ruby", &v, &fs), s("/b", "TEMP"));
        assert_eq!(run("Go", &v, &fs), s("/tmp", "default"));
    }

    #[test]
    fn nothing_writable() {
        let fs = Fake(&[]);
        assert_eq!(
            run("Perl", &Vars::default(), &fs),
            s(".", "current directory")
        );
        assert_eq!(run("Ruby", &Vars::default(), &fs), None);
    }

    #[test]
    fn java_options_last_wins() {
        let java = [
            (
                "JAVA_TOOL_OPTIONS",
                OsString::from("-Xmx1g -Djava.io.tmpdir=/a"),
            ),
            ("_JAVA_OPTIONS", OsString::from("-Djava.io.tmpdir=/b")),
        ];
        let v = Vars {
            tmpdir: Some(OsStr::new("/t")),
            java: &java,
            ..Vars::default()
        };
        assert_eq!(
            run("Java", &v, &Fake(&[])),
            s("/b", "-Djava.io.tmpdir in _JAVA_OPTIONS")
        );
        assert_eq!(
            run("Java", &Vars::default(), &Fake(&[])),
            s("/tmp", "default")
        );
    }
}
