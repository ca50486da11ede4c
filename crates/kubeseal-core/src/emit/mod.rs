//! kubeseal-exact emitters: Go `encoding/json` (MarshalIndent) and go-yaml v2
//! (as reached through sigs.k8s.io/yaml's JSON→YAML path).
//!
//! No crate reproduces go-yaml v2's bytes, so this one is ours: small and
//! exhaustively tested against the real Go serializer (`tests/goref/`).
//!
//! What kubeseal v0.36 does, and so what this module reproduces:
//! - `--format json`: `json.MarshalIndent(obj, "", "  ")` then `\n` (Go >= 1.22
//!   string escaping: `\b`, `\f`, HTML-safe `\u003c \u003e \u0026`, `\u2028`,
//!   `\u2029`).
//! - `--format yaml`: `---\n`, then `json.Marshal(obj)` fed to
//!   `sigs.k8s.io/yaml.JSONToYAML`, which reads the JSON with go-yaml v2 and
//!   prints it again with go-yaml v2 (keys sorted by go-yaml's own rule, scalar
//!   styles chosen by its resolver and emitter, lines folded at 80 columns).
//!   Reading Go's JSON with a YAML parser is not the identity: a raw U+0085 in a
//!   string is a YAML line break and gets folded, some characters are refused,
//!   and long or multi-line keys break the parse. [`try_to_yaml`] reports the
//!   latter; [`to_yaml`] applies the former.

mod json;
mod keysort;
mod out;
mod unicode_tables;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use zeroize::{Zeroize, Zeroizing};

use crate::secret::{Format, Layout, ObjectMeta, SealedSecret, Secret, SecretTemplate};

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

impl Node {
    /// Overwrites every string (keys and values) with zeros, for trees that
    /// carried plaintext (an unsealed Secret's `data`).
    pub fn zeroize(&mut self) {
        match self {
            Node::Str(s) => s.zeroize(),
            Node::Seq(items) => items.iter_mut().for_each(Node::zeroize),
            Node::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    k.zeroize();
                    v.zeroize();
                }
            }
            Node::Null | Node::Bool(_) | Node::Int(_) => {}
        }
    }
}

/// Why kubeseal's YAML output path (Go JSON read back by go-yaml v2) fails on a
/// value: kubeseal itself prints an error instead of YAML for such objects.
///
/// `path` names the mapping keys leading to the offending string (keys are
/// names, never secret values); values themselves are never included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlError {
    /// A string holds U+007F, U+0080–U+009F other than U+0085, U+FFFE or
    /// U+FFFF: Go's JSON leaves them raw and go-yaml's reader refuses them
    /// ("control characters are not allowed").
    ControlCharacter {
        /// Where the string is.
        path: String,
        /// The refused character.
        ch: char,
    },
    /// A mapping key holds U+0085 (NEL), which go-yaml reads as a line break
    /// inside an implicit key.
    LineBreakInKey {
        /// Where the key is.
        path: String,
    },
    /// A mapping key whose Go JSON form is longer than go-yaml's limit for an
    /// implicit key (the `:` must come at most 1024 characters after the
    /// key's opening quote).
    KeyTooLong {
        /// Where the key is.
        path: String,
        /// Characters of the key's JSON-escaped text.
        json_chars: usize,
    },
    /// A string where a U+0085 line break is followed by `---` or `...` and a
    /// blank: go-yaml reads a document marker there.
    DocumentMarker {
        /// Where the string is.
        path: String,
    },
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            YamlError::ControlCharacter { path, ch } => write!(
                f,
                "{path}: character U+{:04X} cannot be written as YAML (go-yaml: control characters are not allowed); use --format json or remove it",
                u32::from(*ch)
            ),
            YamlError::LineBreakInKey { path } => write!(
                f,
                "{path}: key contains U+0085 (a YAML line break); kubeseal cannot write it as YAML, rename the key"
            ),
            YamlError::KeyTooLong { path, json_chars } => write!(
                f,
                "{path}: key is {json_chars} characters long as JSON, over go-yaml's 1022 limit; kubeseal cannot write it as YAML, shorten the key"
            ),
            YamlError::DocumentMarker { path } => write!(
                f,
                "{path}: a U+0085 line break followed by a document marker (--- or ...) cannot be written as YAML; remove it"
            ),
        }
    }
}

