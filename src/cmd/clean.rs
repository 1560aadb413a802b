//! `tmpguard clean`: remove job directories, for Slurm's Epilog (`--job`)
//! and for cron or a node health check (`--stale`).
//!
//! Runs as root, but never walks a user's tree as root: the walk happens in
//! a child started as the directory's owner (groups dropped, gid `nogroup`,
//! uid set for good), which first closes every descriptor it inherited.
//! No passwd/NSS lookup anywhere (it can hang an Epilog). The child reports
//! one line per job directory; this process logs them and gives up on the
//! child at the deadline.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{FAILED, OK, say, spawn};
use crate::cli::CleanArgs;
use crate::engine::clean::{self, Outcome};
use crate::engine::effects::RealFs;
use crate::engine::privdir;
use crate::engine::syslog;

/// The group the owner's child runs with: it owns nothing, so the walk has
/// at most the rights of the uid itself.
const NOGROUP: u32 = 65534;

/// A job directory changed more recently than this is never stale: its job
/// may be starting, or (without `PrologFlags=Contain`) between two steps on
/// a node that is not its batch host, where no step shows in `listpids`.
const GRACE_SECS: i64 = 3600;

/// Lines taken from a child, and their length: it runs as the user.
const MAX_LINES: usize = 1000;
const MAX_LINE: usize = 1000;

/// Where `scontrol` is looked for when PATH is unset (an Epilog's environment is small).
const DEFAULT_PATH: &str = "/usr/bin:/bin:/usr/sbin:/sbin";

pub fn run(args: &CleanArgs) -> u8 {
    if args.as_owner {
        return owner(args);
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    if args.stale {
        stale(args, deadline)
    } else {
        job(args, deadline)
    }
}

fn bases(args: &CleanArgs) -> Vec<PathBuf> {
    if args.base.is_empty() {
        vec![PathBuf::from(crate::engine::resolve::DEFAULT_BASE)]
    } else {
        args.base.clone()
    }
}

fn env_or(flag: &Option<String>, var: &str) -> Option<String> {
    flag.clone()
        .or_else(|| std::env::var(var).ok())
        .filter(|v| !v.is_empty())
}

/// `clean --job ID --uid UID` (or SLURM_JOB_ID / SLURM_JOB_UID).
fn job(args: &CleanArgs, deadline: Instant) -> u8 {
    let Some(id) = env_or(&args.job, "SLURM_JOB_ID") else {
        say("clean: no job id (--job, or SLURM_JOB_ID in the environment)");
        return FAILED;
    };
    let Some(uid) = env_or(&args.uid, "SLURM_JOB_UID").and_then(|u| u.parse::<u32>().ok()) else {
        say("clean: no numeric uid (--uid, or SLURM_JOB_UID in the environment)");
        return FAILED;
    };
    let extra = vec![OsString::from("--job"), OsString::from(&id)];
    as_owner(args, uid, extra, deadline)
}

/// `clean --stale`: job directories whose job no longer runs on this node.
fn stale(args: &CleanArgs, deadline: Instant) -> u8 {
    let me = nix::unistd::getuid().as_raw();
    let uids: BTreeSet<u32> = if me == 0 {
        owners(&bases(args))
    } else {
        [me].into()
    };
    let running = match slurm_running() {
        Ok(r) => r,
        Err(why) => {
            let msg = format!(
                "clean --stale: cannot tell which jobs run on this node ({why}); deleting nothing"
            );
            say(&msg);
            syslog::send(syslog::DAEMON_WARNING, &msg);
            return FAILED;
        }
    };
    let mut status = OK;
    for uid in uids {
        let extra = vec![
            OsString::from("--stale"),
            OsString::from("--running"),
            OsString::from(running.join(",")),
        ];
        if as_owner(args, uid, extra, deadline) != OK {
            status = FAILED;
        }
    }
    status
}

/// The uids (not root) owning directories directly in the bases: found with
/// `O_PATH` opens that never cross a mount, never by name lookup.
fn owners(bases: &[PathBuf]) -> BTreeSet<u32> {
    let mut uids = BTreeSet::new();
    for b in bases {
        let Ok(base) = privdir::open_base(&RealFs, b, 0) else {
            continue;
        };
        let Ok(bfd) = base.fd.fd() else { continue };
        let Ok(rd) = clean::open_beneath(
            bfd,
            std::ffi::OsStr::new("."),
            nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY,
        ) else {
            continue;
        };
        let Ok(mut d) = nix::dir::Dir::from_fd(rd) else {
            continue;
        };
        let names: Vec<OsString> = d
            .iter()
            .filter_map(Result::ok)
            .map(|e| std::ffi::OsStr::from_bytes(e.file_name().to_bytes()).to_owned())
            .filter(|n| n != "." && n != "..")
            .collect();
        for n in names {
            if let Ok((_, st)) = clean::lookup(bfd, &n) {
                let dir = st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFDIR;
                if dir && st.st_uid != 0 {
                    uids.insert(st.st_uid);
                }
            }
        }
    }
    uids
}

/// The Slurm jobs with steps on this node, from the node itself: the local
/// slurmd must answer (`scontrol show slurmd`), then `scontrol listpids`
/// lists the jobs of the steps running here. Any failure: cannot tell.
fn slurm_running() -> Result<Vec<String>, String> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    let prog = std::env::split_paths(&path)
        .map(|d| d.join("scontrol"))
        .find(|p| p.is_file())
        .ok_or("scontrol: not found")?;
    // scontrol gets this process's environment (SLURM_CONF, PATH ...).
    let env: Vec<OsString> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k;
            kv.push("=");
            kv.push(v);
            kv
        })
        .collect();
    let scontrol = |args: &[&str]| -> Result<String, String> {
        let argv: Vec<OsString> = std::iter::once("scontrol")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        let child = spawn::spawn(&prog, &argv, &env, None, true)
            .map_err(|e| format!("scontrol: {}", e.desc()))?;
        let limit = Instant::now() + Duration::from_secs(20);
        let mut out = Vec::new();
        let ended = spawn::read_until(&child.out, limit, 1 << 20, &mut out);
        let status = spawn::wait_until(child.pid, if ended { limit } else { Instant::now() });
        let text = String::from_utf8_lossy(&out).into_owned();
        if !ended || status.is_none() {
            return Err(format!("scontrol {} did not answer", args.join(" ")));
        }
        if !spawn::success(status) {
            let first = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("failed");
            return Err(format!("scontrol {}: {first}", args.join(" ")));
        }
        Ok(text)
    };
    scontrol(&["show", "slurmd"])?;
    let pids = match scontrol(&["listpids"]) {
        // Slurm's way of saying "none" (an error status, on 22.05).
        Err(e) if e.ends_with("No job steps exist on this node.") => String::new(),
        other => other?,
    };
    let mut jobs: Vec<String> = pids
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|j| j.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    jobs.sort();
    jobs.dedup();
    Ok(jobs)
}

