//! `tmpguard completions <shell>`: each script loads in its real shell and
//! completes the subcommands and `init`'s shells.

mod common;

use std::process::Command;

/// Run `script` with `shell_args`, `$TG` set; stdout, panicking on failure.
fn run(shell: &str, shell_args: &[&str], script: &str) -> Option<String> {
    if !common::require(common::have(shell), shell) {
        return None;
    }
    let out = Command::new(shell)
        .args(shell_args)
        .arg(script)
        .env("TG", common::tmpguard_bin())
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("XDG_DATA_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("run the shell");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{shell} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

#[test]
fn bash_completes_subcommands_and_shells() {
    let Some(out) = run(
        "bash",
        &["-c"],
        r#"source <("$TG" completions bash)
complete -p tmpguard
COMP_WORDS=(tmpguard ""); COMP_CWORD=1; _tmpguard tmpguard "" tmpguard; echo "${COMPREPLY[*]}"
COMP_WORDS=(tmpguard init ""); COMP_CWORD=2; _tmpguard tmpguard "" init; echo "${COMPREPLY[*]}""#,
    ) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("complete ") && lines[0].ends_with(" tmpguard"),
        "{out}"
    );
    for sub in ["init", "path", "completions"] {
        assert!(words(lines[1]).contains(&sub), "{out}");
    }
    for shell in [
        "bash", "sh", "tcsh", "elvish", "xonsh", "lmod", "modules", "slurm", "--base",
    ] {
        assert!(words(lines[2]).contains(&shell), "{out}");
    }
}

#[test]
fn zsh_loads_the_completion_function() {
    let Some(out) = run(
        "zsh",
        &["-f", "-c"],
        r#"autoload -Uz compinit && compinit -u -d "$HOME/zcompdump"
source <("$TG" completions zsh)
whence -w _tmpguard
print -r -- $_comps[tmpguard]"#,
    ) else {
        return;
    };
    assert_eq!(out, "_tmpguard: function\n_tmpguard\n");
}

#[test]
fn fish_completes_subcommands_and_shells() {
    let Some(out) = run(
        "fish",
        &["--no-config", "-c"],
        r#"$TG completions fish | source
complete -C 'tmpguard ' | string replace -r '\t.*' ''
echo ---
complete -C 'tmpguard init ' | string replace -r '\t.*' ''
echo ---
complete -C 'tmpguard completions e' | string replace -r '\t.*' ''; true"#,
    ) else {
        return;
    };
    let parts: Vec<Vec<&str>> = out.split("---\n").map(|p| p.lines().collect()).collect();
    for sub in ["init", "path", "completions"] {
        assert!(parts[0].contains(&sub), "{out}");
    }
    for shell in [
        "bash", "zsh", "fish", "sh", "tcsh", "elvish", "xonsh", "lmod", "modules", "slurm",
    ] {
        assert!(parts[1].contains(&shell), "{out}");
    }
    assert_eq!(parts[2], ["elvish"]);
}

/// elvish's completer calls `edit:complex-candidate`, which exists only in an
/// interactive shell; the script runs in a namespace that provides a plain
/// stand-in, and its completer is then called the way the line editor would.
#[test]
fn elvish_completes_subcommands_and_options() {
    let Some(out) = run(
        "elvish",
        &["-norc", "-c"],
        r#"var cand = {|text &display=''| put $text }
var n = (ns [&edit:=(ns [&complex-candidate~=$cand &completion:=(ns [&arg-completer=[&]])])])
var result
eval ($E:TG completions elvish | slurp) &ns=$n &on-end={|m| set result = $m }
var c = $result[edit:][completion:][arg-completer][tmpguard]
echo ($c tmpguard '')
echo ($c tmpguard init '')"#,
    ) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    for sub in ["init", "path", "completions"] {
        assert!(words(lines[0]).contains(&sub), "{out}");
    }
    for opt in ["--base", "--force", "--quiet"] {
        assert!(words(lines[1]).contains(&opt), "{out}");
    }
}
