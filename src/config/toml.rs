//! The subset of TOML the configuration file uses, parsed by hand: the
//! `toml` crate cost 45,000 instructions for a 20-line file at every shell
//! start (the budget for all of this issue is 40,000), this about a tenth.
//!
//! Supported: `# comments`, `key = value` with bare keys, `[trust]` style
//! tables, `[[node]]` arrays of tables, basic ("...", with TOML's escapes)
//! and literal ('...') strings, `true`/`false`, decimal integers, and arrays
//! (over several lines, trailing comma allowed). Anything else TOML has
//! (inline tables, dotted keys, floats, dates, multi-line strings) is
//! refused with its line, never guessed at: every valid file here is valid
//! TOML and means the same.

use std::borrow::Cow;

/// A value (a list is kept as written, see [`List`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Arr(List<'a>),
}

/// A list as written, checked when it was read; its items are read again
/// from the text as they are iterated. No vector per list: allocating one
/// for each list of a typical file cost more than reading it twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List<'a> {
    /// From its `[` to its `]`, both included.
    text: &'a str,
    /// The line of its `[`.
    line: usize,
    depth: usize,
    len: usize,
}

impl<'a> List<'a> {
    /// How many items it has.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Each item and the line it starts on.
    pub fn iter(&self) -> Items<'a> {
        Items {
            lx: Lexer {
                depth: self.depth,
                t: self.text,
                s: self.text.as_bytes(),
                i: 1,
                line: self.line,
            },
        }
    }
}

/// The items of a [`List`].
pub struct Items<'a> {
    lx: Lexer<'a>,
}

impl<'a> Iterator for Items<'a> {
    type Item = (Val<'a>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        // The list was checked when first read: reading it again cannot fail.
        self.lx.skip_ws();
        if matches!(self.lx.peek(), None | Some(b']')) {
            return None;
        }
        let line = self.lx.line;
        let v = self.lx.value().ok()?;
        self.lx.skip_ws();
        if self.lx.peek() == Some(b',') {
            self.lx.i += 1;
        }
        Some((v, line))
    }
}

/// `key = value` at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub key: &'a str,
    pub line: usize,
    pub value: Val<'a>,
}

/// A table header: `[name]` (or `[[name]]` when `array`); its entries follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table<'a> {
    pub name: &'a str,
    pub array: bool,
    pub line: usize,
}

/// What the document holds next, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    Table(Table<'a>),
    Entry(Entry<'a>),
}

/// A syntax error at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub msg: String,
}

#[derive(Clone)]
struct Lexer<'a> {
    /// Lists inside lists, now: bounded, so no input can exhaust the stack.
    depth: usize,
    t: &'a str,
    s: &'a [u8],
    i: usize,
    line: usize,
}

type R<T> = Result<T, SyntaxError>;

/// Deepest list in a list accepted (the keys need one level).
const MAX_DEPTH: usize = 8;

