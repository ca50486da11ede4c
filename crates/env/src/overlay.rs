//! Environments (the overlays under `k8s/overlays/`), their conventions and the
//! optional `empseal.yaml` overrides; running kustomize; `seal --env`, `rotate`
//! and `render`.
//!
//! Per environment `E`, by convention (each overridable in `empseal.yaml`):
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
//! Nothing here prints: progress is reported through callbacks, results as values.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fsio::{self, Sensitivity};
use crate::pin::{require_pin, PinFiles, PinnedCert};
use crate::plan::WritePlan;
use kubeseal_core::secret::{
    Format, Layout, ObjectMeta, Scope, SealedSecret, SecretBytes, SecretTemplate,
};

/// The optional committed configuration file at the repository root.
pub const CONFIG_FILE: &str = "empseal.yaml";
/// Where the overlays live by convention, relative to the root.
pub const DEFAULT_OVERLAYS_DIR: &str = "k8s/overlays";
/// The SealedSecret file of an overlay, by convention.
pub const SEALED_SECRET_FILE: &str = "sealedsecret.yaml";
/// The directory of an overlay holding its pinned certificate and seal record.
pub const SEALING_DIR: &str = "sealing";
pub use crate::fsio::{remove_stale_temps, STALE_TEMP_AGE_SECS, TEMP_PREFIX, TEMP_SUFFIX};
/// Default length of generated credentials.
pub const DEFAULT_GENERATED_LENGTH: usize = 32;
/// The alphabet of generated credentials: safe unquoted in env files, shells and URLs.
pub const GENERATED_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---------------------------------------------------------------------------
// empseal.yaml
// ---------------------------------------------------------------------------

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
        Err(Error::Input(format!(
            "invalid environment name {name:?}: an environment is an overlay directory's name (letters, digits, '.', '_' and '-', starting with a letter or digit), not a path; see `ls {DEFAULT_OVERLAYS_DIR}`"
        )))
    }
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
            Error::Input(format!(
                "{}{at}: invalid empseal.yaml: {text}{hint}; see docs/rotation-and-rollback.md for its fields",
                origin.display(),
            ))
        })?;
        for (name, env) in &config.envs {
            validate_env_name(name)
                .map_err(|e| Error::Input(format!("{}: envs: {e}", origin.display())))?;
            if let Some(s) = &env.scope {
                if Scope::parse(s).is_none() {
                    return Err(Error::Input(format!(
                        "{}: envs.{name}.scope is {s:?}; use strict, namespace-wide or cluster-wide",
                        origin.display()
                    )));
                }
            }
        }
        if let Some(k) = &config.kustomize {
            if !matches!(k.as_str(), "auto" | "kustomize" | "kubectl") {
                return Err(Error::Input(format!(
                    "{}: kustomize is {k:?}; use auto, kustomize or kubectl",
                    origin.display()
                )));
            }
        }
        Ok(config)
    }
}

// ---------------------------------------------------------------------------
// Workspace and environments
// ---------------------------------------------------------------------------

/// `; did you mean "paper"?` when one of `candidates` is close to `name`
/// (Jaro-Winkler similarity, as clap suggests subcommands), else nothing.
pub fn did_you_mean(name: &str, candidates: &[String]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("; did you mean {c:?}?"))
        .unwrap_or_default()
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
    /// The SealedSecret file, if this environment is sealed.
    pub sealed_secret: Option<PathBuf>,
    /// The SealedSecret's rendered name, when configured (else found by kustomize).
    pub secret_name: Option<String>,
    /// The SealedSecret's rendered namespace, when configured.
    pub secret_namespace: Option<String>,
    /// The untracked env file holding the plaintext values.
    pub env_file: PathBuf,
    /// The committed example env file (`--demo` input).
    pub example_env_file: PathBuf,
    /// The pinned certificate.
    pub cert: PathBuf,
    /// The pin's metadata (`pin.yaml`) beside the certificate.
    pub pin: PathBuf,
    /// The committed seal record (`sealing/record.yaml`).
    pub record: PathBuf,
    /// The local, gitignored seal state.
    pub state: PathBuf,
    /// The configured scope, if any (else the rendered object's, else strict).
    pub scope: Option<Scope>,
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
        self.sealed_secret.is_some()
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
            return Err(Error::Input(format!(
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
        Err(Error::Input(format!(
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
            return Err(Error::Input(format!(
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
            None => {
                let mut s = env_file.clone().into_os_string();
                s.push(".example");
                PathBuf::from(s)
            }
        };
        let cert = match &cfg.cert {
            Some(p) => self.root.join(p),
            None => crate::pin::cert_path(&dir),
        };
        let sealing = cert
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join(SEALING_DIR));
        let state = {
            let file = env_file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("{name}-secrets.env"));
            let stem = file.strip_suffix(".env").unwrap_or(&file);
            env_file
                .parent()
                .unwrap_or(&dir)
                .join(format!(".{stem}.state"))
        };
        Ok(Env {
            name: name.to_string(),
            namespace,
            sealed_secret,
            secret_name: cfg.secret_name.clone(),
            secret_namespace: cfg.secret_namespace.clone(),
            env_file,
            example_env_file,
            pin: sealing.join(crate::pin::PIN_FILE),
            record: sealing.join("record.yaml"),
            cert,
            state,
            scope: cfg.scope.as_deref().and_then(Scope::parse),
            dir,
        })
    }

    /// Which kustomize to run, per the config (`auto` by default).
    pub fn kustomize(&self) -> Result<Kustomize> {
        Kustomize::select(self.config.kustomize.as_deref().unwrap_or("auto"))
    }
}

fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// Whether a YAML file of the overlay (its kustomization, a generator file)
/// names `file`, e.g. as a SecretGenerator's `envs:` input.
fn kustomization_mentions(dir: &Path, file: &Path) -> bool {
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

// ---------------------------------------------------------------------------
// kustomize
// ---------------------------------------------------------------------------

/// The kustomize that renders overlays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kustomize {
    /// A standalone `kustomize` binary (`kustomize build DIR`).
    Binary(PathBuf),
    /// kubectl's built-in kustomize (`kubectl kustomize DIR`).
    Kubectl(PathBuf),
}

impl Kustomize {
    /// `auto`: a `kustomize` binary on PATH, else `kubectl`; or exactly the one named.
    pub fn select(which: &str) -> Result<Kustomize> {
        let kustomize = || find_on_path("kustomize").map(Kustomize::Binary);
        let kubectl = || find_on_path("kubectl").map(Kustomize::Kubectl);
        let found = match which {
            "kustomize" => kustomize(),
            "kubectl" => kubectl(),
            _ => kustomize().or_else(kubectl),
        };
        found.ok_or_else(|| {
            Error::Overlay(format!(
                "no {} found on PATH; install kubectl (it ships kustomize) or run `bash .ci/setup`",
                if which == "kustomize" {
                    "kustomize binary"
                } else {
                    "kustomize or kubectl"
                }
            ))
        })
    }

    /// Renders the overlay in `dir`, returning kustomize's stdout bytes.
    /// `shown` names the overlay in errors.
    pub fn build(&self, dir: &Path, shown: &str) -> Result<Vec<u8>> {
        let mut cmd = match self {
            Kustomize::Binary(b) => {
                let mut c = Command::new(b);
                c.arg("build");
                c
            }
            Kustomize::Kubectl(k) => {
                let mut c = Command::new(k);
                c.arg("kustomize");
                c
            }
        };
        cmd.arg(dir);
        let out = cmd.output().map_err(|e| {
            Error::Overlay(format!(
                "{shown}: cannot run {}: {e}; install kubectl or kustomize",
                self.describe()
            ))
        })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let msg = kustomize_error_text(&stderr, &dir.display().to_string(), shown);
            return Err(Error::Overlay(format!(
                "{shown}: {} failed: {msg}; fix the overlay",
                self.describe()
            )));
        }
        Ok(out.stdout)
    }

    /// Where each rendered object comes from: the overlay built once more through a
    /// throwaway wrapper kustomization (in a temp dir, naming the overlay by a
    /// relative path, as kustomize requires) with `buildMetadata: [originAnnotations]`.
    /// Each entry is (kind, namespace, name, source file); objects a generator made
    /// have no source file and are left out. Used to point findings in the render
    /// at the repository file that produced them.
    pub fn origins(&self, dir: &Path, shown: &str) -> Result<Vec<RenderedOrigin>> {
        Ok(self.build_with_origins(dir, shown)?.1)
    }

    /// [`Kustomize::build`] with each object's `config.kubernetes.io/origin`
    /// annotation kept in the bytes, and the origins read from it (see
    /// [`Kustomize::origins`]).
    pub fn build_with_origins(
        &self,
        dir: &Path,
        shown: &str,
    ) -> Result<(Vec<u8>, Vec<RenderedOrigin>)> {
        let wrapper = tempfile::tempdir().map_err(|e| {
            Error::Overlay(format!("{shown}: cannot create a temporary directory: {e}"))
        })?;
        let abs_dir = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
        let wrapper_dir =
            std::fs::canonicalize(wrapper.path()).map_err(|e| Error::io(wrapper.path(), e))?;
        let rel = relative_path(
            &wrapper_dir,
            &std::fs::canonicalize(&abs_dir).map_err(|e| Error::io(dir, e))?,
        );
        let text = format!(
            "resources:\n- {}\nbuildMetadata: [originAnnotations]\n",
            rel.display()
        );
        std::fs::write(wrapper_dir.join("kustomization.yaml"), text)
            .map_err(|e| Error::io(wrapper_dir.join("kustomization.yaml"), e))?;
        let rendered = self.build(&wrapper_dir, shown)?;
        let mut out = Vec::new();
        for doc in serde_yaml::Deserializer::from_slice(&rendered) {
            let Ok(v) = serde_yaml::Value::deserialize(doc) else {
                continue;
            };
            let meta = &v["metadata"];
            let Some(origin) = meta["annotations"]["config.kubernetes.io/origin"].as_str() else {
                continue;
            };
            let Some(path) = origin
                .lines()
                .find_map(|l| l.strip_prefix("path: "))
                .map(|p| p.trim().trim_matches('"'))
            else {
                continue;
            };
            out.push(RenderedOrigin {
                kind: v["kind"].as_str().unwrap_or_default().to_string(),
                namespace: meta["namespace"].as_str().map(str::to_string),
                name: meta["name"].as_str().map(str::to_string),
                file: lexical(&wrapper_dir.join(path)),
            });
        }
        Ok((rendered, out))
    }

    /// `kustomize build` or `kubectl kustomize`, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Kustomize::Binary(_) => "kustomize build",
            Kustomize::Kubectl(_) => "kubectl kustomize",
        }
    }
}

/// kustomize's error text, on one line, with the temporary directory replaced by
/// the overlay's name. Errors about generator inputs (env files, literals) are
/// withheld: kustomize quotes the offending line, which may hold a secret.
pub fn kustomize_error_text(stderr: &str, dir: &str, shown: &str) -> String {
    let text = one_line(&stderr.replace(dir, shown));
    let leaky = [
        "KV pair",
        "env source",
        "envs",
        "literal",
        "invalid utf8",
        "from-env-file",
    ];
    if leaky.iter().any(|m| text.contains(m)) {
        "kustomize could not read a SecretGenerator input (its message is withheld because it quotes the line, which may hold a secret); check the env file with `kubectl create secret generic x --from-env-file FILE --dry-run=client -o name`".to_string()
    } else {
        text
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

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

// ---------------------------------------------------------------------------
// Where the values are sealed for
// ---------------------------------------------------------------------------

/// The name, namespace and scope a SealedSecret's values are sealed for: its
/// rendered identity, which decides the OAEP label the controller uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Rendered `metadata.name`.
    pub name: String,
    /// Rendered `metadata.namespace`.
    pub namespace: String,
    /// Scope (`strict`, `namespace-wide`, `cluster-wide`).
    #[serde(with = "scope_serde")]
    pub scope: Scope,
}

impl Target {
    /// The RSA-OAEP label for values sealed for this target.
    pub fn label(&self) -> Vec<u8> {
        self.scope.label(&self.namespace, &self.name)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} ({})",
            self.namespace,
            self.name,
            self.scope.as_str()
        )
    }
}

