//! The configuration file's text to typed, validated keys, with the line of
//! each: a pure function. Any problem is reported (line and message) and the
//! caller ignores the whole file: never a half-read configuration.

use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::hosts::Pattern;
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

/// Parse and validate; every problem found, sorted by line.
pub fn parse(text: &str) -> Result<File, Vec<Issue>> {
    let lines = Lines::new(text);
    let doc = DeTable::parse(text).map_err(|e| {
        vec![Issue {
            line: e.span().map_or(0, |s| lines.of(s.start)),
            msg: e.message().trim().to_owned(),
        }]
    })?;
    let mut p = Parser {
        lines: &lines,
        issues: Vec::new(),
    };
    let mut file = File::default();
    for (key, value) in doc.get_ref() {
        match key.get_ref().as_ref() {
            "node" => p.nodes(value, &mut file.nodes),
            _ => p.key(key, value, &mut file.keys, true),
        }
    }
    if p.issues.is_empty() {
        Ok(file)
    } else {
        p.issues.sort_by_key(|i| i.line);
        Err(p.issues)
    }
}

/// Byte offset to line number.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// Wrap a value with its line.
fn at<T>(line: usize) -> impl Fn(T) -> At<T> {
    move |value| At { value, line }
}

type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;
type Value<'i> = Spanned<DeValue<'i>>;

struct Parser<'a> {
    lines: &'a Lines,
    issues: Vec<Issue>,
}

