//! The shells: everything tmpguard knows about each one, in one place.
//!
//! A [`Shell`] is what `init` prints code for (one template each). Its
//! [`Spec`] says how the code is written (template, quoting family, prompt hook
//! or not) and, through its [`Login`]s, how users know it: the names `$SHELL`
//! has, the start-up files doctor reads and the one it suggests. Adding a
//! shell is one variant here, one `Spec`, and its template.

use clap::ValueEnum;

use crate::render::quote;
pub use crate::render::quote::Unquotable;
use crate::render::template::{Flag, Slot, fill};

/// A shell `init` can print code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    /// POSIX sh: dash, ksh93, mksh, busybox sh
    #[value(alias = "dash", alias = "ksh", alias = "mksh")]
    Sh,
    /// tcsh, and csh as Linux distributions install it (tcsh)
    #[value(alias = "csh")]
    Tcsh,
    Elvish,
    Xonsh,
}

/// How a shell's code and start-up files are written: quoting, and the
/// syntax of the lines doctor suggests and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// sh, bash, zsh, dash, ksh, mksh.
    Posix,
    /// csh, tcsh.
    Csh,
    Fish,
    Elvish,
    /// xonsh: Python syntax.
    Python,
}

/// Where a start-up file lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RcDir {
    Home,
    /// `$ZDOTDIR`, else the home directory.
    Zdotdir,
    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    ConfigHome,
}

/// A start-up file a shell reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RcFile {
    pub dir: RcDir,
    /// Relative to `dir`.
    pub path: &'static str,
    /// Where doctor lists it among all shells' files (the order since round 1).
    pub order: u8,
}

/// A shell as users know it by name: ksh is `init sh`'s code with its own rc file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Login {
    /// What doctor's suggested line passes to `tmpguard init` (the shell or an alias).
    pub name: &'static str,
    /// The names of `$SHELL` (its last component) that mean this shell.
    pub shell_names: &'static [&'static str],
    /// Where doctor tells the user to put the init line.
    pub rc: &'static str,
    /// The start-up files doctor reads for it.
    pub rc_files: &'static [RcFile],
}

/// Everything about one shell.
#[derive(Debug)]
pub struct Spec {
    /// `templates/<shell>`, compiled in.
    pub template: &'static str,
    pub family: Family,
    /// The code registers a prompt hook (which needs this binary's path).
    /// elvish 0.19 cannot test a file's owner without a fork; sh would need a
    /// command substitution in PS1 (a fork per prompt).
    pub hook: bool,
    /// `templates/<shell>-hook`: the hook's code, which the template either
    /// carries inline behind an interactive test (`{{HOOKCODE}}`, when init
    /// runs on a terminal: see [`Exports::hook_inline`]) or has printed
    /// apart, by `init SHELL --hook-only`, which it runs only in an
    /// interactive shell, so that a non-interactive one parses a short line
    /// instead of the hook (bash parses all of an `if` block it skips, or a
    /// quoted string it does not evaluate, at some 350-570 instructions a
    /// byte). "" when the template has its hook written in it.
    pub hook_code: &'static str,
    /// The first is the shell itself.
    pub logins: &'static [Login],
}

const fn rc(dir: RcDir, path: &'static str, order: u8) -> RcFile {
    RcFile { dir, path, order }
}

use RcDir::{ConfigHome, Home, Zdotdir};

const BASH: Spec = Spec {
    hook_code: include_str!("templates/bash-hook.sh"),
    template: include_str!("templates/bash.sh"),
    family: Family::Posix,
    hook: true,
    logins: &[Login {
        name: "bash",
        shell_names: &["bash"],
        rc: "~/.bashrc",
        rc_files: &[
            rc(Home, ".bashrc", 0),
            rc(Home, ".bash_profile", 1),
            rc(Home, ".bash_login", 2),
        ],
    }],
};

const ZSH: Spec = Spec {
    hook_code: include_str!("templates/zsh-hook.zsh"),
    template: include_str!("templates/zsh.zsh"),
    family: Family::Posix,
    hook: true,
    logins: &[Login {
        name: "zsh",
        shell_names: &["zsh"],
        rc: "~/.zshenv",
        rc_files: &[
            rc(Zdotdir, ".zshenv", 4),
            rc(Zdotdir, ".zprofile", 5),
            rc(Zdotdir, ".zshrc", 6),
        ],
    }],
};

