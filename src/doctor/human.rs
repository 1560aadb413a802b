//! The report for a person at a terminal: problems first, then short aligned
//! sections, then notes. Colour only when asked (a terminal, no `NO_COLOR`).

use std::fmt::Write;

use super::findings::{MIN_FREE_PERCENT, kind_word, show};
use super::{DirState, Finding, Report, Severity, source_words};
use crate::engine::errno::text as errno_text;
use crate::engine::fsinfo::{SOCKET_PATH_MAX, human_bytes, human_count, socket_tools};
use crate::engine::identity::describe_uid;
use crate::engine::scheduler::Scheduler;
use crate::render::visible::text as visible;

/// Lines are wrapped to this many columns.
const WIDTH: usize = 80;
/// Keys of the sections are padded to this many columns (then one space).
const KEY: usize = 12;

/// Colours, or none.
#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn heading(self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn severity(self, sev: Severity) -> String {
        let (code, label) = match sev {
            Severity::Error => ("1;31", "error  "),
            Severity::Warning => ("1;33", "warning"),
            Severity::Info => ("36", "info   "),
        };
        self.wrap(code, label)
    }
    fn bad(self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn good(self, s: &str) -> String {
        self.wrap("32", s)
    }
}

/// Render the report; `color` adds ANSI colours. Names uids from the report
/// (no passwd lookup).
pub fn render(r: &Report, color: bool) -> String {
    crate::engine::identity::with_names(&r.names, || render_report(r, color))
}

fn render_report(r: &Report, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let summary = match (errors, warnings) {
        (0, 0) => p.good("no problems found"),
        (e, 0) => p.bad(&plural(e, "error")),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", p.bad(&plural(e, "error")), plural(w, "warning")),
    };
    let _ = writeln!(out, "{} {summary}", p.heading("tmpguard doctor:"));
    let problems: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    if !problems.is_empty() {
        out.push('\n');
        for f in problems {
            finding(&mut out, p, f);
        }
    }
    identity(&mut out, p, r);
    python(&mut out, p, r);
    runtimes(&mut out, p, r);
    private(&mut out, p, r);
    filesystem(&mut out, p, r);
    rc_files(&mut out, p, r);
    site(&mut out, p, r);
    job(&mut out, p, r);
    section(&mut out, p, "Runtime directory (XDG_RUNTIME_DIR)");
    for (key, value) in r.runtime_dir.rows() {
        row(&mut out, key, value);
    }
    let notes: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    if !notes.is_empty() {
        section(&mut out, p, "Notes");
        for f in notes {
            finding(&mut out, p, f);
        }
    }
    out
}

fn finding(out: &mut String, p: Paint, f: &Finding) {
    let indent = " ".repeat(11);
    // Findings quote paths and mount names others choose: no control
    // character may reach the terminal (nor a newline forge a line).
    let lines = wrap(&visible(&f.message), WIDTH - indent.len());
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "  {}  {line}", p.severity(f.severity));
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "{indent}{} {}", p.good("fix:"), visible(fix));
    }
}

/// Break `text` at spaces into lines of at most `width` characters (longer words stay whole).
/// Widest a padded column gets: a longer value (a 128 KiB TMPDIR) just
/// overflows its row. `format!` panics on a width above 65,535.
const MAX_COLUMN: usize = 60;

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

fn site(out: &mut String, p: Paint, r: &Report) {
    use crate::config::{Source, load::PATH};
    section(out, p, "Site configuration");
    let file = match &r.site.0 {
        Source::Absent => format!("{PATH} (none: built-in defaults)"),
        Source::Read => format!("{PATH} (read)"),
        Source::Ignored(why) => format!("{PATH} (ignored: {why})"),
    };
    row(out, "file", file);
    let on = match &r.site.1 {
        Ok(()) => "on".to_owned(),
        Err(why) => format!("off: {why}"),
    };
    row(out, "tmpguard", on);
}

fn section(out: &mut String, p: Paint, title: &str) {
    let _ = writeln!(out, "\n{}", p.heading(title));
}

fn row(out: &mut String, key: &str, value: impl AsRef<str>) {
    let mut lines = value.as_ref().lines();
    let _ = writeln!(out, "  {key:<KEY$} {}", lines.next().unwrap_or_default());
    for line in lines {
        let _ = writeln!(out, "  {:<KEY$} {line}", "");
    }
}

