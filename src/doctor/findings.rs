//! The judgement: what is wrong, how badly, and the command that fixes it.
//!
//! error: temp files would fail or land somewhere unsafe. warning: they would
//! land somewhere unintended or fragile. info: everything else.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::Seen;
use super::{CandidateError, Code, DirState, Finding, Origin, Report, Severity, Tmpdir, World};
use crate::engine::decide::{Choice, Why};
use crate::engine::errno::text as errno_text;
use crate::engine::fsinfo::{SOCKET_PATH_MAX, human_bytes, socket_tools};
use crate::engine::identity::describe_uid;
use crate::engine::privdir::{Kind, Problem, Unsafe};
use crate::engine::resolve::DEFAULT_BASE;
use crate::engine::scheduler::Scheduler;
use crate::render::quote;
use crate::render::shell::{Family, Login, Shell};

/// Below this much free space, temp files are fragile (a warning)...
pub const MIN_FREE_BYTES: u64 = 1 << 30;
/// ...and below this share of the filesystem's space or inodes too.
pub const MIN_FREE_PERCENT: f64 = 5.0;

/// A path for a message: lossy, with control characters escaped so a hostile
/// name cannot break the layout.
pub fn show(p: impl AsRef<OsStr>) -> String {
    crate::render::visible::bytes(p.as_ref().as_bytes())
}

/// The shell the user's fixes are written for, from the shells' registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    login: &'static Login,
    family: Family,
    /// Where the init line goes.
    pub rc: &'static str,
}

impl Setup {
    fn of(pick: impl Fn(&Login) -> bool) -> Setup {
        let (login, family) = Shell::logins()
            .find(|(l, _)| pick(l))
            // bash when unknown
            .unwrap_or((&Shell::Bash.spec().logins[0], Shell::Bash.spec().family));
        Setup {
            login,
            family,
            rc: login.rc,
        }
    }

    /// From a shell's name or path (`$SHELL`); bash when unknown.
    pub fn for_shell(shell: Option<&OsStr>) -> Setup {
        let name = shell
            .and_then(|s| Path::new(s).file_name())
            .map(|n| n.to_string_lossy().into_owned());
        let name = name.as_deref().unwrap_or("bash");
        Setup::of(|l| l.shell_names.contains(&name))
    }

    /// The shell an rc file is written for.
    pub fn for_rc_file(path: &Path) -> Setup {
        let name = path.file_name().unwrap_or_default();
        let setup = Setup::of(|l| {
            l.rc_files
                .iter()
                .any(|f| Path::new(f.path).file_name() == Some(name))
        });
        Setup { rc: "", ..setup }
    }

    /// The name `tmpguard init` takes.
    #[cfg(test)]
    pub fn shell(&self) -> &'static str {
        self.login.name
    }

    /// The line that runs `tmpguard init` in this shell, with `--base` if given.
    pub fn init_line(&self, base: Option<&Path>) -> String {
        let base = base
            .map(|b| format!(" --base {}", self.quote(b.as_os_str())))
            .unwrap_or_default();
        self.family
            .eval_line(&format!("tmpguard init {}{base}", self.login.name))
    }

    /// The line that makes init use `<base>/<name>` even where it would keep
    /// the current `TMPDIR` (a private, usable one: `--base` alone changes
    /// nothing then).
    pub fn init_line_forced(&self, base: &Path) -> String {
        let base = self.quote(base.as_os_str());
        self.family.eval_line(&format!(
            "tmpguard init {} --force --base {base}",
            self.login.name
        ))
    }

    /// `NAME=value` in this shell, where `value` is another variable's value.
    pub fn export_from(&self, name: &str, from: &str) -> String {
        self.family.export_from(name, from)
    }

    /// Point Java's `java.io.tmpdir` at TMPDIR for every JVM started from this shell.
    pub fn java_line(&self) -> String {
        self.family.java_line().to_owned()
    }

    /// A word for a command line: as it is when plain, else quoted.
    fn quote(&self, v: &OsStr) -> String {
        let b = v.as_bytes();
        if !b.is_empty()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(c))
        {
            return show(v);
        }
        let q = if self.family == Family::Fish {
            quote::fish(b)
        } else {
            quote::posix(b)
        };
        show(OsStr::from_bytes(&q))
    }
}