const FISH: Spec = Spec {
    hook_code: include_str!("templates/fish-hook.fish"),
    template: include_str!("templates/fish.fish"),
    family: Family::Fish,
    hook: true,
    logins: &[Login {
        name: "fish",
        shell_names: &["fish"],
        rc: "~/.config/fish/config.fish",
        rc_files: &[rc(ConfigHome, "fish/config.fish", 10)],
    }],
};

const SH: Spec = Spec {
    hook_code: "",
    template: include_str!("templates/sh.sh"),
    family: Family::Posix,
    hook: false,
    logins: &[
        Login {
            name: "sh",
            shell_names: &["sh", "dash", "ash"],
            rc: "~/.profile",
            rc_files: &[rc(Home, ".profile", 3)],
        },
        Login {
            name: "ksh",
            shell_names: &["ksh", "ksh93", "mksh"],
            rc: "~/.kshrc",
            rc_files: &[rc(Home, ".kshrc", 7)],
        },
    ],
};

const TCSH: Spec = Spec {
    hook_code: "",
    template: include_str!("templates/tcsh.csh"),
    family: Family::Csh,
    hook: true,
    logins: &[Login {
        name: "tcsh",
        shell_names: &["tcsh", "csh"],
        rc: "~/.tcshrc",
        rc_files: &[rc(Home, ".cshrc", 8), rc(Home, ".tcshrc", 9)],
    }],
};

const ELVISH: Spec = Spec {
    hook_code: "",
    template: include_str!("templates/elvish.elv"),
    family: Family::Elvish,
    hook: false,
    logins: &[Login {
        name: "elvish",
        shell_names: &["elvish"],
        rc: "~/.config/elvish/rc.elv",
        rc_files: &[rc(ConfigHome, "elvish/rc.elv", 11)],
    }],
};

const XONSH: Spec = Spec {
    hook_code: "",
    template: include_str!("templates/xonsh.xsh"),
    family: Family::Python,
    hook: true,
    logins: &[Login {
        name: "xonsh",
        shell_names: &["xonsh"],
        rc: "~/.xonshrc",
        rc_files: &[rc(Home, ".xonshrc", 12)],
    }],
};

impl Shell {
    /// Everything about this shell.
    pub fn spec(self) -> &'static Spec {
        match self {
            Shell::Bash => &BASH,
            Shell::Zsh => &ZSH,
            Shell::Fish => &FISH,
            Shell::Sh => &SH,
            Shell::Tcsh => &TCSH,
            Shell::Elvish => &ELVISH,
            Shell::Xonsh => &XONSH,
        }
    }

    /// The template has a prompt hook (which needs this binary's path).
    pub fn has_hook(self) -> bool {
        self.spec().hook
    }

    /// The hook's code is printed apart, by `init SHELL --hook-only`.
    pub fn hook_apart(self) -> bool {
        !self.spec().hook_code.is_empty()
    }

    /// Quote one value for this shell, or say why it cannot carry it.
    pub fn quote(self, v: &[u8]) -> Result<Vec<u8>, Unquotable> {
        self.spec().family.quote(v)
    }

    /// Every shell's logins (each shell's own first), with its family.
    pub fn logins() -> impl Iterator<Item = (&'static Login, Family)> {
        Shell::value_variants()
            .iter()
            .flat_map(|s| s.spec().logins.iter().map(|l| (l, s.spec().family)))
    }
}

impl Family {
    /// Quote one value for this family, or say why it cannot carry it.
    pub fn quote(self, v: &[u8]) -> Result<Vec<u8>, Unquotable> {
        Ok(match self {
            Family::Posix => quote::posix(v),
            Family::Fish => quote::fish(v),
            Family::Csh => quote::csh(v)?,
            Family::Elvish => quote::elvish(v),
            Family::Python => quote::python(v),
        })
    }

