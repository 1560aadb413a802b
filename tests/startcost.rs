//! Issue 18: instructions of `tmpguard init bash` (callgrind: deterministic)
//! on the release build, without `XDG_RUNTIME_DIR` and with one. Not part of
//! a plain `cargo test` (a debug build runs three times as many): .ci/run
//! runs it as `TMPGUARD_TEST_BIN=target/release/tmpguard cargo test --test
//! startcost` after `cargo build --release`.
mod common;
#[path = "common/startcases.rs"]
mod startcases;

/// Most instructions `tmpguard init bash` may run on the fast path.
const BUDGET: u64 = 420_000;
/// This share of it: what the runtime directory may add.
const SHARE: u64 = 20_000;

#[test]
fn unset_runtime_dir_found_again_runs_within_the_budget() {
    assert!(
        std::env::var_os("TMPGUARD_TEST_BIN").is_some(),
        "set TMPGUARD_TEST_BIN to a release build (cargo build --release)"
    );
    if !common::require(common::have("valgrind"), "valgrind") {
        return;
    }
    let Some(sb) = common::sandbox() else {
        return;
    };
    let out = startcases::run_runtime_cases(
        &sb,
        "valgrind --tool=callgrind --log-file=/tmp/vg --callgrind-out-file=/tmp/cg tmpguard init bash",
        "awk '/^(summary|totals):/ {print $2; exit}' /tmp/cg",
    );
    let mut n = std::collections::HashMap::new();
    for name in ["found", "logind", "valid"] {
        let m = startcases::runtime_case(&out, name).measured;
        let i: u64 = m
            .lines()
            .next()
            .unwrap_or_default()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: no count: {m}"));
        n.insert(name, i);
    }
    eprintln!("instructions: {n:?} (budget < {BUDGET})");
    for name in ["found", "logind", "valid"] {
        assert!(n[name] < BUDGET, "{name}: {} instructions", n[name]);
    }
    for name in ["found", "logind"] {
        assert!(
            n[name] <= n["valid"] + SHARE,
            "{name}: {} instructions, with a valid XDG_RUNTIME_DIR {}",
            n[name],
            n["valid"]
        );
    }
}
