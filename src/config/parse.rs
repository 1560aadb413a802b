//! The configuration file's text (a subset of TOML, see `toml`) to typed, validated keys, with the line of
//! each: a pure function. Any problem is reported (line and message) and the
//! caller ignores the whole file: never a half-read configuration.

use std::path::PathBuf;
use std::time::Duration;

use super::hosts::Pattern;
use super::toml::{self, Entry, Item, Val};
use super::values::{NameTemplate, check_export_name, parse_duration, parse_size};

/// A value and the line it was set on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At<T> {
    pub value: T,
    pub line: usize,
}

/// Who the pilot list switches tmpguard on for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pilot {
    User(String),
    /// `@group`: members by the process's group list.
    Group(String),
}

/// Every key a section may set; `None` where it does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    pub enable: Option<At<bool>>,
    pub pilot: Option<At<Vec<Pilot>>>,
    pub base: Option<At<Vec<PathBuf>>>,
    pub min_free: Option<At<u64>>,
    pub name: Option<At<NameTemplate>>,
    pub export: Option<At<Vec<String>>>,
    pub export_always: Option<At<bool>>,
    pub hook: Option<At<bool>>,
    pub user_override: Option<At<bool>>,
    pub timeout: Option<At<Duration>>,
    pub jobs: Option<At<bool>>,
    pub runtime_dir: Option<At<bool>>,
    pub trust_owners: Option<At<Vec<u32>>>,
    pub trust_dirs: Option<At<Vec<PathBuf>>>,
}

/// A `[[node]]` section: the keys that apply on hosts it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub patterns: Vec<Pattern>,
    /// `match` as written, for messages.
    pub text: String,
    pub line: usize,
    pub keys: Keys,
}

/// A whole, valid file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct File {
    pub keys: Keys,
    pub nodes: Vec<Node>,
}

impl Keys {
    /// No key set (a `const` [`Keys::default`]).
    pub const EMPTY: Keys = Keys {
        enable: None,
        pilot: None,
        base: None,
        min_free: None,
        name: None,
        export: None,
        export_always: None,
        hook: None,
        user_override: None,
        timeout: None,
        jobs: None,
        runtime_dir: None,
        trust_owners: None,
        trust_dirs: None,
    };
}

impl File {
    /// No key and no node section (a `const` [`File::default`]).
    pub const EMPTY: File = File {
        keys: Keys::EMPTY,
        nodes: Vec::new(),
    };
}

/// One problem, on one line (0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: usize,
    pub msg: String,
}

/// The keys of the file, for messages and `config show`.
pub const KEYS: &[&str] = &[
    "enable",
    "pilot",
    "base",
    "min_free",
    "name",
    "export",
    "export_always",
    "hook",
    "user_override",
    "timeout",
    "jobs",
    "runtime_dir",
    "trust",
    "node",
];

/// Parse and validate; every problem found, sorted by line. A syntax error
/// is reported alone (what was found before it is dropped): the rest of the
/// file cannot be read reliably.
pub fn parse(text: &str) -> Result<File, Vec<Issue>> {
    let mut doc = toml::Reader::new(text);
    let mut p = Parser { issues: Vec::new() };
    let mut file = File::default();
    // The section the entries read now belong to.
    let mut section = Section::Top;
    loop {
        let item = doc.next().map_err(|e| {
            vec![Issue {
                line: e.line,
                msg: e.msg,
            }]
        })?;
        let t = match item {
            Some(Item::Entry(e)) => {
                match &mut section {
                    Section::Top => p.key(&e, &mut file.keys, true),
                    Section::Trust => p.trust(&e, &mut file.keys),
                    Section::Node(n, has_match) => p.node_key(&e, n, has_match),
                    Section::Other => {}
                }
                continue;
            }
            Some(Item::Table(t)) => Some(t),
            None => None,
        };
        if let Section::Node(node, has_match) = std::mem::replace(&mut section, Section::Other) {
            if !has_match {
                p.bad(node.line, "a [[node]] section needs match = \"PATTERN\"");
            }
            // Exactly one more: a first push would reserve four nodes (a
            // large request, which makes glibc's malloc consolidate its
            // fast bins).
            file.nodes.reserve_exact(1);
            file.nodes.push(node);
        }
        let Some(t) = t else { break };
        section = match (t.name, t.array) {
            ("trust", false) => Section::Trust,
            ("node", true) => Section::Node(
                Node {
                    patterns: Vec::new(),
                    text: String::new(),
                    line: t.line,
                    keys: Keys::default(),
                },
                false,
            ),
            ("node", false) => {
                p.bad(t.line, "node sections are written [[node]]");
                Section::Other
            }
            ("trust", true) => {
                p.bad(t.line, "trust is one table: [trust]");
                Section::Other
            }
            (other, _) => {
                p.bad(
                    t.line,
                    format!("unknown section [{other}] (there are [trust] and [[node]])"),
                );
                Section::Other
            }
        };
    }
    if p.issues.is_empty() {
        Ok(file)
    } else {
        p.issues.sort_by_key(|i| i.line);
        Err(p.issues)
    }
}

