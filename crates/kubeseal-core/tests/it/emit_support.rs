//! Shared by the `emit_*` integration tests: the Go reference (`tests/goref`),
//! generators of tricky inputs, an independent transcription of go-yaml's key
//! order, and readable diffs.
#![allow(dead_code)]

use std::sync::OnceLock;

use kubeseal_core::emit::{self, Node, YamlError};
use rand::seq::IndexedRandom;
use rand::{Rng, RngCore};

// ---------------------------------------------------------------- goref ----

pub use empseal_testkit::goref::{diff, goref, Answer, GoRef};

/// Go's answers for kubeseal_core values (the emitter's [`Node`]s).
pub trait GoValues {
    /// Go's answers for `{"op":"value","doc":…}` on each document.
    fn values(&mut self, docs: &[Node]) -> Vec<Answer>;
}

impl GoValues for GoRef {
    fn values(&mut self, docs: &[Node]) -> Vec<Answer> {
        let reqs: Vec<String> = docs
            .iter()
            .map(|d| format!("{{\"op\":\"value\",\"doc\":{}}}", node_json(d)))
            .collect();
        self.batch(&reqs)
    }
}

// ------------------------------------------------- independent JSON text ----

/// A plain JSON text of `node` that keeps key order; every character outside
/// printable ASCII is a `\u` escape (surrogate pairs above U+FFFF). Written
/// independently of the emitter under test so that goref reads exactly the
/// strings we hold.
pub fn node_json(node: &Node) -> String {
    let mut s = String::new();
    write_node_json(&mut s, node);
    s
}

fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
}

fn write_node_json(out: &mut String, node: &Node) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => out.push_str(&i.to_string()),
        Node::Str(s) => write_json_str(out, s),
        Node::Seq(items) => {
            out.push('[');
            for (n, i) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_node_json(out, i);
            }
            out.push(']');
        }
        Node::Map(entries) => {
            out.push('{');
            for (n, (k, v)) in entries.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_json_str(out, k);
                out.push(':');
                write_node_json(out, v);
            }
            out.push('}');
        }
    }
}

// ------------------------------------------- go-yaml key order, again ----

/// Go's unicode predicates as reported by goref.
pub struct GoUnicode {
    pub letter: Vec<(u32, u32)>,
    pub digit: Vec<(u32, u32)>,
    pub assigned: Vec<(u32, u32)>,
}

fn in_ranges(ranges: &[(u32, u32)], c: u32) -> bool {
    let i = ranges.partition_point(|&(_, hi)| hi < c);
    ranges.get(i).is_some_and(|&(lo, _)| lo <= c)
}

impl GoUnicode {
    pub fn get() -> &'static GoUnicode {
        static U: OnceLock<GoUnicode> = OnceLock::new();
        U.get_or_init(|| {
            let a = goref().unicode();
            GoUnicode {
                letter: a.letter,
                digit: a.digit,
                assigned: a.assigned,
            }
        })
    }
    pub fn is_letter(&self, c: char) -> bool {
        in_ranges(&self.letter, c as u32)
    }
    pub fn is_digit(&self, c: char) -> bool {
        in_ranges(&self.digit, c as u32)
    }
    pub fn is_assigned(&self, c: char) -> bool {
        in_ranges(&self.assigned, c as u32)
    }
}

/// go-yaml v2 sorter.go `keyList.Less` for two strings, transcribed plainly
/// (and separately from the crate's version) with Go's own unicode answers.
pub fn go_less(u: &GoUnicode, a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = u.is_letter(ar[i]);
        let bl = u.is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i as isize - 1;
            while j >= 0 && u.is_digit(ar[j as usize]) {
                if ar[j as usize] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
                j -= 1;
            }
        }
        let mut ai = i;
        while ai < ar.len() && u.is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && u.is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Whether go-yaml's order of these distinct keys is one fixed order (its
