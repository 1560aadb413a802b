//! The user's shell start-up files: where TMPDIR is set unconditionally (which
//! clobbers a batch job's directory) and where `tmpguard` is already run.
//!
//! This is a reader of common shapes, not a shell parser: a line counts when
//! the assignment is a command of its own at the top level of the file, not
//! inside `if`/`case`/a loop/a function, not after `&&`/`||`/`and`/`or`, and
//! not keeping an existing value (`${TMPDIR:-...}`).

use std::path::{Path, PathBuf};

pub use crate::render::shell::Family;
use crate::render::shell::{RcDir, Shell};

/// A start-up file to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcFile {
    pub path: PathBuf,
    pub family: Family,
}

/// Where the start-up files are, from the shells' registry: the user's home,
/// `$ZDOTDIR` (zsh) and `$XDG_CONFIG_HOME` (fish, elvish), each already
/// defaulted by the caller.
pub fn rc_files(home: &Path, zdotdir: &Path, config: &Path) -> Vec<RcFile> {
    let mut files: Vec<(u8, RcFile)> = Shell::logins()
        .flat_map(|(login, family)| {
            login.rc_files.iter().map(move |f| {
                let dir = match f.dir {
                    RcDir::Home => home,
                    RcDir::Zdotdir => zdotdir,
                    RcDir::ConfigHome => config,
                };
                (
                    f.order,
                    RcFile {
                        path: dir.join(f.path),
                        family,
                    },
                )
            })
        })
        .collect();
    files.sort_by_key(|f| f.0);
    files.into_iter().map(|f| f.1).collect()
}

/// One line of interest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    /// The line as written (lossily decoded, trimmed).
    pub text: String,
}

/// What the start-up files say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Unconditional TMPDIR assignments.
    pub assignments: Vec<Hit>,
    /// Lines that run `tmpguard init` or `tmpguard path`.
    pub tmpguard: Vec<Hit>,
    /// The files that exist and were read.
    pub read: Vec<PathBuf>,
    /// Files that exist but were not read (or only in part), and why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Read each file that exists (safely: see `rcread`) and collect the lines of
/// interest. `rights`: whose rights to open them with.
pub fn scan(files: &[RcFile], rights: Option<crate::doctor::rcread::Rights>) -> Scan {
    use crate::doctor::rcread::{self, Skip};
    let mut out = Scan::default();
    for file in files {
        let text = match rcread::read(&file.path, rights) {
            Ok((text, more)) => {
                if more {
                    let cap = rcread::CAP >> 20;
                    out.skipped
                        .push((file.path.clone(), format!("only its first {cap} MiB read")));
                }
                text
            }
            Err(Skip::Missing) => continue,
            Err(Skip::Refused(why)) => {
                out.skipped.push((file.path.clone(), why));
                continue;
            }
        };
        out.read.push(file.path.clone());
        let (assign, tg) = scan_text(&text, file.family);
        let hit = |(line, text)| Hit {
            path: file.path.clone(),
            line,
            text,
        };
        out.assignments.extend(assign.into_iter().map(hit));
        out.tmpguard.extend(tg.into_iter().map(hit));
    }
    out
}

type Lines = Vec<(usize, String)>;

/// The (line number, text) of unconditional TMPDIR assignments and of tmpguard lines.
pub fn scan_text(text: &[u8], family: Family) -> (Lines, Lines) {
    let text = String::from_utf8_lossy(text);
    let mut assignments = Vec::new();
    let mut tmpguard = Vec::new();
    let mut depth: i32 = 0;
    let mut pending = String::new();
    let mut first_line = 0;
    for (i, raw) in text.lines().enumerate() {
        // Join backslash-continued lines, reporting the first line number.
        if pending.is_empty() {
            first_line = i + 1;
        }
        if let Some(stripped) = raw.strip_suffix('\\').filter(|_| family != Family::Python) {
            pending.push_str(stripped);
            pending.push(' ');
            continue;
        }
        pending.push_str(raw);
        let line = std::mem::take(&mut pending);
        let indented = line.starts_with([' ', '\t']);
        let segments = split_commands(&line);
        let mut is_tmpguard = false;
        let mut is_assignment = false;
        for seg in &segments {
            let words: Vec<&str> = seg.words.iter().map(String::as_str).collect();
            is_tmpguard |= runs_tmpguard(&seg.text);
            // Keywords that only introduce the rest of the command.
            let mut words = words.as_slice();
            while let Some((first, rest)) = words.split_first() {
                if intro_word(family, first) {
                    words = rest;
                } else {
                    break;
                }
            }
            let top = depth == 0 && seg.unconditional && !(family == Family::Python && indented);
            if top && !conditional_prefix(family, words) && assigns_tmpdir(family, words) {
                is_assignment = true;
            }
            depth = (depth + depth_change(family, words, &seg.text)).max(0);
        }
        if is_tmpguard {
            tmpguard.push((first_line, line.trim().to_owned()));
        } else if is_assignment {
            assignments.push((first_line, line.trim().to_owned()));
        }
    }
    (assignments, tmpguard)
}

