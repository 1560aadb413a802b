//! The judge is pure: each finding kind from a report built by hand.

use std::path::PathBuf;

use nix::errno::Errno;

use super::findings::judge;
use super::rcfiles::{Hit, Scan};
use super::runtimes::{Pick, RULES};
use super::*;
use crate::engine::decide::{Choice, Decision, Replaced, Why};
use crate::engine::identity::{Identity, Source, with_names};
use crate::engine::privdir::{Error, Kind, Problem, Unsafe};
use crate::engine::probe::{ProbeError, Step};
use crate::engine::runtime;
use crate::engine::scheduler::SCHEDULERS;

const ALICE: u32 = 1000;

fn st(uid: u32, mode: u32) -> Stat {
    Stat {
        dev: 1,
        ino: 2,
        uid,
        mode: nix::sys::stat::SFlag::S_IFDIR.bits() | mode,
        nlink: 2,
        mnt_id: None,
        mnt_id_unique: false,
        mount_root: Some(false),
    }
}

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

fn probe_err(errno: Errno) -> ProbeError {
    ProbeError {
        step: Step::Create,
        errno,
    }
}

fn fs_info() -> FsInfo {
    FsInfo {
        fstype: Some("tmpfs".into()),
        mount_point: Some(p("/tmp")),
        source: Some("tmpfs".into()),
        size: 16 << 30,
        avail: 8 << 30,
        inodes: 1_000_000,
        inodes_avail: 900_000,
        read_only: false,
        noexec: false,
        nosuid: true,
    }
}

/// All is well: TMPDIR=/tmp/alice, private, usable, and tmpguard in ~/.bashrc.
fn healthy() -> (Report, World) {
    let dir = p("/tmp/alice");
    let w = World {
        snap: Snapshot {
            uid: ALICE,
            user: Some("alice".into()),
            tmpdir: Some("/tmp/alice".into()),
            ..Snapshot::default()
        },
        shell: Some("/bin/bash".into()),
        ..World::default()
    };
    let r = Report {
        uid: ALICE,
        user: Some("alice".into()),
        vars: [
            ("TMPDIR", Some("/tmp/alice".into())),
            ("TEMP", None),
            ("TMP", None),
        ],
        tmpdir: Some(Tmpdir {
            raw: "/tmp/alice".into(),
            abs: Some(dir.clone()),
            found: Some(Seen::Dir(st(ALICE, 0o700))),
        }),
        python: Python {
            candidates: vec![Candidate {
                origin: Origin::Env("TMPDIR"),
                dir: dir.clone(),
                result: Ok(()),
            }],
            tempdir: Some(dir.clone()),
        },
        runtimes: RULES
            .iter()
            .filter(|r| !r.ignores_tmpdir)
            .map(|rule| Runtime {
                rule,
                pick: Some(Pick {
                    dir: "/tmp/alice".into(),
                    from: "TMPDIR".into(),
                }),
                abs: Some(dir.clone()),
                usable: Some(Ok(())),
            })
            .collect(),
        private: Private {
            base: p("/tmp"),
            configured: false,
            base_refused: None,
            base_error: None,
            ident: Identity {
                uid: ALICE,
                name: "alice".into(),
                source: Source::EnvOwned,
            },
            passwd_name: Some("alice".into()),
            passwd_error: None,
            decision: Some(Decision {
                choice: Choice::Target,
                why: Why::IsTarget,
            }),
            dir: Some(dir.clone()),
            state: Some(DirState::Ready {
                stat: st(ALICE, 0o700),
                usable: Ok(()),
            }),
        },
        fs: Some(Filesystem {
            dir,
            is_python_dir: true,
            info: Ok(fs_info()),
        }),
        rc: Scan {
            tmpguard: vec![Hit {
                path: p("/home/alice/.bashrc"),
                line: 3,
                text: "eval \"$(tmpguard init bash)\"".into(),
            }],
            ..Scan::default()
        },
        job: Job::default(),
        runtime_dir: xdg::RuntimeDir {
            uid: ALICE,
            value: Some("/run/user/1000".into()),
            verdict: runtime::Inherited::Valid,
            logind: None,
            choice: runtime::Choice::Keep,
            target: None,
            programs: Vec::new(),
        },
        shm_usable: false,
        site: (crate::config::Source::Absent, Ok(())),
        names: vec![(ALICE, Some("alice".into()))],
        findings: Vec::new(),
    };
    (r, w)
}

