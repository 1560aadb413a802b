//! `tmpguard init <target>`: shell code (or a modulefile, or TaskProlog
//! lines) on stdout, notes on stderr.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{FAILED, OK, USAGE, emit, say};
use crate::cli::{InitArgs, Target};
use crate::engine::decide::Why;
use crate::engine::env::Snapshot;
use crate::engine::failclosed;
use crate::engine::pathnorm::abspath;
use crate::engine::resolve::{Resolved, resolve};
use crate::engine::runtime;
use crate::exe;
use crate::render::modulefile::{self, System};
use crate::render::quote;
use crate::render::shell::{Exports, Shell, Unquotable, render, render_exports};

/// Print what the target needs; see each function for what failure means.
/// `arg0` is `argv[0]` as the C runtime gave it: the hook and the
/// modulefiles call tmpguard again by the path it was invoked by.
pub fn run(args: &InitArgs, arg0: &OsStr) -> u8 {
    // The hidden `--hook-only` is for the shells whose hook code init can
    // print apart; anything else says so (not silently the whole output).
    let apart = matches!(args.shell, Target::Shell(s) if s.hook_apart());
    if args.hook_only && !apart {
        let name = clap::ValueEnum::to_possible_value(&args.shell)
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        say(format_args!(
            "--hook-only: `init {name}` has no hook code apart from its output (bash, zsh and fish only)"
        ));
        return USAGE;
    }
    match args.shell {
        Target::Shell(shell) => shell_code(shell, args, arg0),
        Target::Lmod => module(System::Lmod, args, arg0),
        Target::Modules => module(System::Modules, args, arg0),
        Target::Slurm => slurm(args),
    }
}

/// What to export; `exe` is this binary for a prompt hook (empty: no hook),
/// `base` the absolute `--base` for the hook to pass on, `extra` the site's
/// other names.
fn exports<'a>(
    resolved: &'a Resolved,
    snap: &Snapshot,
    exe: &'a Path,
    base: Option<&'a Path>,
    extra: &'a [&'a str],
) -> Exports<'a> {
    let s = &resolved.settings;
    Exports {
        tmpdir: resolved.dir.as_os_str().as_bytes(),
        tmp: s.follows("TMP", snap.tmp.is_some()),
        temp: s.follows("TEMP", snap.temp.is_some()),
        hook: !exe.as_os_str().is_empty(),
        job_dir: resolved.why == Why::JobDir,
        tmpguard: exe.as_os_str().as_bytes(),
        base: base.map(|b| b.as_os_str().as_bytes()),
        extra,
        // A hung mount must not block every prompt: no per-prompt check of
        // TMPDIR there (XDG_RUNTIME_DIR's still: `Exports::hooked`).
        remote: !exe.as_os_str().is_empty() && crate::engine::hang::remote(&resolved.dir),
        hook_only: false,
        hook_inline: false,
        id: None,
        rid: None,
        no_runtime_dir: false,
    }
}

/// The site has tmpguard on for this user; when not, `init` prints nothing
/// and says nothing (doctor says why).
fn enabled(snap: &Snapshot) -> bool {
    snap.site.active(snap.uid).is_ok()
}

fn notes(resolved: &Resolved, quiet: bool) {
    if !resolved.unchanged {
        for w in &resolved.warnings {
            say(w);
        }
    }
    if let Some(note) = resolved.note.as_ref().filter(|_| !quiet) {
        say(note);
    }
}

/// What the runtime directory's decision has to say.
fn runtime_notes(runtime: Option<&runtime::Resolved>, quiet: bool) {
    let Some(r) = runtime else { return };
    for w in &r.warnings {
        say(w);
    }
    if let Some(note) = r.note.as_ref().filter(|_| !quiet) {
        say(note);
    }
}

