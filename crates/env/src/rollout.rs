//! Rotations that roll out: a small committed kustomize patch per environment
//! that puts the digest of the environment's sealed files on the pod template of
//! every workload reading one of its secrets.
//!
//! Pods read a Secret's values when they start, so a new sealed value reaches
//! them only through a new pod template. GitOps tools apply the overlay, not
//! empseal's output, so the change must live in the overlay itself: the patch
//! file [`ROLLOUT_PATCH_FILE`] (one strategic-merge document per consumer,
//! listed under the kustomization's `patches:`) sets the pod-template
//! annotation [`DIGEST_ANNOTATION`]. Unchanged sealed files give an unchanged
//! digest and unchanged bytes, hence no rollout.
//!
//! Each document names its workload as the overlay's patches see it: the name
//! in the file the object came from (kustomize matches a patch against every
//! earlier name of an object, never against names its own later transformers
//! give), found through kustomize's origin annotations.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsio::Sensitivity;
use crate::kustomize::RenderedOrigin;
use crate::message::one_line;
use crate::plan::WritePlan;
use crate::workspace::{kustomization_file, Workspace};
use kubeseal_core::emit::{to_yaml, Node};

/// The patch file, in the overlay directory.
pub const ROLLOUT_PATCH_FILE: &str = "empseal-rollout.yaml";
/// The pod-template annotation holding the digest of the env's sealed files.
pub const DIGEST_ANNOTATION: &str = "empseal.io/sealed-secrets-digest";

/// The digest of an environment's sealed files: SHA-256 over each file's shown
/// path and bytes, in path order, so that adding, removing or changing any of
/// them changes it, and nothing else does.
pub fn sealed_digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut files: Vec<(&str, &[u8])> = files.into_iter().collect();
    files.sort();
    let mut h = Sha256::new();
    for (path, bytes) in files {
        h.update((path.len() as u64).to_be_bytes());
        h.update(path.as_bytes());
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Where a kind of workload keeps its pod template, as mapping keys from the
/// object's root. Kinds not listed run no pods of their own.
pub(crate) fn template_path(api_version: &str, kind: &str) -> Option<&'static [&'static str]> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match (group, kind) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            Some(&["spec", "template"])
        }
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template"]),
        ("keda.sh", "ScaledJob") => Some(&["spec", "jobTargetRef", "template"]),
        _ => None,
    }
}

/// A workload whose pods read one of an environment's secrets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Consumer {
    /// Its `apiVersion`.
    pub api_version: String,
    /// Its kind.
    pub kind: String,
    /// Its name in the file it came from: the name the overlay's patches use.
    pub source_name: String,
    /// Its rendered name, for messages.
    pub rendered_name: String,
}

/// The names of the Secrets a pod spec reads: environment (`envFrom`,
/// `valueFrom.secretKeyRef`) of every kind of container, volumes (also
/// projected) and image-pull secrets.
pub(crate) fn secrets_read_by(pod_spec: &serde_yaml::Value) -> BTreeSet<String> {
    let name = |v: &serde_yaml::Value, k: &str| v[k].as_str().map(str::to_string);
    let list = |v: &serde_yaml::Value| v.as_sequence().cloned().unwrap_or_default();
    let mut out = BTreeSet::new();
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for c in list(&pod_spec[key]) {
            for from in list(&c["envFrom"]) {
                out.extend(name(&from["secretRef"], "name"));
            }
            for var in list(&c["env"]) {
                out.extend(name(&var["valueFrom"]["secretKeyRef"], "name"));
            }
        }
    }
    for vol in list(&pod_spec["volumes"]) {
        out.extend(name(&vol["secret"], "secretName"));
        for source in list(&vol["projected"]["sources"]) {
            out.extend(name(&source["secret"], "name"));
        }
    }
    for pull in list(&pod_spec["imagePullSecrets"]) {
        out.extend(name(&pull, "name"));
    }
    out
}

