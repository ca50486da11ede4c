//! A manifest stream as kubeseal's `NewYAMLOrJSONDecoder` splits it: JSON objects
//! or YAML documents, chosen by the first character, and the file's shape
//! (format and layout) for rewriting it as it was.

use super::error::{syntax, ManifestError};
use super::json::{line_col, looks_like_json, parse_json_stream};
use super::tree::{Document, Node, Value};
use super::yaml::parse_yaml_stream;
use crate::secret::{Format, Layout};

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