/// Decide, then print the code for the shell; nothing on stdout on failure.
fn shell_code(shell: Shell, args: &InitArgs, arg0: &OsStr) -> u8 {
    if args.hook_only {
        return hook_code(shell, args, arg0);
    }
    let snap = Snapshot::read();
    if !enabled(&snap) {
        return OK;
    }
    let resolved = match resolve(&snap, &args.common.options()) {
        Ok(r) => r,
        Err(e) => {
            say(e);
            fail_closed(shell, &snap);
            // XDG_RUNTIME_DIR is decided on its own: set or taken away even now.
            let runtime = super::runtime_dir(&args.runtime, &snap);
            runtime_notes(runtime.as_ref(), args.quiet);
            if let Some(Ok(line)) = runtime.as_ref().and_then(|r| runtime_line(r, shell)) {
                emit(&line);
            }
            return FAILED;
        }
    };
    let exe = if args.no_hook || !resolved.settings.hook.value || !shell.has_hook() {
        PathBuf::new()
    } else {
        exe::invoked(arg0)
    };
    // The hook's repair runs init again with the same base (TMPGUARD_BASE it inherits).
    let base = args
        .common
        .base
        .as_deref()
        .and_then(|b| abspath(b.as_os_str()).ok());
    let runtime = super::runtime_dir(&args.runtime, &snap);
    let extra: Vec<&str> = resolved.settings.extra_exports().collect();
    let mut ex = exports(&resolved, &snap, &exe, base.as_deref(), &extra);
    ex.no_runtime_dir = runtime.is_none();
    // The hook's code inline when init runs on a terminal (the shell is
    // most likely interactive; see `Exports::hook_inline`): one ioctl, only
    // where there is a hook to place.
    if ex.hooked() && shell.hook_apart() {
        use std::io::IsTerminal;
        ex.hook_inline = std::io::stdin().is_terminal();
    }
    // tcsh cannot hold the directory open: its hook compares the identity
    // init verified (one stat, only for tcsh with a hook).
    if shell == Shell::Tcsh && ex.hooked() {
        use std::os::unix::fs::MetadataExt;
        let ident = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
        ex.id = ident(&resolved.dir);
        // XDG_RUNTIME_DIR as it will be: set, kept, or none to check.
        ex.rid = runtime.as_ref().and_then(|r| match &r.action {
            runtime::Action::Set(p) => ident(p),
            runtime::Action::Keep => snap
                .runtime_dir
                .as_deref()
                .and_then(|v| ident(Path::new(v))),
            runtime::Action::Unset => None,
        });
    }
    let code = match render(shell, &ex).and_then(|code| {
        // XDG_RUNTIME_DIR before the template's code, only when it changes:
        // the prompt hook's code, loaded there, holds the new value.
        match runtime.as_ref().and_then(|r| runtime_line(r, shell)) {
            Some(line) => Ok([line?, code].concat()),
            None => Ok(code),
        }
    }) {
        Ok(code) => code,
        Err(e) => {
            say(format_args!(
                "cannot export {}: {e}",
                resolved.dir.display()
            ));
            return FAILED;
        }
    };
    notes(&resolved, args.quiet);
    runtime_notes(runtime.as_ref(), args.quiet);
    if emit(&code) { OK } else { FAILED }
}

/// The line that sets or unsets XDG_RUNTIME_DIR on its own, when it changes.
fn runtime_line(r: &runtime::Resolved, shell: Shell) -> Option<Result<Vec<u8>, Unquotable>> {
    let family = shell.spec().family;
    match &r.action {
        runtime::Action::Keep => None,
        runtime::Action::Set(p) => {
            Some(family.assign(runtime::VAR, Some(p.as_os_str().as_bytes())))
        }
        runtime::Action::Unset => Some(family.assign(runtime::VAR, None)),
    }
}

/// The TaskProlog line that sets or unsets XDG_RUNTIME_DIR, when it changes.
fn slurm_runtime_line(r: &runtime::Resolved) -> Option<Result<Vec<u8>, Unquotable>> {
    match &r.action {
        runtime::Action::Keep => None,
        runtime::Action::Set(p) => Some(
            quote::slurm(p.as_os_str().as_bytes())
                .map(|q| [b"export XDG_RUNTIME_DIR=", &q[..], b"\n"].concat()),
        ),
        runtime::Action::Unset => Some(Ok(b"unset XDG_RUNTIME_DIR\n".to_vec())),
    }
}

/// `init SHELL --hook-only`: the hook's code, which init's output runs in an
/// interactive shell. Nothing is decided or checked here (init just did).
fn hook_code(shell: Shell, args: &InitArgs, arg0: &OsStr) -> u8 {
    let exe = exe::invoked(arg0);
    let base = args
        .common
        .base
        .as_deref()
        .and_then(|b| abspath(b.as_os_str()).ok());
    let ex = Exports {
        hook: true,
        hook_only: true,
        tmpguard: exe.as_os_str().as_bytes(),
        base: base.as_deref().map(|b| b.as_os_str().as_bytes()),
        no_runtime_dir: args.runtime.no_runtime_dir,
        ..Default::default()
    };
    match render(shell, &ex) {
        Ok(code) if emit(&code) => OK,
        Ok(_) => FAILED,
        Err(e) => {
            say(format_args!("cannot print the hook: {e}"));
            FAILED
        }
    }
}

/// tmpguard failed: replace an inherited value it judged unsafe with /tmp
/// (no prompt hook: it would only fail again at every prompt).
fn fail_closed(shell: Shell, snap: &Snapshot) {
    let replaced = failclosed::unsafe_inherited(&crate::engine::effects::RealFs, snap);
    if replaced.is_empty() {
        return;
    }
    let ex = Exports {
        tmpdir: failclosed::SAFE_DEFAULT.as_bytes(),
        tmp: snap.tmp.is_some(),
        temp: snap.temp.is_some(),
        ..Exports::default()
    };
    match render(shell, &ex) {
        Ok(code) => {
            for r in &replaced {
                say(failclosed::message(r));
            }
            emit(&code);
        }
        Err(e) => say(format_args!(
            "cannot export {}: {e}",
            failclosed::SAFE_DEFAULT
        )),
    }
}