    /// The line that evaluates `cmd`'s output (a `tmpguard init` command).
    pub fn eval_line(self, cmd: &str) -> String {
        match self {
            Family::Fish => format!("{cmd} | source"),
            Family::Csh => format!("eval \"`{cmd}`\""),
            // The output is evaluated even when init exits 1 (elvish raises,
            // as xonsh does under $RAISE_SUBPROC_ERROR): on failure it takes
            // an unsafe inherited value away.
            Family::Elvish => format!("eval (try {{ {cmd} }} catch {{ }} | slurp)"),
            Family::Python => {
                format!("with ${{...}}.swap(RAISE_SUBPROC_ERROR=False): execx($({cmd}))")
            }
            Family::Posix => format!("eval \"$({cmd})\""),
        }
    }

    /// `NAME=value` for the session, where `value` is another variable's value.
    pub fn export_from(self, name: &str, from: &str) -> String {
        match self {
            Family::Fish => format!("set -gx {name} ${from}"),
            Family::Csh => format!("setenv {name} \"${from}\""),
            Family::Elvish => format!("set E:{name} = $E:{from}"),
            Family::Python => format!("${name} = ${from}"),
            Family::Posix => format!("export {name}=\"${from}\""),
        }
    }

    /// Set `name` to `value` (quoted here), or unset it (`None`): for the
    /// lines `init` prints when TMPDIR failed but XDG_RUNTIME_DIR changes.
    pub fn assign(self, name: &str, value: Option<&[u8]>) -> Result<Vec<u8>, Unquotable> {
        let mut out = Vec::new();
        match value {
            Some(v) => {
                let q = self.quote(v)?;
                let (pre, sep, end): (&str, &str, &str) = match self {
                    Family::Posix => ("export ", "=", "\n"),
                    Family::Fish => ("set -gx ", " ", "\n"),
                    Family::Csh => ("setenv ", " ", ";\n"),
                    Family::Elvish => ("set-env ", " ", "\n"),
                    Family::Python => ("$", " = ", "\n"),
                };
                out.extend_from_slice(format!("{pre}{name}{sep}").as_bytes());
                out.extend_from_slice(&q);
                out.extend_from_slice(end.as_bytes());
            }
            None => out.extend_from_slice(
                match self {
                    Family::Posix => format!("unset {name}\n"),
                    Family::Fish => format!("set -e {name}\n"),
                    Family::Csh => format!("unsetenv {name};\n"),
                    Family::Elvish => format!("unset-env {name}\n"),
                    Family::Python => format!("__xonsh__.env.pop('{name}', None)\n"),
                }
                .as_bytes(),
            ),
        }
        Ok(out)
    }

    /// Point Java's `java.io.tmpdir` at TMPDIR for every JVM started from this shell.
    pub fn java_line(self) -> &'static str {
        match self {
            Family::Fish => "set -gx JAVA_TOOL_OPTIONS -Djava.io.tmpdir=$TMPDIR",
            Family::Csh => "setenv JAVA_TOOL_OPTIONS \"-Djava.io.tmpdir=$TMPDIR\"",
            Family::Elvish => "set E:JAVA_TOOL_OPTIONS = -Djava.io.tmpdir=$E:TMPDIR",
            Family::Python => "$JAVA_TOOL_OPTIONS = '-Djava.io.tmpdir=' + $TMPDIR",
            Family::Posix => "export JAVA_TOOL_OPTIONS=\"-Djava.io.tmpdir=$TMPDIR\"",
        }
    }
}

