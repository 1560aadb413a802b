//! `tmpguard doctor`: its Python verdict matches the real python3 in many
//! environments; it names causes and fixes; it changes nothing.
mod common;

use serde_json::Value;

/// The real CPython, candidate by candidate: each candidate alone through
/// `_get_default_tempdir`, so the probe is Python's own.
const PY_CANDIDATES: &str = r#"
import json, os, tempfile
out = []
for c in tempfile._candidate_tempdir_list():
    d = c if c == os.curdir else os.path.abspath(c)
    tempfile._candidate_tempdir_list = lambda c=c: [c]
    try:
        tempfile._get_default_tempdir()
        ok = True
    except FileNotFoundError:
        ok = False
    out.append([d, ok])
print(json.dumps(out))
"#;

/// One environment to compare doctor and python3 in.
struct Case<'a> {
    name: &'a str,
    /// Mount options of the sandbox's /tmp.
    tmp: &'a str,
    /// Root's preparation.
    setup: &'a str,
    /// `NAME=value` words for env(1), already quoted for bash.
    env: &'a str,
    /// alice's working directory.
    cwd: &'a str,
}

impl Default for Case<'_> {
    fn default() -> Self {
        Case {
            name: "",
            tmp: "mode=1777,size=16m",
            setup: "",
            env: "",
            cwd: "/mnt/tg/home/alice",
        }
    }
}

/// What doctor and python3 said.
struct Verdicts {
    doctor: Value,
    doctor_code: i32,
    /// `gettempdir()`, or `None` when it raised.
    python: Option<String>,
    /// Each candidate and whether Python's probe accepts it.
    candidates: Vec<(String, bool)>,
}

fn run_case(sb: &common::Sandbox, c: &Case<'_>) -> Verdicts {
    let script = format!(
        r#"{setup}
run() {{ as alice env {env} sh -c 'cd "$1" || exit 99; shift; exec "$@"' sh '{cwd}' "$@"; }}
run $TG doctor --json > $AUX/doctor.json; echo $? > $AUX/doctor.rc
run $PY -c 'import tempfile; print(tempfile.gettempdir())' > $AUX/py.out 2> $AUX/py.err; echo $? > $AUX/py.rc
run $PY -c '{cands}' > $AUX/cands.out
for f in doctor.json doctor.rc py.out py.rc py.err cands.out; do cat $AUX/$f; echo '@@@'; done
"#,
        setup = c.setup,
        env = c.env,
        cwd = c.cwd,
        cands = PY_CANDIDATES.replace('\'', r"'\''"),
    );
    let out = sb.clone().tmp(c.tmp).run(&script).ok();
    let parts: Vec<&str> = out.stdout.split("@@@\n").collect();
    assert_eq!(
        parts.len(),
        7,
        "{}: unexpected output:\n{}\n{}",
        c.name,
        out.stdout,
        out.stderr
    );
    let doctor: Value = serde_json::from_str(parts[0])
        .unwrap_or_else(|e| panic!("{}: doctor --json is not JSON ({e}):\n{}", c.name, parts[0]));
    let python = match parts[3].trim() {
        "0" => Some(parts[2].trim_end_matches('\n').to_owned()),
        _ => {
            assert!(
                parts[4].contains("No usable temporary directory"),
                "{}: python3 failed otherwise: {}",
                c.name,
                parts[4]
            );
            None
        }
    };
    let cands: Vec<(String, bool)> = serde_json::from_str(parts[5].trim())
        .unwrap_or_else(|e| panic!("{}: candidate script: {e}: {}", c.name, parts[5]));
    Verdicts {
        doctor,
        doctor_code: parts[1].trim().parse().unwrap(),
        python,
        candidates: cands,
    }
}

