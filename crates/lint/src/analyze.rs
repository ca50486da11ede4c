//! The per-document rules: SealedSecret structure and ciphertext, template
//! metadata, plaintext Secrets in sealed environments.

use std::collections::HashSet;

use super::doc::{Node, Pos};
use super::rules::Code;
use super::wire::{self, KeyInfo};
use super::{Finding, ObjectRef};
use kubeseal_core::secret::{Scope, CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};

/// Counters for the report summary.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stats {
    pub documents: usize,
    pub sealed_secrets: usize,
    pub values: usize,
}

/// Checks the documents of one file (or stdin).
pub(crate) struct FileChecker<'a> {
    pub origin: &'a str,
    pub sealed_context: bool,
    pub key: Option<KeyInfo<'a>>,
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// Names of SealedSecrets to pass over ([`crate::CheckOptions::skip_sealed_secrets`]).
    pub skip_sealed: &'a [String],
    scratch: Vec<u8>,
}

impl<'a> FileChecker<'a> {
    /// A checker for one input named `origin`.
    pub fn new(origin: &'a str, sealed_context: bool, key: Option<KeyInfo<'a>>) -> Self {
        FileChecker {
            origin,
            sealed_context,
            key,
            findings: Vec::new(),
            stats: Stats::default(),
            skip_sealed: &[],
            scratch: Vec::new(),
        }
    }

    /// Records a finding at `pos`, prefixing the message with the object and key.
    pub fn push(
        &mut self,
        code: Code,
        pos: Pos,
        object: Option<&ObjectRef>,
        key: Option<&str>,
        detail: String,
    ) {
        let mut message = String::new();
        if let Some(o) = object {
            message.push_str(&o.to_string());
            message.push_str(if key.is_some() { ", " } else { ": " });
        }
        if let Some(k) = key {
            message.push_str("key ");
            message.push_str(k);
            message.push_str(": ");
        }
        message.push_str(&detail);
        self.findings.push(Finding {
            code,
            severity: code.severity(),
            file: self.origin.to_string(),
            line: pos.line,
            column: pos.col,
            message,
            object: object.cloned(),
            key: key.map(str::to_string),
            fix: None,
        });
    }

    /// One top-level document: an object, or a `List` of objects.
    pub fn document(&mut self, doc: &Node<'_>) {
        self.stats.documents += 1;
        if !matches!(doc, Node::Map { .. }) {
            return;
        }
        let kind = doc.str_at("kind").unwrap_or("");
        if kind.ends_with("List") {
            if let Some(Node::Seq { items, .. }) = doc.value("items") {
                for item in items {
                    self.object(item);
                }
                return;
            }
        }
        self.object(doc);
    }

    fn object(&mut self, obj: &Node<'_>) {
        match obj.str_at("kind") {
            Some("SealedSecret") => self.sealed_secret(obj),
            Some("Secret") if self.sealed_context => self.plaintext_secret(obj),
            _ => {}
        }
    }