/// rule restricted to them is transitive); otherwise Go's own output depends
/// on map iteration order.
pub fn keys_totally_ordered(u: &GoUnicode, keys: &[&str]) -> bool {
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    // Insertion by the rule, then check every pair.
    let mut order: Vec<&str> = Vec::with_capacity(sorted.len());
    for k in sorted {
        let pos = order
            .iter()
            .position(|o| go_less(u, k, o))
            .unwrap_or(order.len());
        order.insert(pos, k);
    }
    for i in 0..order.len() {
        for j in i + 1..order.len() {
            if !go_less(u, order[i], order[j]) || go_less(u, order[j], order[i]) {
                return false;
            }
        }
    }
    true
}

/// Whether every mapping in `node` has a key set go-yaml orders
/// deterministically (see [`keys_totally_ordered`]).
pub fn deterministic_order(u: &GoUnicode, node: &Node) -> bool {
    match node {
        Node::Map(entries) => {
            let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            keys_totally_ordered(u, &keys) && entries.iter().all(|(_, v)| deterministic_order(u, v))
        }
        Node::Seq(items) => items.iter().all(|v| deterministic_order(u, v)),
        _ => true,
    }
}

// ------------------------------------------------------------- diffs ----

/// Collects mismatches and fails the test with the first few of them.
#[derive(Default)]
pub struct Mismatches {
    pub count: usize,
    pub shown: Vec<String>,
}

impl Mismatches {
    pub fn add(&mut self, what: &str, input: &str, go: &str, ours: &str) {
        self.count += 1;
        if self.shown.len() < 6 {
            self.shown
                .push(format!("{what}\n  input: {input}\n{}", diff(go, ours)));
        }
    }
    pub fn note(&mut self, msg: String) {
        self.count += 1;
        if self.shown.len() < 6 {
            self.shown.push(msg);
        }
    }
    pub fn assert_none(&self, total: usize) {
        assert!(
            self.count == 0,
            "{} of {total} cases differ from Go:\n\n{}",
            self.count,
            self.shown.join("\n")
        );
    }
}

/// A one-line description of a document for failure messages.
pub fn show(node: &Node) -> String {
    let mut s = node_json(node);
    if s.len() > 600 {
        let mut cut = 600;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

// -------------------------------------------------------- comparing ----

#[derive(Default, Debug)]
pub struct Stats {
    pub compared: usize,
    pub yaml_refused: usize,
    pub unordered_keys: usize,
}

pub fn sorted_lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.split_inclusive('\n').collect();
    v.sort_unstable();
    v
}

/// The phrase go-yaml's error contains for each of our refusals.
pub fn go_phrase(e: &YamlError) -> &'static str {
    match e {
        YamlError::ControlCharacter { .. } => "control characters are not allowed",
        YamlError::LineBreakInKey { .. } | YamlError::KeyTooLong { .. } => {
            "did not find expected ',' or '}'"
        }
        YamlError::DocumentMarker { .. } => "found unexpected document indicator",
    }
}

/// Compares our output with Go's for every document.
pub fn compare(docs: &[Node], answers: &[Answer], check_phrase: bool) -> (Mismatches, Stats) {
    let u = GoUnicode::get();
    let mut mm = Mismatches::default();
    let mut st = Stats::default();
    for (doc, a) in docs.iter().zip(answers) {
        st.compared += 1;
        // JSON: exact bytes.
        let json = emit::to_json(doc);
        if !a.json_err.is_empty() {
            mm.note(format!("go json failed ({}) on {}", a.json_err, show(doc)));
        } else if json != a.json {
            mm.add("json differs", &show(doc), &a.json, &json);
        }
        // YAML: exact bytes, or the same refusal.
        match (emit::try_to_yaml(doc), a.yaml_err.is_empty()) {
            (Ok(yaml), true) => {
                let lenient = emit::to_yaml(doc);
                if lenient != yaml {
                    mm.add(
                        "to_yaml differs from try_to_yaml",
                        &show(doc),
                        &yaml,
                        &lenient,
                    );
                }
                if deterministic_order(u, doc) {
                    if yaml != a.yaml {
                        mm.add("yaml differs", &show(doc), &a.yaml, &yaml);
                    }
                } else {
                    // Go's own key order varies from run to run here.
                    st.unordered_keys += 1;
                    if sorted_lines(&yaml) != sorted_lines(&a.yaml) {
                        mm.add(
                            "yaml differs (lines, any order)",
                            &show(doc),
                            &a.yaml,
                            &yaml,
                        );
                    }
                }
            }
            (Err(e), false) => {
                st.yaml_refused += 1;
                if check_phrase && !a.yaml_err.contains(go_phrase(&e)) {
                    mm.note(format!(
                        "both refuse, differently: go `{}`, ours `{e}` on {}",
                        a.yaml_err,
                        show(doc)
                    ));
                }
            }
            (Ok(yaml), false) => mm.note(format!(
                "go refuses ({}) but we print {:?} for {}",
                a.yaml_err,
                yaml,
                show(doc)
            )),
            (Err(e), true) => mm.note(format!(
                "we refuse ({e}) but go prints {:?} for {}",
                a.yaml,
                show(doc)
            )),
        }
    }
    (mm, st)
}