/// Where an entry belongs. One lives on the stack while the file is read:
/// a `Box` for the large variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Section {
    Top,
    Trust,
    /// A `[[node]]` section so far, and whether it had its `match`.
    Node(Node, bool),
    /// A section already reported as wrong: its entries are not looked at.
    Other,
}

/// Wrap a value with its line.
fn at<T>(line: usize) -> impl Fn(T) -> At<T> {
    move |value| At { value, line }
}

struct Parser {
    issues: Vec<Issue>,
}

impl Parser {
    fn bad(&mut self, line: usize, msg: impl Into<String>) {
        self.issues.push(Issue {
            line,
            msg: msg.into(),
        });
    }

    /// One key of the top level or of a node section.
    fn key(&mut self, e: &Entry<'_>, keys: &mut Keys, top: bool) {
        let (name, line, v) = (e.key, e.line, &e.value);
        match name {
            "enable" => keys.enable = self.boolean(name, line, v).map(at(line)),
            "hook" => keys.hook = self.boolean(name, line, v).map(at(line)),
            "user_override" => keys.user_override = self.boolean(name, line, v).map(at(line)),
            "export_always" => keys.export_always = self.boolean(name, line, v).map(at(line)),
            "jobs" => keys.jobs = self.boolean(name, line, v).map(at(line)),
            "runtime_dir" => keys.runtime_dir = self.boolean(name, line, v).map(at(line)),
            "pilot" => keys.pilot = self.strings(name, line, v, pilot).map(at(line)),
            "base" => {
                keys.base = self
                    .strings(name, line, v, |s| abs_path("base", s))
                    .map(at(line))
            }
            "export" => {
                keys.export = self
                    .strings(name, line, v, |s| {
                        check_export_name(s).map(|()| s.to_owned())
                    })
                    .map(at(line))
            }
            "min_free" => keys.min_free = self.string(name, line, v, parse_size).map(at(line)),
            "timeout" => keys.timeout = self.string(name, line, v, parse_duration).map(at(line)),
            "name" => {
                keys.name = self
                    .string(name, line, v, NameTemplate::parse)
                    .map(at(line))
            }
            "trust" | "node" if top => self.bad(line, format!("{name} is a section: [{name}]")),
            "node" | "match" => self.bad(line, format!("{name} belongs in a [[node]] section")),
            _ => self.bad(line, unknown(name)),
        }
    }

    /// One key of `[trust]`.
    fn trust(&mut self, e: &Entry<'_>, keys: &mut Keys) {
        let line = e.line;
        match e.key {
            "owners" => {
                keys.trust_owners = self.integers("trust.owners", line, &e.value).map(at(line))
            }
            "dirs" => {
                keys.trust_dirs = self
                    .strings("trust.dirs", line, &e.value, |s| abs_path("trust.dirs", s))
                    .map(at(line))
            }
            other => self.bad(
                line,
                format!("unknown key trust.{other} (trust has owners and dirs)"),
            ),
        }
    }

    /// One key of a `[[node]]` section.
    fn node_key(&mut self, e: &Entry<'_>, node: &mut Node, has_match: &mut bool) {
        if e.key == "match" {
            *has_match = true;
            node.line = e.line;
            if let Some(patterns) = self.strings("match", e.line, &e.value, Pattern::parse) {
                // As written, for messages: one copy of the text.
                node.text = match &e.value {
                    Val::Arr(list) => list
                        .iter()
                        .filter_map(|(v, _)| match v {
                            Val::Str(s) => Some(s),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    Val::Str(s) => s.to_string(),
                    _ => String::new(),
                };
                node.patterns = patterns;
            }
        } else if e.key == "trust" {
            self.bad(e.line, "trust is set for the whole site, in [trust]");
        } else {
            self.key(e, &mut node.keys, false);
        }
    }

    fn boolean(&mut self, name: &str, line: usize, v: &Val<'_>) -> Option<bool> {
        match v {
            Val::Bool(b) => Some(*b),
            other => {
                self.bad(
                    line,
                    format!("{name} must be true or false, not {}", kind(other)),
                );
                None
            }
        }
    }

    fn string<T>(
        &mut self,
        name: &str,
        line: usize,
        v: &Val<'_>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match v {
            Val::Str(s) => check(s)
                .map_err(|e| self.bad(line, format!("{name}: {e}")))
                .ok(),
            other => {
                self.bad(
                    line,
                    format!("{name} must be a string, not {}", kind(other)),
                );
                None
            }
        }
    }

    /// A string or a list of strings, each checked.
    fn strings<T>(
        &mut self,
        name: &str,
        line: usize,
        v: &Val<'_>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let list = match v {
            Val::Arr(a) => a,
            Val::Str(_) => return self.string(name, line, v, check).map(|one| vec![one]),
            other => {
                self.bad(
                    line,
                    format!("{name} must be a list of strings, not {}", kind(other)),
                );
                return None;
            }
        };
        let before = self.issues.len();
        let mut out = Vec::with_capacity(list.len());
        for (item, l) in list.iter() {
            if let Some(v) = self.string(name, l, &item, &check) {
                out.push(v);
            }
        }
        (self.issues.len() == before).then_some(out)
    }

