//! The fast path under `strace -f`: what a shell start costs the system,
//! deterministically (the timings are in tests/bench.sh, run by hand).
//!
//! On the fast path (the private directory exists), `tmpguard init bash` must
//! open no passwd, group or nsswitch file and no socket (NSS hangs when LDAP
//! is down), even with `HOME` unset; start no thread or process; and stay
//! within a budget of system calls.
mod common;
#[path = "common/startcases.rs"]
mod startcases;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Most system calls `tmpguard init bash` may make on the fast path,
/// counting the dynamic loader's and libc's start-up.
const BUDGET: usize = 80;

/// Anything NSS reads or talks to: none may appear in the trace.
const NSS: &[&str] = &[
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
    "/etc/nsswitch.conf",
    "libnss_",
    "/nscd/",
    "/sss/",
    "/etc/host.conf",
];

/// `/tmp/<name>`, made 0700 by the test and removed afterwards: the private
/// directory of a user called `<name>` with the default base.
struct PrivateDir {
    name: String,
    path: PathBuf,
    /// A valid XDG_RUNTIME_DIR beside it (0700, ours, local): a login's.
    runtime: PathBuf,
}

impl PrivateDir {
    fn new(tag: &str) -> PrivateDir {
        use std::os::unix::fs::DirBuilderExt;
        let name = format!("tmpguard-syscalls-{}-{tag}", std::process::id());
        let path = Path::new("/tmp").join(&name);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .expect("create the private dir");
        let runtime = path.with_extension("rt");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&runtime)
            .expect("create the runtime dir");
        PrivateDir {
            name,
            path,
            runtime,
        }
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        let _ = std::fs::remove_dir_all(&self.runtime);
    }
}

/// One system call from `strace -f` output: the pid and the call's line.
struct Call<'a> {
    pid: &'a str,
    name: &'a str,
    line: &'a str,
}

/// Calls in an `strace -f -o` trace; signal and exit notes and the second
/// half of interrupted calls are not calls.
fn calls(trace: &str) -> Vec<Call<'_>> {
    trace
        .lines()
        .filter_map(|line| {
            let (pid, rest) = line.split_once(char::is_whitespace)?;
            let rest = rest.trim_start();
            let name = &rest[..rest.find('(')?];
            let is_name =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            is_name.then_some(Call { pid, name, line })
        })
        .collect()
}

