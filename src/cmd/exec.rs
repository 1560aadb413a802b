//! `tmpguard exec -- CMD [ARGS...]`: set a verified TMPDIR, then become CMD.
//!
//! For what no rc file reaches (cron, systemd units, container entrypoints).
//! Silent when all is well (a squat or a refused base is still reported):
//! cron mails any output, and CMD's own stderr must come through unchanged.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::{FAILED, say};
use crate::cli::ExecArgs;
use crate::engine::env::Snapshot;
use crate::engine::failclosed;
use crate::engine::resolve::resolve;
use crate::engine::runtime::{self, Action};
use crate::sys::Dispositions;

/// Exit status when CMD is not found (as in a POSIX shell).
pub const NOT_FOUND: u8 = 127;
/// Exit status when CMD exists but cannot be executed (as in a POSIX shell).
pub const CANNOT_EXECUTE: u8 = 126;

/// Decide, set the variables, exec CMD; returns only when CMD could not start.
/// `started_with`: the signal dispositions to give back to CMD.
pub fn run(args: &ExecArgs, started_with: &Dispositions) -> u8 {
    let (program, _) = args.command.split_first().expect("clap requires CMD");
    let snap = Snapshot::read();
    let dir = match resolve(&snap, &args.common.options()) {
        Ok(resolved) => {
            if !resolved.unchanged {
                for w in &resolved.warnings {
                    say(w);
                }
            }
            Some((resolved.dir, resolved.settings))
        }
        Err(e) if args.strict => {
            say(format_args!(
                "{e}; not running {} (--strict)",
                show(program)
            ));
            return FAILED;
        }
        Err(e) => {
            let replaced = failclosed::unsafe_inherited(&crate::engine::effects::RealFs, &snap);
            if replaced.is_empty() {
                // A cron job should not be lost because /tmp is full: run it anyway.
                say(format_args!(
                    "{e}; running {} with TMPDIR unchanged",
                    show(program)
                ));
                None
            } else {
                // Never with a value someone else controls: /tmp instead.
                say(&e);
                for r in &replaced {
                    say(failclosed::message(r));
                }
                Some((
                    PathBuf::from(failclosed::SAFE_DEFAULT),
                    crate::config::Settings::default(),
                ))
            }
        }
    };
    let mut set: Vec<(&str, Option<&OsStr>)> = Vec::new();
    if let Some((dir, s)) = &dir {
        // Age-based cleaners skip a directory locked while CMD runs. Not as
        // a container's pid 1: the holder would become CMD's child.
        if !args.no_lock && std::process::id() != 1 {
            super::lock::start(dir);
        }
        set.push(("TMPDIR", Some(dir.as_os_str())));
        // TMP and TEMP follow TMPDIR as in `init`: when the caller set them
        // (or the site says always); the site's other names always.
        if s.follows("TMP", snap.tmp.is_some()) {
            set.push(("TMP", Some(dir.as_os_str())));
        }
        if s.follows("TEMP", snap.temp.is_some()) {
            set.push(("TEMP", Some(dir.as_os_str())));
        }
        for name in s.extra_exports() {
            set.push((name, Some(dir.as_os_str())));
        }
    }
    // XDG_RUNTIME_DIR: kept, set, or (invalid, nothing valid to be had) unset.
    let runtime = super::runtime_dir(&args.runtime, &snap);
    if let Some(r) = &runtime {
        for w in &r.warnings {
            say(w);
        }
        match &r.action {
            Action::Keep => {}
            Action::Set(p) => set.push((runtime::VAR, Some(p.as_os_str()))),
            Action::Unset => set.push((runtime::VAR, None)),
        }
    }
    let err = exec(&args.command, &set, started_with);
    say(format_args!(
        "{}: {}",
        show(program),
        describe(err, program)
    ));
    exit_status(err)
}

/// Become `argv[0]` (searched on PATH as a shell does: execvp), with `set`
/// replacing those variables in the environment and the signal dispositions
/// tmpguard started with. Returns only on failure.
fn exec(argv: &[OsString], set: &[(&str, Option<&OsStr>)], started_with: &Dispositions) -> Errno {
    // Arguments come from our own argv or clap: they hold no NUL byte.
    let Ok(argv) = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Errno::EINVAL;
    };
    // Last thing before execve: nothing of ours writes after this.
    started_with.restore();
    let err = if set.is_empty() {
        // TMPDIR unchanged: the environment goes through exactly as it came.
        nix::unistd::execvp(&argv[0], &argv)
    } else {
        nix::unistd::execvpe(&argv[0], &argv, &environment(set))
    };
    match err {
        Err(e) => e,
        Ok(never) => match never {},
    }
}

/// This process's environment with the variables in `set` replaced (or added;
/// `None`: removed), as `NAME=value` strings in their original order.
fn environment(set: &[(&str, Option<&OsStr>)]) -> Vec<CString> {
    let entry = |name: &OsStr, value: &OsStr| {
        let mut bytes = name.as_bytes().to_vec();
        bytes.push(b'=');
        bytes.extend_from_slice(value.as_bytes());
        // Environment strings are C strings: they hold no NUL byte.
        CString::new(bytes).ok()
    };
    let replaced = |name: &OsStr| set.iter().find(|(n, _)| OsStr::new(n) == name);
    let mut env: Vec<CString> = std::env::vars_os()
        .filter_map(|(name, value)| match replaced(&name) {
            Some((_, Some(new))) => entry(&name, new),
            Some((_, None)) => None,
            None => entry(&name, &value),
        })
        .collect();
    for (name, value) in set {
        if let (None, Some(value)) = (std::env::var_os(name), value) {
            env.extend(entry(OsStr::new(name), value));
        }
    }
    env
}

/// What a shell would say: `command not found` for a name searched on PATH.
fn describe(err: Errno, program: &OsStr) -> String {
    match err {
        Errno::ENOENT if !has_slash(program) => "command not found".into(),
        // The file is there: it is its `#!` interpreter that is missing.
        Errno::ENOENT if Path::new(program).exists() => {
            "bad interpreter: No such file or directory".into()
        }
        Errno::EACCES if has_slash(program) && Path::new(program).is_dir() => {
            "Is a directory".into()
        }
        _ => crate::engine::errno::words(err),
    }
}

/// 127 when there is nothing to run (a missing `#!` interpreter too, as bash 5.2
/// does), 126 when it cannot be run.
fn exit_status(err: Errno) -> u8 {
    match err {
        Errno::ENOENT => NOT_FOUND,
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
