//! Rotations that roll out: a small committed kustomize patch per environment
//! that puts the digest of the environment's sealed files on the pod template of
//! every workload reading one of its secrets.
//!
//! Pods read a Secret's values when they start, so a new sealed value reaches
//! them only through a new pod template. GitOps tools apply the overlay, not
//! empseal's output, so the change must live in the overlay itself: a patch
//! file per place a kind keeps its pod template ([`Shape`]: `spec.template`,
//! a CronJob's, a KEDA ScaledJob's) sets the pod-template annotation
//! [`DIGEST_ANNOTATION`], and the kustomization's `patches:` applies it to each
//! consumer by a `target:` selector. Unchanged sealed files give an unchanged
//! digest and unchanged bytes, hence no rollout.
//!
//! Selectors, not named patch documents: a selector that matches nothing is no
//! error, so deleting a component (the KEDA line of the EMP overlays) leaves a
//! renderable overlay. Each selector names its workload as the overlay's
//! patches see it: the name in the file the object came from (kustomize
//! matches against every earlier name of an object, never against names its
//! own later transformers give), found through kustomize's origin annotations.
//! Entries are only ever added: one whose workload went away matches nothing.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsio::Sensitivity;
use crate::kustomize::RenderedOrigin;
use crate::message::one_line;
use crate::plan::WritePlan;
use crate::sealed_file::read_one_sealed;
use crate::target::{resolve_target, OverlayRender};
use crate::workspace::{kustomization_file, Env, Workspace};
use kubeseal_core::emit::{to_yaml, Node};

/// The patch file for pod templates at `spec.template` (Deployment, StatefulSet,
/// DaemonSet, ReplicaSet, Job), in the overlay directory.
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

/// Where a kind of workload keeps its pod template; each place has its own
/// patch file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// `spec.template`: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job.
    Template,
    /// `spec.jobTemplate.spec.template`: CronJob.
    CronJob,
    /// `spec.jobTargetRef.template`: KEDA ScaledJob.
    ScaledJob,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 3] = [Shape::Template, Shape::CronJob, Shape::ScaledJob];

    /// The shape of a kind's pod template; `None` for kinds that run no pods of
    /// their own.
    pub fn of(api_version: &str, kind: &str) -> Option<Shape> {
        match (group(api_version), kind) {
            ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
            | ("batch", "Job") => Some(Shape::Template),
            ("batch", "CronJob") => Some(Shape::CronJob),
            ("keda.sh", "ScaledJob") => Some(Shape::ScaledJob),
            _ => None,
        }
    }

    /// The mapping keys from the object's root to the pod template.
    pub fn path(self) -> &'static [&'static str] {
        match self {
            Shape::Template => &["spec", "template"],
            Shape::CronJob => &["spec", "jobTemplate", "spec", "template"],
            Shape::ScaledJob => &["spec", "jobTargetRef", "template"],
        }
    }

    /// The patch file, in the overlay directory.
    pub fn file(self) -> &'static str {
        match self {
            Shape::Template => ROLLOUT_PATCH_FILE,
            Shape::CronJob => "empseal-rollout-cronjob.yaml",
            Shape::ScaledJob => "empseal-rollout-scaledjob.yaml",
        }
    }

    /// The `apiVersion` and kind the patch document is written as (its
    /// selector picks the real objects).
    fn patch_kind(self) -> (&'static str, &'static str) {
        match self {
            Shape::Template => ("apps/v1", "Deployment"),
            Shape::CronJob => ("batch/v1", "CronJob"),
            Shape::ScaledJob => ("keda.sh/v1alpha1", "ScaledJob"),
        }
    }
}

