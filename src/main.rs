//! tmpguard: make TMPDIR a private, verified directory at shell start.
// The entry point is `sys::main`, which skips std's costly runtime set-up
// (unit tests keep libtest's own `main`). `unsafe` is denied crate-wide
// (Cargo.toml `[lints]`) and allowed in `sys` only.
#![cfg_attr(not(test), no_main)]

// The tiers, each using only those above it:
//   engine/  the core: the process's world, identity, the rules (decide), the
//            directory engine (privdir, fallback), CPython's probe
//   render/  what init prints: shell code, modulefiles, Slurm TaskProlog lines
//   doctor/  gather, judge and render the report
//   cmd/     one module per subcommand; cli.rs parses, sys.rs starts (and holds all unsafe code)
mod cli;
mod cmd;
mod config;
mod doctor;
mod engine;
mod exe;
mod render;
mod sys;
#[cfg(test)]
mod testutil;

use std::ffi::OsString;

use clap::Parser;

use sys::Signal;

/// Parse the command line (`args` as the C runtime gave them, program name
/// first) and run the subcommand: the exit status.
#[cfg_attr(test, allow(dead_code))] // called by `sys::main`, not in unit tests
fn run(args: Vec<OsString>) -> u8 {
    // clap exits 2 on a usage error, after printing it on stderr; `--help`
    // and `--version` keep the default SIGPIPE, like any other tool.
    // The root-only site command is parsed by hand, outside clap's tree: every
    // argument in the tree costs every shell start (README, "What it costs").
    if args.get(1).is_some_and(|a| a == cmd::runtime_dir::NAME) {
        let _ = sys::ignore(&[Signal::Pipe]);
        return cmd::runtime_dir::run(&args[2..]);
    }
    let arg0 = args.first().cloned().unwrap_or_default();
    // The shell-start forms are read without clap (see `cli::quick`).
    let cmd = match cli::quick(&args) {
        Some(cmd) => cmd,
        None => cli::Cli::parse_from(args).cmd,
    };
    let started_with = sys::ignore(ignored_while_working(&cmd));
    match &cmd {
        cli::Cmd::Init(args) => cmd::init::run(args, &arg0),
        cli::Cmd::Path(args) => cmd::path::run(args),
        cli::Cmd::Exec(args) => cmd::exec::run(args, &started_with),
        cli::Cmd::Doctor(args) => cmd::doctor::run(args),
        cli::Cmd::Completions(args) => cmd::completions::run(args),
        cli::Cmd::Config(args) => cmd::config::run(args),
        cli::Cmd::Clean(raw) => cmd::clean::run(&cli::CleanArgs::parse_from(raw.argv("clean"))),
    }
}

/// The signals a subcommand ignores while it works. Every subcommand writes
/// output (`exec` its warnings) and a closed pipe must be a reported failure,
/// not a silent death (for `exec`, one that would lose the command); every one
/// that probes must see `EFBIG` under `ulimit -f`, not die. `exec` gives both
/// back before it becomes the command.
fn ignored_while_working(cmd: &cli::Cmd) -> &'static [Signal] {
    match cmd {
        cli::Cmd::Init(_) | cli::Cmd::Path(_) | cli::Cmd::Exec(_) | cli::Cmd::Doctor(_) => {
            &[Signal::Pipe, Signal::Xfsz]
        }
        // Writes a script and creates no file.
        cli::Cmd::Completions(_) | cli::Cmd::Config(_) => &[Signal::Pipe],
        // Report lines, and a lock; no file written.
        cli::Cmd::Clean(_) => &[Signal::Pipe],
    }
}
