//! `tmpguard exec -- CMD [ARGS...]`: set a verified TMPDIR, then become CMD.
//!
//! For what no rc file reaches (cron, systemd units, container entrypoints).
//! Silent when all is well (a squat or a refused base is still reported):
//! cron mails any output, and CMD's own stderr must come through unchanged.

use std::ffi::OsStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::libc;

use super::{FAILED, say};
use crate::cli::ExecArgs;
use crate::env::Snapshot;
use crate::resolve::resolve;

/// Exit status when CMD is not found (as in a POSIX shell).
pub const NOT_FOUND: u8 = 127;
/// Exit status when CMD exists but cannot be executed (as in a POSIX shell).
pub const CANNOT_EXECUTE: u8 = 126;

/// Decide, set the variables, exec CMD; returns only when CMD could not start.
pub fn run(args: &ExecArgs) -> u8 {
    let (program, rest) = args.command.split_first().expect("clap requires CMD");
    let snap = Snapshot::read();
    let mut command = Command::new(program);
    command.args(rest);
    match resolve(&snap, &args.common.options()) {
        Ok(resolved) => {
            if !resolved.unchanged {
                for w in &resolved.warnings {
                    say(w);
                }
            }
            command.env("TMPDIR", &resolved.dir);
            // TMP and TEMP follow TMPDIR as in `init`: when the caller set
            // them (or the site says always); the site's other names always.
            let s = &resolved.settings;
            if s.follows("TMP", snap.tmp.is_some()) {
                command.env("TMP", &resolved.dir);
            }
            if s.follows("TEMP", snap.temp.is_some()) {
                command.env("TEMP", &resolved.dir);
            }
            for name in s.extra_exports() {
                command.env(name, &resolved.dir);
            }
        }
        Err(e) if args.strict => {
            say(format_args!(
                "{e}; not running {} (--strict)",
                show(program)
            ));
            return FAILED;
        }
        // A cron job should not be lost because /tmp is full: run it anyway.
        Err(e) => say(format_args!(
            "{e}; running {} with TMPDIR unchanged",
            show(program)
        )),
    }
    restore_sigpipe(&mut command);
    // Replaces this process (execvp): CMD keeps our pid, signals and exit status are its own.
    let err = command.exec();
    say(format_args!(
        "{}: {}",
        show(program),
        describe(&err, program)
    ));
    exit_status(&err)
}

/// Whether SIGPIPE was ignored when this process started, read before Rust's
/// runtime sets it to "ignore" (which `Command::exec` undoes to "default").
static SIGPIPE_WAS_IGNORED: AtomicBool = AtomicBool::new(false);

// Runs before `main`, so before std touches SIGPIPE. systemd starts services
// with SIGPIPE ignored (IgnoreSIGPIPE=yes): CMD must get what it would have got.
#[used]
#[unsafe(link_section = ".init_array")]
static SAVE_SIGPIPE: extern "C" fn() = save_sigpipe;

extern "C" fn save_sigpipe() {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `old`.
    let ok = unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), old.as_mut_ptr()) } == 0;
    // SAFETY: zero-initialised, and filled in by sigaction when it succeeded.
    let ignored = ok && unsafe { old.assume_init() }.sa_sigaction == libc::SIG_IGN;
    SIGPIPE_WAS_IGNORED.store(ignored, Ordering::Relaxed);
}

/// Give CMD the SIGPIPE disposition tmpguard was started with.
fn restore_sigpipe(command: &mut Command) {
    if SIGPIPE_WAS_IGNORED.load(Ordering::Relaxed) {
        // SAFETY: runs just before execvp (after std's signal reset) and only calls
        // signal(2), which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGPIPE, libc::SIG_IGN);
                Ok(())
            })
        };
    }
}

/// What a shell would say: `command not found` for a name searched on PATH.
fn describe(err: &io::Error, program: &OsStr) -> String {
    match err.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ENOENT) if !has_slash(program) => "command not found".into(),
        // The file is there: it is its `#!` interpreter that is missing.
        Some(Errno::ENOENT) if Path::new(program).exists() => {
            "bad interpreter: No such file or directory".into()
        }
        Some(Errno::EACCES) if has_slash(program) && Path::new(program).is_dir() => {
            "Is a directory".into()
        }
        Some(errno) => errno.desc().into(),
        None => err.to_string(),
    }
}

/// 127 when there is nothing to run (a missing `#!` interpreter too, as bash 5.2
/// does), 126 when it cannot be run.
fn exit_status(err: &io::Error) -> u8 {
    match err.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ENOENT) => NOT_FOUND,
        _ => CANNOT_EXECUTE,
    }
}

/// A name with a `/` is run as given; without one it is searched on PATH.
fn has_slash(program: &OsStr) -> bool {
    program.as_bytes().contains(&b'/')
}

fn show(program: &OsStr) -> std::path::Display<'_> {
    Path::new(program).display()
}
