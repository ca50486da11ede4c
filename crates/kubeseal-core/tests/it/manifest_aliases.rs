//! The alias budget at its exact edges: an input may copy at most 10,000 nodes
//! and 16 MiB of scalar text by expanding aliases (a "billion laughs" defence,
//! `manifest/yaml.rs`). One alias more than the budget allows is refused on its
//! line; exactly the budget is read. The anchored nodes are sequences, mappings
//! and scalars, so every way a node is counted is held to its edge.

use kubeseal_core::manifest::read_secrets;

const ALIAS_ERROR: &str = "too many nodes after expanding aliases";

/// A Secret whose annotations hold `anchor` under `a0` and `copies` aliases of it.
fn doc(anchor: &str, copies: usize) -> String {
    let mut d = String::from(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\n  annotations:\n",
    );
    d.push_str(&format!("    a0: &x {anchor}\n"));
    for i in 1..=copies {
        d.push_str(&format!("    a{i}: *x\n"));
    }
    d
}

/// Whether reading `d` hit the alias budget (any other outcome is not our concern).
fn over_budget(d: &str) -> bool {
    match read_secrets("aliases.yaml", d.as_bytes()) {
        Ok(_) => false,
        Err(e) => e.to_string().contains(ALIAS_ERROR),
    }
}

#[test]
fn the_alias_node_budget_holds_at_its_edge() {
    // A sequence of 99 scalars is 100 nodes: 100 copies are 10,000, one more is over.
    let seq = format!("[{}]", vec!["v"; 99].join(", "));
    assert!(!over_budget(&doc(&seq, 100)));
    assert!(over_budget(&doc(&seq, 101)));
    // A mapping of 50 entries is 101 nodes (itself, each key, each value).
    let map = format!(
        "{{{}}}",
        (0..50)
            .map(|i| format!("k{i}: v"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(!over_budget(&doc(&map, 99)));
    assert!(over_budget(&doc(&map, 100)));
    // A scalar is one node.
    assert!(!over_budget(&doc("v", 10_000)));
    assert!(over_budget(&doc("v", 10_001)));
    // The refusal names the line of the first alias over the budget.
    let e = read_secrets("aliases.yaml", doc(&seq, 101).as_bytes()).unwrap_err();
    assert!(e.to_string().starts_with("aliases.yaml:108:"), "{e}");
}

#[test]
fn the_alias_byte_budget_holds_at_its_edge() {
    // A 1 MiB scalar copied 16 times is 16 MiB, once more is over.
    let mib = "x".repeat(1 << 20);
    assert!(!over_budget(&doc(&mib, 16)));
    assert!(over_budget(&doc(&mib, 17)));
    // In a mapping the keys' text counts too: 8 entries of a 2-byte key and a
    // (128 KiB - 2)-byte value are 1 MiB.
    let value = "y".repeat((128 << 10) - 2);
    let map = format!(
        "{{{}}}",
        (0..8)
            .map(|i| format!("k{i}: {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(!over_budget(&doc(&map, 16)));
    assert!(over_budget(&doc(&map, 17)));
    // In a sequence, each item's text.
    let seq = format!("[{}]", vec![value.clone() + "zz"; 8].join(", "));
    assert!(!over_budget(&doc(&seq, 16)));
    assert!(over_budget(&doc(&seq, 17)));
}

/// Positions in the YAML reader's refusals: a syntax error's column (1-based), and
/// a second document in one chunk (apimachinery's reader splits only at a line
/// `---` ended by a newline).
#[test]
fn the_reader_names_columns_and_refuses_a_second_document_in_one_chunk() {
    let refusal = |origin: &str, bytes: &[u8]| read_secrets(origin, bytes).unwrap_err().to_string();
    for (origin, bytes, prefix) in [
        (
            "cols.yaml",
            &b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: [1, 2\n"[..],
            "cols.yaml:7:1:",
        ),
        (
            "cols.yaml",
            b"kind: Secret\nmetadata:\n  name: s\n  x: *nope\n",
            "cols.yaml:4:",
        ),
        (
            "two.yaml",
            b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n...\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n",
            "two.yaml:6:",
        ),
    ] {
        let e = refusal(origin, bytes);
        assert!(e.starts_with(prefix), "{e}");
    }
    // Lines ended by a carriage return alone or a Unicode line separator:
    // apimachinery's splitter sees one line and no `---`, go-yaml (like libyaml)
    // sees line breaks and a second document. kubeseal's decoder reads the first
    // one and ignores the second without a word; we refuse at the hidden separator.
    for brk in ["\r", "\u{2028}", "\u{85}"] {
        let hidden = [
            "apiVersion: v1",
            "kind: Secret",
            "metadata:",
            "  name: a",
            "---",
            "apiVersion: v1",
            "kind: Secret",
            "metadata:",
            "  name: b",
            "",
        ]
        .join(brk);
        let e = refusal("hidden.yaml", hidden.as_bytes());
        assert!(
            e.starts_with("hidden.yaml:5: a second YAML document in one section"),
            "{brk:?}: {e}"
        );
        let go = crate::goref::go_decode(&[(hidden, false)]).remove(0);
        assert_eq!(
            go.unwrap()["metadata"]["name"],
            "a",
            "{brk:?}: Go reads the first document only"
        );
    }
}
