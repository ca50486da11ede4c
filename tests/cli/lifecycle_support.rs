//! Shared helpers for the lifecycle tests: temporary git repositories built from
//! `testdata/lifecycle/repo` with the demo certificates pinned (the kit's
//! [`Repo`]), running the real `empseal` binary in them, and unsealing with the
//! demo private keys.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use empseal_env::overlay;
use empseal_testkit::gotool;
use kubeseal_core::crypto::RsaPrivateKey;
use kubeseal_core::secret::{ObjectMeta, SealedSecret};

pub use empseal_testkit::files::{copy_dir, tree_hash, tree_snapshot};
pub use empseal_testkit::pki::openssl_fingerprint;
pub use empseal_testkit::process::all_output;
pub use empseal_testkit::repo::{commit_date, env_pairs, git_cmd, Repo};
pub use empseal_testkit::{repo_root as project, require_tool};

/// The `empseal` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(crate::BIN)
}

/// Pins a demo certificate as `cert fetch --env` pins it: cert.pem with its pin.yaml.
pub fn pin_demo_certificate(overlay: &Path, cert_pem: &[u8], origin: &str) {
    let files = empseal_env::pin::PinFiles::in_overlay(overlay);
    empseal_env::pin::pin_certificate(&files, cert_pem, origin, false, 1_800_000_000).unwrap();
}

/// The kit's lifecycle [`Repo`] with every env's demo certificate pinned.
pub fn pinned_repo() -> Repo {
    Repo::new(&pin_demo_certificate)
}

/// This repository's own `k8s/` tree (demo pins committed), `empseal.yaml` and
/// `.gitignore` in a fresh git repository, committed once. Untracked plaintext
/// sources (env files, paper's pull-secret.dockerconfigjson) are not copied.
pub fn project_repo() -> Repo {
    require_tool("kubectl");
    require_tool("git");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&project().join("k8s"), &dir.path().join("k8s"));
    for file in [".gitignore", "empseal.yaml"] {
        std::fs::copy(project().join(file), dir.path().join(file)).unwrap();
    }
    let mut repo = Repo { dir, commits: 0 };
    for untracked in [
        "k8s/overlays/dev/dev-secrets.env",
        "k8s/overlays/paper/paper-secrets.env",
        "k8s/overlays/prod/prod-secrets.env",
        "k8s/overlays/paper/pull-secret.dockerconfigjson",
    ] {
        let _ = std::fs::remove_file(repo.path(untracked));
    }
    repo.git(&["init", "-q", "-b", "main"]);
    repo.commit("Alice", "the stack as committed");
    repo
}

/// Running the binary in a [`Repo`].
pub trait RunEmpseal {
    /// Runs `empseal ARGS` in the root.
    fn run(&self, args: &[&str]) -> Output;
    /// Runs `empseal ARGS` in the root and asserts success.
    fn ok(&self, args: &[&str]) -> Output;
}

impl RunEmpseal for Repo {
    fn run(&self, args: &[&str]) -> Output {
        empseal(self.root(), args)
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "empseal {args:?} failed ({:?}): {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

/// Runs the binary with `dir` as the current directory.
pub fn empseal(dir: &Path, args: &[&str]) -> Output {
    empseal_testkit::process::empseal_in(&bin(), dir, args)
}

/// A demo private key from testdata/keys.
pub fn demo_key(env: &str) -> RsaPrivateKey {
    let pem = std::fs::read(project().join(format!("testdata/keys/demo-{env}.key"))).unwrap();
    RsaPrivateKey::from_pem(&pem).unwrap()
}

/// Reads the single SealedSecret of a sealed file.
pub fn read_sealed(bytes: &[u8]) -> SealedSecret {
    overlay::read_one_sealed("test", bytes).unwrap().0
}

/// Unseals `s` with `key`, returning key → plaintext (UTF-8).
pub fn unseal(s: &SealedSecret, key: RsaPrivateKey) -> BTreeMap<String, String> {
    let secret = kubeseal_core::unseal::unseal(s, &[key]).unwrap_or_else(|e| panic!("unseal: {e}"));
    secret
        .data
        .iter()
        .map(|(k, v)| (k.clone(), String::from_utf8(v.to_vec()).unwrap()))
        .collect()
}

/// The SealedSecret as it will be deployed: its name and namespace replaced by
/// the rendered ones (what the controller sees after kustomize).
pub fn as_rendered(s: &SealedSecret, name: &str, namespace: &str) -> SealedSecret {
    let mut r = s.clone();
    r.metadata = ObjectMeta {
        name: name.into(),
        namespace: namespace.into(),
        annotations: s.metadata.annotations.clone(),
        ..Default::default()
    };
    r
}

/// What kubeseal's serializer (sigs.k8s.io/yaml over go-yaml v2, via the
/// committed `tests/k8s/kubeseal_yaml.go`) prints for these objects.
pub fn go_kubeseal_yaml(objects: &[serde_json::Value]) -> String {
    use std::io::Write;
    gotool::require_go_libraries();
    let gopath = tempfile::tempdir().unwrap();
    let mut child = gotool::go_command(gopath.path())
        .args(["run", "kubeseal_yaml.go"])
        .current_dir(project().join("tests/k8s"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(objects).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "go run kubeseal_yaml.go: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `rotate` of paper's credentials' API key (secret `emp-secrets-paper`), with a
/// generated value.
pub const ROTATE_API_KEY: &[&str] = &[
    "rotate",
    "--env",
    "paper",
    "--secret",
    "emp-secrets-paper",
    "--key",
    "API_KEY",
    "--generate",
];
