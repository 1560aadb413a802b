//! Quoting round trip, in every real shell (and in real Lua and Tcl for the
//! modulefiles): a directory whose name is the test string is the base, the
//! shell evaluates tmpguard's real output the way its users do, and TMPDIR
//! must come back byte for byte, with nothing in the name executed. A value
//! a shell cannot carry must be refused (exit 1, nothing on stdout), never
//! mangled.
//!
//! The strings are a fixed corpus of nasty names plus random bytes drawn by
//! proptest from a fixed seed (set `TMPGUARD_QUOTING_RANDOM` to change how
//! many are drawn).

mod common;

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// How one shell (or modulefile language) is driven. Both snippets run under
/// bash with `$TG` (tmpguard), `$D` (the base: `$AUX/q/<name>`) and
/// `TMPGUARD_BASE=$D` set, in an empty scratch directory.
struct Runner {
    /// Programs that must be installed.
    needs: &'static [&'static str],
    /// Prints tmpguard's output for this shell.
    init: &'static str,
    /// Evaluates it as the shell's users do and prints `TMPDIR` and a newline.
    /// `$AUX/init.out` holds what `init` printed.
    eval: &'static str,
    /// The value (the whole exported path) must be refused.
    refuses: fn(&[u8]) -> bool,
}

fn never(_: &[u8]) -> bool {
    false
}

fn has_control(v: &[u8]) -> bool {
    v.iter().any(u8::is_ascii_control)
}

fn not_utf8(v: &[u8]) -> bool {
    std::str::from_utf8(v).is_err()
}

/// Names that break naive quoting in at least one of the languages.
fn corpus() -> Vec<Vec<u8>> {
    let strs: &[&str] = &[
        "plain",
        "with space",
        "  two  leading and trailing  ",
        "it's",
        "a'b'c''",
        "'",
        "''",
        "\"dq\"",
        "\"",
        "back\\slash",
        "trail\\",
        "\\",
        "\\\\",
        "\\'",
        "'\\''",
        "\\\"",
        "\\!",
        "\\n",
        "\\x41\\u0041\\101\\0",
        "$HOME",
        "${HOME}",
        "$",
        "$$",
        "$?",
        "$(touch pwned)",
        "`touch pwned`",
        "; touch pwned",
        "'; touch pwned; '",
        "\"; touch pwned; \"",
        "&& touch pwned",
        "| touch pwned",
        "(touch pwned)",
        "[exec touch pwned]",
        "\"[exec touch pwned]\"",
        "]]..os.execute('touch pwned')..[[",
        "\"..os.execute('touch pwned')..\"",
        "'+__import__('os').system('touch pwned')+'",
        "@(touch pwned)",
        "$[touch pwned]",
        "!!",
        "!touch",
        "a!b",
        "!",
        "^old^new",
        "{a,b}",
        "{",
        "}",
        "{}",
        "*",
        "?",
        "[z]",
        "*?[z]",
        "~",
        "~root",
        "#comment",
        "a#b",
        "%s%n%",
        "-n",
        "--base",
        "-",
        "a=b",
        "{{TMPDIR}}",
        ";",
        "&",
        "<>",
        "a\nb",
        "\n",
        "trailing newline\n",
        "\n\nleading newlines",
        "tab\there",
        "\r",
        "\x01\x1f\x7f",
        "\x1b[31mred",
        "é ü",
        "日本語",
        "\u{1F600}",
        "\u{85}",
        "\u{2028}",
        "\u{FEFF}",
        "\u{a0}",
    ];
    let mut v: Vec<Vec<u8>> = strs.iter().map(|s| s.as_bytes().to_vec()).collect();
    v.extend([
        b"\xff".to_vec(),
        b"\xc3".to_vec(),
        b"a\xffb\xfec".to_vec(),
        b"\xed\xa0\x80".to_vec(),
        b"\xf4\x90\x80\x80".to_vec(),
        b"\xc0\xaf".to_vec(),
        b"'\xff'".to_vec(),
        b"\x80$(touch pwned)\x80".to_vec(),
    ]);
    v
}

/// Random names: any bytes a file name can hold, weighted toward the ones
/// that quoting cares about.
fn random(n: usize) -> Vec<Vec<u8>> {
    let special = prop::sample::select(b"'\"\\$`!{}[]*?~#;&|()<> \t\n\r%^=-@".to_vec());
    let byte = prop_oneof![special, any::<u8>(), 0x80u8..=0xff];
    let name = prop::collection::vec(byte, 1..24).prop_filter("a file name", |n| valid_name(n));
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| name.new_tree(&mut runner).expect("a random name").current())
        .collect()
}

