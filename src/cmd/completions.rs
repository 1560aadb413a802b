//! `tmpguard completions <shell>`: a completion script generated from the
//! clap definition, so it always matches the real options.

use std::io::Write;

use clap::CommandFactory;

use super::{FAILED, OK, emit};
use crate::cli::{Cli, CompletionsArgs};
use crate::render::quote;

/// Print the completion script on stdout.
pub fn run(args: &CompletionsArgs) -> u8 {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "tmpguard", &mut out);
    if args.shell == clap_complete::Shell::Fish {
        fish_positionals(&cmd, &mut out);
    }
    if emit(&out) { OK } else { FAILED }
}

/// clap_complete's fish script completes options only; add the values of each
/// subcommand's first argument (the shells of `init` and `completions`).
fn fish_positionals(cmd: &clap::Command, out: &mut Vec<u8>) {
    for sub in cmd.get_subcommands() {
        for arg in sub.get_positionals().take(1) {
            for value in arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
            {
                let help = value
                    .get_help()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let _ =
                    out.write_all(b"complete -c tmpguard -n '__fish_tmpguard_using_subcommand ");
                let _ = out.write_all(sub.get_name().as_bytes());
                let _ = out.write_all(b"; and test (count (commandline -opc)) -eq 2' -f -a ");
                let _ = out.write_all(&quote::fish(value.get_name().as_bytes()));
                if !help.is_empty() {
                    let _ = out.write_all(b" -d ");
                    let _ = out.write_all(&quote::fish(help.as_bytes()));
                }
                let _ = out.write_all(b"\n");
            }
        }
    }
}
