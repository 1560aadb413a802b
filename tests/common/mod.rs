//! Test harness: run a bash script in a sandbox, a private mount namespace
//! with its own `/tmp` (a tmpfs), its own `/etc` (a private copy with the
//! throwaway users) and a copy of the tmpguard binary every user can run.
//!
//! Tiers (README, "Testing"):
//! - tier 0: unit tests and tests that need no sandbox (anyone);
//! - tier 1, [`sandbox`]: one user, alice. As root, the full sandbox below;
//!   otherwise an unprivileged user namespace in which the developer's uid is
//!   alice (2001) inside a root the namespace owns (pivot_root into a tmpfs:
//!   root's files would show as uid 65534, which the owner rules refuse);
//! - tier 2, [`root_sandbox`]: root and several users (mallory, bob, extra
//!   ones), mounts made by the script. As root, the full sandbox; otherwise a
//!   user namespace with the developer's subordinate ids (`/etc/subuid`,
//!   `/etc/subgid`, mapped with the setuid `newuidmap`/`newgidmap`): the
//!   developer's uid is the namespace's root, uids 1-65535 are subordinate
//!   ids, so alice, mallory and bob are really different users; the script
//!   pivots into a root the namespace owns, like tier 1;
//! - tier 3, [`real_root_sandbox`]: what only the real root can do: a test
//!   user's FUSE mount (the setuid fusermount3 is no use in a user
//!   namespace), `/proc` and `/dev` as ancestors (the real root's, uid 65534
//!   in a user namespace), namespaces of the test's own around the sandbox.
//!
//! A test that cannot run skips locally (saying why) and fails under CI
//! (`CI=true`), where every test must really run; `TMPGUARD_TEST_TIER=N`
//! deselects the tiers above N (the unprivileged CI pass: 2). Every script
//! runs under a timeout (`TMPGUARD_TEST_TIMEOUT` seconds, default 300).
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

/// The binary under test: `TMPGUARD_TEST_BIN` when set (test binaries run
/// by another user from a copy, as .ci/checks does), else cargo's.
pub fn tmpguard_bin() -> String {
    std::env::var("TMPGUARD_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tmpguard").into())
}

/// The checkout: `TMPGUARD_TEST_REPO` when set, else cargo's.
pub fn repo_dir() -> String {
    std::env::var("TMPGUARD_TEST_REPO").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}

/// Debian's python3 (every user can run it, unlike a per-user pyenv).
pub const PYTHON: &str = "/usr/bin/python3";

/// Which sandbox a test gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// One user (alice); runs without root in a user namespace.
    One,
    /// Root and several users: as root, or with subordinate ids.
    Two,
    /// The real root.
    Three,
}

/// How the sandbox is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Real root: users by uid, the script runs as root.
    Root,
    /// An unprivileged user namespace: the script runs as alice.
    UserNs,
    /// An unprivileged user namespace with subordinate ids: the script runs
    /// as the namespace's root (the developer), the users are subordinate ids.
    SubIds(SubIds),
}

/// The developer's subordinate uid and gid ranges: first id, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SubIds {
    uid: (u64, u64),
    gid: (u64, u64),
}

/// uids and gids 1..=65535 in the namespace (the test users, and 65534, the
/// squashed owner a test may chown to) are subordinate ids.
const SUB_IDS: u64 = 65535;

