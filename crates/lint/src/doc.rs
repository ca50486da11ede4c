//! A small position-aware document tree over saphyr-parser's event stream.
//!
//! serde_yaml keeps no node positions, so `check` builds its own minimal tree: one
//! document at a time (memory stays bounded by the largest document), every node
//! with the 1-based line and column where it starts. JSON streams (kubeseal's
//! `--format json` prints objects back to back, which is not one YAML stream) are
//! split into top-level values first and each value is parsed with the same parser,
//! its positions shifted back to the file's coordinates.
//!
//! Why not the core's `manifest` tree: `check` must keep going after an error
//! (report it with its position, judge the documents before it), borrow long
//! base64 values instead of copying them (the fast path below), and read any
//! YAML, not only what kubeseal's decoder accepts, so it builds on saphyr's
//! events. What a plain scalar means is not decided here: the resolver is the
//! core's `kubeseal_core::goyaml`, the same one the reader and emitter use.

use std::borrow::Cow;
use std::collections::HashMap;

use kubeseal_core::goyaml::{resolve_plain, Resolved};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError};

/// A 1-based line and column (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

/// What a scalar node resolves to under the YAML 1.1 rules Kubernetes' decoder
/// (go-yaml v2 through sigs.k8s.io/yaml) applies to plain scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    Str,
    Null,
    Bool,
    Int,
    Float,
}

/// One node of a document.
#[derive(Debug, Clone)]
pub(crate) enum Node<'a> {
    Scalar {
        value: Cow<'a, str>,
        kind: ScalarKind,
        pos: Pos,
    },
    Map {
        entries: Vec<(Node<'a>, Node<'a>)>,
        pos: Pos,
    },
    Seq {
        items: Vec<Node<'a>>,
        pos: Pos,
    },
}

impl<'a> Node<'a> {
    /// Where the node starts.
    pub fn pos(&self) -> Pos {
        match self {
            Node::Scalar { pos, .. } | Node::Map { pos, .. } | Node::Seq { pos, .. } => *pos,
        }
    }

    /// The scalar's text when it is a string (plain scalars that resolve to null,
    /// bool or a number are not strings).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar {
                value,
                kind: ScalarKind::Str,
                ..
            } => Some(value),
            _ => None,
        }
    }

    /// The scalar's text whatever it resolves to (for keys and names).
    pub fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// True for a null scalar (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(
            self,
            Node::Scalar {
                kind: ScalarKind::Null,
                ..
            }
        )
    }

    /// The mapping entry whose key's text is `key` (the last one, as decoders keep).
    pub fn get(&self, key: &str) -> Option<(&Node<'a>, &Node<'a>)> {
        match self {
            Node::Map { entries, .. } => entries
                .iter()
                .rev()
                .find(|(k, _)| k.text() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn value(&self, key: &str) -> Option<&Node<'a>> {
        self.get(key).map(|(_, v)| v)
    }

    /// The string under `key` in a mapping.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Node::text)
    }

    /// A short description of the node's type with its article, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Scalar { kind, .. } => match kind {
                ScalarKind::Str => "a string",
                ScalarKind::Null => "null",
                ScalarKind::Bool => "a boolean",
                ScalarKind::Int => "an integer",
                ScalarKind::Float => "a number",
            },
            Node::Map { .. } => "a mapping",
            Node::Seq { .. } => "a sequence",
        }
    }
}

/// A parse failure at a position; the message is the parser's own (or the alias
/// budget's) and never quotes the input.
#[derive(Debug, Clone)]
pub(crate) struct ParseFailure {
    pub pos: Pos,
    pub message: String,
    /// True when the input parsed but expanding its aliases would exceed
    /// [`MAX_ALIAS_NODES`] / [`MAX_ALIAS_BYTES`] ("billion laughs").
    pub alias_budget: bool,
}

/// Most nodes one input may produce by expanding aliases: the budget the manifest
/// reader applies (`manifest::MAX_ALIAS_NODES`). Checked before an alias is copied,
/// so a "billion laughs" input stops after copying at most this many nodes.
pub(crate) const MAX_ALIAS_NODES: usize = 10_000;
/// Most scalar bytes one input may copy by expanding aliases: a node budget alone
/// lets one anchored 1 MiB scalar be copied 10,000 times.
pub(crate) const MAX_ALIAS_BYTES: usize = 16 << 20;