mod scope_serde {
    use kubeseal_core::secret::Scope;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: &Scope, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Scope, D::Error> {
        let s = String::deserialize(de)?;
        Scope::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown scope {s:?}")))
    }
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

/// The target of `env`'s SealedSecret: configured name/namespace/scope win; the
/// rest comes from rendering the overlay with kustomize.
pub fn resolve_target(ws: &Workspace, env: &Env, source: Option<&SealedSecret>) -> Result<Target> {
    let file = env
        .sealed_secret
        .as_ref()
        .map(|p| ws.display(p))
        .unwrap_or_default();
    let mut target = match (&env.secret_name, &env.secret_namespace, source) {
        (Some(name), Some(ns), _) => Target {
            name: name.clone(),
            namespace: ns.clone(),
            scope: source.map(SealedSecret::scope).unwrap_or_default(),
        },
        (_, _, Some(source)) => {
            let shown = ws.display(&env.dir);
            let out = ws.kustomize()?.build(&env.dir, &shown)?;
            let objects = parse_rendered(&shown, &out)?;
            let r = locate_rendered(&objects, source, &shown, &file)?;
            Target {
                name: env.secret_name.clone().unwrap_or_else(|| r.name.clone()),
                namespace: env
                    .secret_namespace
                    .clone()
                    .unwrap_or_else(|| r.namespace.clone()),
                scope: r.scope(),
            }
        }
        (name, ns, None) => Target {
            name: name.clone().ok_or_else(|| {
                Error::Input(format!(
                    "{file}: does not exist yet, so its rendered name is unknown; create it (e.g. a placeholder listed in the kustomization) or set secretName in {CONFIG_FILE}"
                ))
            })?,
            namespace: ns
                .clone()
                .or_else(|| env.namespace.clone())
                .unwrap_or_default(),
            scope: Scope::Strict,
        },
    };
    if let Some(scope) = env.scope {
        target.scope = scope;
    }
    if target.name.is_empty() {
        return Err(Error::Overlay(format!(
            "{file}: the rendered SealedSecret has no name; give it metadata.name"
        )));
    }
    if target.scope != Scope::ClusterWide && target.namespace.is_empty() {
        return Err(Error::Overlay(format!(
            "{file}: the rendered SealedSecret {} has no namespace; set namespace: in the overlay's kustomization or secretNamespace in {CONFIG_FILE}",
            target.name
        )));
    }
    Ok(target)
}

// ---------------------------------------------------------------------------
// record.yaml (committed) and the local state (gitignored)
// ---------------------------------------------------------------------------

/// `sealing/record.yaml`: the committed record of which certificate sealed the
/// env's SealedSecret file, for what, when and which keys. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The environment.
    pub env: String,
    /// The sealed file, relative to the record's directory's parent (the overlay).
    pub sealed_secret: String,
    /// The controller key fingerprint (`SHA256:...`) of the certificate used.
    pub cert_fingerprint: String,
    /// Name, namespace and scope the values are sealed for.
    pub sealed_for: Target,
    /// When, RFC 3339 UTC.
    pub sealed_at: String,
    /// SHA-256 (hex) of the sealed file's bytes this record describes.
    pub sealed_sha256: String,
    /// Every key in the sealed file.
    pub keys: Vec<String>,
    /// The keys (re)sealed by the run that wrote this record.
    pub resealed: Vec<String>,
}

const RECORD_HEADER: &str = "# Written by empseal (seal --env, rotate, rollback). Records which certificate\n# sealed the SealedSecret file; commit it with that file. It holds no secret.\n";

impl Record {
    /// The record's file bytes (a comment header, then YAML).
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = serde_yaml::to_string(self).expect("a record always serializes");
        format!("{RECORD_HEADER}{body}").into_bytes()
    }

    /// Parses a record; `origin` names it in errors.
    pub fn parse(origin: &str, bytes: &[u8]) -> Result<Record> {
        serde_yaml::from_slice(bytes).map_err(|e| {
            Error::Input(format!(
                "{origin}: not a readable seal record: {}; restore it from git or reseal with `empseal seal --env ENV --all`",
                one_line(&e.to_string())
            ))
        })
    }
}

/// The local seal state: which value each sealed key had (as an HMAC under a
/// random local key), for which certificate, target and sealed file. Lets
/// `seal --env` keep the ciphertext of unchanged values. Never committed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Format version (1).
    pub version: u32,
    /// Fingerprint of the certificate the values were sealed with.
    pub cert_fingerprint: String,
    /// Name, namespace and scope they were sealed for.
    pub sealed_for: Target,
    /// SHA-256 (hex) of the sealed file written with them.
    pub sealed_sha256: String,
    /// The random HMAC key (base64), local to this checkout.
    pub hmac_key: String,
    /// Key → HMAC-SHA256(hmac_key, value), hex.
    pub values: BTreeMap<String, String>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("cert_fingerprint", &self.cert_fingerprint)
            .field("sealed_for", &self.sealed_for)
            .field("keys", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

const STATE_HEADER: &str = "# empseal local seal state: HMACs of the sealed values under a random local key.\n# Never commit this file (it is gitignored); deleting it makes the next seal reseal every key.\n";

impl State {
    /// A fresh state with a new random HMAC key.
    pub fn new<R: RngCore + CryptoRng + ?Sized>(
        rng: &mut R,
        cert_fingerprint: &str,
        target: &Target,
    ) -> State {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut key[..]);
        State {
            version: 1,
            cert_fingerprint: cert_fingerprint.to_string(),
            sealed_for: target.clone(),
            sealed_sha256: String::new(),
            hmac_key: base64::engine::general_purpose::STANDARD.encode(&key[..]),
            values: BTreeMap::new(),
        }
    }

    /// HMAC-SHA256 of `value` under this state's key, hex.
    pub fn mac(&self, value: &[u8]) -> String {
        let key = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(&self.hmac_key)
                .unwrap_or_default(),
        );
        hex::encode(hmac_sha256(&key, value))
    }

    /// The state file's bytes.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let body = serde_yaml::to_string(self).expect("a state always serializes");
        Zeroizing::new(format!("{STATE_HEADER}{body}").into_bytes())
    }

    /// Reads the state file; a missing, unreadable or foreign file is `None` (the
    /// caller then reseals everything, which is always safe).
    pub fn load(path: &Path) -> Option<State> {
        let bytes = Zeroizing::new(std::fs::read(path).ok()?);
        let s: State = serde_yaml::from_slice(&bytes).ok()?;
        (s.version == 1
            && base64::engine::general_purpose::STANDARD
                .decode(&s.hmac_key)
                .map(|k| k.len() == 32)
                .unwrap_or(false))
        .then_some(s)
    }
}

