//! The site-wide login snippets in `shell/site/`, installed where the
//! distribution reads them (`/etc/profile.d`, `/etc/csh/login.d`,
//! `/etc/fish/conf.d`, bind-mounted inside the test's namespace only), with
//! `/usr/local/bin/tmpguard` a wrapper that logs how it was called. Real login
//! shells (started as `-bash`, `-tcsh`, ... like login(1) does) must end with
//! the private TMPDIR; with the binary missing or the user opted out they
//! print nothing and change nothing.

mod common;

struct Login {
    needs: &'static str,
    /// Start a login shell that runs `$SHOW` (bash, as alice).
    start: &'static str,
    /// Prints TMPDIR (or `unset`) on stdout.
    show: &'static str,
    /// The `init` argument the snippet must pick.
    init: &'static str,
}

const POSIX_SHOW: &str = r#"echo "${TMPDIR-unset}""#;

fn setup() -> String {
    // The harness's copy: the checkout itself may be under the sandbox's /tmp.
    let site = "$REPO/shell/site";
    format!(
        r#"
for d in /etc/profile.d /etc/csh/login.d /etc/fish/conf.d /usr/local/bin; do
  test -d $d || {{ echo "missing $d" >&2; exit 1; }}
done
mkdir -p $AUX/site/profile.d $AUX/site/login.d $AUX/site/conf.d $AUX/site/bin
cp {site}/tmpguard.sh $AUX/site/profile.d/tmpguard.sh
cp {site}/tmpguard.csh $AUX/site/login.d/tmpguard
cp {site}/tmpguard.fish $AUX/site/conf.d/tmpguard.fish
cat > $AUX/site/bin/tmpguard <<EOF
#!/bin/sh
echo "\$*" >> $AUX/calls
exec $TG "\$@"
EOF
chmod 755 $AUX/site/bin/tmpguard
touch $AUX/calls && chmod 666 $AUX/calls
mount --bind $AUX/site/profile.d /etc/profile.d
mount --bind $AUX/site/login.d /etc/csh/login.d
mount --bind $AUX/site/conf.d /etc/fish/conf.d
mount --bind $AUX/site/bin /usr/local/bin
login() {{
  as alice env TMPDIR=/tmp "$@" bash -c "$START" > $AUX/out 2> $AUX/err
  echo "out=$(cat $AUX/out) calls=$(cat $AUX/calls | tr '\n' ,)"
  # tcsh says this about stdin not being a terminal; it is not ours.
  grep -v -e '^Warning: no access to tty' -e '^Thus no job control' $AUX/err | sed 's/^/err: /'
  : > $AUX/calls
}}
"#
    )
}

fn check(sh: Login) {
    let Some(sb) = common::root_sandbox() else {
        return;
    };
    if !common::require(common::have(sh.needs), sh.needs) {
        return;
    }
    let start = sh.start.replace("$SHOW", &sh.show.replace('\'', r"'\''"));
    let script = format!(
        r#"{setup}
START=$(cat <<'EOF_START'
{start}
EOF_START
)
login
login TMPGUARD_DISABLE=1
mkdir -p $AUX/home/alice/.config/tmpguard && touch $AUX/home/alice/.config/tmpguard/disable
login
rm $AUX/home/alice/.config/tmpguard/disable
mv $AUX/site/bin/tmpguard $AUX/site/tmpguard.off
login
"#,
        setup = setup(),
    );
    let out = sb.run(&script).ok();
    let want = [
        format!("out=/tmp/alice calls=init {},", sh.init),
        "err: tmpguard: TMPDIR=/tmp is shared; created /tmp/alice (mode 0700)".to_string(),
        "out=/tmp calls=".into(),
        "out=/tmp calls=".into(),
        "out=/tmp calls=".into(),
    ];
    assert_eq!(out.lines(), want, "stderr:\n{}", out.stderr);
}

#[test]
fn bash_login_reads_profile_d() {
    check(Login {
        needs: "bash",
        start: "exec -a -bash bash -c '$SHOW'",
        show: POSIX_SHOW,
        init: "bash",
    });
}

#[test]
fn dash_login_reads_profile_d() {
    check(Login {
        needs: "dash",
        start: "exec -a -dash dash -c '$SHOW'",
        show: POSIX_SHOW,
        init: "sh",
    });
}

#[test]
fn ksh93_login_reads_profile_d() {
    check(Login {
        needs: "ksh93",
        start: "exec -a -ksh ksh93 -c '$SHOW'",
        show: POSIX_SHOW,
        init: "sh",
    });
}

#[test]
fn mksh_login_reads_profile_d() {
    check(Login {
        needs: "mksh",
        start: "exec -a -mksh mksh -c '$SHOW'",
        show: POSIX_SHOW,
        init: "sh",
    });
}

/// zsh reads /etc/profile only where the distribution's zprofile sources it
/// (RHEL: `emulate sh -c '. /etc/profile'`); do the same.
#[test]
fn zsh_login_sourcing_profile() {
    check(Login {
        needs: "zsh",
        start: r#"exec -a -zsh zsh -c 'emulate sh -c ". /etc/profile"; $SHOW'"#,
        show: POSIX_SHOW,
        init: "zsh",
    });
}

#[test]
fn tcsh_login_reads_csh_login_d() {
    check(Login {
        needs: "tcsh",
        start: "exec -a -tcsh tcsh -c '$SHOW'",
        show: r#"if ( $?TMPDIR ) then
  echo "$TMPDIR"
else
  echo unset
endif"#,
        init: "tcsh",
    });
}

#[test]
fn fish_login_reads_conf_d() {
    check(Login {
        needs: "fish",
        start: "exec -a -fish fish -c '$SHOW'",
        show: r#"set -q TMPDIR; and echo $TMPDIR; or echo unset"#,
        init: "fish",
    });
}
