//! `tmpguard path`: the directory and a newline; silent on stderr when it works,
//! because Tcl modulefiles treat any stderr output as a failure.

use std::os::unix::ffi::OsStrExt;

use super::{FAILED, OK, emit, say};
use crate::cli::PathArgs;
use crate::engine::env::Snapshot;
use crate::engine::resolve::resolve;

/// Decide and print the directory.
pub fn run(args: &PathArgs) -> u8 {
    match resolve(&Snapshot::read(), &args.common.options()) {
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
