//! `tmpguard completions <shell>`: a completion script generated from the
//! clap definition, so it always matches the real options.

use clap::CommandFactory;

use super::OK;
use crate::cli::{Cli, CompletionsArgs};

/// Print the completion script on stdout.
pub fn run(args: &CompletionsArgs) -> u8 {
    clap_complete::generate(args.shell, &mut Cli::command(), "tmpguard", &mut std::io::stdout());
    OK
}