/// Run the owner's part as `uid` and log what it reports. As root: in a
/// child; as that uid already (a user cleaning up after themselves): here.
fn as_owner(args: &CleanArgs, uid: u32, extra: Vec<OsString>, deadline: Instant) -> u8 {
    let me = nix::unistd::getuid().as_raw();
    if uid == 0 {
        say("clean: refusing to act for uid 0");
        return FAILED;
    }
    if me != 0 && me != uid {
        say(format_args!("clean: only root can clean for uid {uid}"));
        return FAILED;
    }
    let mut argv: Vec<OsString> = vec![
        "clean".into(),
        "--as-owner".into(),
        "--uid".into(),
        uid.to_string().into(),
    ];
    for b in bases(args) {
        argv.extend([OsString::from("--base"), b.into_os_string()]);
    }
    let left_ms = deadline
        .saturating_duration_since(Instant::now())
        .as_millis();
    argv.extend([OsString::from("--timeout-ms"), left_ms.to_string().into()]);
    argv.extend([
        OsString::from("--keep-days"),
        args.keep_days.to_string().into(),
    ]);
    if args.dry_run {
        argv.push("--dry-run".into());
    }
    argv.extend(extra);
    let mut argv0: Vec<OsString> = vec!["tmpguard".into()];
    argv0.extend(argv);
    let env = [OsString::from(format!("PATH={DEFAULT_PATH}"))];
    // Root drops groups, gid (to nogroup) and uid in the child, before it
    // becomes the owner's process; the child checks all three.
    let drop_to = (me == 0).then_some(spawn::Drop { uid, gid: NOGROUP });
    let child = match spawn::spawn(
        std::path::Path::new("/proc/self/exe"),
        &argv0,
        &env,
        drop_to,
        false,
    ) {
        Ok(c) => c,
        Err(e) => {
            say(format_args!(
                "clean: cannot start the owner's process: {}",
                e.desc()
            ));
            return FAILED;
        }
    };
    // A little after the child's own deadline: it reports what it left.
    let limit = deadline + Duration::from_secs(2);
    let mut out = Vec::new();
    let ended = spawn::read_until(&child.out, limit, MAX_LINES * MAX_LINE, &mut out);
    let mut status = OK;
    let mut reported = false;
    for line in out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(MAX_LINES)
    {
        reported = true;
        let line = String::from_utf8_lossy(&line[..line.len().min(MAX_LINE)]).into_owned();
        status = status.max(report(uid, &line));
    }
    let waited = spawn::wait_until(child.pid, if ended { limit } else { Instant::now() });
    if !ended || waited.is_none() {
        let msg = format!(
            "clean: gave up on uid {uid}'s job directories at the time limit; whatever was not reported removed is left"
        );
        say(&msg);
        syslog::send(syslog::DAEMON_WARNING, &msg);
        return FAILED;
    }
    match waited {
        _ if spawn::success(waited) => status,
        // It said what went wrong.
        _ if reported => FAILED,
        Some(s) => {
            say(format_args!(
                "clean: the owner's process for uid {uid} failed ({s:?})"
            ));
            FAILED
        }
        None => FAILED,
    }
}

