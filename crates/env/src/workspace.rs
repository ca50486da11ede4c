//! The workspace (the repository empseal works on) and its environments: the
//! overlays under `k8s/overlays/`, their conventions, and the one check of an
//! environment's name.
//!
//! Per environment `E`, by convention (each overridable in `empseal.yaml`, see
//! [`crate::config`]):
//! - the overlay directory `k8s/overlays/E/` and its kustomization's `namespace:`;
//! - the SealedSecret file `k8s/overlays/E/sealedsecret.yaml` (only environments
//!   that have one are sealed) and its *rendered* name and namespace, found by
//!   running kustomize on the overlay;
//! - the untracked env file `k8s/overlays/E/E-secrets.env` beside the committed
//!   `E-secrets.env.example`;
//! - the pinned certificate `k8s/overlays/E/sealing/cert.pem` (+ `pin.yaml`);
//! - the committed record `k8s/overlays/E/sealing/record.yaml` (which certificate
//!   sealed the file, when, which keys);
//! - the local, gitignored state `k8s/overlays/E/.E-secrets.state` (HMACs of the
//!   sealed values under a random local key), so unchanged values keep their
//!   ciphertext without anything derived from plaintext reaching git;
//! - scope strict.
//!
//! Those per-secret conventions describe the one secret an environment has
//! by default; `secrets:` in `empseal.yaml` lists several instead (see
//! [`crate::secrets::EnvSecret`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{secret_stem, Config, EnvConfig, SecretConfig, CONFIG_FILE};
use crate::error::{Error, Result};
use crate::kustomize::Kustomize;
use crate::message::{did_you_mean, one_line};
use crate::pin::PinFiles;
use crate::secrets::{example_of, EnvSecret};
use kubeseal_core::secret::Scope;

/// Where the overlays live by convention, relative to the root.
pub const DEFAULT_OVERLAYS_DIR: &str = "k8s/overlays";
/// The SealedSecret file of an overlay, by convention.
pub const SEALED_SECRET_FILE: &str = "sealedsecret.yaml";
/// The directory of an overlay holding its pinned certificate and seal record.
pub const SEALING_DIR: &str = "sealing";

/// Checks an environment name: an overlay directory's name (letters, digits,
/// `.`, `_`, `-`, starting with a letter or digit, at most 63 characters). No
/// path separators, `..` or absolute paths, so an env name can never lead a
/// command outside the overlays directory (or an output outside `--out-dir`).
/// The one check every command taking `--env` goes through ([`Workspace::env`]).
pub fn validate_env_name(name: &str) -> Result<()> {
    let ok = name.len() <= 63
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!(
            "invalid environment name {name:?}: an environment is an overlay directory's name (letters, digits, '.', '_' and '-', starting with a letter or digit), not a path; see `ls {DEFAULT_OVERLAYS_DIR}`"
        )))
    }
}

/// The repository empseal works on: its root, configuration and environments.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The root directory (holds `empseal.yaml` and/or `k8s/overlays`).
    pub root: PathBuf,
    /// The parsed `empseal.yaml` (default when absent).
    pub config: Config,
}

/// One environment with every convention resolved to a path under the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    /// The environment's name (the overlay directory's name).
    pub name: String,
    /// The overlay directory.
    pub dir: PathBuf,
    /// The namespace (config, else the kustomization's `namespace:`).
    pub namespace: Option<String>,
    /// The pinned certificate.
    pub cert: PathBuf,
    /// The pin's metadata (`pin.yaml`) beside the certificate.
    pub pin: PathBuf,
    /// The env-level configured scope, if any: the default of its secrets.
    pub scope: Option<Scope>,
    /// The environment's secrets: one implied by the conventions, or the
    /// `secrets:` list of `empseal.yaml` (never empty).
    pub secrets: Vec<EnvSecret>,
    /// Whether sealing keeps the overlay's rollout patch (`rollout:` in
    /// empseal.yaml, default true; see [`crate::rollout`]).
    pub rollout: bool,
}

impl Env {
    /// The environment's pin files as configured (`cert:` in `empseal.yaml`
    /// included): what every reader and writer of its pin uses.
    pub fn pin_files(&self, ws: &Workspace) -> PinFiles {
        PinFiles {
            env: self.name.clone(),
            cert: self.cert.clone(),
            pin: self.pin.clone(),
            base: ws.root.clone(),
        }
    }

    /// Whether this environment owns a SealedSecret that `seal --env` writes.
    pub fn is_sealed(&self) -> bool {
        self.secrets.iter().any(|s| s.sealed_secret.is_some())
    }

