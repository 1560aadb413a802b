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

/// A value and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Arr(Vec<(Val<'a>, usize)>),
}

/// `key = value` at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub key: &'a str,
    pub line: usize,
    pub value: Val<'a>,
}

/// A table: `[name]` (or `[[name]]` when `array`) and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table<'a> {
    pub name: &'a str,
    pub array: bool,
    pub line: usize,
    pub entries: Vec<Entry<'a>>,
}

/// The document: the top-level entries, then each table in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc<'a> {
    pub top: Vec<Entry<'a>>,
    pub tables: Vec<Table<'a>>,
}

/// A syntax error at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub msg: String,
}

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

/// Parse a document.
pub fn parse(text: &str) -> R<Doc<'_>> {
    let mut lx = Lexer {
        depth: 0,
        t: text,
        s: text.as_bytes(),
        i: 0,
        line: 1,
    };
    // Sized for a typical file: growing vectors costs more than parsing it.
    let mut doc = Doc {
        top: Vec::with_capacity(16),
        tables: Vec::with_capacity(4),
    };
    loop {
        lx.skip_blank_lines();
        let Some(c) = lx.peek() else {
            return Ok(doc);
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
                // The tables so far, not a set of their own: no allocation.
                if doc.tables.iter().any(|t| !t.array && t.name == name) {
                    return Err(SyntaxError {
                        line,
                        msg: format!("table [{name}] defined twice"),
                    });
                }
            }
            doc.tables.push(Table {
                name,
                array,
                line,
                entries: Vec::with_capacity(8),
            });
            continue;
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
        let entries = match doc.tables.last_mut() {
            Some(t) => &mut t.entries,
            None => &mut doc.top,
        };
        if entries.iter().any(|e| e.key == key) {
            return Err(SyntaxError {
                line,
                msg: format!("{key} is set twice"),
            });
        }
        entries.push(Entry { key, line, value });
    }
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
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn comment(&mut self) {
        if self.peek() == Some(b'#') {
            // A plain byte scan: comments are short, and `str::find`'s
            // searcher costs more to set up than this whole loop.
            self.i += self.s[self.i..]
                .iter()
                .position(|&c| c == b'\n')
                .unwrap_or(self.s.len() - self.i);
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
            && !digits.contains("__")
            && (digits == "0" || !digits.starts_with('0'));
        ok.then(|| raw.replace('_', "").parse::<i64>().ok())
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
        self.i += 1;
        let mut items = Vec::with_capacity(4);
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(Val::Arr(items));
            }
            let line = self.line;
            items.push((self.value()?, line));
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

    #[test]
    fn the_subset() {
        let d = parse(
            "# c\na = \"x\\\"y\\u00e9\" # c\nb = 'C:\\p'\nc = [ 1, -2,\n  3_000, # c\n]\n\n[trust]\nd = true\n[[node]]\ne = false\n[[node]]\n",
        )
        .unwrap();
        assert_eq!(d.top[0].value, Val::Str("x\"yé".into()));
        assert_eq!(d.top[1].value, Val::Str("C:\\p".into()));
        assert_eq!(
            d.top[2].value,
            Val::Arr(vec![
                (Val::Int(1), 4),
                (Val::Int(-2), 4),
                (Val::Int(3000), 5)
            ])
        );
        assert_eq!(d.tables.len(), 3);
        assert_eq!((d.tables[0].name, d.tables[0].line), ("trust", 8));
        assert_eq!(d.tables[1].entries[0].line, 11);
        assert!(d.tables[2].array && d.tables[2].entries.is_empty());
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