fn identity(out: &mut String, p: Paint, r: &Report) {
    section(out, p, "Identity");
    let pv = &r.private;
    row(out, "uid", describe_uid(r.uid));
    let user = match (&r.user, &pv.passwd_name) {
        (None, _) => "(unset)".to_owned(),
        (Some(u), Some(pw)) if u.as_encoded_bytes() == pw.as_bytes() => {
            format!("{} (matches passwd)", show(u))
        }
        (Some(u), Some(pw)) => format!("{} (passwd says {pw})", show(u)),
        (Some(u), None) if pv.passwd_error.is_some() => {
            format!("{} (passwd did not answer)", show(u))
        }
        (Some(u), None) => format!("{} (no passwd entry for uid {})", show(u), r.uid),
    };
    row(out, "$USER", user);
    let name = match (&pv.passwd_error, pv.ident.source) {
        (Some(_), crate::engine::identity::Source::Uid) => {
            "none: the passwd lookup did not answer".to_owned()
        }
        _ => format!("{} (from {})", pv.ident.name, source_words(pv.ident.source)),
    };
    row(out, "name", name);
}

fn python(out: &mut String, p: Paint, r: &Report) {
    section(out, p, "Python (tempfile.gettempdir)");
    for (name, v) in &r.vars {
        let value = match v {
            None => "(unset)".to_owned(),
            Some(v) if v.is_empty() => "(empty: skipped)".to_owned(),
            Some(v) => show(v),
        };
        row(out, name, value);
    }
    let width = r
        .python
        .candidates
        .iter()
        .map(|c| show(&c.dir).chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_COLUMN);
    let mut tries = String::new();
    for c in &r.python.candidates {
        let result = match c.result {
            Ok(()) => p.good("usable"),
            Err(e) => p.bad(&errno_text(e.errno())),
        };
        let _ = writeln!(
            tries,
            "{:<width$}  {:<8} {result}",
            show(&c.dir),
            c.origin.label()
        );
    }
    row(out, "tries", tries);
    match &r.python.tempdir {
        Some(d) => row(out, "result", show(d)),
        None => row(out, "result", p.bad("none usable: FileNotFoundError")),
    }
}

fn runtimes(out: &mut String, p: Paint, r: &Report) {
    section(out, p, "Other runtimes");
    let shown: Vec<String> = r
        .runtimes
        .iter()
        .map(|rt| {
            rt.pick.as_ref().map_or_else(
                || "-".into(),
                |pk| {
                    if pk.dir.is_empty() {
                        "\"\" (cwd)".into()
                    } else {
                        show(&pk.dir)
                    }
                },
            )
        })
        .collect();
    let width = shown
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_COLUMN);
    for (rt, dir) in r.runtimes.iter().zip(shown) {
        let from = rt.pick.as_ref().map_or(String::new(), |pk| pk.from.clone());
        let mut verdict = match (&rt.usable, &rt.abs) {
            (None, _) => p.bad("raises: no usable directory"),
            (Some(Err(e)), _) => p.bad(&format!("fails: {}", errno_text(e.errno))),
            (Some(Ok(())), Some(abs)) if Some(abs) == r.python.tempdir.as_ref() => {
                "same as Python".into()
            }
            (Some(Ok(())), _) => "differs from Python".into(),
        };
        if rt.rule.ignores_tmpdir {
            verdict = format!("ignores TMPDIR; {verdict}");
        }
        row(
            out,
            rt.rule.name,
            format!("{dir:<width$}  {from:<10} {verdict}"),
        );
    }
}

fn private(out: &mut String, p: Paint, r: &Report) {
    section(out, p, "Private directory (what tmpguard init would do)");
    let pv = &r.private;
    let how = if pv.configured {
        "--base or TMPGUARD_BASE"
    } else {
        "default"
    };
    row(out, "base", format!("{} ({how})", show(&pv.base)));
    if let Some(why) = &pv.base_refused {
        row(out, "", p.bad(&visible(&format!("refused: {why}"))));
    }
    if let Some(dir) = &pv.dir {
        row(out, "directory", show(dir));
    }
    let described = |st: &crate::engine::privdir::Stat| {
        format!(
            "{}, owner {}, mode {:04o}",
            kind_word(st.kind()),
            describe_uid(st.uid),
            st.perm()
        )
    };
    let state = match &pv.state {
        Some(DirState::Kept(st)) | Some(DirState::Ready { stat: st, .. }) => described(st),
        // A mount someone else made reports what it likes: say what it is instead.
        Some(DirState::Refused(e, Some(st)))
            if !matches!(
                e.problem,
                crate::engine::privdir::Problem::Unsafe(
                    crate::engine::privdir::Unsafe::ForeignMount { .. }
                )
            ) =>
        {
            described(st)
        }
        Some(DirState::Refused(e, _)) => visible(&e.to_string()).into_owned(),
        Some(DirState::Missing) | Some(DirState::CannotCreate(_)) => "does not exist".into(),
        None => "-".into(),
    };
    row(out, "state", state);
    let (safe, why) = pv.verdict();
    let verdict = match safe {
        Some(true) => format!("{}: {}", p.good("safe"), visible(&why)),
        Some(false) => format!("{}: {}", p.bad("unsafe"), visible(&why)),
        None => visible(&why).into_owned(),
    };
    row(out, "verdict", verdict);
    row(out, "init would", visible(&pv.init_would()));
}