/// HMAC-SHA256 (RFC 2104): the local state's fingerprint of a value.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::Mac as _;
    let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(key)
        .expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------
// Sealing an environment
// ---------------------------------------------------------------------------

/// Which keys a sealing run encrypts anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reseal {
    /// Keys whose value changed since the last seal (per the local state); every
    /// key when the state is missing or was made for another certificate, target
    /// or file. Keys no longer in the env file are removed.
    Changed,
    /// Every key (`seal --env E --all`).
    All,
    /// Exactly these keys (`rotate`); the others keep their ciphertext and stay
    /// even if the env file no longer has them.
    Keys(Vec<String>),
}

/// What a sealing run did (never any value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealOutcome {
    /// The environment.
    pub env: String,
    /// The SealedSecret file written, relative to the root.
    pub file: String,
    /// The record file written, relative to the root.
    pub record: String,
    /// Fingerprint of the pinned certificate used.
    pub fingerprint: String,
    /// Whether the pinned certificate is demo material (test keys in testdata/).
    pub demo_cert: bool,
    /// What the values are sealed for.
    pub target: Target,
    /// Every key in the written file.
    pub keys: Vec<String>,
    /// Keys encrypted anew by this run.
    pub resealed: Vec<String>,
    /// Of `resealed`, the keys the file did not have before.
    pub added: Vec<String>,
    /// Keys whose ciphertext was kept byte for byte.
    pub kept: Vec<String>,
    /// Keys removed from the file (no longer in the env file).
    pub removed: Vec<String>,
    /// Keys in the env file left unsealed (rotate of other keys only).
    pub unsealed: Vec<String>,
    /// Why every key was resealed, when that happened without being asked.
    pub reseal_all_reason: Option<String>,
    /// Whether the file's bytes changed.
    pub changed: bool,
    /// Problems worth telling the operator (e.g. plaintext files git does not ignore).
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------
// The env lock
// ---------------------------------------------------------------------------

/// Environment variable: how long (seconds) a command waits for another one
/// writing the same environment before giving up (default [`DEFAULT_LOCK_WAIT_SECS`]).
pub const LOCK_WAIT_ENV: &str = "EMPSEAL_LOCK_TIMEOUT";
/// Default wait for an env's lock, in seconds.
pub const DEFAULT_LOCK_WAIT_SECS: u64 = 30;

/// An exclusive lock on one environment's state, held until dropped (or the
/// process dies: the kernel releases it, so a crash never leaves a stale lock).
#[derive(Debug)]
pub struct EnvLock {
    _dir: std::fs::File,
}

/// The directory whose lock guards `env`: the directory of its local state (the
/// env file's directory), else the overlay directory.
pub fn lock_dir(env: &Env) -> PathBuf {
    env.state
        .parent()
        .filter(|d| d.is_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| env.dir.clone())
}

/// Takes `env`'s lock: every command that writes an env's state (the env file,
/// the sealed file, the record, the local state, the pin) holds it from its first
/// read to its last write, so two of them never interleave. The lock is an
/// advisory `flock` on the directory of the env's local state (no lock file is
/// created). A second writer waits up to [`LOCK_WAIT_ENV`] seconds
/// (default [`DEFAULT_LOCK_WAIT_SECS`]), then fails with a one-line message.
pub fn lock_env(ws: &Workspace, env: &Env) -> Result<EnvLock> {
    let dir = lock_dir(env);
    let shown = ws.display(&dir);
    let file = std::fs::File::open(&dir).map_err(|e| Error::io(shown.clone(), e))?;
    let wait = std::env::var(LOCK_WAIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_LOCK_WAIT_SECS);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(EnvLock { _dir: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                if std::time::Instant::now() >= deadline {
                    return Err(Error::io(
                        shown,
                        std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            format!(
                                "another empseal is writing env {} (seal --env, rotate, rollback or cert fetch --env) and still holds its lock after {wait} s; let it finish and run the command again (set {LOCK_WAIT_ENV} to wait longer)",
                                env.name
                            ),
                        ),
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(shown, e)),
        }
    }
}

/// The sealed file of `env` as it is now: object, style and bytes (None when absent).
pub struct CurrentSealed {
    /// The SealedSecret.
    pub object: SealedSecret,
    /// Its format.
    pub format: Format,
    /// Its layout.
    pub layout: Layout,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

fn read_current_sealed(ws: &Workspace, path: &Path) -> Result<Option<CurrentSealed>> {
    let shown = ws.display(path);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(shown, e)),
    };
    let (object, format, layout) = read_one_sealed(&shown, &bytes)?;
    Ok(Some(CurrentSealed {
        object,
        format,
        layout,
        bytes,
    }))
}

/// Reads the single SealedSecret of an env's sealed file (bytes), with its style.
pub fn read_one_sealed(shown: &str, bytes: &[u8]) -> Result<(SealedSecret, Format, Layout)> {
    let mut all = deps::read_sealed_secrets(shown, bytes)?;
    if all.len() != 1 {
        return Err(Error::Input(format!(
            "{shown}: holds {} SealedSecrets; an environment's sealed file must hold exactly one",
            all.len()
        )));
    }
    let (format, layout) = deps::detect_style(bytes);
    Ok((all.remove(0), format, layout))
}

/// Reads an env file by kubectl's rules (values from the process environment for
/// lines without `=`).
pub fn read_env_values(ws: &Workspace, path: &Path) -> Result<Vec<(String, SecretBytes)>> {
    if !path.is_file() {
        return Err(Error::Input(format!(
            "{}: no such env file; copy the committed {}.example beside it and fill in the values",
            ws.display(path),
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        )));
    }
    deps::read_env_file(path, &ws.display(path))
}

/// `empseal seal --env E [--all]`: seals the env file with the pinned certificate
/// for the SealedSecret's rendered name and namespace, keeping the ciphertext of
/// unchanged values, and writes the sealed file, the record and the local state.
pub fn seal_env<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    reseal_all: bool,
    rng: &mut R,
    now: i64,
) -> Result<SealOutcome> {
    seal_env_guarded(ws, env_name, reseal_all, &SealGuards::default(), rng, now)
}

/// What `seal --env` refuses unless told otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealGuards {
    /// Keys that rendered workloads reference but may be missing
    /// (`--allow-missing KEY`).
    pub allow_missing: Vec<String>,
    /// Reseal over a sealed file restored by `rollback` (`--overwrite-rollback`).
    pub overwrite_rollback: bool,
}

/// The local marker `rollback` leaves beside the seal state (gitignored like
/// it): which revision the sealed file was restored from and its sha256.
pub fn rollback_marker(env: &Env) -> PathBuf {
    let name = env
        .state
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".state").unwrap_or(&name);
    env.state.with_file_name(format!("{stem}-rollback.state"))
}

/// The marker's content: `(revision, sha256)`, when present and readable.
pub fn read_rollback_marker(env: &Env) -> Option<(String, String)> {
    let text = std::fs::read_to_string(rollback_marker(env)).ok()?;
    let mut rev = None;
    let mut sha = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("rev: ") {
            rev = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("sha256: ") {
            sha = Some(v.trim().to_string());
        }
    }
    Some((rev?, sha?))
}

/// Keys the rendered overlay's workloads need from the env's SealedSecret
/// (named `secret`) that `have` lacks, minus `allowed`.
pub fn missing_required_keys(
    rendered: &[u8],
    example: &[String],
    secret: &str,
    have: &BTreeSet<String>,
    allowed: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = crate::gate::referenced_keys(rendered, example)
        .into_iter()
        .filter(|r| r.secret == secret && !have.contains(&r.key) && !allowed.contains(&r.key))
        .map(|r| r.key)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// [`seal_env`] with explicit [`SealGuards`]: refuses (nothing written) when the
/// sealed file was restored by `rollback` (unless `overwrite_rollback`), when a
/// key that rendered workloads reference is not in the env file (unless
/// allowed), and, for a non-demo pin, values equal to the committed example's.
pub fn seal_env_guarded<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    reseal_all: bool,
    guards: &SealGuards,
    rng: &mut R,
    now: i64,
) -> Result<SealOutcome> {
    let (out, plan) = plan_seal_env(ws, env_name, reseal_all, guards, rng, now)?;
    plan.apply()?;
    Ok(out)
}