// -------------------------------------------------------- generators ----

/// Words go-yaml's resolver treats specially, with near misses.
pub const RESOLVE_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "yEs", "true", "True", "TRUE", "tRUE", "on", "On", "ON", "oN",
    "n", "N", "no", "No", "NO", "nO", "false", "False", "FALSE", "fALSE", "off", "Off", "OFF",
    "oFF", "~", "null", "Null", "NULL", "nULL", "nil", "None", ".nan", ".NaN", ".NAN", ".nAn",
    "+.nan", ".inf", ".Inf", ".INF", ".iNF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    "inf", "-inf", "infinity", "NaN", "<<", "=", "!!str", "!", "&a", "*a", "%YAML", "@", "`",
];

/// Numbers and number-like strings.
pub const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "+1",
    "007",
    "08",
    "09.5",
    "0x1F",
    "0X1f",
    "0x",
    "0xG",
    "0o17",
    "0O17",
    "0o8",
    "0b101",
    "0B11",
    "0b",
    "0b2",
    "0b-101",
    "0b+11",
    "-0b101",
    "-0b-1",
    "1_000",
    "1__0",
    "_1",
    "1_",
    "-_1",
    "1e3",
    "1E3",
    "1e+3",
    "1e-3",
    "1.",
    "1.5",
    ".5",
    "-.5",
    "+.5",
    "5.e3",
    ".5_5",
    "._5",
    ".5_",
    ".5e1_0",
    ".e5",
    ".",
    "..",
    "1e",
    "1e999",
    "-1e999",
    "1e-999",
    ".1e999",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "0x8000000000000000",
    "0xFFFFFFFFFFFFFFFF",
    "0x10000000000000000",
    "123456789012345678901234567890",
    "1:20",
    "12:30:45",
    "1:60",
    "1:5:",
    "190:20:30.15",
    "-1:20",
    "+1:20",
    "1_0:20",
    "1:2_0",
    "1:20.5_5",
    "1:2:3:4",
    ":20",
    "1:",
    "0.0.0.0",
    "1.2.3",
    "1,000",
    "1 000",
    "1e3e3",
    "0e0",
    "00",
    "-0",
    "+0",
    "0_0",
    "3.14159",
    "6.02e23",
    "1/2",
];

/// Timestamp-like strings, the forms Go >= 1.20 parses differently from older Go
/// (fractional digits past nine, zone offsets) included.
pub const TIMESTAMPS: &[&str] = &[
    "2024-01-02 03:04:05.1234567890",
    "2024-01-02T03:04:05.123456789012Z",
    "2024-01-02T03:04:05+24:00",
    "2024-01-02T03:04:05+25:00",
    "2024-01-02T03:04:05+01:61",
    "2024-01-02T03:04:05+-1:00",
    "2024-01-02T03:04:05+1:00",
    "2024-01-02",
    "2024-1-2",
    "2024-01-2",
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-13-01",
    "2024-00-10",
    "2024-01-00",
    "2024-04-31",
    "1900-02-29",
    "2000-02-29",
    "2024-01-02T03:04:05Z",
    "2024-01-02t03:04:05Z",
    "2024-01-02T3:4:5Z",
    "2024-01-02T03:04:05.123456789Z",
    "2024-01-02T03:04:05,5Z",
    "2024-01-02T03:04:05+01:00",
    "2024-01-02T03:04:05-24:00",
    "2024-01-02T03:04:05+01:60",
    "2024-01-02T03:04:05",
    "2024-01-02T24:00:00Z",
    "2024-01-02T23:60:00Z",
    "2024-01-02T23:59:60Z",
    "2024-01-02 03:04:05",
    "2024-01-02   3:4:5.5",
    "2024-01-02 03:04:05Z",
    "2024-01-02 03:04",
    "2024-01-02T03:04:05.Z",
    "2024-01-02x",
    "2024-01",
    "2024-",
    "24-01-02",
    "20240-01-02",
    "2024-01-02 ",
    " 2024-01-02",
    "2024-01-02T03:04:05+0100",
];

/// Pieces with YAML indicators, blanks, breaks, quotes and odd characters.
pub const PIECES: &[&str] = &[
    "-",
    "?",
    ":",
    ",",
    "[",
    "]",
    "{",
    "}",
    "#",
    "&",
    "*",
    "!",
    "|",
    ">",
    "'",
    "\"",
    "%",
    "@",
    "`",
    "- ",
    "? ",
    ": ",
    " #",
    "#x",
    "a#",
    "a:b",
    "a: b",
    "a :b",
    "::",
    "--",
    "---",
    "...",
    "--- x",
    "... x",
    "---x",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\n ",
    " \n",
    "\\",
    "\\n",
    "''",
    "\0",
    "\u{1}",
    "\u{7}",
    "\u{8}",
    "\u{b}",
    "\u{c}",
    "\u{1b}",
    "\u{1f}",
    "\u{85}",
    "\u{a0}",
    "\u{ad}",
    "é",
    "ß",
    "Ω",
    "日本",
    "한국어",
    "😀",
    "𝔘",
    "\u{feff}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}a b",
    "\u{fffd}",
    "\u{e000}",
    "\u{d7ff}",
    "\u{301}",
    "٣",
    "０",
    "५",
    "€",
    "©",
    "<",
    ">",
    "&",
    "<b>",
    "a&b",
    "=",
    "~",
    "^",
    "$",
    "(",
    ")",
    "+",
    ";",
    "/",
    ".",
    "_",
    "abc",
    "Key",
    "value",
    "hello world",
    "x",
    "0",
    "9",
    "10",
    "A1",
    "a01",
];