/// doctor's Python verdict equals python3's, candidate by candidate; returns the verdicts.
fn agree(sb: &common::Sandbox, c: &Case<'_>) -> Verdicts {
    let v = run_case(sb, c);
    let d = &v.doctor;
    assert_eq!(d["schema"], 1, "{}", c.name);
    let tempdir = d["python"]["tempdir"].as_str().map(str::to_owned);
    assert_eq!(
        tempdir, v.python,
        "{}: doctor and python3 disagree on gettempdir()\n{d:#}",
        c.name
    );
    let cands = d["python"]["candidates"]
        .as_array()
        .expect("candidates array");
    // Up to and including the one Python picks, all of them when none works.
    let upto = v
        .candidates
        .iter()
        .position(|c| c.1)
        .map_or(v.candidates.len(), |i| i + 1);
    let expected = &v.candidates[..upto];
    let got: Vec<(String, bool)> = cands
        .iter()
        .map(|c| {
            (
                c["dir"].as_str().unwrap().to_owned(),
                c["usable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got, expected,
        "{}: candidates differ from python3's\n{d:#}",
        c.name
    );
    for c in cands {
        assert_eq!(
            c["usable"].as_bool().unwrap(),
            c["error"].is_null(),
            "error is set exactly when unusable: {c}"
        );
    }
    let worst = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] != "info");
    assert_eq!(
        v.doctor_code,
        i32::from(worst),
        "{}: exit status follows the findings\n{d:#}",
        c.name
    );
    v
}

fn errors(v: &Verdicts) -> Vec<String> {
    v.doctor["python"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["error"].as_str().unwrap_or("-").to_owned())
        .collect()
}

/// Root's setup for the seven states of one variable; returns (setup, value or None).
fn states() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    const FULL: &str = "mkdir -p /mnt/tg/full && mount -t tmpfs -o size=64k,mode=0700,uid=2001,gid=2001 tmpfs /mnt/tg/full \
                        && { dd if=/dev/zero of=/mnt/tg/full/fill bs=4k 2>/dev/null || true; }";
    vec![
        ("unset", "", None),
        ("empty", "", Some("")),
        (
            "valid",
            "install -d -m 0700 -o alice -g alice /tmp/v",
            Some("/tmp/v"),
        ),
        ("missing directory", "", Some("/tmp/nope")),
        (
            "regular file",
            "install -m 0600 -o alice -g alice /dev/null /tmp/f",
            Some("/tmp/f"),
        ),
        (
            "read-only directory",
            "install -d -m 0500 -o alice -g alice /tmp/ro",
            Some("/tmp/ro"),
        ),
        ("full filesystem", FULL, Some("/mnt/tg/full")),
    ]
}

fn each_state_of(var: &str) {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    for (state, setup, value) in states() {
        let env = value.map(|v| format!("{var}='{v}'")).unwrap_or_default();
        let name = format!("{var} {state}");
        let v = agree(
            &sb,
            &Case {
                name: &name,
                setup,
                env: &env,
                ..Case::default()
            },
        );
        let first = &v.doctor["python"]["candidates"][0];
        let expect_first = |dir: &str, usable: bool, error: Option<&str>| {
            assert_eq!(first["dir"], dir, "{name}");
            assert_eq!(first["usable"], usable, "{name}");
            assert_eq!(first["error"].as_str(), error, "{name}");
        };
        match state {
            "unset" | "empty" => expect_first("/tmp", true, None),
            "valid" => expect_first("/tmp/v", true, None),
            "missing directory" => expect_first("/tmp/nope", false, Some("ENOENT")),
            "regular file" => expect_first("/tmp/f", false, Some("ENOTDIR")),
            "read-only directory" => expect_first("/tmp/ro", false, Some("EACCES")),
            "full filesystem" => expect_first("/mnt/tg/full", false, Some("ENOSPC")),
            _ => unreachable!(),
        }
    }
}

#[test]
fn agrees_with_python_for_each_state_of_tmpdir() {
    each_state_of("TMPDIR");
}

#[test]
fn agrees_with_python_for_each_state_of_temp() {
    each_state_of("TEMP");
}

#[test]
fn agrees_with_python_for_each_state_of_tmp() {
    each_state_of("TMP");
}