/// [`seal_env_guarded`] without writing: what it would do and the writes it
/// would make, with the same refusals (`seal --env E --dry-run` describes the
/// plan; `seal_env_guarded` applies it).
pub fn plan_seal_env<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    reseal_all: bool,
    guards: &SealGuards,
    rng: &mut R,
    now: i64,
) -> Result<(SealOutcome, WritePlan)> {
    let env = ws.env(env_name)?;
    if !env.is_sealed() {
        return Err(not_sealed(ws, &env));
    }
    let lock = lock_env(ws, &env)?;
    let values = read_env_values(ws, &env.env_file)?;
    let sealed_path = env.sealed_secret.clone().unwrap_or_default();
    if let Some((rev, sha)) = read_rollback_marker(&env) {
        let current = std::fs::read(&sealed_path).map(|b| sha256_hex(&b)).ok();
        if current.as_deref() == Some(sha.as_str()) && !guards.overwrite_rollback {
            return Err(Error::Git(format!(
                "{}: was restored from {rev} by `empseal rollback`, and the values in {} are not the ones sealed there (sealing would undo the rollback); nothing was written. Keep the rollback (commit it), or re-run with --overwrite-rollback to seal the env file's values",
                ws.display(&sealed_path),
                ws.display(&env.env_file)
            )));
        }
    }
    check_seal_inputs(ws, &env, &values, &guards.allow_missing, now)?;
    let mode = if reseal_all {
        Reseal::All
    } else {
        Reseal::Changed
    };
    let ctx = prepare_seal(ws, &env, now)?;
    let (mut out, mut plan) = seal_prepared(ws, &env, ctx, &values, mode, rng, now)?;
    // Held until the plan is applied: reads and writes are one critical section.
    plan.hold(lock);
    // Sealing settles a rollback: its marker goes.
    plan.remove(&rollback_marker(&env), ws.display(&rollback_marker(&env)));
    out.warnings.extend(env_file_warnings(ws, &env.env_file));
    Ok((out, plan))
}

/// `empseal adopt --env E`: records the sealed file as it is now, as sealed with
/// the env's pinned certificate. Offline nobody can verify that (OAEP hides the
/// key): the caller vouches for it, and the record says so in `resealed: []`.
/// Removes the local seal state (it described other bytes). Returns the record.
pub fn adopt(ws: &Workspace, env_name: &str, now: i64) -> Result<Record> {
    let env = ws.env(env_name)?;
    let Some(path) = env.sealed_secret.clone() else {
        return Err(not_sealed(ws, &env));
    };
    let _lock = lock_env(ws, &env)?;
    let (pinned, _) = require_pin(&env.pin_files(ws), now)?;
    let Some(current) = read_current_sealed(ws, &path)? else {
        return Err(Error::Input(format!(
            "{}: does not exist; nothing to adopt (seal it with `empseal seal --env {}`)",
            ws.display(&path),
            env.name
        )));
    };
    let target = resolve_target(ws, &env, Some(&current.object))?;
    let record = Record {
        env: env.name.clone(),
        sealed_secret: record_sealed_path(&env, &path),
        cert_fingerprint: pinned.fingerprint().to_string(),
        sealed_for: target,
        sealed_at: kubeseal_core::cert::rfc3339(now),
        sealed_sha256: sha256_hex(&current.bytes),
        keys: current.object.encrypted_data.keys().cloned().collect(),
        resealed: Vec::new(),
    };
    ensure_parent(ws, &env.record)?;
    fsio::write_atomic(&env.record, &record.to_bytes(), Sensitivity::Public)?;
    match std::fs::remove_file(&env.state) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(ws.display(&env.state), e)),
    }
    let _ = std::fs::remove_file(rollback_marker(&env));
    Ok(record)
}

/// The refusals shared by `seal --env` and `rotate`: referenced keys missing
/// from `values` (unless in `allow_missing`), and, unless the pin is demo
/// material, values equal to the committed example's (named by key only).
pub fn check_seal_inputs(
    ws: &Workspace,
    env: &Env,
    values: &[(String, SecretBytes)],
    allow_missing: &[String],
    now: i64,
) -> Result<()> {
    // The pin's own errors first (missing, replaced, expired: exit 4).
    let (pinned, _) = require_pin(&env.pin_files(ws), now)?;
    let have: BTreeSet<String> = values.iter().map(|(k, _)| k.clone()).collect();
    let shown = ws.display(&env.dir);
    let rendered = ws.kustomize()?.build(&env.dir, &shown)?;
    let example = crate::gate::example_keys(env);
    let current = match &env.sealed_secret {
        Some(p) => read_current_sealed(ws, p)?,
        None => None,
    };
    let target = resolve_target(ws, env, current.as_ref().map(|c| &c.object))?;
    let missing = missing_required_keys(&rendered, &example, &target.name, &have, allow_missing);
    if !missing.is_empty() {
        return Err(Error::Input(format!(
            "{}: has no {}, which workloads in {shown} reference from secret {} (pods would not start); nothing was sealed. Add {} to the env file, or re-run with --allow-missing {} if the reference is going away",
            ws.display(&env.env_file),
            missing.join(", "),
            target.name,
            if missing.len() == 1 { "it" } else { "them" },
            missing.join(" --allow-missing ")
        )));
    }
    refuse_example_values(ws, env, &pinned, values)
}

/// Refuses (exit 3, keys named, never values) values equal to the committed
/// example's, unless `pinned` is demo material (the explicit demo path).
fn refuse_example_values(
    ws: &Workspace,
    env: &Env,
    pinned: &PinnedCert,
    values: &[(String, SecretBytes)],
) -> Result<()> {
    let demo = pinned.is_demo()
        || crate::pin::demo_fingerprints()
            .iter()
            .any(|d| d == pinned.fingerprint());
    if !demo && env.example_env_file.exists() {
        let example_values = read_env_values(ws, &env.example_env_file)?;
        let same: Vec<String> = values
            .iter()
            .filter(|(k, v)| {
                !v.is_empty()
                    && example_values
                        .iter()
                        .any(|(ek, ev)| ek == k && ev.as_slice() == v.as_slice())
            })
            .map(|(k, _)| k.clone())
            .collect();
        if !same.is_empty() {
            return Err(Error::Input(format!(
                "{}: {} still {} the example value from {}; nothing was sealed. Put the real credentials there (or `empseal rotate --env {} --generate --key KEY`)",
                ws.display(&env.env_file),
                same.join(", "),
                if same.len() == 1 { "has" } else { "have" },
                ws.display(&env.example_env_file),
                env.name
            )));
        }
    }
    Ok(())
}

/// What kubectl reads silently but is likely a mistake in an env file (lines
/// without `=`), as warnings naming the file and line (see `envfile::EnvWarning`).
fn env_file_warnings(ws: &Workspace, path: &Path) -> Vec<String> {
    let shown = ws.display(path);
    let Ok(bytes) = std::fs::read(path).map(Zeroizing::new) else {
        return Vec::new();
    };
    kubeseal_core::envfile::parse_env_bytes(&shown, &bytes, &kubeseal_core::envfile::process_env)
        .map(|entries| kubeseal_core::envfile::EnvWarning::for_entries(&shown, &entries))
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Seals `values` into `env`'s sealed file per `mode`; writes the file (kubeseal
/// bytes, same format/layout as before), then the record, then the local state,
/// each atomically.
pub fn seal_values<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env: &Env,
    values: &[(String, SecretBytes)],
    mode: Reseal,
    rng: &mut R,
    now: i64,
) -> Result<SealOutcome> {
    let ctx = prepare_seal(ws, env, now)?;
    let (out, plan) = seal_prepared(ws, env, ctx, values, mode, rng, now)?;
    plan.apply()?;
    Ok(out)
}

/// Everything a sealing run needs that can fail before anything is written:
/// the pinned certificate, the current file, the rendered target.
pub struct SealContext {
    path: PathBuf,
    pinned: PinnedCert,
    cert: kubeseal_core::cert::Certificate,
    current: Option<CurrentSealed>,
    target: Target,
}

/// Checks the pinned certificate, reads the current sealed file and resolves the
/// rendered target (runs kustomize). Writes nothing.
pub fn prepare_seal(ws: &Workspace, env: &Env, now: i64) -> Result<SealContext> {
    let Some(path) = env.sealed_secret.clone() else {
        return Err(not_sealed(ws, env));
    };
    let (pinned, cert) = require_pin(&env.pin_files(ws), now)?;
    let current = read_current_sealed(ws, &path)?;
    let target = resolve_target(ws, env, current.as_ref().map(|c| &c.object))?;
    Ok(SealContext {
        path,
        pinned,
        cert,
        current,
        target,
    })
}