/// The workloads of a render whose pods read one of `secrets` (rendered
/// namespace and name), each with the name the overlay's patches use, read from
/// the file kustomize took it from (`origins`, from
/// [`crate::kustomize::Kustomize::build_with_origins`]). `shown` names the
/// overlay in messages.
pub fn consumers(
    rendered: &[u8],
    origins: &[RenderedOrigin],
    secrets: &BTreeSet<(String, String)>,
    shown: &str,
) -> Result<Vec<Consumer>> {
    let mut out = BTreeSet::new();
    for doc in serde_yaml::Deserializer::from_slice(rendered) {
        let v = serde_yaml::Value::deserialize(doc).map_err(|e| {
            Error::Overlay(format!(
                "{shown}: kustomize printed YAML empseal cannot read: {}",
                one_line(&e.to_string())
            ))
        })?;
        let api_version = v["apiVersion"].as_str().unwrap_or_default();
        let kind = v["kind"].as_str().unwrap_or_default();
        let Some(path) = template_path(api_version, kind) else {
            continue;
        };
        let template = path.iter().fold(&v, |node, key| &node[*key]);
        let meta = &v["metadata"];
        let namespace = meta["namespace"].as_str().unwrap_or_default();
        let reads = secrets_read_by(&template["spec"]);
        let reads_ours = secrets.iter().any(|(ns, name)| {
            reads.contains(name) && (namespace.is_empty() || ns.is_empty() || ns == namespace)
        });
        if !reads_ours {
            continue;
        }
        let rendered_name = meta["name"].as_str().unwrap_or_default().to_string();
        let origin = origins.iter().find(|o| {
            o.kind == kind
                && o.name.as_deref() == Some(rendered_name.as_str())
                && o.namespace.as_deref().unwrap_or_default() == namespace
        });
        let Some(origin) = origin else {
            return Err(Error::Overlay(format!(
                "{shown}: {kind} {rendered_name} reads a sealed secret but kustomize generated it, so no patch can name it; set rollout: false for this env in empseal.yaml and roll it out by hand"
            )));
        };
        let source_name = source_name(&origin.file, api_version, kind, &rendered_name, shown)?;
        out.insert(Consumer {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            source_name,
            rendered_name,
        });
    }
    Ok(out.into_iter().collect())
}

/// The name an object of `kind` has in its origin file: the only object of that
/// kind there, else the only one whose name is part of the rendered name
/// (prefixes and suffixes keep it whole).
fn source_name(
    file: &Path,
    api_version: &str,
    kind: &str,
    rendered_name: &str,
    shown: &str,
) -> Result<String> {
    let bytes = std::fs::read(file).map_err(|e| {
        Error::Overlay(format!(
            "{shown}: cannot read {kind} {rendered_name}'s source to name it in the rollout patch: {e}"
        ))
    })?;
    let mut names = Vec::new();
    for doc in serde_yaml::Deserializer::from_slice(&bytes) {
        let Ok(v) = serde_yaml::Value::deserialize(doc) else {
            continue;
        };
        if v["kind"].as_str() == Some(kind)
            && v["apiVersion"].as_str().map(group) == Some(group(api_version))
        {
            if let Some(n) = v["metadata"]["name"].as_str() {
                names.push(n.to_string());
            }
        }
    }
    let matching: Vec<&String> = if names.len() == 1 {
        names.iter().collect()
    } else {
        names
            .iter()
            .filter(|n| rendered_name.contains(n.as_str()))
            .collect()
    };
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        _ => Err(Error::Overlay(format!(
            "{shown}: cannot tell which {kind} of its source file becomes {rendered_name}, to name it in the rollout patch; set rollout: false for this env in empseal.yaml and roll it out by hand"
        ))),
    }
}

fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// The patch file's bytes: one strategic-merge document per consumer (sorted),
/// setting [`DIGEST_ANNOTATION`] to `digest` on its pod template. Byte-stable:
/// the same consumers and digest give the same bytes.
pub fn patch_bytes(consumers: &[Consumer], digest: &str) -> Vec<u8> {
    let mut out = String::from(
        "# Written by empseal (seal, rotate): a new digest of this environment's sealed\n# files gives its workloads a new pod template, so they roll out. Do not edit.\n",
    );
    for c in consumers {
        let Some(path) = template_path(&c.api_version, &c.kind) else {
            continue;
        };
        let mut node = Node::Map(vec![(
            "metadata".to_string(),
            Node::Map(vec![(
                "annotations".to_string(),
                Node::Map(vec![(
                    DIGEST_ANNOTATION.to_string(),
                    Node::Str(digest.to_string()),
                )]),
            )]),
        )]);
        for key in path.iter().rev() {
            node = Node::Map(vec![(key.to_string(), node)]);
        }
        let Node::Map(mut fields) = node else {
            unreachable!("built as a map")
        };
        fields.insert(0, ("apiVersion".into(), Node::Str(c.api_version.clone())));
        fields.insert(1, ("kind".into(), Node::Str(c.kind.clone())));
        fields.insert(
            2,
            (
                "metadata".into(),
                Node::Map(vec![("name".into(), Node::Str(c.source_name.clone()))]),
            ),
        );
        out.push_str("---\n");
        out.push_str(&to_yaml(&Node::Map(fields)));
    }
    out.into_bytes()
}