impl std::error::Error for YamlError {}

/// Go's `json.MarshalIndent(v, "", "  ")` bytes of `node` (no trailing newline).
pub fn to_json(node: &Node) -> String {
    let mut out = out::Out::with_capacity(json::size_hint(node), false);
    json::write(&mut out, node);
    out.into_string()
}

/// What `sigs.k8s.io/yaml.JSONToYAML` prints for the JSON of `node` (go-yaml v2).
///
/// Infallible: for the rare values kubeseal cannot print as YAML at all (see
/// [`YamlError`]) it prints what go-yaml's emitter would make of the string as
/// it stands. Use [`try_to_yaml`] to refuse those instead.
pub fn to_yaml(node: &Node) -> String {
    let mut out = out::Out::with_capacity(yaml::size_hint(node), false);
    let _ = yaml::write(&mut out, node, false);
    out.into_string()
}

/// [`to_yaml`], or the reason kubeseal's YAML path would fail on `node`.
pub fn try_to_yaml(node: &Node) -> Result<String, YamlError> {
    let mut out = out::Out::with_capacity(yaml::size_hint(node), false);
    yaml::write(&mut out, node, true)?;
    Ok(out.into_string())
}

/// One object exactly as kubeseal writes it: YAML is preceded by `---\n`,
/// JSON is followed by `\n`.
pub fn document(node: &Node, format: Format) -> String {
    match format {
        Format::Yaml => {
            let mut out = out::Out::with_capacity(yaml::size_hint(node) + 4, false);
            out.push_str("---\n");
            let _ = yaml::write(&mut out, node, false);
            out.into_string()
        }
        Format::Json => {
            let mut out = out::Out::with_capacity(json::size_hint(node) + 1, false);
            json::write(&mut out, node);
            out.push_byte(b'\n');
            out.into_string()
        }
    }
}

/// [`document`], or the reason kubeseal would fail to print `node` as YAML.
pub fn try_document(node: &Node, format: Format) -> Result<String, YamlError> {
    document_out(node, format, false).map(out::Out::into_string)
}

/// The document of an unsealed Secret (plaintext, base64-encoded in `data`):
/// every intermediate buffer is wiped, and the result is wiped when dropped.
pub fn secret_document(
    secret: &Secret,
    layout: Layout,
    format: Format,
) -> Result<Zeroizing<String>, YamlError> {
    let mut node = secret_node(secret, layout);
    let result = document_out(&node, format, true);
    node.zeroize();
    result.map(out::Out::into_zeroizing)
}

fn document_out(node: &Node, format: Format, sensitive: bool) -> Result<out::Out, YamlError> {
    match format {
        Format::Yaml => {
            let mut out = out::Out::with_capacity(yaml::size_hint(node) + 4, sensitive);
            out.push_str("---\n");
            yaml::write(&mut out, node, true)?;
            Ok(out)
        }
        Format::Json => {
            let mut out = out::Out::with_capacity(json::size_hint(node) + 1, sensitive);
            json::write(&mut out, node);
            out.push_byte(b'\n');
            Ok(out)
        }
    }
}

const SEALED_SECRET_KIND: &str = "SealedSecret";
const SEALED_SECRET_API_VERSION: &str = "bitnami.com/v1alpha1";