/// Where a kind of workload keeps its pod template, as mapping keys from the
/// object's root. Kinds not listed run no pods of their own.
pub(crate) fn template_path(api_version: &str, kind: &str) -> Option<&'static [&'static str]> {
    Shape::of(api_version, kind).map(Shape::path)
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

/// Every document of kustomize's output (`shown` names the overlay in the
/// error for output that is not YAML).
pub(crate) fn rendered_documents(rendered: &[u8], shown: &str) -> Result<Vec<serde_yaml::Value>> {
    serde_yaml::Deserializer::from_slice(rendered)
        .map(|doc| {
            serde_yaml::Value::deserialize(doc).map_err(|e| {
                Error::Overlay(format!(
                    "{shown}: kustomize printed YAML empseal cannot read: {}",
                    one_line(&e.to_string())
                ))
            })
        })
        .collect()
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
    for v in rendered_documents(rendered, shown)? {
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

/// A shape's patch file: one strategic-merge document setting
/// [`DIGEST_ANNOTATION`] to `digest` on the pod template. Byte-stable.
pub fn patch_bytes(shape: Shape, digest: &str) -> Vec<u8> {
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
    for key in shape.path().iter().rev() {
        node = Node::Map(vec![(key.to_string(), node)]);
    }
    let Node::Map(mut fields) = node else {
        unreachable!("built as a map")
    };
    let (api_version, kind) = shape.patch_kind();
    fields.insert(0, ("apiVersion".into(), Node::Str(api_version.into())));
    fields.insert(1, ("kind".into(), Node::Str(kind.into())));
    fields.insert(
        2,
        (
            "metadata".into(),
            Node::Map(vec![("name".into(), Node::Str("empseal-rollout".into()))]),
        ),
    );
    let mut out = String::from(
        "# Written by empseal (seal, rotate, rollback, rollout): the digest of this\n\
         # environment's sealed files. The kustomization applies it to each workload\n\
         # reading them (patches: with a target), so a new value rolls them out.\n",
    );
    out.push_str(&to_yaml(&Node::Map(fields)));
    out.into_bytes()
}

/// The `patches:` entry applying `consumer`'s shape file to it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct PatchEntry {
    path: Option<String>,
    #[serde(default)]
    target: Option<Selector>,
}

/// A `target:` selector, as far as entries empseal writes use it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
struct Selector {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl Consumer {
    fn selector(&self) -> Selector {
        let g = group(&self.api_version);
        Selector {
            group: (!g.is_empty()).then(|| g.to_string()),
            kind: Some(self.kind.clone()),
            name: Some(self.source_name.clone()),
        }
    }

    fn shape(&self) -> Option<Shape> {
        Shape::of(&self.api_version, &self.kind)
    }

    /// The entry's lines, each indented by `indent` (the list items' indent).
    fn entry_text(&self, indent: &str) -> String {
        let file = self.shape().map_or(ROLLOUT_PATCH_FILE, Shape::file);
        let sel = self.selector();
        let mut out = format!("{indent}- path: {file}\n{indent}  target:\n");
        if let Some(g) = sel.group {
            out.push_str(&format!("{indent}    group: {g}\n"));
        }
        out.push_str(&format!(
            "{indent}    kind: {}\n{indent}    name: {}\n",
            self.kind, self.source_name
        ));
        out
    }
}

/// The comment above the first entries empseal adds to a kustomization.
const ENTRIES_COMMENT: &str =
    "# empseal's rollout patches (seal, rotate, rollback keep them): see docs/rotation-and-rollback.md\n";

/// The kustomization's `patches:` entries; `None` when it is not readable YAML.
fn patch_entries(kustomization: &[u8]) -> Option<Vec<PatchEntry>> {
    #[derive(Deserialize)]
    struct K {
        #[serde(default)]
        patches: Option<Vec<PatchEntry>>,
    }
    let k: K = serde_yaml::from_slice(kustomization).ok()?;
    Some(k.patches.unwrap_or_default())
}

/// The consumers `entries` do not yet apply their shape file to.
fn unlisted<'a>(entries: &[PatchEntry], consumers: &'a [Consumer]) -> Vec<&'a Consumer> {
    consumers
        .iter()
        .filter(|c| {
            let Some(shape) = c.shape() else {
                return false;
            };
            !entries.iter().any(|e| {
                e.path.as_deref().map(|p| p.trim_start_matches("./")) == Some(shape.file())
                    && e.target.as_ref() == Some(&c.selector())
            })
        })
        .collect()
}

/// The kustomization text with `consumers`' entries appended to its block-style
/// `patches:` list (a new list at the end when it has none), keeping every other
/// byte; `None` when the list is written in another style.
fn with_entries(text: &str, consumers: &[&Consumer]) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // The first entries get a comment saying whose they are.
    let first = !text.contains(ROLLOUT_PATCH_FILE.trim_end_matches(".yaml"));
    let entries = |indent: &str| -> String {
        let mut out = String::new();
        if first {
            out.push_str(&format!("{indent}{ENTRIES_COMMENT}"));
        }
        out.extend(consumers.iter().map(|c| c.entry_text(indent)));
        out
    };
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
        out.push_str("patches:\n");
        out.push_str(&entries("  "));
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
    let mut out: String = lines[..=last_item].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&entries(indent.unwrap_or("  ")));
    out.push_str(&lines[last_item + 1..].concat());
    Some(out)
}