/// What expanding aliases may still copy in one input (one file, or stdin).
#[derive(Debug, Clone, Copy)]
struct AliasBudget {
    nodes: usize,
    bytes: usize,
}

impl AliasBudget {
    fn new() -> Self {
        AliasBudget {
            nodes: MAX_ALIAS_NODES,
            bytes: MAX_ALIAS_BYTES,
        }
    }

    /// Takes `size` from the budget, or says it is spent.
    fn take(&mut self, size: NodeSize) -> bool {
        match (
            self.nodes.checked_sub(size.nodes),
            self.bytes.checked_sub(size.bytes),
        ) {
            (Some(n), Some(b)) => {
                (self.nodes, self.bytes) = (n, b);
                true
            }
            _ => false,
        }
    }
}

/// Nodes and scalar bytes of a subtree (what copying it for an alias costs).
#[derive(Debug, Clone, Copy, Default)]
struct NodeSize {
    nodes: usize,
    bytes: usize,
}

fn node_size(node: &Node<'_>) -> NodeSize {
    let mut size = NodeSize::default();
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        size.nodes += 1;
        match n {
            Node::Scalar { value, .. } => size.bytes += value.len(),
            Node::Map { entries, .. } => todo.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            Node::Seq { items, .. } => todo.extend(items.iter()),
        }
    }
    size
}

/// Calls `on_doc` for every document in `text` in order, and returns the first
/// parse failure (documents before it have been delivered).
pub(crate) fn for_each_document<'a>(
    text: &'a str,
    mut on_doc: impl FnMut(Node<'a>),
) -> Result<(), ParseFailure> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = body.trim_start_matches([' ', '\t', '\r', '\n']);
    // One budget for the whole input: aliases in later documents (or JSON-stream
    // chunks, which may be flow YAML) draw on what earlier ones left.
    let mut budget = AliasBudget::new();
    if first.starts_with('{') || first.starts_with('[') {
        // A JSON stream: split top-level values, parse each at its offset.
        for chunk in split_json_values(text) {
            let offset = Offset {
                line: chunk.line - 1,
                col: chunk.col,
            };
            parse_stream(chunk.text, offset, None, &mut budget, &mut on_doc)
                .map_err(Stop::into_failure)?;
        }
        return Ok(());
    }
    if let Some(fast) = Shortcut::build(text) {
        // Parse the shortened text; deliver only if it parsed exactly like the
        // original would have (no error, no token left inside another scalar).
        // A spent budget falls back too, so the plain parse reports it.
        let mut docs = Vec::new();
        let mut fast_budget = AliasBudget::new();
        if parse_stream(
            &fast.text,
            Offset::default(),
            Some(&fast),
            &mut fast_budget,
            &mut |d| docs.push(d),
        )
        .is_ok()
        {
            docs.into_iter().for_each(on_doc);
            return Ok(());
        }
    }
    parse_stream(text, Offset::default(), None, &mut budget, &mut on_doc)
        .map_err(Stop::into_failure)
}

/// The fast path. Most of a SealedSecret's bytes are long base64 values on lines
/// of the form `  KEY: VALUE`, and the parser spends its time copying them char
/// by char. The shortcut replaces each such value by a one-character token
/// (same line, same start column, nothing after it), parses that, and puts the
/// original text back (borrowed, no copy). Whenever the token shows up anywhere
/// else (inside a block or quoted scalar, a multi-line plain scalar) or the
/// parser reports an error, the caller parses the original text instead, so
/// results and positions are always those of the plain parse.
struct Shortcut<'a> {
    text: String,
    /// 1-based line → (0-based column of the value, the original value).
    values: HashMap<usize, (usize, &'a str)>,
}

/// The replacement: a private-use character, a valid plain scalar by itself.
const TOKEN: char = '\u{e000}';
const TOKEN_STR: &str = "\u{e000}";
/// Values shorter than this are left to the parser.
const MIN_SHORTCUT: usize = 64;

/// The base64 alphabet plus padding, as a lookup table.
const B64: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=';
        i += 1;
    }
    t
};

