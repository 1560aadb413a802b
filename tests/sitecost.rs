//! Issue 16: what the site configuration file costs a shell start, counted
//! (callgrind instructions and strace system calls: deterministic, unlike
//! time) on the fast path of `tmpguard init bash`, the same process with and
//! without a typical file at /etc/tmpguard/tmpguard.toml.
//!
//! Needs a release build (the budget is set for it): not part of a plain
//! `cargo test`. `.ci/run` runs it after the packages' release build:
//!
//! ```sh
//! cargo build --release
//! TMPGUARD_TEST_BIN=$PWD/target/release/tmpguard cargo test --test sitecost
//! ```
//!
//! The issue's share is +40,000 instructions and +6 system calls with a
//! typical 20-line file, +1 system call (the failed `open`) without one, over
//! a build whose configuration code is stubbed out (`Site::load` returning the
//! defaults). A test cannot build that stub, so it bounds what it can
//! measure: the file over no file. No file over the stub measured 304
//! instructions and one system call (README, "What it costs a shell start");
//! `tests/config.rs` checks that a missing file is one failed `open` and
//! nothing else. So the file's own cost may be at most 39,000 instructions,
//! leaving 1,000 for the missing file's, and 5 system calls.
mod common;

use common::{have, require, root_sandbox};

/// The file over no file, in instructions: the share (40,000) less an
/// allowance for the missing file's own cost (measured 304).
const FILE_BUDGET: i64 = 39_000;
/// The file over no file, in system calls: the share (6) less the failed open.
const FILE_SYSCALLS: i64 = 5;
/// The whole fast path with the file: the round's budget.
const TOTAL_BUDGET: i64 = 420_000;

const TYPICAL: &str = include_str!("fixtures/site-typical.toml");

#[test]
fn a_typical_site_file_costs_at_most_its_share_of_a_shell_start() {
    assert!(
        std::env::var_os("TMPGUARD_TEST_BIN").is_some(),
        "set TMPGUARD_TEST_BIN to a release build (cargo build --release)"
    );
    let Some(sb) = root_sandbox() else { return };
    if !require(have("valgrind"), "valgrind") || !require(have("strace"), "strace") {
        return;
    }
    // A login-like environment of five variables; TMPDIR and XDG_RUNTIME_DIR
    // valid (the sandbox's /run/user/0 is a root-made 0700 tmpfs): nothing to
    // make or change, the fast path.
    let out = sb
        .run(&format!(
            r#"set -e
mkdir -m 700 /tmp/root
E="env -i PATH=/usr/bin:/bin HOME=/root USER=root TMPDIR=/tmp/root XDG_RUNTIME_DIR=/run/user/0"
measure() {{
  $E "$TG" init bash >/tmp/out 2>/tmp/err
  $E valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out "$TG" init bash >/dev/null 2>/dev/null
  $E strace -f -qq -o /tmp/st "$TG" init bash >/dev/null 2>&1
  echo "$1 $(awk '/^(totals|summary):/ {{print $2; exit}}' /tmp/cg.out) $(grep -cv -e '^[0-9]* +++' -e '^[0-9]* ---' -e 'resumed>' /tmp/st) $(grep -c SCRATCH_TMPDIR /tmp/out) $(wc -c </tmp/err)"
}}
rm -rf /etc/tmpguard
measure none
mkdir -m 755 /etc/tmpguard
cat > /etc/tmpguard/tmpguard.toml <<'TMPGUARD_EOF'
{TYPICAL}TMPGUARD_EOF
chmod 644 /etc/tmpguard/tmpguard.toml
measure file
cat /tmp/err"#
        ))
        .ok();
    let row = |tag: &str| -> Vec<i64> {
        let line = out
            .lines()
            .into_iter()
            .find(|l| l.starts_with(tag))
            .unwrap_or_else(|| panic!("no {tag} line in\n{}\n{}", out.stdout, out.stderr))
            .to_owned();
        line.split_whitespace()
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect()
    };
    let (none, file) = (row("none "), row("file "));
    eprintln!(
        "init bash: {} instructions, {} system calls without a site file; {}, {} with the typical file",
        none[0], none[1], file[0], file[1]
    );
    // The file was read and used (its extra variable exported), and it
    // is valid: nothing said.
    assert_eq!(
        (none[2], none[3], file[2], file[3]),
        (0, 0, 1, 0),
        "{}",
        out.stdout
    );
    let (instr, calls) = (file[0] - none[0], file[1] - none[1]);
    assert!(
        instr <= FILE_BUDGET,
        "the site file costs {instr} instructions (budget {FILE_BUDGET}): {none:?} -> {file:?}"
    );
    assert!(
        calls <= FILE_SYSCALLS,
        "the site file costs {calls} system calls (budget {FILE_SYSCALLS}): {none:?} -> {file:?}"
    );
    assert!(
        file[0] < TOTAL_BUDGET,
        "init bash with the site file: {} instructions (budget {TOTAL_BUDGET}; a release build?)",
        file[0]
    );
}
