//! The objects kustomize renders, read for the few fields that matter to
//! SealedSecrets: which rendered SealedSecret comes from an env's sealed file,
//! and whether each sealed one is rendered under the identity it was sealed for.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::CONFIG_FILE;
use crate::error::{Error, Result};
use crate::message::one_line;
use crate::target::Target;
use kubeseal_core::secret::{Scope, SealedSecret};

/// The few fields of a rendered object that matter for SealedSecrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedObject {
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `spec.template.metadata.name`, when set.
    pub template_name: Option<String>,
    /// `spec.template.metadata.namespace`, when set.
    pub template_namespace: Option<String>,
    /// `spec.encryptedData`.
    pub encrypted_data: BTreeMap<String, String>,
}

impl RenderedObject {
    /// The scope the controller computes from the rendered object.
    pub fn scope(&self) -> Scope {
        Scope::from_annotations(&self.annotations)
    }
}

/// Parses kustomize output (multi-document YAML) into the objects' key fields.
pub fn parse_rendered(shown: &str, bytes: &[u8]) -> Result<Vec<RenderedObject>> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Meta {
        name: Option<String>,
        namespace: Option<String>,
        annotations: Option<BTreeMap<String, serde_yaml::Value>>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Template {
        metadata: Option<Meta>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Spec {
        template: Option<Template>,
        #[serde(rename = "encryptedData")]
        encrypted_data: Option<BTreeMap<String, serde_yaml::Value>>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Obj {
        kind: Option<String>,
        metadata: Option<Meta>,
        spec: Option<serde_yaml::Value>,
    }
    let scalar = |v: serde_yaml::Value| match v {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_slice(bytes) {
        let value = serde_yaml::Value::deserialize(doc).map_err(|e| {
            Error::Overlay(format!(
                "{shown}: kustomize printed YAML that cannot be read: {}",
                one_line(&e.to_string())
            ))
        })?;
        if value.is_null() {
            continue;
        }
        let obj: Obj = serde_yaml::from_value(value).unwrap_or_default();
        let kind = obj.kind.unwrap_or_default();
        let meta = obj.metadata.unwrap_or_default();
        let mut r = RenderedObject {
            kind,
            name: meta.name.unwrap_or_default(),
            namespace: meta.namespace.unwrap_or_default(),
            annotations: meta
                .annotations
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, scalar(v)))
                .collect(),
            ..Default::default()
        };
        if r.kind == "SealedSecret" {
            let spec: Spec = obj
                .spec
                .and_then(|s| serde_yaml::from_value(s).ok())
                .unwrap_or_default();
            if let Some(tm) = spec.template.and_then(|t| t.metadata) {
                r.template_name = tm.name;
                r.template_namespace = tm.namespace;
            }
            r.encrypted_data = spec
                .encrypted_data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, scalar(v)))
                .collect();
        }
        out.push(r);
    }
    Ok(out)
}

/// Finds which rendered SealedSecret comes from `source`: the only one, else the
/// one carrying exactly the source's encrypted values, else the one whose name
/// contains the source's name.
pub fn locate_rendered<'a>(
    rendered: &'a [RenderedObject],
    source: &SealedSecret,
    shown: &str,
    source_file: &str,
) -> Result<&'a RenderedObject> {
    let sealed: Vec<&RenderedObject> = rendered
        .iter()
        .filter(|o| o.kind == "SealedSecret")
        .collect();
    match sealed.len() {
        0 => Err(Error::Overlay(format!(
            "{shown}: kustomize renders no SealedSecret; list {source_file} under the kustomization's resources"
        ))),
        1 => Ok(sealed[0]),
        _ => {
            let by_values: Vec<&&RenderedObject> = sealed
                .iter()
                .filter(|o| {
                    !source.encrypted_data.is_empty() && o.encrypted_data == source.encrypted_data
                })
                .collect();
            if by_values.len() == 1 {
                return Ok(by_values[0]);
            }
            let pool: Vec<&&RenderedObject> = if by_values.is_empty() {
                sealed.iter().collect()
            } else {
                by_values
            };
            let by_name: Vec<&&RenderedObject> = pool
                .iter()
                .copied()
                .filter(|o| o.name.contains(&source.metadata.name))
                .collect();
            if by_name.len() == 1 {
                return Ok(by_name[0]);
            }
            let names: Vec<String> = sealed
                .iter()
                .map(|o| format!("{}/{}", o.namespace, o.name))
                .collect();
            Err(Error::Overlay(format!(
                "{shown}: kustomize renders several SealedSecrets ({}) and none is clearly the one from {source_file}; set secretName and secretNamespace for this env in {CONFIG_FILE}",
                names.join(", ")
            )))
        }
    }
}

