//! Issue 18's shell-start cases, shared by tests/syscalls.rs (system calls,
//! every build) and tests/startcost.rs (instructions, the release build).
/// Issue 18: a start without `XDG_RUNTIME_DIR` (ssh on a node without
/// pam_systemd, cron), and with one. Run as the root of a user namespace of
/// its own (tier 1: no real root needed) with its own `/run/user`, a clean
/// environment of five variables, `TMPDIR` unset and `/tmp/tgcost` private.
/// Cases: `found` (no `/run/user/0`; an earlier start made
/// `/tmp/xdg-runtime-0`), `logind` (`/run/user/0` a 0700 tmpfs, as logind
/// makes it) and `valid` (`XDG_RUNTIME_DIR=/run/user/0` set). `MEASURE`, the
/// command that measures one start (its output in `/tmp/out`, its stderr in
/// `/tmp/err`), prints the rest. Prints, for each case, `== CASE`, what an
/// earlier start said on stderr, `-- stdout`, the measured start's output,
/// `-- stderr`, its stderr, `-- measured`, what `MEASURE` printed.
pub const RUNTIME_CASES: &str = r#"
unshare -U -r -m --propagation private bash -s <<'IN'
set -u
mount -t tmpfs -o mode=0755,size=1m tmpfs /run/user || { echo "FAIL: mount"; exit 1; }
mkdir -m 0700 /tmp/tgcost
run() { env -i PATH=/mnt/tg:/usr/bin:/bin HOME=/nonexistent USER=tgcost LOGNAME=tgcost LANG=C.UTF-8 "$@"; }
case_() {
  local name=$1; shift
  echo "== $name"
  run "$@" tmpguard init bash 2>&1 >/dev/null | sed 's/^/first: /'
  run "$@" MEASURE >/tmp/out 2>/tmp/err
  echo "-- stdout"; cat /tmp/out
  echo "-- stderr"; cat /tmp/err
  echo "-- measured"; REPORT
}
# No /run/user/0: the first start makes /tmp/xdg-runtime-0, later ones find it.
case_ found
[ "$(stat -c '%u %a' /tmp/xdg-runtime-0)" = "0 700" ] || echo "FAIL: /tmp/xdg-runtime-0 $(stat -c '%u %a' /tmp/xdg-runtime-0)"
# logind's: a 0700 tmpfs of the user's at /run/user/0.
mkdir /run/user/0 && mount -t tmpfs -o mode=0700,size=1m tmpfs /run/user/0
case_ logind
case_ valid XDG_RUNTIME_DIR=/run/user/0
echo DONE
IN
"#;

/// Run [`RUNTIME_CASES`] in `sb`, each start measured by `measure` and
/// reported by `report`; the whole output, every case having finished.
pub fn run_runtime_cases(sb: &super::common::Sandbox, measure: &str, report: &str) -> String {
    let out = sb.run(
        &RUNTIME_CASES
            .replace("MEASURE", measure)
            .replace("REPORT", report),
    );
    assert!(
        out.stdout.contains("\nDONE\n") && !out.stdout.contains("FAIL"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// A case of [`RUNTIME_CASES`]: what was measured.
pub struct Case<'a> {
    pub measured: &'a str,
}

/// One case of [`RUNTIME_CASES`]'s output, its expectations checked: the
/// earlier start, the export, nothing said.
pub fn runtime_case<'a>(out: &'a str, name: &str) -> Case<'a> {
    let start = format!("== {name}\n");
    let at = out
        .find(&start)
        .unwrap_or_else(|| panic!("no {name}: {out}"));
    let body = &out[at + start.len()..];
    let body = &body[..body.find("\n== ").map_or(body.len(), |i| i + 1)];
    let (first, rest) = body.split_once("-- stdout\n").expect("stdout");
    let (stdout, rest) = rest.split_once("-- stderr\n").expect("stderr");
    let (stderr, measured) = rest.split_once("-- measured\n").expect("measured");
    let (said, export) = match name {
        "found" => (
            "first: tmpguard: XDG_RUNTIME_DIR was not set; created /tmp/xdg-runtime-0 (mode 0700)\n",
            "export XDG_RUNTIME_DIR='/tmp/xdg-runtime-0'\n",
        ),
        "logind" => ("", "export XDG_RUNTIME_DIR='/run/user/0'\n"),
        _ => ("", ""),
    };
    assert_eq!(first, said, "{name}: the earlier start");
    assert_eq!(stderr, "", "{name}: nothing new to say");
    let export = format!("{export}export TMPDIR='/tmp/tgcost'\n");
    assert!(
        stdout.starts_with(&export),
        "{name}: not {export}:\n{stdout}"
    );
    Case { measured }
}
