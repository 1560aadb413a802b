//! Tier 0 (anyone, no root): every `init` target × every combination of
//! options and starting environment renders fully, and passes its language's
//! own syntax check (`bash -n`, `zsh -n`, `dash -n`, `fish --no-execute`,
//! `tcsh -n`, `elvish -compileonly`, xonsh's parser, `luac -p`, Tcl's
//! `info complete`, TaskProlog's line grammar); the sh-family output also
//! passes `shellcheck`, its deliberate exceptions written in the templates
//! as `# shellcheck disable=...` directives that survive rendering (but for
//! `init bash --hook-only`, which leaves its directive out: see
//! `bash_hook_code_passes_shellcheck`). Shells with their hook's code apart
//! are also rendered on a terminal (`script`), where it comes inline.
//!
//! Rendered by the real binary, as the developer, in a scratch base.
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{have, require};

/// Every `init` target.
const TARGETS: &[&str] = &[
    "bash", "zsh", "fish", "sh", "tcsh", "elvish", "xonsh", "lmod", "modules", "slurm",
];

/// Every flag of `init` (as `init --help` lists them); `Combo` sets each.
const FLAGS: &[&str] = &[
    "--base",
    "--force",
    "--per-job",
    "--no-runtime-dir",
    "--quiet",
    "--no-hook",
];

/// Targets whose prompt hook is also printed alone (`init SHELL --hook-only`,
/// a hidden flag the rendered code itself calls): rendered and checked too.
const HOOK_ONLY: &[&str] = &["bash", "zsh", "fish"];

/// One way `init` can be called: flags and starting environment.
#[derive(Debug, Clone, Copy)]
struct Combo(u32);

impl Combo {
    const BITS: u32 = 9;
    fn all() -> impl Iterator<Item = Combo> {
        (0..1 << Self::BITS).map(Combo)
    }
    fn on(self, bit: u32) -> bool {
        self.0 & (1 << bit) != 0
    }
    fn describe(self) -> String {
        let names = [
            "--base",
            "--no-hook",
            "--force",
            "--quiet",
            "TMP",
            "TEMP",
            "job",
            "--per-job",
            "--no-runtime-dir",
        ];
        let on: Vec<&str> = (0..Self::BITS)
            .filter(|&b| self.on(b))
            .map(|b| names[b as usize])
            .collect();
        format!("[{}]", on.join(" "))
    }
}

