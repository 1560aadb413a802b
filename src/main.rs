//! tmpguard: make TMPDIR a private, verified directory at shell start.
// The entry point is `startup::main`, which skips std's costly runtime set-up
// (unit tests keep libtest's own `main`).
#![cfg_attr(not(test), no_main)]

mod cli;
mod cmd;
mod config;
mod decide;
mod doctor;
mod env;
mod exe;
mod fallback;
mod fsinfo;
mod identity;
mod modulefile;
mod pathnorm;
mod privdir;
mod probe;
mod quote;
mod rcfiles;
mod resolve;
mod shell;
#[cfg(not(test))]
mod startup;
mod syslog;
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
        cli::Cmd::Config(args) => cmd::config::run(args),
    }
}
