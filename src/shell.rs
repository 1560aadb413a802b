//! Per-shell rendering: the templates in `shell/`, filled with quoted values.
//!
//! Template syntax, kept tiny on purpose: `{{TMPDIR}}` is replaced by the
//! directory quoted for the shell; a line starting with `{{?FLAG}}` is kept
//! (without the marker) only when FLAG is on.

use std::fmt;

use clap::ValueEnum;

use crate::quote;

/// A shell `init` can print code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    fn template(self) -> &'static str {
        match self {
            Shell::Bash => include_str!("../shell/bash.sh"),
            Shell::Zsh => include_str!("../shell/zsh.zsh"),
            Shell::Fish => include_str!("../shell/fish.fish"),
        }
    }

    /// Quote one value for this shell, or say why it cannot carry it.
    pub fn quote(self, v: &[u8]) -> Result<Vec<u8>, Unquotable> {
        Ok(match self {
            Shell::Bash | Shell::Zsh => quote::posix(v),
            Shell::Fish => quote::fish(v),
        })
    }
}

/// A value the shell cannot carry exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unquotable(pub &'static str);

impl fmt::Display for Unquotable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What the rendered code sets.
#[derive(Debug, Clone, Default)]
pub struct Exports<'a> {
    pub tmpdir: &'a [u8],
    /// Also export `TMP` / `TEMP` with the same value (they are set now).
    pub tmp: bool,
    pub temp: bool,
}

/// Render the shell's template.
pub fn render(shell: Shell, ex: &Exports<'_>) -> Result<Vec<u8>, Unquotable> {
    let value = shell.quote(ex.tmpdir)?;
    let flag = |name: &str| match name {
        "TMP" => ex.tmp,
        "TEMP" => ex.temp,
        _ => false,
    };
    Ok(fill(shell.template(), &value, flag))
}

fn fill(template: &str, value: &[u8], flag: impl Fn(&str) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len() + value.len() * 3);
    for line in template.split_inclusive('\n') {
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
        let mut parts = line.split("{{TMPDIR}}");
        out.extend_from_slice(parts.next().unwrap_or_default().as_bytes());
        for part in parts {
            out.extend_from_slice(value);
            out.extend_from_slice(part.as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_exports_only_what_is_set() {
        let out = render(Shell::Bash, &Exports { tmpdir: b"/tmp/a", tmp: false, temp: true }).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "export TMPDIR='/tmp/a'\nexport TEMP='/tmp/a'\n");
    }

    #[test]
    fn fish_uses_set_gx() {
        let out = render(Shell::Fish, &Exports { tmpdir: b"/t'", ..Default::default() }).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "set -gx TMPDIR '/t\\''\n");
    }
}
