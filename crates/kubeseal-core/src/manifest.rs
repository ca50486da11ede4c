//! Reading Kubernetes objects the way kubeseal does, with clear errors where kubeseal
//! would silently misread.
//!
//! kubeseal reads its input with apimachinery's `yaml.NewYAMLOrJSONDecoder`:
//! - If the first non-space character (within 4096 bytes) is `{`, the input is a
//!   stream of JSON objects (Go `encoding/json`), one after the other; if the first one
//!   fails to decode, the whole input is read as YAML instead.
//! - Otherwise the input is YAML, cut into documents at lines that *start* with `---`
//!   (anything after it but spaces or a `#` comment is an error); `\r\n` becomes `\n`.
//!   Each document goes through sigs.k8s.io/yaml: go-yaml v2 (YAML 1.1) into generic
//!   values, then to JSON, then into the Go struct.
//! - Empty documents (nothing, or only comments, or `{}`) are skipped.
//!
//! YAML 1.1 (kubeseal) and YAML 1.2 (most other tools, serde_yaml) read some unquoted
//! scalars differently, and sigs.k8s.io/yaml then turns a non-string into text when
//! the Go field is a string. So kubeseal reads `enabled: yes` as `"true"`, `v: 1.10` as
//! `"1.1"`, `pin: 0123` as `"83"` (octal), `n: 1_000` as `"1000"`, `x: 0x1F` as
//! `"31"`, `k: 1e3` as `"1000"`, `f: 3.14159265` as `"3.1415927"` (float32!), `y: ~`
//! as `""`. This module parses YAML with libyaml (go-yaml v2 is a port of it, so the
//! syntax accepted is the same) keeping each scalar's style, resolves unquoted
//! scalars exactly as go-yaml v2 does, and where kubeseal's text would differ from
//! what is written it refuses the input, naming file, line and field, and asks for
//! quotes. Where both agree (`true`, `123`, `1.5`, `null` → `""`) it reads the same
//! value as kubeseal.
//!
//! Other deliberate differences from kubeseal, all errors instead of silent surprises:
//! objects of another kind (kubeseal decodes a ConfigMap as a Secret), field names
//! in the wrong case (Go's JSON matches `Data` to `data`), duplicate keys (last one
//! wins in Go), YAML merge keys `<<`, explicit tags other than `!!str`, non-UTF-8
//! input. `kind: List` (what `kubectl get -o yaml` prints) is read item by item.
//!
//! Error messages name the origin, the line and the field; they never contain a
//! value (only keys, kinds and API versions).

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use zeroize::Zeroizing;

use crate::envfile::check_secret_key;
use crate::secret::{
    Format, Layout, ObjectMeta, SealedSecret, Secret, SecretBytes, SecretTemplate,
};

/// Most nodes (after alias expansion) one input may produce.
const MAX_NODES: usize = 1_000_000;
/// Most nodes one input may produce by expanding aliases. Checked before an alias is
/// copied, so a "billion laughs" input is refused after copying at most this many
/// nodes (about a millisecond), not after building [`MAX_NODES`]. A Secret has no
/// use for more: go-yaml's own alias-ratio limit keeps far larger expansions legal,
/// but no real manifest comes near this.
const MAX_ALIAS_NODES: usize = 10_000;
/// Most scalar bytes one input may copy by expanding aliases: the node budget alone
/// lets one anchored 1 MiB scalar be copied 10,000 times (10 GiB from a 1 MiB file).
const MAX_ALIAS_BYTES: usize = 16 << 20;
/// Deepest nesting accepted (serde_json's own limit is 128).
const MAX_DEPTH: usize = 128;

// ------------------------------------------------------------------ the tree

/// One document of a manifest stream, parsed but not yet interpreted.
#[derive(Debug, Clone)]
pub struct Document {
    /// 1-based number among the non-empty documents of the stream.
    pub number: usize,
    /// The document's root node.
    pub root: Node,
}

/// A parsed YAML or JSON value with its position, so callers (the reader here, and
/// `check`) can point at the exact line and column.
#[derive(Debug, Clone)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line in the whole input.
    pub line: usize,
    /// 1-based column (in characters for YAML, bytes for JSON).
    pub column: usize,
}

/// A node's value.
#[derive(Debug, Clone)]
pub enum Value {
    /// A scalar.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, keys in input order.
    Map(Vec<(Node, Node)>),
}

/// A scalar, as written and as kubeseal's decoder would see it.
#[derive(Debug, Clone)]
pub enum Scalar {
    /// A string that cannot be anything else: quoted or block YAML, `!!str`, a JSON string.
    Str(Zeroizing<String>),
    /// An unquoted YAML scalar: its text and what go-yaml v2 (YAML 1.1) resolves it to.
    Plain {
        /// The text as written.
        text: Zeroizing<String>,
        /// go-yaml v2's reading.
        resolved: Resolved,
    },
    /// JSON `null`.
    JsonNull,
    /// JSON `true` / `false`.
    JsonBool(bool),
    /// A JSON number, as written.
    JsonNumber(String),
}

/// What go-yaml v2's `resolve` makes of an unquoted scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved {
    /// A string (the text itself; timestamps included, as go-yaml v2 keeps them).
    Str,
    /// `~`, `null`, `Null`, `NULL` or nothing.
    Null,
    /// `true`/`yes`/`on`/`y`... or `false`/`no`/`off`/`n`... in their accepted spellings.
    Bool(bool),
    /// An integer (decimal, `0x`, `0o`, `0b`, leading-zero octal, `_` ignored).
    Int(i64),
    /// An integer above `i64::MAX`.
    Uint(u64),
    /// A float (including `.inf`, `.nan`).
    Float(f64),
}

impl Resolved {
    fn type_name(self) -> &'static str {
        match self {
            Resolved::Str => "a string",
            Resolved::Null => "null",
            Resolved::Bool(_) => "a boolean",
            Resolved::Int(_) | Resolved::Uint(_) => "an integer",
            Resolved::Float(_) => "a float",
        }
    }
}

impl Node {
    fn map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// True for `null` / `~` / an empty scalar (YAML) and JSON `null`.
    pub fn is_null(&self) -> bool {
        matches!(
            &self.value,
            Value::Scalar(Scalar::JsonNull)
                | Value::Scalar(Scalar::Plain {
                    resolved: Resolved::Null,
                    ..
                })
        )
    }

    /// The entry for `key` when this node is a mapping (exact key text).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.map()?.iter().find_map(|(k, v)| match &k.value {
            Value::Scalar(Scalar::Str(t)) | Value::Scalar(Scalar::Plain { text: t, .. })
                if t.as_str() == key =>
            {
                Some(v)
            }
            _ => None,
        })
    }

    /// The scalar's text as written (strings and unquoted scalars), else `None`.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(Scalar::Str(t)) | Value::Scalar(Scalar::Plain { text: t, .. }) => Some(t),
            Value::Scalar(Scalar::JsonNumber(t)) => Some(t),
            _ => None,
        }
    }

    fn describe(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a sequence",
            Value::Scalar(Scalar::Str(_)) => "a string",
            Value::Scalar(Scalar::Plain { resolved, .. }) => resolved.type_name(),
            Value::Scalar(Scalar::JsonNull) => "null",
            Value::Scalar(Scalar::JsonBool(_)) => "a boolean",
            Value::Scalar(Scalar::JsonNumber(_)) => "a number",
        }
    }
}

// ------------------------------------------------------------------ errors

/// Why a manifest could not be read. One line: `origin:line: what; what to do`.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The input is not well-formed YAML or JSON.
    #[error("{origin}:{line}:{column}: {problem}; fix the {format} syntax")]
    Syntax {
        /// File name or `<stdin>`.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's description (never the input's text).
        problem: String,
    },
    /// Well-formed, but not what was expected.
    #[error("{origin}:{line}: {problem}; {todo}")]
    Invalid {
        /// File name or `<stdin>`.
        origin: String,
        /// 1-based line.
        line: usize,
        /// What is wrong, with the document number and field.
        problem: String,
        /// What to do about it.
        todo: String,
    },
    /// Nothing usable in the input.
    #[error("{origin}: {problem}; {todo}")]
    Empty {
        /// File name or `<stdin>`.
        origin: String,
        /// What is missing.
        problem: String,
        /// What to do.
        todo: String,
    },
}