/// One line from the owner's process: `log <text>`, `warn <text>` (both to
/// the system log too) or `info <text>`. The text is the child's (the
/// user's) own words: it goes out prefixed with the uid it ran as.
fn report(uid: u32, line: &str) -> u8 {
    let (tag, text) = line.split_once(' ').unwrap_or(("info", line));
    let text = format!("clean (uid {uid}): {text}");
    say(&text);
    match tag {
        "log" => {
            syslog::send(syslog::DAEMON_NOTICE, &text);
            OK
        }
        "warn" => {
            syslog::send(syslog::DAEMON_WARNING, &text);
            FAILED
        }
        _ => OK,
    }
}

/// The owner's part: runs as the uid, finds and removes (or keeps) job directories.
fn owner(args: &CleanArgs) -> u8 {
    // Before anything else: nothing opened by root survives into the walk.
    crate::sys::close_fds_from(3, &[]);
    let Some(uid) = args.uid.as_deref().and_then(|u| u.parse::<u32>().ok()) else {
        return FAILED;
    };
    if let Err(why) = check_dropped(uid) {
        println!("warn refusing to walk: {why}");
        return FAILED;
    }
    let deadline =
        Instant::now() + Duration::from_millis(args.timeout_ms.unwrap_or(args.timeout * 1000));
    // Without openat2 (Linux < 5.6) no name could be opened safely: say so,
    // rather than "nothing found".
    if let Err(nix::errno::Errno::ENOSYS) = clean::open_beneath(
        nix::fcntl::AT_FDCWD,
        std::ffi::OsStr::new("."),
        nix::fcntl::OFlag::O_PATH,
    ) {
        println!(
            "warn cannot clean: this kernel has no openat2 (Linux 5.6 or later is needed); nothing removed"
        );
        return FAILED;
    }
    let mut found = Vec::new();
    for b in bases(args) {
        match privdir::open_base(&RealFs, &b, uid) {
            Ok(base) => {
                if let Ok(fd) = base.fd.fd() {
                    clean::find_in_base(fd, &base.path, uid, &mut found)
                }
            }
            Err(e) => println!("info base {}: {}", clean::show(&b), e),
        }
    }
    let now = clean::now_secs();
    let running: BTreeSet<&[u8]> = args
        .running
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::as_bytes)
        .collect();
    let mut status = OK;
    let mut matched = 0;
    for j in &found {
        let path = clean::show(&j.path);
        let id = String::from_utf8_lossy(&j.id).into_owned();
        let kept = clean::kept_since(j);
        if args.stale {
            // Only Slurm jobs can be checked against the node.
            if j.scheduler != b"slurm"
                || running.contains(j.id.as_slice())
                || now - j.mtime < GRACE_SECS
            {
                continue;
            }
            if kept.is_some_and(|t| now - t < args.keep_days as i64 * 86400) {
                continue;
            }
        } else if args.job.as_deref().map(str::as_bytes) != Some(j.id.as_slice()) {
            continue;
        }
        matched += 1;
        if args.dry_run {
            let w = clean::count_job(j, deadline, uid);
            println!("info would remove {path} (job {id}, {} bytes)", w.bytes);
            continue;
        }
        if kept.is_some() && !args.stale {
            let w = clean::count_job(j, deadline, uid);
            let atleast = if w.partial || w.timed_out {
                "at least "
            } else {
                ""
            };
            println!(
                "log kept job directory {path} (job {id}, {atleast}{} bytes): it has {}",
                w.bytes,
                crate::engine::jobdir::KEEP
            );
            continue;
        }
        let why = if args.stale {
            "; job no longer runs here"
        } else {
            ""
        };
        match clean::remove_job(j, deadline, uid) {
            (Outcome::Removed, bytes) => {
                println!("log removed job directory {path} (job {id}, {bytes} bytes{why})")
            }
            (Outcome::Left(reason), bytes) => {
                status = FAILED;
                println!(
                    "warn left job directory {path} (job {id}, {bytes} bytes removed): {reason}"
                );
            }
        }
    }
    if matched == 0 && !args.stale {
        println!(
            "info no job directory of job {} found",
            args.job.as_deref().unwrap_or("?")
        );
    }
    status
}

/// The child really is the uid, for good, with no groups of root's.
fn check_dropped(uid: u32) -> Result<(), String> {
    use nix::unistd::{Uid, getgroups, getresgid, getresuid, setuid};
    if uid == 0 {
        return Err("uid 0".into());
    }
    let r = getresuid().map_err(|e| e.to_string())?;
    if [r.real, r.effective, r.saved] != [Uid::from_raw(uid); 3] {
        return Err(format!(
            "uids are {}/{}/{}, not {uid}",
            r.real, r.effective, r.saved
        ));
    }
    let g = getresgid().map_err(|e| e.to_string())?;
    if [g.real, g.effective, g.saved]
        .iter()
        .any(|g| g.as_raw() == 0)
    {
        return Err("a gid is 0".into());
    }
    if getgroups()
        .map_err(|e| e.to_string())?
        .iter()
        .any(|g| g.as_raw() == 0)
    {
        return Err("in group 0".into());
    }
    if setuid(Uid::from_raw(0)).is_ok() {
        return Err("could become root again".into());
    }
    Ok(())
}
