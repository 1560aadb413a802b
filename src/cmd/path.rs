//! `tmpguard path`: the directory and a newline; silent on stderr when it works,
//! because Tcl modulefiles treat any stderr output as a failure.
//! `--records`: what a modulefile must do, as `records` (never on stderr).

use std::os::unix::ffi::OsStrExt;

use super::{FAILED, OK, emit, say};
use crate::cli::PathArgs;
use crate::config::Settings;
use crate::engine::env::Snapshot;
use crate::engine::failclosed;
use crate::engine::resolve::resolve;
use crate::engine::runtime;
use crate::render::records::{Record, encode};

/// Decide and print the directory.
pub fn run(args: &PathArgs) -> u8 {
    let snap = Snapshot::read();
    let result = resolve(&snap, &args.common.options());
    if args.records {
        let runtime = super::runtime_dir(&args.runtime, &snap);
        return records(&snap, result, runtime.as_ref());
    }
    match result {
        Ok(r) => {
            let mut line = r.dir.as_os_str().as_bytes().to_vec();
            line.push(b'\n');
            if emit(&line) { OK } else { FAILED }
        }
        Err(e) => {
            say(e);
            FAILED
        }
    }
}

/// The variables to set (TMP and TEMP only when they are set, as `init`
/// does), the warnings, or the failure; an unsafe inherited value is
/// replaced with /tmp even on failure.
fn records(
    snap: &Snapshot,
    result: Result<crate::engine::resolve::Resolved, crate::engine::resolve::Failure>,
    runtime: Option<&runtime::Resolved>,
) -> u8 {
    // TMP and TEMP as `init` sets them (the site's `export` rule), and the
    // site's other names: the packaged modulefiles follow the configuration
    // at load, not as it was when they were generated.
    let vars = |value: &[u8], s: &Settings| -> Vec<(String, Vec<u8>)> {
        [
            ("TMPDIR", true),
            ("TMP", s.follows("TMP", snap.tmp.is_some())),
            ("TEMP", s.follows("TEMP", snap.temp.is_some())),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| n)
        .chain(s.extra_exports())
        .map(|n| (n.to_owned(), value.to_vec()))
        .collect()
    };
    let (status, sets, mut out) = match result {
        Ok(r) => {
            let warns = r
                .warnings
                .into_iter()
                .map(|w| Record::Warn(format!("tmpguard: {w}")));
            let sets = vars(r.dir.as_os_str().as_bytes(), &r.settings);
            (OK, sets, warns.collect::<Vec<_>>())
        }
        Err(e) => {
            let replaced = failclosed::unsafe_inherited(&crate::engine::effects::RealFs, snap);
            if replaced.is_empty() {
                let rec = [Record::Error(format!("tmpguard: {e}"))];
                emit(&encode(&rec));
                return FAILED;
            }
            let mut out = vec![Record::Warn(format!("tmpguard: {e}"))];
            out.extend(
                replaced
                    .iter()
                    .map(|r| Record::Warn(format!("tmpguard: {}", failclosed::message(r)))),
            );
            out.extend(replaced.iter().map(|r| Record::Unsafe(r.var)));
            let sets = vars(failclosed::SAFE_DEFAULT.as_bytes(), &Settings::default());
            (FAILED, sets, out)
        }
    };
    let mut all: Vec<Record<'_>> = sets.iter().map(|(n, v)| Record::Set(n, v)).collect();
    all.append(&mut out);
    // XDG_RUNTIME_DIR, decided on its own (issue 18).
    if let Some(r) = runtime {
        match &r.action {
            runtime::Action::Keep => {}
            runtime::Action::Set(p) => {
                all.push(Record::Set(runtime::VAR, p.as_os_str().as_bytes()))
            }
            runtime::Action::Unset => all.push(Record::Unset(runtime::VAR)),
        }
        if r.was_unsafe {
            all.push(Record::Unsafe(runtime::VAR));
        }
        all.extend(
            r.warnings
                .iter()
                .map(|w| Record::Warn(format!("tmpguard: {w}"))),
        );
    }
    if emit(&encode(&all)) { status } else { FAILED }
}
