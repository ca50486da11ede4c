//! Differential tests: `emit::to_json` / `emit::try_to_yaml` against the real
//! Go serializers (`tests/goref`: encoding/json MarshalIndent and
//! sigs.k8s.io/yaml.JSONToYAML over go-yaml v2) on thousands of generated
//! tricky strings, keys and documents.
//!
//! The generator is seeded; set `EMPSEAL_EMIT_SEED=<n>` to explore other
//! inputs, `EMPSEAL_EMIT_CASES=<n>` to run more of them.

use crate::emit_support;

use emit_support::{
    compare, goref, long_line, tricky_doc, tricky_key, tricky_string, tricky_value, GoValues,
    Stats, NUMBERS, PIECES, REFUSED, RESOLVE_WORDS, TIMESTAMPS,
};
use kubeseal_core::emit::{self, Node};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn seed() -> u64 {
    std::env::var("EMPSEAL_EMIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0036)
}

fn cases(default: usize) -> usize {
    std::env::var("EMPSEAL_EMIT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn run(what: &str, docs: Vec<Node>, check_phrase: bool) -> Stats {
    let answers = goref().values(&docs);
    let (mm, st) = compare(&docs, &answers, check_phrase);
    eprintln!("{what}: {st:?}");
    mm.assert_none(docs.len());
    st
}

/// Every fixed tricky piece alone, as a value and as a key.
#[test]
fn fixed_pieces_match_go() {
    let mut strings: Vec<String> = Vec::new();
    for list in [RESOLVE_WORDS, NUMBERS, TIMESTAMPS, PIECES, REFUSED] {
        strings.extend(list.iter().map(|s| (*s).to_owned()));
    }
    // Each indicator at the start, middle and end of a word.
    for ind in [
        "-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@",
        "`", "- ", "? ", ": ", " #", "\\",
    ] {
        strings.push(format!("{ind}ab"));
        strings.push(format!("a{ind}b"));
        strings.push(format!("ab{ind}"));
    }
    // Line breaks in every position.
    for br in [
        "\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "\n\n", "\n\n\n",
    ] {
        for s in [
            format!("{br}ab"),
            format!("a{br}b"),
            format!("ab{br}"),
            br.to_string(),
            format!(" {br}a"),
            format!("a{br} b"),
            format!("a {br}b"),
            format!("{br}{br}a{br}{br}"),
        ] {
            strings.push(s);
        }
    }
    let mut docs = Vec::new();
    for s in &strings {
        docs.push(Node::Map(vec![("k".to_owned(), Node::Str(s.clone()))]));
        docs.push(Node::Map(vec![(s.clone(), Node::Str("v".to_owned()))]));
        docs.push(Node::Str(s.clone()));
        docs.push(Node::Seq(vec![Node::Str(s.clone())]));
        docs.push(Node::Map(vec![(
            "a".to_owned(),
            Node::Map(vec![(
                "b".to_owned(),
                Node::Seq(vec![Node::Str(s.clone())]),
            )]),
        )]));
    }
    let st = run("fixed pieces", docs, false);
    assert!(st.yaml_refused > 0, "refusals must be exercised");
}

/// Generated strings as values and as keys, at several depths.
#[test]
fn generated_strings_match_go() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let n = cases(6000);
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let s = tricky_string(&mut rng, false);
        docs.push(match i % 4 {
            0 => Node::Map(vec![("k".to_owned(), Node::Str(s))]),
            1 => Node::Map(vec![(
                "nested".to_owned(),
                Node::Map(vec![("key".to_owned(), Node::Str(s))]),
            )]),
            2 => Node::Map(vec![(s, Node::Int(1))]),
            _ => Node::Seq(vec![Node::Map(vec![("a".to_owned(), Node::Str(s))])]),
        });
    }
    run("generated strings", docs, false);
}

/// Long lines around the 80-column fold, at indentations 0 to 8.
#[test]
fn folding_matches_go() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0xf01d);
    let n = cases(3000);
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let mut node = Node::Str(long_line(&mut rng));
        for _ in 0..(i % 5) {
            node = Node::Map(vec![(
                tricky_key(&mut rng, false).chars().take(12).collect(),
                node,
            )]);
        }
        docs.push(Node::Map(vec![("k".to_owned(), node)]));
    }
    run("folding", docs, false);
}

/// Key order: many keys per mapping with digit runs, non-letters and
/// non-ASCII letters and digits.
#[test]
fn key_order_matches_go() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0x50e7);
    let n = cases(2000);
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let k = rng.random_range(2..30);
        let entries = (0..k)
            .map(|_| {
                let key: String = tricky_key(&mut rng, false).chars().take(16).collect();
                (key, Node::Int(rng.random_range(0..100)))
            })
            .collect();
        docs.push(Node::Map(entries));
    }
    let st = run("key order", docs, false);
    assert!(
        st.unordered_keys < st.compared / 2,
        "too few deterministic key sets: {st:?}"
    );
}