/// Whether a kustomization's `patches:` lists `file` (as `path:`).
fn lists_patch(kustomization: &[u8], file: &str) -> Option<bool> {
    #[derive(Deserialize)]
    struct Patch {
        path: Option<String>,
    }
    #[derive(Deserialize)]
    struct K {
        #[serde(default)]
        patches: Option<Vec<Patch>>,
    }
    let k: K = serde_yaml::from_slice(kustomization).ok()?;
    Some(k.patches.unwrap_or_default().iter().any(|p| {
        p.path
            .as_deref()
            .is_some_and(|p| p.trim_start_matches("./") == file)
    }))
}

/// The kustomization text with `- path: FILE` appended to its block-style
/// `patches:` list (a new list at the end when it has none), keeping every other
/// byte; `None` when the list is written in another style.
fn with_patch_listed(text: &str, file: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(at) = lines.iter().position(|l| {
        let l = l.trim_end();
        l == "patches:" || l.starts_with("patches: #") || l.starts_with("patches:\t#")
    }) else {
        if lines.iter().any(|l| l.starts_with("patches:")) {
            return None;
        }
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("patches:\n  - path: {file}\n"));
        return Some(out);
    };
    // The list's items: the lines after `patches:` that are indented, items at
    // column 0 (`- ...`), blank or comments; it ends at the next top-level key.
    let mut last_item = at;
    let mut indent = None;
    for (i, line) in lines.iter().enumerate().skip(at + 1) {
        let trimmed = line.trim_start();
        if trimmed.trim_end().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('-') {
            if indent.is_none() && trimmed.starts_with('-') {
                indent = Some(&line[..line.len() - trimmed.len()]);
            }
            last_item = i;
        } else {
            break;
        }
    }
    let indent = indent.unwrap_or("  ");
    let mut out: String = lines[..=last_item].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{indent}- path: {file}\n"));
    out.push_str(&lines[last_item + 1..].concat());
    Some(out)
}

