//! The value types of the configuration file, each parsed and validated by
//! one pure function: sizes, durations, the directory-name template and the
//! names of exported variables.

use std::time::Duration;

/// `"10G"`, `"512M"`, `"100K"`, `"1T"` (binary multiples, as `df -h` shows)
/// or a plain number of bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("{s:?}: the unit must be K, M, G or T")),
            };
            (&t[..i], 1u64 << shift)
        }
        _ => (t, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| {
            format!("{s:?} is not a size such as \"10G\", \"500M\" or a number of bytes")
        })
}

/// `"2s"`, `"500ms"`, `"1m"`: a whole number and a unit; between 1 ms and 10 minutes.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let bad = || format!("{s:?} is not a duration such as \"2s\" or \"500ms\"");
    let n: u64 = t[..split].parse().map_err(|_| bad())?;
    let d = match &t[split..] {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(bad()),
    };
    if d < Duration::from_millis(1) || d > Duration::from_secs(600) {
        return Err(format!("{s:?}: must be between 1ms and 10m"));
    }
    Ok(d)
}

/// The private directory's name: `%u` (user name), `%U` (uid) and
/// characters a user name may have. No `/`: the name is one component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTemplate(String);

impl Default for NameTemplate {
    fn default() -> Self {
        NameTemplate("%u".into())
    }
}

impl NameTemplate {
    /// Check a template; it must name one safe directory for every user.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("the name template is empty".into());
        }
        if s.bytes().any(|b| b == b'/') {
            return Err(format!("{s:?}: a name cannot contain '/'"));
        }
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                '%' => match chars.next() {
                    Some('u' | 'U') => {}
                    other => {
                        return Err(format!(
                            "{s:?}: unknown %{} (only %u and %U)",
                            other.map(String::from).unwrap_or_default()
                        ));
                    }
                },
                c if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@') => {}
                c => return Err(format!("{s:?}: {c:?} is not allowed in a directory name")),
            }
        }
        // Rendered with a sample user, it must be a valid name (not ".", no leading "-").
        let sample = NameTemplate(s.into()).render("u", 1);
        if !crate::engine::identity::valid_name(sample.as_bytes()) {
            return Err(format!("{s:?} does not make a valid directory name"));
        }
        Ok(NameTemplate(s.into()))
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// It needs the user name (else no passwd lookup at all is needed).
    pub fn uses_user(&self) -> bool {
        // Bytes, not a `str` searcher (costlier to set up): every shell start asks.
        self.0.as_bytes().windows(2).any(|w| w == b"%u")
    }

    /// The name for `user` / `uid`.
    pub fn render(&self, user: &str, uid: u32) -> String {
        let mut out = String::with_capacity(self.0.len() + user.len());
        let mut chars = self.0.chars();
        while let Some(c) = chars.next() {
            match (c, c == '%') {
                (_, true) => match chars.next() {
                    Some('u') => out.push_str(user),
                    Some('U') => out.push_str(&uid.to_string()),
                    _ => out.push('%'),
                },
                (c, false) => out.push(c),
            }
        }
        out
    }
}

/// Names a site may not have tmpguard set: they change how shells, loaders
/// and interpreters behave, or belong to something else.
/// Whether `name` is one of them: a `match`, which the compiler turns into
/// a dispatch on length (checked at every shell start, for each name).
fn refused(name: &str) -> bool {
    matches!(
        name,
        "TMPDIR"
            | "PATH"
            | "IFS"
            | "ENV"
            | "BASH_ENV"
            | "HOME"
            | "SHELL"
            | "USER"
            | "LOGNAME"
            | "CDPATH"
            | "PROMPT_COMMAND"
            | "SHELLOPTS"
            | "BASHOPTS"
            | "POSIXLY_CORRECT"
            | "TERM"
            | "LANG"
            | "TZ"
            | "MAIL"
            | "PWD"
            | "OLDPWD"
            | "FPATH"
            | "ZDOTDIR"
            | "XDG_RUNTIME_DIR"
            | "PERL5LIB"
            | "PERL5OPT"
            | "NLSPATH"
            | "TMOUT"
            | "EDITOR"
            | "VISUAL"
            | "PAGER"
            | "UID"
            | "EUID"
            | "PPID"
            | "LINENO"
            | "SECONDS"
            | "RANDOM"
            | "SRANDOM"
            | "EPOCHSECONDS"
            | "EPOCHREALTIME"
            | "OPTIND"
            | "OPTARG"
            | "OPTERR"
            | "SHLVL"
            | "GROUPS"
            | "DIRSTACK"
            | "FUNCNAME"
            | "PIPESTATUS"
            | "REPLY"
            | "COLUMNS"
            | "LINES"
            | "HOSTNAME"
            | "HOSTTYPE"
            | "MACHTYPE"
            | "OSTYPE"
            | "NULLCMD"
            | "READNULLCMD"
            | "KEYTIMEOUT"
            | "WORDCHARS"
            | "IGNOREEOF"
            | "FCEDIT"
            | "INPUTRC"
            | "HOSTALIASES"
            | "LOCALDOMAIN"
            | "RES_OPTIONS"
    )
}
const REFUSED_PREFIX: &[&str] = &[
    "LD_",
    "PS",
    "LC_",
    "BASH",
    "ZSH",
    "DYLD_",
    "PYTHON",
    "PERL",
    "RUBY",
    "NODE_",
    "JAVA_",
    "GCONV",
    "MALLOC",
    "GLIBC_",
    "TMPGUARD",
    "HIST",
    "KSH_",
    "PROMPT",
    "MAIL",
    "XDG_",
    "GIT_",
    "SSL_",
    "TERM",
    // Batch systems' own: tmpguard reads some (job ids, array indices), and
    // programs read the rest (SLURM_PROCID is an MPI rank).
    "SLURM",
    "PBS_",
    "LSB_",
    "LSF_",
    "FLUX_",
    "SGE_",
    "COBALT_",
    "OMPI_",
    "PMI",
    "COMP_",
    "READLINE_",
    "ZLE_",
];
const REFUSED_SUFFIX: &[&str] = &["PATH", "_OPTIONS", "_OPTS", "LIB", "IGNORE", "HOME"];