    /// The first secret: the implied one of a conventional environment (whose
    /// env file is also a SecretGenerator's input when it is not sealed).
    pub fn primary(&self) -> &EnvSecret {
        &self.secrets[0]
    }
}

impl Workspace {
    /// Whether `env` is a sealed environment: it has a SealedSecret, or
    /// `empseal.yaml` marks it `sealed: true`.
    pub fn is_sealed_env(&self, env: &Env) -> bool {
        env.is_sealed() || self.config.envs.get(&env.name).and_then(|c| c.sealed) == Some(true)
    }

    /// Opens the workspace rooted at `root` (reads `empseal.yaml` if present).
    pub fn open(root: &Path) -> Result<Workspace> {
        let root = root.canonicalize().map_err(|e| Error::io(root, e))?;
        let cfg_path = root.join(CONFIG_FILE);
        let config = match std::fs::read(&cfg_path) {
            Ok(bytes) => Config::parse(Path::new(CONFIG_FILE), &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(e) => return Err(Error::io(CONFIG_FILE, e)),
        };
        let ws = Workspace { root, config };
        ws.check_config_envs()?;
        Ok(ws)
    }

    /// An `empseal.yaml` entry with no `dir` and no overlay directory of its name,
    /// that is close to an existing overlay directory (`papr:` beside `paper/`), is
    /// a misspelling that would otherwise silently be an extra, empty environment.
    /// (An entry unlike every directory is an environment named only there.)
    fn check_config_envs(&self) -> Result<()> {
        let overlays = self.overlays_dir();
        for (name, cfg) in &self.config.envs {
            if cfg.dir.is_some() || overlays.join(name).is_dir() {
                continue;
            }
            let dirs: Vec<String> = std::fs::read_dir(&overlays)
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| e.path().is_dir())
                        .filter_map(|e| e.file_name().to_str().map(str::to_string))
                        .filter(|d| !self.config.envs.contains_key(d))
                        .collect()
                })
                .unwrap_or_default();
            let suggestion = did_you_mean(name, &dirs);
            if suggestion.is_empty() {
                continue;
            }
            let text = std::fs::read_to_string(self.root.join(CONFIG_FILE)).unwrap_or_default();
            let line = text
                .lines()
                .position(|l| {
                    let t = l.trim_start();
                    l.len() > t.len()
                        && (t.starts_with(&format!("{name}:"))
                            || t.starts_with(&format!("\"{name}\":"))
                            || t.starts_with(&format!("'{name}':")))
                })
                .map(|i| format!(":{}", i + 1))
                .unwrap_or_default();
            return Err(Error::input(format!(
                "{CONFIG_FILE}{line}: envs.{name}: no overlay directory {} and no `dir:` given{}",
                self.display(&overlays.join(name)),
                suggestion
            )));
        }
        Ok(())
    }

    /// Finds the workspace containing `start`: the nearest ancestor holding
    /// `empseal.yaml` or `k8s/overlays`.
    pub fn discover(start: &Path) -> Result<Workspace> {
        let start = start.canonicalize().map_err(|e| Error::io(start, e))?;
        for dir in start.ancestors() {
            if dir.join(CONFIG_FILE).is_file() || dir.join(DEFAULT_OVERLAYS_DIR).is_dir() {
                return Workspace::open(dir);
            }
        }
        Err(Error::input(format!(
            "{}: no {CONFIG_FILE} or {DEFAULT_OVERLAYS_DIR}/ here or in any parent directory; run empseal from the repository",
            start.display()
        )))
    }

    /// The overlays directory.
    pub fn overlays_dir(&self) -> PathBuf {
        self.root.join(
            self.config
                .overlays
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_OVERLAYS_DIR)),
        )
    }

    /// `path` relative to the root, for messages (absolute paths never reach users).
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The names of all environments: overlay directories with a kustomization,
    /// plus environments named in `empseal.yaml`; sorted.
    pub fn env_names(&self) -> Result<Vec<String>> {
        let mut names: BTreeSet<String> = self.config.envs.keys().cloned().collect();
        let dir = self.overlays_dir();
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(|e| Error::io(&dir, e))?;
                    let path = entry.path();
                    if path.is_dir() && kustomization_file(&path).is_some() {
                        if let Some(n) = path
                            .file_name()
                            .and_then(|n| n.to_str())
                            .filter(|n| validate_env_name(n).is_ok())
                        {
                            names.insert(n.to_string());
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(self.display(&dir), e)),
        }
        Ok(names.into_iter().collect())
    }

    /// All environments, resolved.
    pub fn envs(&self) -> Result<Vec<Env>> {
        self.env_names()?.iter().map(|n| self.env(n)).collect()
    }

    /// One environment, resolved; an unknown name is an input error listing the known ones.
    pub fn env(&self, name: &str) -> Result<Env> {
        validate_env_name(name)?;
        let cfg = self.config.envs.get(name).cloned().unwrap_or_default();
        let dir = match &cfg.dir {
            Some(d) => self.root.join(d),
            None => self.overlays_dir().join(name),
        };
        if cfg.dir.is_none() && !self.config.envs.contains_key(name) && !dir.is_dir() {
            let known = self.env_names().unwrap_or_default();
            return Err(Error::input(format!(
                "unknown environment {name:?}: no directory {}{}; known environments: {}",
                self.display(&dir),
                did_you_mean(name, &known),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        let namespace = match &cfg.namespace {
            Some(ns) => Some(ns.clone()),
            None => kustomization_namespace(self, &dir)?,
        };
        let cert = match &cfg.cert {
            Some(p) => self.root.join(p),
            None => crate::pin::cert_path(&dir),
        };
        let sealing = cert
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join(SEALING_DIR));
        let secrets = match &cfg.secrets {
            None => vec![self.implied_secret(name, &dir, &sealing, &cfg)],
            Some(list) => list
                .iter()
                .map(|s| self.listed_secret(name, &dir, &sealing, s))
                .collect(),
        };
        Ok(Env {
            name: name.to_string(),
            namespace,
            pin: sealing.join(crate::pin::PIN_FILE),
            cert,
            scope: cfg.scope.as_deref().and_then(Scope::parse),
            dir,
            secrets,
            rollout: cfg.rollout.unwrap_or(true),
        })
    }

    /// The one secret of an environment without `secrets:`: today's env-level
    /// fields and conventions.
    fn implied_secret(&self, name: &str, dir: &Path, sealing: &Path, cfg: &EnvConfig) -> EnvSecret {
        let sealed_secret = match &cfg.sealed_secret {
            Some(p) => Some(self.root.join(p)),
            None => {
                let p = dir.join(SEALED_SECRET_FILE);
                p.is_file().then_some(p)
            }
        };
        let env_file = match &cfg.env_file {
            Some(p) => self.root.join(p),
            None => dir.join(format!("{name}-secrets.env")),
        };
        let example_env_file = match &cfg.example_env_file {
            Some(p) => self.root.join(p),
            None => example_of(&env_file),
        };
        EnvSecret {
            sealed_secret,
            secret_name: cfg.secret_name.clone(),
            secret_namespace: cfg.secret_namespace.clone(),
            state: self.local_state(name, dir, &env_file),
            env_file: Some(env_file),
            example_env_file: Some(example_env_file),
            files: Default::default(),
            type_: None,
            scope: cfg.scope.as_deref().and_then(Scope::parse),
            record: sealing.join("record.yaml"),
        }
    }

    /// A secret listed under `secrets:`: its record is `sealing/<stem>.record.yaml`
    /// and its state `.<stem>.state` in the overlay, except for the conventional
    /// `sealedsecret.yaml`, which keeps the env's conventional record and state.
    fn listed_secret(&self, name: &str, dir: &Path, sealing: &Path, s: &SecretConfig) -> EnvSecret {
        let env_file = s.env_file.as_ref().map(|p| self.root.join(p));
        let example_env_file = match (&s.example_env_file, &env_file) {
            (Some(p), _) => Some(self.root.join(p)),
            (None, Some(e)) => Some(example_of(e)),
            (None, None) => None,
        };
        let (record, state) = match secret_stem(&s.sealed_secret) {
            Some(stem) => (
                sealing.join(format!("{stem}.record.yaml")),
                dir.join(format!(".{stem}.state")),
            ),
            None => (
                sealing.join("record.yaml"),
                self.local_state(
                    name,
                    dir,
                    &env_file
                        .clone()
                        .unwrap_or_else(|| dir.join(format!("{name}-secrets.env"))),
                ),
            ),
        };
        EnvSecret {
            sealed_secret: Some(self.root.join(&s.sealed_secret)),
            secret_name: s.secret_name.clone(),
            secret_namespace: s.secret_namespace.clone(),
            env_file,
            example_env_file,
            files: s
                .files
                .iter()
                .map(|(k, p)| (k.clone(), self.root.join(p)))
                .collect(),
            type_: s.type_.clone(),
            scope: s.scope.as_deref().and_then(Scope::parse).or_else(|| {
                self.config
                    .envs
                    .get(name)
                    .and_then(|c| c.scope.as_deref())
                    .and_then(Scope::parse)
            }),
            record,
            state,
        }
    }

    /// The local state of env `name` (overlay `dir`) whose env file is
    /// `env_file`: `.<stem>.state` beside the env file, unless another
    /// environment reads the same env file (`envFile:` in empseal.yaml pointing
    /// several envs at one file). Then only the env whose overlay directory
    /// holds the file keeps that name, and every other env's state is
    /// `.<stem>.<env>.state`: each env seals for its own certificate and
    /// target, so a state shared by two envs would make each seal of one undo
    /// the other's (every key resealed every time).
    fn local_state(&self, name: &str, dir: &Path, env_file: &Path) -> PathBuf {
        let plain = conventional_state(name, dir, env_file);
        let file = crate::paths::lexical(env_file);
        let home = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let readers = self.env_file_readers(&file);
        let owns = |d: &Path| crate::paths::lexical(d) == home;
        let shared = readers.iter().any(|(n, _)| n != name);
        let sole_owner = owns(dir) && !readers.iter().any(|(n, d)| n != name && owns(d));
        if !shared || sole_owner {
            return plain;
        }
        let stem = plain
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = stem
            .strip_prefix('.')
            .and_then(|s| s.strip_suffix(".state"))
            .unwrap_or(&stem)
            .to_string();
        plain.with_file_name(format!(".{stem}.{name}.state"))
    }

    /// The environments (name and overlay directory) whose secrets read the env
    /// file `file` (a lexical path under the root), from empseal.yaml and the
    /// conventions, without resolving anything else.
    fn env_file_readers(&self, file: &Path) -> Vec<(String, PathBuf)> {
        let names = self.env_names().unwrap_or_default();
        let mut out = Vec::new();
        for n in names {
            let cfg = self.config.envs.get(&n).cloned().unwrap_or_default();
            let dir = match &cfg.dir {
                Some(d) => self.root.join(d),
                None => self.overlays_dir().join(&n),
            };
            let files: Vec<PathBuf> = match &cfg.secrets {
                Some(list) => list
                    .iter()
                    .filter_map(|s| s.env_file.as_ref().map(|p| self.root.join(p)))
                    .collect(),
                None => vec![match &cfg.env_file {
                    Some(p) => self.root.join(p),
                    None => dir.join(format!("{n}-secrets.env")),
                }],
            };
            if files.iter().any(|f| crate::paths::lexical(f) == file) {
                out.push((n, dir));
            }
        }
        out
    }

    /// Which kustomize to run, per the config (`auto` by default).
    pub fn kustomize(&self) -> Result<Kustomize> {
        Kustomize::select(self.config.kustomize.as_deref().unwrap_or("auto"))
    }
}

/// The conventional local state of an env whose env file is `env_file`:
/// `.<env file name without .env>.state` beside it.
fn conventional_state(name: &str, dir: &Path, env_file: &Path) -> PathBuf {
    let file = env_file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("{name}-secrets.env"));
    let stem = file.strip_suffix(".env").unwrap_or(&file);
    env_file
        .parent()
        .unwrap_or(dir)
        .join(format!(".{stem}.state"))
}

/// The overlay's kustomization file, under any of the names kustomize accepts.
pub(crate) fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// Whether a YAML file of the overlay (its kustomization, a generator file)
/// names `file`, e.g. as a SecretGenerator's `envs:` input.
pub(crate) fn kustomization_mentions(dir: &Path, file: &Path) -> bool {
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let is_sep = |c: char| c.is_whitespace() || "[],\"'=:".contains(c);
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n == "Kustomization" || n.ends_with(".yaml") || n.ends_with(".yml")
            })
        })
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .any(|text| {
            text.lines()
                .map(|l| l.split('#').next().unwrap_or(""))
                .any(|l| {
                    l.split(is_sep)
                        .any(|w| w == name || w.ends_with(&format!("/{name}")))
                })
        })
}

fn kustomization_namespace(ws: &Workspace, dir: &Path) -> Result<Option<String>> {
    let Some(file) = kustomization_file(dir) else {
        return Ok(None);
    };
    let bytes = std::fs::read(&file).map_err(|e| Error::io(ws.display(&file), e))?;
    #[derive(Deserialize)]
    struct K {
        #[serde(default)]
        namespace: Option<String>,
    }
    let k: K = serde_yaml::from_slice(&bytes).map_err(|e| {
        Error::Overlay(format!(
            "{}: not a readable kustomization: {}; fix its YAML",
            ws.display(&file),
            one_line(&e.to_string())
        ))
    })?;
    Ok(k.namespace.filter(|n| !n.is_empty()))
}
