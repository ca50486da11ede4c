//! The SealedSecrets of an environment ([`EnvSecret`]): each one's committed
//! file, its plaintext sources (an env file and/or files), its record and local
//! state; reading its values; and choosing secrets by rendered name (`--secret`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::env_file::read_env_values;
use crate::error::{Error, Result};
use crate::message::did_you_mean;
use crate::sealed_file::read_current_sealed;
use crate::target::{resolve_target, OverlayRender, Target};
use crate::workspace::{Env, Workspace};
use kubeseal_core::envfile::SecretSources;
use kubeseal_core::secret::{Scope, SecretBytes};

/// One SealedSecret of an environment, with every path resolved under the root:
/// the implied secret of the conventions, or one entry of `secrets:` in
/// `empseal.yaml`. Sealing, rotation, records, states and rollback work per secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSecret {
    /// The SealedSecret file, if this secret is sealed (the implied secret of an
    /// environment without `sealedsecret.yaml` has none).
    pub sealed_secret: Option<PathBuf>,
    /// The rendered name, when configured (else found by kustomize).
    pub secret_name: Option<String>,
    /// The rendered namespace, when configured.
    pub secret_namespace: Option<String>,
    /// The untracked env file holding plaintext values (always set for the implied secret).
    pub env_file: Option<PathBuf>,
    /// The committed example env file (`--demo` input), when there is an env file.
    pub example_env_file: Option<PathBuf>,
    /// Secret key → file holding its value (kubectl `--from-file` rules).
    pub files: BTreeMap<String, PathBuf>,
    /// The Secret's `type`, when configured.
    pub type_: Option<String>,
    /// The configured scope, if any (else the env's, else the rendered object's).
    pub scope: Option<Scope>,
    /// The committed seal record.
    pub record: PathBuf,
    /// The local, gitignored seal state.
    pub state: PathBuf,
}

/// The suffix of the committed example of a plaintext source file.
pub const EXAMPLE_SUFFIX: &str = ".example";

/// `path` + `.example`: the committed example of a plaintext source file.
pub fn example_of(path: &Path) -> PathBuf {
    let mut s = path.to_path_buf().into_os_string();
    s.push(EXAMPLE_SUFFIX);
    PathBuf::from(s)
}

impl EnvSecret {
    /// The sources as shown in messages (the env file, else the first file).
    pub fn sources_shown(&self, ws: &Workspace) -> String {
        match (&self.env_file, self.files.values().next()) {
            (Some(e), _) => ws.display(e),
            (None, Some(f)) => ws.display(f),
            (None, None) => String::new(),
        }
    }

    /// The secret's plaintext values: its env file (kubectl env-file rules) and
    /// its files (kubectl `--from-file` rules); with `demo` their committed
    /// examples. A key in two sources is an input error.
    pub fn read_values(&self, ws: &Workspace, demo: bool) -> Result<Vec<(String, SecretBytes)>> {
        let mut values = match (&self.env_file, demo) {
            (Some(e), false) => read_env_values(ws, e)?,
            (Some(_), true) => {
                let ex = self.example_env_file.clone().unwrap_or_default();
                crate::env_file::read_example_env_file(&ex, &ws.display(&ex))?
            }
            (None, _) => Vec::new(),
        };
        if self.files.is_empty() {
            return Ok(values);
        }
        let mut sources = SecretSources::new();
        for (key, path) in &self.files {
            let path = if demo { example_of(path) } else { path.clone() };
            sources.file(&format!("{key}={}", path.display()));
        }
        sources.secret_type(self.type_.clone());
        let secret = sources
            .build("secret", None, &kubeseal_core::envfile::process_env)
            .map_err(|e| {
                let text = e
                    .to_string()
                    .replace(&format!("{}/", ws.root.display()), "");
                Error::input(text)
            })?;
        for (k, v) in secret.data {
            if values.iter().any(|(ek, _)| *ek == k) {
                return Err(Error::input(format!(
                    "{}: key {k} comes both from the env file and from files:; keep it in one of them",
                    ws.display(self.sealed_secret.as_deref().unwrap_or(Path::new("")))
                )));
            }
            values.push((k, v));
        }
        values.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(values)
    }

    /// The values of the committed examples (example env file, `PATH.example`
    /// of each file), for refusing real values equal to them; missing ones are skipped.
    pub fn example_values(&self, ws: &Workspace) -> Result<Vec<(String, SecretBytes)>> {
        let mut out = match &self.example_env_file {
            Some(ex) if ex.exists() => crate::env_file::read_example_env_file(ex, &ws.display(ex))?,
            _ => Vec::new(),
        };
        for (k, p) in &self.files {
            if let Ok(b) = std::fs::read(example_of(p)) {
                out.push((k.clone(), Zeroizing::new(b)));
            }
        }
        Ok(out)
    }

    /// The keys consumers of this secret need: the example env file's keys and
    /// the `files:` keys.
    pub fn example_keys(&self) -> Vec<String> {
        let mut keys = self
            .example_env_file
            .as_deref()
            .map(crate::gate::example_file_keys)
            .unwrap_or_default();
        keys.extend(self.files.keys().cloned());
        keys.sort();
        keys.dedup();
        keys
    }
}

/// The sealed secrets of `env` with their rendered targets (kustomize runs at
/// most once), narrowed to the one whose rendered name is `name` when given. An
/// unknown name is an input error listing the env's secret names.
pub fn select_secrets(
    ws: &Workspace,
    env: &Env,
    name: Option<&str>,
    render: &mut OverlayRender,
) -> Result<SecretTargets> {
    Ok(split_secrets(ws, env, name, render)?.0)
}

/// An env's sealed secrets, each with the object it renders to.
pub type SecretTargets = Vec<(EnvSecret, Target)>;

/// [`select_secrets`], with the env's other sealed secrets (those `name` leaves
/// out) as the second list, for commands that must also know what they skip.
pub fn split_secrets(
    ws: &Workspace,
    env: &Env,
    name: Option<&str>,
    render: &mut OverlayRender,
) -> Result<(SecretTargets, SecretTargets)> {
    let mut all = Vec::new();
    for s in env.secrets.iter().filter(|s| s.sealed_secret.is_some()) {
        let path = s.sealed_secret.as_deref().unwrap_or(Path::new(""));
        let current = read_current_sealed(ws, path)?;
        let t = resolve_target(ws, env, s, current.as_ref().map(|c| &c.object), render)?;
        all.push((s.clone(), t));
    }
    let Some(name) = name else {
        return Ok((all, Vec::new()));
    };
    let names: Vec<String> = all.iter().map(|(_, t)| t.name.clone()).collect();
    let (chosen, others): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, t)| t.name == name);
    if chosen.is_empty() {
        return Err(Error::input(format!(
            "env {} has no secret {name:?}{}; its secrets: {}",
            env.name,
            did_you_mean(name, &names),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    Ok((chosen, others))
}
