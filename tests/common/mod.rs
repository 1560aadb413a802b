//! Test harness: run a bash script as root inside a private mount namespace
//! with its own `/tmp` (a tmpfs), its own passwd/group (throwaway users), and
//! a copy of the tmpguard binary every user can run.
//!
//! Root-only tests skip locally for a non-root developer (saying so) and fail
//! under CI (`CI=true`), where every test must really run.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// The throwaway users every sandbox has: (name, uid). gid = uid.
pub const USERS: &[(&str, u32)] = &[("alice", 2001), ("mallory", 2002), ("bob", 2003)];

/// True under CI, where skipping is failing.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Skip (locally) or fail (CI) for a missing prerequisite. Returns false to skip.
pub fn require(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    if in_ci() {
        panic!("required under CI: {what}");
    }
    // Straight to stderr: libtest captures eprintln! of passing tests, and a
    // skip must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: needs {what}");
    false
}

/// Running as root (needed for namespaces, tmpfs mounts and other users).
pub fn is_root() -> bool {
    nix_uid() == 0
}

fn nix_uid() -> u32 {
    // Avoid a dependency in tests: /proc/self/status has "Uid:\treal\t...".
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|u| u.parse().ok()))
        .unwrap_or(u32::MAX)
}

/// A program on PATH (or an absolute path) exists.
pub fn have(prog: &str) -> bool {
    if prog.starts_with('/') {
        return std::path::Path::new(prog).exists();
    }
    Command::new("sh")
        .args(["-c", &format!("command -v {prog}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The binary under test.
pub fn tmpguard_bin() -> &'static str {
    env!("CARGO_BIN_EXE_tmpguard")
}

/// Debian's python3 (every user can run it, unlike a per-user pyenv).
pub const PYTHON: &str = "/usr/bin/python3";

/// A namespace to run one test in.
#[derive(Debug, Clone)]
pub struct Sandbox {
    tmp_opts: String,
    extra_users: Vec<(String, u32)>,
    /// Host directories copied to `$AUX/<name>` (readable by all).
    extra_dirs: Vec<(std::path::PathBuf, String)>,
}

/// What a script printed and how it ended.
#[derive(Debug)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Out {
    /// Panic with everything printed unless the script exited 0.
    pub fn ok(self) -> Out {
        assert_eq!(
            self.code,
            Some(0),
            "script failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
    /// The lines of stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// A sandbox, or `None` to skip this test (not root, locally).
pub fn sandbox() -> Option<Sandbox> {
    if !require(is_root(), "root (mount namespaces, tmpfs, throwaway users)") {
        return None;
    }
    require(
        have("unshare") && have("setpriv"),
        "unshare and setpriv (util-linux)",
    )
    .then_some(Sandbox {
        tmp_opts: "mode=1777,size=16m".into(),
        extra_users: Vec::new(),
        extra_dirs: Vec::new(),
    })
}

impl Sandbox {
    /// Mount options for the private `/tmp` (mode, size, nr_inodes, ro ...).
    pub fn tmp(mut self, opts: &str) -> Self {
        self.tmp_opts = opts.into();
        self
    }

    /// Add a user (gid = uid) to the sandbox's passwd.
    pub fn user(mut self, name: &str, uid: u32) -> Self {
        self.extra_users.push((name.into(), uid));
        self
    }

    /// Copy the host directory `src` to `$AUX/<name>` in each run.
    pub fn with_dir(mut self, src: &std::path::Path, name: &str) -> Self {
        self.extra_dirs.push((src.to_owned(), name.into()));
        self
    }

    /// Run `body` with bash as root in a fresh mount namespace. The script has:
    /// `$TG` (tmpguard, executable by all), `$PY` (python3), `$REPO` (a copy
    /// of the checkout's `shell/`, readable by all), `$AUX` (a scratch
    /// directory outside /tmp, mode 0755), users alice/mallory/bob with homes
    /// under `$AUX/home`, and a function `as USER CMD...` that runs CMD as that
    /// user with a clean login-like environment (`PATH`, `HOME`, `USER`, `LOGNAME`,
    /// and `XDG_RUNTIME_DIR`: a logind-style `/run/user/<uid>` tmpfs for each user and root).
    pub fn run(&self, body: &str) -> Out {
        let mut users = String::new();
        for (name, uid) in USERS
            .iter()
            .map(|(n, u)| (n.to_string(), *u))
            .chain(self.extra_users.iter().cloned())
        {
            users.push_str(&format!(
                "echo '{name}:x:{uid}:{uid}::/mnt/tg/home/{name}:/bin/bash' >> /mnt/tg/passwd\n\
                 echo '{name}:x:{uid}:' >> /mnt/tg/group\n\
                 mkdir -p /mnt/tg/home/{name} && chown {uid}:{uid} /mnt/tg/home/{name} && chmod 700 /mnt/tg/home/{name}\n"
            ));
        }
        let mut dirs = String::new();
        for (src, name) in &self.extra_dirs {
            dirs.push_str(&format!(
                "cp -R '{}' /mnt/tg/{name} && chmod -R a+rX /mnt/tg/{name}\n",
                src.display()
            ));
        }
        let prelude = format!(
            r#"set -u
mount --make-rprivate / 2>/dev/null || true
# Copy what tests need from the checkout before /tmp is covered: CI may
# clone the repository under /tmp. (A checkout under /mnt is not supported.)
mkdir -p /mnt
mount -t tmpfs -o mode=0755 tmpfs /mnt
mkdir -p /mnt/tg/home /mnt/tg/repo && chmod 755 /mnt/tg /mnt/tg/home /mnt/tg/repo
install -m 0755 '{bin}' /mnt/tg/tmpguard
cp -R '{repo}/shell' /mnt/tg/repo/shell
{dirs}mount -t tmpfs -o '{tmp}' tmpfs /tmp
# Squats a test sets up must not reach the host's system log.
if [ -S /dev/log ]; then mount --bind /dev/null /dev/log; fi
cp /etc/passwd /mnt/tg/passwd && cp /etc/group /mnt/tg/group
{users}mount --bind /mnt/tg/passwd /etc/passwd
mount --bind /mnt/tg/group /etc/group
# A login session's runtime directories, as pam_systemd makes them (a
# root-made 0700 tmpfs at /run/user/<uid>): every user below, and root, has a
# valid XDG_RUNTIME_DIR, so tmpguard has nothing to change about it (issue 18;
# tests/runtime.rs makes its own /run/user).
mount -t tmpfs -o mode=0755,size=1m tmpfs /run/user
for uid in 0 $(awk -F: '$3 >= 1000 && $3 < 60000 {{print $3}}' /etc/passwd); do
  mkdir -p /run/user/$uid && mount -t tmpfs -o mode=0700,uid=$uid,gid=$uid,size=1m tmpfs /run/user/$uid
done
export XDG_RUNTIME_DIR=/run/user/0
REPO=/mnt/tg/repo
export REPO
TG=/mnt/tg/tmpguard PY={py} AUX=/mnt/tg
export TG PY AUX
as() {{
  local u=$1; shift
  local uid; uid=$(id -u "$u")
  setpriv --reuid="$uid" --regid="$uid" --clear-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="/mnt/tg/home/$u" USER="$u" LOGNAME="$u" \
    XDG_RUNTIME_DIR="/run/user/$uid" TG="$TG" PY="$PY" AUX="$AUX" "$@"
}}
"#,
            tmp = self.tmp_opts,
            bin = tmpguard_bin(),
            repo = env!("CARGO_MANIFEST_DIR"),
            py = PYTHON,
        );
        let script = format!("{prelude}\n{body}\n");
        let out: Output = Command::new("unshare")
            .args(["-m", "--propagation", "private", "bash", "-c", &script])
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::null())
            .output()
            .expect("run unshare");
        Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code(),
        }
    }
}