fn findings(r: &Report, w: &World) -> Vec<Finding> {
    with_names(&r.names, || judge(r, w))
}

fn codes(r: &Report, w: &World) -> Vec<Code> {
    findings(r, w).iter().map(|f| f.code).collect()
}

/// The finding with `code`; fails when the judge gives none.
fn one(r: &Report, w: &World, code: Code) -> Finding {
    let all = findings(r, w);
    all.iter()
        .find(|f| f.code == code)
        .cloned()
        .unwrap_or_else(|| panic!("no {code:?} in {all:#?}"))
}

fn tmpdir_unset(r: &mut Report, w: &mut World) {
    r.tmpdir = None;
    r.vars[0].1 = None;
    w.snap.tmpdir = None;
    r.python = Python {
        candidates: vec![Candidate {
            origin: Origin::Default,
            dir: p("/tmp"),
            result: Ok(()),
        }],
        tempdir: Some(p("/tmp")),
    };
}

#[test]
fn healthy_has_only_notes() {
    let (r, w) = healthy();
    assert_eq!(codes(&r, &w), [Code::TmpdirOk, Code::RcRunsTmpguard]);
}

#[test]
fn tmp_var_unusable() {
    let (mut r, mut w) = healthy();
    tmpdir_unset(&mut r, &mut w);
    r.python.candidates.insert(
        0,
        Candidate {
            origin: Origin::Env("TEMP"),
            dir: p("/gone"),
            result: Err(CandidateError::Probe(probe_err(Errno::ENOENT))),
        },
    );
    let f = one(&r, &w, Code::TmpVarUnusable);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.starts_with("TEMP=/gone is not usable (ENOENT"),
        "{}",
        f.message
    );
}

#[test]
fn python_no_cwd() {
    let (mut r, w) = healthy();
    r.python = Python {
        candidates: vec![Candidate {
            origin: Origin::Env("TMPDIR"),
            dir: p("rel"),
            result: Err(CandidateError::Cwd(Errno::ENOENT)),
        }],
        tempdir: None,
    };
    assert_eq!(one(&r, &w, Code::PythonNoCwd).severity, Severity::Error);
}

#[test]
fn no_usable_dir_suggests_dev_shm_when_it_works() {
    let (mut r, w) = healthy();
    r.python = Python {
        candidates: vec![Candidate {
            origin: Origin::Default,
            dir: p("/tmp"),
            result: Err(CandidateError::Probe(probe_err(Errno::EROFS))),
        }],
        tempdir: None,
    };
    assert_eq!(one(&r, &w, Code::NoUsableDir).fix, None);
    r.shm_usable = true;
    let fix = one(&r, &w, Code::NoUsableDir).fix.unwrap();
    assert!(fix.contains("--base /dev/shm"), "{fix}");
}

#[test]
fn tmpdir_unset_finding() {
    let (mut r, mut w) = healthy();
    tmpdir_unset(&mut r, &mut w);
    let f = one(&r, &w, Code::TmpdirUnset);
    assert_eq!(f.fix.as_deref(), Some("eval \"$(tmpguard init bash)\""));
}

#[test]
fn tmpdir_empty() {
    let (mut r, w) = healthy();
    r.tmpdir = Some(Tmpdir {
        raw: "".into(),
        abs: None,
        found: None,
    });
    one(&r, &w, Code::TmpdirEmpty);
}

#[test]
fn tmpdir_relative() {
    let (mut r, w) = healthy();
    r.tmpdir.as_mut().unwrap().raw = "alice".into();
    one(&r, &w, Code::TmpdirRelative);
}

