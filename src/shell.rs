//! Per-shell rendering: the templates in `shell/`, filled with quoted values.
//!
//! Template syntax, kept tiny on purpose: `{{TMPDIR}}` is replaced by the
//! directory quoted for the shell; a line starting with `{{?FLAG}}` is kept
//! (without the marker) only when FLAG is on; lines between `{{#FLAG}}` and
//! `{{/FLAG}}` likewise; `# ` comment lines are dropped from the output.

use clap::ValueEnum;

use crate::quote;
pub use crate::quote::Unquotable;

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

impl Shell {
    fn template(self) -> &'static str {
        match self {
            Shell::Bash => include_str!("../shell/bash.sh"),
            Shell::Zsh => include_str!("../shell/zsh.zsh"),
            Shell::Fish => include_str!("../shell/fish.fish"),
            Shell::Sh => include_str!("../shell/sh.sh"),
            Shell::Tcsh => include_str!("../shell/tcsh.csh"),
            Shell::Elvish => include_str!("../shell/elvish.elv"),
            Shell::Xonsh => include_str!("../shell/xonsh.xsh"),
        }
    }

    /// The template has a prompt hook (which needs this binary's path).
    pub fn has_hook(self) -> bool {
        self.template().contains("{{#HOOK}}")
    }

    /// Quote one value for this shell, or say why it cannot carry it.
    pub fn quote(self, v: &[u8]) -> Result<Vec<u8>, Unquotable> {
        Ok(match self {
            Shell::Bash | Shell::Zsh | Shell::Sh => quote::posix(v),
            Shell::Fish => quote::fish(v),
            Shell::Tcsh => quote::csh(v)?,
            Shell::Elvish => quote::elvish(v),
            Shell::Xonsh => quote::python(v),
        })
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
}

/// Render the shell's template.
pub fn render(shell: Shell, ex: &Exports<'_>) -> Result<Vec<u8>, Unquotable> {
    render_exports(shell.template(), ex, |v| shell.quote(v))
}

/// Render a template that exports `ex`, quoting values with `quote`.
pub fn render_exports(
    template: &str,
    ex: &Exports<'_>,
    quote: impl Fn(&[u8]) -> Result<Vec<u8>, Unquotable>,
) -> Result<Vec<u8>, Unquotable> {
    let tmpdir = quote(ex.tmpdir)?;
    let tmpguard = if ex.hook {
        quote(ex.tmpguard)?
    } else {
        Vec::new()
    };
    let check: &[u8] = if ex.job_dir { b"job" } else { b"private" };
    let base = if ex.hook {
        quote(ex.base.unwrap_or_default())?
    } else {
        Vec::new()
    };
    let flag = |name: &str| match name {
        "TMP" => ex.tmp,
        "TEMP" => ex.temp,
        "HOOK" => ex.hook,
        "BASE" => ex.base.is_some(),
        "NOBASE" => ex.base.is_none(),
        _ => false,
    };
    let value = |name: &str| -> &[u8] {
        match name {
            "TMPDIR" => &tmpdir,
            "TMPGUARD" => &tmpguard,
            "CHECK" => check,
            "BASE" => &base,
            other => panic!("unknown template value {other}"),
        }
    };
    let template = with_extra(template, ex.extra);
    Ok(fill(&template, flag, value))
}

/// The template with one more export line per extra name, each written like
/// the template's own `TMP` line (its `{{?TMP}}` line with the name changed),
/// so every target's syntax stays in its template.
pub fn with_extra<'t>(template: &'t str, extra: &[&str]) -> std::borrow::Cow<'t, str> {
    if extra.is_empty() {
        return template.into();
    }
    let Some(line) = template.lines().find_map(|l| l.strip_prefix("{{?TMP}}")) else {
        return template.into();
    };
    let at = line.find("TMP").expect("the TMP line names TMP");
    let mut added = String::new();
    for name in extra {
        added.push_str(&format!("{}{name}{}\n", &line[..at], &line[at + 3..]));
    }
    // After the last of the TMP/TEMP lines.
    let end = template
        .match_indices("{{?TEMP}}")
        .next()
        .and_then(|(i, _)| template[i..].find('\n').map(|n| i + n + 1))
        .unwrap_or(template.len());
    let mut out = String::with_capacity(template.len() + added.len());
    out.push_str(&template[..end]);
    out.push_str(&added);
    out.push_str(&template[end..]);
    out.into()
}

/// Expand a template: `{{NAME}}` values, `{{?FLAG}}` lines, `{{#FLAG}}`..`{{/FLAG}}` blocks.
pub fn fill<'v>(
    template: &str,
    flag: impl Fn(&str) -> bool,
    value: impl Fn(&str) -> &'v [u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len() + 64);
    let mut skipping: Option<&str> = None;
    for line in template.split_inclusive('\n') {
        if let Some(name) = skipping {
            if line.trim_end() == format!("{{{{/{name}}}}}") {
                skipping = None;
            }
            continue;
        }
        let trimmed = line.trim_end();
        // Template comments explain the code to us; the shell need not parse them.
        if trimmed.trim_start() == "#" || trimmed.trim_start().starts_with("# ") {
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix("{{#")
            .and_then(|r| r.strip_suffix("}}"))
        {
            if !flag(name) {
                skipping = Some(name);
            }
            continue;
        }
        if trimmed.starts_with("{{/") {
            continue;
        }
        let line = match line.strip_prefix("{{?") {
            Some(rest) => {
                let (name, rest) = rest.split_once("}}").expect("template flag is closed");
                if !flag(name) {
                    continue;
                }
                rest
            }
            None => line,
        };
        let mut rest = line;
        while let Some(i) = rest.find("{{") {
            out.extend_from_slice(&rest.as_bytes()[..i]);
            let (name, after) = rest[i + 2..]
                .split_once("}}")
                .expect("template value is closed");
            out.extend_from_slice(value(name));
            rest = after;
        }
        out.extend_from_slice(rest.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            include_str!("../shell/slurm.txt"),
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
            (
                Shell::Bash,
                &["'/opt/my tg' init bash", "__tmpguard_check=private"],
            ),
            (
                Shell::Zsh,
                &["'/opt/my tg' init zsh", "__tmpguard_check=private"],
            ),
            (
                Shell::Fish,
                &["'/opt/my tg' init fish", "__tmpguard_check private"],
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
                &[
                    "_tmpguard_hook_for('/opt/my tg', 'private', '')",
                    "'init', 'xonsh'",
                ],
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
    fn elvish_and_sh_have_no_hook() {
        // elvish 0.19 cannot test a file's owner without a fork; sh would
        // need a command substitution in PS1 (a fork per prompt).
        assert!(!Shell::Elvish.has_hook() && !Shell::Sh.has_hook());
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
