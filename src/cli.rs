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
        override_usage = "tmpguard exec [--base DIR] [--force] [--per-job] [--no-runtime-dir] [--strict] [--no-lock] [--] CMD [ARGS]..."
    )]
    Exec(ExecArgs),
    /// Show where temp files really go, and why; change nothing
    Doctor(DoctorArgs),
    /// Print a completion script for a shell: tmpguard completions bash > ...
    Completions(CompletionsArgs),
    /// Remove job directories (root): for Slurm's Epilog, or --stale for cron
    ///
    /// `clean --job ID --uid UID` (default: SLURM_JOB_ID, SLURM_JOB_UID) removes
    /// the directories tmpguard made for that job, acting as their owner; a
    /// directory with a `.keep` file is kept. `clean --stale` removes those of
    /// jobs that no longer run on this node (asked of the local slurmd), and
    /// kept ones after --keep-days; it deletes nothing when it cannot tell.
    // The arguments of `clean` are parsed by their own parser (CleanArgs), so that building this command line
    // at every shell start costs nothing for them (measured: ~75,000
    // instructions when they were full subcommands here).
    #[command(disable_help_flag = true)]
    Clean(Raw),
    /// Check or show the site configuration file, /etc/tmpguard/tmpguard.toml
    ///
    /// `config check [FILE]` validates a file like `sshd -t` (default: the
    /// site's, with its permissions): every problem with its line, exit 1 on
    /// any. `config show [--host NAME] [--json]` prints the effective settings
    /// on this host (or as they would be on NAME) and where each came from.
    #[command(
        override_usage = "tmpguard config check [FILE]\n       tmpguard config show [--host NAME] [--json]"
    )]
    Config(ConfigArgs),
}

/// `tmpguard config`: one command with an action (nested subcommands cost
/// every shell start, in clap's set-up, more than this whole command does).
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do
    #[arg(value_enum)]
    pub action: ConfigAction,
    /// check: the file to check instead of /etc/tmpguard/tmpguard.toml
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// show: match node sections against this host name instead of this host's
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// show: print one JSON object
    #[arg(long)]
    pub json: bool,
}

/// `config check` or `config show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigAction {
    /// Validate a configuration file; exit 1 on any problem
    Check,
    /// Print the effective settings and where each came from
    Show,
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
    /// Inside a batch job, use a private directory for the job: <base>/<user>/job.<id>
    #[arg(long)]
    pub per_job: bool,
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
    /// Print only the hook's code (what init's output runs in an interactive
    /// shell; kept out of it so that non-interactive shells need not parse it)
    #[arg(long, hide = true, conflicts_with = "no_hook")]
    pub hook_only: bool,
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
    /// Take no lock on the directory while CMD runs (see README: age-based cleaners)
    #[arg(long)]
    pub no_lock: bool,
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

/// A subcommand's arguments, passed through to its own parser.
#[derive(Debug, Args)]
pub struct Raw {
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

impl Raw {
    /// `tmpguard NAME ARGS...`, for the subcommand's own parser.
    pub fn argv(&self, name: &str) -> Vec<OsString> {
        let mut v = vec![OsString::from(format!("tmpguard {name}"))];
        v.extend(self.args.iter().cloned());
        v
    }
}

/// `tmpguard clean` (see src/cmd/clean.rs).
#[derive(Debug, Parser)]
#[command(
    about = "Remove job directories (root): for Slurm's Epilog, or --stale for cron",
    long_about = None
)]
pub struct CleanArgs {
    /// The job whose directories to remove (default: $SLURM_JOB_ID)
    #[arg(long, value_name = "ID", conflicts_with = "stale")]
    pub job: Option<String>,
    /// The job's uid (default: $SLURM_JOB_UID); never looked up by name
    #[arg(long, value_name = "UID")]
    pub uid: Option<String>,
    /// Remove job directories whose job no longer runs on this node
    #[arg(long)]
    pub stale: bool,
    /// Say what would be removed; remove nothing
    #[arg(long)]
    pub dry_run: bool,
    /// A base to look in (repeatable; default /tmp)
    #[arg(long, value_name = "DIR")]
    pub base: Vec<PathBuf>,
    /// With --stale: remove a directory kept with .keep after this many days
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub keep_days: u64,
    /// Give up after this many seconds, saying what is left
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// Internal: the part that runs as the owner
    #[arg(long, hide = true)]
    pub as_owner: bool,
    /// Internal: the jobs running on this node, for the owner's part
    #[arg(long, hide = true)]
    pub running: Option<String>,
    /// Internal: the time left, for the owner's part
    #[arg(long, hide = true)]
    pub timeout_ms: Option<u64>,
}