fn valid_name(n: &[u8]) -> bool {
    !n.is_empty()
        && n.len() <= 200
        && !n.contains(&b'/')
        && !n.contains(&0)
        && n != b"."
        && n != b".."
}

fn cases() -> Vec<Vec<u8>> {
    let n = std::env::var("TMPGUARD_QUOTING_RANDOM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut all = corpus();
    for name in random(n) {
        if !all.contains(&name) {
            all.push(name);
        }
    }
    assert!(all.iter().all(|c| valid_name(c)));
    all
}

fn hex(v: &[u8]) -> String {
    v.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Stubs that stand in for the module system around a modulefile, so the
/// real interpreter parses tmpguard's quoting and runs the real command.
/// (The real Lmod and Environment Modules are driven in tests/modulefiles.rs.)
const STUBS: &str = r#"
cat > "$AUX/lmod-stub.lua" <<'EOF'
function mode() return "load" end
function help() end
function whatis() end
function LmodError(msg) io.stderr:write(msg) os.exit(1) end
function capture(cmd) local p = io.popen(cmd) local out = p:read("a") p:close() return out end
function pushenv(name, value) io.write(value, "\n") end
function setenv(name, value) end
function LmodMessage(msg) io.stderr:write(msg) end
dofile(arg[1])
EOF
cat > "$AUX/modules-stub.tcl" <<'EOF'
proc module-info {what args} { return 1 }
proc module-whatis {args} {}
proc getenv {name} { return "" }
proc pushenv {name value} { puts $value }
proc setenv {name value} {}
proc reportError {msg} { puts stderr $msg }
proc reportWarning {msg} { puts stderr $msg }
source [lindex $argv 0]
EOF
"#;

fn check(runner: &Runner) {
    let Some(sb) = common::sandbox() else { return };
    for prog in runner.needs {
        if !common::require(common::have(prog), prog) {
            return;
        }
    }
    let who = if sb.unprivileged() { "alice" } else { "root" };
    let cases = cases();
    let list = cases.iter().map(|c| hex(c)).collect::<Vec<_>>().join(" ");
    let script = format!(
        r#"
mkdir -m 755 "$AUX/q" "$AUX/cwd" "$AUX/home/root" "$AUX/xonsh"
{STUBS}
INIT={init}
EVAL={eval}
run() {{
  (cd "$AUX/cwd" && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$AUX/home/root" USER={who} LOGNAME={who} \
     XDG_RUNTIME_DIR=/run/user/$(id -u) LC_ALL=C.UTF-8 XONSH_DATA_DIR="$AUX/xonsh" TG="$TG" AUX="$AUX" D="$D" TMPGUARD_BASE="$D" bash -c "$1")
}}
hex() {{ od -An -v -tx1 | tr -d ' \n'; }}
i=0
for h in {list}; do
  name=$(printf "$(printf '%s' "$h" | sed 's/../\\x&/g')_"); name=${{name%_}}
  D="$AUX/q/$name"
  mkdir -m 755 -- "$D"
  run "$INIT" > "$AUX/init.out" 2> "$AUX/init.err"; irc=$?
  run "$EVAL" > "$AUX/eval.out" 2> "$AUX/eval.err"; erc=$?
  echo "case $i $irc $(wc -c < "$AUX/init.out") $erc x$(hex < "$AUX/eval.out") x$(hex < "$AUX/eval.err") x$(hex < "$AUX/init.err")"
  i=$((i+1))
done
echo "pwned: $(find "$AUX" /tmp -name pwned) ."
echo "cwd: $(ls -A "$AUX/cwd") ."
"#,
        init = sh_quote(runner.init),
        eval = sh_quote(runner.eval),
    );
    let out = sb.run(&script).ok();
    let mut seen = 0;
    let mut failures = Vec::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("case ") {
            let f: Vec<&str> = rest.split(' ').collect();
            let i: usize = f[0].parse().unwrap();
            let (irc, ilen, erc) = (f[1], f[2], f[3]);
            let got = unhex(&f[4][1..]);
            let err = String::from_utf8_lossy(&unhex(&f[5][1..])).into_owned();
            let ierr = String::from_utf8_lossy(&unhex(&f[6][1..])).into_owned();
            let mut path = b"/mnt/tg/q/".to_vec();
            path.extend_from_slice(&cases[i]);
            path.extend_from_slice(format!("/{who}").as_bytes());
            let name = String::from_utf8_lossy(&cases[i]);
            if (runner.refuses)(&path) {
                if irc != "1" || ilen != "0" || !got.is_empty() || !ierr.starts_with("tmpguard: ") {
                    failures.push(format!(
                        "{name:?}: should be refused: init exit {irc}, {ilen} bytes on stdout, stderr {ierr:?}; eval printed {:?}",
                        String::from_utf8_lossy(&got)
                    ));
                }
            } else {
                let mut want = path.clone();
                want.push(b'\n');
                if irc != "0" || erc != "0" || got != want {
                    failures.push(format!(
                        "{name:?} ({}): init exit {irc} {ierr:?}, eval exit {erc}, TMPDIR came back as {:?}, stderr {err:?}",
                        hex(&cases[i]),
                        String::from_utf8_lossy(&got)
                    ));
                }
            }
            seen += 1;
        }
    }
    assert!(
        out.stdout.contains("pwned:  .\n"),
        "something in a name was executed:\n{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("cwd:  .\n"),
        "something was created in the working directory:\n{}",
        out.stdout
    );
    assert_eq!(
        seen,
        cases.len(),
        "not every case ran:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn bash() {
    check(&Runner {
        needs: &["bash"],
        init: r#""$TG" init bash"#,
        eval: r#"bash -euo pipefail -c 'eval "$("$TG" init bash)"; printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn zsh() {
    check(&Runner {
        needs: &["zsh"],
        init: r#""$TG" init zsh"#,
        eval: r#"zsh -euo pipefail -c 'eval "$("$TG" init zsh)"; printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn fish() {
    check(&Runner {
        needs: &["fish"],
        init: r#""$TG" init fish"#,
        eval: r#"fish --no-config -c '$TG init fish | source; printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn dash() {
    check(&Runner {
        needs: &["dash"],
        init: r#""$TG" init dash"#,
        eval: r#"dash -eu -c 'eval "$("$TG" init dash)"; printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn ksh93() {
    check(&Runner {
        needs: &["ksh93"],
        init: r#""$TG" init ksh"#,
        eval: r#"ksh93 -eu -c 'eval "$("$TG" init ksh)"; printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn mksh() {
    check(&Runner {
        needs: &["mksh"],
        init: r#""$TG" init mksh"#,
        eval: r#"mksh -eu -c 'eval "$("$TG" init mksh)"; printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn busybox_sh() {
    check(&Runner {
        needs: &["busybox"],
        init: r#""$TG" init sh"#,
        eval: r#"busybox sh -eu -c 'eval "$("$TG" init sh)"; printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn tcsh() {
    check(&Runner {
        needs: &["tcsh"],
        init: r#""$TG" init tcsh"#,
        eval: r#"tcsh -f -e -c 'eval "`$TG init tcsh`"; printenv TMPDIR'"#,
        refuses: has_control,
    });
}

#[test]
fn csh() {
    check(&Runner {
        needs: &["csh"],
        init: r#""$TG" init csh"#,
        eval: r#"csh -f -e -c 'eval "`$TG init csh`"; printenv TMPDIR'"#,
        refuses: has_control,
    });
}

#[test]
fn elvish() {
    check(&Runner {
        needs: &["elvish"],
        init: r#""$TG" init elvish"#,
        eval: r#"elvish -norc -c 'eval ($E:TG init elvish | slurp); printenv TMPDIR'"#,
        refuses: never,
    });
}

#[test]
fn xonsh() {
    check(&Runner {
        needs: &["xonsh"],
        init: r#""$TG" init xonsh"#,
        eval: r#"xonsh --no-rc -c 'execx($($TG init xonsh)); printenv TMPDIR'"#,
        refuses: never,
    });
}

/// The Lua modulefile: the binary's path (a link whose path holds the name)
/// and `--base` go through POSIX quoting inside a Lua string.
#[test]
fn lmod_lua() {
    check(&Runner {
        needs: &["lua5.3"],
        init: r#"ln -s "$TG" "$D/tg" && "$D/tg" init lmod --base "$D""#,
        eval: r#"lua5.3 "$AUX/lmod-stub.lua" "$AUX/init.out""#,
        refuses: never,
    });
}

/// The Tcl modulefile: the binary's path and `--base` as Tcl words.
#[test]
fn modules_tcl() {
    check(&Runner {
        needs: &["tclsh"],
        init: r#"ln -s "$TG" "$D/tg" && "$D/tg" init modules --base "$D""#,
        eval: r#"tclsh "$AUX/modules-stub.tcl" "$AUX/init.out""#,
        refuses: not_utf8,
    });
}