impl From<ManifestError> for crate::error::Error {
    fn from(e: ManifestError) -> Self {
        crate::error::Error::Input(e.to_string())
    }
}

fn syntax(
    origin: &str,
    line: usize,
    column: usize,
    format: &'static str,
    problem: impl Into<String>,
) -> ManifestError {
    ManifestError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        format,
        problem: problem.into(),
    }
}

// ------------------------------------------------------------------ go-yaml v2 resolution

/// go-yaml v2's `resolve` for an untagged plain scalar (YAML 1.1 core types).
pub fn resolve_plain(s: &str) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return Resolved::Str,
    };
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match hint {
        b'.' => {
            if is_dot_float(s) {
                if let Some(f) = go_parse_float(s) {
                    return Resolved::Float(f);
                }
            }
            Resolved::Str
        }
        b'D' | b'S' => {
            let plain = s.replace('_', "");
            if let Some(i) = go_parse_int(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Resolved::Uint(u);
            }
            if is_yaml_style_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return Resolved::Float(f);
                }
            }
            Resolved::Str
        }
        _ => Resolved::Str,
    }
}

/// `^\.[0-9]+([eE][-+]?[0-9]+)?$`: what Go's `ParseFloat` accepts after a leading dot.
fn is_dot_float(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && is_exponent(&b[1 + digits..])
}

fn is_exponent(b: &[u8]) -> bool {
    if b.is_empty() {
        return true;
    }
    if !matches!(b[0], b'e' | b'E') {
        return false;
    }
    let rest = match b.get(1) {
        Some(b'+' | b'-') => &b[2..],
        _ => &b[1..],
    };
    !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let b = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    if b.first() == Some(&b'.') {
        let d = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        return d > 0 && is_exponent(&b[1 + d..]);
    }
    let d = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if d == 0 {
        return false;
    }
    let mut rest = &b[d..];
    if rest.first() == Some(&b'.') {
        let f = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + f..];
    }
    is_exponent(rest)
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text: `None` when out of range.
fn go_parse_float(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign; `0x`, `0o`, `0b`, leading-`0` octal).
fn go_parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits): (u32, &str) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &s[2..]),
            Some(b'o') if b.len() >= 3 => (8, &s[2..]),
            Some(b'x') if b.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(base)?;
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest)?;
    if neg {
        if u <= 1u64 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: what sigs.k8s.io/yaml writes for a
/// YAML float that lands in a string field.
pub fn go_format_float32(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as Go's shortest mode.
    let e = format!("{:e}", x.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = x.is_sign_negative();
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let x_exp = dp - 1;
    if !(-4..6).contains(&x_exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if x_exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", x_exp.abs()));
        return out;
    }
    if dp > 0 {
        for i in 0..dp {
            out.push(
                digits
                    .as_bytes()
                    .get(i as usize)
                    .map_or('0', |&c| c as char),
            );
        }
    } else {
        out.push('0');
    }
    let prec = (nd - dp).max(0);
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            let idx = dp + i;
            let c = if idx >= 0 && idx < nd {
                digits.as_bytes()[idx as usize] as char
            } else {
                '0'
            };
            out.push(c);
        }
    }
    out
}

/// The text kubeseal ends up with when a resolved YAML scalar fills a Go string
/// (sigs.k8s.io/yaml's conversion). `None` for null (the field stays empty).
fn go_string_of(resolved: Resolved, text: &str) -> Option<String> {
    match resolved {
        Resolved::Str => Some(text.to_string()),
        Resolved::Null => None,
        Resolved::Bool(b) => Some(b.to_string()),
        Resolved::Int(i) => Some(i.to_string()),
        Resolved::Uint(u) => Some(u.to_string()),
        Resolved::Float(f) => Some(go_format_float32(f)),
    }
}

/// The key sigs.k8s.io/yaml makes of a YAML map key (`None`: a key type it refuses,
/// null or an integer above `i64::MAX`).
fn go_key_of(resolved: Resolved, text: &str) -> Option<String> {
    match resolved {
        Resolved::Null | Resolved::Uint(_) => None,
        Resolved::Float(f) => Some(match go_format_float32(f).as_str() {
            "+Inf" => ".inf".to_string(),
            "-Inf" => "-.inf".to_string(),
            "NaN" => ".nan".to_string(),
            s => s.to_string(),
        }),
        other => go_string_of(other, text),
    }
}

// ------------------------------------------------------------------ YAML: libyaml events

mod libyaml {
    //! A minimal safe wrapper over libyaml's event parser (`unsafe-libyaml`, the one
    //! serde_yaml uses). go-yaml v2, which kubeseal uses, is a Go port of libyaml, so
    //! both accept the same syntax; unlike serde_yaml, events keep each scalar's style.

    use std::ffi::CStr;
    use std::mem::MaybeUninit;

    use unsafe_libyaml as unsafe_sys;
    use zeroize::Zeroizing;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Style {
        Plain,
        Other,
    }

    pub(super) enum Event {
        StreamStart,
        StreamEnd,
        DocumentStart,
        DocumentEnd,
        Alias(Vec<u8>),
        Scalar {
            anchor: Option<Vec<u8>>,
            tag: Option<Vec<u8>>,
            value: Zeroizing<Vec<u8>>,
            style: Style,
        },
        SequenceStart {
            anchor: Option<Vec<u8>>,
            tag: Option<Vec<u8>>,
        },
        SequenceEnd,
        MappingStart {
            anchor: Option<Vec<u8>>,
            tag: Option<Vec<u8>>,
        },
        MappingEnd,
    }