#[test]
fn tmpdir_unusable_names_the_runtimes_that_fail() {
    let (mut r, w) = healthy();
    r.python.candidates = vec![
        Candidate {
            origin: Origin::Env("TMPDIR"),
            dir: p("/tmp/alice"),
            result: Err(CandidateError::Probe(probe_err(Errno::ENOSPC))),
        },
        Candidate {
            origin: Origin::Default,
            dir: p("/tmp"),
            result: Ok(()),
        },
    ];
    r.python.tempdir = Some(p("/tmp"));
    for rt in r.runtimes.iter_mut().filter(|rt| rt.rule.name == "Go") {
        rt.usable = Some(Err(probe_err(Errno::ENOSPC)));
    }
    let f = one(&r, &w, Code::TmpdirUnusable);
    assert!(
        f.message
            .contains("Python silently uses /tmp instead; Go uses it anyway and fails"),
        "{}",
        f.message
    );
}

#[test]
fn tmpdir_shared() {
    let (mut r, w) = healthy();
    r.tmpdir.as_mut().unwrap().found = Some(Seen::Dir(st(0, 0o1777)));
    one(&r, &w, Code::TmpdirShared);
}

#[test]
fn tmpdir_foreign_owner_names_the_owner_without_a_lookup() {
    let (mut r, w) = healthy();
    r.tmpdir.as_mut().unwrap().found = Some(Seen::Dir(st(2000, 0o700)));
    r.names.push((2000, Some("mallory".into())));
    let f = one(&r, &w, Code::TmpdirForeignOwner);
    assert!(
        f.message.contains("belongs to uid 2000 (mallory)"),
        "{}",
        f.message
    );
}

#[test]
fn tmpdir_open() {
    let (mut r, w) = healthy();
    r.tmpdir.as_mut().unwrap().found = Some(Seen::Dir(st(ALICE, 0o777)));
    assert_eq!(
        one(&r, &w, Code::TmpdirOpen).fix.as_deref(),
        Some("chmod 700 /tmp/alice")
    );
}

#[test]
fn tmpdir_ok() {
    let (r, w) = healthy();
    assert_eq!(one(&r, &w, Code::TmpdirOk).severity, Severity::Info);
}

#[test]
fn tmpdir_foreign_link() {
    let (mut r, w) = healthy();
    r.tmpdir.as_mut().unwrap().found = Some(Seen::Bad(Error {
        path: p("/tmp/alice"),
        problem: Problem::Unsafe(Unsafe::ForeignLink {
            link: p("/tmp/l"),
            owner: 2000,
        }),
    }));
    one(&r, &w, Code::TmpdirForeignLink);
}

#[test]
fn tmpdir_unsafe_path() {
    let (mut r, w) = healthy();
    r.tmpdir.as_mut().unwrap().found = Some(Seen::Bad(Error {
        path: p("/tmp/alice"),
        problem: Problem::Unsafe(Unsafe::PerProcess {
            link: p("/proc/self"),
        }),
    }));
    let f = one(&r, &w, Code::TmpdirUnsafePath);
    assert!(
        f.message.contains("a per-process link of /proc"),
        "{}",
        f.message
    );
}

#[test]
fn tmp_var_differs() {
    let (r, mut w) = healthy();
    w.snap.temp = Some("/elsewhere".into());
    one(&r, &w, Code::TmpVarDiffers);
}

#[test]
fn runtime_fails() {
    let (mut r, w) = healthy();
    r.runtimes[0].abs = Some(p("/x"));
    r.runtimes[0].usable = Some(Err(probe_err(Errno::EACCES)));
    let f = one(&r, &w, Code::RuntimeFails);
    assert!(f.message.starts_with("Rust would fail"), "{}", f.message);
}

#[test]
fn runtime_elsewhere() {
    let (mut r, w) = healthy();
    r.runtimes[1].abs = Some(p("/var/tmp"));
    one(&r, &w, Code::RuntimeElsewhere);
}

#[test]
fn runtime_ignores_tmpdir() {
    let (mut r, w) = healthy();
    let java = RULES.iter().find(|r| r.name == "Java").unwrap();
    r.runtimes.push(Runtime {
        rule: java,
        pick: Some(Pick {
            dir: "/tmp".into(),
            from: "default".into(),
        }),
        abs: Some(p("/tmp")),
        usable: Some(Ok(())),
    });
    let f = one(&r, &w, Code::RuntimeIgnoresTmpdir);
    assert!(f.fix.unwrap().contains("JAVA_TOOL_OPTIONS"));
}

