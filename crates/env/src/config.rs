//! `empseal.yaml`: the optional committed file at the repository root that
//! overrides the per-environment conventions of [`crate::workspace`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::message::{did_you_mean, one_line};
use crate::workspace::validate_env_name;
use kubeseal_core::secret::Scope;

/// The optional committed configuration file at the repository root.
pub const CONFIG_FILE: &str = "empseal.yaml";

/// `empseal.yaml`: overrides of the per-environment conventions. Every field is
/// optional; paths are relative to the file's directory (the repository root).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Directory holding one overlay per environment (default `k8s/overlays`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlays: Option<PathBuf>,
    /// Which kustomize to run: `auto` (default: a `kustomize` binary if on PATH,
    /// else `kubectl kustomize`), `kustomize` or `kubectl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<String>,
    /// Per-environment overrides, by environment name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub envs: BTreeMap<String, EnvConfig>,
}

/// Overrides for one environment in `empseal.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvConfig {
    /// The overlay directory (default `<overlays>/<env>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// The environment's namespace (default: the kustomization's `namespace:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The SealedSecret file (default `<dir>/sealedsecret.yaml`, sealed only if it exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_secret: Option<PathBuf>,
    /// The SealedSecret's name after kustomize (default: found by rendering the overlay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// The SealedSecret's namespace after kustomize (default: found by rendering).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_namespace: Option<String>,
    /// The untracked env file (default `<dir>/<env>-secrets.env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_file: Option<PathBuf>,
    /// The committed example env file (default: the env file + `.example`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_env_file: Option<PathBuf>,
    /// The pinned certificate (default `<dir>/sealing/cert.pem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// `strict` (default), `namespace-wide` or `cluster-wide`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// A sealed environment even without a SealedSecret file: plaintext Secrets
    /// in its overlay are errors for `check` (an env with a SealedSecret always is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<bool>,
    /// Whether `seal`/`rotate`/`rollback` keep the overlay's rollout patch
    /// (`empseal-rollout.yaml`: the sealed files' digest on the pod template of
    /// every workload reading them). Default true; `false` leaves rollouts to you.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<bool>,
    /// The environment's SealedSecrets, when it has several (absent: one secret
    /// from the env-level fields and conventions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretConfig>>,
    /// The kubeconfig context of the env's cluster, for `cert fetch --env`
    /// (default: the kubeconfig's current context); `--context` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The namespace of the env's sealed-secrets controller, for `cert fetch
    /// --env`; `--controller-namespace` wins, this wins over the variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_namespace: Option<String>,
    /// The name of the env's sealed-secrets controller Service, for `cert fetch
    /// --env`; `--controller-name` wins, this wins over the variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_name: Option<String>,
}

/// One SealedSecret of an environment listed under `envs.<env>.secrets:`, with
/// its sources: an env file (kubectl `--from-env-file` rules) and/or files
/// (kubectl `--from-file` rules).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretConfig {
    /// The committed SealedSecret file.
    pub sealed_secret: PathBuf,
    /// The untracked env file holding plaintext values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_file: Option<PathBuf>,
    /// The committed example env file (default: the env file + `.example`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_env_file: Option<PathBuf>,
    /// Secret key → file holding its value (binary-safe; `--demo` reads `PATH.example`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, PathBuf>,
    /// The Secret's `type` (default Opaque).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// `strict` (default: the env's), `namespace-wide` or `cluster-wide`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The rendered name (default: found by rendering the overlay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// The rendered namespace (default: found by rendering the overlay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_namespace: Option<String>,
}

/// The stem a listed secret's record and state are named by: its sealed file's
/// name without `.yaml`/`.yml`. `None` for the conventional `sealedsecret.yaml`,
/// which keeps the env's conventional record and state.
pub fn secret_stem(sealed_secret: &Path) -> Option<String> {
    let file = sealed_secret.file_name()?.to_string_lossy().into_owned();
    if file == crate::workspace::SEALED_SECRET_FILE {
        return None;
    }
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(&file);
    Some(stem.to_string())
}

/// The line (1-based) of `key:` nested under the mapping keys `path` in YAML
/// `text`, found by indentation; for positioned messages about `empseal.yaml`.
pub(crate) fn key_line(text: &str, path: &[&str]) -> Option<usize> {
    let mut indent: Option<usize> = None;
    let mut want = 0usize;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = l.len() - t.len();
        if indent.is_some_and(|d| ind <= d) && want > 0 {
            // Left the block of the last key found.
            return None;
        }
        let key = path[want];
        let k = t.trim_start_matches("- ");
        if (indent.is_none() || indent.is_some_and(|d| ind > d))
            && [
                format!("{key}:"),
                format!("\"{key}\":"),
                format!("'{key}':"),
            ]
            .iter()
            .any(|p| k.starts_with(p.as_str()))
        {
            want += 1;
            indent = Some(ind);
            if want == path.len() {
                return Some(i + 1);
            }
        }
    }
    None
}

/// The line (1-based) of the `index`th item of the `secrets:` list of `env`.
fn secret_item_line(text: &str, env: &str, index: usize) -> Option<usize> {
    let start = key_line(text, &["envs", env, "secrets"])?;
    let mut seen = 0usize;
    let mut base: Option<usize> = None;
    for (i, l) in text.lines().enumerate().skip(start) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = l.len() - t.len();
        if t.starts_with("- ") || t == "-" {
            if base.is_none() {
                base = Some(ind);
            }
            if Some(ind) == base {
                if seen == index {
                    return Some(i + 1);
                }
                seen += 1;
            }
        } else if base.is_none_or(|b| ind <= b) {
            return None;
        }
    }
    None
}