/// A modulefile that runs `tmpguard path` (with this `--base`/`--force`) at load.
fn module(system: System, args: &InitArgs, arg0: &OsStr) -> u8 {
    match modulefile_text(system, args, arg0) {
        Ok(text) if emit(&text) => OK,
        Ok(_) => FAILED,
        Err(e) => {
            say(e);
            FAILED
        }
    }
}

fn modulefile_text(system: System, args: &InitArgs, arg0: &OsStr) -> Result<Vec<u8>, String> {
    let mut path_args: Vec<OsString> = Vec::new();
    if let Some(base) = &args.common.base {
        // Made absolute now: the modulefile is loaded from anywhere.
        let base = abspath(base.as_os_str())
            .map_err(|e| format!("cannot make {} absolute: {e}", base.display()))?;
        path_args.extend([OsString::from("--base"), base.into_os_string()]);
    }
    if args.common.force {
        path_args.push("--force".into());
    }
    if args.runtime.no_runtime_dir {
        path_args.push("--no-runtime-dir".into());
    }
    modulefile::render(system, &exe::invoked(arg0), &path_args)
        .map_err(|e| format!("cannot write the modulefile: {e}"))
}

/// Slurm TaskProlog lines. Exits 0 whatever happens, because a failing
/// TaskProlog cancels the task; a failure is told on stderr and, as a
/// `print` line, in the job's output. Nothing when TMPDIR is already right
/// (such as a usable per-job directory).
fn slurm(args: &InitArgs) -> u8 {
    let snap = Snapshot::read();
    if !enabled(&snap) {
        return OK;
    }
    let resolved = match resolve(&snap, &args.common.options()) {
        Ok(r) => r,
        Err(e) => {
            let replaced = failclosed::unsafe_inherited(&crate::engine::effects::RealFs, &snap);
            // XDG_RUNTIME_DIR is decided on its own: set or taken away even now.
            let runtime = super::runtime_dir(&args.runtime, &snap);
            runtime_notes(runtime.as_ref(), args.quiet);
            let runtime_line = || {
                if let Some(Ok(line)) = runtime.as_ref().and_then(slurm_runtime_line) {
                    emit(&line);
                }
            };
            if replaced.is_empty() {
                slurm_failure(&e.to_string());
                runtime_line();
                return OK;
            }
            // The job must not run with the attacker's TMPDIR: /tmp instead.
            let ex = Exports {
                tmpdir: failclosed::SAFE_DEFAULT.as_bytes(),
                tmp: snap.tmp.is_some(),
                temp: snap.temp.is_some(),
                ..Exports::default()
            };
            let said: Vec<String> = replaced.iter().map(failclosed::message).collect();
            let msg = format!("{e}; {}", said.join("; "));
            if let Ok(lines) = render_exports(crate::render::SLURM_TEMPLATE, &ex, quote::slurm) {
                say(&msg);
                emit(format!("print tmpguard: {}\n", printable(&msg)).as_bytes());
                emit(&lines);
            } else {
                slurm_failure(&e.to_string());
            }
            runtime_line();
            return OK;
        }
    };
    let runtime = super::runtime_dir(&args.runtime, &snap);
    let runtime_changes = runtime
        .as_ref()
        .is_some_and(|r| r.action != runtime::Action::Keep);
    if resolved.unchanged && !runtime_changes {
        runtime_notes(runtime.as_ref(), args.quiet);
        return OK;
    }
    let extra: Vec<&str> = resolved.settings.extra_exports().collect();
    let ex = exports(&resolved, &snap, Path::new(""), None, &extra);
    match render_exports(crate::render::SLURM_TEMPLATE, &ex, quote::slurm).and_then(|mut lines| {
        if let Some(line) = runtime.as_ref().and_then(slurm_runtime_line) {
            lines.extend(line?);
        }
        Ok(lines)
    }) {
        Ok(lines) => {
            notes(&resolved, args.quiet);
            runtime_notes(runtime.as_ref(), args.quiet);
            emit(&lines);
        }
        Err(e) => slurm_failure(&format!("cannot export {}: {e}", resolved.dir.display())),
    }
    OK
}

fn slurm_failure(msg: &str) {
    say(msg);
    emit(format!("print tmpguard: {}; TMPDIR not changed\n", printable(msg)).as_bytes());
}

/// One `print` line: control characters (a newline in a path) made visible.
fn printable(msg: &str) -> std::borrow::Cow<'_, str> {
    crate::render::visible::text(msg)
}