#[test]
fn agrees_with_python_when_all_three_are_set() {
    let Some(sb) = common::sandbox() else { return };
    let setup = "for d in a b c; do install -d -m 0700 -o alice -g alice /tmp/$d; done";
    let v = agree(
        &sb,
        &Case {
            name: "all valid",
            setup,
            env: "TMPDIR=/tmp/a TEMP=/tmp/b TMP=/tmp/c",
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["python"]["tempdir"], "/tmp/a");
    let setup =
        "install -d -m 0700 -o alice -g alice /tmp/c; install -m 0600 -o alice /dev/null /tmp/b";
    let v = agree(
        &sb,
        &Case {
            name: "first two broken",
            setup,
            env: "TMPDIR=/tmp/a TEMP=/tmp/b TMP=/tmp/c",
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["python"]["tempdir"], "/tmp/c");
    assert_eq!(errors(&v), ["ENOENT", "ENOTDIR", "-"]);
    let sources: Vec<&str> = v.doctor["python"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["TMPDIR", "TEMP", "TMP"]);
}

#[test]
fn agrees_with_python_when_tmp_is_read_only_and_var_tmp_wins() {
    let Some(sb) = common::sandbox() else { return };
    let setup = "mount -t tmpfs -o mode=1777,size=2g tmpfs /var/tmp";
    let v = agree(
        &sb,
        &Case {
            name: "ro /tmp",
            tmp: "mode=1777,size=1m,ro",
            setup,
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["python"]["tempdir"], "/var/tmp");
    assert_eq!(errors(&v), ["EROFS", "-"]);
}

#[test]
fn agrees_with_python_for_a_relative_tmpdir() {
    let Some(sb) = common::sandbox() else { return };
    let setup = "install -d -m 0700 -o alice -g alice /mnt/tg/home/alice/rel";
    for env in ["TMPDIR=rel", "TMPDIR=./x/../rel/"] {
        let v = agree(
            &sb,
            &Case {
                name: env,
                setup,
                env,
                ..Case::default()
            },
        );
        assert_eq!(
            v.doctor["python"]["tempdir"], "/mnt/tg/home/alice/rel",
            "{env}"
        );
        let warned = v.doctor["findings"].as_array().unwrap().iter().any(|f| {
            f["severity"] == "warning" && f["message"].as_str().unwrap().contains("is relative")
        });
        assert!(warned, "a relative TMPDIR is a warning: {:#}", v.doctor);
    }
    let v = agree(
        &sb,
        &Case {
            name: "relative missing",
            env: "TMPDIR=gone",
            ..Case::default()
        },
    );
    assert_eq!(errors(&v)[0], "ENOENT");
}

#[test]
fn agrees_with_python_on_a_leading_double_slash() {
    let Some(sb) = common::sandbox() else { return };
    // os.path.abspath keeps exactly two leading slashes: doctor must print that.
    let setup = "install -d -m 0700 -o alice -g alice /tmp/dd";
    let v = agree(
        &sb,
        &Case {
            name: "//",
            setup,
            env: "TMPDIR=//tmp/dd/",
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["python"]["tempdir"], "//tmp/dd");
}

#[test]
fn agrees_with_python_when_nothing_is_usable() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    // /usr/tmp is absent on Debian; cover it with a read-only tmpfs when a host has it.
    let setup = "mount -t tmpfs -o mode=1777,ro tmpfs /var/tmp; \
                 if [ -d /usr/tmp ]; then mount -t tmpfs -o mode=1777,ro tmpfs /usr/tmp; fi";
    let v = agree(
        &sb,
        &Case {
            name: "nothing",
            tmp: "mode=1777,size=1m,ro",
            setup,
            cwd: "/",
            ..Case::default()
        },
    );
    assert!(v.python.is_none());
    assert!(v.doctor["python"]["tempdir"].is_null());
    assert_eq!(
        v.doctor["python"]["candidates"].as_array().unwrap().len(),
        4
    );
    assert_eq!(v.doctor_code, 1);
    let e = v.doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "error")
        .expect("an error");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("No usable temporary directory"),
        "{e}"
    );
}

/// Whitespace runs collapsed, so wrapped lines read as one.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_seed_case_names_enoent_the_fallback_and_the_fix() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb
        .run(
            r#"as alice env TMPDIR=/tmp/alice $TG doctor; echo "rc=$?"
            echo @@@; as alice env TMPDIR=/tmp/alice $TG doctor --json
            echo @@@; test -e /tmp/alice && echo created || echo absent"#,
        )
        .ok();
    let parts: Vec<&str> = out.stdout.split("@@@\n").collect();
    let human = flat(parts[0]);
    assert!(human.contains("rc=1"), "{}", parts[0]);
    assert!(
        human.contains("TMPDIR=/tmp/alice does not work: ENOENT: No such file or directory; Python silently uses /tmp instead"),
        "{}",
        parts[0]
    );
    assert!(
        human.contains(r#"fix: eval "$(tmpguard init bash)""#),
        "{}",
        parts[0]
    );
    assert!(
        human.contains("tmpguard init creates /tmp/alice (mode 0700)"),
        "{}",
        parts[0]
    );
    assert!(
        human.starts_with("tmpguard doctor: 1 error"),
        "{}",
        parts[0]
    );

    let d: Value = serde_json::from_str(parts[1]).unwrap();
    assert_eq!(d["python"]["tempdir"], "/tmp");
    assert_eq!(d["python"]["candidates"][0]["dir"], "/tmp/alice");
    assert_eq!(d["python"]["candidates"][0]["error"], "ENOENT");
    let err = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "error")
        .unwrap();
    assert!(err["message"].as_str().unwrap().contains("ENOENT"), "{err}");
    assert!(
        err["fix"].as_str().unwrap().contains("tmpguard init bash"),
        "{err}"
    );
    let failing: Vec<&str> = d["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["usable"] == false)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["Rust", "Go", "Node", "mktemp"]);
    assert_eq!(d["exit_code"], 1);
    assert_eq!(
        parts[2].trim(),
        "absent",
        "doctor must not create the directory"
    );
}

#[test]
fn after_init_in_a_clean_environment_doctor_exits_0() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb
        .clone()
        .tmp("mode=1777,size=2g")
        .run(
            r#"as alice bash -c 'eval "$($TG init bash)"; $TG doctor; echo "rc=$?"; echo @@@; $TG doctor --json; echo @@@; $PY -c "import tempfile; print(tempfile.gettempdir())"'"#,
        )
        .ok();
    let parts: Vec<&str> = out.stdout.split("@@@\n").collect();
    assert!(parts[0].contains("rc=0"), "{}\n{}", parts[0], out.stderr);
    assert!(
        parts[0].starts_with("tmpguard doctor: no problems found"),
        "{}",
        parts[0]
    );
    let d: Value = serde_json::from_str(parts[1]).unwrap();
    assert_eq!(d["python"]["tempdir"], "/tmp/alice");
    assert_eq!(d["python"]["tempdir"].as_str().unwrap(), parts[2].trim());
    assert!(
        d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "info"),
        "{d:#}"
    );
    assert_eq!(d["private_dir"]["mode"], "0700");
    assert_eq!(d["private_dir"]["safe"], true);
    assert_eq!(d["exit_code"], 0);
}