/// A document, read item by item: nothing is kept but what TOML needs to
/// refuse a key or table given twice. The caller gets each value borrowed
/// from the text and makes of it what it keeps.
pub struct Reader<'a> {
    lx: Lexer<'a>,
    /// The keys of the current table so far.
    keys: Vec<&'a str>,
    /// The (non-array) tables so far.
    tables: Vec<&'a str>,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Reader {
            lx: Lexer {
                depth: 0,
                t: text,
                s: text.as_bytes(),
                i: 0,
                line: 1,
            },
            // Sized for a typical table: one allocation for the file.
            keys: Vec::with_capacity(16),
            tables: Vec::new(),
        }
    }

    /// The next table header or entry; `None` at the end.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> R<Option<Item<'a>>> {
        let lx = &mut self.lx;
        lx.skip_blank_lines();
        let Some(c) = lx.peek() else {
            return Ok(None);
        };
        let line = lx.line;
        if c == b'[' {
            let array = lx.s.get(lx.i + 1) == Some(&b'[');
            lx.i += if array { 2 } else { 1 };
            lx.spaces();
            let name = lx.bare_key()?;
            lx.spaces();
            let close: &[u8] = if array { b"]]" } else { b"]" };
            if !lx.s[lx.i..].starts_with(close) {
                return Err(lx.err(if lx.peek() == Some(b'.') {
                    "dotted table names are not supported by tmpguard's TOML"
                } else {
                    "a table header must end with ]"
                }));
            }
            lx.i += close.len();
            lx.end_of_line()?;
            if !array {
                if self.tables.contains(&name) {
                    return Err(SyntaxError {
                        line,
                        msg: format!("table [{name}] defined twice"),
                    });
                }
                self.tables.push(name);
            }
            self.keys.clear();
            return Ok(Some(Item::Table(Table { name, array, line })));
        }
        let key = lx.bare_key()?;
        lx.spaces();
        if lx.peek() == Some(b'.') {
            return Err(lx.err("dotted keys are not supported by tmpguard's TOML"));
        }
        if lx.peek() != Some(b'=') {
            return Err(lx.err(format!("expected = after {key}")));
        }
        lx.i += 1;
        lx.spaces();
        let value = lx.value()?;
        lx.end_of_line()?;
        if self.keys.contains(&key) {
            return Err(SyntaxError {
                line,
                msg: format!("{key} is set twice"),
            });
        }
        self.keys.push(key);
        Ok(Some(Item::Entry(Entry { key, line, value })))
    }
}

