//! The report as one JSON object (schema 1, documented in the README).
//!
//! Paths and variable values that are not UTF-8 are written lossily (U+FFFD);
//! `lossy` at the top says some were, and `dir_lossy` / `tempdir_lossy` flag
//! the fields scripts compare against.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use serde::Serialize;

use crate::engine::errno;

use super::findings::kind_word;
use super::{CandidateError, DirState, Report, source_words};

/// The schema version; bump on an incompatible change.
pub const SCHEMA: u32 = 1;

#[derive(Serialize)]
struct Doc {
    schema: u32,
    lossy: bool,
    exit_code: u8,
    identity: Identity,
    env: Env,
    python: Python,
    runtimes: Vec<Runtime>,
    private_dir: Private,
    filesystem: Option<Filesystem>,
    rc_files: RcFiles,
    job: Job,
    runtime_dir: RuntimeDir,
    site_config: SiteConfig,
    findings: Vec<Finding>,
}

/// `XDG_RUNTIME_DIR` (issue 18).
#[derive(Serialize)]
struct RuntimeDir {
    value: Option<String>,
    /// `unset`, `valid` or `invalid`.
    state: &'static str,
    reason: Option<String>,
    init_would: String,
    /// Programs found here that need it.
    needed_by: Vec<&'static str>,
}

/// The site configuration file, and whether init is on for this user.
#[derive(Serialize)]
struct SiteConfig {
    file: &'static str,
    /// "read", "absent" or "ignored".
    source: &'static str,
    ignored_because: Option<String>,
    enabled: bool,
    disabled_because: Option<String>,
}

#[derive(Serialize)]
struct Identity {
    uid: u32,
    passwd_name: Option<String>,
    passwd_error: Option<String>,
    user_env: Option<String>,
    user_matches: bool,
    /// The name of the private directory, and where it came from.
    name: String,
    name_source: &'static str,
}

#[derive(Serialize)]
struct Env {
    #[serde(rename = "TMPDIR")]
    tmpdir: Option<String>,
    #[serde(rename = "TEMP")]
    temp: Option<String>,
    #[serde(rename = "TMP")]
    tmp: Option<String>,
}

#[derive(Serialize)]
struct Python {
    tempdir: Option<String>,
    tempdir_lossy: bool,
    candidates: Vec<Candidate>,
}

#[derive(Serialize)]
struct Candidate {
    source: &'static str,
    dir: String,
    dir_lossy: bool,
    usable: bool,
    error: Option<String>,
    error_text: Option<String>,
}

#[derive(Serialize)]
struct Runtime {
    name: &'static str,
    dir: Option<String>,
    from: Option<String>,
    ignores_tmpdir: bool,
    checks: &'static str,
    usable: bool,
    error: Option<String>,
    same_as_python: bool,
}

#[derive(Serialize)]
struct Private {
    base: String,
    base_configured: bool,
    dir: Option<String>,
    exists: bool,
    kind: Option<&'static str>,
    owner: Option<u32>,
    mode: Option<String>,
    safe: Option<bool>,
    verdict: String,
    init_would: String,
}

#[derive(Serialize)]
struct Filesystem {
    dir: String,
    is_python_dir: bool,
    error: Option<String>,
    #[serde(rename = "type")]
    fstype: Option<String>,
    mount_point: Option<String>,
    source: Option<String>,
    size_bytes: Option<u64>,
    free_bytes: Option<u64>,
    inodes: Option<u64>,
    free_inodes: Option<u64>,
    read_only: Option<bool>,
    noexec: Option<bool>,
    nosuid: Option<bool>,
    socket_path_ok: bool,
}

#[derive(Serialize)]
struct RcFiles {
    read: Vec<String>,
    tmpdir_assignments: Vec<Hit>,
    tmpguard: Vec<Hit>,
}

#[derive(Serialize)]
struct Hit {
    file: String,
    line: usize,
    text: String,
}

