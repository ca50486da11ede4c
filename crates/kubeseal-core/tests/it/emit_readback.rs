//! Our YAML reads back as the same strings with an independent YAML parser
//! (serde_yaml, a libyaml port), for keys and values built from tricky pieces.
//!
//! Excluded, because the two YAML readers legitimately disagree there (not
//! because of our output):
//! - U+0085: on kubeseal's path go-yaml itself folds it out of the value (see
//!   `nel_folding` in testdata/emit), so the printed value differs on purpose;
//! - characters go-yaml refuses (U+007F, C1 controls, U+FFFE/U+FFFF);
//! - plain scalars that YAML 1.2 (serde_yaml) resolves as non-strings while
//!   YAML 1.1 (go-yaml) does not: go-yaml only quotes what *it* would
//!   misread. These are listed in `yaml12_non_string`.

use crate::emit_support;

use std::collections::BTreeMap;

use emit_support::{NUMBERS, PIECES, RESOLVE_WORDS, TIMESTAMPS};
use kubeseal_core::emit::{self, Node};
use proptest::prelude::*;

fn pieces() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for list in [PIECES, RESOLVE_WORDS, NUMBERS, TIMESTAMPS] {
        v.extend(list.iter().copied().filter(|p| !p.contains('\u{85}')));
    }
    v.extend([
        "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor",
        " ",
        "  ",
        "word",
    ]);
    v
}

fn tricky() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces()), 0..7).prop_map(|v| v.concat())
}

/// Plain scalars go-yaml leaves unquoted that a YAML 1.2 core-schema reader
/// takes for a number or null (YAML 1.1 vs 1.2 number syntax).
fn yaml12_non_string(yaml: &str, key: &str, value: &str) -> bool {
    let plain = |s: &str| {
        yaml.contains(&format!("{s}\n"))
            && !yaml.contains(&format!("\"{s}\""))
            && !yaml.contains(&format!("'{s}'"))
    };
    let number12 = |s: &str| {
        // YAML 1.2 core schema: ints (incl. 0o, 0x) and floats, .inf/.nan.
        let t = s.strip_prefix(['-', '+']).unwrap_or(s);
        s.parse::<f64>().is_ok()
            && !t.starts_with("inf")
            && !t.starts_with("nan")
            && !t.starts_with("Inf")
            && !t.starts_with("NaN")
            || s.strip_prefix("0o")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| (b'0'..=b'7').contains(&b)))
    };
    (number12(value) && plain(value)) || number12(key)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn strings_read_back(key in tricky(), value in tricky()) {
        let node = Node::Map(vec![(key.clone(), Node::Str(value.clone()))]);
        let yaml = match emit::try_to_yaml(&node) {
            Ok(y) => y,
            Err(_) => return Ok(()), // refused strings: covered by the differential tests
        };
        prop_assume!(!yaml12_non_string(&yaml, &key, &value));
        let back: BTreeMap<String, String> = serde_yaml::from_str(&yaml)
            .map_err(|e| TestCaseError::fail(format!("serde_yaml cannot read {yaml:?}: {e}")))?;
        let want: BTreeMap<String, String> = [(key, value)].into_iter().collect();
        prop_assert_eq!(back, want, "yaml was {:?}", yaml);
    }

    #[test]
    fn sequences_and_nesting_read_back(a in tricky(), b in tricky(), k in tricky()) {
        let node = Node::Map(vec![(
            "outer".to_owned(),
            Node::Map(vec![(k.clone(), Node::Seq(vec![Node::Str(a.clone()), Node::Str(b.clone())]))]),
        )]);
        let Ok(yaml) = emit::try_to_yaml(&node) else { return Ok(()) };
        prop_assume!(!yaml12_non_string(&yaml, &k, &a) && !yaml12_non_string(&yaml, &k, &b));
        let back: BTreeMap<String, BTreeMap<String, Vec<String>>> = serde_yaml::from_str(&yaml)
            .map_err(|e| TestCaseError::fail(format!("serde_yaml cannot read {yaml:?}: {e}")))?;
        prop_assert_eq!(&back["outer"][&k], &vec![a, b], "yaml was {:?}", yaml);
    }
}