#[test]
fn base_refused() {
    let (mut r, w) = healthy();
    r.private.base_refused = Some("base /scratch: it is not yours".into());
    one(&r, &w, Code::BaseRefused);
}

#[test]
fn base_unusable() {
    let (mut r, w) = healthy();
    r.private.base_error = Some(Error {
        path: p("/tmp"),
        problem: Problem::Unsafe(Unsafe::BaseNotSticky { mode: 0o777 }),
    });
    assert_eq!(one(&r, &w, Code::BaseUnusable).severity, Severity::Error);
}

#[test]
fn private_refused() {
    let (mut r, w) = healthy();
    let squat = Unsafe::NotDirectory {
        kind: Kind::Fifo,
        owner: 2000,
        links: 1,
    };
    r.private.state = Some(DirState::Refused(
        Error {
            path: p("/tmp/alice"),
            problem: Problem::Unsafe(squat),
        },
        None,
    ));
    let f = one(&r, &w, Code::PrivateRefused);
    assert!(
        f.message
            .contains("it is a FIFO, not a directory, owned by uid 2000"),
        "{}",
        f.message
    );
}

#[test]
fn private_unusable() {
    let (mut r, w) = healthy();
    r.tmpdir = None;
    r.private.state = Some(DirState::Ready {
        stat: st(ALICE, 0o700),
        usable: Err(probe_err(Errno::ENOSPC)),
    });
    one(&r, &w, Code::PrivateUnusable);
}

#[test]
fn private_mode() {
    let (mut r, w) = healthy();
    r.private.state = Some(DirState::Ready {
        stat: st(ALICE, 0o755),
        usable: Ok(()),
    });
    let f = one(&r, &w, Code::PrivateMode);
    assert!(f.message.ends_with("(now 0755)"), "{}", f.message);
}

#[test]
fn private_cannot_create() {
    let (mut r, w) = healthy();
    r.private.state = Some(DirState::CannotCreate(Errno::EROFS));
    one(&r, &w, Code::PrivateCannotCreate);
}

#[test]
fn tmpdir_replaced_gives_the_reason_in_inits_words() {
    let (mut r, w) = healthy();
    let why = Why::Replaced(Replaced::Open);
    r.private.decision = Some(Decision {
        choice: Choice::Target,
        why: why.clone(),
    });
    let f = one(&r, &w, Code::TmpdirReplaced);
    // The same words as init's note (Why::note): one wording per reason.
    let reason = why.note("/tmp/alice");
    let reason = reason
        .strip_suffix("; ")
        .unwrap()
        .strip_prefix("TMPDIR=/tmp/alice ")
        .unwrap();
    assert_eq!(
        f.message,
        format!("tmpguard init would replace TMPDIR=/tmp/alice: it {reason}")
    );
}

#[test]
fn low_space() {
    let (mut r, w) = healthy();
    if let Some(Ok(info)) = r.fs.as_mut().map(|f| f.info.as_mut()) {
        info.avail = 100 << 20;
    }
    one(&r, &w, Code::LowSpace);
}

#[test]
fn low_inodes() {
    let (mut r, w) = healthy();
    if let Some(Ok(info)) = r.fs.as_mut().map(|f| f.info.as_mut()) {
        info.inodes_avail = 10;
    }
    one(&r, &w, Code::LowInodes);
}

#[test]
fn noexec() {
    let (mut r, w) = healthy();
    if let Some(Ok(info)) = r.fs.as_mut().map(|f| f.info.as_mut()) {
        info.noexec = true;
    }
    one(&r, &w, Code::Noexec);
}

#[test]
fn socket_path_long() {
    let (mut r, w) = healthy();
    r.fs.as_mut().unwrap().dir = p(&format!("/{}", "d".repeat(80)));
    one(&r, &w, Code::SocketPathLong);
}

