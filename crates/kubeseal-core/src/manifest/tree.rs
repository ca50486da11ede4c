//! The positioned tree both readers (YAML and JSON) build: every node keeps its
//! line and column, and every unquoted YAML scalar its go-yaml v2 reading.

use zeroize::Zeroizing;

use crate::goyaml::Resolved;

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

impl Node {
    pub(super) fn map(&self) -> Option<&[(Node, Node)]> {
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

    pub(super) fn describe(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a sequence",
            Value::Scalar(Scalar::Str(_)) => "a string",
            Value::Scalar(Scalar::Plain { resolved, .. }) => resolved_type_name(*resolved),
            Value::Scalar(Scalar::JsonNull) => "null",
            Value::Scalar(Scalar::JsonBool(_)) => "a boolean",
            Value::Scalar(Scalar::JsonNumber(_)) => "a number",
        }
    }
}

/// How messages name what an unquoted scalar resolved to.
pub(super) fn resolved_type_name(resolved: Resolved) -> &'static str {
    match resolved {
        Resolved::Str => "a string",
        Resolved::Null => "null",
        Resolved::Bool(_) => "a boolean",
        Resolved::Int(_) | Resolved::Uint(_) => "an integer",
        Resolved::Float(_) => "a float",
    }
}