    fn sealed_secret(&mut self, obj: &Node<'_>) {
        let kind_pos = obj.get("kind").map_or(obj.pos(), |(k, _)| k.pos());
        let meta_entry = obj.get("metadata");
        let meta = meta_entry.map(|(_, v)| v);
        let name = meta.and_then(|m| m.str_at("name"));
        if name.is_some_and(|n| self.skip_sealed.iter().any(|s| s == n)) {
            return;
        }
        self.stats.sealed_secrets += 1;
        let namespace = meta.and_then(|m| m.str_at("namespace"));
        let object = ObjectRef {
            kind: "SealedSecret".into(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
        };
        let meta_pos = meta_entry.map_or(kind_pos, |(k, _)| k.pos());
        let (scope, _) = scope_of(meta.and_then(|m| m.value("annotations")));

        if name.is_none() {
            self.push(
                Code::MissingName,
                meta_pos,
                Some(&object),
                None,
                "no metadata.name".into(),
            );
        }
        if namespace.is_none() && scope != Scope::ClusterWide {
            self.push(
                Code::MissingNamespace,
                meta_pos,
                Some(&object),
                None,
                format!(
                    "no metadata.namespace; {} values decrypt only in the namespace they were sealed for",
                    scope.as_str()
                ),
            );
        }

        let spec_entry = obj.get("spec");
        let spec = spec_entry.map(|(_, v)| v);
        if let Some(tmeta) = spec
            .and_then(|s| s.value("template"))
            .and_then(|t| t.value("metadata"))
        {
            self.template_metadata(&object, name, namespace, scope, tmeta);
        }
        if let Some(template) = spec.and_then(|s| s.value("template")) {
            self.template_plaintext(&object, template);
        }

        let Some((spec_key, spec)) = spec_entry.filter(|(_, v)| matches!(v, Node::Map { .. }))
        else {
            self.push(
                Code::EmptyEncryptedData,
                kind_pos,
                Some(&object),
                None,
                "no spec.encryptedData".into(),
            );
            return;
        };
        let Some((ed_key, ed)) = spec.get("encryptedData") else {
            let detail = if spec.value("data").is_some() {
                "no spec.encryptedData (only the deprecated spec.data, which the controller refuses by default)"
            } else {
                "no spec.encryptedData"
            };
            self.push(
                Code::EmptyEncryptedData,
                spec_key.pos(),
                Some(&object),
                None,
                detail.into(),
            );
            return;
        };
        // Values may live in spec.template.data (Go templates the controller
        // renders); then an empty encryptedData is what kubeseal users write.
        let template_data = spec
            .value("template")
            .and_then(|t| t.value("data"))
            .is_some_and(|d| matches!(d, Node::Map { entries, .. } if !entries.is_empty()));
        let entries = match ed {
            Node::Map { entries, .. } if !entries.is_empty() => entries,
            other if template_data && (other.is_null() || matches!(other, Node::Map { .. })) => {
                return;
            }
            other => {
                let detail = if other.is_null() || matches!(other, Node::Map { .. }) {
                    "spec.encryptedData is empty".to_string()
                } else {
                    format!(
                        "spec.encryptedData is {}, not a mapping of keys to sealed values",
                        other.type_name()
                    )
                };
                self.push(
                    Code::EmptyEncryptedData,
                    ed_key.pos(),
                    Some(&object),
                    None,
                    detail,
                );
                return;
            }
        };
        let mut seen: HashSet<&str> = HashSet::with_capacity(entries.len());
        for (k, v) in entries {
            self.stats.values += 1;
            let key = k.text().unwrap_or("<non-scalar key>");
            if !seen.insert(key) {
                self.push(
                    Code::DuplicateKey,
                    k.pos(),
                    Some(&object),
                    Some(key),
                    "appears more than once in spec.encryptedData".into(),
                );
            }
            let problem = match v.as_str() {
                Some(value) => wire::analyze(value, self.key.as_ref(), &mut self.scratch),
                None => Some((
                    Code::NotAString,
                    format!("value is {}, not a base64 string", v.type_name()),
                )),
            };
            if let Some((code, detail)) = problem {
                self.push(code, v.pos(), Some(&object), Some(key), detail);
            }
        }
    }

    fn template_metadata(
        &mut self,
        object: &ObjectRef,
        name: Option<&str>,
        namespace: Option<&str>,
        scope: Scope,
        tmeta: &Node<'_>,
    ) {
        if let (Some(name), Some((k, v))) = (name, tmeta.get("name")) {
            let tname = v.text().unwrap_or("");
            if tname != name {
                self.push(
                    Code::NameMismatch,
                    k.pos(),
                    Some(object),
                    None,
                    format!(
                        "spec.template.metadata.name is `{tname}` but metadata.name is `{name}`"
                    ),
                );
            }
        }
        if let Some((k, v)) = tmeta.get("namespace") {
            let tns = v.text().unwrap_or("");
            if Some(tns) != namespace {
                let outer = namespace.map_or("not set".to_string(), |n| format!("`{n}`"));
                self.push(
                    Code::NamespaceMismatch,
                    k.pos(),
                    Some(object),
                    None,
                    format!("spec.template.metadata.namespace is `{tns}` but metadata.namespace is {outer}"),
                );
            }
        }
        // Only a template that declares a scope can contradict the object: the
        // controller binds values to the outer metadata, and sealers that leave
        // the template's annotations alone (kubesealpy) are consistent.
        let (tscope, declared_at) = scope_of(tmeta.value("annotations"));
        if let Some(pos) = declared_at {
            if tscope != scope {
                self.push(
                    Code::ScopeMismatch,
                    pos,
                    Some(object),
                    None,
                    format!(
                        "spec.template.metadata declares scope {} but metadata declares {}",
                        tscope.as_str(),
                        scope.as_str()
                    ),
                );
            }
        }
    }

    /// ES503: plaintext committed inside a SealedSecret's template. The controller
    /// runs each `spec.template.data` value as a Go template over the decrypted
    /// `encryptedData` (upstream's config-template example): a value that
    /// references that data (`{{ .password }}`, `{{ index . "k" }}`) only holds the
    /// non-secret text around it, but a literal value is copied into the Secret as
    /// it stands in the repository. `spec.template.stringData` is not part of the
    /// template at all (the controller ignores it): any value there is plaintext.
    /// Messages name the key, never the value.
    fn template_plaintext(&mut self, object: &ObjectRef, template: &Node<'_>) {
        for field in ["data", "stringData"] {
            let Some(Node::Map { entries, .. }) = template.value(field) else {
                continue;
            };
            for (k, v) in entries {
                let literal = match v {
                    Node::Scalar { value, .. } if !v.is_null() && !value.is_empty() => {
                        field == "stringData" || !references_data(value)
                    }
                    _ => false,
                };
                if !literal {
                    continue;
                }
                let key = k.text().unwrap_or("<non-scalar key>");
                let detail = if field == "data" {
                    "spec.template.data value has no template reference to encryptedData (such as `{{ .KEY }}`): it is plaintext in the repository, copied into the Secret as written"
                } else {
                    "spec.template.stringData value is plaintext in the repository (and the controller ignores template.stringData)"
                };
                self.push(
                    Code::TemplatePlaintext,
                    v.pos(),
                    Some(object),
                    Some(key),
                    detail.into(),
                );
            }
        }
    }

    fn plaintext_secret(&mut self, obj: &Node<'_>) {
        let meta = obj.value("metadata");
        let object = ObjectRef {
            kind: "Secret".into(),
            namespace: meta.and_then(|m| m.str_at("namespace")).map(str::to_string),
            name: meta.and_then(|m| m.str_at("name")).map(str::to_string),
        };
        for field in ["data", "stringData"] {
            if let Some((k, Node::Map { entries, .. })) = obj.get(field) {
                if !entries.is_empty() {
                    self.push(
                        Code::PlaintextSecret,
                        k.pos(),
                        Some(&object),
                        None,
                        format!(
                            "plaintext `{field}` ({} key{}) in an environment that must use SealedSecrets",
                            entries.len(),
                            if entries.len() == 1 { "" } else { "s" }
                        ),
                    );
                }
            }
        }
    }
}

/// True when a Go template holds an action (`{{ ... }}`) that reads the data it is
/// executed with: a field or the dot (`.password`, `index . "k"`, `.`) or a
/// variable (`$x`), outside the action's string literals and comments. A value
/// with no such action renders the same whatever was sealed: it is a literal.
fn references_data(value: &str) -> bool {
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        let body_start = open + 2;
        let Some(len) = rest[body_start..].find("}}") else {
            return false;
        };
        let body = &rest[body_start..body_start + len];
        rest = &rest[body_start + len + 2..];
        let body = body.trim_matches(|c: char| c == '-' || c.is_whitespace());
        if body.starts_with("/*") {
            continue;
        }
        let mut in_str: Option<char> = None;
        let mut escaped = false;
        for c in body.chars() {
            match in_str {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' && q == '"' {
                        escaped = true;
                    } else if c == q {
                        in_str = None;
                    }
                }
                None => match c {
                    '"' | '`' | '\'' => in_str = Some(c),
                    '.' | '$' => return true,
                    _ => {}
                },
            }
        }
    }
    false
}