/// What the rendered code sets, and how its prompt hook re-checks it.
#[derive(Debug, Clone, Default)]
pub struct Exports<'a> {
    pub tmpdir: &'a [u8],
    /// Also export `TMP` / `TEMP` with the same value (they are set now).
    pub tmp: bool,
    pub temp: bool,
    /// Register the prompt hook (interactive shells only; the code checks).
    pub hook: bool,
    /// The hook only checks that TMPDIR is still a directory (a kept job
    /// directory), not that it is the user's.
    pub job_dir: bool,
    /// This binary, for the hook to run again.
    pub tmpguard: &'a [u8],
    /// The `--base` init was given, for the hook to pass on when it runs again.
    pub base: Option<&'a [u8]>,
    /// More variables set to the same value (the site's `export`), validated names.
    pub extra: &'a [&'a str],
    /// TMPDIR is on a network filesystem: the hook does not check it,
    /// because the shell's own builtins would stat it at each prompt and
    /// block on a hung mount; it still checks XDG_RUNTIME_DIR (on a local
    /// filesystem, the usual HPC setup), so there is a hook only when that
    /// is handled (see [`Exports::hooked`]). (Detection is the caller's;
    /// see the README's hook section.)
    pub remote: bool,
    /// Render only the hook's code (`--hook-only`; see [`Spec::hook_code`]).
    pub hook_only: bool,
    /// Carry the hook's code inline (behind the interactive test) rather
    /// than have an interactive shell start `init SHELL --hook-only`: init's
    /// stdin is a terminal, so the shell that evaluates it is most likely
    /// interactive and would pay a second process start; a non-interactive
    /// one (`ssh host cmd`, scp, cron, batch jobs: no terminal) parses one
    /// short line instead of the hook. A wrong guess costs parsing, never
    /// behaviour: the code tests the shell itself either way. Only for
    /// shells with [`Spec::hook_code`].
    pub hook_inline: bool,
    /// The directory's identity as init verified it, `st_dev:st_ino` in
    /// decimal (tcsh's `-F` format), for shells that cannot hold it open.
    pub id: Option<(u64, u64)>,
    /// The same for `XDG_RUNTIME_DIR` as init left it (tcsh).
    pub rid: Option<(u64, u64)>,
    /// Init leaves `XDG_RUNTIME_DIR` alone (`--no-runtime-dir`, the site's
    /// `runtime_dir = false`): the hook does not check it and its repair is
    /// told so too.
    pub no_runtime_dir: bool,
}

impl Exports<'_> {
    /// The prompt hook is registered: asked for, and with something to
    /// check (TMPDIR on a local filesystem, or XDG_RUNTIME_DIR).
    pub fn hooked(&self) -> bool {
        self.hook && (!self.remote || !self.no_runtime_dir)
    }
}

/// The slots an exports template may use.
#[cfg(test)]
pub const EXPORT_SLOTS: &[Slot] = &[
    Slot::Tmpdir,
    Slot::Tmpguard,
    Slot::Check,
    Slot::Base,
    Slot::Id,
    Slot::Rid,
    Slot::NoRt,
    Slot::HookCode,
    Slot::HookHead,
];

/// Render the shell's template.
pub fn render(shell: Shell, ex: &Exports<'_>) -> Result<Vec<u8>, Unquotable> {
    let spec = shell.spec();
    let quote = |v: &[u8]| shell.quote(v);
    let inline = ex.hook_inline && ex.hooked() && !spec.hook_code.is_empty();
    if !ex.hook_only && !inline {
        return render_exports(spec.template, ex, quote);
    }
    let mut code = render_exports(
        spec.hook_code,
        &Exports {
            hook_only: true,
            ..ex.clone()
        },
        quote,
    )?;
    // Its leading `# shellcheck` directives go in front of the wrapping block
    // inline; alone (`--hook-only`) they are left out: an interactive bash
    // pays for every byte it sources, and tests/templates.rs passes them.
    let head = code
        .split_inclusive(|&b| b == b'\n')
        .take_while(|l| l.starts_with(b"# shellcheck "))
        .map(<[u8]>::len)
        .sum();
    if ex.hook_only {
        code.drain(..head);
        return Ok(code);
    }
    let (head, code) = code.split_at(head);
    render_with_hook(spec.template, ex, (head, code), quote)
}

/// Render a template that exports `ex`, quoting values with `quote`.
pub fn render_exports(
    template: &str,
    ex: &Exports<'_>,
    quote: impl Fn(&[u8]) -> Result<Vec<u8>, Unquotable>,
) -> Result<Vec<u8>, Unquotable> {
    render_with_hook(template, ex, (&[], &[]), quote)
}

