//! `env add`: a new environment from nothing. It writes what the first
//! `seal --env NAME` needs, so nobody hand-makes a placeholder SealedSecret:
//! the overlay (the base plus a namespace), an empty SealedSecret bound to the
//! name the base's workloads read, and an example env file with the keys they
//! reference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsio::Sensitivity;
use crate::message::did_you_mean;
use crate::plan::WritePlan;
use crate::rollout::{rendered_documents, secrets_read_by, template_path};
use crate::sealed_file::{base_object, emit_sealed};
use crate::target::Target;
use crate::workspace::{kustomization_file, validate_env_name, Workspace, SEALED_SECRET_FILE};
use kubeseal_core::secret::{Format, Layout, Scope};

/// What `env add` was asked for; `None` fields are derived from the repository.
#[derive(Debug, Clone, Default)]
pub struct NewEnvOptions {
    /// The environment's name (the new overlay directory's name).
    pub name: String,
    /// Its namespace (default: the other envs' `<prefix>-<env>` pattern, else the name).
    pub namespace: Option<String>,
    /// The Secret the SealedSecret produces (default: the one the base's workloads read).
    pub secret_name: Option<String>,
    /// An existing env whose main secret's example keys the new example gets too.
    pub from: Option<String>,
}

/// The new environment, planned: what it will be and the files that make it.
#[derive(Debug)]
pub struct NewEnv {
    /// The overlay directory.
    pub dir: PathBuf,
    /// The namespace.
    pub namespace: String,
    /// The SealedSecret's (and Secret's) name.
    pub secret_name: String,
    /// The keys of the example env file.
    pub keys: Vec<String>,
    /// The example env file.
    pub example_env_file: PathBuf,
    /// The files to write.
    pub plan: WritePlan,
}

/// The base overlays build on: `<overlays>/../base`.
fn base_dir(ws: &Workspace) -> Result<PathBuf> {
    let overlays = ws.overlays_dir();
    let base = overlays
        .parent()
        .map(|p| p.join("base"))
        .unwrap_or_else(|| PathBuf::from("base"));
    if kustomization_file(&base).is_none() {
        return Err(Error::input(format!(
            "{}: no kustomization, so there is no base to build a new overlay on; create one, or copy an existing overlay by hand",
            ws.display(&base)
        )));
    }
    Ok(base)
}

