//! `tmpguard init` for the shells beyond bash/zsh/fish (POSIX sh as dash,
//! ksh93, mksh and busybox; tcsh and csh; elvish; xonsh), each evaluated the
//! way its users do in its real interpreter, as a throwaway user, from a
//! fresh `/tmp`, in the shell's strict mode where it has one.

mod common;

/// One shell: the rc line as the README gives it, in a script file the shell
/// runs, and the programs it needs.
struct Sh {
    needs: &'static str,
    /// How to run a script file (`$F`) in strict mode.
    run: &'static str,
    /// How to run it without strict mode (for the failure case, where a strict
    /// tcsh or xonsh stops the script, as they should).
    run_lax: &'static str,
    /// The rc line.
    rc: &'static str,
    /// Print `$TMPDIR`, `$TMP`, `$TEMP` (or `-` when unset), one per line.
    show: &'static str,
}

const POSIX_SHOW: &str = r#"echo "${TMPDIR:--}"; echo "${TMP:--}"; echo "${TEMP:--}""#;

fn posix(needs: &'static str, run: &'static str, run_lax: &'static str, name: &'static str) -> Sh {
    let rc = match name {
        "dash" => r#"eval "$("$TG" init dash)""#,
        "ksh" => r#"eval "$("$TG" init ksh)""#,
        "mksh" => r#"eval "$("$TG" init mksh)""#,
        _ => r#"eval "$("$TG" init sh)""#,
    };
    Sh {
        needs,
        run,
        run_lax,
        rc,
        show: POSIX_SHOW,
    }
}

fn dash() -> Sh {
    posix("dash", "dash -eu $F", "dash $F", "dash")
}
fn ksh93() -> Sh {
    posix("ksh93", "ksh93 -eu $F", "ksh93 $F", "ksh")
}
fn mksh() -> Sh {
    posix("mksh", "mksh -eu $F", "mksh $F", "mksh")
}
fn busybox() -> Sh {
    posix("busybox", "busybox sh -eu $F", "busybox sh $F", "sh")
}
fn tcsh() -> Sh {
    Sh {
        needs: "tcsh",
        run: "tcsh -f -e $F",
        run_lax: "tcsh -f $F",
        rc: r#"eval "`$TG init tcsh`""#,
        show: r#"if ( $?TMPDIR ) then
  echo "$TMPDIR"
else
  echo -
endif
if ( $?TMP ) then
  echo "$TMP"
else
  echo -
endif
if ( $?TEMP ) then
  echo "$TEMP"
else
  echo -
endif"#,
    }
}
fn csh() -> Sh {
    Sh {
        needs: "csh",
        run: "csh -f -e $F",
        run_lax: "csh -f $F",
        rc: r#"eval "`$TG init csh`""#,
        ..tcsh()
    }
}
fn elvish() -> Sh {
    Sh {
        needs: "elvish",
        run: "elvish -norc $F",
        run_lax: "elvish -norc $F",
        rc: r#"eval (try { $E:TG init elvish } catch { } | slurp)"#,
        show: r#"for v [TMPDIR TMP TEMP] { if (has-env $v) { echo (get-env $v) } else { echo - } }"#,
    }
}
fn xonsh() -> Sh {
    Sh {
        needs: "xonsh",
        run: "xonsh --no-rc -DRAISE_SUBPROC_ERROR=1 $F",
        run_lax: "xonsh --no-rc $F",
        rc: r#"with ${...}.swap(RAISE_SUBPROC_ERROR=False): execx($($TG init xonsh))"#,
        show: r#"for v in ['TMPDIR', 'TMP', 'TEMP']:
    print(${...}.get(v, '-'), flush=True)
"#,
    }
}

/// Write the script as alice would have it and run it as alice; the script
/// also prints what Python's tempfile picks, after a `---` line.
fn script(sh: &Sh, lax: bool, env: &str) -> String {
    format!(
        r#"
F=$AUX/home/alice/rc
cat > "$F" <<'EOF_RC'
{rc}
{show}
/usr/bin/python3 -c "import tempfile; print('---'); print(tempfile.gettempdir())"
EOF_RC
chown alice "$F"
as alice env {env} XONSH_DATA_DIR="$AUX/home/alice" F="$F" sh -c '{run}'
echo "rc=$?"
"#,
        rc = sh.rc,
        show = sh.show,
        run = if lax { sh.run_lax } else { sh.run },
    )
}