#[test]
fn doctor_never_creates_the_directory_or_changes_a_mode() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have("strace"), "strace") {
        return;
    }
    // Every way init would create or tighten something: no directory, a 0755
    // and a 0777 directory, TMPDIR missing in alice's own directory, a missing base.
    let out = sb
        .run(
            r#"export -f as
            trace() {
              local n=$1; shift
              strace -f -qq -e signal=none -o $AUX/trace.$n \
                -e trace=mkdir,mkdirat,chmod,fchmod,fchmodat,chown,fchown,fchownat,lchown,rmdir,rename,renameat,renameat2 \
                bash -c 'as "$@"' bash "$@"
            }
            trace 1 alice $TG doctor --json > $AUX/d1.json
            trace 2 alice env TMPDIR=/mnt/tg/home/alice/sub $TG doctor > /dev/null
            trace 3 alice $TG doctor --base /mnt/tg/base > /dev/null
            install -d -m 0755 -o alice -g alice /tmp/alice
            trace 4 alice $TG doctor --json > $AUX/d4.json
            stat -c %a /tmp/alice
            chmod 0777 /tmp/alice
            trace 5 alice env TMPDIR=/tmp/alice $TG doctor > /dev/null
            stat -c %a /tmp/alice
            rmdir /tmp/alice
            ls -A /tmp | wc -l; ls -A /mnt/tg/home/alice | wc -l; test -e /mnt/tg/base && echo base || echo nobase
            # statmount (457, read-only) is unknown to Debian 12's strace, which shows it whatever the filter.
            cat $AUX/trace.* | grep -v ' syscall_0x1c9('
            echo @@@; cat $AUX/d1.json; echo @@@; cat $AUX/d4.json"#,
        )
        .ok();
    let parts: Vec<&str> = out.stdout.split("@@@\n").collect();
    let lines: Vec<&str> = parts[0].lines().collect();
    assert_eq!(
        lines[..5],
        ["755", "777", "0", "0", "nobase"],
        "{}",
        parts[0]
    );
    assert_eq!(
        lines.len(),
        5,
        "doctor made calls that change the filesystem:\n{}",
        parts[0]
    );
    let d1: Value = serde_json::from_str(parts[1])
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    assert_eq!(d1["private_dir"]["exists"], false);
    assert!(
        d1["private_dir"]["init_would"]
            .as_str()
            .unwrap()
            .starts_with("create /tmp/alice"),
        "{d1:#}"
    );
    let d4: Value = serde_json::from_str(parts[2]).unwrap();
    assert_eq!(d4["private_dir"]["mode"], "0755");
    assert!(
        d4["private_dir"]["init_would"]
            .as_str()
            .unwrap()
            .starts_with("set /tmp/alice to mode 0700"),
        "{d4:#}"
    );
}