fn filesystem(out: &mut String, p: Paint, r: &Report) {
    let Some(fs) = &r.fs else { return };
    let what = if fs.is_python_dir {
        ""
    } else {
        " (Python has no directory; this is where TMPDIR or /tmp is)"
    };
    section(out, p, &format!("Filesystem under {}{what}", show(&fs.dir)));
    let info = match &fs.info {
        Ok(info) => info,
        Err(e) => {
            row(out, "error", p.bad(&errno_text(*e)));
            return;
        }
    };
    let mount = match (&info.mount_point, &info.source) {
        (Some(m), Some(s)) => format!(" ({} mounted on {})", visible(s), show(m)),
        _ => String::new(),
    };
    row(
        out,
        "type",
        format!(
            "{}{mount}",
            visible(info.fstype.as_deref().unwrap_or("unknown"))
        ),
    );
    let space = format!(
        "{} free of {} ({:.0}%)",
        human_bytes(info.avail),
        human_bytes(info.size),
        info.avail_percent()
    );
    let low = info.size > 0
        && (info.avail < super::findings::MIN_FREE_BYTES
            || info.avail_percent() < MIN_FREE_PERCENT);
    row(out, "space", if low { p.bad(&space) } else { space });
    match info.inodes_percent() {
        Some(pct) => {
            let s = format!(
                "{} free of {} ({pct:.0}%)",
                human_count(info.inodes_avail),
                human_count(info.inodes)
            );
            row(
                out,
                "inodes",
                if pct < MIN_FREE_PERCENT { p.bad(&s) } else { s },
            );
        }
        None => row(out, "inodes", "not counted by this filesystem"),
    }
    let flags = [
        if info.read_only {
            p.bad("read-only")
        } else {
            "read-write".into()
        },
        if info.noexec {
            p.bad("noexec")
        } else {
            "exec".into()
        },
        if info.nosuid {
            "nosuid".into()
        } else {
            "suid".into()
        },
    ];
    row(out, "mount", flags.join(", "));
    let len = fs.dir.as_os_str().len();
    let tools = socket_tools();
    let failing: Vec<String> = tools
        .iter()
        .filter(|t| !t.fits(&fs.dir))
        .map(|t| format!("{}: up to {} bytes", t.name, t.max_dir()))
        .collect();
    let all: Vec<&str> = tools.iter().map(|t| t.name).collect();
    row(
        out,
        "sockets",
        match failing.is_empty() {
            true => format!("{len} bytes: fits each tool's socket ({})", all.join(", ")),
            false => p.bad(&format!(
                "{len} bytes: too long for {SOCKET_PATH_MAX}-byte socket paths of\n{}",
                failing.join("\n")
            )),
        },
    );
}

fn rc_files(out: &mut String, p: Paint, r: &Report) {
    section(out, p, "Start-up files");
    let read: Vec<String> = r.rc.read.iter().map(show).collect();
    row(
        out,
        "read",
        if read.is_empty() {
            "none found".into()
        } else {
            read.join("\n")
        },
    );
    if !r.rc.skipped.is_empty() {
        let skipped: Vec<String> =
            r.rc.skipped
                .iter()
                .map(|(f, why)| format!("{}: {why}", show(f)))
                .collect();
        row(out, "not read", skipped.join("\n"));
    }
    let hits = |list: &[crate::doctor::rcfiles::Hit]| {
        list.iter()
            .map(|h| format!("{}:{}  {}", show(&h.path), h.line, show(&h.text)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if r.rc.assignments.is_empty() {
        row(out, "TMPDIR set", "not unconditionally");
    } else {
        row(out, "TMPDIR set", p.bad(&hits(&r.rc.assignments)));
    }
    row(
        out,
        "tmpguard",
        if r.rc.tmpguard.is_empty() {
            "not found".into()
        } else {
            hits(&r.rc.tmpguard)
        },
    );
}

fn job(out: &mut String, p: Paint, r: &Report) {
    section(out, p, "Batch job");
    let job = &r.job;
    let Some(Scheduler {
        name: scheduler,
        marker,
        ..
    }) = job.scheduler
    else {
        row(out, "job", "none (no scheduler variables set)");
        return;
    };
    row(out, "scheduler", format!("{scheduler} ({marker})"));
    for (name, value) in &job.vars {
        row(out, name, show(value));
    }
    let verdict = match job.tmpdir_is_job_dir {
        Some(true) => p.good("is the job's directory"),
        Some(false) => p.bad("is not the job's directory"),
        None => "cannot tell".into(),
    };
    row(out, "TMPDIR", verdict);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("averylongword x", 5), ["averylongword", "x"]);
    }
}