/// A scratch directory (mode 0700, the developer's), removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        use std::os::unix::fs::DirBuilderExt;
        let d =
            std::env::temp_dir().join(format!("tmpguard-templates-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::DirBuilder::new().mode(0o700).create(&d).unwrap();
        Scratch(std::fs::canonicalize(d).unwrap())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A template marker left in the output: `{{NAME}}`, `{{?NAME}}`, `{{#NAME}}`,
/// `{{/NAME}}` (bash code itself may hold `}}`, as in `{ ...;};}`).
fn has_marker(text: &str) -> bool {
    text.match_indices("{{").any(|(i, _)| {
        let rest = text[i + 2..].trim_start_matches(['?', '#', '/']);
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        !name.is_empty() && rest[name.len()..].starts_with("}}")
    })
}

/// Render `target` for every combination; the distinct outputs, each with the
/// first combination that produced it. Panics on a failed or partial render.
fn render_all(target: &str, w: &Path) -> BTreeMap<Vec<u8>, String> {
    let base = w.join("base");
    let job = w.join("job");
    for d in [&base, &job] {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new().mode(0o700).create(d);
    }
    let user = user_name();
    let mut seen = BTreeMap::new();
    let mut problems = Vec::new();
    let hook_only = HOOK_ONLY.contains(&target);
    // (combination, --hook-only, on a terminal: the hook's code inline).
    let runs = Combo::all()
        .map(|c| (c, false, false))
        .chain(
            Combo::all()
                .filter(|c| hook_only && !c.on(1))
                .map(|c| (c, true, false)),
        )
        .chain(
            Combo::all()
                .filter(|c| hook_only && !c.on(1))
                .map(|c| (c, false, true)),
        );
    for (c, only_hook, tty) in runs {
        let mut cmd = Command::new(common::tmpguard_bin());
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", w)
            .env("USER", &user)
            .env("LOGNAME", &user)
            .args(["init", target]);
        if c.on(0) {
            cmd.arg("--base").arg(&base);
        } else {
            cmd.env("TMPGUARD_BASE", &base);
        }
        if only_hook {
            cmd.arg("--hook-only");
        }
        for (bit, flag) in [
            (1, "--no-hook"),
            (2, "--force"),
            (3, "--quiet"),
            (7, "--per-job"),
            (8, "--no-runtime-dir"),
        ] {
            if c.on(bit) {
                cmd.arg(flag);
            }
        }
        if c.on(4) {
            cmd.env("TMP", "/tmp");
        }
        if c.on(5) {
            cmd.env("TEMP", "/tmp");
        }
        if c.on(6) {
            cmd.env("SLURM_JOB_ID", "1").env("TMPDIR", &job);
        }
        let out = if tty {
            on_terminal(&cmd, w)
        } else {
            cmd.stdin(Stdio::null()).output().expect("run tmpguard")
        };
        let what = format!(
            "init {target}{}{} {}",
            if only_hook { " --hook-only" } else { "" },
            if tty { " (on a terminal)" } else { "" },
            c.describe()
        );
        let text = String::from_utf8_lossy(&out.stdout);
        if out.status.code() != Some(0) {
            problems.push(format!(
                "{what}: exit {:?}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        } else if has_marker(&text) {
            problems.push(format!("{what}: a template marker is left:\n{text}"));
        } else if !(text.contains("TMPDIR") || target == "slurm" && text.is_empty() || only_hook) {
            problems.push(format!("{what}: no TMPDIR in:\n{text}"));
        } else if tty && (text.contains("--hook-only") || !text.contains("__tmpguard_hook")) {
            problems.push(format!("{what}: the hook's code is not inline:\n{text}"));
        } else if !text.is_empty() && !text.ends_with('\n') {
            problems.push(format!("{what}: no final newline"));
        }
        seen.entry(out.stdout).or_insert(what);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    seen
}

/// Run `cmd` with a terminal as its stdin (`script`, util-linux: a real
/// pty), its stdout and stderr to files; as `Command::output` would say.
fn on_terminal(cmd: &Command, w: &Path) -> std::process::Output {
    let q = |s: &std::ffi::OsStr| format!("'{}'", s.to_str().unwrap().replace('\'', r"'\''"));
    let (o, e) = (w.join("tty.out"), w.join("tty.err"));
    let line = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(q)
        .collect::<Vec<_>>()
        .join(" ");
    let line = format!("exec {line} >{} 2>{}", q(o.as_os_str()), q(e.as_os_str()));
    let mut s = Command::new("script");
    s.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.env(k, v);
        }
    }
    let status = s
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("run script");
    std::process::Output {
        status,
        stdout: std::fs::read(&o).unwrap(),
        stderr: std::fs::read(&e).unwrap(),
    }
}

/// Write each distinct rendering to a file; (file, what made it).
fn files(target: &str, ext: &str, w: &Path) -> Vec<(PathBuf, String)> {
    let dir = w.join("out");
    let _ = std::fs::create_dir(&dir);
    render_all(target, w)
        .into_iter()
        .enumerate()
        .map(|(i, (text, what))| {
            let f = dir.join(format!("{target}-{i}.{ext}"));
            std::fs::write(&f, text).unwrap();
            (f, what)
        })
        .collect()
}

/// Run `argv` + file for each file; collect the failures.
fn check_each(files: &[(PathBuf, String)], argv: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for (f, what) in files {
        let out = Command::new(argv[0])
            .args(&argv[1..])
            .arg(f)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", argv[0]));
        if !out.status.success() || !out.stderr.is_empty() && argv[0] != "shellcheck" {
            bad.push(format!(
                "{} on {what}: {:?}\n{}{}\n--- the code:\n{}",
                argv.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(f).unwrap_or_default()
            ));
        }
    }
    bad
}

fn need(progs: &[&str]) -> bool {
    progs.iter().all(|p| require(have(p), p))
}

fn assert_clean(bad: Vec<String>) {
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
}

#[test]
fn bash_renders_and_parses() {
    if !need(&["bash"]) {
        return;
    }
    let w = Scratch::new("bash");
    assert_clean(check_each(
        &files("bash", "sh", &w.0),
        &["bash", "--norc", "-n"],
    ));
}

#[test]
fn zsh_renders_and_parses() {
    if !need(&["zsh"]) {
        return;
    }
    let w = Scratch::new("zsh");
    assert_clean(check_each(&files("zsh", "zsh", &w.0), &["zsh", "-f", "-n"]));
}

#[test]
fn sh_renders_and_parses_in_every_posix_shell() {
    if !need(&["dash", "mksh", "ksh93", "busybox", "bash"]) {
        return;
    }
    let w = Scratch::new("sh");
    let f = files("sh", "sh", &w.0);
    let mut bad = Vec::new();
    for argv in [
        &["dash", "-n"][..],
        &["mksh", "-n"],
        &["ksh93", "-n"],
        &["busybox", "sh", "-n"],
        &["bash", "--posix", "--norc", "-n"],
    ] {
        bad.extend(check_each(&f, argv));
    }
    assert_clean(bad);
}

#[test]
fn fish_renders_and_parses() {
    if !need(&["fish"]) {
        return;
    }
    let w = Scratch::new("fish");
    assert_clean(check_each(
        &files("fish", "fish", &w.0),
        &["fish", "--no-config", "--no-execute"],
    ));
}

/// `tcsh -n` catches quoting errors but not an unclosed `if`/`foreach`/
/// `switch` (tcsh runs those line by line): count the block words too.
fn csh_blocks_balance(code: &str) -> Result<(), String> {
    let mut stack = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let open = match words.first().copied() {
            Some("if") if words.last() == Some(&"then") => Some("endif"),
            Some("else") if words.last() == Some(&"then") => None, // else if ... then
            Some("foreach") | Some("while") => Some("end"),
            Some("switch") => Some("endsw"),
            _ => None,
        };
        if let Some(close) = open {
            stack.push((close, n + 1));
        } else if let Some(w @ ("endif" | "end" | "endsw")) = words.first().copied() {
            match stack.pop() {
                Some((want, _)) if want == w => {}
                other => return Err(format!("line {}: {w} closes {other:?}", n + 1)),
            }
        }
    }
    match stack.pop() {
        Some((want, line)) => Err(format!("line {line}: no {want}")),
        None => Ok(()),
    }
}

#[test]
fn tcsh_renders_and_parses() {
    if !need(&["tcsh"]) {
        return;
    }
    let w = Scratch::new("tcsh");
    let f = files("tcsh", "csh", &w.0);
    let mut bad = check_each(&f, &["tcsh", "-f", "-n"]);
    for (file, what) in &f {
        if let Err(e) = csh_blocks_balance(&std::fs::read_to_string(file).unwrap()) {
            bad.push(format!("{what}: {e}"));
        }
    }
    assert_clean(bad);
}

#[test]
fn elvish_renders_and_compiles() {
    if !need(&["elvish"]) {
        return;
    }
    let w = Scratch::new("elvish");
    assert_clean(check_each(
        &files("elvish", "elv", &w.0),
        &["elvish", "-norc", "-compileonly"],
    ));
}

#[test]
fn xonsh_renders_and_compiles() {
    if !need(&["xonsh"]) {
        return;
    }
    let w = Scratch::new("xonsh");
    let f = files("xonsh", "xsh", &w.0);
    // One xonsh start for all files: xonsh's own parser (the code is Python
    // plus `$NAME = ...`, which Python's `compile` would refuse).
    let list: Vec<String> = f.iter().map(|(p, _)| p.display().to_string()).collect();
    let out = Command::new("xonsh")
        .args(["--no-rc", "-c"])
        .arg(
            "import os\nfs = os.environ['TG_FILES'].split('\\n')\nfor f in fs:\n    compilex(open(f).read(), filename=f)\nprint('compiled', len(fs))",
        )
        .env("TG_FILES", list.join("\n"))
        .env("XONSH_DATA_DIR", &w.0)
        .env("HOME", &w.0)
        .stdin(Stdio::null())
        .output()
        .expect("run xonsh");
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).contains(&format!("compiled {}", f.len())),
        "xonsh: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn lmod_renders_and_compiles() {
    let luac = ["luac5.3", "luac5.4", "luac"]
        .into_iter()
        .find(|p| have(p))
        .unwrap_or("luac5.3");
    if !need(&[luac]) {
        return;
    }
    let w = Scratch::new("lmod");
    assert_clean(check_each(&files("lmod", "lua", &w.0), &[luac, "-p"]));
}

#[test]
fn modules_renders_and_parses() {
    if !need(&["tclsh"]) {
        return;
    }
    let w = Scratch::new("modules");
    let f = files("modules", "tcl", &w.0);
    // Tcl has no parse-only mode: `info complete` says whether every brace,
    // bracket and quote is closed, which is what a rendering can break.
    let script = w.0.join("complete.tcl");
    std::fs::write(
        &script,
        "foreach f $argv { set h [open $f]; set c [read $h]; close $h\n\
         if {![info complete $c]} { puts \"incomplete: $f\"; exit 1 }\n\
         if {![string match {#%Module*} $c]} { puts \"no #%Module header: $f\"; exit 1 } }\n",
    )
    .unwrap();
    let out = Command::new("tclsh")
        .arg(&script)
        .args(f.iter().map(|(p, _)| p))
        .output()
        .expect("run tclsh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn slurm_renders_taskprolog_lines() {
    let w = Scratch::new("slurm");
    let name = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !s.as_bytes()[0].is_ascii_digit()
    };
    let mut bad = Vec::new();
    for (text, what) in render_all("slurm", &w.0) {
        let text = String::from_utf8(text).unwrap();
        for line in text.lines() {
            // What Slurm's TaskProlog reader acts on: `export NAME=value`,
            // `unset NAME`, `print ...`; anything else is ignored, so a typo is silent.
            let ok = match line.split_once(' ') {
                Some(("export", rest)) => rest.split_once('=').is_some_and(|(n, _)| name(n)),
                Some(("unset", n)) => name(n),
                Some(("print", _)) => true,
                _ => false,
            };
            if !ok {
                bad.push(format!("{what}: not a TaskProlog line: {line:?}"));
            }
        }
    }
    assert_clean(bad);
}

fn is_hook_only(what: &str) -> bool {
    what.contains("--hook-only")
}

#[test]
fn bash_output_passes_shellcheck() {
    if !need(&["shellcheck"]) {
        return;
    }
    let w = Scratch::new("shellcheck-bash");
    let f: Vec<_> = files("bash", "sh", &w.0)
        .into_iter()
        .filter(|(_, what)| !is_hook_only(what))
        .collect();
    assert_clean(check_each(
        &f,
        &["shellcheck", "--shell=bash", "--severity=style"],
    ));
}

#[test]
fn bash_hook_code_passes_shellcheck() {
    if !need(&["shellcheck"]) {
        return;
    }
    let w = Scratch::new("shellcheck-bash-hook");
    let f: Vec<_> = files("bash", "sh", &w.0)
        .into_iter()
        .filter(|(_, what)| is_hook_only(what))
        .collect();
    assert!(!f.is_empty());
    // `--hook-only` leaves out the template's directive (every byte costs an
    // interactive bash; the inline form keeps it): its exceptions, here.
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/render/templates/bash-hook.sh"
    ))
    .unwrap();
    let codes = template
        .lines()
        .find_map(|l| l.strip_prefix("# shellcheck disable="))
        .expect("the hook's directive");
    let exclude = format!("--exclude={codes}");
    assert_clean(check_each(
        &f,
        &["shellcheck", "--shell=bash", "--severity=style", &exclude],
    ));
}