    /// 0-based line and column.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Mark {
        pub line: usize,
        pub column: usize,
    }

    pub(super) struct ParseError {
        pub problem: String,
        pub mark: Mark,
    }

    unsafe fn c_bytes(p: *const u8) -> Option<Vec<u8>> {
        if p.is_null() {
            None
        } else {
            // SAFETY: libyaml gives NUL-terminated strings that live as long as the event.
            Some(unsafe { CStr::from_ptr(p.cast()) }.to_bytes().to_vec())
        }
    }

    /// Parses all events of `input` (one YAML stream).
    pub(super) fn events(input: &[u8]) -> Result<Vec<(Event, Mark)>, ParseError> {
        let mut parser: Box<MaybeUninit<unsafe_sys::yaml_parser_t>> =
            Box::new(MaybeUninit::uninit());
        let p = parser.as_mut_ptr();
        // SAFETY: `p` points to heap memory that stays put until `yaml_parser_delete`
        // below; `input` outlives the parser; each event is read before it is deleted.
        unsafe {
            if unsafe_sys::yaml_parser_initialize(p).fail {
                return Err(ParseError {
                    problem: "cannot allocate the YAML parser".into(),
                    mark: Mark { line: 0, column: 0 },
                });
            }
            unsafe_sys::yaml_parser_set_input_string(p, input.as_ptr(), input.len() as u64);
            let mut out = Vec::new();
            let result = loop {
                let mut ev = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
                let evp = ev.as_mut_ptr();
                if unsafe_sys::yaml_parser_parse(p, evp).fail {
                    let parser_ref: &unsafe_sys::yaml_parser_t = &*p;
                    let problem = if parser_ref.problem.is_null() {
                        "invalid YAML".to_string()
                    } else {
                        CStr::from_ptr(parser_ref.problem.cast())
                            .to_string_lossy()
                            .into_owned()
                    };
                    // Reader (encoding) errors carry a byte offset, not a mark.
                    let mark = if parser_ref.error == unsafe_sys::YAML_READER_ERROR {
                        let at = (parser_ref.problem_offset as usize).min(input.len());
                        let before = &input[..at];
                        Mark {
                            line: before.iter().filter(|&&b| b == b'\n').count(),
                            column: before.iter().rev().take_while(|&&b| b != b'\n').count(),
                        }
                    } else {
                        Mark {
                            line: parser_ref.problem_mark.line as usize,
                            column: parser_ref.problem_mark.column as usize,
                        }
                    };
                    break Err(ParseError { problem, mark });
                }
                let e = &*evp;
                let mark = Mark {
                    line: e.start_mark.line as usize,
                    column: e.start_mark.column as usize,
                };
                let event = match e.type_ {
                    unsafe_sys::YAML_STREAM_START_EVENT => Some(Event::StreamStart),
                    unsafe_sys::YAML_STREAM_END_EVENT => Some(Event::StreamEnd),
                    unsafe_sys::YAML_DOCUMENT_START_EVENT => Some(Event::DocumentStart),
                    unsafe_sys::YAML_DOCUMENT_END_EVENT => Some(Event::DocumentEnd),
                    unsafe_sys::YAML_ALIAS_EVENT => Some(Event::Alias(
                        c_bytes(e.data.alias.anchor).unwrap_or_default(),
                    )),
                    unsafe_sys::YAML_SCALAR_EVENT => {
                        let s = e.data.scalar;
                        let value = if s.value.is_null() {
                            Vec::new()
                        } else {
                            std::slice::from_raw_parts(s.value, s.length as usize).to_vec()
                        };
                        Some(Event::Scalar {
                            anchor: c_bytes(s.anchor),
                            tag: c_bytes(s.tag),
                            value: Zeroizing::new(value),
                            style: if s.style == unsafe_sys::YAML_PLAIN_SCALAR_STYLE {
                                Style::Plain
                            } else {
                                Style::Other
                            },
                        })
                    }
                    unsafe_sys::YAML_SEQUENCE_START_EVENT => Some(Event::SequenceStart {
                        anchor: c_bytes(e.data.sequence_start.anchor),
                        tag: c_bytes(e.data.sequence_start.tag),
                    }),
                    unsafe_sys::YAML_SEQUENCE_END_EVENT => Some(Event::SequenceEnd),
                    unsafe_sys::YAML_MAPPING_START_EVENT => Some(Event::MappingStart {
                        anchor: c_bytes(e.data.mapping_start.anchor),
                        tag: c_bytes(e.data.mapping_start.tag),
                    }),
                    unsafe_sys::YAML_MAPPING_END_EVENT => Some(Event::MappingEnd),
                    _ => None,
                };
                unsafe_sys::yaml_event_delete(evp);
                match event {
                    Some(Event::StreamEnd) => {
                        out.push((Event::StreamEnd, mark));
                        break Ok(out);
                    }
                    Some(ev) => out.push((ev, mark)),
                    None => {}
                }
            };
            unsafe_sys::yaml_parser_delete(p);
            result
        }
    }
}

const STR_TAG: &[u8] = b"tag:yaml.org,2002:str";

/// A `---`-separated piece of a YAML stream, as apimachinery's `YAMLReader` cuts it.
struct Chunk {
    /// The document's text (may hold plaintext values).
    text: Zeroizing<Vec<u8>>,
    first_line: usize,
}

/// apimachinery's `YAMLReader`: lines starting with `---` end a document; the rest
/// of such a line may only be spaces or a comment. `\r\n` is read as `\n`.
fn split_yaml(origin: &str, bytes: &[u8]) -> Result<Vec<Chunk>, ManifestError> {
    let mut chunks = Vec::new();
    let mut buf: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
    let mut buf_first = 1usize;
    let mut pos = 0usize;
    let mut line_no = 0usize;
    while pos < bytes.len() {
        line_no += 1;
        let rest = &bytes[pos..];
        let (line, advance) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let l = &rest[..i];
                (l.strip_suffix(b"\r").unwrap_or(l), i + 1)
            }
            None => (rest, rest.len()),
        };
        pos += advance;
        if let Some(after) = line.strip_prefix(b"---") {
            let trimmed = String::from_utf8_lossy(after);
            let trimmed = trimmed.trim_matches(char::is_whitespace);
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Err(ManifestError::Invalid {
                    origin: origin.to_string(),
                    line: line_no,
                    problem: "invalid document separator: '---' must be alone on its line (kubeseal refuses anything after it but a comment)".into(),
                    todo: "move what follows '---' to the next line".into(),
                });
            }
            if !buf.is_empty() {
                chunks.push(Chunk {
                    text: std::mem::take(&mut buf),
                    first_line: buf_first,
                });
                buf_first = line_no + 1;
                continue;
            }
            // A separator with nothing before it stays in the document (as in kubeseal).
        }
        if buf.is_empty() {
            buf_first = line_no;
        }
        buf.extend_from_slice(line);
        buf.push(b'\n');
    }
    if !buf.is_empty() {
        chunks.push(Chunk {
            text: buf,
            first_line: buf_first,
        });
    }
    Ok(chunks)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        line: usize,
        column: usize,
        anchor: Option<Vec<u8>>,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        line: usize,
        column: usize,
        anchor: Option<Vec<u8>>,
    },
}

fn node_size(n: &Node) -> usize {
    match &n.value {
        Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(node_size).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_size(k) + node_size(v))
                .sum::<usize>()
        }
    }
}

/// The scalar text bytes of a subtree (what copying it for an alias costs in memory).
fn scalar_bytes(n: &Node) -> usize {
    match &n.value {
        Value::Scalar(Scalar::Str(t)) | Value::Scalar(Scalar::Plain { text: t, .. }) => t.len(),
        Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(scalar_bytes).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| scalar_bytes(k) + scalar_bytes(v))
            .sum(),
    }
}