fn seal_prepared<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env: &Env,
    ctx: SealContext,
    values: &[(String, SecretBytes)],
    mode: Reseal,
    rng: &mut R,
    now: i64,
) -> Result<(SealOutcome, WritePlan)> {
    let SealContext {
        path,
        pinned,
        cert,
        current,
        target,
    } = ctx;
    let shown = ws.display(&path);
    if values.is_empty() {
        return Err(Error::Input(format!(
            "{}: has no keys; add KEY=VALUE lines",
            ws.display(&env.env_file)
        )));
    }
    let mut plan = WritePlan::new();
    plan.cleanup(&[path.parent(), env.record.parent(), env.state.parent()]);

    let value_map: BTreeMap<&str, &SecretBytes> =
        values.iter().map(|(k, v)| (k.as_str(), v)).collect();

    // Is the existing ciphertext usable (same cert, same target, unmodified file)?
    let record = read_record_file(ws, env)?;
    let current_sha = current.as_ref().map(|c| sha256_hex(&c.bytes));
    let state = State::load(&env.state);
    let state_valid = match (&state, &current_sha) {
        (Some(s), Some(sha)) => {
            s.cert_fingerprint == pinned.fingerprint()
                && s.sealed_for == target
                && &s.sealed_sha256 == sha
        }
        _ => false,
    };
    let record_valid = match (&record, &current_sha) {
        (Some(r), Some(sha)) => {
            r.cert_fingerprint == pinned.fingerprint()
                && r.sealed_for == target
                && &r.sealed_sha256 == sha
        }
        _ => false,
    };
    let has_placeholder = current
        .as_ref()
        .map(|c| c.object.encrypted_data.values().any(|v| is_placeholder(v)))
        .unwrap_or(false);
    let reusable = (state_valid || record_valid) && !has_placeholder;
    let why_not = || -> String {
        if current.is_none() {
            format!("{shown} does not exist yet")
        } else if has_placeholder {
            format!("{shown} holds placeholders")
        } else if state.is_none() && record.is_none() {
            "no local seal state and no seal record".into()
        } else if let Some(s) = &state {
            if s.cert_fingerprint != pinned.fingerprint() {
                format!(
                    "the pinned certificate changed ({} -> {})",
                    s.cert_fingerprint,
                    pinned.fingerprint()
                )
            } else if s.sealed_for != target {
                format!("the target changed ({} -> {target})", s.sealed_for)
            } else {
                format!("{shown} changed since the last seal (e.g. a checkout or rollback)")
            }
        } else {
            "no local seal state (fresh clone or rollback)".into()
        }
    };

    // A valid state keeps its HMAC key (a no-op seal then rewrites nothing);
    // otherwise a fresh random key.
    let mut new_state = match &state {
        Some(s) if state_valid => State {
            values: BTreeMap::new(),
            ..s.clone()
        },
        _ => State::new(rng, pinned.fingerprint(), &target),
    };
    let mut reseal: BTreeSet<String> = BTreeSet::new();
    let mut keep: BTreeSet<String> = BTreeSet::new();
    let mut reason = None;
    let existing_keys: BTreeSet<String> = current
        .as_ref()
        .map(|c| c.object.encrypted_data.keys().cloned().collect())
        .unwrap_or_default();
    match &mode {
        Reseal::All => reseal.extend(value_map.keys().map(|k| k.to_string())),
        Reseal::Changed if !(reusable && state_valid) => {
            reason = Some(why_not());
            reseal.extend(value_map.keys().map(|k| k.to_string()));
        }
        Reseal::Changed => {
            let s = state.as_ref().expect("state_valid implies a state");
            for (k, v) in &value_map {
                let same = existing_keys.contains(*k)
                    && s.values.get(*k).map(|m| m == &s.mac(v)).unwrap_or(false);
                if same {
                    keep.insert(k.to_string());
                } else {
                    reseal.insert(k.to_string());
                }
            }
        }
        Reseal::Keys(keys) => {
            for k in keys {
                if !value_map.contains_key(k.as_str()) {
                    return Err(Error::Input(format!(
                        "{}: has no key {k}; add it there first",
                        ws.display(&env.env_file)
                    )));
                }
            }
            if !reusable {
                reason = Some(why_not());
                reseal.extend(value_map.keys().map(|k| k.to_string()));
            } else {
                reseal.extend(keys.iter().cloned());
                keep.extend(
                    existing_keys
                        .iter()
                        .filter(|k| !reseal.contains(*k))
                        .cloned(),
                );
            }
        }
    }

    // Encrypt what must be, in key order (deterministic for a seeded rng).
    let label = target.label();
    let items: Vec<(&str, &[u8])> = reseal
        .iter()
        .map(|k| (k.as_str(), value_map[k.as_str()].as_slice()))
        .collect();
    let fresh = deps::encrypt_items(rng, &cert, &label, &items)?;

    let mut object = match &current {
        Some(c) => c.object.clone(),
        None => new_object(&target),
    };
    apply_scope(&mut object, target.scope);
    let old = std::mem::take(&mut object.encrypted_data);
    for k in &keep {
        if let Some(v) = old.get(k) {
            object.encrypted_data.insert(k.clone(), v.clone());
        }
    }
    for ((k, _), v) in items.iter().zip(fresh) {
        object.encrypted_data.insert(k.to_string(), v);
    }
    let removed: Vec<String> = existing_keys
        .iter()
        .filter(|k| !object.encrypted_data.contains_key(*k))
        .cloned()
        .collect();
    let unsealed: Vec<String> = value_map
        .keys()
        .filter(|k| !object.encrypted_data.contains_key(**k))
        .map(|k| k.to_string())
        .collect();

    let (format, layout) = current
        .as_ref()
        .map(|c| (c.format, c.layout))
        .unwrap_or((Format::Yaml, Layout::Current));
    let bytes = deps::emit_sealed(&object, format, layout);
    let sha = sha256_hex(&bytes);
    let changed = current.as_ref().map(|c| c.bytes != bytes).unwrap_or(true);

    // State entries: fresh MACs for resealed keys; kept keys carry their old MAC
    // when the old state vouches for it (else they are left out: resealed next time).
    for k in &reseal {
        let mac = new_state.mac(value_map[k.as_str()]);
        new_state.values.insert(k.clone(), mac);
    }
    if state_valid {
        // Same key: an old MAC stays valid while the env file has the same value.
        let s = state.as_ref().expect("state_valid implies a state");
        for k in &keep {
            if let (Some(old_mac), Some(v)) = (s.values.get(k), value_map.get(k.as_str())) {
                if &s.mac(v) == old_mac {
                    new_state.values.insert(k.clone(), old_mac.clone());
                }
            }
        }
    }
    new_state.sealed_sha256 = sha.clone();

    let keys: Vec<String> = object.encrypted_data.keys().cloned().collect();
    let record = Record {
        env: env.name.clone(),
        sealed_secret: record_sealed_path(env, &path),
        cert_fingerprint: pinned.fingerprint().to_string(),
        sealed_for: target.clone(),
        sealed_at: kubeseal_core::cert::rfc3339(now),
        sealed_sha256: sha,
        keys: keys.clone(),
        resealed: reseal.iter().cloned().collect(),
    };

    if changed {
        plan.write(&path, shown.clone(), &bytes, Sensitivity::Public);
    }
    if changed || record_file_differs(env, &record) {
        plan.write(
            &env.record,
            ws.display(&env.record),
            &record.to_bytes(),
            Sensitivity::Public,
        );
    }
    if state.as_ref() != Some(&new_state) {
        plan.write(
            &env.state,
            ws.display(&env.state),
            &new_state.to_bytes(),
            Sensitivity::Secret,
        );
    }

    let added: Vec<String> = reseal
        .iter()
        .filter(|k| !existing_keys.contains(*k))
        .cloned()
        .collect();
    let outcome = SealOutcome {
        env: env.name.clone(),
        file: shown,
        record: ws.display(&env.record),
        fingerprint: pinned.fingerprint().to_string(),
        demo_cert: pinned.is_demo(),
        target,
        keys,
        resealed: reseal.into_iter().collect(),
        added,
        kept: keep
            .into_iter()
            .filter(|k| object.encrypted_data.contains_key(k))
            .collect(),
        removed,
        unsealed,
        reseal_all_reason: reason,
        changed,
        warnings: unignored_plaintext(ws, &[&env.env_file, &env.state]),
    };
    Ok((outcome, plan))
}

/// Whether the record file must be (re)written: missing, unreadable, or
/// describing other bytes, another certificate, target or key set. A run that
/// changed nothing leaves an accurate record alone (no git noise).
/// Plaintext-derived files inside the git work tree that git does not ignore
/// (they could be committed by accident), as warnings. Outside a repository: none.
pub fn unignored_plaintext(ws: &Workspace, paths: &[&Path]) -> Vec<String> {
    let Ok(repo) = git2::Repository::discover(&ws.root) else {
        return Vec::new();
    };
    let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Vec::new();
    };
    paths
        .iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&workdir).ok()?;
            match repo.is_path_ignored(rel) {
                Ok(false) => Some(format!(
                    "{} holds plaintext-derived data but git does not ignore it; add it to .gitignore",
                    ws.display(p)
                )),
                _ => None,
            }
        })
        .collect()
}

fn not_sealed(ws: &Workspace, env: &Env) -> Error {
    Error::Input(format!(
        "env {} has no {}: it is not a sealed environment (its Secret comes from {} through a SecretGenerator); nothing to seal",
        env.name,
        ws.display(&env.dir.join(SEALED_SECRET_FILE)),
        ws.display(&env.env_file)
    ))
}

fn record_file_differs(env: &Env, record: &Record) -> bool {
    match std::fs::read(&env.record) {
        Ok(b) => Record::parse("", &b)
            .map(|old| {
                old.env != record.env
                    || old.sealed_secret != record.sealed_secret
                    || old.sealed_sha256 != record.sealed_sha256
                    || old.cert_fingerprint != record.cert_fingerprint
                    || old.sealed_for != record.sealed_for
                    || old.keys != record.keys
            })
            .unwrap_or(true),
        Err(_) => true,
    }
}

fn read_record_file(ws: &Workspace, env: &Env) -> Result<Option<Record>> {
    match std::fs::read(&env.record) {
        Ok(b) => Ok(Record::parse(&ws.display(&env.record), &b).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(ws.display(&env.record), e)),
    }
}

fn ensure_parent(ws: &Workspace, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(ws.display(dir), e))?;
    }
    Ok(())
}

