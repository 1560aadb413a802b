//! Which node-class sections apply: a host name against a glob (`gpu*`,
//! `node?[0-9]`) or a Slurm host list (`node[001-128]`, `gpu[01-04,07],login1`).
//! Pure functions on the short host name.

/// A `match` pattern, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Has `*` or `?`: a shell glob (with `[...]` character classes).
    Glob(String),
    /// A Slurm host list: any of these names.
    HostList(Vec<Vec<Part>>),
}

/// One piece of a host-list name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// `[001-128,200]`: numbers, with the digit count when zero-padded.
    Range {
        spans: Vec<(u64, u64)>,
        width: Option<usize>,
    },
}

impl Pattern {
    /// Parse a pattern; a glob when it has `*` or `?`, else a host list.
    pub fn parse(s: &str) -> Result<Pattern, String> {
        if s.is_empty() {
            return Err("an empty host pattern".into());
        }
        // Byte scans here and below: `str` searchers cost more to set up
        // than these short patterns take to scan, at every shell start.
        if s.bytes().any(|b| b == b'*' || b == b'?') {
            return Ok(Pattern::Glob(s.to_owned()));
        }
        split_top(s)
            .into_iter()
            .map(|name| parse_name(name).map_err(|e| format!("{s:?}: {e}")))
            .collect::<Result<_, _>>()
            .map(Pattern::HostList)
    }

    /// The short host name matches.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            Pattern::Glob(g) => glob(g.as_bytes(), host.as_bytes()),
            Pattern::HostList(names) => names.iter().any(|parts| match_parts(parts, host)),
        }
    }
}

/// The short host name: up to the first dot.
pub fn short(host: &str) -> &str {
    host.bytes()
        .position(|b| b == b'.')
        .map_or(host, |dot| &host[..dot])
}

/// Split on commas outside brackets.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_name(s: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        match rest.bytes().position(|b| b == b'[') {
            None => {
                check_literal(rest)?;
                parts.push(Part::Literal(rest.to_owned()));
                rest = "";
            }
            Some(open) => {
                if open > 0 {
                    check_literal(&rest[..open])?;
                    parts.push(Part::Literal(rest[..open].to_owned()));
                }
                let close = rest[open..]
                    .bytes()
                    .position(|b| b == b']')
                    .ok_or("a '[' without ']'")?
                    + open;
                parts.push(parse_range(&rest[open + 1..close])?);
                rest = &rest[close + 1..];
            }
        }
    }
    if parts.is_empty() {
        return Err("an empty name in the list".into());
    }
    Ok(parts)
}

fn check_literal(s: &str) -> Result<(), String> {
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some(c) => Err(format!("{c:?} cannot be in a host name")),
        None => Ok(()),
    }
}

fn parse_range(s: &str) -> Result<Part, String> {
    let mut spans = Vec::new();
    let mut width = None;
    #[allow(clippy::manual_pattern_char_comparison)] // a char pattern is a searcher
    for item in s.split(|c| c == ',') {
        let (lo, hi) = match item.bytes().position(|b| b == b'-') {
            Some(dash) => (&item[..dash], &item[dash + 1..]),
            None => (item, item),
        };
        let num = |t: &str| {
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u64>().ok())
                .flatten()
                .ok_or_else(|| format!("[{s}]: {item:?} is not a number or a range a-b"))
        };
        let (l, h) = (num(lo)?, num(hi)?);
        if l > h {
            return Err(format!("[{s}]: {item:?} runs backwards"));
        }
        // node[001-128]: a padded range matches only names of that width.
        if lo.len() > 1 && lo.starts_with('0') {
            width = Some(lo.len());
        }
        spans.push((l, h));
    }
    Ok(Part::Range { spans, width })
}

fn match_parts(parts: &[Part], host: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return host.is_empty();
    };
    match first {
        Part::Literal(l) => host
            .strip_prefix(l.as_str())
            .is_some_and(|h| match_parts(rest, h)),
        Part::Range { spans, width } => {
            let digits = host.bytes().take_while(u8::is_ascii_digit).count();
            // Try every split, longest first: `n[1-2]0` needs backtracking.
            (1..=digits).rev().any(|n| {
                let d = &host[..n];
                let fits_width = match width {
                    Some(w) => d.len() == *w,
                    None => d.len() == 1 || !d.starts_with('0'),
                };
                fits_width
                    && d.parse::<u64>()
                        .is_ok_and(|v| spans.iter().any(|&(l, h)| (l..=h).contains(&v)))
                    && match_parts(rest, &host[n..])
            })
        }
    }
}

/// fnmatch without flags: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob(rest, &s[1..]),
        Some((b'[', rest)) => {
            let Some(close) = rest.iter().skip(1).position(|&b| b == b']').map(|i| i + 1) else {
                return s.first() == Some(&b'[') && glob(rest, &s[1..]);
            };
            let Some((&c, tail)) = s.split_first() else {
                return false;
            };
            let (neg, class) = match rest[..close].split_first() {
                Some((b'!' | b'^', cls)) => (true, cls),
                _ => (false, &rest[..close]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= (class[i]..=class[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != neg && glob(&rest[close + 1..], tail)
        }
        Some((&c, rest)) => s.first() == Some(&c) && glob(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, h: &str) -> bool {
        Pattern::parse(p).unwrap().matches(h)
    }

    #[test]
    fn slurm_host_lists() {
        assert!(m("gpu[001-064]", "gpu001"));
        assert!(m("gpu[001-064]", "gpu064"));
        assert!(!m("gpu[001-064]", "gpu065"));
        assert!(!m("gpu[001-064]", "gpu1"));
        assert!(!m("gpu[001-064]", "gpu0010"));
        assert!(m("node[1-128]", "node7"));
        assert!(!m("node[1-128]", "node07"));
        assert!(m("gpu[01-04,07],login1", "gpu07"));
        assert!(m("gpu[01-04,07],login1", "login1"));
        assert!(!m("gpu[01-04,07],login1", "gpu05"));
        assert!(m("rack[1-2]n[01-10]", "rack2n10"));
        assert!(m("n[1-2]0", "n10"));
        assert!(m("login1", "login1"));
        assert!(!m("login1", "login10"));
        for bad in ["gpu[1-", "gpu[a-b]", "gpu[5-1]", "a.b", "x[]", ""] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn globs() {
        assert!(m("gpu*", "gpu17"));
        assert!(!m("gpu*", "cpu17"));
        assert!(m("n?de[0-9]*", "node3x"));
        assert!(m("*[!0-9]?", "ab"));
        assert!(!m("login[12]*", "login3"));
    }

    #[test]
    fn short_names() {
        assert_eq!(short("gpu001.cluster.example.org"), "gpu001");
        assert_eq!(short("login"), "login");
    }
}