/// The scope an annotations mapping declares, as kubeseal's `SecretScope`
/// (cluster-wide `"true"` wins over namespace-wide `"true"`), and the position of
/// the scope annotation key that decides it when any scope annotation is present.
fn scope_of(annotations: Option<&Node<'_>>) -> (Scope, Option<Pos>) {
    let Some(ann) = annotations else {
        return (Scope::Strict, None);
    };
    let cluster = ann.get(CLUSTER_WIDE_ANNOTATION);
    let namespace = ann.get(NAMESPACE_WIDE_ANNOTATION);
    let is_true = |e: Option<(&Node<'_>, &Node<'_>)>| e.and_then(|(_, v)| v.text()) == Some("true");
    let scope = if is_true(cluster) {
        Scope::ClusterWide
    } else if is_true(namespace) {
        Scope::NamespaceWide
    } else {
        Scope::Strict
    };
    let decided = match scope {
        Scope::ClusterWide => cluster,
        Scope::NamespaceWide => namespace,
        Scope::Strict => cluster.or(namespace),
    };
    (scope, decided.map(|(k, _)| k.pos()))
}

#[cfg(test)]
mod tests {
    use super::references_data;

    #[test]
    fn template_references_are_told_from_literals() {
        for templated in [
            "{{ .password }}",
            "{{- toJson .server1 -}}",
            "secret {{ index . \"foo\" }} !",
            "{\n  \"password\": {{ toJson .db }}\n}",
            "{{ range $k, $v := . }}{{ $k }}{{ end }}",
            "{{ . }}",
        ] {
            assert!(references_data(templated), "{templated}");
        }
        for literal in [
            "hunter2",
            "host: foobar.example.com",
            "{{ \"pass.word\" }}",
            "{{ `a.b` }}",
            "{{/* .password */}}",
            "{{ .unclosed",
            "",
        ] {
            assert!(!references_data(literal), "{literal}");
        }
    }
}
