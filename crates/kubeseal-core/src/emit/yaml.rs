//! sigs.k8s.io/yaml's `JSONToYAML` of a [`Node`]: Go's JSON read by go-yaml
//! v2, then printed by go-yaml v2's emitter (emitterc.go) with its defaults:
//! block style, 2-space indent, sequences not indented under their key,
//! unicode output, line width 80.
//!
//! The emitter is a direct port of the parts of emitterc.go that a JSON tree
//! reaches (block mappings and sequences, empty flow `{}`/`[]`, scalars in
//! plain, single-quoted, double-quoted and literal styles), driven by
//! recursion instead of an event queue; its state (`column`, `indent`,
//! `whitespace`, `indention`) evolves exactly as in Go.

use std::borrow::Cow;

use super::keysort::{self, Runes};
use super::out::Out;
use super::{Node, YamlError};
use crate::goyaml::can_use_plain;

/// go-yaml's `best_width`.
const BEST_WIDTH: usize = 80;
/// go-yaml's `best_indent`.
const BEST_INDENT: i32 = 2;
/// An implicit key longer than this (in bytes) is written as `? key`.
const MAX_SIMPLE_KEY_BYTES: usize = 128;
/// go-yaml's reader wants an implicit key's `:` at most 1024 characters after
/// its opening quote: 1022 characters of JSON string content.
const MAX_KEY_JSON_CHARS: usize = 1022;

/// A capacity guess for the YAML of `node`.
pub(super) fn size_hint(node: &Node) -> usize {
    fn walk(node: &Node, depth: usize) -> usize {
        match node {
            Node::Null | Node::Bool(_) => 6,
            Node::Int(_) => 21,
            Node::Str(s) => s.len() + s.len() / 8 + 4,
            Node::Seq(items) => {
                items
                    .iter()
                    .map(|n| 2 * depth + 3 + walk(n, depth + 1))
                    .sum::<usize>()
                    + 3
            }
            Node::Map(entries) => {
                entries
                    .iter()
                    .map(|(k, v)| 2 * depth + k.len() + 4 + walk(v, depth + 1))
                    .sum::<usize>()
                    + 3
            }
        }
    }
    walk(node, 0)
}

/// Appends the YAML of `node`. With `strict`, values kubeseal's YAML path
/// fails on are errors; otherwise they are printed as best go-yaml could.
pub(super) fn write(out: &mut Out, node: &Node, strict: bool) -> Result<(), YamlError> {
    let mut e = Emitter {
        out,
        column: 0,
        indent: -1,
        whitespace: true,
        indention: true,
        strict,
        path: Vec::new(),
    };
    e.node(node, false)?;
    // DOCUMENT-END (implicit): finish the last line.
    e.write_indent();
    Ok(())
}

#[derive(Clone, Copy)]
enum Seg<'n> {
    Key(&'n str),
    Index(usize),
}

struct Emitter<'o, 'n> {
    out: &'o mut Out,
    /// Characters on the current line.
    column: usize,
    indent: i32,
    whitespace: bool,
    indention: bool,
    strict: bool,
    path: Vec<Seg<'n>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// What `yaml_emitter_analyze_scalar` learns about a scalar, restricted to
/// the block context (flow context is only ever entered for `{}` / `[]`).
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
    has_lf: bool,
}

#[inline]
fn width(c: u8) -> usize {
    if c & 0x80 == 0 {
        1
    } else if c & 0xE0 == 0xC0 {
        2
    } else if c & 0xF0 == 0xE0 {
        3
    } else {
        4
    }
}

