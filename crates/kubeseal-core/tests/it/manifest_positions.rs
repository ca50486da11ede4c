//! Every node `parse_documents` returns points at its own text: at its line and
//! column (1-based; characters for YAML, bytes for JSON) the input holds the
//! node's first character, for JSON streams (pretty, and several objects on one
//! line) and YAML (block and flow, with multi-byte characters before a value).
//! Tools built on the core point their findings there.

use kubeseal_core::manifest::{parse_documents, Node, Scalar, Value};

/// The text from `node`'s position to the end of its line.
fn at<'a>(text: &'a str, node: &Node, json: bool) -> &'a str {
    let line = text
        .split('\n')
        .nth(node.line - 1)
        .unwrap_or_else(|| panic!("line {} past the end", node.line));
    if json {
        &line[node.column - 1..]
    } else {
        let skip: usize = line.chars().take(node.column - 1).map(char::len_utf8).sum();
        &line[skip..]
    }
}

/// What the text at a node may start with (`None` for a block YAML mapping: it
/// starts at its first key, which is not a node of its own here). `bracketed`:
/// JSON or flow YAML, where collections open with `{` and `[`.
fn first_texts(node: &Node, json: bool, bracketed: bool) -> Option<Vec<String>> {
    Some(match &node.value {
        Value::Map(_) if bracketed => vec!["{".into()],
        Value::Map(_) => return None,
        Value::Seq(_) if bracketed => vec!["[".into()],
        Value::Seq(_) => vec!["-".into()],
        Value::Scalar(Scalar::Str(t)) if json => vec![serde_json::to_string(t.as_str()).unwrap()],
        // Quoted YAML: a quote of either kind, then the text.
        Value::Scalar(Scalar::Str(t)) => {
            vec![format!("\"{}", t.as_str()), format!("'{}", t.as_str())]
        }
        Value::Scalar(Scalar::Plain { text, .. }) => vec![text.to_string()],
        Value::Scalar(Scalar::JsonNumber(n)) => vec![n.clone()],
        Value::Scalar(Scalar::JsonBool(b)) => vec![b.to_string()],
        Value::Scalar(Scalar::JsonNull) => vec!["null".into()],
    })
}

/// Checks `node` and every value node under it; returns how many nodes it saw.
fn check_tree(text: &str, node: &Node, json: bool, flow: bool) -> usize {
    if let Some(want) = first_texts(node, json, json || flow) {
        let here = at(text, node, json);
        assert!(
            want.iter().any(|w| here.starts_with(w.as_str())),
            "{want:?} at {}:{}: {here:?}",
            node.line,
            node.column
        );
    }
    let children: Vec<&Node> = match &node.value {
        Value::Map(entries) => entries.iter().map(|(_, v)| v).collect(),
        Value::Seq(items) => items.iter().collect(),
        Value::Scalar(_) => Vec::new(),
    };
    1 + children
        .into_iter()
        .map(|c| check_tree(text, c, json, flow))
        .sum::<usize>()
}

#[test]
fn every_node_points_at_its_text() {
    let object = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "emp-secrets-paper", "labels": {"é-zone": "ünïcode"}},
        "immutable": true,
        "stringData": {"A": "line\nbreak", "B": "tab\tand \"quote\""},
        "list": [1, -2.5e3, null, false, [], {}, ["nested"]]
    });
    let pretty = serde_json::to_string_pretty(&object).unwrap();
    let compact = serde_json::to_string(&object).unwrap();
    // Several objects on one line, after blank lines: columns far from 1.
    let stream = format!("\n\n  {compact} {compact}\n{pretty}\n{compact}");
    let yaml_block = "# a comment\napiVersion: v1\nkind: Secret\nmetadata:\n  name: emp-secrets-paper\n  labels:\n    é-zone: ünïcode\nstringData:\n  A: \"quoted\"\n  B: plain value\nlist:\n- 1\n- - nested\n  - ~\n---\nkind: Secret\n";
    let yaml_flow = "{kind: Secret, metadata: {name: ñame, labels: {é: 'ü', ö: \"x\"}}, list: [a, [b, c], {d: e}]}\n";
    let mut nodes = 0;
    for (what, text, json, flow) in [
        ("JSON stream", stream.as_str(), true, true),
        ("block YAML", yaml_block, false, false),
        ("flow YAML", yaml_flow, false, true),
    ] {
        let docs = parse_documents("in", text.as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(!docs.is_empty(), "{what}");
        for d in &docs {
            nodes += check_tree(text, &d.root, json, flow);
        }
    }
    assert!(nodes > 80, "{nodes}");
}