/// A variable name `export` may list: an identifier every shell, Lua, Tcl and
/// Slurm accept, and nothing that changes how programs run.
pub fn check_export_name(name: &str) -> Result<(), String> {
    // Upper case only: the shells' own lower-case variables (zsh `path`,
    // `prompt`, `precmd_functions`; fish `fish_user_paths`; tcsh `prompt`)
    // and tmpguard's own `__tg*` names are out by their shape.
    let ident = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
    if !ident {
        return Err(format!(
            "{name:?} is not an upper-case variable name (A-Z, digits and _, starting with a letter)"
        ));
    }
    // Checked at every shell start: the two names nearly every file lists
    // are accepted without walking the lists below.
    if matches!(name, "TMP" | "TEMP") {
        return Ok(());
    }
    let up = name;
    if up == "TMPDIR" {
        return Err("TMPDIR is always exported; list only the others".into());
    }
    let refused = refused(up)
        || REFUSED_PREFIX.iter().any(|p| up.starts_with(p))
        || REFUSED_SUFFIX.iter().any(|s| up.ends_with(s))
        // What tmpguard itself reads to tell it runs in a batch job.
        || crate::engine::scheduler::reads(up);
    if refused {
        return Err(format!(
            "{name} is refused: setting it to a directory changes how shells or programs run"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10G"), Ok(10 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        for bad in ["", "G", "10X", "-1G", "1.5G", "99999999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        for bad in ["", "2", "s", "0s", "11m", "1.5s", "2 s", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates() {
        let t = NameTemplate::parse("tmp-%u-%U").unwrap();
        assert_eq!(t.render("alice", 1000), "tmp-alice-1000");
        assert!(t.uses_user());
        let u = NameTemplate::parse("%U").unwrap();
        assert_eq!(u.render("alice", 7), "7");
        assert!(!u.uses_user());
        for bad in [
            "", "%u/x", "../%u", "-%u", ".", "..", "%x", "a b", "%", "tmp$%u", "%%u",
        ] {
            assert!(NameTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn export_names() {
        for ok in ["TMP", "TEMP", "SCRATCH_TMPDIR", "LOCAL_SCRATCH", "TMP2"] {
            assert_eq!(check_export_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "PATH",
            "LD_PRELOAD",
            "ld_library_path",
            "IFS",
            "BASH_ENV",
            "ENV",
            "PS1",
            "PS4",
            "PROMPT_COMMAND",
            "PYTHONPATH",
            "MANPATH",
            "TMPDIR",
            "1X",
            "A-B",
            "A B",
            "",
            "A=B",
            "JAVA_TOOL_OPTIONS",
            "HOME",
            "TMPGUARD_BASE",
            // The red team's list: lower-case shell variables, tmpguard's own,
            // the scheduler's, and upper-case ones shells act on.
            "fish_user_paths",
            "prompt",
            "precmd_functions",
            "_",
            "_x",
            "__tgr",
            "__tmpguard_hook",
            "PROMPT",
            "TMOUT",
            "HISTFILE",
            "SLURM_JOB_ID",
            "SLURM_TMPDIR",
            "PBS_JOBID",
            "LSB_JOBID",
            "_CONDOR_SCRATCH_DIR",
            "FLUX_JOB_TMPDIR",
            "KSH_VERSION",
            "EXECIGNORE",
            "GLOBIGNORE",
            "FIGNORE",
            "XDG_CONFIG_HOME",
            "GNUPGHOME",
            "GIT_DIR",
            "TERMINFO",
            // Red team 3: shells' read-only or arithmetic variables, and
            // batch systems' variables tmpguard or MPI programs read.
            "UID",
            "EUID",
            "PPID",
            "LINENO",
            "SECONDS",
            "RANDOM",
            "OPTIND",
            "SHLVL",
            "NULLCMD",
            "READNULLCMD",
            "HOSTALIASES",
            "LOCALDOMAIN",
            "BASHPID",
            "LSB_JOBINDEX",
            "SLURM_PROCID",
            "SLURM_STEP_ID",
            "SLURM_JOBID",
            "SLURM_JOB_UID",
            "PBS_TMPDIR",
        ] {
            assert!(check_export_name(bad).is_err(), "{bad}");
        }
    }
}
