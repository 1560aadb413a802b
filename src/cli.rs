//! The command line, as clap derive types: one variant per subcommand.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::render::shell::Shell;

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
    /// Run a command with a private, verified TMPDIR: tmpguard exec -- CMD [ARGS...]
    ///
    /// For cron jobs, systemd units, container entrypoints and CI steps, which
    /// never read a shell rc file. Makes the same decision as `init`, sets
    /// TMPDIR (and TMP/TEMP when they are set), then replaces itself with CMD.
    /// If no safe directory can be had, CMD runs with TMPDIR unchanged after a
    /// one-line warning (unless --strict). Exit status 127: CMD not found;
    /// 126: CMD cannot be executed.
    #[command(
        override_usage = "tmpguard exec [--base DIR] [--force] [--strict] [--] CMD [ARGS]..."
    )]
    Exec(ExecArgs),
    /// Show where temp files really go, and why; change nothing
    Doctor(DoctorArgs),
    /// Print a completion script for a shell: tmpguard completions bash > ...
    Completions(CompletionsArgs),
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

/// `--no-runtime-dir`, for the commands that set XDG_RUNTIME_DIR (`init`,
/// `exec`, `path --records`). No argument group (`group(skip)`): nothing
/// refers to one, and building it costs every shell start.
#[derive(Debug, Clone, Args)]
#[group(skip)]
pub struct RuntimeFlag {
    /// Leave XDG_RUNTIME_DIR alone (by default a valid one is kept, else one is made)
    #[arg(long)]
    pub no_runtime_dir: bool,
}

/// `tmpguard init <SHELL>`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The shell to print code for, or `lmod`/`modules` for a modulefile, `slurm` for a TaskProlog
    #[arg(value_enum)]
    pub shell: Target,
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub runtime: RuntimeFlag,
    /// Print no notes on stderr (failures are still reported)
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not register the prompt hook that re-checks TMPDIR in interactive shells
    #[arg(long)]
    pub no_hook: bool,
}

/// `tmpguard path`.
#[derive(Debug, Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub runtime: RuntimeFlag,
    /// Accepted for symmetry with `init`; `path` prints no notes anyway
    #[arg(long, short)]
    pub quiet: bool,
    /// For modulefiles: NUL-terminated records on stdout (`set NAME=VALUE`,
    /// `unsafe NAME`, `warn TEXT`, `error TEXT`), nothing on stderr
    #[arg(long)]
    pub records: bool,
}

/// `tmpguard exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub runtime: RuntimeFlag,
    /// Do not run CMD when no safe TMPDIR can be had: exit 1 with the reason
    #[arg(long)]
    pub strict: bool,
    /// The command to run, and its arguments (passed through byte for byte)
    #[arg(value_name = "CMD", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
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

/// `tmpguard completions <SHELL>`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What `init` prints code for: a shell, a modulefile, or a Slurm TaskProlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Shell(Shell),
    /// A Lua modulefile for Lmod.
    Lmod,
    /// A Tcl modulefile for Environment Modules.
    Modules,
    /// Slurm TaskProlog output.
    Slurm,
}

impl ValueEnum for Target {
    fn value_variants<'a>() -> &'a [Self] {
        // The shells as the registry lists them, then the other targets.
        static ALL: OnceLock<Vec<Target>> = OnceLock::new();
        ALL.get_or_init(|| {
            Shell::value_variants()
                .iter()
                .map(|&s| Target::Shell(s))
                .chain([Target::Lmod, Target::Modules, Target::Slurm])
                .collect()
        })
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        match self {
            Target::Shell(s) => s.to_possible_value(),
            Target::Lmod => Some(PossibleValue::new("lmod").help("Lua modulefile for Lmod")),
            Target::Modules => {
                Some(PossibleValue::new("modules").help("Tcl modulefile for Environment Modules"))
            }
            Target::Slurm => Some(PossibleValue::new("slurm").help("Slurm TaskProlog lines")),
        }
    }
}

impl RuntimeFlag {
    /// What to do about `XDG_RUNTIME_DIR` for this process; `None` with
    /// `--no-runtime-dir`.
    pub fn runtime(
        &self,
        snap: &crate::engine::env::Snapshot,
    ) -> Option<crate::engine::runtime::Resolved> {
        (!self.no_runtime_dir)
            .then(|| crate::engine::runtime::resolve(snap.runtime_dir.as_deref(), snap.uid))
    }
}

impl Common {
    /// The options the decision needs.
    pub fn options(&self) -> crate::engine::resolve::Options {
        crate::engine::resolve::Options {
            base: self.base.clone(),
            force: self.force,
        }
    }
}
