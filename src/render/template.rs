//! The template language of `templates/`, kept tiny on purpose, with typed names.
//!
//! `{{SLOT}}` is replaced by a value (already quoted by the caller); a line
//! starting with `{{?FLAG}}` is kept (without the marker) only when FLAG is on;
//! lines between `{{#FLAG}}` and `{{/FLAG}}` likewise; `#` and `# ...` comment
//! lines are dropped from the output, except `# shellcheck ...` directives. Names are parsed into [`Slot`] and
//! [`Flag`]: a name that is neither cannot mean anything, and the unit test
//! `every_template_uses_only_known_names` fails on it (a misspelt flag used to
//! count as "off" without a word).

/// A value a template inserts: `{{NAME}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The directory, quoted for the shell.
    Tmpdir,
    /// This binary, for the prompt hook to run again.
    Tmpguard,
    /// What the prompt hook checks: `private` or `job`.
    Check,
    /// The `--base` init was given, for the prompt hook to pass on.
    Base,
    /// Lmod: the whole `tmpguard path` command line, as a Lua string.
    Cmd,
    /// Environment Modules: the arguments of `tmpguard path`, as Tcl words.
    Args,
    /// The directory's identity as init verified it, `st_dev:st_ino` (tcsh's hook).
    Id,
    /// The same for `XDG_RUNTIME_DIR` (empty when init leaves it alone or it is unset).
    Rid,
    /// `--no-runtime-dir` when init left `XDG_RUNTIME_DIR` alone (the flag or
    /// the site's `runtime_dir = false`), else empty: passed on to the hook's
    /// code and its repair, and the hook then does not check the runtime dir.
    NoRt,
    /// The hook's code, rendered, for an init output that carries it inline
    /// (bash, zsh, fish when init's stdin is a terminal; see `Exports::hook_inline`).
    HookCode,
    /// The hook code's leading `# shellcheck` directives, moved in front of
    /// the block that wraps it (a directive inside the block would cover
    /// only its first command).
    HookHead,
}

/// A switch a template tests: `{{?NAME}}` lines and `{{#NAME}}` blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// `TMP` is set: export it too.
    Tmp,
    /// `TEMP` is set: export it too.
    Temp,
    /// Register the prompt hook.
    Hook,
    /// A `--base` was given.
    Base,
    /// No `--base` was given.
    NoBase,
    /// The hook is registered and its code carried inline (`{{HOOKCODE}}`).
    Inline,
    /// The hook is registered and its code comes from `init SHELL --hook-only`, run only by an
    /// interactive shell.
    Apart,
}

impl Slot {
    pub const ALL: [Slot; 11] = [
        Slot::Tmpdir,
        Slot::Tmpguard,
        Slot::Check,
        Slot::Base,
        Slot::Cmd,
        Slot::Args,
        Slot::Id,
        Slot::Rid,
        Slot::NoRt,
        Slot::HookCode,
        Slot::HookHead,
    ];