#[test]
fn sh_output_passes_shellcheck_as_sh_dash_and_ksh() {
    if !need(&["shellcheck"]) {
        return;
    }
    let w = Scratch::new("shellcheck-sh");
    let f = files("sh", "sh", &w.0);
    let mut bad = Vec::new();
    for sh in ["--shell=sh", "--shell=dash", "--shell=ksh"] {
        bad.extend(check_each(&f, &["shellcheck", sh, "--severity=style"]));
    }
    assert_clean(bad);
}

/// The checks catch what they look for: each refuses a broken snippet.
#[test]
fn the_checks_refuse_broken_code() {
    let w = Scratch::new("broken");
    let cases: &[(&str, &str, &[&str])] = &[
        ("bash", "if true; then\n", &["bash", "--norc", "-n"]),
        ("zsh", "if true; then\n", &["zsh", "-f", "-n"]),
        ("dash", "if true; then\n", &["dash", "-n"]),
        (
            "fish",
            "if true\n",
            &["fish", "--no-config", "--no-execute"],
        ),
        ("tcsh", "echo \"a\n", &["tcsh", "-f", "-n"]),
        (
            "elvish",
            "if $true {\n",
            &["elvish", "-norc", "-compileonly"],
        ),
        ("luac5.3", "if x then\n", &["luac5.3", "-p"]),
        (
            "shellcheck",
            "x=$(echo $1)\necho $x\n",
            &["shellcheck", "--shell=sh", "--severity=style"],
        ),
    ];
    for (prog, code, argv) in cases {
        if !need(&[prog]) {
            continue;
        }
        let f = w.0.join(format!("broken-{prog}"));
        std::fs::write(&f, code).unwrap();
        let bad = check_each(&[(f, format!("broken {prog}"))], argv);
        assert_eq!(bad.len(), 1, "{prog} accepted {code:?}");
    }
    assert!(csh_blocks_balance("if ( 1 ) then\n echo a\n").is_err());
    assert!(has_marker("a {{TMPDIR}} b") && has_marker("{{?TMP}}x") && has_marker("{{/HOOK}}"));
    assert!(!has_marker("{ a;};} ${x}}") && !has_marker("{{ not a marker }}"));
    assert!(
        csh_blocks_balance("if ( 1 ) then\nelse if ( 2 ) then\nelse\nendif\nforeach x (a)\nend\n")
            .is_ok()
    );
}

