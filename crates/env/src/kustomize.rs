//! Running kustomize on an overlay: which kustomize, its output, its errors
//! (with secrets withheld), and where each rendered object came from (origin
//! annotations, through a temporary wrapper kustomization).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kubeseal_core::secret::{read_secret_bytes, SecretBytes};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::message::one_line;
use crate::paths::{lexical, relative_path};

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

    /// Renders the overlay in `dir`, returning kustomize's stdout bytes: they can
    /// hold a Secret's values (a SecretGenerator), so they are read into a buffer
    /// that is wiped when dropped, never regrown into unwiped copies.
    /// `shown` names the overlay in errors.
    pub fn build(&self, dir: &Path, shown: &str) -> Result<SecretBytes> {
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
        cmd.arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let cannot_run = |e: std::io::Error| {
            Error::Overlay(format!(
                "{shown}: cannot run {}: {e}; install kubectl or kustomize",
                self.describe()
            ))
        };
        let mut child = cmd.spawn().map_err(cannot_run)?;
        // stderr drains on its own thread so that neither pipe can fill and stall
        // kustomize while the other is read.
        let stderr = child.stderr.take().map(|mut err| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = err.read_to_end(&mut text);
                text
            })
        });
        let stdout = child
            .stdout
            .take()
            .map(|out| read_secret_bytes(out, 64 * 1024))
            .transpose()
            .map_err(cannot_run)?
            .unwrap_or_default();
        let status = child.wait().map_err(cannot_run)?;
        let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
        if !status.success() {
            let stderr = String::from_utf8_lossy(&stderr);
            let msg = kustomize_error_text(&stderr, &dir.display().to_string(), shown);
            return Err(Error::Overlay(format!(
                "{shown}: {} failed: {msg}; fix the overlay",
                self.describe()
            )));
        }
        Ok(stdout)
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
    ) -> Result<(SecretBytes, Vec<RenderedOrigin>)> {
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
}
