//! One module per subcommand, each with a `run` returning the exit status.

pub mod clean;
pub mod completions;
pub mod config;
pub mod doctor;
pub mod exec;
pub mod init;
pub mod lock;
pub mod path;
pub mod runtime_dir;
pub mod spawn;

use std::io::Write;

/// What to do about `XDG_RUNTIME_DIR` for this process; `None` with
/// `--no-runtime-dir` or the site's `runtime_dir = false`. (Here, not in cli.rs, which the man-page generator
/// builds on its own.)
pub fn runtime_dir(
    flag: &crate::cli::RuntimeFlag,
    snap: &crate::engine::env::Snapshot,
) -> Option<crate::engine::runtime::Resolved> {
    (!flag.no_runtime_dir && snap.site.runtime_dir())
        .then(|| crate::engine::runtime::resolve(snap.runtime_dir.as_deref(), snap.uid))
}

/// Exit status: it worked.
pub const OK: u8 = 0;
/// Exit status: it could not be done (the reason is on stderr).
pub const FAILED: u8 = 1;
/// A command line that cannot be run, as clap exits on a usage error.
pub const USAGE: u8 = 2;

/// Print one `tmpguard:` line on stderr, ignoring a closed stderr.
/// Control characters in it (a hostile path or mount name) are made visible.
pub fn say(msg: impl std::fmt::Display) {
    let msg = msg.to_string();
    let msg = crate::render::visible::text(&msg);
    let _ = writeln!(std::io::stderr().lock(), "tmpguard: {msg}");
}

/// Write all of `bytes` to stdout; `false` if stdout is gone.
pub fn emit(bytes: &[u8]) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).is_ok()
}