/// Run `tmpguard init bash` under `strace -f` as a shell runs it: by its bare
/// name, found on `PATH` (so its own search for itself is counted), with a
/// clean environment (no `HOME`, no `TMPDIR` unless given, a valid
/// `XDG_RUNTIME_DIR` as a login has) as user
/// `dir.name`. Checks its output and returns the trace.
fn trace_fast_path(dir: &PrivateDir, tmpdir: Option<&Path>) -> String {
    let out_file = dir.path.with_extension("strace");
    let bin = common::tmpguard_bin();
    let bin_dir = Path::new(&bin)
        .parent()
        .expect("the binary is in a directory");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-o"])
        .arg(&out_file)
        .args(["tmpguard", "init", "bash"])
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("USER", &dir.name)
        .env("XDG_RUNTIME_DIR", &dir.runtime);
    if let Some(t) = tmpdir {
        cmd.env("TMPDIR", t);
    }
    let out = cmd.output().expect("run strace");
    let trace = std::fs::read_to_string(&out_file).unwrap_or_default();
    let _ = std::fs::remove_file(&out_file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "status {}\nstderr:\n{stderr}\ntrace:\n{trace}",
        out.status
    );
    let export = format!("export TMPDIR='{}'\n", dir.path.display());
    assert!(
        stdout.starts_with(&export),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let first = trace.lines().next().unwrap_or_default();
    let exec = format!("execve(\"{}\"", common::tmpguard_bin());
    assert!(first.contains(&exec), "not the binary under test: {first}");
    assert_eq!(stderr, "", "the fast path has nothing new to say");
    trace
}

/// The rules of the fast path, checked on one trace.
fn check(trace: &str) {
    let calls = calls(trace);
    let fail = |why: String| -> ! { panic!("{why}\nfull trace ({} calls):\n{trace}", calls.len()) };

    // The trace is the real run: the probe and the output are in it.
    if !calls
        .iter()
        .any(|c| c.name == "openat" && c.line.contains("O_CREAT|O_EXCL"))
    {
        fail("no probe file created: is this the trace of tmpguard?".into());
    }
    if !calls
        .iter()
        .any(|c| c.name == "write" && c.line.contains("write(1, \"export "))
    {
        fail("no export written: is this the trace of tmpguard?".into());
    }

    for c in &calls {
        if let Some(f) = NSS.iter().find(|f| c.line.contains(*f)) {
            fail(format!("NSS on the fast path ({f}): {}", c.line));
        }
        if c.line.contains("mountinfo") {
            fail(format!("mountinfo read on the fast path: {}", c.line));
        }
        if matches!(c.name, "socket" | "socketpair" | "connect") {
            fail(format!("a socket on the fast path: {}", c.line));
        }
        if matches!(c.name, "fork" | "vfork" | "clone" | "clone3") {
            fail(format!("a thread or process on the fast path: {}", c.line));
        }
    }
    let execs = calls
        .iter()
        .filter(|c| c.name.starts_with("execve"))
        .count();
    if execs != 1 {
        fail(format!("{execs} execs; only tmpguard's own is allowed"));
    }
    let mut pids: Vec<&str> = calls.iter().map(|c| c.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    if pids.len() != 1 {
        fail(format!("{} processes or threads: {pids:?}", pids.len()));
    }
    eprintln!("{} system calls (budget {BUDGET})", calls.len());
    if calls.len() > BUDGET {
        fail(format!(
            "{} system calls, over the budget of {BUDGET}",
            calls.len()
        ));
    }
}

#[test]
fn fast_path_login_is_cheap_and_never_asks_nss() {
    if !common::require(common::have("strace"), "strace") {
        return;
    }
    // A fresh login: TMPDIR unset, /tmp/$USER already there.
    let dir = PrivateDir::new("login");
    check(&trace_fast_path(&dir, None));
}

#[test]
fn fast_path_nested_shell_is_cheap_and_never_asks_nss() {
    if !common::require(common::have("strace"), "strace") {
        return;
    }
    // A shell started from one that already ran tmpguard.
    let dir = PrivateDir::new("nested");
    check(&trace_fast_path(&dir, Some(&dir.path)));
}

#[test]
fn the_checks_catch_what_they_look_for() {
    // A check that cannot fail proves nothing: feed it traces that break each rule.
    let good = "7 execve(\"/t\", [\"t\"], 0x0 /* 1 var */) = 0\n\
                7 openat(4, \"abc\", O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600) = 5\n\
                7 write(1, \"export TMPDIR='/tmp/x'\\n\", 22) = 22\n\
                7 +++ exited with 0 +++\n";
    check(good);
    let bad = [
        "7 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 4\n",
        "7 newfstatat(AT_FDCWD, \"/etc/nsswitch.conf\", {st_mode=S_IFREG|0644}, 0) = 0\n",
        "7 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 4\n",
        "7 clone3({flags=CLONE_VM|CLONE_FS}, 88) = 8\n",
        "7 execve(\"/bin/sh\", [\"sh\"], 0x0 /* 1 var */) = 0\n",
        "8 getpid() = 8\n",
        &"7 getpid() = 7\n".repeat(BUDGET),
    ];
    for b in bad {
        let trace = format!("{good}{b}");
        assert!(
            std::panic::catch_unwind(|| check(&trace)).is_err(),
            "not caught:\n{b}"
        );
    }
}

/// Without `XDG_RUNTIME_DIR`, the runtime directory found again (made by an
/// earlier start, or logind's) costs about what a valid `XDG_RUNTIME_DIR`
/// costs: no NSS, no fork, no mountinfo, within the budget, at most 5 system
/// calls more. (Instructions: tests/startcost.rs, on the release build.)
#[test]
fn unset_runtime_dir_found_again_is_as_cheap_as_a_valid_one() {
    if !common::require(common::have("strace"), "strace") {
        return;
    }
    let Some(sb) = common::sandbox() else {
        return;
    };
    let out = startcases::run_runtime_cases(
        &sb,
        "strace -f -qq -o /tmp/trace tmpguard init bash",
        "cat /tmp/trace",
    );
    let mut n = std::collections::HashMap::new();
    for name in ["found", "logind", "valid"] {
        let trace = startcases::runtime_case(&out, name).measured;
        check(trace);
        n.insert(name, calls(trace).len());
    }
    eprintln!("system calls: {n:?}");
    for name in ["found", "logind"] {
        assert!(
            n[name] <= n["valid"] + 5,
            "{name}: {} system calls, with a valid XDG_RUNTIME_DIR {}",
            n[name],
            n["valid"]
        );
    }
}