/// Checks kustomize's output: every SealedSecret's `metadata` and
/// `spec.template.metadata` agree (the controller refuses a mismatch), and each
/// one empseal sealed (recognised by its exact ciphertext) is rendered under the
/// name, namespace and scope its values were sealed for. Returns the
/// SealedSecrets empseal did not seal.
pub fn verify_rendered(
    shown: &str,
    objects: &[RenderedObject],
    targets: &[Target],
    sealed_values: &[BTreeMap<String, String>],
) -> Result<Vec<String>> {
    let mut foreign = Vec::new();
    let mut found = vec![false; targets.len()];
    for o in objects.iter().filter(|o| o.kind == "SealedSecret") {
        let rendered = format!("{}/{}", o.namespace, o.name);
        for (what, tv, ov) in [
            ("name", o.template_name.as_deref(), o.name.as_str()),
            (
                "namespace",
                o.template_namespace.as_deref(),
                o.namespace.as_str(),
            ),
        ] {
            if let Some(tv) = tv {
                if !tv.is_empty() && tv != ov {
                    return Err(Error::Overlay(format!(
                        "{shown}: kustomize renders SealedSecret {rendered} whose spec.template.metadata.{what} is still {tv:?}; the controller refuses the mismatch, so rename it in the overlay (or teach kustomize the template field)"
                    )));
                }
            }
        }
        match sealed_values
            .iter()
            .position(|v| !v.is_empty() && *v == o.encrypted_data)
        {
            Some(i) => {
                found[i] = true;
                let t = &targets[i];
                let rendered_target = Target {
                    name: o.name.clone(),
                    namespace: o.namespace.clone(),
                    scope: o.scope(),
                };
                if rendered_target.label() != t.label() || rendered_target.scope != t.scope {
                    return Err(Error::Overlay(format!(
                        "{shown}: kustomize renders the SealedSecret as {rendered_target} but its values are sealed for {t}; {} values would not decrypt, so align the overlay's names (namePrefix/nameSuffix/namespace) with the sealed file",
                        t.scope.as_str()
                    )));
                }
            }
            None => foreign.push(rendered),
        }
    }
    if let Some(i) = found.iter().position(|f| !f) {
        return Err(Error::Overlay(format!(
            "{shown}: the SealedSecret sealed for {} is missing from kustomize's output (or its values were changed by a patch); list it once in the kustomization's resources",
            targets[i]
        )));
    }
    Ok(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rendered_reads_sealed_secret_fields() {
        let y = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n  name: s-paper\n  namespace: ns\nspec:\n  encryptedData:\n    A: AgB\n  template:\n    metadata:\n      name: s\n      namespace: ns\n";
        let objs = parse_rendered("x", y).unwrap();
        assert_eq!(objs.len(), 2);
        let s = &objs[1];
        assert_eq!((s.name.as_str(), s.namespace.as_str()), ("s-paper", "ns"));
        assert_eq!(s.scope(), Scope::NamespaceWide);
        assert_eq!(s.template_name.as_deref(), Some("s"));
        assert_eq!(s.encrypted_data["A"], "AgB");
        let t = Target {
            name: "s-paper".into(),
            namespace: "ns".into(),
            scope: Scope::NamespaceWide,
        };
        let e =
            verify_rendered("x", &objs, &[t], std::slice::from_ref(&s.encrypted_data)).unwrap_err();
        assert!(
            e.to_string()
                .contains("spec.template.metadata.name is still \"s\""),
            "{e}"
        );
    }

    #[test]
    fn verify_rendered_names_both_names_on_a_move() {
        let o = RenderedObject {
            kind: "SealedSecret".into(),
            name: "emp-secrets-paper".into(),
            namespace: "emp-system-paper".into(),
            encrypted_data: [("A".to_string(), "AgB1".to_string())].into(),
            ..Default::default()
        };
        let sealed_for = Target {
            name: "emp-secrets".into(),
            namespace: "emp-system-paper".into(),
            scope: Scope::Strict,
        };
        let e = verify_rendered(
            "k8s/overlays/paper",
            std::slice::from_ref(&o),
            std::slice::from_ref(&sealed_for),
            std::slice::from_ref(&o.encrypted_data),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("emp-system-paper/emp-secrets-paper")
                && msg.contains("emp-system-paper/emp-secrets (strict)"),
            "{msg}"
        );
        // Namespace-wide values survive a rename within the namespace.
        let mut nw = sealed_for;
        nw.scope = Scope::NamespaceWide;
        let mut o2 = o.clone();
        o2.annotations.insert(
            kubeseal_core::secret::NAMESPACE_WIDE_ANNOTATION.into(),
            "true".into(),
        );
        assert_eq!(
            verify_rendered("x", &[o2.clone()], &[nw], &[o2.encrypted_data.clone()]).unwrap(),
            Vec::<String>::new()
        );
    }
}