/// [`render_exports`], with the hook's code (its directives, the rest) to
/// carry inline when not empty.
fn render_with_hook(
    template: &str,
    ex: &Exports<'_>,
    (hook_head, hook_code): (&[u8], &[u8]),
    quote: impl Fn(&[u8]) -> Result<Vec<u8>, Unquotable>,
) -> Result<Vec<u8>, Unquotable> {
    let hooked = ex.hooked();
    let inline = hooked && !hook_code.is_empty();
    let tmpdir = quote(ex.tmpdir)?;
    let tmpguard = if hooked {
        quote(ex.tmpguard)?
    } else {
        Vec::new()
    };
    let check: &[u8] = if ex.job_dir { b"job" } else { b"private" };
    let base = if hooked {
        quote(ex.base.unwrap_or_default())?
    } else {
        Vec::new()
    };
    let ident = |id: Option<(u64, u64)>| {
        id.map(|(dev, ino)| format!("{dev}:{ino}").into_bytes())
            .unwrap_or_default()
    };
    let (id, rid) = (ident(ex.id), ident(ex.rid));
    let flag = |f: Flag| match f {
        Flag::Tmp => ex.tmp,
        Flag::Temp => ex.temp,
        Flag::Hook => hooked,
        Flag::Base => ex.base.is_some(),
        Flag::NoBase => ex.base.is_none(),
        Flag::Inline => inline,
        Flag::Apart => hooked && !inline,
        Flag::Remote => hooked && ex.remote,
    };
    let value = |s: Slot| -> &[u8] {
        match s {
            Slot::Tmpdir => &tmpdir,
            Slot::Tmpguard => &tmpguard,
            Slot::Check => check,
            Slot::Base => &base,
            Slot::Id => &id,
            Slot::Rid => &rid,
            Slot::NoRt if hooked && ex.no_runtime_dir => b"--no-runtime-dir",
            Slot::NoRt => b"",
            Slot::HookCode => hook_code,
            Slot::HookHead => hook_head,
            Slot::Cmd | Slot::Args => panic!("{} is not an exports value", s.name()),
        }
    };
    // The hook's code alone (`--hook-only`) exports nothing.
    let template = match ex.hook_only {
        true => template.into(),
        false => with_extra(template, ex.extra),
    };
    Ok(fill(&template, flag, value))
}

/// The template with one more export line per extra name, each written like
/// the template's own `TMP` line (its `{{?TMP}}` line with the name changed),
/// so every target's syntax stays in its template.
pub fn with_extra<'t>(template: &'t str, extra: &[&str]) -> std::borrow::Cow<'t, str> {
    if extra.is_empty() {
        return template.into();
    }
    // The export line: `{{?TMP}}` then the name TMP, then the value.
    let Some((line, at)) = template.lines().find_map(|l| {
        let line = l.strip_prefix("{{?TMP}}")?;
        let at = find(line, "TMP")?;
        (find(line, "{{TMPDIR}}")? > at).then_some((line, at))
    }) else {
        return template.into();
    };
    // Pieces pushed, not `format!`ted: this runs at every shell start.
    let mut added = String::with_capacity(extra.iter().map(|n| line.len() + n.len()).sum());
    for name in extra {
        added.push_str(&line[..at]);
        added.push_str(name);
        added.push_str(&line[at + 3..]);
        added.push('\n');
    }
    // After the last of the TMP/TEMP lines.
    let end = find(template, "{{?TEMP}}")
        .and_then(|i| find(&template[i..], "\n").map(|n| i + n + 1))
        .unwrap_or(template.len());
    let mut out = String::with_capacity(template.len() + added.len());
    out.push_str(&template[..end]);
    out.push_str(&added);
    out.push_str(&template[end..]);
    out.into()
}

