//! Reading a YAML stream as kubeseal does: cut into documents as apimachinery's
//! `YAMLReader` does, each parsed from libyaml's events (the syntax go-yaml v2
//! accepts) into the positioned tree, plain scalars resolved by go-yaml v2's
//! rules; aliases expand within one budget per input.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::error::{syntax, ManifestError};
use super::libyaml;
use super::tree::{Node, Scalar, Value};
use crate::goyaml::resolve_plain;

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
                // The next document's first line sets buf_first (below).
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
            libyaml::Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(invalid(
                        line,
                        "a second YAML document in one section: its '---' follows a line break kubeseal does not split at (a lone carriage return or a Unicode line separator), so kubeseal would ignore it",
                        "end lines with a newline and separate documents with a line '---'",
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

/// Reads a YAML stream document by document, one node and alias budget for all.
pub(super) fn parse_yaml_stream(origin: &str, bytes: &[u8]) -> Result<Vec<Node>, ManifestError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_documents;

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