/// Plans `env`'s rollout patch to match the sealed files as `plan` leaves them
/// (its planned bytes, else the files on disk): the digest over every sealed
/// file of the env, on the workloads reading any of its secrets. Nothing when
/// the env has `rollout: false`. Finds the workloads' source names with one
/// kustomize build that keeps origins.
pub fn plan_env_rollout(
    ws: &Workspace,
    env: &Env,
    render: &mut OverlayRender,
    plan: &mut WritePlan,
) -> Result<()> {
    if !env.rollout {
        return Ok(());
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut secrets = BTreeSet::new();
    for secret in &env.secrets {
        let Some(path) = &secret.sealed_secret else {
            continue;
        };
        let shown = ws.display(path);
        let bytes = match plan.planned_bytes(path) {
            Some(b) => b.to_vec(),
            None => match std::fs::read(path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(shown, e)),
            },
        };
        let (object, _, _) = read_one_sealed(&shown, &bytes)?;
        let target = resolve_target(ws, env, secret, Some(&object), render)?;
        secrets.insert((target.namespace, target.name));
        files.push((shown, bytes));
    }
    if files.is_empty() {
        return Ok(());
    }
    let digest = sealed_digest(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
    let shown = ws.display(&env.dir);
    let (rendered, origins) = ws.kustomize()?.build_with_origins(&env.dir, &shown)?;
    let found = consumers(&rendered, &origins, &secrets, &shown)?;
    plan_rollout(ws, &env.dir, &found, &digest, plan)
}

/// Plans the rollout patch of the overlay in `dir` (`shown` in messages): each
/// shape's patch file for `digest` (those the consumers need, and those that
/// exist already), and a `patches:` entry for each consumer the kustomization
/// does not apply its file to yet. Plans nothing when no workload reads the
/// secrets and no patch file exists; unchanged bytes are not planned.
pub fn plan_rollout(
    ws: &Workspace,
    dir: &Path,
    consumers: &[Consumer],
    digest: &str,
    plan: &mut WritePlan,
) -> Result<()> {
    for shape in Shape::ALL {
        let patch = dir.join(shape.file());
        if !patch.exists() && !consumers.iter().any(|c| c.shape() == Some(shape)) {
            continue;
        }
        let bytes = patch_bytes(shape, digest);
        if std::fs::read(&patch).ok().as_deref() != Some(bytes.as_slice()) {
            plan.write(&patch, ws.display(&patch), &bytes, Sensitivity::Public);
        }
    }
    if consumers.is_empty() {
        return Ok(());
    }
    let Some(kfile) = kustomization_file(dir) else {
        return Err(Error::Overlay(format!(
            "{}: no kustomization to list {ROLLOUT_PATCH_FILE} in",
            ws.display(dir)
        )));
    };
    let shown = ws.display(&kfile);
    let current = std::fs::read(&kfile).map_err(|e| Error::io(&shown, e))?;
    let Some(entries) = patch_entries(&current) else {
        return Err(Error::Overlay(format!(
            "{shown}: not a readable kustomization; fix its YAML"
        )));
    };
    let missing = unlisted(&entries, consumers);
    if missing.is_empty() {
        return Ok(());
    }
    let edited = std::str::from_utf8(&current)
        .ok()
        .and_then(|t| with_entries(t, &missing))
        .filter(|t| {
            patch_entries(t.as_bytes()).is_some_and(|e| unlisted(&e, consumers).is_empty())
        })
        .ok_or_else(|| {
            Error::Overlay(format!(
                "{shown}: cannot add the rollout patch entries (`- path: {ROLLOUT_PATCH_FILE}` with a target per workload) to its patches: list (not a block list); add them by hand, or set rollout: false for this env in empseal.yaml"
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

    fn consumer(api_version: &str, kind: &str, name: &str) -> Consumer {
        Consumer {
            api_version: api_version.into(),
            kind: kind.into(),
            source_name: name.into(),
            rendered_name: format!("{name}-paper"),
        }
    }

    #[test]
    fn patches_list_gains_an_entry_per_workload_keeping_every_other_byte() {
        let app = consumer("apps/v1", "Deployment", "app");
        let job = consumer("keda.sh/v1alpha1", "ScaledJob", "worker");
        let text = "resources:\n- a.yaml\npatches:\n  # first\n  - path: p.yaml\n    target:\n      kind: X\n\n  - path: q.yaml\n# about images\nimages: []\n";
        let out = with_entries(text, &[&app, &job]).unwrap();
        assert_eq!(
            out,
            "resources:\n- a.yaml\npatches:\n  # first\n  - path: p.yaml\n    target:\n      kind: X\n\n  - path: q.yaml\n  # empseal's rollout patches (seal, rotate, rollback keep them): see docs/rotation-and-rollback.md\n  - path: empseal-rollout.yaml\n    target:\n      group: apps\n      kind: Deployment\n      name: app\n  - path: empseal-rollout-scaledjob.yaml\n    target:\n      group: keda.sh\n      kind: ScaledJob\n      name: worker\n# about images\nimages: []\n"
        );
        let entries = patch_entries(out.as_bytes()).unwrap();
        assert!(unlisted(&entries, &[app.clone(), job.clone()]).is_empty());
        // Another workload of the same shape is not listed by the first's entry.
        let other = consumer("apps/v1", "StatefulSet", "db");
        assert_eq!(unlisted(&entries, std::slice::from_ref(&other)), [&other]);
        assert_eq!(
            with_entries("patches:\n- path: p.yaml\n", &[&app]).unwrap(),
            "patches:\n- path: p.yaml\n# empseal's rollout patches (seal, rotate, rollback keep them): see docs/rotation-and-rollback.md\n- path: empseal-rollout.yaml\n  target:\n    group: apps\n    kind: Deployment\n    name: app\n"
        );
        assert_eq!(
            with_entries("resources: [a.yaml]", &[&app]).unwrap(),
            "resources: [a.yaml]\npatches:\n  # empseal's rollout patches (seal, rotate, rollback keep them): see docs/rotation-and-rollback.md\n  - path: empseal-rollout.yaml\n    target:\n      group: apps\n      kind: Deployment\n      name: app\n"
        );
        assert_eq!(with_entries("patches: [{path: p.yaml}]\n", &[&app]), None);
        assert_eq!(patch_entries(b"patches: {"), None);
        assert_eq!(patch_entries(b"resources: []\n"), Some(vec![]));
    }

    #[test]
    fn each_shape_patch_sets_the_annotation_on_its_template() {
        for shape in Shape::ALL {
            let text = String::from_utf8(patch_bytes(shape, "sha256:00")).unwrap();
            assert!(text.starts_with("# Written by empseal"), "{text}");
            let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let template = shape.path().iter().fold(&doc, |n, k| &n[*k]);
            assert_eq!(
                template["metadata"]["annotations"][DIGEST_ANNOTATION], "sha256:00",
                "{text}"
            );
            let (api_version, kind) = shape.patch_kind();
            assert_eq!(Shape::of(api_version, kind), Some(shape));
            assert_eq!(patch_bytes(shape, "sha256:00"), text.into_bytes());
        }
        assert_eq!(Shape::of("v1", "Pod"), None);
        assert_eq!(Shape::of("batch/v1", "Job"), Some(Shape::Template));
    }
}
