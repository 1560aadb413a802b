//! Issue 14: what evaluating init's output costs the shell itself, counted in
//! instructions (callgrind: deterministic, unlike time). A non-interactive
//! shell (`ssh host cmd`, scp, every BASH_ENV script) must not pay for the
//! prompt hook; an interactive one pays a bounded amount for it.
mod common;

use common::{have, require, tmpguard_bin};
use std::process::{Command, Stdio};

/// Instructions the shell process itself executed (not its children: the
/// command substitutions and tmpguard are other processes).
fn instructions(args: &[&str]) -> u64 {
    let dir = tempdir();
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={dir}/cg.%p"))
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .expect("valgrind");
    let err = String::from_utf8_lossy(&out.stderr);
    // The first process valgrind reports on is the shell.
    let pid = err
        .lines()
        .next()
        .and_then(|l| l.split("==").nth(1))
        .expect("valgrind output")
        .to_owned();
    let _ = std::fs::remove_dir_all(&dir);
    err.lines()
        .filter(|l| l.starts_with(&format!("=={pid}==")))
        .find_map(|l| l.split("Collected : ").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in {err}"))
}

/// A private scratch directory whose path has the same length on every
/// machine: the shell pays per byte it parses, and the binary's path and the
/// directory are part of what init prints, so a checkout in a longer
/// directory (CI's clone) must not change the count. Holds a link to the
/// binary (`tmpguard_bin_link`), as short as a packaged /usr/bin/tmpguard.
fn tempdir() -> String {
    let d = format!("/tmp/tg{:08x}", rand_suffix() as u32);
    std::fs::create_dir(&d).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(tmpguard_bin(), format!("{d}/tmpguard")).unwrap();
    d
}

/// The binary as init finds it run: through the link in `dir`.
fn tmpguard_bin_link(dir: &str) -> String {
    format!("{dir}/tmpguard")
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

/// What `shell` pays to evaluate `code` (over evaluating `:`), as it is run
/// interactively (`-i`) or not.
fn eval_cost(shell: &str, interactive: bool, code: &str) -> i64 {
    let mut args: Vec<&str> = vec![shell];
    match shell {
        "bash" => args.push("--norc"),
        "zsh" => args.push("-f"),
        "fish" => args.push("--no-config"),
        _ => {}
    }
    if interactive {
        args.push("-i");
    }
    let body = match shell {
        "fish" => "eval $argv[1]",
        _ => "eval \"$1\"",
    };
    args.extend(["-c", body]);
    if shell != "fish" {
        args.push("_");
    }
    let run = |c: &str| {
        let mut a = args.clone();
        a.push(c);
        instructions(&a)
    };
    run(code) as i64 - run(":") as i64
}

/// init's output for `shell`, TMPDIR being a private directory of ours (and,
/// as in a login session, XDG_RUNTIME_DIR a valid one: nothing to print for it).
fn init_output(shell: &str, tmpdir: &str) -> String {
    let out = Command::new(tmpguard_bin_link(tmpdir))
        .args(["init", shell])
        .env("TMPDIR", tmpdir)
        .env("XDG_RUNTIME_DIR", tmpdir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// init's output as an interactive shell gets it: init runs on a terminal
/// (`script`, a real pty, as its stdin), so the hook's code comes inline.
fn init_output_on_terminal(shell: &str, tmpdir: &str) -> String {
    let out = format!("{tmpdir}/out.{shell}");
    let st = Command::new("script")
        .args([
            "-qec",
            &format!("exec {} init {shell} >{out}", tmpguard_bin_link(tmpdir)),
            "/dev/null",
        ])
        .env("TMPDIR", tmpdir)
        .env("XDG_RUNTIME_DIR", tmpdir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "{st:?}");
    let code = std::fs::read_to_string(&out).unwrap();
    assert!(
        code.contains("__tmpguard_hook") && !code.contains("--hook-only"),
        "{code}"
    );
    code
}

/// The output of today's release (main at 3cefb87) for the same directory.
fn release_output(shell: &str, tmpdir: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/hook-3cefb87/{shell}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .replace("@TG@", &tmpguard_bin_link(tmpdir))
        .replace("@DIR@", tmpdir)
}

fn ok() -> bool {
    require(have("valgrind"), "valgrind")
        && require(have("bash"), "bash")
        && require(have("script"), "script")
}

#[test]
fn bash_non_interactive_pays_little_for_the_hook() {
    if !ok() {
        return;
    }
    let dir = tempdir();
    let n = eval_cost("bash", false, &init_output("bash", &dir));
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("bash, non-interactive: {n} instructions");
    assert!(n < 150_000, "bash, non-interactive: {n} instructions");
}

#[test]
fn bash_interactive_pays_at_most_530k_more_than_the_release() {
    if !ok() {
        return;
    }
    let dir = tempdir();
    let new = eval_cost("bash", true, &init_output("bash", &dir));
    let old = eval_cost("bash", true, &release_output("bash", &dir));
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("bash, interactive: {new} instructions (release 3cefb87: {old})");
    assert!(
        // Issue 14's bound. (+493,844 after its second session; the held
        // XDG_RUNTIME_DIR of issue 18 brought it to +527,001.)
        new <= old + 530_000,
        "bash, interactive: {new} instructions, release {old}"
    );
}

/// On a terminal the hook's code is inline: one process instead of two.
/// The shell pays more than with the code apart (the block is parsed and
/// run inside `eval`: about +265,000), bounded here; what it saves is a
/// fork of the interactive shell, an exec and a pipe, which callgrind does
/// not count (with the static musl build the second process itself runs
/// only about 94,000 instructions, with the glibc build 436,000): the
/// benchmark times it (`tests/bench.sh`, row "bash -i: hook apart"). A
/// non-interactive bash on a terminal (a script run by hand that evaluates
/// init: the guess is wrong) parses the block it skips: measured and stated.
#[test]
fn bash_on_a_terminal_pays_a_bounded_amount_for_the_inline_hook() {
    if !ok() {
        return;
    }
    let dir = tempdir();
    let code = init_output_on_terminal("bash", &dir);
    let inline = eval_cost("bash", true, &code);
    let skipped = eval_cost("bash", false, &code);
    let apart = eval_cost("bash", true, &init_output("bash", &dir));
    let second = instructions(&[&tmpguard_bin_link(&dir), "init", "bash", "--hook-only"]) as i64;
    let old = eval_cost("bash", true, &release_output("bash", &dir));
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "bash on a terminal: interactive {inline} instructions (code apart: {apart} + the \
         second process {second}; release 3cefb87: {old}), non-interactive {skipped}"
    );
    assert!(
        inline <= apart + 300_000,
        "bash on a terminal, interactive: {inline} instructions, apart {apart} (+ the second process {second})"
    );
}

/// zsh and fish: measured and stated (README), with a loose bound that
/// catches a hook creeping into the non-interactive path.
#[test]
fn zsh_and_fish_costs() {
    if !ok() || !require(have("zsh") && have("fish"), "zsh and fish") {
        return;
    }
    let dir = tempdir();
    for shell in ["zsh", "fish"] {
        let code = init_output(shell, &dir);
        let inline = init_output_on_terminal(shell, &dir);
        let old = release_output(shell, &dir);
        eprintln!(
            "{shell} on a terminal: non-interactive {}, interactive {} instructions",
            eval_cost(shell, false, &inline),
            eval_cost(shell, true, &inline)
        );
        let (n, i) = (
            eval_cost(shell, false, &code),
            eval_cost(shell, true, &code),
        );
        let (on, oi) = (eval_cost(shell, false, &old), eval_cost(shell, true, &old));
        eprintln!(
            "{shell}: non-interactive {n} (release {on}), interactive {i} (release {oi}) instructions"
        );
        assert!(
            n <= on + 50_000,
            "{shell}: non-interactive {n}, release {on}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
