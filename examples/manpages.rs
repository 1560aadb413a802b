//! Man pages generated from the clap definitions, for the packages:
//! `cargo run --example manpages -- OUTDIR` writes tmpguard.1 and one page
//! per subcommand (tmpguard-init.1, ...). Not part of the binary: clap_mangen
//! stays out of the shell-start path. tmpguard.toml(5) is written by hand
//! (packaging/tmpguard.toml.5).
#![allow(dead_code)]

#[path = "../src/cli.rs"]
mod cli;
#[path = "../src/render/mod.rs"]
mod render;

use clap::CommandFactory;

fn main() -> std::io::Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .expect("usage: manpages OUTDIR");
    std::fs::create_dir_all(&out)?;
    let cmd = cli::Cli::command().version(env!("CARGO_PKG_VERSION"));
    clap_mangen::generate_to(cmd, &out)
}