#[test]
fn fuse_allow_other_is_said_for_the_site() {
    let (r, mut w) = healthy();
    assert!(
        !findings(&r, &w)
            .iter()
            .any(|f| f.code == Code::FuseAllowOther)
    );
    w.fuse_allow_other = true;
    let f = one(&r, &w, Code::FuseAllowOther);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.fix.unwrap().contains("user_allow_other"));
}

#[test]
fn fuse_conf_is_read_as_fusermount_reads_it() {
    use crate::doctor::allows_other;
    assert!(allows_other("# comment\nuser_allow_other\n"));
    assert!(allows_other("  user_allow_other  # on\n"));
    assert!(!allows_other("#user_allow_other\nmount_max = 1000\n"));
    assert!(!allows_other(""));
}

#[test]
fn network_fs() {
    let (mut r, w) = healthy();
    if let Some(Ok(info)) = r.fs.as_mut().map(|f| f.info.as_mut()) {
        info.fstype = Some("nfs4".into());
    }
    one(&r, &w, Code::NetworkFs);
}

#[test]
fn rc_sets_tmpdir_suggests_the_line_for_that_files_shell() {
    let (mut r, w) = healthy();
    r.rc.assignments.push(Hit {
        path: p("/home/alice/.tcshrc"),
        line: 1,
        text: "setenv TMPDIR /tmp/alice".into(),
    });
    let f = one(&r, &w, Code::RcSetsTmpdir);
    assert_eq!(
        f.fix.as_deref(),
        Some("replace that line with: eval \"`tmpguard init tcsh`\"")
    );
}

#[test]
fn rc_runs_tmpguard() {
    let (r, w) = healthy();
    one(&r, &w, Code::RcRunsTmpguard);
}

#[test]
fn rc_no_tmpguard_names_the_users_shell_rc() {
    let (mut r, mut w) = healthy();
    r.rc.tmpguard.clear();
    w.shell = Some("/usr/bin/fish".into());
    let f = one(&r, &w, Code::RcNoTmpguard);
    assert!(
        f.message.ends_with("add it to ~/.config/fish/config.fish"),
        "{}",
        f.message
    );
    assert_eq!(f.fix.as_deref(), Some("tmpguard init fish | source"));
}

#[test]
fn user_unset() {
    let (mut r, w) = healthy();
    r.user = None;
    one(&r, &w, Code::UserUnset);
}

#[test]
fn user_mismatch() {
    let (mut r, w) = healthy();
    r.user = Some("bob".into());
    one(&r, &w, Code::UserMismatch);
}

#[test]
fn no_passwd_entry() {
    let (mut r, w) = healthy();
    r.private.passwd_name = None;
    one(&r, &w, Code::NoPasswdEntry);
}

/// A lookup that did not answer is not "no passwd entry" (red team 7).
#[test]
fn passwd_no_answer() {
    let (mut r, w) = healthy();
    r.private.passwd_name = None;
    r.private.passwd_error = Some("the passwd lookup of alice did not answer within 2 s".into());
    one(&r, &w, Code::PasswdNoAnswer);
}

fn in_slurm_job(r: &mut Report, w: &mut World) {
    w.snap.job = Some(&SCHEDULERS[0]);
    r.job.scheduler = Some(&SCHEDULERS[0]);
    r.job.vars = vec![("SLURM_JOB_ID", "42".into())];
}

#[test]
fn job_dir_ok() {
    let (mut r, mut w) = healthy();
    in_slurm_job(&mut r, &mut w);
    r.job.tmpdir_is_job_dir = Some(true);
    let f = one(&r, &w, Code::JobDirOk);
    assert!(
        f.message.starts_with("Inside Slurm job 42:"),
        "{}",
        f.message
    );
}

#[test]
fn job_dir_replaced() {
    let (mut r, mut w) = healthy();
    in_slurm_job(&mut r, &mut w);
    r.job.tmpdir_is_job_dir = Some(false);
    r.job.job_dir = Some(("SLURM_TMPDIR", p("/local/job42")));
    let f = one(&r, &w, Code::JobDirReplaced);
    assert_eq!(f.fix.as_deref(), Some("export TMPDIR=\"$SLURM_TMPDIR\""));
}

