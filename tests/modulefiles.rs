//! `tmpguard init lmod` and `tmpguard init modules` in the real module
//! systems: Lmod (Debian `lmod`) and Environment Modules (Debian
//! `environment-modules`). The two packages conflict, so this target is not
//! part of a plain `cargo test`; `.ci/run` installs one, runs
//! `cargo test --test modulefiles lmod_`, installs the other, and runs
//! `cargo test --test modulefiles modules_`.

mod common;

/// One module system.
struct System {
    /// Its bash init script (defines `module`).
    init: &'static str,
    /// The `tmpguard init` argument.
    target: &'static str,
    /// The modulefile's name in the tree.
    file: &'static str,
}

const LMOD: System = System {
    init: "/usr/share/lmod/lmod/init/bash",
    target: "lmod",
    file: "tmpguard.lua",
};
const MODULES: System = System {
    init: "/usr/share/modules/init/bash",
    target: "modules",
    file: "tmpguard",
};

/// Write the modulefile with `$BIN init <target> $INIT_ARGS` into `$AUX/mf`,
/// then define `session ENV...`: as alice, with ENV, load the module, show
/// TMPDIR, unload it, show TMPDIR again.
fn prelude(sys: &System) -> String {
    format!(
        r#"
test -r {init} || {{ echo "{init} is missing" >&2; exit 1; }}
BIN=${{BIN:-$TG}}
mkdir -p $AUX/mf
"$BIN" init {target} "${{INIT_ARGS[@]}}" > "$AUX/mf/{file}" || exit 1
chmod -R a+rX $AUX/mf
cat > $AUX/session <<'EOF'
source {init}
module use "$AUX/mf"
module load tmpguard; echo "load=$? ${{TMPDIR-unset}}"
module unload tmpguard; echo "unload=$? ${{TMPDIR-unset}}"
EOF
session() {{ as alice env "$@" bash $AUX/session; }}
"#,
        init = sys.init,
        target = sys.target,
        file = sys.file,
    )
}

fn run(sys: &System, sb: common::Sandbox, setup: &str, body: &str) -> common::Out {
    sb.run(&format!("INIT_ARGS=()\n{setup}\n{}\n{body}", prelude(sys)))
}

fn load_sets_private_dir_and_unload_restores(sys: &System) {
    let Some(sb) = common::sandbox() else { return };
    let out = run(
        sys,
        sb,
        "",
        r#"session
stat -c '%a %U' /tmp/alice
session TMPDIR=/tmp
session TMPDIR=/tmp/alice"#,
    )
    .ok();
    assert_eq!(
        out.lines(),
        [
            "load=0 /tmp/alice",
            "unload=0 unset",
            "700 alice",
            "load=0 /tmp/alice",
            "unload=0 /tmp",
            "load=0 /tmp/alice",
            "unload=0 /tmp/alice",
        ],
        "stderr:\n{}",
        out.stderr
    );
    // `tmpguard path` is silent when it works, and so is the module.
    assert_eq!(out.stderr, "");
}

fn job_tmpdir_is_left_alone(sys: &System) {
    let Some(sb) = common::sandbox() else { return };
    let out = run(
        sys,
        sb,
        "",
        r#"mkdir -m 700 /tmp/job.7 && chown alice /tmp/job.7
session SLURM_JOB_ID=7 TMPDIR=/tmp/job.7
test -e /tmp/alice && echo "made /tmp/alice" || echo "no /tmp/alice""#,
    )
    .ok();
    assert_eq!(
        out.lines(),
        ["load=0 /tmp/job.7", "unload=0 /tmp/job.7", "no /tmp/alice"],
        "stderr:\n{}",
        out.stderr
    );
}

/// `tmpguard path` fails (a read-only `/tmp`; then a missing binary): the
/// load fails with tmpguard's reason and TMPDIR stays as it was.
fn failure_leaves_tmpdir(sys: &System) {
    let Some(sb) = common::sandbox() else { return };
    let out = run(
        sys,
        sb.tmp("mode=1777,ro,size=1m"),
        r#"mkdir -p $AUX/bin && cp $TG $AUX/bin/tmpguard && BIN=$AUX/bin/tmpguard"#,
        r#"session TMPDIR=/tmp/before
echo ---
rm $AUX/bin/tmpguard
session TMPDIR=/tmp/before"#,
    )
    .ok();
    let lines = out.lines();
    let (first, second) = lines.split_at(lines.iter().position(|l| *l == "---").expect("---"));
    for part in [first, &second[1..]] {
        assert_eq!(part.len(), 2, "{}\nstderr:\n{}", out.stdout, out.stderr);
        assert!(
            part[0].starts_with("load=") && part[0] != "load=0 /tmp/before",
            "{}",
            out.stdout
        );
        assert!(part[0].ends_with(" /tmp/before"), "{}", out.stdout);
    }
    assert!(
        out.stderr.contains("tmpguard: cannot create /tmp/alice")
            || out.stderr.contains("tmpguard: cannot make"),
        "tmpguard's reason is not shown:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("/mnt/tg/bin/tmpguard"),
        "the missing binary is not named:\n{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("while executing"),
        "reported as a bug in the modulefile:\n{}",
        out.stderr
    );
}