/// A new SealedSecret for `target`, shaped as kubeseal shapes the output of
/// `kubectl create secret generic NAME -n NS --from-env-file F`.
fn new_object(target: &Target) -> SealedSecret {
    let meta = ObjectMeta {
        name: target.name.clone(),
        namespace: if target.scope == Scope::ClusterWide {
            String::new()
        } else {
            target.namespace.clone()
        },
        ..Default::default()
    };
    SealedSecret {
        metadata: meta.clone(),
        template: SecretTemplate {
            metadata: meta,
            ..Default::default()
        },
        encrypted_data: BTreeMap::new(),
    }
}

/// Sets the scope annotations on both metadata blocks, as kubeseal does when a
/// non-default scope is given (strict removes them).
fn apply_scope(object: &mut SealedSecret, scope: Scope) {
    if object.scope() == scope
        && Scope::from_annotations(&object.template.metadata.annotations) == scope
    {
        return;
    }
    scope.apply_to_annotations(&mut object.metadata.annotations);
    scope.apply_to_annotations(&mut object.template.metadata.annotations);
}

/// Whether a sealed value is a placeholder rather than ciphertext (`AgAAAA...`
/// or containing `...`).
pub fn is_placeholder(value: &str) -> bool {
    value.starts_with("AgAAAA") || value.contains("...") || value.trim().is_empty()
}

// ---------------------------------------------------------------------------
// rotate
// ---------------------------------------------------------------------------

/// A newly generated credential (`--generate`): `len` characters drawn uniformly
/// from [`GENERATED_ALPHABET`] (6 bits of entropy each).
pub fn generate_value<R: RngCore + CryptoRng + ?Sized>(rng: &mut R, len: usize) -> SecretBytes {
    let mut raw = Zeroizing::new(vec![0u8; len]);
    rng.fill_bytes(&mut raw);
    Zeroizing::new(
        raw.iter()
            .map(|b| GENERATED_ALPHABET[usize::from(b & 63)])
            .collect(),
    )
}

/// Returns `original` env-file bytes with the values of the keys in `new`
/// replaced, every other byte (comments, blank lines, other keys, line endings,
/// a BOM) kept as it was. Errors name the file and line.
pub fn replace_env_values(
    shown: &str,
    original: &[u8],
    new: &BTreeMap<String, SecretBytes>,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(original.len() + 64 * new.len()));
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut rest = original;
    let mut line_no = 0usize;
    while !rest.is_empty() {
        line_no += 1;
        let (line, term, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let (l, t) = if i > 0 && rest[i - 1] == b'\r' {
                    (&rest[..i - 1], &rest[i - 1..=i])
                } else {
                    (&rest[..i], &rest[i..=i])
                };
                (l, t, &rest[i + 1..])
            }
            None => (rest, &b""[..], &b""[..]),
        };
        rest = next;
        let mut body = line;
        let mut prefix_len = 0;
        if line_no == 1 && body.starts_with(b"\xEF\xBB\xBF") {
            body = &body[3..];
            prefix_len = 3;
        }
        let lead = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(body.len());
        let trimmed = &body[lead..];
        prefix_len += lead;
        let key_end = trimmed.iter().position(|&b| b == b'=');
        let key = match key_end {
            Some(i) => &trimmed[..i],
            None => trimmed,
        };
        let key_str = std::str::from_utf8(key).unwrap_or("");
        let hit =
            !trimmed.is_empty() && trimmed[0] != b'#' && new.keys().any(|k| k.as_bytes() == key);
        if !hit {
            out.extend_from_slice(line);
            out.extend_from_slice(term);
            continue;
        }
        let Some(eq) = key_end else {
            return Err(Error::Input(format!(
                "{shown}:{line_no}: {key_str} takes its value from the process environment (no '='); write KEY=VALUE there to rotate it"
            )));
        };
        if !seen.insert(
            new.keys()
                .find(|k| k.as_bytes() == key)
                .expect("hit")
                .as_str(),
        ) {
            return Err(Error::Input(format!(
                "{shown}:{line_no}: {key_str} appears twice; remove one of the lines"
            )));
        }
        let value = &new[key_str];
        if value.iter().any(|&b| b == b'\n' || b == b'\r') {
            return Err(Error::Input(format!(
                "{shown}:{line_no}: the new value of {key_str} contains a line break; env files hold one line per value"
            )));
        }
        out.extend_from_slice(&line[..prefix_len + eq + 1]);
        out.extend_from_slice(value);
        out.extend_from_slice(term);
    }
    for k in new.keys() {
        if !seen.contains(k.as_str()) {
            return Err(Error::Input(format!(
                "{shown}: has no line {k}=...; add the key first"
            )));
        }
    }
    Ok(out)
}

/// What `rotate` did (keys only, never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateOutcome {
    /// The keys rotated.
    pub rotated: Vec<String>,
    /// Keys asked for whose env-file value is the one already sealed: their
    /// ciphertext was kept.
    pub unchanged: Vec<String>,
    /// Whether new values were generated and written to the env file.
    pub generated: bool,
    /// The env file, relative to the root.
    pub env_file: String,
    /// The sealing run's outcome.
    pub seal: SealOutcome,
}

/// How to rotate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateOptions {
    /// Keys to rotate; empty = every key of the env file.
    pub keys: Vec<String>,
    /// Generate new values (else take them from the env file as edited).
    pub generate: bool,
    /// Length of generated values.
    pub length: usize,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            keys: Vec::new(),
            generate: false,
            length: DEFAULT_GENERATED_LENGTH,
        }
    }
}

/// `empseal rotate --env E [--key K]... [--generate [--length N]]`: new values
/// (generated, written to the env file atomically with mode 0600, or as edited
/// there), then only those keys resealed.
pub fn rotate<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    opts: &RotateOptions,
    rng: &mut R,
    now: i64,
) -> Result<RotateOutcome> {
    let (out, plan) = plan_rotate(ws, env_name, opts, rng, now)?;
    plan.apply()?;
    Ok(out)
}

/// [`rotate`] without writing: the outcome and the writes it would make (the
/// env file first when values are generated, then the sealed file, record and
/// state). `rotate --dry-run` describes it.
pub fn plan_rotate<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    opts: &RotateOptions,
    rng: &mut R,
    now: i64,
) -> Result<(RotateOutcome, WritePlan)> {
    let env = ws.env(env_name)?;
    if !env.is_sealed() {
        return Err(not_sealed(ws, &env));
    }
    if opts.generate && !(8..=4096).contains(&opts.length) {
        return Err(Error::Input(format!(
            "--length {} is out of range; use 8 to 4096 characters",
            opts.length
        )));
    }
    let lock = lock_env(ws, &env)?;
    let shown = ws.display(&env.env_file);
    let mut values = read_env_values(ws, &env.env_file)?;
    let all_keys: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();
    let mut keys: Vec<String> = if opts.keys.is_empty() {
        all_keys.clone()
    } else {
        opts.keys.clone()
    };
    keys.sort();
    keys.dedup();
    for k in &keys {
        if !all_keys.contains(k) {
            return Err(Error::Input(format!(
                "{shown}: has no key {k}; known keys: {}",
                all_keys.join(", ")
            )));
        }
    }
    // Everything that can fail before writing is checked first.
    let ctx = prepare_seal(ws, &env, now)?;
    let mut plan = WritePlan::new();
    // Held until the plan is applied: reads and writes are one critical section.
    plan.hold(lock);
    plan.cleanup(&[env.env_file.parent()]);
    let mut unchanged: Vec<String> = Vec::new();
    if opts.generate {
        let original =
            Zeroizing::new(std::fs::read(&env.env_file).map_err(|e| Error::io(shown.clone(), e))?);
        let mut new: BTreeMap<String, SecretBytes> = BTreeMap::new();
        for k in &keys {
            new.insert(k.clone(), generate_value(rng, opts.length));
        }
        let bytes = replace_env_values(&shown, &original, &new)?;
        // Re-read through the real parser so the file is what kubectl will read.
        let check = deps::read_env_bytes(&bytes, &shown)?;
        for (k, v) in &check {
            if let Some(n) = new.get(k) {
                if n.as_slice() != v.as_slice() {
                    return Err(Error::Input(format!(
                        "{shown}: the rewritten line of {k} does not read back as written; edit it by hand"
                    )));
                }
            }
        }
        plan.write(&env.env_file, shown.clone(), &bytes, Sensitivity::Secret);
        values = check;
    } else {
        // A value the env file holds already sealed (the local state vouches for
        // it) is unchanged: its ciphertext is kept, and it is not "rotated".
        if let (Some(st), Some(cur)) = (State::load(&env.state), ctx.current.as_ref()) {
            if st.cert_fingerprint == ctx.pinned.fingerprint()
                && st.sealed_for == ctx.target
                && st.sealed_sha256 == sha256_hex(&cur.bytes)
            {
                for (k, v) in &values {
                    if keys.contains(k)
                        && cur.object.encrypted_data.contains_key(k)
                        && st.values.get(k) == Some(&st.mac(v))
                    {
                        unchanged.push(k.clone());
                    }
                }
            }
        }
        keys.retain(|k| !unchanged.contains(k));
        let rotated: Vec<(String, SecretBytes)> = values
            .iter()
            .filter(|(k, _)| keys.contains(k))
            .cloned()
            .collect();
        refuse_example_values(ws, &env, &ctx.pinned, &rotated)?;
        plan.chmod(&env.env_file, shown.clone(), 0o600);
    }
    let (mut seal, seal_plan) =
        seal_prepared(ws, &env, ctx, &values, Reseal::Keys(keys.clone()), rng, now)?;
    plan.extend(seal_plan);
    seal.warnings.extend(env_file_warnings(ws, &env.env_file));
    Ok((
        RotateOutcome {
            unchanged,
            rotated: keys,
            generated: opts.generate,
            env_file: shown,
            seal,
        },
        plan,
    ))
}