/// Whole documents: nested mappings and sequences, empty collections,
/// repeated keys, null, booleans, integers.
#[test]
fn generated_documents_match_go() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0xd0c5);
    let n = cases(3000);
    let docs: Vec<Node> = (0..n)
        .map(|i| match i % 10 {
            0 => tricky_value(&mut rng, 3, false),
            _ => tricky_doc(&mut rng, 3, false),
        })
        .collect();
    run("generated documents", docs, false);
}

/// Values kubeseal's YAML path refuses: refused characters, U+0085 in keys,
/// over-long keys, document markers after U+0085. One problem per document,
/// so the kind of refusal must match Go's error too.
#[test]
fn refusals_match_go() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0xbad);
    let n = cases(1500);
    let mut docs = Vec::with_capacity(n);
    while docs.len() < n {
        let base = tricky_doc(&mut rng, 2, false);
        if emit::try_to_yaml(&base).is_err() {
            continue; // start from a clean document
        }
        let bad = match rng.random_range(0..6) {
            0 => format!(
                "{}{}{}",
                tricky_string(&mut rng, false),
                emit_support::REFUSED[rng.random_range(0..REFUSED.len())],
                tricky_string(&mut rng, false)
            ),
            1 => {
                format!("a\u{85}{}", ["---", "..."][rng.random_range(0..2)])
                    + [" ", "\u{85}", " x"][rng.random_range(0..3)]
            }
            2 => format!(
                "{}\u{85}--- {}",
                tricky_string(&mut rng, false).replace('\u{85}', ""),
                "x"
            ),
            _ => String::new(),
        };
        let Node::Map(mut entries) = base else {
            continue;
        };
        let (key, value) = match (bad.is_empty(), rng.random_range(0..3)) {
            (false, 0) if !bad.contains("\u{85}") => (bad, Node::Null),
            (false, _) => ("bad".to_owned(), Node::Str(bad)),
            (true, 0) => ("a\u{85}b".to_owned(), Node::Int(1)),
            (true, 1) => ("k".repeat(rng.random_range(1000..1040)), Node::Int(1)),
            (true, _) => ("<".repeat(rng.random_range(168..175)), Node::Int(1)),
        };
        let at = rng.random_range(0..=entries.len());
        entries.insert(at, (key, value));
        docs.push(Node::Map(entries));
    }
    let st = run("refusals", docs, true);
    assert!(st.yaml_refused > n / 2, "refusals must dominate: {st:?}");
}

/// go-yaml v2 quotes a string that `time.Parse` reads with one of its four
/// timestamp layouts: every combination of year, month, day and time-of-day
/// shapes (leap days, one- and two-digit fields, out-of-range values, zones,
/// fractions, stray text) as a value, written by us and by Go.
#[test]
fn timestamp_shapes_match_go() {
    let mut docs = Vec::new();
    let mut quoted = 0;
    for year in ["2001", "2000", "1900", "2004", "0000", "9999", "200x"] {
        for month in ["1", "01", "0", "00", "12", "13", "2", "02", "1a", ""] {
            for day in ["1", "01", "0", "28", "29", "30", "31", "32", "3a"] {
                for time in [
                    "",
                    "T21:59:43",
                    "t21:59:43.10",
                    " 21:59:43",
                    "  1:2:3.5",
                    "T21:59:43Z",
                    "T21:59:43.10-05:00",
                    "T21:59:43+1x:00",
                    "T21:59:43+05:0",
                    "T24:00:00Z",
                    "T23:60:00Z",
                    "T1:2:3+24:00",
                    "T1:2:3+25:00",
                    "T1:2:3+05:61",
                    "T1:2:3+05:60",
                    "T1:2:3 ",
                    " ",
                    "T",
                    "x",
                ] {
                    let s = format!("{year}-{month}-{day}{time}");
                    quoted += usize::from(!kubeseal_core::goyaml::can_use_plain(&s));
                    docs.push(Node::Map(vec![("k".to_owned(), Node::Str(s))]));
                }
            }
        }
    }
    let n = docs.len();
    let st = run("timestamp shapes", docs, false);
    assert_eq!(st.compared, n);
    // Both sides of the rule are exercised: timestamps (quoted) and near misses.
    assert!(
        quoted > 1_000 && n - quoted > 1_000,
        "{quoted} of {n} quoted"
    );
}