/// The sh files shipped as they are (login snippets, the TaskProlog script):
/// every `*.sh` under `shell/` that is not a template.
#[test]
fn shipped_sh_files_pass_shellcheck() {
    if !need(&["shellcheck"]) {
        return;
    }
    fn walk(d: &Path, out: &mut Vec<(PathBuf, String)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "sh")
                && !std::fs::read_to_string(&p).unwrap().contains("{{")
            {
                out.push((p.clone(), p.display().to_string()));
            }
        }
    }
    let mut f = Vec::new();
    walk(&Path::new(&common::repo_dir()).join("shell"), &mut f);
    assert!(!f.is_empty(), "no shipped sh files found under shell/");
    assert_clean(check_each(
        &f,
        &["shellcheck", "--shell=sh", "--severity=style"],
    ));
}

/// The matrix covers every target and every flag `init` has: a new one must
/// be added here (and to the tests above) to be checked.
#[test]
fn the_matrix_covers_every_target_and_flag() {
    let out = Command::new(common::tmpguard_bin())
        .args(["init", "--help"])
        .output()
        .expect("run tmpguard");
    let help = String::from_utf8_lossy(&out.stdout);
    let targets: Vec<&str> = help
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(targets, TARGETS, "{help}");
    let flags: Vec<&str> = help
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split([' ', ',']).find(|w| w.starts_with("--")))
        .filter(|f| *f != "--help")
        .collect();
    assert_eq!(flags, FLAGS, "{help}");
}
