//! `tmpguard config check [FILE]` and `tmpguard config show [--host NAME] [--json]`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::{FAILED, OK, emit, say};
use crate::cli::{ConfigAction, ConfigArgs};
use crate::config::{self, Origin, Settings, Site, Source, V, hosts, load, parse};

pub fn run(args: &ConfigArgs) -> u8 {
    match args.action {
        ConfigAction::Check if args.host.is_some() || args.json => {
            say("config check takes only a FILE (--host and --json are for config show)");
            2
        }
        ConfigAction::Check => check(args.file.as_deref()),
        ConfigAction::Show if args.file.is_some() => {
            say("config show reads only the site's file; check another with config check FILE");
            2
        }
        ConfigAction::Show => show(args.host.as_deref(), args.json),
    }
}

/// Like `sshd -t`: every problem as `FILE:LINE: message` on stderr, exit 1.
fn check(file: Option<&Path>) -> u8 {
    let mut buf = load::buf();
    let (path, text) = match file {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => (p, std::borrow::Cow::Owned(t)),
            Err(e) => {
                say(format_args!("cannot read {}: {e}", p.display()));
                return FAILED;
            }
        },
        // The site's own file: its permissions are checked too.
        None => match load::read_trusted(&mut buf) {
            Ok(Some(t)) => (Path::new(load::PATH), t),
            Ok(None) => {
                say(format_args!(
                    "{} does not exist: the built-in defaults apply",
                    load::PATH
                ));
                return OK;
            }
            Err(why) => {
                say(format_args!(
                    "{}: not trusted, ignored: {}",
                    load::PATH,
                    why.0
                ));
                return FAILED;
            }
        },
    };
    match parse::parse(&text) {
        Ok(_) => {
            say(format_args!("{}: OK", path.display()));
            OK
        }
        Err(issues) => {
            for i in issues {
                say(format_args!("{}:{}: {}", path.display(), i.line, i.msg));
            }
            FAILED
        }
    }
}

/// The effective settings, one per line with its origin, or as JSON.
fn show(host: Option<&str>, as_json: bool) -> u8 {
    let site = Site::load();
    let host = host
        .map(|h| hosts::short(h).to_owned())
        .unwrap_or_else(config::short_hostname);
    let env = std::env::var_os("TMPGUARD_BASE");
    let s = config::settings(
        site.file,
        Some(&host),
        &config::User {
            base_env: env.as_deref(),
            ..Default::default()
        },
    );
    let rows = rows(&s);
    let (source, why) = match &site.source {
        Source::Absent => ("absent", None),
        Source::Read => ("read", None),
        Source::Ignored(w) => ("ignored", Some(w.as_str())),
    };
    let text = if as_json {
        let settings: serde_json::Map<String, Value> = rows
            .iter()
            .map(|(k, v, o)| (k.to_string(), json!({"value": v, "origin": origin_json(o)})))
            .collect();
        let mut out = json!({
            "file": load::PATH,
            "source": source,
            "ignored_because": why,
            "host": host,
            "settings": settings,
            "warnings": s.warnings,
        })
        .to_string();
        out.push('\n');
        out
    } else {
        let mut out = String::new();
        let _ = match why {
            Some(w) => writeln!(out, "# {} is ignored: {w}", load::PATH),
            None => writeln!(out, "# {}: {source}", load::PATH),
        };
        let _ = writeln!(out, "# host: {host}");
        for (k, v, o) in &rows {
            let _ = writeln!(out, "{k} = {v}  # {o}");
        }
        for w in &s.warnings {
            let _ = writeln!(out, "# {w}");
        }
        out
    };
    if emit(text.as_bytes()) { OK } else { FAILED }
}

fn origin_json(o: &Origin) -> Value {
    match o {
        Origin::Default => json!({"kind": "default"}),
        Origin::File(line) => json!({"kind": "file", "file": load::PATH, "line": line}),
        Origin::Node(m, line) => {
            json!({"kind": "node", "file": load::PATH, "line": line, "match": m})
        }
        Origin::Env(v) => json!({"kind": "environment", "name": v}),
        Origin::Flag(f) => json!({"kind": "flag", "name": f}),
    }
}

/// Each key, its value (as TOML-ish JSON) and origin.
fn rows(s: &Settings) -> Vec<(&'static str, Value, Origin)> {
    fn row<T>(k: &'static str, v: &V<T>, f: impl Fn(&T) -> Value) -> (&'static str, Value, Origin) {
        (k, f(&v.value), v.origin.clone())
    }
    fn paths(p: &[std::path::PathBuf]) -> Value {
        p.iter().map(|p| p.display().to_string()).collect()
    }
    let mut out = vec![
        row("enable", &s.enable, |v| json!(v)),
        row("pilot", &s.pilot, |v| match v {
            None => Value::Null,
            Some(list) => list
                .iter()
                .map(|p| match p {
                    config::Pilot::User(u) => u.clone(),
                    config::Pilot::Group(g) => format!("@{g}"),
                })
                .collect(),
        }),
        row("base", &s.base, |p| paths(p)),
        row("min_free", &s.min_free, |v| json!(v)),
        row("name", &s.name, |v| json!(v.as_str())),
        row("export", &s.export, |v| json!(v)),
        row("export_always", &s.export_always, |v| json!(v)),
        row("hook", &s.hook, |v| json!(v)),
        row("user_override", &s.user_override, |v| json!(v)),
        row("timeout", &s.timeout, |v| match v {
            Some(d) => json!(format!("{}ms", d.as_millis())),
            None => Value::Null,
        }),
        row("jobs", &s.jobs, |v| json!(v)),
        row("runtime_dir", &s.runtime_dir, |v| json!(v)),
        row("trust.owners", &s.trust_owners, |v| json!(v)),
        row("trust.dirs", &s.trust_dirs, |p| paths(p)),
    ];
    if let Some(b) = &s.user_base {
        out.insert(3, row("user_base", b, |p| json!(p.display().to_string())));
    }
    out
}
