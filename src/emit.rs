//! kubeseal-exact emitters: Go `encoding/json` (MarshalIndent) and go-yaml v2
//! (as reached through sigs.k8s.io/yaml's JSON→YAML path).
//!
//! No crate reproduces go-yaml v2's bytes, so this one is ours: small and
//! exhaustively tested against the real Go serializer (`tests/goref/`).

use crate::secret::{Format, Layout, SealedSecret, Secret};

/// A JSON-like value whose object keys keep the order they were inserted in
/// (Go struct field order; Go maps must be inserted sorted by bytes).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// JSON `null`.
    Null,
    /// JSON boolean.
    Bool(bool),
    /// JSON integer.
    Int(i64),
    /// JSON string.
    Str(String),
    /// JSON array.
    Seq(Vec<Node>),
    /// JSON object, in emission order for JSON.
    Map(Vec<(String, Node)>),
}

/// Go's `json.MarshalIndent(v, "", "  ")` bytes of `node` (no trailing newline).
pub fn to_json(node: &Node) -> String {
    let _ = node;
    todo!("emit::to_json")
}

/// What `sigs.k8s.io/yaml.JSONToYAML` prints for the JSON of `node` (go-yaml v2).
pub fn to_yaml(node: &Node) -> String {
    let _ = node;
    todo!("emit::to_yaml")
}

/// The SealedSecret as Go would marshal it, in the given layout.
pub fn sealed_secret_node(s: &SealedSecret, layout: Layout) -> Node {
    let _ = (s, layout);
    todo!("emit::sealed_secret_node")
}

/// The Secret as Go would marshal it (for `unseal`), in the given layout.
pub fn secret_node(s: &Secret, layout: Layout) -> Node {
    let _ = (s, layout);
    todo!("emit::secret_node")
}

/// One object exactly as kubeseal writes it: YAML is preceded by `---\n`,
/// JSON is followed by `\n`.
pub fn document(node: &Node, format: Format) -> String {
    match format {
        Format::Yaml => format!("---\n{}", to_yaml(node)),
        Format::Json => format!("{}\n", to_json(node)),
    }
}