fn exports_private_dir(sh: Sh) {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have(sh.needs), sh.needs) {
        return;
    }
    let out = sb
        .run(&format!(
            "{}\nstat -c '%a %U' /tmp/alice",
            script(&sh, false, "TMP=/tmp TEMP=/var/tmp")
        ))
        .ok();
    assert_eq!(
        out.lines(),
        [
            "/tmp/alice",
            "/tmp/alice",
            "/tmp/alice",
            "---",
            "/tmp/alice",
            "rc=0",
            "700 alice"
        ],
        "stderr:\n{}",
        out.stderr
    );
    assert_eq!(out.stderr, "tmpguard: created /tmp/alice (mode 0700)\n");

    // Only what is set is exported.
    let out = sb.run(&script(&sh, false, "")).ok();
    assert_eq!(
        out.lines(),
        ["/tmp/alice", "-", "-", "---", "/tmp/alice", "rc=0"],
        "stderr:\n{}",
        out.stderr
    );
}

/// When tmpguard cannot give a directory (here `/tmp` is read-only), it prints
/// nothing on stdout, says why on stderr, and the rc file goes on with TMPDIR
/// as it was.
fn failure_changes_nothing(sh: Sh) {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have(sh.needs), sh.needs) {
        return;
    }
    let sb = sb.tmp("mode=1777,ro,size=1m");
    let out = sb
        .run(&format!(
            "as alice \"$TG\" init {} > $AUX/out; echo \"init=$? $(wc -c < $AUX/out)\"\n{}",
            sh.needs.replace("busybox", "sh").replace("ksh93", "ksh"),
            script(&sh, true, "TMPDIR=/nonexistent/x")
        ))
        .ok();
    let lines = out.lines();
    assert_eq!(
        lines[..4],
        ["init=1 0", "/nonexistent/x", "-", "-"],
        "stderr:\n{}",
        out.stderr
    );
    assert_eq!(lines.last(), Some(&"rc=0"), "stderr:\n{}", out.stderr);
    assert!(
        out.stderr.starts_with("tmpguard: ") && out.stderr.contains("/tmp/alice"),
        "{}",
        out.stderr
    );
}

#[test]
fn dash_exports() {
    exports_private_dir(dash());
}
#[test]
fn dash_failure() {
    failure_changes_nothing(dash());
}
#[test]
fn ksh93_exports() {
    exports_private_dir(ksh93());
}
#[test]
fn ksh93_failure() {
    failure_changes_nothing(ksh93());
}
#[test]
fn mksh_exports() {
    exports_private_dir(mksh());
}
#[test]
fn mksh_failure() {
    failure_changes_nothing(mksh());
}
#[test]
fn busybox_sh_exports() {
    exports_private_dir(busybox());
}
#[test]
fn busybox_sh_failure() {
    failure_changes_nothing(busybox());
}
#[test]
fn tcsh_exports() {
    exports_private_dir(tcsh());
}
#[test]
fn tcsh_failure() {
    failure_changes_nothing(tcsh());
}
#[test]
fn csh_exports() {
    exports_private_dir(csh());
}
#[test]
fn csh_failure() {
    failure_changes_nothing(csh());
}
#[test]
fn elvish_exports() {
    exports_private_dir(elvish());
}
#[test]
fn elvish_failure() {
    failure_changes_nothing(elvish());
}
#[test]
fn xonsh_exports() {
    exports_private_dir(xonsh());
}
#[test]
fn xonsh_failure() {
    failure_changes_nothing(xonsh());
}

/// A directory tcsh cannot carry (a newline in its name) is refused with the
/// reason, and nothing is printed for tcsh to mangle.
#[test]
fn tcsh_refuses_a_newline_in_tmpdir() {
    let Some(sb) = common::sandbox() else { return };
    if !common::require(common::have("tcsh"), "tcsh") {
        return;
    }
    let out = sb
        .run(
            r#"mkdir -m 700 "$(printf '/tmp/a\nb')" && chown alice "$(printf '/tmp/a\nb')"
as alice env TMPDIR="$(printf '/tmp/a\nb')" "$TG" init tcsh > $AUX/out; echo "init=$? $(wc -c < $AUX/out)""#,
        )
        .ok();
    assert_eq!(out.lines(), ["init=1 0"]);
    assert_eq!(
        out.stderr,
        // The newline is shown, not obeyed (render::visible): one line.
        "tmpguard: cannot export /tmp/a\\x0ab: tcsh cannot carry a newline or other control character in a value\n"
    );
}
