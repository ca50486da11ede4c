//! Interpreting parsed documents as kubeseal's decoder does (sigs.k8s.io/yaml into
//! the Go structs): Secrets and SealedSecrets, `List`s of them, field by field,
//! refusing what kubeseal would silently misread.

use std::collections::BTreeMap;

use base64::Engine;
use zeroize::Zeroizing;

use super::documents::parse_documents;
use super::error::ManifestError;
use super::tree::{resolved_type_name, Node, Scalar, Value};
use crate::envfile::check_secret_key;
use crate::goyaml::{is_go_rfc3339, strconv::format_float32, Resolved};
use crate::secret::{ObjectMeta, SealedSecret, Secret, SecretBytes, SecretTemplate};

/// A field named in error messages, formatted only when an error is reported.
#[derive(Clone, Copy)]
enum FieldPath<'a> {
    /// `base.field`
    Sub(&'a dyn std::fmt::Display, &'a str),
    /// `base["key"]`
    Key(&'a dyn std::fmt::Display, &'a str),
}

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldPath::Sub(base, field) => write!(f, "{base}.{field}"),
            FieldPath::Key(base, key) => write!(f, "{base}[{key:?}]"),
        }
    }
}

/// A mapping entry: the key as kubeseal names it, the key's node, the value.
type Entry<'n> = (String, &'n Node, &'n Node);

/// Where we are, for error messages.
struct Ctx<'a> {
    origin: &'a str,
    /// "document 2" or "document 1, item 3".
    what: String,
}