/// The binary's path and `--base` hold quotes, spaces, `$`, brackets and
/// braces; the modulefile still runs the right binary with the right base.
fn odd_paths_and_base(sys: &System) {
    let Some(sb) = common::sandbox() else { return };
    let out = run(
        sys,
        sb,
        r#"odd="$AUX/it's a \"dir\" \$x [1] {a,b} ; \\"
mkdir -p "$odd" "$odd/base" && chmod -R 755 "$AUX" && chmod 1777 "$odd/base"
ln -s "$TG" "$odd/tmpguard"
BIN="$odd/tmpguard"
INIT_ARGS=(--base "$odd/base")"#,
        // The link's path, not its target, is in the modulefile.
        r#"session
grep -c -F '; \\/tmpguard' "$AUX/mf/"*"#,
    )
    .ok();
    let want = r#"/mnt/tg/it's a "dir" $x [1] {a,b} ; \/base/alice"#;
    assert_eq!(
        out.lines(),
        [
            format!("load=0 {want}"),
            "unload=0 unset".into(),
            "1".into()
        ],
        "stderr:\n{}",
        out.stderr
    );
}

/// Fail closed (issue 13): `/tmp/alice` squatted, no inode left for a
/// fallback, and the inherited TMPDIR is the attacker's 0777 directory. The
/// load sets /tmp with tmpguard's warning, and unload does not bring the
/// attacker's value back.
fn unsafe_tmpdir_becomes_tmp_and_never_comes_back(sys: &System) {
    let Some(sb) = common::sandbox() else { return };
    let out = run(
        sys,
        sb.tmp("mode=1777,nr_inodes=8"),
        r#"as mallory mkdir -m 777 /tmp/m /tmp/alice; chmod 777 /tmp/m
i=0; while touch "/tmp/f$i" 2>/dev/null; do i=$((i + 1)); done"#,
        "session TMPDIR=/tmp/m",
    );
    assert_eq!(
        out.lines(),
        ["load=0 /tmp", "unload=0 unset"],
        "stderr:\n{}",
        out.stderr
    );
    // Environment Modules wraps long messages: compare words.
    let words = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("TMPDIR=/tmp/m is a directory owned by uid 2002 (mallory) (mode 0777), not by you; set to /tmp instead"),
        "{}",
        out.stderr
    );
}

#[test]
fn lmod_unsafe_tmpdir_becomes_tmp_and_never_comes_back() {
    unsafe_tmpdir_becomes_tmp_and_never_comes_back(&LMOD);
}
#[test]
fn modules_unsafe_tmpdir_becomes_tmp_and_never_comes_back() {
    unsafe_tmpdir_becomes_tmp_and_never_comes_back(&MODULES);
}

#[test]
fn lmod_load_sets_private_dir_and_unload_restores() {
    load_sets_private_dir_and_unload_restores(&LMOD);
}
#[test]
fn lmod_job_tmpdir_is_left_alone() {
    job_tmpdir_is_left_alone(&LMOD);
}
#[test]
fn lmod_failure_leaves_tmpdir() {
    failure_leaves_tmpdir(&LMOD);
}
#[test]
fn lmod_odd_paths_and_base() {
    odd_paths_and_base(&LMOD);
}

#[test]
fn modules_load_sets_private_dir_and_unload_restores() {
    load_sets_private_dir_and_unload_restores(&MODULES);
}
#[test]
fn modules_job_tmpdir_is_left_alone() {
    job_tmpdir_is_left_alone(&MODULES);
}
#[test]
fn modules_failure_leaves_tmpdir() {
    failure_leaves_tmpdir(&MODULES);
}
#[test]
fn modules_odd_paths_and_base() {
    odd_paths_and_base(&MODULES);
}

/// XDG_RUNTIME_DIR through the records channel (issue 18): a forwarded one
/// that does not exist here is replaced at load and restored at unload (it
/// was only missing); another user's is replaced and never comes back; with
/// nothing valid to be had (a read-only /tmp) another user's is unset.
/// TMPDIR is a private directory of alice's that stays usable throughout.
fn runtime_dir_through_records(sys: &System) {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    let out = run(
        sys,
        sb,
        r#"mount -t tmpfs -o mode=0755,size=1m tmpfs /run/user
install -d -m 0700 -o mallory -g mallory /run/user/2002
install -d -m 0700 -o alice -g alice $AUX/home/alice/tmp"#,
        r#"cat > $AUX/rt-session <<'EOF'
source "$1"
module use "$AUX/mf"
module load tmpguard; echo "load=$? ${XDG_RUNTIME_DIR-unset}"
module unload tmpguard; echo "unload=$? ${XDG_RUNTIME_DIR-unset}"
EOF
rt() { as alice env TMPDIR=$AUX/home/alice/tmp "$@" bash $AUX/rt-session "$INIT"; }
INIT=$(grep -o '/usr/share/[^ ]*init/bash' $AUX/session | head -1)
rt XDG_RUNTIME_DIR=/run/user/2001 | sed 's/^/missing: /'
rt XDG_RUNTIME_DIR=/run/user/2002 | sed 's/^/foreign: /'
mount -o remount,ro /tmp
rt XDG_RUNTIME_DIR=/run/user/2002 2>&1 | grep -v '^ *$' | sed 's/^/readonly: /'
"#,
    );
    let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "missing: load=0 /tmp/xdg-runtime-2001",
        "missing: unload=0 /run/user/2001",
        "foreign: load=0 /tmp/xdg-runtime-2001",
        "foreign: unload=0 unset",
        "readonly: load=0 unset",
    ] {
        assert!(
            out.lines().contains(&want),
            "{want}\nstdout:\n{}\nstderr:\n{}",
            out.stdout,
            out.stderr
        );
    }
    assert!(
        words.contains("unsetting XDG_RUNTIME_DIR"),
        "stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn lmod_runtime_dir_through_records() {
    runtime_dir_through_records(&LMOD);
}
#[test]
fn modules_runtime_dir_through_records() {
    runtime_dir_through_records(&MODULES);
}