/// Where `pat` first occurs in `hay`: a plain scan, cheaper than `str::find`'s
/// searcher for the few short patterns and templates here.
fn find(hay: &str, pat: &str) -> Option<usize> {
    let (h, p) = (hay.as_bytes(), pat.as_bytes());
    let (&first, rest) = p.split_first()?;
    (0..(h.len() + 1).checked_sub(p.len())?)
        .find(|&i| h[i] == first && &h[i + 1..i + p.len()] == rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_agrees_with_str_find() {
        for (h, p) in [
            ("aTMPb", "TMP"),
            ("TM", "TMP"),
            ("", "x"),
            ("xx\n", "\n"),
            ("{{?TEMP}}", "{{?TEMP}}"),
            ("ab", "b"),
        ] {
            assert_eq!(find(h, p), h.find(p), "{h:?} {p:?}");
        }
    }

    #[test]
    fn extra_names_in_every_shells_syntax() {
        let extra = ["SCRATCH_TMPDIR"];
        for (shell, line) in [
            (Shell::Bash, "export SCRATCH_TMPDIR='/t'\n"),
            (Shell::Zsh, "export SCRATCH_TMPDIR='/t'\n"),
            (Shell::Sh, "export SCRATCH_TMPDIR='/t'\n"),
            (Shell::Fish, "set -gx SCRATCH_TMPDIR '/t'\n"),
            (Shell::Tcsh, "setenv SCRATCH_TMPDIR '/t';\n"),
            (Shell::Elvish, "set-env SCRATCH_TMPDIR '/t'\n"),
            (Shell::Xonsh, "$SCRATCH_TMPDIR = '/t'\n"),
        ] {
            let ex = Exports {
                tmpdir: b"/t",
                extra: &extra,
                ..Default::default()
            };
            let out = String::from_utf8(render(shell, &ex).unwrap()).unwrap();
            assert!(out.contains(line), "{shell:?}: {out}");
        }
        let slurm = render_exports(
            crate::render::SLURM_TEMPLATE,
            &Exports {
                tmpdir: b"/t",
                extra: &extra,
                ..Default::default()
            },
            |v| Ok(v.to_vec()),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(slurm).unwrap(),
            "export TMPDIR=/t\nexport SCRATCH_TMPDIR=/t\n"
        );
    }

    #[test]
    fn bash_exports_only_what_is_set() {
        let out = render(
            Shell::Bash,
            &Exports {
                tmpdir: b"/tmp/a",
                temp: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "export TMPDIR='/tmp/a'\nexport TEMP='/tmp/a'\n"
        );
    }

    #[test]
    fn fish_uses_set_gx() {
        let out = render(
            Shell::Fish,
            &Exports {
                tmpdir: b"/t'",
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "set -gx TMPDIR '/t\\''\n");
    }

    fn text(shell: Shell, ex: &Exports<'_>) -> String {
        String::from_utf8(render(shell, ex).unwrap()).unwrap()
    }

    #[test]
    fn every_shell_renders_all_three() {
        let ex = Exports {
            tmpdir: b"/tmp/a",
            tmp: true,
            temp: true,
            ..Default::default()
        };
        for shell in Shell::value_variants() {
            let out = text(*shell, &ex);
            assert_eq!(out.lines().count(), 3, "{shell:?}: {out}");
            for name in ["TMPDIR", "TMP", "TEMP"] {
                assert!(
                    out.contains(&format!("{name} ")) || out.contains(&format!("{name}=")),
                    "{shell:?}: {out}"
                );
            }
        }
    }

    #[test]
    fn tcsh_ends_each_command_with_a_semicolon() {
        let out = text(
            Shell::Tcsh,
            &Exports {
                tmpdir: b"/tmp/a!",
                tmp: true,
                ..Default::default()
            },
        );
        assert_eq!(out, "setenv TMPDIR '/tmp/a\\!';\nsetenv TMP '/tmp/a\\!';\n");
    }

    #[test]
    fn tcsh_refuses_a_newline() {
        assert!(
            render(
                Shell::Tcsh,
                &Exports {
                    tmpdir: b"/tmp/a\nb",
                    ..Default::default()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn aliases_parse() {
        for (name, shell) in [
            ("dash", Shell::Sh),
            ("ksh", Shell::Sh),
            ("mksh", Shell::Sh),
            ("csh", Shell::Tcsh),
        ] {
            assert_eq!(Shell::from_str(name, false), Ok(shell));
        }
    }

    #[test]
    fn hook_block_only_when_asked_with_values_quoted() {
        let expected: [(Shell, &[&str]); 5] = [
            (Shell::Bash, &["'/opt/my tg' init bash --hook-only"]),
            (Shell::Zsh, &["'/opt/my tg' init zsh --hook-only"]),
            (
                Shell::Fish,
                &[
                    "'/opt/my tg' init fish --hook-only",
                    "__tmpguard_check private",
                ],
            ),
            (
                Shell::Tcsh,
                &[
                    "__tmpguard_exe='/opt/my tg' __tmpguard_check=private",
                    "init tcsh",
                ],
            ),
            (
                Shell::Xonsh,
                &["_tmpguard_hook_for('/opt/my tg', '')", "'init', 'xonsh'"],
            ),
        ];
        for (shell, wanted) in expected {
            let base = Exports {
                tmpdir: b"/tmp/a",
                tmpguard: b"/opt/my tg",
                ..Default::default()
            };
            let plain = String::from_utf8(render(shell, &base).unwrap()).unwrap();
            assert!(!plain.contains("hook") && !plain.contains("{{"), "{plain}");
            let hooked =
                String::from_utf8(render(shell, &Exports { hook: true, ..base }).unwrap()).unwrap();
            for w in wanted {
                assert!(hooked.contains(w), "{shell:?} lacks {w}: {hooked}");
            }
            assert!(!hooked.contains("{{"), "{hooked}");
        }
    }

    #[test]
    fn hook_code_inline_on_a_terminal_behind_the_interactive_test() {
        for (shell, open, close) in [
            (Shell::Bash, "[[ $- != *i* ]]||{\n", "}\n"),
            (Shell::Zsh, "[[ ! -o interactive ]]||{\n", "}\n"),
            (
                Shell::Fish,
                "if status is-interactive; set -g __tmpguard_check private\n",
                "end\n",
            ),
        ] {
            let ex = Exports {
                tmpdir: b"/tmp/a",
                tmpguard: b"/opt/my tg",
                hook: true,
                hook_inline: true,
                ..Default::default()
            };
            let out = text(shell, &ex);
            let code = text(
                shell,
                &Exports {
                    hook_only: true,
                    ..ex.clone()
                },
            );
            // The directives go in front of the block (alone, they are left
            // out), the rest inside it.
            assert!(!code.contains("# shellcheck"), "{shell:?}: {code}");
            let head: String = shell
                .spec()
                .hook_code
                .lines()
                .filter(|l| l.starts_with("# shellcheck "))
                .map(|l| format!("{l}\n"))
                .collect();
            let want = format!("{head}{open}{code}{close}");
            assert!(out.ends_with(&want), "{shell:?}: {out}");
            assert!(!out.contains("--hook-only"), "{shell:?}: {out}");
            // Not for a remote TMPDIR without XDG_RUNTIME_DIR (no hook), and
            // apart without a terminal.
            let remote = text(
                shell,
                &Exports {
                    remote: true,
                    no_runtime_dir: true,
                    ..ex.clone()
                },
            );
            assert!(!remote.contains("__tmpguard"), "{shell:?}: {remote}");
            // With it: the hook (inline or apart), told to leave TMPDIR be.
            for inline in [true, false] {
                let xdg = text(
                    shell,
                    &Exports {
                        remote: true,
                        hook_inline: inline,
                        ..ex.clone()
                    },
                );
                let marker = match shell {
                    Shell::Bash => "[[ $- != *i* ]]||__tgf=$TMPDIR\n",
                    Shell::Zsh => "[[ ! -o interactive ]] || __tmpguard_failed=$TMPDIR\n",
                    _ => "status is-interactive; and set -g __tmpguard_failed $TMPDIR\n",
                };
                assert!(xdg.ends_with(marker), "{shell:?}: {xdg}");
                assert_eq!(xdg.contains("--hook-only"), !inline, "{shell:?}: {xdg}");
            }
            let apart = text(
                shell,
                &Exports {
                    hook_inline: false,
                    ..ex
                },
            );
            assert!(apart.contains("--hook-only"), "{shell:?}: {apart}");
        }
    }

    #[test]
    fn assign_sets_and_unsets_in_each_family() {
        let set = |f: Family| String::from_utf8(f.assign("X", Some(b"/a b")).unwrap()).unwrap();
        let unset = |f: Family| String::from_utf8(f.assign("X", None).unwrap()).unwrap();
        assert_eq!(set(Family::Posix), "export X='/a b'\n");
        assert_eq!(set(Family::Fish), "set -gx X '/a b'\n");
        assert_eq!(set(Family::Csh), "setenv X '/a b';\n");
        assert_eq!(unset(Family::Posix), "unset X\n");
        assert_eq!(unset(Family::Csh), "unsetenv X;\n");
        assert!(Family::Csh.assign("X", Some(b"a\nb")).is_err());
    }

    #[test]
    fn elvish_and_sh_have_no_hook() {
        assert!(!Shell::Elvish.has_hook() && !Shell::Sh.has_hook());
    }

    #[test]
    fn every_template_uses_only_known_names() {
        use crate::render::template::names;
        for shell in Shell::value_variants() {
            let spec = shell.spec();
            let (slots, flags) = names(spec.template).unwrap_or_else(|e| panic!("{shell:?}: {e}"));
            let (hook_slots, hook_flags) =
                names(spec.hook_code).unwrap_or_else(|e| panic!("{shell:?} hook: {e}"));
            for s in &hook_slots {
                assert!(
                    [Slot::Tmpguard, Slot::Base, Slot::NoRt].contains(s),
                    "{shell:?} hook uses {s:?}"
                );
            }
            assert!(hook_flags.is_empty(), "{shell:?} hook uses {hook_flags:?}");
            for s in &slots {
                assert!(EXPORT_SLOTS.contains(s), "{shell:?} uses {s:?}");
            }
            for f in &flags {
                assert!(Flag::ALL.contains(f), "{shell:?} uses {f:?}");
            }
            assert!(slots.contains(&Slot::Tmpdir), "{shell:?}");
            // The registry says whether there is a hook; the template agrees.
            // With its hook's code apart, a template places it both ways
            // (APART, INLINE), each of which implies the hook.
            let both = [Flag::Apart, Flag::Inline]
                .iter()
                .all(|f| flags.contains(f))
                && slots.contains(&Slot::HookCode);
            assert_eq!(!spec.hook_code.is_empty(), both, "{shell:?}");
            assert_eq!(spec.hook, flags.contains(&Flag::Hook) || both, "{shell:?}");
            assert_eq!(spec.hook, slots.contains(&Slot::Tmpguard), "{shell:?}");
        }
        let (slots, _) = names(crate::render::SLURM_TEMPLATE).unwrap();
        assert_eq!(slots, [Slot::Tmpdir]);
        for (t, want) in crate::render::modulefile::TEMPLATES {
            assert_eq!(names(t).unwrap().0, *want);
        }
    }

    #[test]
    fn logins_are_init_names_and_cover_shell_names_once() {
        let mut seen = Vec::new();
        for (shell, spec) in Shell::value_variants().iter().map(|s| (s, s.spec())) {
            assert_eq!(
                spec.logins[0].name,
                shell.to_possible_value().unwrap().get_name()
            );
            for login in spec.logins {
                assert_eq!(
                    Shell::from_str(login.name, false),
                    Ok(*shell),
                    "{}",
                    login.name
                );
                for n in login.shell_names {
                    assert!(!seen.contains(n), "{n} twice");
                    seen.push(n);
                }
            }
        }
        let mut orders: Vec<u8> = Shell::logins()
            .flat_map(|(l, _)| l.rc_files.iter().map(|f| f.order))
            .collect();
        orders.sort();
        assert_eq!(orders, (0..orders.len() as u8).collect::<Vec<_>>());
    }

    #[test]
    fn tcsh_hook_survives_joined_lines() {
        // ``eval "`...`"`` joins the lines: each must end its command.
        let out = text(
            Shell::Tcsh,
            &Exports {
                tmpdir: b"/tmp/a",
                hook: true,
                job_dir: true,
                tmpguard: b"/opt/tg",
                ..Default::default()
            },
        );
        assert!(out.contains("__tmpguard_check=job"), "{out}");
        for line in out.lines() {
            assert!(line.ends_with(';'), "{line}");
        }
    }
}
