//! `tmpguard init <shell>`: shell code on stdout, notes on stderr.

use std::os::unix::ffi::OsStrExt;

use super::{emit, say, FAILED, OK};
use std::path::PathBuf;

use crate::cli::InitArgs;
use crate::decide::Why;
use crate::exe;
use crate::env::Snapshot;
use crate::resolve::resolve;
use crate::shell::{render, Exports};

/// Decide, then print the code for the shell; nothing on stdout on failure.
pub fn run(args: &InitArgs) -> u8 {
    let snap = Snapshot::read();
    let resolved = match resolve(&snap, &args.common.options()) {
        Ok(r) => r,
        Err(e) => {
            say(e);
            return FAILED;
        }
    };
    let exe = if args.no_hook { PathBuf::new() } else { exe::invoked() };
    let exports = Exports {
        tmpdir: resolved.dir.as_os_str().as_bytes(),
        tmp: snap.tmp.is_some(),
        temp: snap.temp.is_some(),
        hook: !args.no_hook,
        job_dir: resolved.why == Why::JobDir,
        tmpguard: exe.as_os_str().as_bytes(),
    };
    let code = match render(args.shell, &exports) {
        Ok(code) => code,
        Err(e) => {
            say(format_args!("cannot export {}: {e}", resolved.dir.display()));
            return FAILED;
        }
    };
    if !resolved.unchanged {
        for w in &resolved.warnings {
            say(w);
        }
    }
    if let Some(note) = resolved.note.as_ref().filter(|_| !args.quiet) {
        say(note);
    }
    if emit(&code) {
        OK
    } else {
        FAILED
    }
}