impl Parser<'_> {
    fn line(&self, v: &Value<'_>) -> usize {
        self.lines.of(v.span().start)
    }

    fn bad(&mut self, line: usize, msg: impl Into<String>) {
        self.issues.push(Issue {
            line,
            msg: msg.into(),
        });
    }

    /// One key of the top level or of a node section.
    fn key(&mut self, key: &Key<'_>, v: &Value<'_>, keys: &mut Keys, top: bool) {
        let name = key.get_ref().as_ref();
        let line = self.lines.of(key.span().start);
        match name {
            "enable" => keys.enable = self.boolean(name, v).map(at(line)),
            "hook" => keys.hook = self.boolean(name, v).map(at(line)),
            "user_override" => keys.user_override = self.boolean(name, v).map(at(line)),
            "export_always" => keys.export_always = self.boolean(name, v).map(at(line)),
            "jobs" => keys.jobs = self.boolean(name, v).map(at(line)),
            "runtime_dir" => keys.runtime_dir = self.boolean(name, v).map(at(line)),
            "pilot" => keys.pilot = self.strings(name, v, pilot).map(at(line)),
            "base" => keys.base = self.strings(name, v, |s| abs_path("base", s)).map(at(line)),
            "export" => {
                keys.export = self
                    .strings(name, v, |s| check_export_name(s).map(|()| s.to_owned()))
                    .map(at(line))
            }
            "min_free" => keys.min_free = self.string(name, v, parse_size).map(at(line)),
            "timeout" => keys.timeout = self.string(name, v, parse_duration).map(at(line)),
            "name" => keys.name = self.string(name, v, NameTemplate::parse).map(at(line)),
            "trust" => self.trust(v, keys),
            "node" if !top => self.bad(line, "a [[node]] section cannot contain another"),
            _ => self.bad(line, unknown(name)),
        }
    }

    fn trust(&mut self, v: &Value<'_>, keys: &mut Keys) {
        let DeValue::Table(t) = v.get_ref() else {
            return self.bad(self.line(v), "trust must be a table: [trust]");
        };
        for (key, v) in t {
            let line = self.lines.of(key.span().start);
            match key.get_ref().as_ref() {
                "owners" => keys.trust_owners = self.integers("trust.owners", v).map(at(line)),
                "dirs" => {
                    keys.trust_dirs = self
                        .strings("trust.dirs", v, |s| abs_path("trust.dirs", s))
                        .map(at(line))
                }
                other => self.bad(
                    line,
                    format!("unknown key trust.{other} (trust has owners and dirs)"),
                ),
            }
        }
    }

    fn nodes(&mut self, v: &Value<'_>, nodes: &mut Vec<Node>) {
        let DeValue::Array(sections) = v.get_ref() else {
            return self.bad(self.line(v), "node sections are written [[node]]");
        };
        for section in sections {
            let line = self.line(section);
            let DeValue::Table(t) = section.get_ref() else {
                self.bad(line, "node sections are written [[node]]");
                continue;
            };
            let mut node = Node {
                patterns: Vec::new(),
                text: String::new(),
                line,
                keys: Keys::default(),
            };
            let mut has_match = false;
            for (key, v) in t {
                if key.get_ref() == "match" {
                    has_match = true;
                    node.line = self.lines.of(key.span().start);
                    if let Some(list) =
                        self.strings("match", v, |s| Pattern::parse(s).map(|p| (s.to_owned(), p)))
                    {
                        node.text = list
                            .iter()
                            .map(|(s, _)| s.as_str())
                            .collect::<Vec<_>>()
                            .join(" ");
                        node.patterns = list.into_iter().map(|(_, p)| p).collect();
                    }
                } else {
                    self.key(key, v, &mut node.keys, false);
                }
            }
            if !has_match {
                self.bad(line, "a [[node]] section needs match = \"PATTERN\"");
            }
            nodes.push(node);
        }
    }

    fn boolean(&mut self, name: &str, v: &Value<'_>) -> Option<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.bad(
                    self.line(v),
                    format!("{name} must be true or false, not {}", kind(other)),
                );
                None
            }
        }
    }

    fn string<T>(
        &mut self,
        name: &str,
        v: &Value<'_>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match v.get_ref() {
            DeValue::String(s) => check(s)
                .map_err(|e| self.bad(self.line(v), format!("{name}: {e}")))
                .ok(),
            other => {
                self.bad(
                    self.line(v),
                    format!("{name} must be a string, not {}", kind(other)),
                );
                None
            }
        }
    }

    /// A string or an array of strings, each checked.
    fn strings<T>(
        &mut self,
        name: &str,
        v: &Value<'_>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let items: Vec<&Value<'_>> = match v.get_ref() {
            DeValue::Array(a) => a.iter().collect(),
            DeValue::String(_) => vec![v],
            other => {
                self.bad(
                    self.line(v),
                    format!("{name} must be a list of strings, not {}", kind(other)),
                );
                return None;
            }
        };
        let before = self.issues.len();
        let out: Vec<T> = items
            .into_iter()
            .filter_map(|item| self.string(name, item, &check))
            .collect();
        (self.issues.len() == before).then_some(out)
    }

    fn integers(&mut self, name: &str, v: &Value<'_>) -> Option<Vec<u32>> {
        let DeValue::Array(a) = v.get_ref() else {
            self.bad(self.line(v), format!("{name} must be a list of uids"));
            return None;
        };
        let before = self.issues.len();
        let mut out = Vec::new();
        for item in a {
            let uid = match item.get_ref() {
                DeValue::Integer(i) => {
                    u32::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
                }
                _ => None,
            };
            match uid {
                // The owner root-squashed NFS shows: vouching for it vouches for anyone squashed.
                Some(65534) => self.bad(
                    self.line(item),
                    format!("{name}: 65534 is nobody (the owner root-squashed NFS shows), not a system account"),
                ),
                Some(u) if u != u32::MAX => out.push(u),
                _ => self.bad(self.line(item), format!("{name}: each entry must be a uid (a number)")),
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

fn kind(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a number",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn pilot(s: &str) -> Result<Pilot, String> {
    let (group, name) = match s.strip_prefix('@') {
        Some(g) => (true, g),
        None => (false, s),
    };
    if !crate::identity::valid_name(name.as_bytes()) {
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
    if s.contains('\0') || s.chars().any(char::is_control) {
        return Err(format!("{s:?} has a control character"));
    }
    let parts: Vec<&str> = s.split('/').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| *p == "." || *p == "..") {
        return Err(format!("{s:?}: write the {what} path without . or .."));
    }
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
    }

    #[test]
    fn an_empty_file_sets_nothing() {
        assert_eq!(parse("# all commented out\n"), Ok(File::default()));
    }
}