#[test]
fn an_unsafe_tmpdir_is_an_error_even_when_python_uses_it() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let setup = "install -d -m 0777 -o mallory -g mallory /tmp/m";
    let v = agree(
        &sb,
        &Case {
            name: "squatted",
            setup,
            env: "TMPDIR=/tmp/m",
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["python"]["tempdir"], "/tmp/m");
    let e = v.doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "error")
        .expect("an error");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("belongs to uid 2002 (mallory)"),
        "{e}"
    );
}

#[test]
fn tmp_and_temp_disagreeing_with_tmpdir_is_a_warning() {
    let Some(sb) = common::sandbox() else { return };
    let setup = "install -d -m 0700 -o alice -g alice /tmp/a /tmp/b";
    let v = agree(
        &sb,
        &Case {
            name: "disagree",
            tmp: "mode=1777,size=2g",
            setup,
            env: "TMPDIR=/tmp/a TEMP=/tmp/b TMP=/tmp/a/",
            ..Case::default()
        },
    );
    let warnings: Vec<&str> = v.doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "warning")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("TEMP=/tmp/b differs from TMPDIR=/tmp/a"),
        "{warnings:?}"
    );
}

#[test]
fn rc_files_with_an_unconditional_tmpdir_are_named_with_file_and_line() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb
        .run(
            r#"h=/mnt/tg/home/alice
            printf '%s\n' '# my settings' 'if [ -z "$SLURM_JOB_ID" ]; then' '  export TMPDIR=/tmp/$USER' 'fi' 'export TMPDIR=/tmp/$USER' > $h/.bashrc
            mkdir -p $h/.config/fish && printf '%s\n' 'tmpguard init fish | source' > $h/.config/fish/config.fish
            printf '%s\n' 'setenv TMPDIR /tmp/alice' > $h/.tcshrc
            chown -R alice:alice $h
            as alice $TG doctor --json; echo "rc=$?""#,
        )
        .ok();
    let (json, rc) = out.stdout.rsplit_once("rc=").unwrap();
    assert_eq!(rc.trim(), "1");
    let d: Value = serde_json::from_str(json).unwrap();
    let hits: Vec<String> = d["rc_files"]["tmpdir_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}:{}", h["file"].as_str().unwrap(), h["line"]))
        .collect();
    assert_eq!(
        hits,
        [
            "/mnt/tg/home/alice/.bashrc:5",
            "/mnt/tg/home/alice/.tcshrc:1"
        ]
    );
    assert_eq!(
        d["rc_files"]["tmpguard"][0]["file"],
        "/mnt/tg/home/alice/.config/fish/config.fish"
    );
    let findings = d["findings"].as_array().unwrap();
    let bashrc = findings
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("/mnt/tg/home/alice/.bashrc:5 sets TMPDIR unconditionally")
        })
        .expect("a finding for .bashrc:5");
    assert_eq!(bashrc["severity"], "warning");
    assert_eq!(
        bashrc["fix"],
        r#"replace that line with: eval "$(tmpguard init bash)""#
    );
    let tcshrc = findings
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains(".tcshrc:1"))
        .unwrap();
    assert_eq!(
        tcshrc["fix"],
        "replace that line with: eval \"`tmpguard init tcsh`\""
    );
}

