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
        for (name, env) in &config.envs {
            validate_env_name(name)
                .map_err(|e| Error::input(format!("{}: envs: {e}", origin.display())))?;
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