/// Characters in a UTF-8 byte run.
#[inline]
fn chars_in(v: &[u8]) -> usize {
    v.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// End of the run from `i` of bytes that are not `stop` and cannot start a
/// line break (CR, LF, and the lead bytes of U+0085, U+2028, U+2029 are
/// conservatively treated as stops).
#[inline]
fn run_end(v: &[u8], mut i: usize, stop: impl Fn(u8) -> bool) -> usize {
    while i < v.len() {
        let c = v[i];
        if stop(c) || matches!(c, b'\r' | b'\n' | 0xC2 | 0xE2) {
            break;
        }
        i += 1;
    }
    i
}

#[inline]
fn at(v: &[u8], i: usize) -> u8 {
    v.get(i).copied().unwrap_or(0)
}

#[inline]
fn is_break(v: &[u8], i: usize) -> bool {
    match at(v, i) {
        b'\r' | b'\n' => true,
        0xC2 => at(v, i + 1) == 0x85,
        0xE2 => at(v, i + 1) == 0x80 && matches!(at(v, i + 2), 0xA8 | 0xA9),
        _ => false,
    }
}

#[inline]
fn is_blank(v: &[u8], i: usize) -> bool {
    matches!(at(v, i), b' ' | b'\t')
}

#[inline]
fn is_blankz(v: &[u8], i: usize) -> bool {
    is_blank(v, i) || is_break(v, i) || at(v, i) == 0
}

/// yamlprivateh.go's `is_printable` (byte patterns, as in Go): LF, ASCII
/// 0x20–0x7E, U+00A0–U+D7FF, U+E000–U+FFFD except U+FEFF. Tab, CR, DEL, C1
/// controls and every non-BMP character are "not printable".
#[inline]
fn is_printable(v: &[u8], i: usize) -> bool {
    let c = at(v, i);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && at(v, i + 1) >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && at(v, i + 1) < 0xA0)
        || c == 0xEE
        || (c == 0xEF
            && !(at(v, i + 1) == 0xBB && at(v, i + 2) == 0xBF)
            && !(at(v, i + 1) == 0xBF && matches!(at(v, i + 2), 0xBE | 0xBF)))
}

