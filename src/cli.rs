//! The command line, as clap derive types: one variant per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::shell::Shell;

/// Keep TMPDIR private, existing and usable on shared machines.
#[derive(Debug, Parser)]
#[command(name = "tmpguard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Print shell code that exports a private, verified TMPDIR: eval "$(tmpguard init bash)"
    Init(InitArgs),
    /// Print the directory `init` would export, and nothing else
    Path(PathArgs),
    /// Show where temp files really go, and why; change nothing
    Doctor(DoctorArgs),
}

/// Flags shared by every command that picks a directory.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Make the private directory in DIR instead of /tmp (overrides TMPGUARD_BASE)
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
    /// Use <base>/<user> even when TMPDIR already names a usable directory
    #[arg(long)]
    pub force: bool,
}

/// `tmpguard init <SHELL>`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The shell to print code for
    #[arg(value_enum)]
    pub shell: Shell,
    #[command(flatten)]
    pub common: Common,
    /// Print no notes on stderr (failures are still reported)
    #[arg(long, short)]
    pub quiet: bool,
}

/// `tmpguard path`.
#[derive(Debug, Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub common: Common,
    /// Accepted for symmetry with `init`; `path` prints no notes anyway
    #[arg(long, short)]
    pub quiet: bool,
}

/// `tmpguard doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print one JSON object (schema 1, see the README) instead of the report
    #[arg(long)]
    pub json: bool,
    /// Look at the private directory `init --base DIR` would use (overrides TMPGUARD_BASE)
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
}

impl Common {
    /// The options the decision needs.
    pub fn options(&self) -> crate::resolve::Options {
        crate::resolve::Options { base: self.base.clone(), force: self.force }
    }
}