#[test]
fn job_dir_unknown() {
    let (mut r, mut w) = healthy();
    in_slurm_job(&mut r, &mut w);
    one(&r, &w, Code::JobDirUnknown);
}

fn dbus() -> xdg::Program {
    xdg::Program {
        name: "dbus",
        at: p("/usr/bin/dbus-daemon"),
        needs: "a session bus socket",
    }
}

#[test]
fn runtime_dir_invalid() {
    let (mut r, w) = healthy();
    let d = &mut r.runtime_dir;
    d.verdict = runtime::Inherited::Invalid(runtime::Invalid::Missing);
    d.logind = Some(Err(runtime::Invalid::Missing));
    d.choice = runtime::Choice::Create;
    d.target = Some((p("/tmp/xdg-runtime-1000"), Err(runtime::Invalid::Missing)));
    d.programs = vec![dbus()];
    let f = one(&r, &w, Code::RuntimeDirInvalid);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message
            .starts_with("XDG_RUNTIME_DIR=/run/user/1000 does not exist: dbus will fail"),
        "{}",
        f.message
    );
    // Someone else's: an error.
    r.runtime_dir.verdict =
        runtime::Inherited::Invalid(runtime::Invalid::Unsafe(Unsafe::ForeignOwner {
            owner: 2000,
            mode: 0o40700,
        }));
    assert_eq!(
        one(&r, &w, Code::RuntimeDirInvalid).severity,
        Severity::Error
    );
}

#[test]
fn runtime_dir_unset() {
    let (mut r, w) = healthy();
    r.runtime_dir.value = None;
    r.runtime_dir.verdict = runtime::Inherited::Unset;
    r.runtime_dir.choice = runtime::Choice::Logind;
    r.runtime_dir.logind = Some(Ok(()));
    // Nobody here needs it: nothing to say.
    assert!(!codes(&r, &w).contains(&Code::RuntimeDirUnset));
    r.runtime_dir.programs = vec![dbus()];
    let f = one(&r, &w, Code::RuntimeDirUnset);
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.message.contains("init would export /run/user/1000"),
        "{}",
        f.message
    );
}

#[test]
fn gnupg_no_run_user() {
    let (mut r, w) = healthy();
    r.runtime_dir.logind = Some(Err(runtime::Invalid::Missing));
    r.runtime_dir.programs = vec![xdg::Program {
        name: "gpg-agent",
        at: p("/usr/bin/gpg-agent"),
        needs: "",
    }];
    assert_eq!(one(&r, &w, Code::GnupgNoRunUser).severity, Severity::Info);
}

#[test]
fn codes_are_distinct_and_documented() {
    let readme = include_str!("../../README.md");
    let mut seen = Vec::new();
    for c in Code::ALL {
        assert!(!seen.contains(&c.as_str()), "{c:?} twice");
        seen.push(c.as_str());
        assert!(
            readme.contains(&format!("| `{}` |", c.as_str())),
            "{c:?} not in the README"
        );
    }
}

#[test]
fn worst_first() {
    let (mut r, mut w) = healthy();
    tmpdir_unset(&mut r, &mut w);
    r.private.base_error = Some(Error {
        path: p("/tmp"),
        problem: Problem::Unsafe(Unsafe::BaseOwner { owner: 2000 }),
    });
    let sev: Vec<Severity> = findings(&r, &w).iter().map(|f| f.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by_key(|s| std::cmp::Reverse(*s));
    assert_eq!(sev, sorted);
}

#[test]
fn site_configuration_ignored_or_switched_off() {
    let (mut r, w) = healthy();
    r.site = (
        crate::config::Source::Ignored("it is writable by group".into()),
        Err("switched off by the site".into()),
    );
    let warn = one(&r, &w, Code::SiteConfigIgnored);
    assert_eq!(warn.severity, Severity::Warning);
    assert!(
        warn.message.contains("writable by group"),
        "{}",
        warn.message
    );
    assert_eq!(one(&r, &w, Code::SiteDisabled).severity, Severity::Info);
}