/// The SealedSecret as Go would marshal it, in the given layout.
///
/// Field order and omission follow the Go types (`bitnami.com/v1alpha1`
/// SealedSecret, `metav1.ObjectMeta`): `kind, apiVersion, metadata,
/// spec{template{metadata, type, immutable, data}, encryptedData}`, no
/// `status`. `spec.template.metadata` is a struct and is always written
/// (`{}` when empty in the current layout); `encryptedData` has no
/// `omitempty` and is written as `{}` when empty (kubeseal starts from an
/// empty map). Map keys come out in byte order, as Go sorts them.
pub fn sealed_secret_node(s: &SealedSecret, layout: Layout) -> Node {
    let spec = vec![
        ("template".to_owned(), template_node(&s.template, layout)),
        ("encryptedData".to_owned(), string_map(&s.encrypted_data)),
    ];
    Node::Map(vec![
        ("kind".to_owned(), Node::Str(SEALED_SECRET_KIND.to_owned())),
        (
            "apiVersion".to_owned(),
            Node::Str(SEALED_SECRET_API_VERSION.to_owned()),
        ),
        ("metadata".to_owned(), meta_node(&s.metadata, layout)),
        ("spec".to_owned(), Node::Map(spec)),
    ])
}

/// The Secret as Go would marshal it (for `unseal`), in the given layout.
///
/// `v1.Secret` field order: `kind, apiVersion, metadata, immutable, data,
/// stringData, type`; `data` values are standard base64 (Go `[]byte`),
/// `stringData` values are Go strings (invalid UTF-8 becomes U+FFFD per bad
/// byte, as Go's JSON encoder does). The tree holds plaintext: call
/// [`Node::zeroize`] when done, or use [`secret_document`].
pub fn secret_node(s: &Secret, layout: Layout) -> Node {
    let mut m = Vec::with_capacity(7);
    m.push(("kind".to_owned(), Node::Str("Secret".to_owned())));
    m.push(("apiVersion".to_owned(), Node::Str("v1".to_owned())));
    m.push(("metadata".to_owned(), meta_node(&s.metadata, layout)));
    if let Some(b) = s.immutable {
        m.push(("immutable".to_owned(), Node::Bool(b)));
    }
    if !s.data.is_empty() {
        let engine = base64::engine::general_purpose::STANDARD;
        let data = s
            .data
            .iter()
            .map(|(k, v)| (k.clone(), Node::Str(engine.encode(v.as_slice()))))
            .collect();
        m.push(("data".to_owned(), Node::Map(data)));
    }
    if !s.string_data.is_empty() {
        let data = s
            .string_data
            .iter()
            .map(|(k, v)| (k.clone(), Node::Str(go_string_lossy(v))))
            .collect();
        m.push(("stringData".to_owned(), Node::Map(data)));
    }
    if let Some(t) = s.type_.as_deref().filter(|t| !t.is_empty()) {
        m.push(("type".to_owned(), Node::Str(t.to_owned())));
    }
    Node::Map(m)
}

fn template_node(t: &SecretTemplate, layout: Layout) -> Node {
    let mut m = Vec::with_capacity(4);
    // An embedded struct with a json name: encoding/json never omits it.
    m.push(("metadata".to_owned(), meta_node(&t.metadata, layout)));
    if let Some(ty) = t.type_.as_deref().filter(|ty| !ty.is_empty()) {
        m.push(("type".to_owned(), Node::Str(ty.to_owned())));
    }
    if let Some(b) = t.immutable {
        m.push(("immutable".to_owned(), Node::Bool(b)));
    }
    if !t.data.is_empty() {
        m.push(("data".to_owned(), string_map(&t.data)));
    }
    Node::Map(m)
}

