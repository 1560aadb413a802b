//! `tmpguard runtime-dir create|remove`: the root Prolog/Epilog site option
//! for `/run/user/$UID` (see `engine::userrun`). Always exits 0: a failing
//! Slurm Prolog or Epilog drains the node.

use super::{OK, say};
use crate::cli::{RuntimeDirAction, RuntimeDirArgs};
use crate::engine::{syslog, userrun};

pub fn run(args: &RuntimeDirArgs) -> u8 {
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
    let Some(job) = args
        .job
        .clone()
        .or_else(|| std::env::var("SLURM_JOB_ID").ok())
    else {
        say("runtime-dir: no --job and no SLURM_JOB_ID");
        return OK;
    };
    let result = match args.action {
        RuntimeDirAction::Create => userrun::create(uid, gid, &job, &args.size),
        RuntimeDirAction::Remove => userrun::remove(uid, &job),
    };
    if let Err(e) = result {
        let line = format!("runtime-dir for uid {uid}, job {job}: {e}");
        syslog::warn(&line);
        say(line);
    }
    OK
}