    fn integers(&mut self, name: &str, line: usize, v: &Val<'_>) -> Option<Vec<u32>> {
        let Val::Arr(a) = v else {
            self.bad(line, format!("{name} must be a list of uids"));
            return None;
        };
        let before = self.issues.len();
        let mut out = Vec::with_capacity(a.len());
        for (item, l) in a.iter() {
            let uid = match item {
                Val::Int(i) => u32::try_from(i).ok(),
                _ => None,
            };
            match uid {
                // The owner root-squashed NFS shows: vouching for it vouches for anyone squashed.
                Some(65534) => self.bad(
                    l,
                    format!("{name}: 65534 is nobody (the owner root-squashed NFS shows), not a system account"),
                ),
                Some(u) if u != u32::MAX => out.push(u),
                _ => self.bad(l, format!("{name}: each entry must be a uid (a number)")),
            }
        }
        (self.issues.len() == before).then_some(out)
    }
}

fn unknown(name: &str) -> String {
    let near = KEYS.iter().find(|k| close(k, name));
    match near {
        Some(k) => format!("unknown key {name} (did you mean {k}?)"),
        None => format!("unknown key {name}"),
    }
}

/// At most one edit apart (a typo), or a prefix.
fn close(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let longer = a.len().max(b.len());
    let swapped = a.len() == b.len() && {
        let d: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        d.len() == 2 && d[1] == d[0] + 1 && a[d[0]] == b[d[1]] && a[d[1]] == b[d[0]]
    };
    swapped || prefix + suffix + 1 >= longer
}