impl<'a> Shortcut<'a> {
    fn build(text: &'a str) -> Option<Shortcut<'a>> {
        // U+E000 is EE 80 80 in UTF-8: look for the lead byte first (memchr).
        if text.as_bytes().contains(&0xee) && text.contains(TOKEN) {
            return None;
        }
        let mut out = String::with_capacity(text.len() / 2);
        let mut values = HashMap::new();
        let mut rest = text;
        let mut line = 1;
        while !rest.is_empty() {
            let (l, next) = match rest.find('\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            };
            match Self::value_range(l) {
                Some((start, end)) => {
                    out.push_str(&l[..start]);
                    out.push(TOKEN);
                    out.push_str(&l[end..]);
                    values.insert(line, (start, &l[start..end]));
                }
                None => out.push_str(l),
            }
            if rest.len() > l.len() {
                out.push('\n');
            }
            rest = next;
            line += 1;
        }
        if values.is_empty() {
            None
        } else {
            Some(Shortcut { text: out, values })
        }
    }

    /// `spaces KEY: spaces BASE64 spaces [\r]` → the byte range of BASE64.
    fn value_range(line: &str) -> Option<(usize, usize)> {
        let b = line.as_bytes();
        let mut i = b.iter().take_while(|&&c| c == b' ').count();
        let key_start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'-')) {
            i += 1;
        }
        if i == key_start || b[key_start] == b'-' || b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
        if spaces == 0 {
            return None;
        }
        let start = i + spaces;
        let len = b[start..]
            .iter()
            .take_while(|&&c| B64[usize::from(c)])
            .count();
        let end = start + len;
        let tail_ok = b[end..]
            .iter()
            .enumerate()
            .all(|(k, &c)| c == b' ' || (c == b'\r' && end + k == b.len() - 1));
        (len >= MIN_SHORTCUT && tail_ok).then_some((start, end))
    }
}

/// Why a parse stopped early.
enum Stop {
    Failure(ParseFailure),
    /// The shortcut does not apply to this text.
    Fallback,
}

impl Stop {
    fn into_failure(self) -> ParseFailure {
        match self {
            Stop::Failure(f) => f,
            Stop::Fallback => unreachable!("fallback only happens with a shortcut"),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Offset {
    /// Lines before the chunk.
    line: usize,
    /// Columns (0-based) before the chunk on its first line.
    col: usize,
}

impl Offset {
    fn pos(self, m: &Marker) -> Pos {
        let line = m.line() + self.line;
        let col = if m.line() == 1 {
            m.col() + self.col
        } else {
            m.col()
        };
        Pos { line, col: col + 1 }
    }
}

enum Frame<'a> {
    Map {
        entries: Vec<(Node<'a>, Node<'a>)>,
        pending_key: Option<Node<'a>>,
        pos: Pos,
        anchor: usize,
    },
    Seq {
        items: Vec<Node<'a>>,
        pos: Pos,
        anchor: usize,
    },
}

/// Parses `text` (the original, or a shortcut's shortened copy whose scalars are
/// mapped back to the original `'a` text) and delivers each document.
fn parse_stream<'a>(
    text: &str,
    offset: Offset,
    shortcut: Option<&Shortcut<'a>>,
    budget: &mut AliasBudget,
    on_doc: &mut impl FnMut(Node<'a>),
) -> Result<(), Stop> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame<'a>> = Vec::new();
    let mut root: Option<Node<'a>> = None;
    let mut anchors: HashMap<usize, (Node<'a>, NodeSize)> = HashMap::new();
    let fail = |e: ScanError| match shortcut {
        Some(_) => Stop::Fallback,
        None => Stop::Failure(ParseFailure {
            pos: offset.pos(e.marker()),
            message: e.info().to_string(),
            alias_budget: false,
        }),
    };
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(fail)?;
        let pos = offset.pos(&span.start);
        let done: Option<(Node<'a>, usize)> = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing => None,
            Event::DocumentStart(_) => {
                root = None;
                anchors.clear();
                None
            }
            Event::DocumentEnd => {
                if let Some(doc) = root.take() {
                    on_doc(doc);
                }
                None
            }
            Event::Alias(id) => {
                // An alias stands for the anchored node (as decoders expand it),
                // paid for from the budget before it is copied; an unknown anchor
                // is reported by the parser itself.
                match anchors.get(&id) {
                    Some((node, size)) => {
                        if !budget.take(*size) {
                            return Err(match shortcut {
                                Some(_) => Stop::Fallback,
                                None => Stop::Failure(ParseFailure {
                                    pos,
                                    message: format!(
                                        "expanding aliases would copy more than {MAX_ALIAS_NODES} nodes or {} MiB (a \"billion laughs\" input); expand the aliases by hand",
                                        MAX_ALIAS_BYTES >> 20
                                    ),
                                    alias_budget: true,
                                }),
                            });
                        }
                        Some((node.clone(), 0))
                    }
                    None => None,
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.as_deref().map(|t| t.suffix.as_str());
                let value: Cow<'a, str> = match shortcut {
                    None => Cow::Owned(value.into_owned()),
                    Some(sc) if value.contains(TOKEN) => match sc.values.get(&span.start.line()) {
                        Some(&(col, original))
                            if value == TOKEN_STR
                                && style == ScalarStyle::Plain
                                && tag.is_none()
                                && span.start.col() == col =>
                        {
                            Cow::Borrowed(original)
                        }
                        _ => return Err(Stop::Fallback),
                    },
                    Some(_) => Cow::Owned(value.into_owned()),
                };
                let kind = resolve(&value, style, tag);
                Some((Node::Scalar { value, kind, pos }, anchor))
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    pos,
                    anchor,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, pos, anchor }) => Some((Node::Seq { items, pos }, anchor)),
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    pos,
                    anchor,
                    ..
                }) => Some((Node::Map { entries, pos }, anchor)),
                _ => None,
            },
        };
        if let Some((node, anchor)) = done {
            if anchor != 0 {
                let size = node_size(&node);
                anchors.insert(anchor, (node.clone(), size));
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    pending_key,
                    ..
                }) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(key) => entries.push((key, node)),
                },
            }
        }
    }
    Ok(())
}