    /// The name as written in a template.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Tmpdir => "TMPDIR",
            Slot::Tmpguard => "TMPGUARD",
            Slot::Check => "CHECK",
            Slot::Base => "BASE",
            Slot::Cmd => "CMD",
            Slot::Args => "ARGS",
            Slot::Id => "ID",
            Slot::Rid => "RID",
            Slot::NoRt => "NORT",
            Slot::HookCode => "HOOKCODE",
            Slot::HookHead => "HOOKHEAD",
        }
    }

    pub fn parse(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl Flag {
    pub const ALL: [Flag; 7] = [
        Flag::Tmp,
        Flag::Temp,
        Flag::Hook,
        Flag::Base,
        Flag::NoBase,
        Flag::Inline,
        Flag::Apart,
    ];

    /// The name as written in a template.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Tmp => "TMP",
            Flag::Temp => "TEMP",
            Flag::Hook => "HOOK",
            Flag::Base => "BASE",
            Flag::NoBase => "NOBASE",
            Flag::Inline => "INLINE",
            Flag::Apart => "APART",
        }
    }

    pub fn parse(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One piece of a template line, as [`scan`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'t> {
    Text(&'t str),
    Slot(&'t str),
}

/// What a line of a template is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'t> {
    /// A comment for the template's readers: dropped.
    Comment,
    /// `{{#FLAG}}`: a block starts.
    Open(&'t str),
    /// `{{/FLAG}}`: it ends.
    Close(&'t str),
    /// Output, kept only when the flag (if any) is on.
    Out {
        flag: Option<&'t str>,
        rest: &'t str,
    },
}

fn classify(line: &str) -> Line<'_> {
    let trimmed = line.trim_end();
    // Template comments explain the code to us; the shell need not parse
    // them. A `# shellcheck ...` directive is for the output (a deliberate
    // exception, checked by tests/templates.rs), so it stays.
    let comment = trimmed.trim_start();
    if (comment == "#" || comment.starts_with("# ")) && !comment.starts_with("# shellcheck ") {
        return Line::Comment;
    }
    if let Some(name) = trimmed
        .strip_prefix("{{#")
        .and_then(|r| r.strip_suffix("}}"))
    {
        return Line::Open(name);
    }
    if let Some(name) = trimmed
        .strip_prefix("{{/")
        .and_then(|r| r.strip_suffix("}}"))
    {
        return Line::Close(name);
    }
    match line.strip_prefix("{{?") {
        Some(rest) => {
            let (name, rest) = rest.split_once("}}").expect("template flag is closed");
            Line::Out {
                flag: Some(name),
                rest,
            }
        }
        None => Line::Out {
            flag: None,
            rest: line,
        },
    }
}

/// Where `{{` (or `}}`) starts in `s`. A byte scan: the lines are short, and
/// this is on the shell-start path (the generic substring search costs more).
fn find2(s: &str, pair: u8) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(j) = b[i..].iter().position(|&c| c == pair) {
        if b.get(i + j + 1) == Some(&pair) {
            return Some(i + j);
        }
        i += j + 1;
    }
    None
}

/// The text and `{{SLOT}}` pieces of an output line.
fn pieces(mut rest: &str) -> impl Iterator<Item = Piece<'_>> {
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match find2(rest, b'{') {
            Some(0) => {
                let end = find2(&rest[2..], b'}').expect("template value is closed");
                let name = &rest[2..2 + end];
                rest = &rest[2 + end + 2..];
                Some(Piece::Slot(name))
            }
            Some(i) => {
                let text = &rest[..i];
                rest = &rest[i..];
                Some(Piece::Text(text))
            }
            None => Some(Piece::Text(std::mem::take(&mut rest))),
        }
    })
}

fn flag_named(name: &str) -> Flag {
    Flag::parse(name).unwrap_or_else(|| panic!("unknown template flag {name}"))
}

fn slot_named(name: &str) -> Slot {
    Slot::parse(name).unwrap_or_else(|| panic!("unknown template value {name}"))
}

/// Expand a template. Every name is known (the unit tests prove it for every
/// template compiled in), so an unknown one is a bug: it panics.
pub fn fill<'v>(
    template: &str,
    flag: impl Fn(Flag) -> bool,
    value: impl Fn(Slot) -> &'v [u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len() + 64);
    let mut skipping: Option<&str> = None;
    for line in template.split_inclusive('\n') {
        let kind = classify(line);
        if let Some(name) = skipping {
            if kind == Line::Close(name) {
                skipping = None;
            }
            continue;
        }
        let rest = match kind {
            Line::Comment | Line::Close(_) => continue,
            Line::Open(name) => {
                if !flag(flag_named(name)) {
                    skipping = Some(name);
                }
                continue;
            }
            Line::Out { flag: Some(f), .. } if !flag(flag_named(f)) => continue,
            Line::Out { rest, .. } => rest,
        };
        for piece in pieces(rest) {
            match piece {
                Piece::Text(t) => out.extend_from_slice(t.as_bytes()),
                Piece::Slot(name) => out.extend_from_slice(value(slot_named(name))),
            }
        }
    }
    out
}