/// A namespace to run one test in.
#[derive(Debug, Clone)]
pub struct Sandbox {
    mode: Mode,
    tmp_opts: String,
    extra_users: Vec<(String, u32)>,
    /// Host directories copied to `$AUX/<name>` (readable by all).
    extra_dirs: Vec<(std::path::PathBuf, String)>,
    timeout: u64,
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

/// The highest tier selected (`TMPGUARD_TEST_TIER`, default all).
fn max_tier() -> u32 {
    std::env::var("TMPGUARD_TEST_TIER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(u32::MAX)
}

/// Tier 1: a sandbox with one user, alice (the script may run as alice, so
/// it must not need root: no `mount`, no `as mallory`). `None`: skip.
pub fn sandbox() -> Option<Sandbox> {
    sandbox_for(Tier::One)
}

/// Tier 2: a sandbox where the script runs as root, with alice, mallory, bob
/// and any [`Sandbox::user`]: as root, or in a user namespace with the
/// developer's subordinate ids. `None`: skip (neither, locally).
pub fn root_sandbox() -> Option<Sandbox> {
    sandbox_for(Tier::Two)
}

/// Tier 3: like [`root_sandbox`], for a test that needs the real root (see
/// the module's documentation). `None`: skip (not root).
pub fn real_root_sandbox() -> Option<Sandbox> {
    sandbox_for(Tier::Three)
}

fn sandbox_for(tier: Tier) -> Option<Sandbox> {
    let n = match tier {
        Tier::One => 1,
        Tier::Two => 2,
        Tier::Three => 3,
    };
    if n > max_tier() {
        // Deselected, not missing: never a failure.
        skip(&format!("tier {n}, deselected by TMPGUARD_TEST_TIER"));
        return None;
    }
    let mode = if is_root() {
        Mode::Root
    } else {
        match tier {
            Tier::One => Mode::UserNs,
            Tier::Two => match sub_ids() {
                Ok(ids) if require(subids_works(ids), SUBIDS_WHY) => Mode::SubIds(ids),
                Ok(_) => return None,
                Err(why) => {
                    require(false, &format!("root, or {SUBIDS_WHY}: {why}"));
                    return None;
                }
            },
            Tier::Three => {
                require(false, "root (tier 3: what a user namespace cannot do)");
                return None;
            }
        }
    };
    if !require(have("unshare"), "unshare (util-linux)") || !require(have("timeout"), "timeout") {
        return None;
    }
    match mode {
        Mode::Root if !require(have("setpriv"), "setpriv (util-linux)") => return None,
        Mode::UserNs | Mode::SubIds(_)
            if !require(
                have("pivot_root") || have("/usr/sbin/pivot_root") || have("/sbin/pivot_root"),
                "pivot_root (util-linux)",
            ) || !require(userns_works(), USERNS_WHY) =>
        {
            return None;
        }
        Mode::SubIds(_) if !require(have("setpriv"), "setpriv (util-linux)") => return None,
        _ => {}
    }
    Some(Sandbox {
        mode,
        tmp_opts: "mode=1777,size=16m".into(),
        extra_users: Vec::new(),
        extra_dirs: Vec::new(),
        timeout: timeout_secs(),
    })
}

const USERNS_WHY: &str = "unprivileged user namespaces (tier 1 without root; \
     sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1 where it exists, \
     no AppArmor restriction)";

/// Whether this user can make a user and mount namespace and mount a tmpfs in it.
fn userns_works() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("unshare")
            .args(["-U", "-r", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

const SUBIDS_WHY: &str = "subordinate ids for tier 2 without root: newuidmap and newgidmap \
     (Debian: uidmap) and at least 65535 ids for this user in /etc/subuid and /etc/subgid \
     (useradd gives every new user 65536)";

/// This user's first subordinate range of at least [`SUB_IDS`] uids and gids.
fn sub_ids() -> Result<SubIds, String> {
    if !have("newuidmap") || !have("newgidmap") {
        return Err("no newuidmap/newgidmap".into());
    }
    let uid = nix_uid();
    let name = Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let range = |file: &str, id: u32| -> Result<(u64, u64), String> {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        text.lines()
            .filter_map(|l| {
                let mut f = l.split(':');
                let (who, start, count) = (f.next()?, f.next()?, f.next()?);
                ((who == name || who == id.to_string()) && !who.is_empty())
                    .then(|| Some((start.parse().ok()?, count.parse().ok()?)))
                    .flatten()
            })
            .find(|&(_, count)| count >= SUB_IDS)
            .ok_or_else(|| format!("no range of {SUB_IDS} ids for {name} in {file}"))
    };
    // Both files name the user (login name or uid), as newgidmap reads them.
    Ok(SubIds {
        uid: range("/etc/subuid", uid)?,
        gid: range("/etc/subgid", uid)?,
    })
}

impl SubIds {
    /// unshare's arguments: the developer is root, 1..=65535 subordinate.
    fn unshare_args(&self) -> Vec<String> {
        vec![
            "--map-root-user".into(),
            format!("--map-users={},1,{SUB_IDS}", self.uid.0),
            format!("--map-groups={},1,{SUB_IDS}", self.gid.0),
        ]
    }
}

/// Whether the namespace with subordinate ids can be made and used: a
/// tmpfs mounted, a file given to alice, a command run as her.
fn subids_works(ids: SubIds) -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("unshare")
            .args(ids.unshare_args())
            .args(["-m", "sh", "-c"])
            .arg(
                "mount -t tmpfs tmpfs /mnt && touch /mnt/x && chown 2001:2001 /mnt/x && \
                 setpriv --reuid=2001 --regid=2001 --clear-groups test -O /mnt/x",
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Print a skip past libtest's capture.
fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// Seconds a script may run before it is killed.
fn timeout_secs() -> u64 {
    std::env::var("TMPGUARD_TEST_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

impl Sandbox {
    /// Mount options for the private `/tmp` (mode, size, nr_inodes, ro ...).
    pub fn tmp(mut self, opts: &str) -> Self {
        self.tmp_opts = opts.into();
        self
    }

    /// Kill the script after `secs` seconds instead of the default.
    pub fn timeout(mut self, secs: u64) -> Self {
        self.timeout = secs;
        self
    }

    /// Add a user (gid = uid) to the sandbox's passwd (tier 2 only).
    pub fn user(mut self, name: &str, uid: u32) -> Self {
        assert!(
            self.mode != Mode::UserNs,
            "extra users need root_sandbox() (tier 2)"
        );
        self.extra_users.push((name.into(), uid));
        self
    }

    /// Copy the host directory `src` to `$AUX/<name>` in each run.
    pub fn with_dir(mut self, src: &std::path::Path, name: &str) -> Self {
        self.extra_dirs.push((src.to_owned(), name.into()));
        self
    }

    /// Lines copying the extra directories under `$1` (`$AUX` from outside),
    /// from the host or, with `staged`, from where [`Sandbox::stage`] put them.
    fn dirs(&self, aux: &str, staged: Option<&str>) -> String {
        let mut dirs = String::new();
        for (src, name) in &self.extra_dirs {
            let src = match staged {
                Some(dir) => format!("{dir}/dirs/{name}"),
                None => src.display().to_string(),
            };
            dirs.push_str(&format!(
                "cp -R '{src}' {aux}/{name} && chmod -R a+rX {aux}/{name}\n"
            ));
        }
        dirs
    }

    /// Lines copying what [`Sandbox::root_script`] installs from the host
    /// (the binary, the checkout's `shell/`, the extra directories) to `$1`,
    /// before a pivot into a new root hides the host.
    fn stage(&self, dir: &str) -> String {
        let mut lines = format!(
            "mkdir -p {dir}/dirs && install -m 0755 '{bin}' {dir}/tmpguard && cp -R '{repo}/shell' {dir}/shell || exit 96\n",
            bin = tmpguard_bin(),
            repo = repo_dir(),
        );
        for (src, name) in &self.extra_dirs {
            lines.push_str(&format!(
                "cp -R '{}' {dir}/dirs/{name} || exit 96\n",
                src.display()
            ));
        }
        lines
    }

    /// True when the script runs as alice in a user namespace (tier 1 without root).
    pub fn unprivileged(&self) -> bool {
        self.mode == Mode::UserNs
    }

    /// Run `body` with bash in a fresh mount namespace: as root ([`root_sandbox`],
    /// or [`sandbox`] when the tests run as root) or as alice ([`sandbox`] without
    /// root). The script has: `$TG` (tmpguard, executable by all), `$PY`
    /// (python3), `$REPO` (a copy of the checkout's `shell/`, readable by all),
    /// `$AUX` (a scratch directory outside /tmp, mode 0755), users alice (and in
    /// tier 2 mallory, bob) with homes under `$AUX/home`, and a function
    /// `as USER CMD...` that runs CMD as that user with a clean login-like
    /// environment (`PATH`, `HOME`, `USER`, `LOGNAME`).
    pub fn run(&self, body: &str) -> Out {
        let script = self.script(body);
        let secs = self.timeout;
        let mut cmd = Command::new("timeout");
        cmd.args(["--kill-after=5", &secs.to_string()]);
        match self.mode {
            Mode::Root => cmd.args(["unshare", "-m", "--propagation", "private"]),
            Mode::UserNs => cmd.args(["unshare", "-U", "-r", "-m", "--propagation", "private"]),
            Mode::SubIds(ids) => {
                cmd.arg("unshare")
                    .args(ids.unshare_args())
                    .args(["-m", "--propagation", "private"])
            }
        };
        let out: Output = cmd
            .args(["bash", "-c", &script])
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::null())
            .output()
            .expect("run timeout unshare");
        let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if matches!(out.status.code(), Some(124) | Some(137)) {
            stderr.push_str(&format!("harness: the script timed out after {secs} s\n"));
        }
        Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
            code: out.status.code(),
        }
    }

    /// The whole script [`Sandbox::run`] runs: for `unshare -m bash -c` (as
    /// root) or `unshare -U -r -m bash -c` (without root).
    pub fn script(&self, body: &str) -> String {
        match self.mode {
            Mode::Root => self.root_script(body, None),
            Mode::UserNs => self.userns_script(body),
            Mode::SubIds(_) => self.subids_script(body),
        }
    }

    /// Lines appending this sandbox's users to `$1/passwd` and `$1/group` and
    /// making their homes under `$2`.
    fn users(&self, etc: &str, home: &str) -> String {
        let mut users = String::new();
        let all: Vec<(String, u32)> = match self.mode {
            Mode::Root | Mode::SubIds(_) => USERS
                .iter()
                .map(|(n, u)| (n.to_string(), *u))
                .chain(self.extra_users.iter().cloned())
                .collect(),
            Mode::UserNs => vec![(USERS[0].0.to_string(), USERS[0].1)],
        };
        for (name, uid) in all {
            // In a user namespace the homes are made by the namespace's root,
            // which is alice's uid inside: no chown needed (or possible).
            let chown = match self.mode {
                Mode::Root | Mode::SubIds(_) => format!("chown {uid}:{uid} {home}/{name} && "),
                Mode::UserNs => String::new(),
            };
            users.push_str(&format!(
                "echo '{name}:x:{uid}:{uid}::/mnt/tg/home/{name}:/bin/bash' >> {etc}/passwd\n\
                 echo '{name}:x:{uid}:' >> {etc}/group\n\
                 mkdir -p {home}/{name} && {chown}chmod 700 {home}/{name}\n"
            ));
        }
        users
    }

    /// Tier 2 (and tier 1 as root): the script runs as root. With `staged`,
    /// it installs the binary, `shell/` and the extra directories from there
    /// (see [`Sandbox::stage`]), not from the host.
    fn root_script(&self, body: &str, staged: Option<&str>) -> String {
        let users = self.users("/mnt/tg/etc", "/mnt/tg/home");
        let dirs = self.dirs("/mnt/tg", staged);
        let (bin, repo) = match staged {
            Some(dir) => (format!("{dir}/tmpguard"), dir.to_owned()),
            None => (tmpguard_bin(), repo_dir()),
        };
        format!(
            r#"set -u
mount --make-rprivate / 2>/dev/null || true
# Copy what tests need from the checkout before /tmp is covered: CI may
# clone the repository under /tmp. (A checkout under /mnt is not supported.)
mkdir -p /mnt
mount -t tmpfs -o mode=0755 tmpfs /mnt
mkdir -p /mnt/tg/home /mnt/tg/repo /mnt/tg/etc && chmod 755 /mnt/tg /mnt/tg/home /mnt/tg/repo
install -m 0755 '{bin}' /mnt/tg/tmpguard
cp -R '{repo}/shell' /mnt/tg/repo/shell
{dirs}mount -t tmpfs -o '{tmp}' tmpfs /tmp
# Squats a test sets up must not reach the host's system log.
if [ -S /dev/log ]; then mount --bind /dev/null /dev/log; fi
# A private copy of /etc over the directory, not a file bound over
# /etc/passwd: a host tool that replaces /etc/passwd by rename (useradd)
# would detach such a mount mid-test; renames inside the host's /etc do
# not touch a mount on /etc itself.
cp -a /etc/. /mnt/tg/etc/
# No site configuration but the one a test writes (a host with tmpguard's
# package installed has one).
rm -rf /mnt/tg/etc/tmpguard
{users}mount --bind /mnt/tg/etc /etc
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
{body}
"#,
            tmp = self.tmp_opts,
            py = PYTHON,
        )
    }

    /// Tier 2 without root: in a user namespace whose root is the developer
    /// and whose other ids are subordinate ones, build a root the namespace
    /// owns (host files, owned by the real root, would show as uid 65534),
    /// pivot into it and run [`Sandbox::root_script`] there.
    fn subids_script(&self, body: &str) -> String {
        format!(
            r#"set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
R=/mnt
mount -t tmpfs -o mode=0755 tmpfs "$R" || exit 96
mkdir -p "$R"/usr "$R"/dev "$R"/proc "$R"/sys "$R"/etc "$R"/tmp "$R"/run/user "$R"/root "$R"/.old "$R"/var/tmp "$R"/mnt || exit 96
chmod 1777 "$R"/var/tmp && chmod 700 "$R"/root || exit 96
for d in usr dev proc sys; do mount --rbind "/$d" "$R/$d" || exit 96; done
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"
  elif [ -d "/$d" ]; then mkdir "$R/$d" && mount --rbind "/$d" "$R/$d"; fi
done
# A copy of /etc (what this user can read of it), owned by the namespace's root.
cp -R /etc/. "$R"/etc/ 2>/dev/null
{stage}cd "$R" && pivot_root . .old && cd / && umount -l /.old && rmdir /.old || exit 96
{root}"#,
            stage = self.stage("\"$R\"/.host"),
            root = self.root_script(body, Some("/.host")),
        )
    }

    /// Tier 1 without root: build a root the user namespace owns, pivot into
    /// it, then run the body in a nested namespace as alice (the developer's
    /// uid, seen as 2001; the files the outer namespace's root made are hers).
    fn userns_script(&self, body: &str) -> String {
        let users = self.users("$R/etc", "$R/mnt/tg/home");
        let dirs = self.dirs("\"$R\"/mnt/tg", None);
        let inner = format!(
            r#"set -u
cd /
REPO=/mnt/tg/repo TG=/mnt/tg/tmpguard PY={py} AUX=/mnt/tg
export REPO TG PY AUX
as() {{
  local u=$1; shift
  if [ "$u" != alice ]; then
    echo "harness: tier 1 has only alice, not $u: use root_sandbox()" >&2
    return 97
  fi
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="/mnt/tg/home/$u" USER="$u" LOGNAME="$u" \
    XDG_RUNTIME_DIR=/run/user/{alice} TG="$TG" PY="$PY" AUX="$AUX" "$@"
}}
export XDG_RUNTIME_DIR=/run/user/{alice}
{body}
"#,
            py = PYTHON,
            alice = USERS[0].1,
        );
        format!(
            r#"set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
R=/mnt
mount -t tmpfs -o mode=0755 tmpfs "$R" || exit 96
mkdir -p "$R"/usr "$R"/dev "$R"/proc "$R"/sys "$R"/etc "$R"/tmp "$R"/run "$R"/root "$R"/.old   "$R"/var/tmp "$R"/mnt/tg/home "$R"/mnt/tg/repo
chmod 1777 "$R"/var/tmp
for d in usr dev proc sys; do mount --rbind "/$d" "$R/$d" || exit 96; done
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"
  elif [ -d "/$d" ]; then mkdir "$R/$d" && mount --rbind "/$d" "$R/$d"; fi
done
# A copy of /etc (what this user can read of it) with alice added.
cp -R /etc/. "$R"/etc/ 2>/dev/null
rm -rf "$R"/etc/tmpguard
{users}install -m 0755 '{bin}' "$R"/mnt/tg/tmpguard
cp -R '{repo}/shell' "$R"/mnt/tg/repo/shell
{dirs}cat > "$R"/mnt/tg/.body <<'TMPGUARD_BODY_END'
{inner}
TMPGUARD_BODY_END
mount -t tmpfs -o '{tmp}' tmpfs "$R"/tmp || exit 96
# alice's login session: a 0700 tmpfs at /run/user/<uid> (issue 18), made by
# this namespace's root, which is alice inside.
mkdir -p "$R"/run/user/{alice} && chmod 755 "$R"/run "$R"/run/user || exit 96
mount -t tmpfs -o mode=0700,size=1m tmpfs "$R"/run/user/{alice} || exit 96
cd "$R" && pivot_root . .old && cd / && umount -l /.old && rmdir /.old || exit 96
exec unshare -U --map-user={alice} --map-group={alice} -- bash /mnt/tg/.body
"#,
            tmp = self.tmp_opts,
            bin = tmpguard_bin(),
            repo = repo_dir(),
            alice = USERS[0].1,
        )
    }
}

/// Run `body` after `helpers` (bash functions that report with `FAIL: ...`
/// lines): the script must print no such line and reach its last line,
/// `DONE`, so one that stopped early cannot pass. With the variable `show`
/// set, everything it printed is shown.
pub fn run_checked(sb: &Sandbox, helpers: &str, body: &str, show: &str) -> Out {
    let out = sb.run(&format!("{helpers}\n{body}\necho DONE\n"));
    let fails: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("FAIL"))
        .collect();
    assert!(
        fails.is_empty(),
        "{}\nstdout:\n{}\nstderr:\n{}",
        fails.join("\n"),
        out.stdout,
        out.stderr
    );
    assert_eq!(
        out.lines().last(),
        Some(&"DONE"),
        "script stopped early:\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    if std::env::var_os(show).is_some() {
        eprintln!("{}\n{}", out.stdout, out.stderr);
    }
    out.ok()
}

/// FUSE for the tests that mount one (an attacker's forged mount, a hung
/// daemon): bindfs, fusermount3 and the kernel's /dev/fuse. Skips locally,
/// fails under CI, like `require`. In tier 2 without root the namespace's
/// root mounts FUSE itself, which needs /dev/fuse open to the developer
/// (mode 0666, as Debian's udev rule makes it); where it is root's alone the
/// test needs the real root, as tier 3 does (deselected by
/// `TMPGUARD_TEST_TIER=2`, which the root run covers). A FUSE mount by a
/// test user (mallory's forgery) needs the setuid fusermount3, which a user
/// namespace cannot use: such a test is tier 3, [`real_root_sandbox`].
pub fn require_fuse(sb: &Sandbox) -> bool {
    if !require(
        have("bindfs") && have("fusermount3") && std::path::Path::new("/dev/fuse").exists(),
        "bindfs, fusermount3 and /dev/fuse (Debian bindfs, fuse3)",
    ) {
        return false;
    }
    if !matches!(sb.mode, Mode::SubIds(_)) {
        return true;
    }
    let open = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
        .is_ok();
    const WHY: &str = "/dev/fuse open to you (mode 0666, Debian's udev rule) for FUSE without root; \
         here it is root's, so this test needs root (tier 3)";
    if !open && max_tier() < 3 {
        skip(&format!(
            "tier 3 here, deselected by TMPGUARD_TEST_TIER: {WHY}"
        ));
        return false;
    }
    require(open, WHY)
}