/// Parses one chunk into its root node (`None` for an empty document).
fn parse_yaml_chunk(
    origin: &str,
    chunk: &Chunk,
    budget: &mut usize,
    alias_budget: &mut usize,
    alias_bytes: &mut usize,
) -> Result<Option<Node>, ManifestError> {
    let abs = |m: libyaml::Mark| (chunk.first_line + m.line, m.column + 1);
    let events = libyaml::events(&chunk.text).map_err(|e| {
        let (line, column) = abs(e.mark);
        syntax(origin, line, column, "YAML", e.problem)
    })?;
    let mut anchors: HashMap<Vec<u8>, (Node, usize, usize)> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let invalid = |line: usize, problem: &str, todo: &str| ManifestError::Invalid {
        origin: origin.to_string(),
        line,
        problem: problem.to_string(),
        todo: todo.to_string(),
    };
    let check_tag = |tag: &Option<Vec<u8>>, line: usize| -> Result<bool, ManifestError> {
        match tag.as_deref() {
            None | Some(b"!") => Ok(false),
            Some(STR_TAG) => Ok(true),
            Some(t) => Err(invalid(
                line,
                &format!(
                    "explicit YAML tag {} is not supported",
                    String::from_utf8_lossy(t).replace("tag:yaml.org,2002:", "!!")
                ),
                "remove the tag (quote the value if it must stay a string)",
            )),
        }
    };
    for (event, mark) in events {
        let (line, column) = abs(mark);
        let node = match event {
            libyaml::Event::StreamStart
            | libyaml::Event::StreamEnd
            | libyaml::Event::DocumentEnd => continue,
            libyaml::Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(invalid(
                        line,
                        "a second YAML document inside one '---' section (after '...'); kubeseal would ignore it",
                        "separate documents with a line '---'",
                    ));
                }
                continue;
            }
            libyaml::Event::Alias(name) => {
                let (node, size, bytes) = anchors.get(&name).ok_or_else(|| {
                    invalid(
                        line,
                        "alias to an unknown anchor",
                        "define the anchor (&name) before using it",
                    )
                })?;
                let too_many = || {
                    invalid(
                        line,
                        "too many nodes after expanding aliases",
                        "expand the aliases by hand",
                    )
                };
                *alias_budget = alias_budget.checked_sub(*size).ok_or_else(too_many)?;
                *alias_bytes = alias_bytes.checked_sub(*bytes).ok_or_else(too_many)?;
                *budget = budget.checked_sub(*size).ok_or_else(too_many)?;
                node.clone()
            }
            libyaml::Event::Scalar {
                anchor,
                tag,
                value,
                style,
            } => {
                let forced_str = check_tag(&tag, line)?;
                let text = String::from_utf8(value.to_vec()).map_err(|_| {
                    invalid(
                        line,
                        "a scalar is not valid UTF-8",
                        "save the file as UTF-8",
                    )
                })?;
                let text = Zeroizing::new(text);
                let scalar = if style == libyaml::Style::Plain && !forced_str {
                    let resolved = resolve_plain(&text);
                    Scalar::Plain { text, resolved }
                } else {
                    Scalar::Str(text)
                };
                *budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| invalid(line, "too many nodes", "split the input"))?;
                let node = Node {
                    value: Value::Scalar(scalar),
                    line,
                    column,
                };
                if let Some(a) = anchor {
                    let bytes = scalar_bytes(&node);
                    anchors.insert(a, (node.clone(), 1, bytes));
                }
                node
            }
            libyaml::Event::SequenceStart { anchor, tag } => {
                if check_tag(&tag, line)? {
                    return Err(invalid(line, "!!str on a sequence", "remove the tag"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(invalid(line, "nesting is too deep", "flatten the document"));
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    line,
                    column,
                    anchor,
                });
                continue;
            }
            libyaml::Event::MappingStart { anchor, tag } => {
                if check_tag(&tag, line)? {
                    return Err(invalid(line, "!!str on a mapping", "remove the tag"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(invalid(line, "nesting is too deep", "flatten the document"));
                }
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    line,
                    column,
                    anchor,
                });
                continue;
            }
            libyaml::Event::SequenceEnd | libyaml::Event::MappingEnd => {
                let (value, line, column, anchor) = match stack.pop() {
                    Some(Frame::Seq {
                        items,
                        line,
                        column,
                        anchor,
                    }) => (Value::Seq(items), line, column, anchor),
                    Some(Frame::Map {
                        entries,
                        line,
                        column,
                        anchor,
                        ..
                    }) => (Value::Map(entries), line, column, anchor),
                    None => continue,
                };
                *budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| invalid(line, "too many nodes", "split the input"))?;
                let node = Node {
                    value,
                    line,
                    column,
                };
                if let Some(a) = anchor {
                    let (size, bytes) = (node_size(&node), scalar_bytes(&node));
                    anchors.insert(a, (node.clone(), size, bytes));
                }
                node
            }
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    if let Value::Scalar(Scalar::Plain { text, .. }) = &node.value {
                        if text.as_str() == "<<" {
                            return Err(invalid(
                                node.line,
                                "YAML merge keys ('<<') are not supported",
                                "write the merged keys out",
                            ));
                        }
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(root.filter(|r| !r.is_null()))
}

// ------------------------------------------------------------------ JSON

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