fn kind(v: &Val<'_>) -> &'static str {
    match v {
        Val::Str(_) => "a string",
        Val::Int(_) => "a number",
        Val::Bool(_) => "a boolean",
        Val::Arr(_) => "a list",
    }
}

fn pilot(s: &str) -> Result<Pilot, String> {
    let (group, name) = match s.strip_prefix('@') {
        Some(g) => (true, g),
        None => (false, s),
    };
    if !crate::engine::identity::valid_name(name.as_bytes()) {
        return Err(format!("{s:?} is not a user name or @group"));
    }
    Ok(match group {
        true => Pilot::Group(name.into()),
        false => Pilot::User(name.into()),
    })
}

/// An absolute path without `.` or `..` components, slashes collapsed.
fn abs_path(what: &str, s: &str) -> Result<PathBuf, String> {
    if !s.starts_with('/') {
        return Err(format!("{s:?} is not an absolute path"));
    }
    // One pass over the bytes (no `str` searcher: they cost more to set up
    // than a short path): components, and whether it is written plainly.
    let b = s.as_bytes();
    let mut plain = b.len() == 1 || b[b.len() - 1] != b'/';
    let mut start = 1;
    let mut dots = false;
    for i in 1..=b.len() {
        if i < b.len() && b[i] != b'/' {
            continue;
        }
        match &b[start..i] {
            b"" => plain &= i == b.len() && b.len() == 1,
            b"." | b".." => dots = true,
            _ => {}
        }
        start = i + 1;
    }
    // A control character in UTF-8 is a byte below 0x20, 0x7f, or (U+0080
    // to U+009F) 0xc2 followed by 0x80..=0x9f.
    let control = b.iter().any(|&c| c < 0x20 || c == 0x7f)
        || b.windows(2)
            .any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]));
    if control {
        return Err(format!("{s:?} has a control character"));
    }
    if dots {
        return Err(format!("{s:?}: write the {what} path without . or .."));
    }
    // Usually written plainly: no copy to make beyond the one PathBuf.
    if plain {
        return Ok(PathBuf::from(s));
    }
    let parts: Vec<&str> = s.split('/').filter(|p| !p.is_empty()).collect();
    Ok(PathBuf::from(format!("/{}", parts.join("/"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"enable = true
pilot = ["alice", "@hpcstaff"]      # users and @groups; absent = everyone
base = ["/local/nvme/tmp", "/tmp"]
min_free = "10G"
name = "%u"
export = ["TMP", "TEMP", "SCRATCH_TMPDIR"]
hook = true
user_override = true
timeout = "2s"
jobs = false
runtime_dir = true

[trust]
owners = [990]
dirs = ["/project"]

[[node]]
match = "gpu[001-064]"
base = ["/local/nvme/tmp"]
"#;

    #[test]
    fn the_issues_sample_parses() {
        let f = parse(SAMPLE).unwrap();
        assert_eq!(
            f.keys.enable,
            Some(At {
                value: true,
                line: 1
            })
        );
        assert_eq!(
            f.keys.pilot.unwrap().value,
            vec![Pilot::User("alice".into()), Pilot::Group("hpcstaff".into())]
        );
        assert_eq!(f.keys.base.as_ref().unwrap().line, 3);
        assert_eq!(f.keys.min_free.unwrap().value, 10 << 30);
        assert_eq!(f.keys.timeout.unwrap().value, Duration::from_secs(2));
        assert_eq!(f.keys.trust_owners.unwrap().value, vec![990]);
        assert_eq!(
            f.keys.trust_dirs.unwrap().value,
            vec![PathBuf::from("/project")]
        );
        assert_eq!(f.nodes.len(), 1);
        assert_eq!(f.nodes[0].line, 18);
        assert!(f.nodes[0].patterns[0].matches("gpu017"));
        assert_eq!(f.nodes[0].keys.base.as_ref().unwrap().line, 19);
    }

    fn issues(text: &str) -> Vec<(usize, String)> {
        parse(text)
            .unwrap_err()
            .into_iter()
            .map(|i| (i.line, i.msg))
            .collect()
    }

    #[test]
    fn typo_with_line() {
        let got = issues("enable = true\n\nbsae = [\"/tmp\"]\n");
        assert_eq!(
            got,
            vec![(3, "unknown key bsae (did you mean base?)".into())]
        );
    }

    #[test]
    fn bad_values_each_with_line() {
        let got = issues(
            "name = \"x/%u\"\nexport = [\"TMP\", \"LD_PRELOAD\"]\nmin_free = \"ten\"\nhook = \"yes\"\nbase = [\"tmp\"]\n[trust]\nowners = [65534]\nfoo = 1\n[[node]]\nbase = \"/x\"\n[[node]]\nmatch = \"gpu[1-\"\n",
        );
        let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 7, 8, 9, 12], "{got:?}");
    }

    #[test]
    fn toml_syntax_error_has_a_line() {
        let got = issues("enable = true\nbase = [\"/tmp\"\n");
        assert_eq!(got.len(), 1);
        assert!(got[0].0 >= 2, "{got:?}");
    }

    #[test]
    fn paths_are_normalised_and_checked() {
        assert_eq!(
            abs_path("base", "//local//tmp/"),
            Ok(PathBuf::from("/local/tmp"))
        );
        assert!(abs_path("base", "/tmp/../etc").is_err());
        assert!(abs_path("base", "relative").is_err());
        // The byte scan agrees with the obvious reading of each rule.
        for p in [
            "/",
            "//",
            "/a",
            "/a/",
            "/a//b",
            "/a/b",
            "/.",
            "/..",
            "/a/./b",
            "/a/..",
            "/.a",
            "/a..",
            "/a/.b/",
            "/a\u{1}",
            "/a\u{7f}",
            "/a\u{85}b",
            "/é",
            "/a\u{a0}",
            "///",
        ] {
            let control = p.chars().any(char::is_control);
            let dots = p.split('/').any(|c| c == "." || c == "..");
            let plain = !p.contains("//") && (p.len() == 1 || !p.ends_with('/'));
            let got = abs_path("base", p);
            match (control, dots) {
                (true, _) => assert!(got.unwrap_err().contains("control"), "{p:?}"),
                (false, true) => assert!(got.unwrap_err().contains(". or .."), "{p:?}"),
                (false, false) if plain => assert_eq!(got, Ok(PathBuf::from(p)), "{p:?}"),
                (false, false) => {
                    let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
                    assert_eq!(
                        got,
                        Ok(PathBuf::from(format!("/{}", parts.join("/")))),
                        "{p:?}"
                    )
                }
            }
        }
    }

    #[test]
    fn an_empty_file_sets_nothing() {
        assert_eq!(parse("# all commented out\n"), Ok(File::default()));
    }
}