/// Judge the report.
pub fn judge(r: &Report, w: &World) -> Vec<Finding> {
    let mut j = Judge {
        r,
        w,
        setup: Setup::for_shell(w.shell.as_deref()),
        out: Vec::new(),
    };
    j.python();
    j.tmpdir();
    j.tmp_and_temp();
    j.runtimes();
    j.private();
    j.filesystem();
    j.rc_files();
    j.identity();
    j.job();
    j.site();
    j.fuse();
    // XDG_RUNTIME_DIR (issue 18): its own section, judged there.
    let init_line = j.init_line();
    j.out.extend(r.runtime_dir.findings(&init_line));
    let mut out = j.out;
    // Worst first; stable, so each group keeps the order of the sections.
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

struct Judge<'a> {
    r: &'a Report,
    w: &'a World,
    setup: Setup,
    out: Vec<Finding>,
}

fn names(list: &[&str]) -> String {
    match list {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Judge<'_> {
    /// The site configuration: ignored (a warning), or tmpguard switched off.
    fn site(&mut self) {
        use crate::config::{Source, load::PATH};
        if let Source::Ignored(why) = &self.r.site.0 {
            let msg = format!("the site configuration {PATH} is ignored: {why}");
            let fix = Some("tmpguard config check".into());
            self.add(Code::SiteConfigIgnored, Severity::Warning, msg, fix);
        }
        if let Err(why) = &self.r.site.1 {
            let msg = format!("tmpguard init does nothing here: {why}");
            self.add(Code::SiteDisabled, Severity::Info, msg, None);
        }
    }

    /// With `user_allow_other`, another user's FUSE mount can be entered by
    /// everyone: tmpguard refuses it, but a stopped daemon behind it blocks
    /// whoever stats it. Shell starts have a time budget; a prompt hook's
    /// builtin test (stat) cannot, so say it once, for the site.
    fn fuse(&mut self) {
        if self.w.fuse_allow_other {
            let msg = format!(
                "{} has user_allow_other: any user can mount a FUSE filesystem others enter; tmpguard never uses another user's mount, but one whose daemon is stopped, put at your TMPDIR's or XDG_RUNTIME_DIR's name after a cleaner removed it, freezes the prompt hook's check (and any program that looks there) until it is killed; new shells give up after the time budget",
                super::FUSE_CONF
            );
            let fix = Some(format!(
                "remove user_allow_other from {} unless a FUSE tool here needs it (site administrators)",
                super::FUSE_CONF
            ));
            self.add(Code::FuseAllowOther, Severity::Info, msg, fix);
        }
    }

    fn add(&mut self, code: Code, severity: Severity, message: String, fix: Option<String>) {
        self.out.push(Finding {
            code,
            severity,
            message,
            fix,
        });
    }

    /// The init line that fixes things now. A squatted name needs no other
    /// base: init falls back to a private directory beside it.
    fn init_line(&self) -> String {
        self.setup.init_line(self.w.base_flag.as_deref())
    }

    fn tmpdir_abs(&self) -> Option<&Path> {
        self.r.tmpdir.as_ref().and_then(|t| t.abs.as_deref())
    }

    /// What init would do, in words, for a fix's explanation.
    fn init_would(&self) -> Option<String> {
        let p = &self.r.private;
        let dir = show(p.dir.as_ref()?);
        Some(match p.state.as_ref()? {
            DirState::Kept(_) => format!("keeps {dir}"),
            DirState::Missing => format!("creates {dir} (mode 0700) and exports it"),
            DirState::Ready { usable: Ok(()), .. } => format!("exports {dir}"),
            DirState::Ready { usable: Err(_), .. }
            | DirState::Refused(..)
            | DirState::CannotCreate(_) => return None,
        })
    }

    fn python(&mut self) {
        let py = &self.r.python;
        if py.tempdir.is_some() {
            // TEMP or TMP skipped while TMPDIR is unset (an unusable TMPDIR has its own finding).
            if self.r.tmpdir.as_ref().is_none_or(|t| t.raw.is_empty()) {
                for c in &py.candidates {
                    if let (Origin::Env(name @ ("TEMP" | "TMP")), Err(e)) = (c.origin, c.result) {
                        let msg = format!(
                            "{name}={} is not usable ({}): Python skips it",
                            show(&c.dir),
                            errno_text(e.errno())
                        );
                        self.add(
                            Code::TmpVarUnusable,
                            Severity::Warning,
                            msg,
                            Some(self.init_line()),
                        );
                    }
                }
            }
            return;
        }
        if let Some(c) = py
            .candidates
            .iter()
            .find(|c| matches!(c.result, Err(CandidateError::Cwd(_))))
        {
            let msg = format!(
                "Python's tempfile raises: {}={} is relative and the current directory is gone ({})",
                c.origin.label(),
                show(&c.dir),
                errno_text(c.result.unwrap_err().errno())
            );
            self.add(
                Code::PythonNoCwd,
                Severity::Error,
                msg,
                Some(self.init_line()),
            );
            return;
        }
        let failures: Vec<String> = py
            .candidates
            .iter()
            .map(|c| {
                format!(
                    "{} {:?}",
                    show(&c.dir),
                    c.result.map_err(CandidateError::errno).unwrap_err()
                )
            })
            .collect();
        let msg = format!(
            "No usable temporary directory: Python's tempfile raises FileNotFoundError, and other programs fail too ({})",
            failures.join(", ")
        );
        let fix = self
            .r
            .shm_usable
            .then(|| self.setup.init_line(Some(Path::new("/dev/shm"))));
        self.add(Code::NoUsableDir, Severity::Error, msg, fix);
    }

    fn tmpdir(&mut self) {
        let Some(t) = &self.r.tmpdir else {
            let py = self
                .r
                .python
                .tempdir
                .as_deref()
                .map_or_else(|| "/tmp".into(), show);
            let msg = format!(
                "TMPDIR is not set: temp files go to {py}, shared with every user; add `{}` to {}",
                self.init_line(),
                self.setup.rc
            );
            self.add(
                Code::TmpdirUnset,
                Severity::Warning,
                msg,
                Some(self.init_line()),
            );
            return;
        };
        if t.raw.is_empty() {
            let msg = "TMPDIR is set but empty: Python, Go, Node and mktemp use /tmp, Rust and Ruby the current directory".into();
            self.add(
                Code::TmpdirEmpty,
                Severity::Warning,
                msg,
                Some(self.init_line()),
            );
            return;
        }
        let Some(abs) = t.abs.as_deref() else { return };
        if !t.raw.as_bytes().starts_with(b"/") {
            let msg = format!(
                "TMPDIR={} is relative: it means {} here and another directory wherever a program starts",
                show(&t.raw),
                show(abs)
            );
            self.add(
                Code::TmpdirRelative,
                Severity::Warning,
                msg,
                Some(self.init_line()),
            );
        }
        self.tmpdir_unusable(t, abs);
        self.tmpdir_safety(t, abs);
    }

    /// The seed: Python silently moves on, other runtimes fail.
    fn tmpdir_unusable(&mut self, t: &Tmpdir, abs: &Path) {
        let Some(first) = self
            .r
            .python
            .candidates
            .first()
            .filter(|c| c.origin == Origin::Env("TMPDIR"))
        else {
            return;
        };
        let Err(e) = first.result else { return };
        let failing: Vec<&str> = self
            .r
            .runtimes
            .iter()
            .filter(|rt| rt.abs.as_deref() == Some(abs) && matches!(rt.usable, Some(Err(_))))
            .map(|rt| rt.rule.name)
            .collect();
        let mut msg = format!(
            "TMPDIR={} does not work: {}",
            show(&t.raw),
            errno_text(e.errno())
        );
        match &self.r.python.tempdir {
            Some(py) => msg.push_str(&format!("; Python silently uses {} instead", show(py))),
            None => msg.push_str("; Python finds no other directory either"),
        }
        if !failing.is_empty() {
            let (uses, fails) = if failing.len() == 1 {
                ("uses", "fails")
            } else {
                ("use", "fail")
            };
            msg.push_str(&format!(
                "; {} {uses} it anyway and {fails}",
                names(&failing)
            ));
        }
        if let Some(would) = self.init_would() {
            msg.push_str(&format!(". tmpguard init {would}"));
        }
        self.add(
            Code::TmpdirUnusable,
            Severity::Error,
            msg,
            Some(self.init_line()),
        );
    }

    fn tmpdir_safety(&mut self, t: &Tmpdir, abs: &Path) {
        let in_job = self.w.snap.job.is_some();
        let p = show(abs);
        let uid = self.r.uid;
        match &t.found {
            Some(Seen::Dir(st)) => {
                if st.shared_sticky() {
                    let msg = format!(
                        "TMPDIR={p} is shared with every user: names in it can be guessed and taken first"
                    );
                    self.add(
                        Code::TmpdirShared,
                        Severity::Warning,
                        msg,
                        Some(self.init_line()),
                    );
                } else if st.uid != uid && st.uid != 0 {
                    let msg = format!(
                        "TMPDIR={p} belongs to uid {}, not to you: they can read and replace your temp files",
                        describe_uid(st.uid)
                    );
                    self.add(
                        Code::TmpdirForeignOwner,
                        Severity::Error,
                        msg,
                        Some(self.init_line()),
                    );
                } else if st.writable_by_others() && !in_job {
                    let msg = format!(
                        "TMPDIR={p} is writable by group or others (mode {:04o}): they can plant or remove files in it",
                        st.perm()
                    );
                    let fix = if st.uid == uid {
                        format!("chmod 700 {}", self.setup.quote(abs.as_os_str()))
                    } else {
                        self.init_line()
                    };
                    self.add(Code::TmpdirOpen, Severity::Error, msg, Some(fix));
                } else if self.r.python.tempdir.as_deref() == Some(abs) {
                    let whose = if in_job && st.uid != uid {
                        "this job's directory"
                    } else {
                        "private to you"
                    };
                    self.add(
                        Code::TmpdirOk,
                        Severity::Info,
                        format!("TMPDIR={p} is {whose} and usable"),
                        None,
                    );
                }
            }
            Some(Seen::Bad(e)) => match &e.problem {
                Problem::Unsafe(u @ Unsafe::ForeignLink { .. }) => {
                    let msg = format!("TMPDIR={p} {u}: its owner can point it anywhere");
                    self.add(
                        Code::TmpdirForeignLink,
                        Severity::Error,
                        msg,
                        Some(self.init_line()),
                    );
                }
                // A directory on the way others can write, a mount someone else
                // made, a per-process /proc path: the text says the fix.
                Problem::Unsafe(
                    u @ (Unsafe::Ancestor { .. }
                    | Unsafe::ForeignMount { .. }
                    | Unsafe::PerProcess { .. }),
                ) => {
                    let msg = format!("TMPDIR={p} {u}");
                    self.add(
                        Code::TmpdirUnsafePath,
                        Severity::Error,
                        msg,
                        Some(self.init_line()),
                    );
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn tmp_and_temp(&mut self) {
        let Some(tmpdir) = self.tmpdir_abs().map(Path::to_owned) else {
            return;
        };
        for (name, value) in [("TEMP", &self.w.snap.temp), ("TMP", &self.w.snap.tmp)] {
            let Some(v) = value.as_ref().filter(|v| !v.is_empty()) else {
                continue;
            };
            // The current directory as gathered: the judge reads nothing itself.
            let abs = crate::engine::pathnorm::abspath_in(v, self.w.cwd.as_deref());
            if abs.as_deref() != Some(tmpdir.as_path()) {
                let msg = format!(
                    "{name}={} differs from TMPDIR={}: programs that read {name} (R and Ruby when TMPDIR fails, Windows-minded tools) put files elsewhere; tmpguard init sets it to TMPDIR",
                    show(v),
                    show(&tmpdir)
                );
                self.add(
                    Code::TmpVarDiffers,
                    Severity::Warning,
                    msg,
                    Some(self.init_line()),
                );
            }
        }
    }

    fn runtimes(&mut self) {
        let Some(py) = self.r.python.tempdir.clone() else {
            return;
        };
        let tmpdir = self.tmpdir_abs().map(Path::to_owned);
        // Failures in TMPDIR itself are part of the TMPDIR finding.
        let tmpdir_failed = self
            .r
            .python
            .candidates
            .first()
            .is_some_and(|c| c.origin == Origin::Env("TMPDIR") && c.result.is_err());
        let mut failing: Vec<(String, String, Vec<&str>)> = Vec::new();
        let mut elsewhere: Vec<(String, Vec<&str>)> = Vec::new();
        for rt in &self.r.runtimes {
            let name = rt.rule.name;
            match (&rt.pick, &rt.abs, &rt.usable) {
                (None, _, _) => failing.push((
                    "no directory".into(),
                    "it finds no usable directory and raises".into(),
                    vec![name],
                )),
                (Some(_), Some(abs), Some(Err(e))) => {
                    if tmpdir_failed && tmpdir.as_deref() == Some(abs.as_path()) {
                        continue;
                    }
                    let why = errno_text(e.errno);
                    match failing.iter_mut().find(|f| f.0 == show(abs) && f.1 == why) {
                        Some(f) => f.2.push(name),
                        None => failing.push((show(abs), why, vec![name])),
                    }
                }
                (Some(_), Some(abs), Some(Ok(()))) if *abs != py && !rt.rule.ignores_tmpdir => {
                    match elsewhere.iter_mut().find(|e| e.0 == show(abs)) {
                        Some(e) => e.1.push(name),
                        None => elsewhere.push((show(abs), vec![name])),
                    }
                }
                _ => {}
            }
        }
        for (dir, why, who) in failing {
            let msg = if dir == "no directory" {
                format!("{}: {why}", names(&who))
            } else {
                let they = if who.len() == 1 {
                    "it uses"
                } else {
                    "they use"
                };
                format!(
                    "{} would fail: {they} {dir} without checking it ({why})",
                    names(&who)
                )
            };
            self.add(
                Code::RuntimeFails,
                Severity::Error,
                msg,
                Some(self.init_line()),
            );
        }
        for (dir, who) in elsewhere {
            let put = if who.len() == 1 { "puts" } else { "put" };
            let msg = format!(
                "{} {put} temp files in {dir}, Python in {}",
                names(&who),
                show(&py)
            );
            self.add(
                Code::RuntimeElsewhere,
                Severity::Warning,
                msg,
                Some(self.init_line()),
            );
        }
        for rt in self.r.runtimes.iter().filter(|rt| rt.rule.ignores_tmpdir) {
            let Some(abs) = rt.abs.as_ref().filter(|a| **a != py) else {
                continue;
            };
            let (msg, fix) = match rt.rule.name {
                "Java" => (
                    format!("Java ignores TMPDIR: java.io.tmpdir is {}", show(abs)),
                    Some(self.setup.java_line()),
                ),
                name => (
                    format!(
                        "{name} ignores TMPDIR and uses {}; its files have no name, so others cannot open them",
                        show(abs)
                    ),
                    None,
                ),
            };
            self.add(Code::RuntimeIgnoresTmpdir, Severity::Info, msg, fix);
        }
    }

    fn private(&mut self) {
        let p = &self.r.private;
        if let Some(why) = &p.base_refused {
            self.add(
                Code::BaseRefused,
                Severity::Warning,
                format!("tmpguard init would refuse the {why}; it would use /tmp"),
                None,
            );
        }
        if let Some(e) = &p.base_error {
            let msg =
                format!("tmpguard init cannot work here: {e}; ask an administrator to fix /tmp");
            self.add(
                Code::BaseUnusable,
                Severity::Error,
                msg,
                Some(self.setup.init_line(Some(Path::new("/var/tmp")))),
            );
            return;
        }
        let (Some(dir), Some(state)) = (&p.dir, &p.state) else {
            return;
        };
        let d = show(dir);
        let is_tmpdir = self.tmpdir_abs() == Some(dir.as_path());
        match state {
            DirState::Refused(e, _) => {
                let msg = match &e.problem {
                    Problem::Unsafe(u) => {
                        format!("tmpguard init will not use {}: it {u}", show(&e.path))
                    }
                    _ => format!("tmpguard init cannot use {d}: {e}"),
                };
                let fix = format!(
                    "ask an administrator to remove {}; meanwhile: {}",
                    show(&e.path),
                    self.setup.init_line(Some(Path::new("/var/tmp")))
                );
                self.add(Code::PrivateRefused, Severity::Warning, msg, Some(fix));
            }
            DirState::Ready { usable: Err(e), .. } if !is_tmpdir => {
                self.add(
                    Code::PrivateUnusable,
                    Severity::Warning,
                    format!("tmpguard init would fail: {d} is not usable: {e}"),
                    None,
                );
            }
            DirState::Ready {
                stat,
                usable: Ok(()),
            } if stat.perm() != 0o700 => {
                let msg = format!(
                    "tmpguard init would set {d} to mode 0700 (now {:04o})",
                    stat.perm()
                );
                self.add(
                    Code::PrivateMode,
                    Severity::Info,
                    msg,
                    Some(self.init_line()),
                );
            }
            DirState::CannotCreate(e) if self.r.python.tempdir.is_some() => {
                let msg = format!(
                    "tmpguard init would fail: it cannot create {d}: {}",
                    errno_text(*e)
                );
                self.add(Code::PrivateCannotCreate, Severity::Warning, msg, None);
            }
            _ => {}
        }
        if let Some(decision) = &p.decision {
            if let (Choice::Target | Choice::TargetIn(_), Why::Replaced(r)) =
                (&decision.choice, &decision.why)
            {
                let old = self
                    .r
                    .tmpdir
                    .as_ref()
                    .map(|t| show(&t.raw))
                    .unwrap_or_default();
                self.add(
                    Code::TmpdirReplaced,
                    Severity::Info,
                    format!("tmpguard init would replace TMPDIR={old}: it {r}"),
                    None,
                );
            }
        }
    }

    fn filesystem(&mut self) {
        let Some(fs) = &self.r.fs else { return };
        let Ok(info) = &fs.info else { return };
        if !fs.is_python_dir {
            return;
        }
        let d = show(&fs.dir);
        let bigger = format!(
            "{}  # BIGGER_DIR: a directory on a larger filesystem",
            self.setup.init_line_forced(Path::new("BIGGER_DIR"))
        );
        if info.size > 0 && (info.avail < MIN_FREE_BYTES || info.avail_percent() < MIN_FREE_PERCENT)
        {
            let msg = format!(
                "Only {} free ({:.0}%) on the filesystem under {d}: large temp files (builds, downloads, sorts) may fail with ENOSPC",
                human_bytes(info.avail),
                info.avail_percent()
            );
            self.add(Code::LowSpace, Severity::Warning, msg, Some(bigger.clone()));
        }
        if let Some(pct) = info.inodes_percent().filter(|p| *p < MIN_FREE_PERCENT) {
            let msg = format!(
                "Only {pct:.1}% of inodes free on the filesystem under {d}: creating files may fail with ENOSPC"
            );
            self.add(Code::LowInodes, Severity::Warning, msg, Some(bigger));
        }
        if info.noexec {
            let msg = format!(
                "{d} is on a noexec mount: builds that run scripts or load libraries from the temp directory (pip, conda, pyenv, R packages) fail"
            );
            let fix = format!(
                "{}  # EXEC_DIR: a directory on a filesystem without noexec",
                self.setup.init_line_forced(Path::new("EXEC_DIR"))
            );
            self.add(Code::Noexec, Severity::Warning, msg, Some(fix));
        }
        let tools = socket_tools();
        let failing: Vec<String> = tools
            .iter()
            .filter(|t| !t.fits(&fs.dir))
            .map(|t| format!("{} ({}: up to {} bytes)", t.name, t.what, t.max_dir()))
            .collect();
        if !failing.is_empty() {
            let len = fs.dir.as_os_str().len();
            // `/tmp/<name>` helps only when the tools fit there.
            let short = Path::new(DEFAULT_BASE).join(&self.r.private.ident.name);
            let helps = short != fs.dir && tools.iter().all(|t| t.fits(&short));
            let msg = format!(
                "{d} is {len} bytes long: Unix sockets under it pass the {SOCKET_PATH_MAX}-byte limit for {}",
                names(&failing.iter().map(String::as_str).collect::<Vec<_>>())
            );
            match helps {
                true => self.add(
                    Code::SocketPathLong,
                    Severity::Warning,
                    msg,
                    Some(self.setup.init_line_forced(Path::new(DEFAULT_BASE))),
                ),
                // Nothing shorter to move to: say so, as an info.
                false => self.add(
                    Code::SocketPathLong,
                    Severity::Info,
                    format!("{msg}; no shorter private directory can be had here"),
                    None,
                ),
            }
        }
        if info.is_network() {
            let t = info.fstype.as_deref().unwrap_or_default();
            let msg = format!(
                "{d} is on {t}, a network filesystem: slower than local disk, and sockets and locks may misbehave"
            );
            self.add(Code::NetworkFs, Severity::Info, msg, None);
        }
    }

    fn rc_files(&mut self) {
        for hit in &self.r.rc.assignments {
            let msg = format!(
                "{}:{} sets TMPDIR unconditionally (`{}`): in a batch job started with `bash -l` it replaces the job's own directory",
                show(&hit.path),
                hit.line,
                show(&hit.text)
            );
            let fix = format!(
                "replace that line with: {}",
                Setup::for_rc_file(&hit.path).init_line(self.w.base_flag.as_deref())
            );
            self.add(Code::RcSetsTmpdir, Severity::Warning, msg, Some(fix));
        }
        match self.r.rc.tmpguard.first() {
            Some(hit) => {
                self.add(
                    Code::RcRunsTmpguard,
                    Severity::Info,
                    format!(
                        "tmpguard already runs from {}:{}",
                        show(&hit.path),
                        hit.line
                    ),
                    None,
                );
            }
            None => {
                let msg = format!(
                    "tmpguard init is not in your start-up files; add it to {}",
                    self.setup.rc
                );
                let line = self.setup.init_line(self.w.base_flag.as_deref());
                self.add(Code::RcNoTmpguard, Severity::Info, msg, Some(line));
            }
        }
    }

    fn identity(&mut self) {
        let p = &self.r.private;
        let name = &p.ident.name;
        match (&self.r.user, &p.passwd_name) {
            (None, _) => self.add(
                Code::UserUnset,
                Severity::Info,
                format!("$USER is not set: tmpguard uses the name {name}"),
                None,
            ),
            (Some(u), Some(pw)) if u.as_bytes() != pw.as_bytes() => {
                let msg = format!(
                    "$USER={} but you are uid {} ({pw}), as after `su` without `-`: tmpguard uses the name {name}",
                    show(u),
                    self.r.uid
                );
                self.add(Code::UserMismatch, Severity::Info, msg, None);
            }
            _ => {}
        }
        if let Some(e) = &p.passwd_error {
            let msg =
                format!("{e}: tmpguard cannot confirm your name, and init fails until it answers");
            self.add(Code::PasswdNoAnswer, Severity::Error, msg, None);
        } else if p.passwd_name.is_none() {
            self.add(
                Code::NoPasswdEntry,
                Severity::Info,
                format!(
                    "uid {} has no passwd entry: tmpguard uses the name {name}",
                    self.r.uid
                ),
                None,
            );
        }
    }

    fn job(&mut self) {
        let job = &self.r.job;
        let Some(Scheduler {
            name: scheduler,
            marker,
            ..
        }) = job.scheduler
        else {
            return;
        };
        let id = job
            .vars
            .iter()
            .find(|v| v.0 == *marker)
            .map(|v| show(&v.1))
            .unwrap_or_default();
        let tmpdir = match &self.r.tmpdir {
            Some(t) => format!("TMPDIR={}", show(&t.raw)),
            None => "TMPDIR (unset)".into(),
        };
        match (job.tmpdir_is_job_dir, &job.job_dir) {
            (Some(true), _) => {
                self.add(
                    Code::JobDirOk,
                    Severity::Info,
                    format!("Inside {scheduler} job {id}: {tmpdir} is the job's own directory"),
                    None,
                );
            }
            (Some(false), Some((var, dir))) => {
                let msg = format!(
                    "Inside {scheduler} job {id}, {tmpdir} is not the job's directory {} ({var}): a start-up file probably replaced it",
                    show(dir)
                );
                self.add(
                    Code::JobDirReplaced,
                    Severity::Warning,
                    msg,
                    Some(self.setup.export_from("TMPDIR", var)),
                );
            }
            _ => {
                let msg = format!(
                    "Inside {scheduler} job {id}: no variable names the job's own directory, so doctor cannot tell whether TMPDIR is it"
                );
                self.add(Code::JobDirUnknown, Severity::Info, msg, None);
            }
        }
    }
}

/// The kind of object, for the private-directory section.
pub fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Dir => "directory",
        Kind::Symlink => "symlink",
        Kind::File => "regular file",
        Kind::Fifo => "FIFO",
        Kind::Socket => "socket",
        Kind::CharDevice => "character device",
        Kind::BlockDevice => "block device",
        Kind::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_lines_per_shell() {
        let s = |n: &str| Setup::for_shell(Some(OsStr::new(n)));
        assert_eq!(
            s("/bin/bash").init_line(None),
            r#"eval "$(tmpguard init bash)""#
        );
        assert_eq!(
            s("/usr/bin/fish").init_line(None),
            "tmpguard init fish | source"
        );
        assert_eq!(s("tcsh").init_line(None), "eval \"`tmpguard init tcsh`\"");
        assert_eq!(
            s("elvish").init_line(None),
            "eval (try { tmpguard init elvish } catch { } | slurp)"
        );
        assert_eq!(
            s("zsh").init_line(Some(Path::new("/scratch/a b"))),
            r#"eval "$(tmpguard init zsh --base '/scratch/a b')""#
        );
        assert_eq!(Setup::for_shell(None).rc, "~/.bashrc");
        assert_eq!(Setup::for_rc_file(Path::new("/h/.zshenv")).shell(), "zsh");
        assert_eq!(Setup::for_rc_file(Path::new("/h/.kshrc")).shell(), "ksh");
        assert_eq!(Setup::for_rc_file(Path::new("/h/.profile")).shell(), "sh");
        assert_eq!(s("mksh").init_line(None), r#"eval "$(tmpguard init ksh)""#);
        assert_eq!(s("mksh").rc, "~/.kshrc");
        assert_eq!(s("/bin/unknown").rc, "~/.bashrc");
        assert_eq!(
            s("xonsh").init_line(None),
            "with ${...}.swap(RAISE_SUBPROC_ERROR=False): execx($(tmpguard init xonsh))"
        );
    }

    #[test]
    fn export_lines() {
        let s = |n: &str| Setup::for_shell(Some(OsStr::new(n)));
        assert_eq!(
            s("bash").export_from("TMPDIR", "SLURM_TMPDIR"),
            r#"export TMPDIR="$SLURM_TMPDIR""#
        );
        assert_eq!(
            s("fish").export_from("TMPDIR", "SLURM_TMPDIR"),
            "set -gx TMPDIR $SLURM_TMPDIR"
        );
    }

    #[test]
    fn show_escapes_controls() {
        assert_eq!(show("/tmp/a\nb"), "/tmp/a\\x0ab");
        assert_eq!(show(OsStr::from_bytes(b"/tmp/\xff")), "/tmp/\u{fffd}");
    }

    #[test]
    fn names_join() {
        assert_eq!(names(&["Rust"]), "Rust");
        assert_eq!(names(&["Rust", "Go", "Node"]), "Rust, Go and Node");
    }
}