// ---------------------------------------------------------------------------
// render
// ---------------------------------------------------------------------------

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Environments to render (empty = all).
    pub envs: Vec<String>,
    /// Where `E.yaml` files go.
    pub out_dir: PathBuf,
    /// Use the committed example env files (no secrets needed).
    pub demo: bool,
}

/// Progress of a render, reported to the caller (the CLI draws a bar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderEvent {
    /// Rendering starts for this many environments.
    Start(usize),
    /// This environment is being rendered.
    Env(String),
    /// This environment is done.
    Done(String),
}

/// One rendered environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEnv {
    /// The environment.
    pub env: String,
    /// The written file.
    pub path: PathBuf,
    /// The SealedSecrets freshly sealed for it (targets).
    pub sealed: Vec<Target>,
    /// Number of objects in the output.
    pub objects: usize,
    /// SealedSecrets in the output that empseal did not seal (left as they are).
    pub foreign: Vec<String>,
}

/// `empseal render`: copies the k8s tree to a temporary directory, reseals each
/// sealed environment's SealedSecret there (from its env file, or its committed
/// example with `demo`), renders each overlay with kustomize, verifies every
/// SealedSecret is bound to its rendered name and namespace, and writes
/// `out_dir/E.yaml` atomically. The working tree is never modified.
pub fn render<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    opts: &RenderOptions,
    rng: &mut R,
    now: i64,
    progress: &mut dyn FnMut(RenderEvent),
) -> Result<Vec<RenderedEnv>> {
    let (done, plan) = plan_render(ws, opts, rng, now, progress)?;
    plan.apply()?;
    Ok(done)
}

/// [`render`] without touching the output directory: the rendered environments
/// and the writes (`out_dir/E.yaml`) it would make. Nothing is written unless
/// every environment rendered (all or nothing); `render --dry-run` describes it.
pub fn plan_render<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    opts: &RenderOptions,
    rng: &mut R,
    now: i64,
    progress: &mut dyn FnMut(RenderEvent),
) -> Result<(Vec<RenderedEnv>, WritePlan)> {
    let names = if opts.envs.is_empty() {
        ws.env_names()?
    } else {
        opts.envs.clone()
    };
    if names.is_empty() {
        return Err(Error::Input(format!(
            "{}: no environments found; add overlays with a kustomization.yaml",
            ws.display(&ws.overlays_dir())
        )));
    }
    let envs: Vec<Env> = names.iter().map(|n| ws.env(n)).collect::<Result<_>>()?;
    let kustomize = ws.kustomize()?;
    // Check inputs before any work: sealed envs need their values, and so do
    // generator envs whose kustomization names their env file.
    for env in &envs {
        let input = if opts.demo {
            &env.example_env_file
        } else {
            &env.env_file
        };
        let needed = env.is_sealed() || kustomization_mentions(&env.dir, &env.env_file);
        if needed && !input.is_file() {
            return Err(Error::Input(format!(
                "{}: missing; {}",
                ws.display(input),
                if opts.demo {
                    "commit an example env file for this environment".to_string()
                } else {
                    format!(
                        "copy {} to it and fill it in, or render with --demo",
                        ws.display(&env.example_env_file)
                    )
                }
            )));
        }
    }

    // The temporary copy: the overlays dir's parent (k8s/), at the same relative place.
    let overlays = ws.overlays_dir();
    let tree = overlays.parent().unwrap_or(&ws.root).to_path_buf();
    let tmp = tempfile::Builder::new()
        .prefix("empseal-render-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let copy_root = tmp.path().join("root");
    let rel_tree = tree.strip_prefix(&ws.root).unwrap_or(Path::new("k8s"));
    copy_tree(ws, &tree, &copy_root.join(rel_tree), opts.demo)?;
    // Every path render writes is inside the copy (or the out dir): files
    // configured outside the root map to `.outside/...` in the copy, so a render
    // (a demo above all) never touches a real env file or sealed file.
    let in_copy = |p: &Path| -> PathBuf { path_in_copy(&ws.root, &copy_root, p) };
    let copy_ws = Workspace {
        root: copy_root.clone(),
        config: ws.config.clone(),
    };
    let out_dir = render_out_dir(ws, &opts.out_dir);

    let mut plan = WritePlan::new();
    progress(RenderEvent::Start(envs.len()));
    // All or nothing: every environment is rendered (in memory) before the first
    // output file is written.
    let mut rendered: Vec<(RenderedEnv, Zeroizing<Vec<u8>>)> = Vec::new();
    for env in &envs {
        progress(RenderEvent::Env(env.name.clone()));
        let shown = ws.display(&env.dir);
        let input = if opts.demo {
            &env.example_env_file
        } else {
            &env.env_file
        };
        // The generator input (dev) in the copy is the chosen input, checked by
        // kubectl's rules first: kustomize's own errors would quote its lines.
        if input.is_file() {
            if !env.is_sealed() {
                deps::read_env_file(input, &ws.display(input))?;
            }
            let bytes =
                Zeroizing::new(std::fs::read(input).map_err(|e| Error::io(ws.display(input), e))?);
            let dest = in_copy(&env.env_file);
            ensure_parent(&copy_ws, &dest)?;
            fsio::write_atomic(&dest, &bytes, Sensitivity::Secret)?;
        }
        let mut sealed_targets = Vec::new();
        let mut sealed_values: Vec<BTreeMap<String, String>> = Vec::new();
        if let Some(src) = &env.sealed_secret {
            let values = deps::read_env_file(input, &ws.display(input))?;
            if values.is_empty() {
                return Err(Error::Input(format!(
                    "{}: has no keys; add KEY=VALUE lines",
                    ws.display(input)
                )));
            }
            let (_, cert) = require_pin(&env.pin_files(ws), now)?;
            let copy_file = in_copy(src);
            let current = read_current_sealed(&copy_ws, &copy_file)?;
            let mut copy_env = env.clone();
            copy_env.dir = in_copy(&env.dir);
            copy_env.sealed_secret = Some(copy_file.clone());
            let target = resolve_target(&copy_ws, &copy_env, current.as_ref().map(|c| &c.object))
                .map_err(|e| rename_paths(e, &copy_root, &ws.root))?;
            let items: Vec<(&str, &[u8])> = values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice()))
                .collect();
            let enc = deps::encrypt_items(rng, &cert, &target.label(), &items)?;
            let mut object = match &current {
                Some(c) => c.object.clone(),
                None => new_object(&target),
            };
            apply_scope(&mut object, target.scope);
            object.encrypted_data = items.iter().map(|(k, _)| k.to_string()).zip(enc).collect();
            let (format, layout) = current
                .as_ref()
                .map(|c| (c.format, c.layout))
                .unwrap_or((Format::Yaml, Layout::Current));
            ensure_parent(&copy_ws, &copy_file)?;
            fsio::write_atomic(
                &copy_file,
                &deps::emit_sealed(&object, format, layout),
                Sensitivity::Public,
            )?;
            sealed_values.push(object.encrypted_data.clone());
            sealed_targets.push(target);
        }
        // kustomize's output can hold a Secret's base64 values (a SecretGenerator).
        let out = Zeroizing::new(
            kustomize
                .build(&in_copy(&env.dir), &shown)
                .map_err(|e| rename_paths(e, &copy_root, &ws.root))?,
        );
        let objects = parse_rendered(&shown, &out)?;
        let foreign = verify_rendered(&shown, &objects, &sealed_targets, &sealed_values)?;
        progress(RenderEvent::Done(env.name.clone()));
        rendered.push((
            RenderedEnv {
                env: env.name.clone(),
                path: out_dir.join(format!("{}.yaml", env.name)),
                sealed: sealed_targets,
                objects: objects.len(),
                foreign,
            },
            out,
        ));
    }
    drop(tmp);
    let mut done = Vec::new();
    for (r, bytes) in rendered {
        // Rendered manifests can hold Secrets' base64 values: 0600, like every
        // file that can hold secret values. Written only once every environment
        // rendered (all or nothing), by `WritePlan::apply`.
        plan.write(&r.path, ws.display(&r.path), &bytes, Sensitivity::Secret);
        done.push(r);
    }
    Ok((done, plan))
}

/// Where `render` writes: `--out-dir` relative to the repository root (an
/// absolute path as given).
pub fn render_out_dir(ws: &Workspace, out_dir: &Path) -> PathBuf {
    lexical(&ws.root.join(out_dir))
}