impl Config {
    /// Parses `empseal.yaml` bytes; `origin` names the file in errors.
    pub fn parse(origin: &Path, bytes: &[u8]) -> Result<Config> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Config::default());
        }
        let config: Config = serde_yaml::from_slice(bytes).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            let text = one_line(&e.to_string());
            // serde names the unknown key and the expected ones: suggest the closest.
            let hint = text
                .split_once("unknown field `")
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(field, rest)| {
                    let expected: Vec<String> = rest
                        .split('`')
                        .skip(1)
                        .step_by(2)
                        .map(str::to_string)
                        .collect();
                    did_you_mean(field, &expected)
                })
                .unwrap_or_default();
            Error::input(format!(
                "{}{at}: invalid empseal.yaml: {text}{hint}; see docs/rotation-and-rollback.md for its fields",
                origin.display(),
            ))
        })?;
        let text = String::from_utf8_lossy(bytes);
        for (name, env) in &config.envs {
            validate_env_name(name)
                .map_err(|e| Error::input(format!("{}: envs: {e}", origin.display())))?;
            check_secrets(origin, &text, name, env)?;
            if let Some(s) = &env.scope {
                if Scope::parse(s).is_none() {
                    return Err(Error::input(format!(
                        "{}: envs.{name}.scope is {s:?}; use strict, namespace-wide or cluster-wide",
                        origin.display()
                    )));
                }
            }
        }
        if let Some(k) = &config.kustomize {
            if !matches!(k.as_str(), "auto" | "kustomize" | "kubectl") {
                return Err(Error::input(format!(
                    "{}: kustomize is {k:?}; use auto, kustomize or kubectl",
                    origin.display()
                )));
            }
        }
        Ok(config)
    }
}

/// The rules of `envs.<env>.secrets:`: no env-level per-secret field beside it,
/// a source for each secret, and no file shared by two secrets.
fn check_secrets(origin: &Path, text: &str, name: &str, env: &EnvConfig) -> Result<()> {
    let Some(secrets) = &env.secrets else {
        return Ok(());
    };
    let at = |line: Option<usize>| {
        format!(
            "{}{}",
            origin.display(),
            line.map(|l| format!(":{l}")).unwrap_or_default()
        )
    };
    let env_level = [
        ("sealedSecret", env.sealed_secret.is_some()),
        ("envFile", env.env_file.is_some()),
        ("exampleEnvFile", env.example_env_file.is_some()),
        ("secretName", env.secret_name.is_some()),
        ("secretNamespace", env.secret_namespace.is_some()),
    ];
    if let Some((field, _)) = env_level.iter().find(|(_, set)| *set) {
        return Err(Error::input(format!(
            "{}: envs.{name} sets both secrets: and {field}:; move {field} into the secrets: entry it belongs to",
            at(key_line(text, &["envs", name, field]))
        )));
    }
    if secrets.is_empty() {
        return Err(Error::input(format!(
            "{}: envs.{name}.secrets is empty; list at least one secret, or remove secrets: to use the conventions",
            at(key_line(text, &["envs", name, "secrets"]))
        )));
    }
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for (i, s) in secrets.iter().enumerate() {
        let here = at(secret_item_line(text, name, i));
        if s.env_file.is_none() && s.files.is_empty() {
            return Err(Error::input(format!(
                "{here}: envs.{name}.secrets[{i}] ({}) has no source; give it envFile: and/or files:",
                s.sealed_secret.display()
            )));
        }
        if let Some(sc) = &s.scope {
            if Scope::parse(sc).is_none() {
                return Err(Error::input(format!(
                    "{here}: envs.{name}.secrets[{i}].scope is {sc:?}; use strict, namespace-wide or cluster-wide"
                )));
            }
        }
        let lex = |p: &Path| crate::paths::lexical(p).display().to_string();
        let mut mine = vec![
            ("sealedSecret", lex(&s.sealed_secret)),
            (
                "state file",
                secret_stem(&s.sealed_secret).unwrap_or_else(|| "(conventional)".into()),
            ),
        ];
        if let Some(e) = &s.env_file {
            mine.push(("envFile", lex(e)));
        }
        for (what, value) in mine {
            if let Some((_, _, j)) = seen.iter().find(|(w, v, _)| w == what && *v == value) {
                return Err(Error::input(format!(
                    "{here}: envs.{name}.secrets[{i}] has the same {what} as secrets[{j}] ({value}); each secret needs its own"
                )));
            }
            seen.push((what.to_string(), value, i));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_overrides_and_rejects_unknown_fields() {
        let c = Config::parse(
            Path::new("empseal.yaml"),
            b"envs:\n  paper:\n    secretName: s\n    scope: namespace-wide\n",
        )
        .unwrap();
        assert_eq!(c.envs["paper"].secret_name.as_deref(), Some("s"));
        let e = Config::parse(
            Path::new("empseal.yaml"),
            b"envs:\n  paper:\n    secretNam: s\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("empseal.yaml:"), "{e}");
        assert!(e.to_string().contains("secretNam"), "{e}");
        let e = Config::parse(
            Path::new("empseal.yaml"),
            b"envs:\n  paper:\n    scope: wide\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("envs.paper.scope"), "{e}");
        assert_eq!(
            Config::parse(Path::new("empseal.yaml"), b"\n").unwrap(),
            Config::default()
        );
    }
}
