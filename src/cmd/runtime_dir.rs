//! `tmpguard runtime-dir create|remove`: the root Prolog/Epilog site option
//! for `/run/user/$UID` (see `engine::userrun`). Always exits 0 on a failure
//! of its work: a failing Slurm Prolog or Epilog drains the node.
//!
//! Parsed here rather than by clap: a subcommand in clap's tree is built at
//! every shell start (about 9,000 instructions for this one).

use std::ffi::OsString;

use super::{FAILED, OK, emit, say};
use crate::engine::{syslog, userrun};

/// The subcommand's name.
pub const NAME: &str = "runtime-dir";

const USAGE: &str = "\
Make or remove /run/user/$UID for a batch job's user (root: Slurm Prolog/Epilog)

Usage: tmpguard runtime-dir <create|remove> [--uid UID] [--gid GID] [--job ID] [--size SIZE]

  create   (Prolog) mount a tmpfs at /run/user/<uid>, mode 0700, the user's,
           as pam_systemd would, unless a valid one is there
  remove   (Epilog) remove it after the user's last job on this node (never
           one logind made, never while the user is logged in here)

  --uid UID    the job's user (default: SLURM_JOB_UID)
  --gid GID    the job's group (default: SLURM_JOB_GID, else the uid)
  --job ID     the job (default: SLURM_JOB_ID)
  --size SIZE  the tmpfs size limit, as mount(8) takes it (default: 10%)

Exits 0 whatever happens to the directory (a failing Prolog drains the node);
a failure is told on stderr and in the system log. Exit 2: a usage error.
";

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub create: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub job: Option<String>,
    pub size: String,
}

/// Parse the arguments after `runtime-dir`; `Err` is the usage message.
pub fn parse(args: &[OsString]) -> Result<Args, String> {
    let mut it = args.iter().map(|a| a.to_str());
    let create = match it.next().flatten() {
        Some("create") => true,
        Some("remove") => false,
        _ => return Err(USAGE.into()),
    };
    let mut out = Args {
        create,
        uid: None,
        gid: None,
        job: None,
        size: "10%".into(),
    };
    while let Some(flag) = it.next() {
        let value = it.next().flatten();
        let number = |v: Option<&str>| v.and_then(|v| v.parse::<u32>().ok());
        match (flag, value) {
            (Some("--uid"), v) if number(v).is_some() => out.uid = number(v),
            (Some("--gid"), v) if number(v).is_some() => out.gid = number(v),
            (Some("--job"), Some(v)) => out.job = Some(v.into()),
            (Some("--size"), Some(v)) => out.size = v.into(),
            _ => return Err(USAGE.into()),
        }
    }
    Ok(out)
}

pub fn run(args: &[OsString]) -> u8 {
    if args
        .first()
        .is_some_and(|a| a == "--help" || a == "-h" || a == "help")
    {
        return if emit(USAGE.as_bytes()) { OK } else { FAILED };
    }
    let args = match parse(args) {
        Ok(a) => a,
        Err(usage) => {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), usage.as_bytes());
            return 2;
        }
    };
    let num = |v: &str| {
        std::env::var(v)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
    };
    let Some(uid) = args.uid.or_else(|| num("SLURM_JOB_UID")) else {
        say("runtime-dir: no --uid and no SLURM_JOB_UID");
        return OK;
    };
    let gid = args.gid.or_else(|| num("SLURM_JOB_GID")).unwrap_or(uid);
    let Some(job) = args.job.or_else(|| std::env::var("SLURM_JOB_ID").ok()) else {
        say("runtime-dir: no --job and no SLURM_JOB_ID");
        return OK;
    };
    let result = match args.create {
        true => userrun::create(uid, gid, &job, &args.size),
        false => userrun::remove(uid, &job),
    };
    if let Err(e) = result {
        let line = format!("runtime-dir for uid {uid}, job {job}: {e}");
        syslog::warn(&line);
        say(line);
    }
    OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Args, String> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn parses_the_flags_and_refuses_the_rest() {
        let a = p(&[
            "create", "--uid", "7", "--gid", "8", "--job", "12_3", "--size", "5m",
        ])
        .unwrap();
        assert_eq!(
            a,
            Args {
                create: true,
                uid: Some(7),
                gid: Some(8),
                job: Some("12_3".into()),
                size: "5m".into()
            }
        );
        assert!(!p(&["remove"]).unwrap().create);
        for bad in [
            &[][..],
            &["make"],
            &["create", "--uid"],
            &["create", "--uid", "x"],
            &["create", "--what", "1"],
            &["create", "extra"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }
}