#[derive(Serialize)]
struct Job {
    scheduler: Option<&'static str>,
    vars: BTreeMap<&'static str, String>,
    tmpdir_is_job_dir: Option<bool>,
}

#[derive(Serialize)]
struct Finding {
    code: &'static str,
    severity: &'static str,
    message: String,
    fix: Option<String>,
}

/// Lossy conversion that remembers whether anything was lost.
#[derive(Default)]
struct Text(Cell<bool>);

impl Text {
    fn of(&self, v: impl AsRef<OsStr>) -> String {
        self.flagged(v).0
    }
    fn flagged(&self, v: impl AsRef<OsStr>) -> (String, bool) {
        let bytes = v.as_ref().as_bytes();
        let lossy = std::str::from_utf8(bytes).is_err();
        self.0.set(self.0.get() || lossy);
        (String::from_utf8_lossy(bytes).into_owned(), lossy)
    }
}

/// Render the report as pretty-printed JSON, with a final newline. Names
/// uids from the report (no passwd lookup).
pub fn render(r: &Report) -> String {
    crate::engine::identity::with_names(&r.names, || render_report(r))
}

fn render_report(r: &Report) -> String {
    let t = Text::default();
    let pv = &r.private;
    let identity = Identity {
        uid: r.uid,
        passwd_name: pv.passwd_name.clone(),
        passwd_error: pv.passwd_error.clone(),
        user_env: r.user.as_ref().map(|u| t.of(u)),
        user_matches: matches!((&r.user, &pv.passwd_name), (Some(u), Some(p)) if u.as_bytes() == p.as_bytes()),
        name: pv.ident.name.clone(),
        name_source: source_words(pv.ident.source),
    };
    let var = |i: usize| r.vars[i].1.as_ref().map(|v| t.of(v));
    let env = Env {
        tmpdir: var(0),
        temp: var(1),
        tmp: var(2),
    };
    let (tempdir, tempdir_lossy) = match &r.python.tempdir {
        Some(d) => {
            let (s, l) = t.flagged(d);
            (Some(s), l)
        }
        None => (None, false),
    };
    let candidates = r
        .python
        .candidates
        .iter()
        .map(|c| {
            let (dir, dir_lossy) = t.flagged(&c.dir);
            let err = c.result.err().map(CandidateError::errno);
            Candidate {
                source: c.origin.label(),
                dir,
                dir_lossy,
                usable: c.result.is_ok(),
                error: err.map(errno::name),
                error_text: err.map(errno::words),
            }
        })
        .collect();
    let runtimes = r
        .runtimes
        .iter()
        .map(|rt| Runtime {
            name: rt.rule.name,
            dir: rt.pick.as_ref().map(|p| t.of(&p.dir)),
            from: rt.pick.as_ref().map(|p| p.from.clone()),
            ignores_tmpdir: rt.rule.ignores_tmpdir,
            checks: rt.rule.checks,
            usable: matches!(rt.usable, Some(Ok(()))),
            error: match rt.usable {
                Some(Err(e)) => Some(errno::name(e.errno)),
                // It raises (dir is null): no errno to name.
                None | Some(Ok(())) => None,
            },
            same_as_python: rt.abs.is_some()
                && rt.abs == r.python.tempdir
                && matches!(rt.usable, Some(Ok(()))),
        })
        .collect();
    let stat = match &pv.state {
        Some(DirState::Kept(st)) | Some(DirState::Ready { stat: st, .. }) => Some(*st),
        Some(DirState::Refused(_, st)) => *st,
        _ => None,
    };
    let (safe, verdict) = pv.verdict();
    let private_dir = Private {
        base: t.of(&pv.base),
        base_configured: pv.configured,
        dir: pv.dir.as_ref().map(|d| t.of(d)),
        exists: stat.is_some(),
        kind: stat.map(|s| kind_word(s.kind())),
        owner: stat.map(|s| s.uid),
        mode: stat.map(|s| format!("{:04o}", s.perm())),
        safe,
        verdict,
        init_would: pv.init_would(),
    };
    let filesystem = r.fs.as_ref().map(|fs| {
        let info = fs.info.as_ref().ok();
        Filesystem {
            dir: t.of(&fs.dir),
            is_python_dir: fs.is_python_dir,
            error: fs.info.as_ref().err().map(|e| errno::name(*e)),
            fstype: info.and_then(|i| i.fstype.clone()),
            mount_point: info.and_then(|i| i.mount_point.as_ref().map(|m| t.of(m))),
            source: info.and_then(|i| i.source.clone()),
            size_bytes: info.map(|i| i.size),
            free_bytes: info.map(|i| i.avail),
            inodes: info.map(|i| i.inodes),
            free_inodes: info.map(|i| i.inodes_avail),
            read_only: info.map(|i| i.read_only),
            noexec: info.map(|i| i.noexec),
            nosuid: info.map(|i| i.nosuid),
            socket_path_ok: crate::engine::fsinfo::socket_room(&fs.dir),
        }
    });
    let hits = |list: &[crate::doctor::rcfiles::Hit]| {
        list.iter()
            .map(|h| Hit {
                file: t.of(&h.path),
                line: h.line,
                text: h.text.clone(),
            })
            .collect()
    };
    let rc_files = RcFiles {
        read: r.rc.read.iter().map(|p| t.of(p)).collect(),
        tmpdir_assignments: hits(&r.rc.assignments),
        tmpguard: hits(&r.rc.tmpguard),
    };
    let job = Job {
        scheduler: r.job.scheduler.map(|s| s.name),
        vars: r.job.vars.iter().map(|(k, v)| (*k, t.of(v))).collect(),
        tmpdir_is_job_dir: r.job.tmpdir_is_job_dir,
    };
    let findings = r
        .findings
        .iter()
        .map(|f| Finding {
            code: f.code.as_str(),
            severity: f.severity.as_str(),
            message: f.message.clone(),
            fix: f.fix.clone(),
        })
        .collect();
    let doc = Doc {
        schema: SCHEMA,
        lossy: false,
        exit_code: r.exit_code(),
        identity,
        env,
        python: Python {
            tempdir,
            tempdir_lossy,
            candidates,
        },
        runtimes,
        private_dir,
        filesystem,
        rc_files,
        job,
        runtime_dir: {
            use crate::engine::runtime::Inherited;
            let d = &r.runtime_dir;
            let (state, reason) = match &d.verdict {
                Inherited::Unset => ("unset", None),
                Inherited::Valid => ("valid", None),
                Inherited::Invalid(why) => ("invalid", Some(why.to_string())),
            };
            RuntimeDir {
                value: d.value.as_ref().map(|v| t.of(v)),
                state,
                reason,
                init_would: d.init_would(),
                needed_by: d.programs.iter().map(|p| p.name).collect(),
            }
        },
        site_config: {
            use crate::config::Source;
            let (source, ignored_because) = match &r.site.0 {
                Source::Absent => ("absent", None),
                Source::Read => ("read", None),
                Source::Ignored(w) => ("ignored", Some(w.clone())),
            };
            SiteConfig {
                file: crate::config::load::PATH,
                source,
                ignored_because,
                enabled: r.site.1.is_ok(),
                disabled_because: r.site.1.clone().err(),
            }
        },
        findings,
    };
    let doc = Doc {
        lossy: t.0.get(),
        ..doc
    };
    let s = serde_json::to_string_pretty(&doc).expect("plain data always serializes");
    // serde_json escapes C0 controls only: DEL, C1 controls and bidi
    // overrides (from hostile paths or mount names) become `\uXXXX` too, so
    // the text is as safe on a terminal as the human report; same values.
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if crate::render::visible::is_hostile(c) && c != '\n' {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}