fn analyze(s: &str) -> Analysis {
    let v = s.as_bytes();
    if v.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
            has_lf: false,
        };
    }
    let mut block_indicators = v.len() >= 3 && (v.starts_with(b"---") || v.starts_with(b"..."));
    let (mut line_breaks, mut special, mut has_lf) = (false, false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if i > 0 && (0x21..=0x7E).contains(&c) && c != b':' && c != b'#' {
            // Fast path: printable ASCII that is no indicator past the first
            // character only resets the "previous" flags.
            previous_space = false;
            previous_break = false;
            preceded_by_whitespace = false;
            i += 1;
            while i < v.len() && (0x21..=0x7E).contains(&v[i]) && v[i] != b':' && v[i] != b'#' {
                i += 1;
            }
            continue;
        }
        let w = width(c);
        let followed_by_whitespace = i + w >= v.len() || is_blank(v, i + w);
        if i == 0 {
            match c {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => block_indicators = true,
                b'?' | b':' | b'-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                b':' if followed_by_whitespace => block_indicators = true,
                b'#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(v, i) {
            special = true;
        }
        if c == b' ' {
            leading_space |= i == 0;
            trailing_space |= i + w == v.len();
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(v, i) {
            line_breaks = true;
            has_lf |= c == b'\n';
            leading_break |= i == 0;
            trailing_break |= i + w == v.len();
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(v, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
        has_lf,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Where go-yaml's reading of Go's JSON stops with an error.
enum ReadBack {
    /// "control characters are not allowed".
    Refused(char),
    /// "found unexpected document indicator".
    DocumentMarker,
}

/// Characters of Go's JSON-escaped form of `s` (Go >= 1.22 escapes).
fn json_escaped_chars(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            '\0'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            _ => 1,
        })
        .sum()
}

/// What go-yaml reads back from Go's JSON string for `s`: the folded string
/// when it differs from `s` (Go's JSON leaves U+0085 (NEL) raw, and inside a
/// quoted scalar go-yaml folds line breaks: one break becomes a space, n
/// breaks become n-1 newlines, blanks around them vanish), and the error
/// go-yaml would stop at, if any. The common case costs one pass over bytes.
fn read_back(s: &str) -> (Option<String>, Option<ReadBack>) {
    let v = s.as_bytes();
    if v.iter().all(|&b| b < 0x7F) {
        return (None, None);
    }
    let mut nel = false;
    let mut refused = None;
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            0x7F => refused = refused.or(Some('\u{7f}')),
            0xC2 => {
                let c2 = at(v, i + 1);
                if c2 == 0x85 {
                    nel = true;
                } else if (0x80..=0x9F).contains(&c2) {
                    refused = refused.or(char::from_u32(u32::from(c2)));
                }
            }
            0xEF if at(v, i + 1) == 0xBF && matches!(at(v, i + 2), 0xBE | 0xBF) => {
                let c = if at(v, i + 2) == 0xBE {
                    '\u{FFFE}'
                } else {
                    '\u{FFFF}'
                };
                refused = refused.or(Some(c));
            }
            _ => {}
        }
        i += width(v[i]);
    }
    let problem = refused.map(ReadBack::Refused);
    if !nel {
        return (None, problem);
    }
    let (folded, marker) = fold_quoted(s);
    (
        Some(folded),
        problem.or(marker.then_some(ReadBack::DocumentMarker)),
    )
}

/// yaml_parser_scan_flow_scalar over Go's JSON text of `s`: raw spaces are
/// blanks, raw U+0085 is a line break, escaped characters are content.
/// Also reports a `---`/`...` document marker at the start of a line.
fn fold_quoted(s: &str) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    let raw_blank = |c: char| c == ' ' || c == '\u{85}';
    let mut out = String::with_capacity(s.len());
    let mut marker = false;
    let mut i = 0;
    let mut column0 = false;
    loop {
        if column0 && i + 3 <= chars.len() {
            let three: String = chars[i..i + 3].iter().collect();
            if (three == "---" || three == "...") && chars.get(i + 3).is_some_and(|&c| raw_blank(c))
            {
                marker = true;
            }
        }
        while i < chars.len() && !raw_blank(chars[i]) {
            out.push(chars[i]);
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        let mut leading_blanks = false;
        let mut whitespaces = 0usize;
        let mut trailing_breaks = 0usize;
        while i < chars.len() && raw_blank(chars[i]) {
            if chars[i] == ' ' {
                if !leading_blanks {
                    whitespaces += 1;
                }
                column0 = false;
            } else {
                if !leading_blanks {
                    whitespaces = 0;
                    leading_blanks = true;
                } else {
                    trailing_breaks += 1;
                }
                column0 = true;
            }
            i += 1;
        }
        if leading_blanks {
            if trailing_breaks == 0 {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', trailing_breaks));
            }
        } else {
            out.extend(std::iter::repeat_n(' ', whitespaces));
        }
    }
    (out, marker)
}

/// Indices of the entries a Go map keeps: the last of each repeated key.
fn last_of_each(keys: &[Cow<'_, str>]) -> Vec<usize> {
    if keys.len() <= 32 {
        return (0..keys.len())
            .filter(|&i| !keys[i + 1..].iter().any(|k| *k == keys[i]))
            .collect();
    }
    let mut last = std::collections::HashMap::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        last.insert(k.as_ref(), i);
    }
    (0..keys.len())
        .filter(|&i| last[keys[i].as_ref()] == i)
        .collect()
}

impl<'n> Emitter<'_, 'n> {
    fn path_string(&self, last_key: Option<&str>) -> String {
        let mut p = String::new();
        let segs = self.path.iter().copied().chain(last_key.map(Seg::Key));
        for seg in segs {
            match seg {
                Seg::Key(k) => {
                    if k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c))
                        && !k.is_empty()
                    {
                        p.push('.');
                        p.push_str(k);
                    } else {
                        p.push_str(&format!("[{k:?}]"));
                    }
                }
                Seg::Index(n) => p.push_str(&format!("[{n}]")),
            }
        }
        if p.is_empty() {
            p.push('.');
        }
        p
    }

    /// The string go-yaml holds after reading Go's JSON of `s`.
    fn value_string<'s>(&self, s: &'s str) -> Result<Cow<'s, str>, YamlError> {
        let (folded, problem) = read_back(s);
        if self.strict {
            match problem {
                Some(ReadBack::Refused(ch)) => {
                    return Err(YamlError::ControlCharacter {
                        path: self.path_string(None),
                        ch,
                    })
                }
                Some(ReadBack::DocumentMarker) => {
                    return Err(YamlError::DocumentMarker {
                        path: self.path_string(None),
                    })
                }
                None => {}
            }
        }
        Ok(folded.map_or(Cow::Borrowed(s), Cow::Owned))
    }

    /// The key go-yaml holds after reading Go's JSON of `k`.
    fn key_string<'s>(&self, k: &'s str) -> Result<Cow<'s, str>, YamlError> {
        let (folded, problem) = read_back(k);
        if self.strict {
            let path = || self.path_string(Some(k));
            if let Some(ReadBack::Refused(ch)) = problem {
                return Err(YamlError::ControlCharacter { path: path(), ch });
            }
            if folded.is_some() {
                return Err(YamlError::LineBreakInKey { path: path() });
            }
            if k.len() > MAX_KEY_JSON_CHARS / 6 {
                let json_chars = json_escaped_chars(k);
                if json_chars > MAX_KEY_JSON_CHARS {
                    return Err(YamlError::KeyTooLong {
                        path: path(),
                        json_chars,
                    });
                }
            }
        }
        Ok(folded.map_or(Cow::Borrowed(k), Cow::Owned))
    }

    fn node(&mut self, node: &'n Node, mapping_context: bool) -> Result<(), YamlError> {
        match node {
            Node::Null => self.plain_word("null"),
            Node::Bool(true) => self.plain_word("true"),
            Node::Bool(false) => self.plain_word("false"),
            Node::Int(i) => {
                let mut buf = [0u8; 20];
                self.plain_word(super::json::fmt_i64(*i, &mut buf));
            }
            Node::Str(s) => {
                let s = self.value_string(s)?;
                let a = analyze(&s);
                self.string_scalar(&s, &a, false);
            }
            Node::Seq(items) => self.sequence(items, mapping_context)?,
            Node::Map(entries) => self.mapping(entries)?,
        }
        Ok(())
    }

    fn mapping(&mut self, entries: &'n [(String, Node)]) -> Result<(), YamlError> {
        if entries.is_empty() {
            self.flow_empty("{", "}");
            return Ok(());
        }
        let keys = entries
            .iter()
            .map(|(k, _)| self.key_string(k))
            .collect::<Result<Vec<_>, _>>()?;
        // go-yaml decodes into a Go map: a repeated key keeps its last value.
        let mut idx = last_of_each(&keys);
        let runes: Vec<Runes<'_>> = keys.iter().map(|k| Runes::new(k)).collect();
        keysort::sort_by(&mut idx, &|a, b| keysort::less(&runes[a], &runes[b]));

        let saved = self.indent;
        self.indent = if saved < 0 { 0 } else { saved + BEST_INDENT };
        for &i in &idx {
            let key: &str = &keys[i];
            let a = analyze(key);
            self.write_indent();
            if !a.multiline && key.len() <= MAX_SIMPLE_KEY_BYTES {
                self.string_scalar(key, &a, true);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.string_scalar(key, &a, false);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.path.push(Seg::Key(&entries[i].0));
            self.node(&entries[i].1, true)?;
            self.path.pop();
        }
        self.indent = saved;
        Ok(())
    }

    fn sequence(&mut self, items: &'n [Node], mapping_context: bool) -> Result<(), YamlError> {
        if items.is_empty() {
            self.flow_empty("[", "]");
            return Ok(());
        }
        let indentless = mapping_context && !self.indention;
        let saved = self.indent;
        self.indent = if saved < 0 {
            0
        } else if indentless {
            saved
        } else {
            saved + BEST_INDENT
        };
        for (n, item) in items.iter().enumerate() {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.path.push(Seg::Index(n));
            self.node(item, false)?;
            self.path.pop();
        }
        self.indent = saved;
        Ok(())
    }

    /// An empty mapping or sequence: a flow collection opened and closed.
    fn flow_empty(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    /// null, booleans and integers: plain, never folded (no spaces).
    fn plain_word(&mut self, word: &str) {
        if !self.whitespace {
            self.put(b' ');
        }
        self.out.push_str(word);
        self.column += word.len();
        self.whitespace = false;
        self.indention = false;
    }

    /// encode.go's `stringv` plus emitterc.go's `select_scalar_style` and
    /// `process_scalar`, for a string in block context.
    fn string_scalar(&mut self, s: &str, a: &Analysis, simple_key: bool) {
        let mut style = if a.has_lf {
            Style::Literal
        } else if can_use_plain(s) {
            Style::Plain
        } else {
            Style::Double
        };
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        let saved = self.indent;
        self.indent = if saved < 0 {
            BEST_INDENT
        } else {
            saved + BEST_INDENT
        };
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single_quoted(s, allow_breaks),
            Style::Double => self.write_double_quoted(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.indent = saved;
    }

    // ---- emitterc.go's writers ----

    #[inline]
    fn put(&mut self, b: u8) {
        self.out.push_byte(b);
        self.column += 1;
    }

    #[inline]
    fn put_break(&mut self) {
        self.out.push_byte(b'\n');
        self.column = 0;
    }

    /// Copies the character at `*i`.
    #[inline]
    fn write(&mut self, s: &str, i: &mut usize) {
        let w = width(s.as_bytes()[*i]);
        self.out.push_str(&s[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    /// Copies the characters from `*i` to `end` (a run `write` would copy one
    /// by one with no other effect).
    #[inline]
    fn write_run(&mut self, s: &str, i: &mut usize, end: usize) {
        if end > *i {
            self.out.push_str(&s[*i..end]);
            self.column += chars_in(&s.as_bytes()[*i..end]);
            *i = end;
        }
    }

    /// Copies the line break at `*i` (LF as the emitter's line break).
    fn write_break(&mut self, s: &str, i: &mut usize) {
        if s.as_bytes()[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        self.out.push_str(indicator);
        self.column += indicator.len();
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        if !self.whitespace {
            self.put(b' ');
        }
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < v.len() {
            if v[i] == b' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && at(v, i + 1) != b' ' {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(s, &mut i);
                let end = run_end(v, i, |c| c == b' ');
                self.write_run(s, &mut i, end);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < v.len() {
            if v[i] == b' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < v.len() - 1
                    && at(v, i + 1) != b' '
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if v[i] == b'\'' {
                    self.put(b'\'');
                }
                self.write(s, &mut i);
                let end = run_end(v, i, |c| c == b' ' || c == b'\'');
                self.write_run(s, &mut i, end);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, s: &str, allow_breaks: bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let v = s.as_bytes();
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        // is_bom(value, i) looks at the value's first bytes, not at i: a value
        // starting with U+FEFF has every character escaped.
        let bom = v.starts_with(b"\xEF\xBB\xBF");
        let mut i = 0;
        while i < v.len() {
            let c = v[i];
            if bom || !is_printable(v, i) || is_break(v, i) || c == b'"' || c == b'\\' {
                let w = width(c);
                let ch = s[i..i + w].chars().next().map_or(0, u32::from);
                i += w;
                self.put(b'\\');
                let short = match ch {
                    0x00 => Some(b'0'),
                    0x07 => Some(b'a'),
                    0x08 => Some(b'b'),
                    0x09 => Some(b't'),
                    0x0A => Some(b'n'),
                    0x0B => Some(b'v'),
                    0x0C => Some(b'f'),
                    0x0D => Some(b'r'),
                    0x1B => Some(b'e'),
                    0x22 => Some(b'"'),
                    0x5C => Some(b'\\'),
                    0x85 => Some(b'N'),
                    0xA0 => Some(b'_'),
                    0x2028 => Some(b'L'),
                    0x2029 => Some(b'P'),
                    _ => None,
                };
                match short {
                    Some(e) => self.put(e),
                    None => {
                        let (marker, digits) = if ch <= 0xFF {
                            (b'x', 2)
                        } else if ch <= 0xFFFF {
                            (b'u', 4)
                        } else {
                            (b'U', 8)
                        };
                        self.put(marker);
                        for k in (0..digits).rev() {
                            self.put(HEX[((ch >> (4 * k)) & 0xF) as usize]);
                        }
                    }
                }
                spaces = false;
            } else if c == b' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < v.len() - 1 {
                    self.write_indent();
                    if at(v, i + 1) == b' ' {
                        self.put(b'\\');
                    }
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else {
                self.write(s, &mut i);
                if !bom {
                    // Printable ASCII other than space, quote and backslash.
                    let end = run_end(v, i, |c| {
                        !(0x21..=0x7E).contains(&c) || c == b'"' || c == b'\\'
                    });
                    self.write_run(s, &mut i, end);
                }
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_block_scalar_hints(&mut self, v: &[u8]) {
        if at(v, 0) == b' ' || is_break(v, 0) {
            self.write_indicator("2", false, false, false);
        }
        let chomp = if v.is_empty() {
            Some("-")
        } else {
            let mut i = v.len() - 1;
            while v[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(v, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                i -= 1;
                while v[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                is_break(v, i).then_some("+")
            }
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }

    fn write_literal(&mut self, s: &str) {
        let v = s.as_bytes();
        self.write_indicator("|", true, false, false);
        self.write_block_scalar_hints(v);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < v.len() {
            if is_break(v, i) {
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(s, &mut i);
                let end = run_end(v, i, |_| false);
                self.write_run(s, &mut i, end);
                self.indention = false;
                breaks = false;
            }
        }
    }
}