/// Where the first `\n` in `s` is (`s.len()` without one), eight bytes a
/// step: comments after aligned values are most of a typical file's bytes,
/// and a byte loop cost ~5,000 instructions at every shell start for them
/// (`str::find`'s searcher costs more to set up than a short scan, and libc's
/// `memchr` would be one more symbol for the loader to bind at every start).
fn find_newline(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let word =
            u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ (ONES * u64::from(b'\n'));
        // The lowest byte that is zero (a `\n`) sets the lowest bit here;
        // higher ones may be set by the borrow, and are not looked at.
        let zero = word.wrapping_sub(ONES) & !word & HIGH;
        if zero != 0 {
            return i + (zero.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + s[i..]
        .iter()
        .position(|&c| c == b'\n')
        .unwrap_or(s.len() - i)
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err(&self, msg: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line: self.line,
            msg: msg.into(),
        }
    }

    fn spaces(&mut self) {
        let mut i = self.i;
        // Eight at a time: the runs that align comments are most of them.
        while let Some(chunk) = self.s.get(i..i + 8) {
            if chunk != b"        " {
                break;
            }
            i += 8;
        }
        while matches!(self.s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        self.i = i;
    }

    fn comment(&mut self) {
        if self.peek() == Some(b'#') {
            self.i += find_newline(&self.s[self.i..]);
        }
    }

    fn newline(&mut self) -> bool {
        match (self.peek(), self.s.get(self.i + 1)) {
            (Some(b'\n'), _) => self.i += 1,
            (Some(b'\r'), Some(b'\n')) => self.i += 2,
            _ => return false,
        }
        self.line += 1;
        true
    }

    fn skip_blank_lines(&mut self) {
        loop {
            self.spaces();
            self.comment();
            if !self.newline() {
                return;
            }
        }
    }

    /// Whitespace, comments and newlines (inside an array).
    fn skip_ws(&mut self) {
        loop {
            self.spaces();
            self.comment();
            if !self.newline() {
                return;
            }
        }
    }

    fn end_of_line(&mut self) -> R<()> {
        self.spaces();
        self.comment();
        if self.peek().is_none() || self.newline() {
            Ok(())
        } else {
            Err(self.err("unexpected text after the value"))
        }
    }

    fn bare_key(&mut self) -> R<&'a str> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err(match self.peek() {
                Some(b'"' | b'\'') => "quoted keys are not supported by tmpguard's TOML",
                _ => "expected a key (letters, digits, _ and -)",
            }));
        }
        Ok(&self.t[start..self.i])
    }

    fn value(&mut self) -> R<Val<'a>> {
        match self.peek() {
            Some(b'"') => self.basic_string().map(Val::Str),
            Some(b'\'') => self.literal_string().map(Val::Str),
            Some(b'[') => self.array(),
            Some(b'{') => Err(self.err("inline tables are not supported by tmpguard's TOML")),
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Val::Bool(true))
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Val::Bool(false))
            }
            Some(c) if c.is_ascii_digit() || c == b'-' || c == b'+' => self.integer(),
            None => Err(self.err("a value is missing")),
            _ => Err(self.err("expected a value: \"string\", true, false, a number or [list]")),
        }
    }

    fn integer(&mut self) -> R<Val<'a>> {
        let start = self.i;
        while self.peek().is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'-' | b'.' | b':')
        }) {
            self.i += 1;
        }
        let raw = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
        let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
        // TOML: no leading zeros, underscores only between digits.
        let ok = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
            && !digits.starts_with('_')
            && !digits.ends_with('_')
            && !digits.as_bytes().windows(2).any(|w| w == b"__")
            && (digits == "0" || !digits.starts_with('0'));
        // A copy without the underscores only when there are some.
        let parsed = match digits.bytes().any(|b| b == b'_') {
            true => raw.replace('_', "").parse::<i64>(),
            false => raw.parse::<i64>(),
        };
        ok.then_some(parsed.ok())
            .flatten()
            .map(Val::Int)
            .ok_or_else(|| self.err(format!("{raw} is not a decimal integer")))
    }

    fn array(&mut self) -> R<Val<'a>> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err("lists nested too deep"));
        }
        self.depth += 1;
        let v = self.array_items();
        self.depth -= 1;
        v
    }

    fn array_items(&mut self) -> R<Val<'a>> {
        let (start, line) = (self.i, self.line);
        self.i += 1;
        let mut len = 0;
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(Val::Arr(List {
                    text: &self.t[start..self.i],
                    line,
                    depth: self.depth,
                    len,
                }));
            }
            self.value()?;
            len += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                None => return Err(self.err("a list without its closing ]")),
                _ => return Err(self.err("expected , or ] in a list")),
            }
        }
    }

    fn literal_string(&mut self) -> R<Cow<'a, str>> {
        if self.s[self.i..].starts_with(b"'''") {
            return Err(self.err("multi-line strings are not supported by tmpguard's TOML"));
        }
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            match c {
                b'\'' => {
                    let s = Cow::Borrowed(&self.t[start..self.i]);
                    self.i += 1;
                    return Ok(s);
                }
                b'\n' => break,
                _ => self.i += 1,
            }
        }
        Err(self.err("a string without its closing '"))
    }

    fn basic_string(&mut self) -> R<Cow<'a, str>> {
        if self.s[self.i..].starts_with(b"\"\"\"") {
            return Err(self.err("multi-line strings are not supported by tmpguard's TOML"));
        }
        self.i += 1;
        // Without escapes, the text itself (no copy).
        let start = self.i;
        let plain = self.s[start..]
            .iter()
            .position(|&c| matches!(c, b'"' | b'\\' | b'\n'))
            .filter(|&n| self.s[start + n] == b'"');
        if let Some(n) = plain {
            self.i += n + 1;
            return Ok(Cow::Borrowed(&self.t[start..start + n]));
        }
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => {
                    return String::from_utf8(out)
                        .map(Cow::Owned)
                        .map_err(|_| self.err("a string is not UTF-8"));
                }
                b'\n' => break,
                b'\\' => {
                    let e = self.peek().ok_or_else(|| self.err("a string ends in \\"))?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' => out.push(e),
                        b'b' => out.push(8),
                        b't' => out.push(b'\t'),
                        b'n' => out.push(b'\n'),
                        b'f' => out.push(12),
                        b'r' => out.push(b'\r'),
                        b'u' | b'U' => {
                            let n = if e == b'u' { 4 } else { 8 };
                            let hex = self
                                .s
                                .get(self.i..self.i + n)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("a bad \\u escape"))?;
                            self.i += n;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(hex.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.err(format!("unknown escape \\{}", e as char))),
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.err("a string without its closing \""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item of a document, or its first error.
    fn parse(text: &str) -> R<Vec<Item<'_>>> {
        let mut r = Reader::new(text);
        let mut out = Vec::new();
        while let Some(item) = r.next()? {
            out.push(item);
        }
        Ok(out)
    }

    fn entry<'a>(item: &'a Item<'a>) -> &'a Entry<'a> {
        match item {
            Item::Entry(e) => e,
            Item::Table(t) => panic!("{t:?}"),
        }
    }

    #[test]
    fn the_subset() {
        let d = parse(
            "# c\na = \"x\\\"y\\u00e9\" # c\nb = 'C:\\p'\nc = [ 1, -2,\n  3_000, # c\n]\n\n[trust]\nd = true\n[[node]]\ne = false\n[[node]]\nf = [[1], ['x', \"y\\n\"], []]\n",
        )
        .unwrap();
        assert_eq!(entry(&d[0]).value, Val::Str("x\"yé".into()));
        assert_eq!(entry(&d[1]).value, Val::Str("C:\\p".into()));
        let Val::Arr(list) = &entry(&d[2]).value else {
            panic!("{d:?}")
        };
        assert_eq!(list.len(), 3);
        assert_eq!(
            list.iter().collect::<Vec<_>>(),
            vec![(Val::Int(1), 4), (Val::Int(-2), 4), (Val::Int(3000), 5)]
        );
        assert_eq!(
            d[3],
            Item::Table(Table {
                name: "trust",
                array: false,
                line: 8
            })
        );
        assert_eq!(entry(&d[4]).line, 9);
        assert!(matches!(&d[5], Item::Table(t) if t.array && t.line == 10));
        assert_eq!(entry(&d[6]).line, 11);
        assert!(matches!(&d[7], Item::Table(t) if t.array && t.line == 12));
        let Val::Arr(outer) = &entry(&d[8]).value else {
            panic!("{d:?}")
        };
        let inner: Vec<Vec<Val<'_>>> = outer
            .iter()
            .map(|(v, _)| match v {
                Val::Arr(l) => l.iter().map(|(v, _)| v).collect(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            inner,
            vec![
                vec![Val::Int(1)],
                vec![Val::Str("x".into()), Val::Str("y\n".into())],
                vec![]
            ]
        );
        assert_eq!(d.len(), 9);
    }

    #[test]
    fn find_newline_finds_the_first() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b = vec![b'#'; len];
                // A byte just above and below '\n' everywhere else: the borrow's false hits.
                for (i, c) in b.iter_mut().enumerate() {
                    *c = [b'\x0b', b'\x09', 0x8a, b'#'][i % 4];
                }
                if at < len {
                    b[at] = b'\n';
                    if at + 1 < len {
                        b[at + 1] = b'\n';
                    }
                }
                assert_eq!(find_newline(&b), at, "{len} {at}");
            }
        }
    }

    #[test]
    fn refusals_with_lines() {
        for (text, line) in [
            ("a = 1\nb = {x = 1}\n", 2),
            ("a.b = 1\n", 1),
            ("[a.b]\n", 1),
            ("a = 1.5\n", 1),
            ("a = 1979-05-27\n", 1),
            ("a = \"\"\"x\"\"\"\n", 1),
            ("a = \"x\n", 1),
            ("a = [1, 2\n", 2),
            ("a = 1\na = 2\n", 2),
            ("[t]\n[t]\n", 2),
            ("a = 1 b\n", 1),
            ("a = 01\n", 1),
            ("\"a\" = 1\n", 1),
            ("a = \"\\q\"\n", 1),
            ("a =\n", 1),
            (&format!("a = {}\n", "[".repeat(100_000)), 1),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e:?}");
        }
    }
}