/// The text runs `tmpguard init` or `tmpguard path` (by any path to the binary).
fn runs_tmpguard(text: &str) -> bool {
    text.match_indices("tmpguard").any(|(i, m)| {
        let after = &text[i + m.len()..];
        let rest = after.trim_start();
        rest.len() < after.len()
            && ["init", "path"].iter().any(|sub| {
                rest.strip_prefix(sub)
                    .is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            })
    })
}

/// One command of a line, split on `;`, `&&`, `||`, `|`, `&`.
#[derive(Debug, Default)]
struct Segment {
    /// The raw text (quotes kept), without a trailing comment.
    text: String,
    /// Words split on blanks outside quotes (quotes kept).
    words: Vec<String>,
    /// Runs whatever came before (the line start or `;`), not after `&&`/`||`/`|`.
    unconditional: bool,
}

fn split_commands(line: &str) -> Vec<Segment> {
    let mut segs = Vec::new();
    let mut cur = Segment {
        unconditional: true,
        ..Segment::default()
    };
    let mut word = String::new();
    let (mut single, mut double, mut escaped, mut parens) = (false, false, false, 0i32);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let end_word = |cur: &mut Segment, word: &mut String| {
        if !word.is_empty() {
            cur.words.push(std::mem::take(word));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let quoted = single || double || parens > 0;
        if escaped {
            escaped = false;
        } else if c == '\\' && !single {
            escaped = true;
        } else if c == '\'' && !double && parens == 0 {
            single = !single;
        } else if c == '"' && !single && parens == 0 {
            double = !double;
        } else if c == '(' && !single && i > 0 && chars[i - 1] == '$' {
            parens += 1;
        } else if c == ')' && parens > 0 && !single {
            parens -= 1;
        } else if !quoted && c == '#' && word.is_empty() {
            break; // a comment runs to the end of the line
        } else if !quoted && c.is_whitespace() {
            end_word(&mut cur, &mut word);
            cur.text.push(c);
            i += 1;
            continue;
        } else if !quoted && matches!(c, ';' | '&' | '|') {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let redirect = c == '&' && (matches!(prev, Some('>' | '<')) || next == Some('>'));
            if !redirect {
                end_word(&mut cur, &mut word);
                let double_op = (c == '&' || c == '|') && next == Some(c);
                segs.push(std::mem::take(&mut cur));
                cur.unconditional = c == ';' || (c == '&' && !double_op);
                i += if double_op { 2 } else { 1 };
                continue;
            }
        }
        word.push(c);
        cur.text.push(c);
        i += 1;
    }
    end_word(&mut cur, &mut word);
    segs.push(cur);
    segs.retain(|s| !s.words.is_empty());
    segs
}

/// Words that lead into the real command without making it conditional on their own.
fn intro_word(family: Family, w: &str) -> bool {
    match family {
        Family::Posix => matches!(
            w,
            "then" | "do" | "else" | "{" | "!" | "command" | "builtin"
        ),
        Family::Fish => matches!(w, "builtin" | "command"),
        Family::Csh | Family::Elvish | Family::Python => false,
    }
}

/// The command runs only if an earlier one succeeded or failed (fish `and`/`or`).
fn conditional_prefix(family: Family, words: &[&str]) -> bool {
    family == Family::Fish && matches!(words.first(), Some(&"and" | &"or" | &"not"))
}

/// How far a command opens or closes blocks.
fn depth_change(family: Family, words: &[&str], text: &str) -> i32 {
    let Some(&first) = words.first() else {
        return 0;
    };
    let last = words.last().copied().unwrap_or_default();
    match family {
        Family::Posix => {
            let open = matches!(
                first,
                "if" | "case" | "for" | "while" | "until" | "select" | "function"
            ) || last == "{" && first != "{";
            let close = matches!(first, "fi" | "esac" | "done" | "}");
            i32::from(open) - i32::from(close)
        }
        Family::Csh => {
            let open = (first == "if" && last == "then")
                || matches!(first, "foreach" | "while" | "switch");
            let close = matches!(first, "endif" | "end" | "endsw");
            i32::from(open) - i32::from(close)
        }
        Family::Fish => {
            let open = matches!(
                first,
                "if" | "for" | "while" | "function" | "switch" | "begin"
            );
            i32::from(open) - i32::from(first == "end")
        }
        Family::Elvish => brace_balance(text),
        // Python blocks are indentation; handled by the caller.
        Family::Python => 0,
    }
}

/// `{` minus `}` outside quotes.
fn brace_balance(text: &str) -> i32 {
    let (mut n, mut single, mut double) = (0, false, false);
    for c in text.chars() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '{' if !single && !double => n += 1,
            '}' if !single && !double => n -= 1,
            _ => {}
        }
    }
    n
}