/// The names a template uses, or the first name that is no [`Slot`] or [`Flag`]
/// (or a block left open or closed twice). For tests.
#[cfg(test)]
pub fn names(template: &str) -> Result<(Vec<Slot>, Vec<Flag>), String> {
    let (mut slots, mut flags) = (Vec::new(), Vec::new());
    let mut open: Option<&str> = None;
    for line in template.split_inclusive('\n') {
        let mut add_flag = |name: &str| match Flag::parse(name) {
            Some(f) => {
                if !flags.contains(&f) {
                    flags.push(f);
                }
                Ok(())
            }
            None => Err(format!("unknown flag {{{{{name}}}}}")),
        };
        match classify(line) {
            Line::Comment => {}
            Line::Open(name) => {
                if let Some(o) = open {
                    return Err(format!("block {name} opened inside block {o}"));
                }
                add_flag(name)?;
                open = Some(name);
            }
            Line::Close(name) => {
                if open != Some(name) {
                    return Err(format!("block {name} closed but not open"));
                }
                open = None;
            }
            Line::Out { flag, rest } => {
                if let Some(f) = flag {
                    add_flag(f)?;
                }
                for piece in pieces(rest) {
                    if let Piece::Slot(name) = piece {
                        match Slot::parse(name) {
                            Some(s) if !slots.contains(&s) => slots.push(s),
                            Some(_) => {}
                            None => return Err(format!("unknown value {{{{{name}}}}}")),
                        }
                    }
                }
            }
        }
    }
    match open {
        Some(o) => Err(format!("block {o} is not closed")),
        None => Ok((slots, flags)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Slot::ALL {
            assert_eq!(Slot::parse(s.name()), Some(s));
        }
        for f in Flag::ALL {
            assert_eq!(Flag::parse(f.name()), Some(f));
        }
    }

    #[test]
    fn a_misspelt_name_is_an_error_not_a_false_flag() {
        assert!(names("{{?TMPP}}export TMP=x\n").is_err());
        assert!(names("{{#HOOOK}}\nx\n{{/HOOOK}}\n").is_err());
        assert!(names("export TMPDIR={{TMPDIRR}}\n").is_err());
        assert!(names("{{#HOOK}}\nx\n").is_err());
        assert_eq!(
            names("a={{TMPDIR}}\n{{?TMP}}b={{TMPDIR}}\n{{#HOOK}}\nc={{CHECK}}\n{{/HOOK}}\n"),
            Ok((vec![Slot::Tmpdir, Slot::Check], vec![Flag::Tmp, Flag::Hook]))
        );
    }

    #[test]
    #[should_panic(expected = "unknown template flag")]
    fn fill_refuses_an_unknown_flag() {
        fill("{{?TMPP}}x\n", |_| true, |_| b"");
    }

    #[test]
    fn comments_are_dropped_but_shellcheck_directives_stay() {
        let out = fill(
            "# why\n#\n  # indented why\n# shellcheck disable=SC2034\nx=1 # kept\n",
            |_| false,
            |_| b"",
        );
        assert_eq!(out, b"# shellcheck disable=SC2034\nx=1 # kept\n");
    }

    #[test]
    fn pairs_are_found_whole() {
        assert_eq!(find2("a{b{{c", b'{'), Some(3));
        assert_eq!(find2("{{", b'{'), Some(0));
        assert_eq!(find2("a{b{", b'{'), None);
        assert_eq!(find2("x}}", b'}'), Some(1));
    }

    #[test]
    fn fill_expands_lines_blocks_and_values() {
        let t = "# a comment\na={{TMPDIR}}!\n{{?TMP}}b\n{{?TEMP}}c\n{{#HOOK}}\nd {{CHECK}}\n{{/HOOK}}\ne\n";
        let out = fill(
            t,
            |f| f == Flag::Tmp,
            |s| match s {
                Slot::Tmpdir => b"'x'",
                _ => b"?",
            },
        );
        assert_eq!(String::from_utf8(out).unwrap(), "a='x'!\nb\ne\n");
    }
}
