//! tmpguard: make TMPDIR a private, verified directory at shell start.
// The entry point is `startup::main`, which skips std's costly runtime set-up
// (unit tests keep libtest's own `main`).
#![cfg_attr(not(test), no_main)]

// The tiers, each using only those above it:
//   engine/  the core: the process's world, identity, the rules (decide), the
//            directory engine (privdir, fallback), CPython's probe
//   render/  what init prints: shell code, modulefiles, Slurm TaskProlog lines
//   doctor/  gather, judge and render the report
//   cmd/     one module per subcommand; cli.rs parses, startup.rs starts
mod cli;
mod cmd;
mod doctor;
mod engine;
mod exe;
mod render;
#[cfg(not(test))]
mod startup;
#[cfg(test)]
mod testutil;

use clap::Parser;

/// Parse the command line and run the subcommand: the exit status.
#[cfg_attr(test, allow(dead_code))] // called by `startup::main`, not in unit tests
fn run() -> u8 {
    // clap exits 2 on a usage error, after printing it on stderr.
    let cli = cli::Cli::parse();
    match &cli.cmd {
        cli::Cmd::Init(args) => cmd::init::run(args),
        cli::Cmd::Path(args) => cmd::path::run(args),
        cli::Cmd::Exec(args) => cmd::exec::run(args),
        cli::Cmd::Doctor(args) => cmd::doctor::run(args),
        cli::Cmd::Completions(args) => cmd::completions::run(args),
    }
}