/// The command sets TMPDIR for the whole session, not just for one command,
/// and not only when it is unset.
fn assigns_tmpdir(family: Family, words: &[&str]) -> bool {
    let value_keeps_existing = |v: &str| {
        ["${TMPDIR:-", "${TMPDIR-", "${TMPDIR:=", "${TMPDIR="]
            .iter()
            .any(|k| v.contains(k))
    };
    let Some((&first, rest)) = words.split_first() else {
        return false;
    };
    let posix_assign = |w: &str| {
        w.strip_prefix("TMPDIR=")
            .is_some_and(|v| !value_keeps_existing(v))
    };
    match first {
        // `export TMPDIR=...`, `declare -x TMPDIR=...`, `typeset -x TMPDIR=...`
        "export" | "declare" | "typeset" => rest
            .iter()
            .find(|w| !w.starts_with('-'))
            .is_some_and(|w| posix_assign(w)),
        // `TMPDIR=...` alone; `TMPDIR=... cmd` sets it for `cmd` only.
        w if w.starts_with("TMPDIR=") => {
            posix_assign(w)
                && (rest.is_empty()
                    || rest
                        .iter()
                        .all(|w| w.starts_with("TMPDIR=") || *w == "export"))
        }
        "setenv" => rest.first() == Some(&"TMPDIR"),
        // fish `set -gx TMPDIR ...`; elvish `set E:TMPDIR = ...`
        "set" => {
            let mut exported = false;
            for w in rest {
                if *w == "E:TMPDIR" {
                    return family != Family::Fish;
                }
                if let Some(flags) = w.strip_prefix("--") {
                    exported |= flags == "export";
                } else if let Some(flags) = w.strip_prefix('-') {
                    exported |= flags.contains('x');
                } else {
                    return exported && *w == "TMPDIR";
                }
            }
            false
        }
        "set-env" => rest.first() == Some(&"TMPDIR"),
        // xonsh `$TMPDIR = ...`, python `os.environ['TMPDIR'] = ...`
        w if w.starts_with("$TMPDIR") || w.starts_with("os.environ[") => {
            let joined = words.join(" ");
            let target_end = joined.find('=');
            let is_target = (joined.starts_with("$TMPDIR")
                && joined["$TMPDIR".len()..].trim_start().starts_with('='))
                || joined.starts_with("os.environ['TMPDIR']")
                || joined.starts_with("os.environ[\"TMPDIR\"]");
            is_target
                && target_end.is_some_and(|i| !joined[i + 1..].starts_with('='))
                && !joined.contains(" if ")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assigned(text: &str, family: Family) -> Vec<usize> {
        scan_text(text.as_bytes(), family)
            .0
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn every_shells_files_in_a_fixed_order() {
        let files = rc_files(Path::new("/h"), Path::new("/z"), Path::new("/c"));
        let listed: Vec<(String, Family)> = files
            .into_iter()
            .map(|f| (f.path.display().to_string(), f.family))
            .collect();
        let want = [
            ("/h/.bashrc", Family::Posix),
            ("/h/.bash_profile", Family::Posix),
            ("/h/.bash_login", Family::Posix),
            ("/h/.profile", Family::Posix),
            ("/z/.zshenv", Family::Posix),
            ("/z/.zprofile", Family::Posix),
            ("/z/.zshrc", Family::Posix),
            ("/h/.kshrc", Family::Posix),
            ("/h/.cshrc", Family::Csh),
            ("/h/.tcshrc", Family::Csh),
            ("/c/fish/config.fish", Family::Fish),
            ("/c/elvish/rc.elv", Family::Elvish),
            ("/h/.xonshrc", Family::Python),
        ];
        let want: Vec<(String, Family)> = want.iter().map(|(p, f)| (p.to_string(), *f)).collect();
        assert_eq!(listed, want);
    }

    #[test]
    fn posix_unconditional_forms() {
        let text = "export TMPDIR=/tmp/$USER\n\
                    TMPDIR=/scratch/me; export TMPDIR\n\
                    declare -x TMPDIR=\"/tmp/a b\"\n\
                    cd; export TMPDIR=/x   # trailing comment\n\
                    export TMPDIR=$(mktemp -d) || true\n";
        assert_eq!(assigned(text, Family::Posix), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn posix_conditional_forms_are_not_reported() {
        let text = "# export TMPDIR=/tmp/x\n\
                    [ -z \"$TMPDIR\" ] && export TMPDIR=/tmp/$USER\n\
                    test -n \"$SLURM_JOB_ID\" || export TMPDIR=/tmp/$USER\n\
                    export TMPDIR=${TMPDIR:-/tmp/$USER}\n\
                    : ${TMPDIR:=/tmp/me}\n\
                    TMPDIR=/tmp/x make\n\
                    if [ -z \"$PBS_JOBID\" ]; then\n\
                    export TMPDIR=/tmp/$USER\n\
                    fi\n\
                    if true; then export TMPDIR=/y; fi\n\
                    mytmp() {\n\
                    export TMPDIR=/z\n\
                    }\n\
                    case $- in *i*) export TMPDIR=/w;; esac\n\
                    echo 'export TMPDIR=/q'\n\
                    export TMPDIR=/after\n";
        assert_eq!(assigned(text, Family::Posix), [16]);
    }

    #[test]
    fn other_families() {
        assert_eq!(
            assigned(
                "setenv TMPDIR /tmp/me\nif ($?SLURM_JOB_ID) setenv TMPDIR /x\n",
                Family::Csh
            ),
            [1]
        );
        assert_eq!(
            assigned(
                "if (! $?TMPDIR) then\n setenv TMPDIR /x\nendif\nsetenv TMPDIR /y\n",
                Family::Csh
            ),
            [4]
        );
        assert_eq!(
            assigned(
                "set -gx TMPDIR /tmp/me\nset -q TMPDIR; or set -gx TMPDIR /x\nset -g TMPDIR /n\nif status is-login\n set -x TMPDIR /y\nend\nset --export TMPDIR /z\n",
                Family::Fish
            ),
            [1, 7]
        );
        assert_eq!(
            assigned(
                "set E:TMPDIR = /tmp/me\nif (not (has-env TMPDIR)) { set-env TMPDIR /x }\nset-env TMPDIR /y\n",
                Family::Elvish
            ),
            [1, 3]
        );
        assert_eq!(
            assigned(
                "$TMPDIR = '/tmp/me'\nif 'TMPDIR' not in ${...}:\n    $TMPDIR = '/x'\n$TMPDIR == 'x'\nos.environ['TMPDIR'] = '/y'\n",
                Family::Python
            ),
            [1, 5]
        );
    }

    #[test]
    fn finds_tmpguard_lines() {
        let text = "export TMPDIR=/tmp/me\neval \"$(tmpguard init bash)\"\nexport TMPDIR=$(/opt/bin/tmpguard path)\n";
        let (assign, tg) = scan_text(text.as_bytes(), Family::Posix);
        assert_eq!(assign.iter().map(|a| a.0).collect::<Vec<_>>(), [1]);
        assert_eq!(tg.iter().map(|a| a.0).collect::<Vec<_>>(), [2, 3]);
        let (_, tg) = scan_text(b"tmpguard init fish | source\n", Family::Fish);
        assert_eq!(tg.len(), 1);
    }

    #[test]
    fn continued_lines_report_their_first_line() {
        assert_eq!(
            assigned("true\nexport \\\n  TMPDIR=/x\n", Family::Posix),
            [2]
        );
    }
}