/// `p` with `.` and `..` components resolved lexically (no file system access).
fn lexical(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The place of `p` (a path under `root`, or anywhere) inside the render's copy
/// of the tree at `copy_root`; always inside `copy_root`, never `p` itself.
fn path_in_copy(root: &Path, copy_root: &Path, p: &Path) -> PathBuf {
    let p = lexical(&root.join(p));
    match p.strip_prefix(root) {
        Ok(rel) => copy_root.join(rel),
        Err(_) => copy_root
            .join(".outside")
            .join(p.strip_prefix("/").unwrap_or(&p)),
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

fn rename_paths(e: Error, from: &Path, to: &Path) -> Error {
    let f = from.display().to_string();
    let fix = |s: String| {
        s.replace(&format!("{f}/"), "")
            .replace(&f, &to.display().to_string())
    };
    match e {
        Error::Overlay(s) => Error::Overlay(fix(s)),
        Error::Input(s) => Error::Input(fix(s)),
        other => other,
    }
}

/// Copies a directory tree (regular files and directories; symlinks as their
/// targets), skipping local state and temporary files, and with
/// `skip_env_files` the real (plaintext) `*.env` files.
fn copy_tree(ws: &Workspace, from: &Path, to: &Path, skip_env_files: bool) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| Error::io(ws.display(from), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(ws.display(from), e))?;
        let name = entry.file_name();
        let n = name.to_string_lossy();
        if (n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX))
            || n.ends_with(".state")
            || (skip_env_files && n.ends_with(".env"))
        {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let meta = std::fs::metadata(&src).map_err(|e| Error::io(ws.display(&src), e))?;
        if meta.is_dir() {
            copy_tree(ws, &src, &dst, skip_env_files)?;
        } else if meta.is_file() {
            std::fs::copy(&src, &dst).map_err(|e| Error::io(ws.display(&src), e))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Temporary files
// ---------------------------------------------------------------------------

pub(crate) use kubeseal_core::error::one_line;

// ---------------------------------------------------------------------------
// The other modules' contracts, in one place.
// ---------------------------------------------------------------------------

pub(crate) mod deps {
    //! Thin adapters over the sealing core (cert, crypto, seal, envfile, manifest,
    //! emit), so the lifecycle code depends on one small surface.

    use super::*;

    /// Seals `(key, value)` items for `label`, deterministic for a seeded rng.
    pub fn encrypt_items<R: RngCore + CryptoRng + ?Sized>(
        rng: &mut R,
        cert: &kubeseal_core::cert::Certificate,
        label: &[u8],
        items: &[(&str, &[u8])],
    ) -> Result<Vec<String>> {
        Ok(kubeseal_core::seal::encrypt_items(
            rng,
            &cert.public_key,
            label,
            items,
        )?)
    }

    /// Reads an env file by kubectl's rules.
    pub fn read_env_file(path: &Path, shown: &str) -> Result<Vec<(String, SecretBytes)>> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Error::io(shown, e))?);
        read_env_bytes(&bytes, shown)
    }

    /// Parses env-file bytes by kubectl's rules.
    pub fn read_env_bytes(bytes: &[u8], shown: &str) -> Result<Vec<(String, SecretBytes)>> {
        let entries = kubeseal_core::envfile::parse_env_bytes(
            shown,
            bytes,
            &kubeseal_core::envfile::process_env,
        )?;
        Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
    }

    /// Reads the SealedSecrets of a manifest.
    pub fn read_sealed_secrets(shown: &str, bytes: &[u8]) -> Result<Vec<SealedSecret>> {
        Ok(kubeseal_core::manifest::read_sealed_secrets(shown, bytes)?)
    }

    /// The format and kubeseal layout of an existing file.
    pub fn detect_style(bytes: &[u8]) -> (Format, Layout) {
        kubeseal_core::manifest::detect_style(bytes)
    }

    /// kubeseal's exact bytes for one SealedSecret.
    pub fn emit_sealed(object: &SealedSecret, format: Format, layout: Layout) -> Vec<u8> {
        kubeseal_core::emit::document(
            &kubeseal_core::emit::sealed_secret_node(object, layout),
            format,
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kustomize_errors_quoting_generator_lines_are_withheld() {
        let real = r#"E1122 05:24:43.381035   29928 run.go:72] "command failed" err="loading KV pairs: env source files: [x.env]: line [75 61 255] has invalid utf8 bytes : K=\xff\xfesecret3""#;
        let t = kustomize_error_text(real, "/scratch/render-1", "k8s/overlays/dev");
        assert!(!t.contains("secret3") && t.contains("withheld"), "{t}");
        let other = "Error: accumulating resources: accumulation err='accumulating resources from '/scratch/render-1/missing.yaml': open /scratch/render-1/missing.yaml: no such file or directory'\n";
        let t = kustomize_error_text(other, "/scratch/render-1", "k8s/overlays/dev");
        assert_eq!(
            t,
            "Error: accumulating resources: accumulation err='accumulating resources from 'k8s/overlays/dev/missing.yaml': open k8s/overlays/dev/missing.yaml: no such file or directory'"
        );
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let long_key = [0xaau8; 131];
        let mac = hmac_sha256(
            &long_key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, SecretBytes> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Zeroizing::new(v.as_bytes().to_vec())))
            .collect()
    }

    #[test]
    fn replace_env_values_keeps_every_other_byte() {
        let original =
            b"\xEF\xBB\xBF# comment\r\nA=old a\r\n\n  B=x=y  \nC\n   # B=not this\nD=last";
        let out =
            replace_env_values("f.env", original, &map(&[("B", "NEW"), ("D", "dd")])).unwrap();
        assert_eq!(
            &out[..],
            &b"\xEF\xBB\xBF# comment\r\nA=old a\r\n\n  B=NEW\nC\n   # B=not this\nD=dd"[..]
        );
        let out = replace_env_values("f.env", original, &map(&[("A", "z")])).unwrap();
        assert_eq!(
            &out[..],
            &b"\xEF\xBB\xBF# comment\r\nA=z\r\n\n  B=x=y  \nC\n   # B=not this\nD=last"[..]
        );
    }

    #[test]
    fn replace_env_values_errors_name_file_and_line() {
        let e = replace_env_values("f.env", b"A=1\nC\n", &map(&[("C", "x")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.env:2: C takes its value from the process environment (no '='); write KEY=VALUE there to rotate it"
        );
        let e = replace_env_values("f.env", b"A=1\n", &map(&[("Z", "x")])).unwrap_err();
        assert!(e.to_string().starts_with("f.env: has no line Z=..."), "{e}");
        let e = replace_env_values("f.env", b"A=1\nA=2\n", &map(&[("A", "x")])).unwrap_err();
        assert!(e.to_string().starts_with("f.env:2: A appears twice"), "{e}");
        // The value never appears in an error.
        let e = replace_env_values("f.env", b"A=1\n", &map(&[("A", "se\ncret")])).unwrap_err();
        assert!(!e.to_string().contains("se"), "{e}");
    }

    #[test]
    fn generated_values_use_the_safe_alphabet_uniformly() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let v = generate_value(&mut rng, 64_000);
        assert_eq!(v.len(), 64_000);
        let mut counts = [0usize; 256];
        for b in v.iter() {
            assert!(GENERATED_ALPHABET.contains(b));
            counts[*b as usize] += 1;
        }
        // 1000 expected per symbol; all 64 symbols appear, none wildly off.
        for c in GENERATED_ALPHABET {
            let n = counts[*c as usize];
            assert!(
                (800..1200).contains(&n),
                "{} appeared {n} times",
                *c as char
            );
        }
        let mut rng2 = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        assert_eq!(
            generate_value(&mut rng2, 64_000),
            v,
            "same seed, same value"
        );
    }

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

    #[test]
    fn state_roundtrips_and_macs_depend_on_key() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let t = Target {
            name: "n".into(),
            namespace: "ns".into(),
            scope: Scope::Strict,
        };
        let mut s = State::new(&mut rng, "SHA256:x", &t);
        let m = s.mac(b"value");
        s.values.insert("K".into(), m.clone());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".x.state");
        std::fs::write(&p, &*s.to_bytes()).unwrap();
        let back = State::load(&p).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.mac(b"value"), m);
        let other = State::new(&mut rng, "SHA256:x", &t);
        assert_ne!(other.mac(b"value"), m);
        std::fs::write(&p, b"garbage: [").unwrap();
        assert!(State::load(&p).is_none());
        assert!(!format!("{s:?}").contains(&s.hmac_key));
    }

    #[test]
    fn stale_temps_are_removed_young_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".empseal-old.tmp");
        let young = dir.path().join(".empseal-young.tmp");
        let other = dir.path().join("keep.tmp");
        for p in [&old, &young, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let f = std::fs::File::options().write(true).open(&old).unwrap();
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .unwrap();
        assert_eq!(remove_stale_temps(&[Some(dir.path())]), 1);
        assert!(!old.exists() && young.exists() && other.exists());
    }

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

/// One rendered object and the repository file kustomize read it from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedOrigin {
    /// The object's kind.
    pub kind: String,
    /// Its rendered namespace, when set.
    pub namespace: Option<String>,
    /// Its rendered name, when set.
    pub name: Option<String>,
    /// The source file (absolute, `..` resolved).
    pub file: PathBuf,
}

/// `to` relative to `from` (both absolute, canonical).
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in &to[common..] {
        rel.push(c);
    }
    rel
}

/// How a record names its sealed file: relative to the directory that holds the
/// record's `sealing/` directory (the overlay, by default), else as given.
fn record_sealed_path(env: &Env, path: &Path) -> String {
    path.strip_prefix(
        env.record
            .parent()
            .and_then(Path::parent)
            .unwrap_or(&env.dir),
    )
    .unwrap_or(path)
    .display()
    .to_string()
}