/// `to` relative to `from` (both absolute, normalized), for a kustomization's
/// `resources:` entry.
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The Secrets the base's workloads read, each with the keys they name
/// (`secretKeyRef`, KEDA `secretTargetRef`); keys of whole-Secret reads
/// (`envFrom`, volumes) are not named anywhere.
fn secrets_of_base(rendered: &[u8], shown: &str) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for v in rendered_documents(rendered, shown)? {
        let api_version = v["apiVersion"].as_str().unwrap_or_default();
        let kind = v["kind"].as_str().unwrap_or_default();
        if kind == "TriggerAuthentication" {
            for r in v["spec"]["secretTargetRef"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                if let Some(name) = r["name"].as_str() {
                    let keys = out.entry(name.to_string()).or_default();
                    keys.extend(r["key"].as_str().map(str::to_string));
                }
            }
            continue;
        }
        let Some(path) = template_path(api_version, kind) else {
            continue;
        };
        let spec = &path.iter().fold(&v, |node, key| &node[*key])["spec"];
        for name in secrets_read_by(spec) {
            out.entry(name).or_default();
        }
        for key in ["containers", "initContainers", "ephemeralContainers"] {
            for c in spec[key].as_sequence().into_iter().flatten() {
                for var in c["env"].as_sequence().into_iter().flatten() {
                    let r = &var["valueFrom"]["secretKeyRef"];
                    if let (Some(name), Some(k)) = (r["name"].as_str(), r["key"].as_str()) {
                        out.entry(name.to_string())
                            .or_default()
                            .insert(k.to_string());
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The namespace other envs' naming implies for `name`: when some env `E` has
/// namespace `P-E`, `P-name`.
fn derived_namespace(ws: &Workspace, name: &str) -> Option<String> {
    ws.envs().ok()?.into_iter().find_map(|e| {
        let ns = e.namespace?;
        let prefix = ns.strip_suffix(&format!("-{}", e.name))?;
        (!prefix.is_empty()).then(|| format!("{prefix}-{name}"))
    })
}

/// Plans a new environment `opts.name`: refuses a name that is taken, renders
/// the base once to find the Secret its workloads read and the keys they name,
/// and plans the overlay's kustomization, its empty SealedSecret (kubeseal's
/// bytes, bound to that name in the namespace) and the example env file.
pub fn plan_new_env(ws: &Workspace, opts: &NewEnvOptions) -> Result<NewEnv> {
    let name = opts.name.as_str();
    validate_env_name(name)?;
    let dir = ws.overlays_dir().join(name);
    if dir.exists() || ws.config.envs.contains_key(name) {
        return Err(Error::input(format!(
            "{}: environment {name:?} already exists; pick another name",
            ws.display(&dir)
        )));
    }
    let base = base_dir(ws)?;
    let shown_base = ws.display(&base);
    let rendered = ws.kustomize()?.build(&base, &shown_base)?;
    let secrets = secrets_of_base(&rendered, &shown_base)?;
    let secret_name = match (&opts.secret_name, secrets.len()) {
        (Some(s), _) => s.clone(),
        (None, 1) => secrets.keys().next().cloned().unwrap_or_default(),
        (None, 0) => {
            return Err(Error::input(format!(
                "{shown_base}: no workload reads a Secret, so the new env's secret has no name yet; give one with --secret-name"
            )))
        }
        (None, _) => {
            return Err(Error::input(format!(
                "{shown_base}: workloads read several Secrets ({}); say which one the new env seals with --secret-name",
                secrets.keys().cloned().collect::<Vec<_>>().join(", ")
            )))
        }
    };
    let namespace = match &opts.namespace {
        Some(ns) => ns.clone(),
        None => derived_namespace(ws, name).unwrap_or_else(|| name.to_string()),
    };
    let mut keys: BTreeSet<String> = secrets.get(&secret_name).cloned().unwrap_or_default();
    if let Some(from) = &opts.from {
        let known = ws.env_names()?;
        if !known.contains(from) {
            return Err(Error::input(format!(
                "--from {from:?}: no such environment{}; known environments: {}",
                did_you_mean(from, &known),
                known.join(", ")
            )));
        }
        // The env's first secret is its main one (the implied secret, or the
        // first listed in empseal.yaml): its env file's keys.
        let source = ws.env(from)?;
        if let Some(main) = source.secrets.first() {
            keys.extend(main.example_keys());
        }
    }

    let mut plan = WritePlan::new();
    plan.confine(&ws.root);
    let kustomization = dir.join("kustomization.yaml");
    let text = format!(
        "# {name}: made by `empseal env add {name}`. The Secret {secret_name} in {namespace}\n\
         # comes from {SEALED_SECRET_FILE}: copy {name}-secrets.env.example to\n\
         # {name}-secrets.env (never committed), put the real values in, pin the\n\
         # controller's certificate (`empseal cert fetch --env {name}`), then run\n\
         # `empseal seal --env {name}`.\n\
         apiVersion: kustomize.config.k8s.io/v1beta1\n\
         kind: Kustomization\n\
         namespace: {namespace}\n\
         resources:\n  - {}\n  - {SEALED_SECRET_FILE}\n",
        relative(&dir, &base)
    );
    plan.write(
        &kustomization,
        ws.display(&kustomization),
        text.as_bytes(),
        Sensitivity::Public,
    );
    // The SealedSecret `seal --env` would start from for this target, empty.
    let target = Target {
        name: secret_name.clone(),
        namespace: namespace.clone(),
        scope: Scope::Strict,
    };
    let sealed_path = dir.join(SEALED_SECRET_FILE);
    let bytes = emit_sealed(
        &base_object(None, &target, &None),
        (Format::Yaml, Layout::Current),
    );
    plan.write(
        &sealed_path,
        ws.display(&sealed_path),
        &bytes,
        Sensitivity::Public,
    );
    let example = dir.join(format!("{name}-secrets.env.example"));
    let mut text = format!(
        "# Example credentials for the {name} overlay: the keys the {secret_name}\n\
         # SealedSecret must carry. These values are fake. Copy to {name}-secrets.env\n\
         # (untracked, mode 0600), put the real values in, then run\n\
         #   empseal seal --env {name}\n"
    );
    if keys.is_empty() {
        text.push_str("# No workload of the base names a key of this Secret: add its keys here.\n");
    }
    for key in &keys {
        text.push_str(&format!(
            "{key}=example-{name}-{}\n",
            key.to_ascii_lowercase().replace('_', "-")
        ));
    }
    plan.write(
        &example,
        ws.display(&example),
        text.as_bytes(),
        Sensitivity::Public,
    );
    Ok(NewEnv {
        dir,
        namespace,
        secret_name,
        keys: keys.into_iter().collect(),
        example_env_file: example,
        plan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        assert_eq!(
            relative(Path::new("/r/k8s/overlays/uat"), Path::new("/r/k8s/base")),
            "../../base"
        );
        assert_eq!(relative(Path::new("/r/a"), Path::new("/r/a/b")), "b");
    }

    #[test]
    fn the_base_names_its_secrets_and_their_keys() {
        let rendered = br#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
      - envFrom: [{secretRef: {name: s}}]
        env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: K1}}}]
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: t}
spec:
  secretTargetRef: [{parameter: p, name: s, key: K2}, {parameter: q, name: u, key: K3}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
"#;
        let got = secrets_of_base(rendered, "base").unwrap();
        let want: BTreeMap<String, BTreeSet<String>> = [
            (
                "s".to_string(),
                BTreeSet::from(["K1".to_string(), "K2".to_string()]),
            ),
            ("u".to_string(), BTreeSet::from(["K3".to_string()])),
        ]
        .into();
        assert_eq!(got, want);
    }
}