impl Ctx<'_> {
    fn err(
        &self,
        node: &Node,
        problem: impl std::fmt::Display,
        todo: impl Into<String>,
    ) -> ManifestError {
        ManifestError::Invalid {
            origin: self.origin.to_string(),
            line: node.line,
            problem: format!("{}: {problem}", self.what),
            todo: todo.into(),
        }
    }

    fn ambiguous(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
        resolved: Resolved,
    ) -> ManifestError {
        self.err(
            node,
            format!(
                "unquoted {field} reads as {} in YAML 1.1, which kubeseal uses, so kubeseal would not see the text as written",
                resolved_type_name(resolved)
            ),
            "quote it (\"...\")",
        )
    }

    /// A map key as kubeseal's decoder names it; refuses keys whose text would change.
    fn key(&self, node: &Node, field: &dyn std::fmt::Display) -> Result<String, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::Str(t)) => Ok(t.to_string()),
            Value::Scalar(Scalar::Plain { text, resolved }) => match go_key_of(*resolved, text) {
                Some(k) if k == text.as_str() => Ok(k),
                Some(_) => Err(self.ambiguous(node, &format!("key in {field}"), *resolved)),
                None => Err(self.err(
                    node,
                    format!("unquoted key in {field} reads as {} in YAML 1.1, which kubeseal cannot use as a key", resolved_type_name(*resolved)),
                    "quote it (\"...\")",
                )),
            },
            _ => Err(self.err(node, format!("a key in {field} is {}", node.describe()), "use a plain string key")),
        }
    }

    /// The entries of a mapping (or nothing for null) as (key, key node, value), keys
    /// checked for duplicates.
    fn entries<'n>(
        &self,
        node: &'n Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Vec<Entry<'n>>, ManifestError> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        let Some(map) = node.map() else {
            return Err(self.err(
                node,
                format!("{field} is {}, not a mapping", node.describe()),
                format!("write {field} as key: value pairs"),
            ));
        };
        let mut out: Vec<Entry<'n>> = Vec::with_capacity(map.len());
        for (k, v) in map {
            let key = self.key(k, field)?;
            if let Some(first) = out
                .iter()
                .find(|(o, _, _)| *o == key)
                .map(|(_, n, _)| n.line)
            {
                return Err(self.err(
                    k,
                    format!("key {key:?} appears twice in {field} (first at line {first}); kubeseal would keep only the last"),
                    "remove one of them",
                ));
            }
            out.push((key, k, v));
        }
        Ok(out)
    }

    /// Like [`Ctx::entries`] for an object with known fields: a field that matches a
    /// known one only without regard to case is refused (Go would use it).
    fn fields<'n>(
        &self,
        node: &'n Node,
        field: &dyn std::fmt::Display,
        known: &[&str],
    ) -> Result<Vec<(String, &'n Node)>, ManifestError> {
        let entries = self.entries(node, field)?;
        for (k, key_node, _) in &entries {
            if !known.contains(&k.as_str()) {
                if let Some(right) = known.iter().find(|n| n.eq_ignore_ascii_case(k)) {
                    return Err(self.err(
                        key_node,
                        format!("field {k:?} in {field} is not {right:?}: kubeseal matches field names ignoring case, empseal does not"),
                        format!("rename it to {right:?}"),
                    ));
                }
            }
        }
        Ok(entries.into_iter().map(|(k, _, v)| (k, v)).collect())
    }

    /// A Go `string` field: `None` when null/absent-equivalent, refusing values whose
    /// text kubeseal would change.
    fn string(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Option<Zeroizing<String>>, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::Str(t)) => Ok(Some(t.clone())),
            Value::Scalar(Scalar::JsonNull) => Ok(None),
            Value::Scalar(Scalar::Plain {
                text,
                resolved: Resolved::Str,
            }) => Ok(Some(text.clone())),
            Value::Scalar(Scalar::Plain { text, resolved }) => {
                match go_string_of(*resolved, text) {
                    None => Ok(None),
                    Some(s) if s == text.as_str() => Ok(Some(text.clone())),
                    Some(_) => Err(self.ambiguous(node, field, *resolved)),
                }
            }
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a string", node.describe()),
                format!("write {field} as a string"),
            )),
        }
    }

    /// A `metav1.Time`: null, or a string Go's `time.Parse(time.RFC3339, …)` reads
    /// (anything else fails kubeseal's decoding of the whole object).
    fn time(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Option<String>, ManifestError> {
        match self.string(node, field)? {
            Some(t) if is_go_rfc3339(t.as_bytes()) => Ok(Some(t.to_string())),
            Some(_) => Err(self.err(
                node,
                format!("{field} is not an RFC 3339 time, which kubeseal's decoder refuses"),
                format!("write {field} as 2006-01-02T15:04:05Z, or remove it"),
            )),
            None => Ok(None),
        }
    }

    fn plain_string(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<String, ManifestError> {
        Ok(self
            .string(node, field)?
            .map(|s| s.to_string())
            .unwrap_or_default())
    }

    fn bool(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Option<bool>, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::JsonBool(b))
            | Value::Scalar(Scalar::Plain {
                resolved: Resolved::Bool(b),
                ..
            }) => Ok(Some(*b)),
            _ if node.is_null() => Ok(None),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a boolean", node.describe()),
                format!("write {field}: true or false, unquoted"),
            )),
        }
    }

    fn int(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Option<i64>, ManifestError> {
        match &node.value {
            Value::Scalar(Scalar::Plain {
                resolved: Resolved::Int(i),
                ..
            }) => Ok(Some(*i)),
            Value::Scalar(Scalar::JsonNumber(t)) if t.parse::<i64>().is_ok() => Ok(t.parse().ok()),
            _ if node.is_null() => Ok(None),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not an integer", node.describe()),
                format!("write {field} as a whole number"),
            )),
        }
    }

    fn string_list(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Vec<String>, ManifestError> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|i| self.plain_string(i, field)).collect(),
            _ if node.is_null() => Ok(Vec::new()),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a list", node.describe()),
                format!("write {field} as a list"),
            )),
        }
    }

    fn json_list(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<Vec<serde_json::Value>, ManifestError> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|i| self.json(i)).collect(),
            _ if node.is_null() => Ok(Vec::new()),
            _ => Err(self.err(
                node,
                format!("{field} is {}, not a list", node.describe()),
                format!("write {field} as a list"),
            )),
        }
    }

    /// The generic JSON value kubeseal's decoder would build from a node.
    fn json(&self, node: &Node) -> Result<serde_json::Value, ManifestError> {
        use serde_json::Value as J;
        Ok(match &node.value {
            Value::Scalar(Scalar::Str(t)) => J::String(t.to_string()),
            Value::Scalar(Scalar::JsonNull) => J::Null,
            Value::Scalar(Scalar::JsonBool(b)) => J::Bool(*b),
            Value::Scalar(Scalar::JsonNumber(t)) => serde_json::from_str(t).unwrap_or(J::Null),
            Value::Scalar(Scalar::Plain { text, resolved }) => match resolved {
                Resolved::Str => J::String(text.to_string()),
                Resolved::Null => J::Null,
                Resolved::Bool(b) => J::Bool(*b),
                Resolved::Int(i) => J::from(*i),
                Resolved::Uint(u) => J::from(*u),
                Resolved::Float(f) => serde_json::Number::from_f64(*f)
                    .map(J::Number)
                    .ok_or_else(|| self.err(node, "a NaN or infinite number", "quote it"))?,
            },
            Value::Seq(items) => J::Array(
                items
                    .iter()
                    .map(|i| self.json(i))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(_) => {
                let mut m = serde_json::Map::new();
                for (k, _, v) in self.entries(node, &"an object")? {
                    m.insert(k, self.json(v)?);
                }
                J::Object(m)
            }
        })
    }

    fn string_map(
        &self,
        node: &Node,
        field: &dyn std::fmt::Display,
    ) -> Result<BTreeMap<String, String>, ManifestError> {
        let mut out = BTreeMap::new();
        for (k, _, v) in self.entries(node, field)? {
            let value = self.plain_string(v, &FieldPath::Key(field, &k))?;
            out.insert(k, value);
        }
        Ok(out)
    }

    fn object_meta(&self, node: &Node, field: &str) -> Result<ObjectMeta, ManifestError> {
        const KNOWN: &[&str] = &[
            "name",
            "generateName",
            "namespace",
            "selfLink",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
            "managedFields",
        ];
        let mut m = ObjectMeta::default();
        for (k, v) in self.fields(node, &field, KNOWN)? {
            let f = FieldPath::Sub(&field, &k);
            match k.as_str() {
                "name" => m.name = self.plain_string(v, &f)?,
                "generateName" => m.generate_name = self.plain_string(v, &f)?,
                "namespace" => m.namespace = self.plain_string(v, &f)?,
                "selfLink" => m.self_link = self.plain_string(v, &f)?,
                "uid" => m.uid = self.plain_string(v, &f)?,
                "resourceVersion" => m.resource_version = self.plain_string(v, &f)?,
                "generation" => m.generation = self.int(v, &f)?.unwrap_or(0),
                "creationTimestamp" => {
                    self.time(v, &f)?;
                }
                "deletionTimestamp" => m.deletion_timestamp = self.time(v, &f)?,
                "deletionGracePeriodSeconds" => {
                    m.deletion_grace_period_seconds = self.int(v, &f)?
                }
                "labels" => m.labels = self.string_map(v, &f)?,
                "annotations" => m.annotations = self.string_map(v, &f)?,
                "ownerReferences" => m.owner_references = self.json_list(v, &f)?,
                "finalizers" => m.finalizers = self.string_list(v, &f)?,
                "managedFields" => m.managed_fields = self.json_list(v, &f)?,
                _ => {}
            }
        }
        Ok(m)
    }

    fn secret(&self, node: &Node) -> Result<Secret, ManifestError> {
        const KNOWN: &[&str] = &[
            "apiVersion",
            "kind",
            "metadata",
            "immutable",
            "data",
            "stringData",
            "type",
        ];
        let mut s = Secret::default();
        for (k, v) in self.fields(node, &"the Secret", KNOWN)? {
            match k.as_str() {
                "metadata" => s.metadata = self.object_meta(v, "metadata")?,
                "immutable" => s.immutable = self.bool(v, &"immutable")?,
                "type" => s.type_ = self.string(v, &"type")?.map(|t| t.to_string()),
                "data" => {
                    for (key, key_node, val) in self.entries(v, &"data")? {
                        self.secret_key(key_node, &key, "data")?;
                        let bytes = self.base64(val, &key)?;
                        s.data.insert(key, bytes);
                    }
                }
                "stringData" => {
                    for (key, key_node, val) in self.entries(v, &"stringData")? {
                        self.secret_key(key_node, &key, "stringData")?;
                        let text = self.string(val, &FieldPath::Key(&"stringData", &key))?;
                        let bytes =
                            Zeroizing::new(text.map(|t| t.as_bytes().to_vec()).unwrap_or_default());
                        s.string_data.insert(key, bytes);
                    }
                }
                _ => {}
            }
        }
        Ok(s)
    }

    fn secret_key(&self, key_node: &Node, key: &str, field: &str) -> Result<(), ManifestError> {
        check_secret_key(key).map_err(|p| {
            self.err(
                key_node,
                format!("{field} key {key:?} is not a valid Secret key: {p}"),
                "use letters, digits, '-', '_' and '.' only",
            )
        })
    }

    /// A `data` value: Go's `encoding/json` base64 for `[]byte` (standard alphabet,
    /// padding required, `\r` and `\n` ignored).
    fn base64(&self, node: &Node, key: &str) -> Result<SecretBytes, ManifestError> {
        let field = FieldPath::Key(&"data", key);
        let text = match &node.value {
            Value::Scalar(Scalar::Str(t)) => t.clone(),
            Value::Scalar(Scalar::Plain {
                text,
                resolved: Resolved::Str,
            }) => text.clone(),
            _ if node.is_null() => return Ok(Zeroizing::new(Vec::new())),
            Value::Scalar(Scalar::Plain { resolved, .. }) => {
                return Err(self.err(node, format!("unquoted {field} reads as {} in YAML 1.1, not a base64 string; kubeseal refuses it too", resolved_type_name(*resolved)), "quote the value"));
            }
            _ => {
                return Err(self.err(
                    node,
                    format!("{field} is {}, not a base64 string", node.describe()),
                    "write the value base64-encoded, or move it to stringData",
                ))
            }
        };
        go_base64_decode(&text).ok_or_else(|| {
            self.err(
                node,
                format!("{field} is not valid base64"),
                "encode the value with base64 (padding included), or move it to stringData",
            )
        })
    }

    fn sealed_secret(&self, node: &Node) -> Result<SealedSecret, ManifestError> {
        const KNOWN: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];
        let mut ss = SealedSecret::default();
        for (k, v) in self.fields(node, &"the SealedSecret", KNOWN)? {
            match k.as_str() {
                "metadata" => ss.metadata = self.object_meta(v, "metadata")?,
                "spec" => self.sealed_spec(v, &mut ss)?,
                _ => {}
            }
        }
        Ok(ss)
    }

    fn sealed_spec(&self, node: &Node, ss: &mut SealedSecret) -> Result<(), ManifestError> {
        for (k, v) in self.fields(node, &"spec", &["template", "data", "encryptedData"])? {
            match k.as_str() {
                "template" => {
                    let mut t = SecretTemplate::default();
                    for (tk, tv) in self.fields(
                        v,
                        &"spec.template",
                        &["metadata", "type", "immutable", "data"],
                    )? {
                        match tk.as_str() {
                            "metadata" => {
                                t.metadata = self.object_meta(tv, "spec.template.metadata")?
                            }
                            "type" => {
                                t.type_ = self
                                    .string(tv, &"spec.template.type")?
                                    .map(|s| s.to_string())
                            }
                            "immutable" => {
                                t.immutable = self.bool(tv, &"spec.template.immutable")?
                            }
                            "data" => t.data = self.string_map(tv, &"spec.template.data")?,
                            _ => {}
                        }
                    }
                    ss.template = t;
                }
                "data" if !v.is_null() => {
                    return Err(self.err(v, "spec.data (the single-blob format of sealed-secrets before v0.7) is not supported", "re-seal the Secret with a current kubeseal or empseal"));
                }
                "encryptedData" => {
                    for (key, _, val) in self.entries(v, &"spec.encryptedData")? {
                        let field = FieldPath::Key(&"spec.encryptedData", &key);
                        let text = match &val.value {
                            Value::Scalar(Scalar::Str(t))
                            | Value::Scalar(Scalar::Plain { text: t, resolved: Resolved::Str }) => t.to_string(),
                            _ if val.is_null() => String::new(),
                            _ => {
                                return Err(self.err(
                                    val,
                                    format!("{field} is {}, not a string; kubeseal would read it as an empty ciphertext, which the controller cannot decrypt", val.describe()),
                                    "quote the value",
                                ))
                            }
                        };
                        ss.encrypted_data.insert(key, text);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Go's `base64.StdEncoding.DecodeString` as `encoding/json` uses it for `[]byte`.
fn go_base64_decode(text: &str) -> Option<SecretBytes> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let cleaned: Zeroizing<Vec<u8>> =
        Zeroizing::new(text.bytes().filter(|&b| b != b'\r' && b != b'\n').collect());
    let mut out = Zeroizing::new(Vec::with_capacity(cleaned.len() / 4 * 3 + 3));
    GO_STD.decode_vec(&cleaned[..], &mut out).ok()?;
    Some(out)
}

/// What kind of object a document root declares.
enum Kind<'n> {
    Single,
    List(&'n [Node]),
}

/// `kindless_list`: a document with neither kind nor apiVersion but with `items` is
/// a `v1.List` (what Go's `json.Marshal` of a typed list prints, which apimachinery's
/// decoder reads as the list it decodes into).
fn kind_of<'n>(
    ctx: &Ctx,
    node: &'n Node,
    want_kind: &str,
    want_api: &str,
    kindless_list: bool,
) -> Result<Kind<'n>, ManifestError> {
    if node.map().is_none() {
        return Err(ctx.err(
            node,
            format!("the document is {}, not an object", node.describe()),
            format!("give {want_kind} objects"),
        ));
    }
    let text_of = |field: &str| -> Result<Option<String>, ManifestError> {
        match node.get(field) {
            None => Ok(None),
            Some(v) => Ok(ctx.string(v, &field)?.map(|s| s.to_string())),
        }
    };
    let kind = text_of("kind")?;
    let api = text_of("apiVersion")?;
    let short = |s: &str| -> String {
        let mut t: String = s.chars().take(60).collect();
        if t.len() < s.len() {
            t.push('…');
        }
        t
    };
    let at = node.get("kind").unwrap_or(node);
    let items = node.get("items");
    let list = || match items.map(|i| &i.value) {
        Some(Value::Seq(items)) => Ok(Kind::List(items)),
        None => Ok(Kind::List(&[])),
        Some(_) if items.is_some_and(Node::is_null) => Ok(Kind::List(&[])),
        Some(_) => Err(ctx.err(
            items.unwrap_or(node),
            "items of the List is not a sequence",
            "write items as a list",
        )),
    };
    match kind.as_deref() {
        Some("List") | Some("SecretList") | Some("SealedSecretList")
            if api.as_deref().is_none_or(|a| a == "v1" || a == want_api) =>
        {
            list()
        }
        None if kindless_list && api.is_none() && items.is_some() => list(),
        Some(k) if k == want_kind => match api.as_deref() {
            None => Ok(Kind::Single),
            Some(a) if a == want_api => Ok(Kind::Single),
            Some(a) => Err(ctx.err(
                node.get("apiVersion").unwrap_or(node),
                format!(
                    "{want_kind} with apiVersion {:?}, expected {want_api:?}",
                    short(a)
                ),
                format!("set apiVersion: {want_api}"),
            )),
        },
        None if api.is_none() || api.as_deref() == Some(want_api) => Ok(Kind::Single),
        None => Err(ctx.err(
            node,
            format!(
                "an object of apiVersion {:?} without a kind, not a {want_kind}",
                short(api.as_deref().unwrap_or_default())
            ),
            format!("give {want_kind} objects"),
        )),
        Some(k) => Err(ctx.err(
            at,
            format!(
                "the object is a {} (apiVersion {:?}), not a {want_kind}",
                short(k),
                short(api.as_deref().unwrap_or_default())
            ),
            format!("give only {want_kind} objects (kubeseal would misread this one)"),
        )),
    }
}

fn read_objects<T>(
    origin: &str,
    bytes: &[u8],
    want_kind: &str,
    want_api: &str,
    kindless_list: bool,
    convert: impl Fn(&Ctx, &Node) -> Result<T, ManifestError>,
) -> Result<Vec<T>, ManifestError> {
    let mut out = Vec::new();
    for doc in parse_documents(origin, bytes)? {
        let ctx = Ctx {
            origin,
            what: format!("document {}", doc.number),
        };
        match kind_of(&ctx, &doc.root, want_kind, want_api, kindless_list)? {
            Kind::Single => {
                if doc.root.map().is_some_and(|m| m.is_empty()) {
                    continue; // `{}`: kubeseal skips empty objects
                }
                out.push(convert(&ctx, &doc.root)?);
            }
            Kind::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    let ictx = Ctx {
                        origin,
                        what: format!("document {}, item {}", doc.number, i + 1),
                    };
                    match kind_of(&ictx, item, want_kind, want_api, false)? {
                        Kind::Single => out.push(convert(&ictx, item)?),
                        Kind::List(_) => {
                            return Err(ictx.err(item, "a List inside a List", "flatten the list"));
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Reads `v1` Secrets (YAML documents, JSON objects, or `List`s of them) as kubeseal
/// would, `data` base64-decoded. Returns no Secret for an empty input (kubeseal then
/// says "no secrets found"; the caller decides). `origin` names the input in errors.
pub fn read_secrets(origin: &str, bytes: &[u8]) -> Result<Vec<Secret>, ManifestError> {
    read_objects(origin, bytes, "Secret", "v1", false, |ctx, node| {
        ctx.secret(node)
    })
}

/// [`read_secrets`] for a controller key backup, which kubeseal decodes as a
/// `v1.List` first: a document with neither kind nor apiVersion but with `items`
/// (Go's `json.Marshal` of a `v1.SecretList`) is read as that list.
pub(super) fn read_key_backup_secrets(
    origin: &str,
    bytes: &[u8],
) -> Result<Vec<Secret>, ManifestError> {
    read_objects(origin, bytes, "Secret", "v1", true, |ctx, node| {
        ctx.secret(node)
    })
}

/// Reads `bitnami.com/v1alpha1` SealedSecrets (YAML documents, JSON objects, or Lists).
pub fn read_sealed_secrets(origin: &str, bytes: &[u8]) -> Result<Vec<SealedSecret>, ManifestError> {
    read_objects(
        origin,
        bytes,
        "SealedSecret",
        "bitnami.com/v1alpha1",
        false,
        |ctx, node| ctx.sealed_secret(node),
    )
}

/// The text kubeseal ends up with when a resolved YAML scalar fills a Go string
/// (sigs.k8s.io/yaml's conversion). `None` for null (the field stays empty).
fn go_string_of(resolved: Resolved, text: &str) -> Option<String> {
    match resolved {
        Resolved::Str => Some(text.to_string()),
        Resolved::Null => None,
        Resolved::Bool(b) => Some(b.to_string()),
        Resolved::Int(i) => Some(i.to_string()),
        Resolved::Uint(u) => Some(u.to_string()),
        Resolved::Float(f) => Some(format_float32(f)),
    }
}

/// The key sigs.k8s.io/yaml makes of a YAML map key (`None`: a key type it refuses,
/// null or an integer above `i64::MAX`).
fn go_key_of(resolved: Resolved, text: &str) -> Option<String> {
    match resolved {
        Resolved::Null | Resolved::Uint(_) => None,
        Resolved::Float(f) => Some(match format_float32(f).as_str() {
            "+Inf" => ".inf".to_string(),
            "-Inf" => "-.inf".to_string(),
            "NaN" => ".nan".to_string(),
            s => s.to_string(),
        }),
        other => go_string_of(other, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_base64_rules() {
        assert_eq!(go_base64_decode("aGk=").unwrap().as_slice(), b"hi");
        assert_eq!(go_base64_decode("aG\r\nk=\n").unwrap().as_slice(), b"hi");
        assert!(go_base64_decode("aGk").is_none());
        assert!(go_base64_decode("aG k=").is_none());
        assert_eq!(go_base64_decode("aGl=").unwrap().as_slice(), b"hi"); // trailing bits ignored
        assert_eq!(go_base64_decode("").unwrap().as_slice(), b"");
    }
}