/// What a scalar is for `check`: quoted and block scalars are strings; a tag
/// decides for tagged ones; plain ones resolve by go-yaml v2's rules (the core's
/// one resolver, [`kubeseal_core::goyaml::resolve_plain`]).
fn resolve(value: &str, style: ScalarStyle, tag: Option<&str>) -> ScalarKind {
    if let Some(tag) = tag {
        return match tag {
            "null" => ScalarKind::Null,
            "bool" => ScalarKind::Bool,
            "int" => ScalarKind::Int,
            "float" => ScalarKind::Float,
            _ => ScalarKind::Str,
        };
    }
    if style != ScalarStyle::Plain {
        return ScalarKind::Str;
    }
    match resolve_plain(value) {
        Resolved::Str => ScalarKind::Str,
        Resolved::Null => ScalarKind::Null,
        Resolved::Bool(_) => ScalarKind::Bool,
        Resolved::Int(_) | Resolved::Uint(_) => ScalarKind::Int,
        Resolved::Float(_) => ScalarKind::Float,
    }
}

struct Chunk<'a> {
    text: &'a str,
    /// 1-based line of the chunk's first character.
    line: usize,
    /// 0-based column (in characters) of the chunk's first character.
    col: usize,
}

/// Splits a stream of JSON values (`{...}\n{...}`) into top-level values, tracking
/// strings and escapes. Whatever cannot be split (unbalanced input, stray text)
/// ends up in the last chunk for the parser to report.
fn split_json_values(text: &str) -> Vec<Chunk<'_>> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut line_start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\n' => {
                i += 1;
                line += 1;
                line_start = i;
            }
            _ if text[i..].starts_with('\u{feff}') && i == 0 => i += 3,
            b'{' | b'[' => {
                let start = i;
                let (start_line, col) = (line, text[line_start..start].chars().count());
                let mut depth = 0usize;
                let mut in_str = false;
                let mut escaped = false;
                while i < bytes.len() {
                    let b = bytes[i];
                    i += 1;
                    if b == b'\n' {
                        line += 1;
                        line_start = i;
                    }
                    if in_str {
                        if escaped {
                            escaped = false;
                        } else if b == b'\\' {
                            escaped = true;
                        } else if b == b'"' {
                            in_str = false;
                        }
                        continue;
                    }
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                chunks.push(Chunk {
                    text: &text[start..i],
                    line: start_line,
                    col,
                });
            }
            _ => {
                let col = text[line_start..i].chars().count();
                chunks.push(Chunk {
                    text: &text[i..],
                    line,
                    col,
                });
                break;
            }
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> (Vec<Node<'_>>, Option<ParseFailure>) {
        let mut out = Vec::new();
        let err = for_each_document(text, |d| out.push(d)).err();
        (out, err)
    }

    #[test]
    fn positions_are_one_based_and_point_at_the_value() {
        let (d, err) = docs("a: 1\nb:\n  c: hello\n");
        assert!(err.is_none());
        let c = d[0].value("b").unwrap().value("c").unwrap();
        assert_eq!(c.pos(), Pos { line: 3, col: 6 });
        assert_eq!(c.as_str(), Some("hello"));
        assert_eq!(d[0].value("a").unwrap().as_str(), None);
    }

    #[test]
    fn json_streams_are_split_and_positions_shifted() {
        let text = "{\n  \"a\": \"x\"\n}\n  {\"b\": {\"c\": \"y\"}}\n";
        let (d, err) = docs(text);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].value("a").unwrap().pos(), Pos { line: 2, col: 8 });
        let c = d[1].value("b").unwrap().value("c").unwrap();
        assert_eq!(c.as_str(), Some("y"));
        // `  {"b": {"c": "y"}}` : the value "y" starts at column 15.
        assert_eq!(c.pos(), Pos { line: 4, col: 15 });
    }

    #[test]
    fn tab_indented_and_compact_json_parse() {
        let (d, err) = docs("{\n\t\"a\": {\n\t\t\"b\": \"x\"\n\t}\n}\n");
        assert!(err.is_none(), "{err:?}");
        let b = d[0].value("a").unwrap().value("b").unwrap();
        assert_eq!((b.as_str(), b.pos()), (Some("x"), Pos { line: 3, col: 8 }));
        let (d, err) = docs("[{\"kind\":\"List\"},{\"k\":[1,2]}]");
        assert!(err.is_none(), "{err:?}");
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn parse_errors_carry_a_position() {
        let (d, err) = docs("a: 1\n---\nb: [1, 2\nc: 3\n");
        assert_eq!(d.len(), 1);
        let err = err.unwrap();
        assert!(err.pos.line >= 3, "{err:?}");
    }

    #[test]
    fn plain_scalars_resolve_like_go_yaml_v2() {
        for (s, k) in [
            ("yes", ScalarKind::Bool),
            ("~", ScalarKind::Null),
            ("0x1F", ScalarKind::Int),
            ("1_000", ScalarKind::Int),
            ("1e3", ScalarKind::Float),
            ("-.inf", ScalarKind::Float),
            ("AgBy3i4OJSWK", ScalarKind::Str),
            ("123abc", ScalarKind::Str),
            ("nan", ScalarKind::Str),
            ("08", ScalarKind::Float),
            ("0b-101", ScalarKind::Int),
            (".5_5", ScalarKind::Float),
            ("1e400", ScalarKind::Str),
            ("1_0.5", ScalarKind::Float),
        ] {
            assert_eq!(resolve(s, ScalarStyle::Plain, None), k, "{s}");
        }
        assert_eq!(
            resolve("yes", ScalarStyle::DoubleQuoted, None),
            ScalarKind::Str
        );
    }

    fn slow(text: &str) -> (String, Option<String>) {
        let mut out = Vec::new();
        let err = parse_stream(
            text,
            Offset::default(),
            None,
            &mut AliasBudget::new(),
            &mut |d| out.push(d),
        )
        .err()
        .map(|e| format!("{:?}", e.into_failure()));
        (format!("{out:?}"), err)
    }

    fn fast(text: &str) -> (String, Option<String>) {
        let (d, err) = docs(text);
        (format!("{d:?}"), err.map(|e| format!("{e:?}")))
    }

    #[test]
    fn the_shortcut_parses_exactly_like_the_parser() {
        let b64 = "AgB".to_string() + &"x9+/".repeat(40) + "==";
        let digits = "1".repeat(80);
        let cases = [
            format!("kind: SealedSecret\nspec:\n  encryptedData:\n    A: {b64}\n    B_2.x-y: {b64}   \n  template: {{}}\n"),
            format!("a: |\n  KEY: {b64}\n  more\nb: 1\n"),
            format!("a: >\n  KEY: {b64}\nb: 1\n"),
            format!("a: \"first\n  KEY: {b64}\"\n"),
            format!("a: 'first\n  KEY: {b64}'\n"),
            format!("a: word\n  KEY: {b64}\n"),
            format!("m: {{\n  KEY: {b64}\n}}\n"),
            format!("a: 1\r\nKEY: {b64}\r\nb: 2\r\n"),
            format!("KEY: {b64} # comment\nK2: {b64}\n"),
            format!("KEY: {b64}\n---\nK: {b64}\nbroken: [1, 2\n"),
            format!("N: {digits}\n"),
            format!("T: {}\nK: {b64}\n", TOKEN),
            format!("- KEY: {b64}\n- K: {b64}\n"),
            format!("KEY: {b64}"),
            format!("KEY:  {b64}\nother: [{b64}]\n"),
        ];
        for text in &cases {
            assert_eq!(fast(text), slow(text), "{text}");
        }
        // The shortcut did apply (no fallback) to the plain cases, and not to the others.
        for (i, text) in cases.iter().enumerate() {
            let delivered = Shortcut::build(text).is_some_and(|sc| {
                parse_stream(
                    &sc.text,
                    Offset::default(),
                    Some(&sc),
                    &mut AliasBudget::new(),
                    &mut |_| {},
                )
                .is_ok()
            });
            assert_eq!(delivered, [0, 6, 7, 8, 10, 13, 14].contains(&i), "case {i}");
        }
        assert!(Shortcut::build(&cases[11]).is_none());
        let (d, _) = docs(&cases[0]);
        let a = d[0]
            .value("spec")
            .unwrap()
            .value("encryptedData")
            .unwrap()
            .value("A")
            .unwrap();
        assert_eq!(a.as_str(), Some(b64.as_str()));
        assert_eq!(a.pos(), Pos { line: 4, col: 8 });
    }

    proptest::proptest! {
        /// Random mixes of shortcut-able lines with constructs that must defeat
        /// the shortcut parse exactly like the plain parse (or fall back to it).
        #[test]
        fn the_shortcut_never_changes_results(
            lines in proptest::collection::vec((0usize..12, 0usize..4, 60usize..140), 1..14)
        ) {
            let mut text = String::new();
            for (kind, indent, len) in lines {
                let pad = " ".repeat(indent * 2);
                let b64: String = "Ag+/9z".chars().cycle().take(len).collect();
                let line = match kind {
                    0..=3 => format!("{pad}KEY{kind}: {b64}"),
                    4 => format!("{pad}block: |"),
                    5 => format!("{pad}folded: >-"),
                    6 => format!("{pad}q: \"start"),
                    7 => format!("{pad}# KEY: {b64}"),
                    8 => "---".to_string(),
                    9 => format!("{pad}- KEY: {b64}"),
                    10 => format!("{pad}KEY: {b64}\r"),
                    _ => format!("{pad}flow: {{"),
                };
                text.push_str(&line);
                text.push('\n');
            }
            proptest::prop_assert_eq!(fast(&text), slow(&text), "{}", text);
        }
    }

    fn aliased(uses: usize) -> String {
        let items = vec!["x"; 99].join(", ");
        let aliases = vec!["*a"; uses].join(", ");
        format!("anchor: &a [{items}]\nuses: [{aliases}]\n")
    }

    #[test]
    fn alias_expansion_budget_is_exact_and_shared_by_documents() {
        // An anchored sequence of 99 scalars is 100 nodes: 100 uses copy exactly
        // the budget; one more use is refused at its alias, before it is copied.
        let exact = aliased(MAX_ALIAS_NODES / 100);
        let (d, err) = docs(&exact);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(d.len(), 1);
        let (_, err) = docs(&aliased(MAX_ALIAS_NODES / 100 + 1));
        let err = err.expect("over budget");
        assert!(err.alias_budget && err.pos.line == 2, "{err:?}");
        // Documents of one file share the budget.
        let half = aliased(MAX_ALIAS_NODES / 200 + 1);
        let two = format!("{half}---\n{half}");
        let (d, err) = docs(&two);
        assert_eq!(d.len(), 1);
        assert!(err.is_some_and(|e| e.alias_budget));
        // Copied scalar bytes are paid for too.
        let big = "v".repeat(MAX_ALIAS_BYTES / 4 + 1);
        let (_, err) = docs(&format!("a: &a {big}\nb: [*a, *a, *a, *a]\n"));
        assert!(err.is_some_and(|e| e.alias_budget));
    }

    #[test]
    fn aliases_expand_to_the_anchored_node() {
        let (d, _) = docs("a: &x hello\nb: *x\n");
        assert_eq!(d[0].value("b").unwrap().as_str(), Some("hello"));
    }
}
