//! `tmpguard path`: the directory and a newline; silent on stderr when it works,
//! because Tcl modulefiles treat any stderr output as a failure.
//! `--records`: what a modulefile must do, as `records` (never on stderr).

use std::os::unix::ffi::OsStrExt;

use super::{FAILED, OK, emit, say};
use crate::cli::PathArgs;
use crate::engine::env::Snapshot;
use crate::engine::failclosed;
use crate::engine::resolve::resolve;
use crate::render::records::{Record, encode};

/// Decide and print the directory.
pub fn run(args: &PathArgs) -> u8 {
    let snap = Snapshot::read();
    let result = resolve(&snap, &args.common.options());
    if args.records {
        return records(&snap, result);
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
) -> u8 {
    let vars = |value: &[u8]| -> Vec<(&'static str, Vec<u8>)> {
        [
            ("TMPDIR", true),
            ("TMP", snap.tmp.is_some()),
            ("TEMP", snap.temp.is_some()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| (n, value.to_vec()))
        .collect()
    };
    let (status, sets, mut out) = match result {
        Ok(r) => {
            let warns = r
                .warnings
                .into_iter()
                .map(|w| Record::Warn(format!("tmpguard: {w}")));
            (
                OK,
                vars(r.dir.as_os_str().as_bytes()),
                warns.collect::<Vec<_>>(),
            )
        }
        Err(e) => {
            let replaced = failclosed::unsafe_inherited(snap);
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
            (FAILED, vars(failclosed::SAFE_DEFAULT.as_bytes()), out)
        }
    };
    let mut all: Vec<Record<'_>> = sets.iter().map(|(n, v)| Record::Set(n, v)).collect();
    all.append(&mut out);
    if emit(&encode(&all)) { status } else { FAILED }
}