/// Plans the rollout patch of the overlay in `dir` (`shown` in messages): the
/// patch file for `consumers` and `digest`, and its entry in the
/// kustomization's `patches:` when missing. Plans nothing when no workload
/// reads the secrets and no patch file exists yet; unchanged bytes are planned
/// as unchanged (the plan then writes nothing new).
pub fn plan_rollout(
    ws: &Workspace,
    dir: &Path,
    consumers: &[Consumer],
    digest: &str,
    plan: &mut WritePlan,
) -> Result<()> {
    let patch = dir.join(ROLLOUT_PATCH_FILE);
    if consumers.is_empty() && !patch.exists() {
        return Ok(());
    }
    let bytes = patch_bytes(consumers, digest);
    if std::fs::read(&patch).ok().as_deref() != Some(bytes.as_slice()) {
        plan.write(&patch, ws.display(&patch), &bytes, Sensitivity::Public);
    }
    let Some(kfile) = kustomization_file(dir) else {
        return Err(Error::Overlay(format!(
            "{}: no kustomization to list {ROLLOUT_PATCH_FILE} in",
            ws.display(dir)
        )));
    };
    let shown = ws.display(&kfile);
    let current = std::fs::read(&kfile).map_err(|e| Error::io(&shown, e))?;
    match lists_patch(&current, ROLLOUT_PATCH_FILE) {
        Some(true) => return Ok(()),
        Some(false) => {}
        None => {
            return Err(Error::Overlay(format!(
                "{shown}: not a readable kustomization; fix its YAML"
            )))
        }
    }
    let edited = std::str::from_utf8(&current)
        .ok()
        .and_then(|t| with_patch_listed(t, ROLLOUT_PATCH_FILE))
        .filter(|t| lists_patch(t.as_bytes(), ROLLOUT_PATCH_FILE) == Some(true))
        .ok_or_else(|| {
            Error::Overlay(format!(
                "{shown}: cannot add `- path: {ROLLOUT_PATCH_FILE}` to its patches: list (not a block list); add it by hand, or set rollout: false for this env in empseal.yaml"
            ))
        })?;
    plan.write(&kfile, shown, edited.as_bytes(), Sensitivity::Public);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_changes_with_any_file_and_only_then() {
        let a = sealed_digest([("a.yaml", &b"1"[..]), ("b.yaml", &b"2"[..])]);
        assert_eq!(
            a,
            sealed_digest([("b.yaml", &b"2"[..]), ("a.yaml", &b"1"[..])])
        );
        assert_ne!(
            a,
            sealed_digest([("a.yaml", &b"1"[..]), ("b.yaml", &b"3"[..])])
        );
        assert_ne!(a, sealed_digest([("a.yaml", &b"1"[..])]));
        // Path and content boundaries are length-prefixed: no shift collides.
        assert_ne!(
            sealed_digest([("a", &b"bc"[..])]),
            sealed_digest([("ab", &b"c"[..])])
        );
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64, "{a}");
    }

    #[test]
    fn every_place_a_pod_reads_a_secret_counts() {
        let spec: serde_yaml::Value = serde_yaml::from_str(
            r#"
containers:
- envFrom: [{secretRef: {name: a}}, {configMapRef: {name: cm}}]
  env: [{name: X, valueFrom: {secretKeyRef: {name: b, key: k}}}, {name: Y, value: v}]
initContainers: [{envFrom: [{secretRef: {name: c}}]}]
ephemeralContainers: [{env: [{name: Z, valueFrom: {secretKeyRef: {name: d, key: k}}}]}]
volumes:
- secret: {secretName: e}
- projected: {sources: [{secret: {name: f}}, {configMap: {name: cm2}}]}
- configMap: {name: cm3}
imagePullSecrets: [{name: g}]
"#,
        )
        .unwrap();
        let got: Vec<String> = secrets_read_by(&spec).into_iter().collect();
        assert_eq!(got, ["a", "b", "c", "d", "e", "f", "g"]);
    }

    #[test]
    fn patches_list_gains_the_file_keeping_every_other_byte() {
        let text = "resources:\n- a.yaml\npatches:\n  # first\n  - path: p.yaml\n    target:\n      kind: X\n\n  - path: q.yaml\n# about images\nimages: []\n";
        let out = with_patch_listed(text, "r.yaml").unwrap();
        assert_eq!(
            out,
            "resources:\n- a.yaml\npatches:\n  # first\n  - path: p.yaml\n    target:\n      kind: X\n\n  - path: q.yaml\n  - path: r.yaml\n# about images\nimages: []\n"
        );
        let col0 = "patches:\n- path: p.yaml\n";
        assert_eq!(
            with_patch_listed(col0, "r.yaml").unwrap(),
            "patches:\n- path: p.yaml\n- path: r.yaml\n"
        );
        assert_eq!(
            with_patch_listed("resources: [a.yaml]", "r.yaml").unwrap(),
            "resources: [a.yaml]\npatches:\n  - path: r.yaml\n"
        );
        assert_eq!(
            with_patch_listed("patches: [{path: p.yaml}]\n", "r.yaml"),
            None
        );
        assert_eq!(
            lists_patch(b"patches:\n- path: ./r.yaml\n", "r.yaml"),
            Some(true)
        );
        assert_eq!(
            lists_patch(b"patches:\n- path: p.yaml\n", "r.yaml"),
            Some(false)
        );
        assert_eq!(lists_patch(b"resources: []\n", "r.yaml"), Some(false));
        assert_eq!(lists_patch(b"patches: {", "r.yaml"), None);
    }

    #[test]
    fn patch_documents_set_the_annotation_on_each_template() {
        let consumers = [
            Consumer {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                source_name: "app".into(),
                rendered_name: "app-paper".into(),
            },
            Consumer {
                api_version: "batch/v1".into(),
                kind: "CronJob".into(),
                source_name: "nightly".into(),
                rendered_name: "nightly-paper".into(),
            },
        ];
        let text = String::from_utf8(patch_bytes(&consumers, "sha256:00")).unwrap();
        assert!(text.starts_with("# Written by empseal"), "{text}");
        let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde_yaml::Value::deserialize(d).unwrap())
            .collect();
        assert_eq!(docs.len(), 2, "{text}");
        assert_eq!(
            docs[0]["spec"]["template"]["metadata"]["annotations"][DIGEST_ANNOTATION],
            "sha256:00"
        );
        assert_eq!(docs[0]["metadata"]["name"], "app");
        assert_eq!(
            docs[1]["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"]
                [DIGEST_ANNOTATION],
            "sha256:00"
        );
        assert_eq!(patch_bytes(&consumers, "sha256:00"), text.into_bytes());
    }
}