/// The command lines of a shell start (`init SHELL [FLAGS]`, `path [FLAGS]`)
/// read without clap, or `None` for anything else.
///
/// clap builds its whole tree (every subcommand and argument, with their
/// help) before it reads a word: about 140,000 of the 380,000 instructions
/// of a shell start, and its heap and code pages. This reads only the plain
/// forms init's own output and the login snippets use: each flag at most once,
/// long flags and `-q`, `--base DIR` or `--base=DIR`. Anything else (help, a
/// word it does not know, a repeat, `--`, a value that looks like a flag, a
/// conflict) goes to clap, which stays the definition of the command line:
/// `quick_agrees_with_clap` checks that every form read here is read by clap
/// as the same command.
pub fn quick(args: &[OsString]) -> Option<Cmd> {
    let sub = args.get(1)?.to_str()?;
    let (mut common, mut runtime) = (
        Common {
            base: None,
            force: false,
            per_job: false,
        },
        RuntimeFlag {
            no_runtime_dir: false,
        },
    );
    let (mut target, mut quiet, mut no_hook, mut hook_only, mut records) =
        (None, false, false, false, false);
    let mut words = args[2..].iter();
    while let Some(word) = words.next() {
        let flag = |seen: &mut bool| (!std::mem::replace(seen, true)).then_some(());
        match word.to_str()? {
            "--force" => flag(&mut common.force)?,
            "--per-job" => flag(&mut common.per_job)?,
            "--no-runtime-dir" => flag(&mut runtime.no_runtime_dir)?,
            "--quiet" | "-q" => flag(&mut quiet)?,
            "--no-hook" if sub == "init" => flag(&mut no_hook)?,
            "--hook-only" if sub == "init" => flag(&mut hook_only)?,
            "--records" if sub == "path" => flag(&mut records)?,
            "--base" => common.base = Some(quick_dir(common.base.is_none(), words.next()?)?),
            w if w.starts_with("--base=") => {
                let dir = std::ffi::OsStr::new(&w["--base=".len()..]);
                common.base = Some(quick_dir(common.base.is_none(), dir)?);
            }
            w if sub == "init" && target.is_none() && !w.starts_with('-') => {
                target = Some(<Target as ValueEnum>::from_str(w, false).ok()?);
            }
            _ => return None,
        }
    }
    match sub {
        "init" if !(no_hook && hook_only) => Some(Cmd::Init(InitArgs {
            shell: target?,
            common,
            runtime,
            quiet,
            no_hook,
            hook_only,
        })),
        "path" => Some(Cmd::Path(PathArgs {
            common,
            runtime,
            quiet,
            records,
        })),
        _ => None,
    }
}

/// `--base`'s value, the first time it is given, when clap would read it the
/// same way: not empty, not a flag.
fn quick_dir(first: bool, dir: &std::ffi::OsStr) -> Option<PathBuf> {
    let bytes = dir.as_encoded_bytes();
    (first && !bytes.is_empty() && bytes[0] != b'-').then(|| PathBuf::from(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use proptest::prelude::*;

    fn argv(words: &[&str]) -> Vec<OsString> {
        std::iter::once("tmpguard")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    /// `quick` read it as clap does, or left it to clap.
    fn agrees(words: &[&str]) -> Result<(), String> {
        let Some(fast) = quick(&argv(words)) else {
            return Ok(());
        };
        match Cli::try_parse_from(argv(words)) {
            Ok(cli) if format!("{:?}", cli.cmd) == format!("{fast:?}") => Ok(()),
            Ok(cli) => Err(format!("{words:?}: quick {fast:?}, clap {:?}", cli.cmd)),
            Err(e) => Err(format!("{words:?}: quick {fast:?}, clap refuses: {e}")),
        }
    }

    /// The forms init's output, the templates and the login snippets run at
    /// shell start are all read without clap (else they pay its tree).
    #[test]
    fn quick_reads_the_shell_start_forms() {
        let forms: &[&[&str]] = &[
            &["init", "bash"],
            &["init", "zsh", "--hook-only"],
            &["init", "bash", "--base=/scratch/x y"],
            &["init", "fish", "--hook-only", "--base=/b"],
            &["init", "tcsh", "--no-runtime-dir"],
            &["init", "tcsh", "--base", "/b", "--no-runtime-dir"],
            &["init", "csh"],
            &["init", "dash", "-q"],
            &["init", "slurm", "--per-job", "--force"],
            &["init", "lmod", "--quiet", "--no-hook"],
            &["init", "--base", "/b", "xonsh"],
            &["path"],
            &["path", "--records", "--per-job"],
            &["path", "--base", "/b"],
        ];
        for words in forms {
            assert!(quick(&argv(words)).is_some(), "{words:?} left to clap");
            agrees(words).unwrap();
        }
        // Some it must leave to clap: help, errors, what it does not know.
        for words in [
            &["init"][..],
            &["init", "bash", "--help"],
            &["init", "bash", "bash"],
            &["init", "nosuch"],
            &["init", "bash", "--base"],
            &["init", "bash", "--base="],
            &["init", "bash", "--base", "--force"],
            &["init", "bash", "-q", "-q"],
            &["init", "bash", "--no-hook", "--hook-only"],
            &["path", "--hook-only"],
            &["init", "bash", "--records"],
            &["exec", "--", "true"],
            &["--version"],
        ] {
            assert!(quick(&argv(words)).is_none(), "{words:?} read without clap");
        }
    }

    /// Exhaustive for two words, every one-word variation of the shell-start forms.
    #[test]
    fn quick_agrees_with_clap_on_short_lines() {
        for a in WORDS {
            agrees(&[a]).unwrap();
            for b in WORDS {
                agrees(&[a, b]).unwrap();
            }
        }
    }

    const WORDS: &[&str] = &[
        "init",
        "path",
        "exec",
        "doctor",
        "bash",
        "zsh",
        "fish",
        "sh",
        "dash",
        "ksh",
        "mksh",
        "tcsh",
        "csh",
        "elvish",
        "xonsh",
        "lmod",
        "modules",
        "slurm",
        "Bash",
        "nosuch",
        "--base",
        "--base=/x",
        "--base=",
        "--base=-x",
        "/tmp/a",
        "-x",
        "--force",
        "--per-job",
        "--no-runtime-dir",
        "--quiet",
        "-q",
        "-qq",
        "--no-hook",
        "--hook-only",
        "--records",
        "--",
        "--help",
        "-h",
        "--json",
        "--strict",
        "",
        "=",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Whatever `quick` reads, clap reads as the same command.
        #[test]
        fn quick_agrees_with_clap(words in prop::collection::vec(prop::sample::select(WORDS), 0..7)) {
            prop_assert!(agrees(&words).is_ok(), "{}", agrees(&words).unwrap_err());
        }
    }
}