#[test]
fn batch_job_directory_is_recognised_or_its_loss_reported() {
    let Some(sb) = common::sandbox() else { return };
    let setup = "install -d -m 0700 -o alice -g alice /tmp/job42 /tmp/alice";
    let job = "SLURM_JOB_ID=42 SLURM_TMPDIR=/tmp/job42";
    let env = format!("{job} TMPDIR=/tmp/alice");
    let v = agree(
        &sb,
        &Case {
            name: "job lost",
            tmp: "mode=1777,size=2g",
            setup,
            env: &env,
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["job"]["scheduler"], "Slurm");
    assert_eq!(v.doctor["job"]["tmpdir_is_job_dir"], false);
    let w = v.doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "warning")
        .unwrap();
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .contains("is not the job's directory /tmp/job42 (SLURM_TMPDIR)"),
        "{w}"
    );
    assert_eq!(w["fix"], r#"export TMPDIR="$SLURM_TMPDIR""#);
    let env = format!("{job} TMPDIR=/tmp/job42");
    let v = agree(
        &sb,
        &Case {
            name: "job kept",
            tmp: "mode=1777,size=2g",
            setup,
            env: &env,
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["job"]["tmpdir_is_job_dir"], true);
    assert_eq!(v.doctor_code, 0, "{:#}", v.doctor);
}

#[test]
fn filesystem_problems_under_pythons_directory() {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let long = format!("/mnt/tg/{}", "d".repeat(70));
    let setup = format!(
        "mkdir -p /mnt/tg/nx && mount -t tmpfs -o size=2g,noexec,nosuid,mode=0700,uid=2001,gid=2001 tmpfs /mnt/tg/nx
         mkdir -p /mnt/tg/small && mount -t tmpfs -o size=1m,nr_inodes=100,mode=0700,uid=2001,gid=2001 tmpfs /mnt/tg/small
         for i in $(seq 1 97); do touch /mnt/tg/small/f$i; done
         install -d -m 0700 -o alice -g alice {long}"
    );
    let warnings = |v: &Verdicts| -> Vec<String> {
        v.doctor["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "warning")
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let v = agree(
        &sb,
        &Case {
            name: "noexec",
            setup: &setup,
            env: "TMPDIR=/mnt/tg/nx",
            ..Case::default()
        },
    );
    let fs = &v.doctor["filesystem"];
    assert_eq!(
        (
            fs["type"].as_str(),
            fs["noexec"].as_bool(),
            fs["nosuid"].as_bool()
        ),
        (Some("tmpfs"), Some(true), Some(true))
    );
    assert_eq!(fs["mount_point"], "/mnt/tg/nx");
    let w = warnings(&v);
    assert!(w.len() == 1 && w[0].contains("noexec mount"), "{w:?}");

    let v = agree(
        &sb,
        &Case {
            name: "small",
            setup: &setup,
            env: "TMPDIR=/mnt/tg/small",
            ..Case::default()
        },
    );
    let w = warnings(&v);
    assert!(
        w.iter().any(|m| m.starts_with("Only 1.0 MiB free")),
        "{w:?}"
    );
    assert!(w.iter().any(|m| m.contains("% of inodes free")), "{w:?}");

    let env = format!("TMPDIR={long}");
    let v = agree(
        &sb,
        &Case {
            name: "long",
            tmp: "mode=1777,size=2g",
            setup: &setup,
            env: &env,
            ..Case::default()
        },
    );
    assert_eq!(v.doctor["filesystem"]["socket_path_ok"], false);
    let w = warnings(&v);
    assert!(w.len() == 1 && w[0].contains("107-byte limit"), "{w:?}");
}

#[test]
fn non_utf8_paths_are_written_lossily_and_flagged() {
    let Some(sb) = common::sandbox() else { return };
    let out = sb
        .run(
            r#"d=$'/tmp/caf\xe9'; install -d -m 0700 -o alice -g alice "$d"
            as alice env TMPDIR="$d" $TG doctor --json; echo @@@
            as alice env TMPDIR="$d" $PY -c 'import os, tempfile; print(os.fsencode(tempfile.gettempdir()) == b"/tmp/caf\xe9")'"#,
        )
        .ok();
    let (json, py) = out.stdout.split_once("@@@\n").unwrap();
    assert_eq!(py.trim(), "True");
    let d: Value = serde_json::from_str(json).unwrap();
    assert_eq!(d["lossy"], true);
    assert_eq!(d["python"]["tempdir"], "/tmp/caf\u{fffd}");
    assert_eq!(d["python"]["tempdir_lossy"], true);
    assert_eq!(d["python"]["candidates"][0]["dir_lossy"], true);
    assert_eq!(d["env"]["TMPDIR"], "/tmp/caf\u{fffd}");
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have("script"), "script (util-linux)") {
        return;
    }
    let out = sb
        .run(
            r#"as alice $TG doctor | grep -c $'\e\[' || true
            as alice script -qec "$TG doctor" /dev/null | grep -c $'\e\[' || true
            as alice env NO_COLOR=1 script -qec "$TG doctor" /dev/null | grep -c $'\e\[' || true"#,
        )
        .ok();
    let counts: Vec<u32> = out
        .lines()
        .iter()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(counts[0], 0, "no colour into a pipe");
    assert!(counts[1] > 0, "colour on a terminal");
    assert_eq!(counts[2], 0, "NO_COLOR turns colour off");
}

#[test]
fn a_usage_error_exits_2() {
    let out = std::process::Command::new(common::tmpguard_bin())
        .args(["doctor", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn the_readme_sample_is_what_doctor_prints() {
    let Some(sb) = common::sandbox() else { return };
    let readme = std::fs::read_to_string(common::repo_dir() + "/README.md").unwrap();
    let start = readme
        .find("$ tmpguard doctor\n")
        .expect("the sample in the README")
        + "$ tmpguard doctor\n".len();
    let sample = &readme[start..start + readme[start..].find("```").unwrap()];
    let out = sb
        .clone()
        .tmp("mode=1777,size=8g,nr_inodes=1m")
        .run(
            r#"h=/mnt/tg/home/alice
            printf '%s\n' '# ~/.bashrc' 'export TMPDIR=/tmp/$USER' > $h/.bashrc && chown alice $h/.bashrc
            as alice env TMPDIR=/tmp/alice $TG doctor || true"#,
        )
        .ok();
    assert_eq!(out.stdout, sample, "update the README's sample");
}

/// Collapse repeated slashes and drop a trailing one, to compare spellings of one directory.
fn norm(p: &str) -> String {
    let mut out = String::new();
    for c in p.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

#[test]
fn other_runtimes_match_the_real_mktemp_perl_and_node() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have("node"), "node (Debian package nodejs)")
        || !common::require(common::have("perl"), "perl")
    {
        return;
    }
    let setup = "install -d -m 0700 -o alice -g alice /tmp/v /tmp/t /tmp/u; install -d -m 0500 -o alice -g alice /tmp/ro";
    let cases = [
        ("TMPDIR=/tmp/nope", ""),
        ("TMPDIR= TMP=/tmp/t", ""),
        ("TMPDIR=/tmp/ro", ""),
        ("TMPDIR=/tmp/v/", ""),
        ("TMP=/tmp/t TEMP=/tmp/u", ""),
        ("TMPDIR=/tmp/nope TMP=/tmp/ro TEMP=/tmp/u", ""),
        // A read-only /tmp: Perl judges by mode bits and still picks it; mktemp fails.
        ("", "mount -o remount,ro /tmp"),
    ];
    for (env, extra) in cases {
        let out = sb
            .run(&format!(
                r#"{setup}; {extra}
                run() {{ as alice env {env} "$@"; }}
                run $TG doctor --json; echo @@@
                if f=$(run mktemp 2>/dev/null); then dirname "$f"; rm -f "$f"; else echo FAILED; fi; echo @@@
                run perl -MFile::Spec -e 'print File::Spec->tmpdir, "\n"'; echo @@@
                run node -e 'console.log(require("os").tmpdir())'"#
            ))
            .ok();
        let parts: Vec<&str> = out.stdout.split("@@@\n").map(str::trim).collect();
        let d: Value =
            serde_json::from_str(parts[0]).unwrap_or_else(|e| panic!("{env}: {e}: {}", out.stdout));
        let rt = |name: &str| {
            d["runtimes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == name)
                .unwrap()
                .clone()
        };
        let mktemp = rt("mktemp");
        if parts[1] == "FAILED" {
            assert_eq!(
                mktemp["usable"], false,
                "{env} {extra}: real mktemp failed, doctor says usable: {mktemp}"
            );
        } else {
            assert_eq!(
                mktemp["usable"], true,
                "{env} {extra}: real mktemp worked: {mktemp}"
            );
            assert_eq!(
                norm(parts[1]),
                norm(mktemp["dir"].as_str().unwrap()),
                "{env} {extra}: mktemp"
            );
        }
        assert_eq!(
            norm(parts[2]),
            norm(rt("Perl")["dir"].as_str().unwrap()),
            "{env} {extra}: Perl"
        );
        assert_eq!(
            parts[3],
            rt("Node")["dir"].as_str().unwrap(),
            "{env} {extra}: Node"
        );
    }
}