/// Characters go-yaml's reader refuses (kubeseal cannot print them as YAML).
pub const REFUSED: &[&str] = &[
    "\u{7f}", "\u{80}", "\u{84}", "\u{86}", "\u{9f}", "\u{fffe}", "\u{ffff}",
];

const WORDS: &[&str] = &[
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "x",
    "a",
    "supercalifragilisticexpialidocious",
    "é",
    "日本語",
    "😀",
];

fn pick<'a>(rng: &mut impl RngCore, xs: &'a [&'a str]) -> &'a str {
    xs.choose(rng).expect("non-empty")
}

/// A line of words around the 80-column fold point, in any style.
pub fn long_line(rng: &mut impl RngCore) -> String {
    let target = rng.random_range(60..260);
    let mut s = String::new();
    match rng.random_range(0..8) {
        0 => s.push('\''), // forces quotes at the start
        1 => s.push_str("- "),
        2 => s.push(' '),
        _ => {}
    }
    while s.chars().count() < target {
        if !s.is_empty() && !s.ends_with(' ') {
            let sep = match rng.random_range(0..12) {
                0 => "  ",
                1 => "   ",
                2 => "\t",
                3 => "\n",
                4 => ": ",
                5 => " # ",
                _ => " ",
            };
            s.push_str(sep);
        }
        if rng.random_range(0..15) == 0 {
            // A long run without spaces.
            let n = rng.random_range(20..120);
            s.extend(std::iter::repeat_n('z', n));
        } else {
            s.push_str(pick(rng, WORDS));
        }
    }
    match rng.random_range(0..8) {
        0 => s.push(' '),
        1 => s.push('\n'),
        2 => s.push_str("\n\n"),
        3 => s.push('\u{1}'),
        _ => {}
    }
    s
}

/// A tricky string: concatenated pieces, resolver words, numbers, dates and
/// long lines. `refused` lets through characters go-yaml refuses.
pub fn tricky_string(rng: &mut impl RngCore, refused: bool) -> String {
    match rng.random_range(0..20) {
        0..=2 => return pick(rng, RESOLVE_WORDS).to_owned(),
        3..=4 => return pick(rng, NUMBERS).to_owned(),
        5 => return pick(rng, TIMESTAMPS).to_owned(),
        6..=7 => return long_line(rng),
        8 => return String::new(),
        _ => {}
    }
    let n = rng.random_range(1..6);
    let mut s = String::new();
    for _ in 0..n {
        let piece = match rng.random_range(0..12) {
            0 => pick(rng, RESOLVE_WORDS),
            1 => pick(rng, NUMBERS),
            2 if refused => pick(rng, REFUSED),
            _ => pick(rng, PIECES),
        };
        s.push_str(piece);
    }
    s
}

/// A mapping key: mostly names (as Kubernetes keys are), often with digit
/// runs and non-letters to exercise the order, sometimes anything tricky.
pub fn tricky_key(rng: &mut impl RngCore, refused: bool) -> String {
    const KEY_PIECES: &[&str] = &[
        "A", "B", "a", "b", "z", "Z", "KEY", "key", "_", "-", ".", "/", "0", "00", "1", "01", "2",
        "9", "10", "100", "007", "é", "Ω", "日", "٣", "０", "५", "€", "~", " ", ":", "#",
    ];
    match rng.random_range(0..10) {
        0..=1 => tricky_string(rng, refused),
        2 => {
            // Long keys: past 128 bytes (`? ` form), sometimes past go-yaml's
            // 1024-character limit once JSON-escaped.
            let n = rng.random_range(100..1100);
            let c = pick(rng, &["k", "<", "é", "a b", "\u{1}"]);
            c.repeat(n / c.len().max(1))
        }
        _ => {
            let n = rng.random_range(1..6);
            (0..n).map(|_| pick(rng, KEY_PIECES)).collect()
        }
    }
}

/// A random JSON-like document: a mapping of tricky keys to scalars,
/// sequences and mappings (including empty ones), up to `depth` deep.
pub fn tricky_doc(rng: &mut impl RngCore, depth: usize, refused: bool) -> Node {
    let n = rng.random_range(0..7);
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let key = if rng.random_range(0..12) == 0 && !entries.is_empty() {
            // A repeated key: a Go map keeps the last value.
            let (k, _): &(String, Node) = entries.choose(rng).expect("non-empty");
            k.clone()
        } else {
            tricky_key(rng, refused)
        };
        entries.push((key, tricky_value(rng, depth, refused)));
    }
    Node::Map(entries)
}

/// A random value for [`tricky_doc`].
pub fn tricky_value(rng: &mut impl RngCore, depth: usize, refused: bool) -> Node {
    match rng.random_range(0..20) {
        0 => Node::Null,
        1 => Node::Bool(rng.random()),
        2 => Node::Int(match rng.random_range(0..4) {
            0 => rng.random(),
            1 => i64::MIN,
            _ => rng.random_range(-1000..1000),
        }),
        3..=4 if depth > 0 => {
            let n = rng.random_range(0..4);
            Node::Seq(
                (0..n)
                    .map(|_| tricky_value(rng, depth - 1, refused))
                    .collect(),
            )
        }
        5..=6 if depth > 0 => tricky_doc(rng, depth - 1, refused),
        _ => Node::Str(tricky_string(rng, refused)),
    }
}