/// `metav1.ObjectMeta` in Go field order with `omitempty` semantics.
fn meta_node(m: &ObjectMeta, layout: Layout) -> Node {
    let mut f: Vec<(String, Node)> = Vec::with_capacity(4);
    let mut s = |key: &str, v: &str| {
        if !v.is_empty() {
            f.push((key.to_owned(), Node::Str(v.to_owned())));
        }
    };
    s("name", &m.name);
    s("generateName", &m.generate_name);
    s("namespace", &m.namespace);
    s("selfLink", &m.self_link);
    s("uid", &m.uid);
    s("resourceVersion", &m.resource_version);
    if m.generation != 0 {
        f.push(("generation".to_owned(), Node::Int(m.generation)));
    }
    // k8s < 0.34: `Time` struct with omitempty, never omitted, zero → null.
    // k8s >= 0.34: `omitempty,omitzero`, so the always-zero value is dropped.
    if layout == Layout::Legacy {
        f.push(("creationTimestamp".to_owned(), Node::Null));
    }
    if let Some(ts) = &m.deletion_timestamp {
        f.push(("deletionTimestamp".to_owned(), Node::Str(ts.clone())));
    }
    if let Some(secs) = m.deletion_grace_period_seconds {
        f.push(("deletionGracePeriodSeconds".to_owned(), Node::Int(secs)));
    }
    if !m.labels.is_empty() {
        f.push(("labels".to_owned(), string_map(&m.labels)));
    }
    if !m.annotations.is_empty() {
        f.push(("annotations".to_owned(), string_map(&m.annotations)));
    }
    if !m.owner_references.is_empty() {
        let refs = m.owner_references.iter().map(owner_reference).collect();
        f.push(("ownerReferences".to_owned(), Node::Seq(refs)));
    }
    if !m.finalizers.is_empty() {
        let fins = m.finalizers.iter().map(|x| Node::Str(x.clone())).collect();
        f.push(("finalizers".to_owned(), Node::Seq(fins)));
    }
    if !m.managed_fields.is_empty() {
        let mf = m.managed_fields.iter().map(managed_fields_entry).collect();
        f.push(("managedFields".to_owned(), Node::Seq(mf)));
    }
    Node::Map(f)
}

/// A Go `map[string]string`: keys in byte order (BTreeMap order).
fn string_map(m: &BTreeMap<String, String>) -> Node {
    Node::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Node::Str(v.clone())))
            .collect(),
    )
}

fn json_str(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

/// `metav1.OwnerReference`: apiVersion, kind, name, uid always; controller and
/// blockOwnerDeletion when set. Unknown fields are dropped, as Go's typed
/// decoding drops them.
fn owner_reference(v: &serde_json::Value) -> Node {
    let mut m = Vec::with_capacity(6);
    for key in ["apiVersion", "kind", "name", "uid"] {
        m.push((
            key.to_owned(),
            Node::Str(json_str(v, key).unwrap_or_default()),
        ));
    }
    for key in ["controller", "blockOwnerDeletion"] {
        if let Some(b) = v.get(key).and_then(serde_json::Value::as_bool) {
            m.push((key.to_owned(), Node::Bool(b)));
        }
    }
    Node::Map(m)
}

/// `metav1.ManagedFieldsEntry` in Go field order, all fields `omitempty`.
fn managed_fields_entry(v: &serde_json::Value) -> Node {
    let mut m = Vec::with_capacity(7);
    for key in ["manager", "operation", "apiVersion", "time", "fieldsType"] {
        if let Some(s) = json_str(v, key).filter(|s| !s.is_empty()) {
            m.push((key.to_owned(), Node::Str(s)));
        }
    }
    if let Some(fv) = v.get("fieldsV1").filter(|fv| !fv.is_null()) {
        m.push(("fieldsV1".to_owned(), from_json_value(fv)));
    }
    if let Some(s) = json_str(v, "subresource").filter(|s| !s.is_empty()) {
        m.push(("subresource".to_owned(), Node::Str(s)));
    }
    Node::Map(m)
}

/// A JSON value as a [`Node`], keeping the value's own key order. Numbers that
/// are not `i64` (rare in Kubernetes metadata) are kept as their JSON text.
pub fn from_json_value(v: &serde_json::Value) -> Node {
    match v {
        serde_json::Value::Null => Node::Null,
        serde_json::Value::Bool(b) => Node::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Node::Int(i),
            None => Node::Str(n.to_string()),
        },
        serde_json::Value::String(s) => Node::Str(s.clone()),
        serde_json::Value::Array(a) => Node::Seq(a.iter().map(from_json_value).collect()),
        serde_json::Value::Object(o) => Node::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), from_json_value(v)))
                .collect(),
        ),
    }
}

/// Bytes as a Go string reaches JSON: each byte of an invalid UTF-8 sequence
/// becomes one U+FFFD (Go's encoder decodes rune by rune, one byte per error).
fn go_string_lossy(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        for _ in chunk.invalid() {
            s.push('\u{FFFD}');
        }
    }
    s
}