struct RawEntries<'a>(Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawEntries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = RawEntries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) =
                    m.next_entry::<String, &'de serde_json::value::RawValue>()?
                {
                    out.push((k, v));
                }
                Ok(RawEntries(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Builds a positioned node from a raw JSON value that borrows from `full`.
fn json_node(full: &str, raw: &serde_json::value::RawValue) -> Result<Node, serde_json::Error> {
    let s = raw.get();
    let offset = s.as_ptr() as usize - full.as_ptr() as usize;
    let (line, column) = line_col(full, offset);
    let value = match s.as_bytes().first() {
        Some(b'{') => {
            let entries: RawEntries = serde_json::from_str(s)?;
            let mut out = Vec::with_capacity(entries.0.len());
            for (k, v) in entries.0 {
                let child = json_node(full, v)?;
                let key = Node {
                    value: Value::Scalar(Scalar::Str(Zeroizing::new(k))),
                    line: child.line,
                    column: child.column,
                };
                out.push((key, child));
            }
            Value::Map(out)
        }
        Some(b'[') => {
            let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(s)?;
            Value::Seq(
                items
                    .into_iter()
                    .map(|v| json_node(full, v))
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(b'"') => Value::Scalar(Scalar::Str(Zeroizing::new(serde_json::from_str(s)?))),
        Some(b't') => Value::Scalar(Scalar::JsonBool(true)),
        Some(b'f') => Value::Scalar(Scalar::JsonBool(false)),
        Some(b'n') => Value::Scalar(Scalar::JsonNull),
        _ => Value::Scalar(Scalar::JsonNumber(s.to_string())),
    };
    Ok(Node {
        value,
        line,
        column,
    })
}

/// apimachinery's `GuessJSONStream`: JSON when the first non-space character within
/// the first 4096 bytes is `{`.
fn looks_like_json(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    text.trim_start_matches(char::is_whitespace)
        .starts_with('{')
}

fn parse_json_stream(origin: &str, text: &str) -> Result<Vec<Node>, (bool, ManifestError)> {
    let mut out = Vec::new();
    let mut stream =
        serde_json::Deserializer::from_str(text).into_iter::<&serde_json::value::RawValue>();
    loop {
        match stream.next() {
            None => return Ok(out),
            Some(Ok(raw)) => {
                let node = json_node(text, raw).map_err(|e| {
                    (
                        out.is_empty(),
                        syntax(origin, e.line(), e.column(), "JSON", json_problem(&e)),
                    )
                })?;
                out.push(node);
            }
            Some(Err(e)) => {
                return Err((
                    out.is_empty(),
                    syntax(origin, e.line(), e.column(), "JSON", json_problem(&e)),
                ));
            }
        }
    }
}

/// serde_json's message without its " at line L column C" suffix (we print our own).
fn json_problem(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

// ------------------------------------------------------------------ documents

/// Parses a YAML multi-document stream or a JSON object stream (kubeseal's
/// `NewYAMLOrJSONDecoder` rules) into positioned trees; empty documents are dropped.
pub fn parse_documents(origin: &str, bytes: &[u8]) -> Result<Vec<Document>, ManifestError> {
    let roots = parse_roots(origin, bytes)?;
    Ok(roots
        .into_iter()
        .enumerate()
        .map(|(i, root)| Document {
            number: i + 1,
            root,
        })
        .collect())
}

fn parse_roots(origin: &str, bytes: &[u8]) -> Result<Vec<Node>, ManifestError> {
    if looks_like_json(bytes) {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_col(
                std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
                e.valid_up_to(),
            );
            syntax(origin, line, column, "JSON", "invalid UTF-8")
        })?;
        match parse_json_stream(origin, text) {
            Ok(nodes) => return Ok(nodes.into_iter().filter(|n| !n.is_null()).collect()),
            // kubeseal falls back to YAML when the very first JSON object fails
            // (flow-style YAML such as `{kind: Secret}` starts with '{' too).
            Err((true, json_err)) => {
                return parse_yaml_stream(origin, bytes).map_err(|_| json_err);
            }
            Err((false, e)) => return Err(e),
        }
    }
    parse_yaml_stream(origin, bytes)
}

fn parse_yaml_stream(origin: &str, bytes: &[u8]) -> Result<Vec<Node>, ManifestError> {
    let (mut budget, mut alias_budget, mut alias_bytes) =
        (MAX_NODES, MAX_ALIAS_NODES, MAX_ALIAS_BYTES);
    let mut out = Vec::new();
    for chunk in split_yaml(origin, bytes)? {
        if let Some(root) = parse_yaml_chunk(
            origin,
            &chunk,
            &mut budget,
            &mut alias_budget,
            &mut alias_bytes,
        )? {
            out.push(root);
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ interpretation

/// A field named in error messages, formatted only when an error is reported.
#[derive(Clone, Copy)]
enum FieldPath<'a> {
    /// `base.field`
    Sub(&'a dyn std::fmt::Display, &'a str),
    /// `base["key"]`
    Key(&'a dyn std::fmt::Display, &'a str),
}

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldPath::Sub(base, field) => write!(f, "{base}.{field}"),
            FieldPath::Key(base, key) => write!(f, "{base}[{key:?}]"),
        }
    }
}

/// A mapping entry: the key as kubeseal names it, the key's node, the value.
type Entry<'n> = (String, &'n Node, &'n Node);

/// Where we are, for error messages.
struct Ctx<'a> {
    origin: &'a str,
    /// "document 2" or "document 1, item 3".
    what: String,
}

impl Ctx<'_> {
    fn err(
        &self,
        node: &Node,
        problem: impl std::fmt::Display,
        todo: impl Into<String>,
    ) -> ManifestError {
        ManifestError::Invalid {
            origin: self.origin.to_string(),
            line: node.line,
            problem: format!("{}: {problem}", self.what),
            todo: todo.into(),
        }
    }

    fn ambiguous(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
        resolved: Resolved,
    ) -> ManifestError {
        self.err(
            node,
            format!(
                "unquoted {field} reads as {} in YAML 1.1, which kubeseal uses, so kubeseal would not see the text as written",
                resolved.type_name()
            ),
            "quote it (\"...\")",
        )
    }

    /// A map key as kubeseal's decoder names it; refuses keys whose text would change.
    fn key(&self, node: &Node, field: &dyn std::fmt::Display) -> Result<String, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::Str(t)) => Ok(t.to_string()),
            Value::Scalar(Scalar::Plain { text, resolved }) => match go_key_of(*resolved, text) {
                Some(k) if k == text.as_str() => Ok(k),
                Some(_) => Err(self.ambiguous(node, &format!("key in {field}"), *resolved)),
                None => Err(self.err(
                    node,
                    format!("unquoted key in {field} reads as {} in YAML 1.1, which kubeseal cannot use as a key", resolved.type_name()),
                    "quote it (\"...\")",
                )),
            },
            _ => Err(self.err(node, format!("a key in {field} is {}", node.describe()), "use a plain string key")),
        }
    }

    /// The entries of a mapping (or nothing for null) as (key, key node, value), keys
    /// checked for duplicates.
    fn entries<'n>(
        &self,
        node: &'n Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Vec<Entry<'n>>, ManifestError> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        let Some(map) = node.map() else {
            return Err(self.err(
                node,
                format!("{field} is {}, not a mapping", node.describe()),
                format!("write {field} as key: value pairs"),
            ));
        };
        let mut out: Vec<Entry<'n>> = Vec::with_capacity(map.len());
        for (k, v) in map {
            let key = self.key(k, field)?;
            if let Some(first) = out
                .iter()
                .find(|(o, _, _)| *o == key)
                .map(|(_, n, _)| n.line)
            {
                return Err(self.err(
                    k,
                    format!("key {key:?} appears twice in {field} (first at line {first}); kubeseal would keep only the last"),
                    "remove one of them",
                ));
            }
            out.push((key, k, v));
        }
        Ok(out)
    }

    /// Like [`Ctx::entries`] for an object with known fields: a field that matches a
    /// known one only without regard to case is refused (Go would use it).
    fn fields<'n>(
        &self,
        node: &'n Node,
        field: &dyn std::fmt::Display,
        known: &[&str],
    ) -> Result<Vec<(String, &'n Node)>, ManifestError> {
        let entries = self.entries(node, field)?;
        for (k, key_node, _) in &entries {
            if !known.contains(&k.as_str()) {
                if let Some(right) = known.iter().find(|n| n.eq_ignore_ascii_case(k)) {
                    return Err(self.err(
                        key_node,
                        format!("field {k:?} in {field} is not {right:?}: kubeseal matches field names ignoring case, empseal does not"),
                        format!("rename it to {right:?}"),
                    ));
                }
            }
        }
        Ok(entries.into_iter().map(|(k, _, v)| (k, v)).collect())
    }

    /// A Go `string` field: `None` when null/absent-equivalent, refusing values whose
    /// text kubeseal would change.
    fn string(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Option<Zeroizing<String>>, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::Str(t)) => Ok(Some(t.clone())),
            Value::Scalar(Scalar::JsonNull) => Ok(None),
            Value::Scalar(Scalar::Plain {
                text,
                resolved: Resolved::Str,
            }) => Ok(Some(text.clone())),
            Value::Scalar(Scalar::Plain { text, resolved }) => {
                match go_string_of(*resolved, text) {
                    None => Ok(None),
                    Some(s) if s == text.as_str() => Ok(Some(text.clone())),
                    Some(_) => Err(self.ambiguous(node, field, *resolved)),
                }
            }
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a string", node.describe()),
                format!("write {field} as a string"),
            )),
        }
    }

    fn plain_string(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<String, ManifestError> {
        Ok(self
            .string(node, field)?
            .map(|s| s.to_string())
            .unwrap_or_default())
    }

    fn bool(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Option<bool>, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::JsonBool(b))
            | Value::Scalar(Scalar::Plain {
                resolved: Resolved::Bool(b),
                ..
            }) => Ok(Some(*b)),
            _ if node.is_null() => Ok(None),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a boolean", node.describe()),
                format!("write {field}: true or false, unquoted"),
            )),
        }
    }

    fn int(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Option<i64>, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::Plain {
                resolved: Resolved::Int(i),
                ..
            }) => Ok(Some(*i)),
            Value::Scalar(Scalar::JsonNumber(t)) if t.parse::<i64>().is_ok() => Ok(t.parse().ok()),
            _ if node.is_null() => Ok(None),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not an integer", node.describe()),
                format!("write {field} as a whole number"),
            )),
        }
    }

    fn string_list(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Vec<String>, ManifestError> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|i| self.plain_string(i, field)).collect(),
            _ if node.is_null() => Ok(Vec::new()),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a list", node.describe()),
                format!("write {field} as a list"),
            )),
        }
    }

    fn json_list(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Vec<serde_json::Value>, ManifestError> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|i| self.json(i)).collect(),
            _ if node.is_null() => Ok(Vec::new()),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a list", node.describe()),
                format!("write {field} as a list"),
            )),
        }
    }

    /// The generic JSON value kubeseal's decoder would build from a node.
    fn json(&self, node: &Node) -> Result<serde_json::Value, ManifestError> {
        use serde_json::Value as J;
        Ok(match &node.value {
            Value::Scalar(Scalar::Str(t)) => J::String(t.to_string()),
            Value::Scalar(Scalar::JsonNull) => J::Null,
            Value::Scalar(Scalar::JsonBool(b)) => J::Bool(*b),
            Value::Scalar(Scalar::JsonNumber(t)) => serde_json::from_str(t).unwrap_or(J::Null),
            Value::Scalar(Scalar::Plain { text, resolved }) => match resolved {
                Resolved::Str => J::String(text.to_string()),
                Resolved::Null => J::Null,
                Resolved::Bool(b) => J::Bool(*b),
                Resolved::Int(i) => J::from(*i),
                Resolved::Uint(u) => J::from(*u),
                Resolved::Float(f) => serde_json::Number::from_f64(*f)
                    .map(J::Number)
                    .ok_or_else(|| self.err(node, "a NaN or infinite number", "quote it"))?,
            },
            Value::Seq(items) => J::Array(
                items
                    .iter()
                    .map(|i| self.json(i))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(_) => {
                let mut m = serde_json::Map::new();
                for (k, _, v) in self.entries(node, &"an object")? {
                    m.insert(k, self.json(v)?);
                }
                J::Object(m)
            }
        })
    }

    fn string_map(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<BTreeMap<String, String>, ManifestError> {
        let mut out = BTreeMap::new();
        for (k, _, v) in self.entries(node, field)? {
            let value = self.plain_string(v, &FieldPath::Key(field, &k))?;
            out.insert(k, value);
        }
        Ok(out)
    }

    fn object_meta(&self, node: &Node, field: &str) -> Result<ObjectMeta, ManifestError> {
        const KNOWN: &[&str] = &[
            "name",
            "generateName",
            "namespace",
            "selfLink",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
            "managedFields",
        ];
        let mut m = ObjectMeta::default();
        for (k, v) in self.fields(node, &field, KNOWN)? {
            let f = FieldPath::Sub(&field, &k);
            match k.as_str() {
                "name" => m.name = self.plain_string(v, &f)?,
                "generateName" => m.generate_name = self.plain_string(v, &f)?,
                "namespace" => m.namespace = self.plain_string(v, &f)?,
                "selfLink" => m.self_link = self.plain_string(v, &f)?,
                "uid" => m.uid = self.plain_string(v, &f)?,
                "resourceVersion" => m.resource_version = self.plain_string(v, &f)?,
                "generation" => m.generation = self.int(v, &f)?.unwrap_or(0),
                "creationTimestamp" => {
                    self.string(v, &f)?;
                }
                "deletionTimestamp" => {
                    m.deletion_timestamp = self.string(v, &f)?.map(|s| s.to_string())
                }
                "deletionGracePeriodSeconds" => {
                    m.deletion_grace_period_seconds = self.int(v, &f)?
                }
                "labels" => m.labels = self.string_map(v, &f)?,
                "annotations" => m.annotations = self.string_map(v, &f)?,
                "ownerReferences" => m.owner_references = self.json_list(v, &f)?,
                "finalizers" => m.finalizers = self.string_list(v, &f)?,
                "managedFields" => m.managed_fields = self.json_list(v, &f)?,
                _ => {}
            }
        }
        Ok(m)
    }

    fn secret(&self, node: &Node) -> Result<Secret, ManifestError> {
        const KNOWN: &[&str] = &[
            "apiVersion",
            "kind",
            "metadata",
            "immutable",
            "data",
            "stringData",
            "type",
        ];
        let mut s = Secret::default();
        for (k, v) in self.fields(node, &"the Secret", KNOWN)? {
            match k.as_str() {
                "metadata" => s.metadata = self.object_meta(v, "metadata")?,
                "immutable" => s.immutable = self.bool(v, &"immutable")?,
                "type" => s.type_ = self.string(v, &"type")?.map(|t| t.to_string()),
                "data" => {
                    for (key, key_node, val) in self.entries(v, &"data")? {
                        self.secret_key(key_node, &key, "data")?;
                        let bytes = self.base64(val, &key)?;
                        s.data.insert(key, bytes);
                    }
                }
                "stringData" => {
                    for (key, key_node, val) in self.entries(v, &"stringData")? {
                        self.secret_key(key_node, &key, "stringData")?;
                        let text = self.string(val, &FieldPath::Key(&"stringData", &key))?;
                        let bytes =
                            Zeroizing::new(text.map(|t| t.as_bytes().to_vec()).unwrap_or_default());
                        s.string_data.insert(key, bytes);
                    }
                }
                _ => {}
            }
        }
        Ok(s)
    }

    fn secret_key(&self, key_node: &Node, key: &str, field: &str) -> Result<(), ManifestError> {
        check_secret_key(key).map_err(|p| {
            self.err(
                key_node,
                format!("{field} key {key:?} is not a valid Secret key: {p}"),
                "use letters, digits, '-', '_' and '.' only",
            )
        })
    }

    /// A `data` value: Go's `encoding/json` base64 for `[]byte` (standard alphabet,
    /// padding required, `\r` and `\n` ignored).
    fn base64(&self, node: &Node, key: &str) -> Result<SecretBytes, ManifestError> {
        let field = FieldPath::Key(&"data", key);
        let text = match &node.value {
            Value::Scalar(Scalar::Str(t)) => t.clone(),
            Value::Scalar(Scalar::Plain {
                text,
                resolved: Resolved::Str,
            }) => text.clone(),
            _ if node.is_null() => return Ok(Zeroizing::new(Vec::new())),
            Value::Scalar(Scalar::Plain { resolved, .. }) => {
                return Err(self.err(node, format!("unquoted {field} reads as {} in YAML 1.1, not a base64 string; kubeseal refuses it too", resolved.type_name()), "quote the value"));
            }
            _ => {
                return Err(self.err(
                    node,
                    format!("{field} is {}, not a base64 string", node.describe()),
                    "write the value base64-encoded, or move it to stringData",
                ))
            }
        };
        go_base64_decode(&text).ok_or_else(|| {
            self.err(
                node,
                format!("{field} is not valid base64"),
                "encode the value with base64 (padding included), or move it to stringData",
            )
        })
    }

    fn sealed_secret(&self, node: &Node) -> Result<SealedSecret, ManifestError> {
        const KNOWN: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];
        let mut ss = SealedSecret::default();
        for (k, v) in self.fields(node, &"the SealedSecret", KNOWN)? {
            match k.as_str() {
                "metadata" => ss.metadata = self.object_meta(v, "metadata")?,
                "spec" => self.sealed_spec(v, &mut ss)?,
                _ => {}
            }
        }
        Ok(ss)
    }

    fn sealed_spec(&self, node: &Node, ss: &mut SealedSecret) -> Result<(), ManifestError> {
        for (k, v) in self.fields(node, &"spec", &["template", "data", "encryptedData"])? {
            match k.as_str() {
                "template" => {
                    let mut t = SecretTemplate::default();
                    for (tk, tv) in self.fields(
                        v,
                        &"spec.template",
                        &["metadata", "type", "immutable", "data"],
                    )? {
                        match tk.as_str() {
                            "metadata" => {
                                t.metadata = self.object_meta(tv, "spec.template.metadata")?
                            }
                            "type" => {
                                t.type_ = self
                                    .string(tv, &"spec.template.type")?
                                    .map(|s| s.to_string())
                            }
                            "immutable" => {
                                t.immutable = self.bool(tv, &"spec.template.immutable")?
                            }
                            "data" => t.data = self.string_map(tv, &"spec.template.data")?,
                            _ => {}
                        }
                    }
                    ss.template = t;
                }
                "data" if !v.is_null() => {
                    return Err(self.err(v, "spec.data (the single-blob format of sealed-secrets before v0.7) is not supported", "re-seal the Secret with a current kubeseal or empseal"));
                }
                "encryptedData" => {
                    for (key, _, val) in self.entries(v, &"spec.encryptedData")? {
                        let field = FieldPath::Key(&"spec.encryptedData", &key);
                        let text = match &val.value {
                            Value::Scalar(Scalar::Str(t))
                            | Value::Scalar(Scalar::Plain { text: t, resolved: Resolved::Str }) => t.to_string(),
                            _ if val.is_null() => String::new(),
                            _ => {
                                return Err(self.err(
                                    val,
                                    format!("{field} is {}, not a string; kubeseal and the controller would silently drop it", val.describe()),
                                    "quote the value",
                                ))
                            }
                        };
                        ss.encrypted_data.insert(key, text);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Go's `base64.StdEncoding.DecodeString` as `encoding/json` uses it for `[]byte`.
fn go_base64_decode(text: &str) -> Option<SecretBytes> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let cleaned: Zeroizing<Vec<u8>> =
        Zeroizing::new(text.bytes().filter(|&b| b != b'\r' && b != b'\n').collect());
    let mut out = Zeroizing::new(Vec::with_capacity(cleaned.len() / 4 * 3 + 3));
    GO_STD.decode_vec(&cleaned[..], &mut out).ok()?;
    Some(out)
}

/// What kind of object a document root declares.
enum Kind<'n> {
    Single,
    List(&'n [Node]),
}

fn kind_of<'n>(
    ctx: &Ctx,
    node: &'n Node,
    want_kind: &str,
    want_api: &str,
    hint: &str,
) -> Result<Kind<'n>, ManifestError> {
    if node.map().is_none() {
        return Err(ctx.err(
            node,
            format!("the document is {}, not an object", node.describe()),
            format!("give {want_kind} objects"),
        ));
    }
    let text_of = |field: &str| -> Result<Option<String>, ManifestError> {
        match node.get(field) {
            None => Ok(None),
            Some(v) => Ok(ctx.string(v, &field)?.map(|s| s.to_string())),
        }
    };
    let kind = text_of("kind")?;
    let api = text_of("apiVersion")?;
    let short = |s: &str| -> String {
        let mut t: String = s.chars().take(60).collect();
        if t.len() < s.len() {
            t.push('…');
        }
        t
    };
    let at = node.get("kind").unwrap_or(node);
    match kind.as_deref() {
        Some("List") | Some("SecretList") | Some("SealedSecretList")
            if api.as_deref().is_none_or(|a| a == "v1" || a == want_api) =>
        {
            let items = node.get("items");
            match items.map(|i| &i.value) {
                Some(Value::Seq(items)) => Ok(Kind::List(items)),
                None => Ok(Kind::List(&[])),
                Some(_) if items.is_some_and(Node::is_null) => Ok(Kind::List(&[])),
                Some(_) => Err(ctx.err(
                    items.unwrap_or(node),
                    "items of the List is not a sequence",
                    "write items as a list",
                )),
            }
        }
        Some(k) if k == want_kind => match api.as_deref() {
            None => Ok(Kind::Single),
            Some(a) if a == want_api => Ok(Kind::Single),
            Some(a) => Err(ctx.err(
                node.get("apiVersion").unwrap_or(node),
                format!(
                    "{want_kind} with apiVersion {:?}, expected {want_api:?}",
                    short(a)
                ),
                format!("set apiVersion: {want_api}"),
            )),
        },
        None if api.is_none() || api.as_deref() == Some(want_api) => Ok(Kind::Single),
        None => Err(ctx.err(
            node,
            format!(
                "an object of apiVersion {:?} without a kind, not a {want_kind}",
                short(api.as_deref().unwrap_or_default())
            ),
            format!("give {want_kind} objects"),
        )),
        Some(k) => Err(ctx.err(
            at,
            format!(
                "the object is a {} (apiVersion {:?}), not a {want_kind}{hint}",
                short(k),
                short(api.as_deref().unwrap_or_default())
            ),
            format!("give only {want_kind} objects (kubeseal would misread this one)"),
        )),
    }
}

fn read_objects<T>(
    origin: &str,
    bytes: &[u8],
    want_kind: &str,
    want_api: &str,
    hint: &str,
    convert: impl Fn(&Ctx, &Node) -> Result<T, ManifestError>,
) -> Result<Vec<T>, ManifestError> {
    let mut out = Vec::new();
    for doc in parse_documents(origin, bytes)? {
        let ctx = Ctx {
            origin,
            what: format!("document {}", doc.number),
        };
        match kind_of(&ctx, &doc.root, want_kind, want_api, hint)? {
            Kind::Single => {
                if doc.root.map().is_some_and(|m| m.is_empty()) {
                    continue; // `{}`: kubeseal skips empty objects
                }
                out.push(convert(&ctx, &doc.root)?);
            }
            Kind::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    let ictx = Ctx {
                        origin,
                        what: format!("document {}, item {}", doc.number, i + 1),
                    };
                    match kind_of(&ictx, item, want_kind, want_api, hint)? {
                        Kind::Single => out.push(convert(&ictx, item)?),
                        Kind::List(_) => {
                            return Err(ictx.err(item, "a List inside a List", "flatten the list"));
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Reads `v1` Secrets (YAML documents, JSON objects, or `List`s of them) as kubeseal
/// would, `data` base64-decoded. Returns no Secret for an empty input (kubeseal then
/// says "no secrets found"; the caller decides). `origin` names the input in errors.
pub fn read_secrets(origin: &str, bytes: &[u8]) -> Result<Vec<Secret>, ManifestError> {
    read_objects(origin, bytes, "Secret", "v1", "", |ctx, node| {
        ctx.secret(node)
    })
}

/// Reads `bitnami.com/v1alpha1` SealedSecrets (YAML documents, JSON objects, or Lists).
pub fn read_sealed_secrets(origin: &str, bytes: &[u8]) -> Result<Vec<SealedSecret>, ManifestError> {
    read_objects(
        origin,
        bytes,
        "SealedSecret",
        "bitnami.com/v1alpha1",
        "",
        |ctx, node| ctx.sealed_secret(node),
    )
}

/// Format and layout of an existing manifest, so merging into or re-encrypting a file
/// keeps its shape: JSON when it starts with `{` (as kubeseal decides), and
/// [`Layout::Legacy`] when an object's `metadata` (or `spec.template.metadata`) has
/// `creationTimestamp: null`. Unreadable input gives the defaults for its format.
pub fn detect_style(bytes: &[u8]) -> (Format, Layout) {
    let format = if looks_like_json(bytes) {
        Format::Json
    } else {
        Format::Yaml
    };
    let legacy = parse_roots("", bytes).is_ok_and(|roots| {
        roots.iter().any(|r| {
            let null_ts = |meta: Option<&Node>| {
                meta.and_then(|m| m.get("creationTimestamp"))
                    .is_some_and(Node::is_null)
            };
            let items: Vec<&Node> = match r.get("items").map(|i| &i.value) {
                Some(Value::Seq(items)) => items.iter().collect(),
                _ => vec![r],
            };
            items.iter().any(|o| {
                null_ts(o.get("metadata"))
                    || null_ts(
                        o.get("spec")
                            .and_then(|s| s.get("template"))
                            .and_then(|t| t.get("metadata")),
                    )
            })
        })
    });
    (
        format,
        if legacy {
            Layout::Legacy
        } else {
            Layout::Current
        },
    )
}

/// Reads a manifest to hand to the readers here: the file at `path`, or standard
/// input for `-`. Returns the origin to name in errors (`<stdin>` or the path) and
/// the bytes, in a zeroizing buffer (Secret manifests hold plaintext).
pub fn read_input(path: &str) -> Result<(String, SecretBytes), crate::error::Error> {
    use std::io::Read;
    let mut buf = Zeroizing::new(Vec::new());
    if path == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| crate::error::Error::io("<stdin>", e))?;
        return Ok(("<stdin>".to_string(), buf));
    }
    let mut f = std::fs::File::open(path).map_err(|e| crate::error::Error::io(path, e))?;
    let len = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
    buf.reserve(len.saturating_add(1));
    f.read_to_end(&mut buf)
        .map_err(|e| crate::error::Error::io(path, e))?;
    Ok((path.to_string(), buf))
}

/// One private key from a controller key backup.
#[derive(Debug, Clone)]
pub struct BackupKey {
    /// The key Secret's name (empty for a bare PEM file).
    pub name: String,
    /// The key Secret's namespace (empty for a bare PEM file).
    pub namespace: String,
    /// The PEM bytes of `tls.key`.
    pub pem: SecretBytes,
}

/// A key backup written as Go's `json.Marshal` (or `yaml.Marshal`) of a
/// `v1.SecretList` value has no `kind` or `apiVersion`, only `metadata` and
/// `items`: return it as the `v1.List` it is, so the reader takes its items.
/// `None` for anything else (read as it is).
fn kindless_list(bytes: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use serde::de::IgnoredAny;
    // Only the shape is looked at (no key material is copied out of `bytes`).
    #[derive(serde::Deserialize)]
    struct Probe {
        kind: Option<IgnoredAny>,
        #[serde(rename = "apiVersion")]
        api_version: Option<IgnoredAny>,
        items: Option<Vec<IgnoredAny>>,
    }
    let json = looks_like_json(bytes);
    let probe: Probe = if json {
        serde_json::from_slice(bytes).ok()?
    } else {
        serde_yaml::from_slice(bytes).ok()?
    };
    if probe.kind.is_some() || probe.api_version.is_some() || probe.items.is_none() {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() + 40));
    if json {
        let brace = bytes.iter().position(|&b| b == b'{')?;
        out.extend_from_slice(&bytes[..=brace]);
        out.extend_from_slice(br#""apiVersion":"v1","kind":"List","#);
        out.extend_from_slice(&bytes[brace + 1..]);
    } else {
        let text = std::str::from_utf8(bytes).ok()?;
        if text.trim_start().starts_with("---") || text.starts_with(char::is_whitespace) {
            return None;
        }
        out.extend_from_slice(b"apiVersion: v1\nkind: List\n");
        out.extend_from_slice(bytes);
    }
    Some(out)
}

/// Reads a sealed-secrets controller key backup as `kubectl get secret -n kube-system
/// -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml` prints it (a `v1.List` of
/// `kubernetes.io/tls` Secrets, or Secret documents), or a bare PEM file, and returns
/// each `tls.key` as PEM bytes (parsing them is the crypto module's job).
pub fn read_private_key_backup(
    origin: &str,
    bytes: &[u8],
) -> Result<Vec<BackupKey>, ManifestError> {
    // Go's pem.Decode (kubeseal tries a PEM key first): a block starts at the
    // beginning of the input or of any line; text before it is skipped.
    let pem_start =
        bytes.starts_with(b"-----BEGIN ") || bytes.windows(12).any(|w| w == b"\n-----BEGIN ");
    if pem_start && !looks_like_json(bytes) {
        return Ok(vec![BackupKey {
            name: String::new(),
            namespace: String::new(),
            pem: Zeroizing::new(bytes.to_vec()),
        }]);
    }
    let relabeled = kindless_list(bytes);
    let secrets = read_secrets(origin, relabeled.as_ref().map_or(bytes, |r| r.as_slice()))?;
    if secrets.is_empty() {
        return Err(ManifestError::Empty {
            origin: origin.to_string(),
            problem: "no Secret and no PEM key found".into(),
            todo: "give a PEM private key or the output of `kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`".into(),
        });
    }
    secrets
        .into_iter()
        .map(|mut s| {
            let pem = s
                .data
                .remove("tls.key")
                .or_else(|| s.string_data.remove("tls.key"))
                .ok_or_else(|| ManifestError::Empty {
                    origin: origin.to_string(),
                    problem: format!("Secret {:?} has no data[\"tls.key\"], so it is not a sealed-secrets key", s.metadata.name),
                    todo: "select the key Secrets with -l sealedsecrets.bitnami.com/sealed-secrets-key".into(),
                })?;
            Ok(BackupKey {
                name: s.metadata.name,
                namespace: s.metadata.namespace,
                pem,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document whose anchor (a list of 99 scalars: 100 nodes) is used `uses` times.
    fn aliased(uses: usize) -> String {
        let items = vec!["x"; 99].join(", ");
        let aliases = vec!["*a"; uses].join(", ");
        format!("anchor: &a [{items}]\nuses: [{aliases}]\n")
    }

    #[test]
    fn alias_expansion_budget_is_exact() {
        // 100 uses copy exactly MAX_ALIAS_NODES nodes: accepted, fully expanded.
        let docs = parse_documents("t", aliased(MAX_ALIAS_NODES / 100).as_bytes()).unwrap();
        let Some(Value::Seq(uses)) = docs[0].root.get("uses").map(|n| &n.value) else {
            panic!("uses is a list");
        };
        assert_eq!(uses.len(), 100);
        assert!(uses.iter().all(|u| node_size(u) == 100));
        // One more copy is refused, on the line of the alias, before it is made.
        match parse_documents("t", aliased(MAX_ALIAS_NODES / 100 + 1).as_bytes()) {
            Err(ManifestError::Invalid { line, problem, .. }) => {
                assert_eq!(line, 2);
                assert_eq!(problem, "too many nodes after expanding aliases");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alias_expansion_budget_counts_copied_bytes() {
        // Few nodes, many bytes: one 1 MiB scalar copied 17 times passes 16 MiB.
        let big = "v".repeat(1 << 20);
        let uses = vec!["*a"; 17].join(", ");
        let text = format!("kind: Secret\na: &a {big}\nb: [{uses}]\n");
        match parse_documents("t", text.as_bytes()) {
            Err(ManifestError::Invalid { line, problem, .. }) => {
                assert_eq!(
                    (line, problem.as_str()),
                    (3, "too many nodes after expanding aliases")
                );
            }
            other => panic!("{other:?}"),
        }
        let uses = vec!["*a"; 15].join(", ");
        let text = format!("kind: Secret\na: &a {big}\nb: [{uses}]\n");
        assert!(parse_documents("t", text.as_bytes()).is_ok());
    }

    #[test]
    fn yaml11_resolution() {
        use Resolved::*;
        for (s, want) in [
            ("yes", Bool(true)),
            ("Off", Bool(false)),
            ("y", Bool(true)),
            ("yES", Str),
            ("~", Null),
            ("", Null),
            ("NULL", Null),
            ("nil", Str),
            ("0123", Int(83)),
            ("08", Float(8.0)),
            ("0x1F", Int(31)),
            ("0o17", Int(15)),
            ("0b101", Int(5)),
            ("-0b101", Int(-5)),
            ("1_000", Int(1000)),
            ("+5", Int(5)),
            ("18446744073709551615", Uint(u64::MAX)),
            ("1.10", Float(1.1)),
            ("1e3", Float(1000.0)),
            (".5", Float(0.5)),
            ("1e400", Str),
            ("2001-12-14", Str),
            ("12:30", Str),
            (".inf", Float(f64::INFINITY)),
            ("-.Inf", Float(f64::NEG_INFINITY)),
            ("0x", Str),
            ("1.2.3", Str),
            ("-", Str),
            ("+", Str),
            ("1e", Str),
            ("1.", Float(1.0)),
        ] {
            let got = resolve_plain(s);
            match (got, want) {
                (Float(a), Float(b)) => assert!(a == b, "{s}: {got:?}"),
                _ => assert_eq!(got, want, "{s}"),
            }
        }
    }

    #[test]
    fn float32_formatting_like_go() {
        for (f, want) in [
            (1.1, "1.1"),
            (1000.0, "1000"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.23456789, "1.2345679"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e-7, "1e-07"),
            (f64::INFINITY, "+Inf"),
            (1e39, "+Inf"),
            (100.5, "100.5"),
        ] {
            assert_eq!(go_format_float32(f), want, "{f}");
        }
    }

    #[test]
    fn go_base64_rules() {
        assert_eq!(go_base64_decode("aGk=").unwrap().as_slice(), b"hi");
        assert_eq!(go_base64_decode("aG\r\nk=\n").unwrap().as_slice(), b"hi");
        assert!(go_base64_decode("aGk").is_none());
        assert!(go_base64_decode("aG k=").is_none());
        assert_eq!(go_base64_decode("aGl=").unwrap().as_slice(), b"hi"); // trailing bits ignored
        assert_eq!(go_base64_decode("").unwrap().as_slice(), b"");
    }

    #[test]
    fn splitting_like_apimachinery() {
        let chunks = split_yaml("t", b"---\na: 1\n--- # c\nb: 2\r\n---\n---\nc: 3").unwrap();
        let texts: Vec<(String, usize)> = chunks
            .iter()
            .map(|c| (String::from_utf8(c.text.to_vec()).unwrap(), c.first_line))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("---\na: 1\n".to_string(), 1),
                ("b: 2\n".to_string(), 4),
                ("---\nc: 3\n".to_string(), 6),
            ]
        );
        assert!(split_yaml("t", b"a: 1\n--- b: 2\n").is_err());
        assert!(split_yaml("t", b"a: 1\n----\n").is_err());
    }
}
