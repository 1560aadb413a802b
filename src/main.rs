//! tmpguard: make TMPDIR a private, verified directory at shell start.

mod cli;
mod cmd;
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
mod syslog;
#[cfg(test)]
mod testutil;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits 2 on a usage error, after printing it on stderr.
    let cli = cli::Cli::parse();
    ExitCode::from(match &cli.cmd {
        cli::Cmd::Init(args) => cmd::init::run(args),
        cli::Cmd::Path(args) => cmd::path::run(args),
        cli::Cmd::Exec(args) => cmd::exec::run(args),
        cli::Cmd::Doctor(args) => cmd::doctor::run(args),
        cli::Cmd::Completions(args) => cmd::completions::run(args),
    })
}
