//! Shared helpers for the lifecycle tests: temporary git repositories built from
//! `testdata/lifecycle/repo` with the demo certificates pinned, running the real
//! `empseal` binary, the git CLI with fixed authors and dates, and unsealing
//! with the demo private keys.
#![allow(dead_code)]

#[path = "../gotool/mod.rs"]
mod gotool;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use empseal_env::overlay;
use kubeseal_core::crypto::RsaPrivateKey;
use kubeseal_core::secret::{ObjectMeta, SealedSecret};

/// The project's root (where Cargo.toml is).
pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `empseal` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_empseal"))
}

/// Fails (never skips) when a tool the tests need is missing.
pub fn require_tool(name: &str) {
    let ok = Command::new(name)
        .arg(if name == "kubectl" {
            "version"
        } else {
            "--version"
        })
        .args(if name == "kubectl" {
            &["--client"][..]
        } else {
            &[][..]
        })
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{name} is missing or broken on this machine; run `bash .ci/setup` (the lifecycle tests need it)"
    );
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
        }
    }
}

/// A temporary git repository holding the lifecycle fixture.
pub struct Repo {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// Commits made so far (to give each a distinct fixed date).
    pub commits: u32,
}

impl Repo {
    /// The fixture tree with every env's demo certificate pinned (cert.pem and pin.yaml), the repository's
    /// .gitignore, `git init`, and the env files for paper and prod copied from
    /// their examples. Nothing is committed yet.
    pub fn new() -> Repo {
        require_tool("kubectl");
        require_tool("git");
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&project().join("testdata/lifecycle/repo"), dir.path());
        std::fs::copy(project().join(".gitignore"), dir.path().join(".gitignore")).unwrap();
        for env in ["dev", "paper", "prod"] {
            let sealing = dir.path().join(format!("k8s/overlays/{env}/sealing"));
            std::fs::create_dir_all(&sealing).unwrap();
            // Pinned as `cert fetch --env` pins: cert.pem with its pin.yaml.
            let crt = project().join(format!("testdata/keys/demo-{env}.crt"));
            let files = empseal_env::pin::PinFiles::in_overlay(
                &dir.path().join(format!("k8s/overlays/{env}")),
            );
            empseal_env::pin::pin_certificate(
                &files,
                &std::fs::read(&crt).unwrap(),
                &format!("testdata/keys/demo-{env}.crt"),
                false,
                1_800_000_000,
            )
            .unwrap();
        }
        let repo = Repo { dir, commits: 0 };
        repo.git(&["init", "-q", "-b", "main"]);
        for env in ["paper", "prod"] {
            std::fs::copy(
                repo.path(&format!("k8s/overlays/{env}/{env}-secrets.env.example")),
                repo.path(&format!("k8s/overlays/{env}/{env}-secrets.env")),
            )
            .unwrap();
        }
        repo
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path under the root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Reads a file under the root.
    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Writes a file under the root.
    pub fn write(&self, rel: &str, bytes: &[u8]) {
        std::fs::write(self.path(rel), bytes).unwrap();
    }

    /// Runs git with an isolated configuration; panics on failure.
    pub fn git(&self, args: &[&str]) -> Vec<u8> {
        let out = git_cmd(self.root()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// `git add -A && git commit` as `author`, dated 2024-01-0N 12:00:00 UTC.
    pub fn commit(&mut self, author: &str, subject: &str) -> String {
        self.commits += 1;
        let date = commit_date(self.commits);
        self.git(&["add", "-A"]);
        let out = git_cmd(self.root())
            .env("GIT_AUTHOR_NAME", author)
            .env(
                "GIT_AUTHOR_EMAIL",
                format!("{}@example.com", author.to_lowercase()),
            )
            .env("GIT_COMMITTER_NAME", author)
            .env(
                "GIT_COMMITTER_EMAIL",
                format!("{}@example.com", author.to_lowercase()),
            )
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["commit", "-q", "-m", subject])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(self.git(&["rev-parse", "HEAD"]))
            .unwrap()
            .trim()
            .to_string()
    }

    /// Runs `empseal ARGS` in the root.
    pub fn run(&self, args: &[&str]) -> Output {
        empseal(self.root(), args)
    }

    /// Runs `empseal ARGS` in the root and asserts success.
    pub fn ok(&self, args: &[&str]) -> Output {
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

/// `2024-01-0N T12:00:00Z` for commit number N (1-based).
pub fn commit_date(n: u32) -> String {
    format!("2024-01-{:02}T12:00:00Z", n)
}

/// A git command with no user/system configuration leaking in.
pub fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    c
}

/// Runs the binary with `dir` as the current directory.
pub fn empseal(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .unwrap()
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

/// KEY=VALUE pairs of a simple env file (no comments inside values).
pub fn env_pairs(bytes: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// The controller key fingerprint of a certificate, derived independently of
/// empseal: the modulus and exponent as the openssl CLI prints them, encoded as
/// an SSH public key, SHA-256, unpadded base64 (what `ssh-keygen -l` prints).
pub fn openssl_fingerprint(cert: &Path) -> String {
    use base64::Engine as _;
    use sha2::Digest;
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-modulus", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        text.status.success(),
        "openssl is missing; run `bash .ci/setup`"
    );
    let hexmod = String::from_utf8(text.stdout).unwrap();
    let n = hex::decode(hexmod.trim().trim_start_matches("Modulus=")).unwrap();
    let full = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    let full = String::from_utf8(full.stdout).unwrap();
    let e: u64 = full
        .lines()
        .find_map(|l| l.trim().strip_prefix("Exponent: "))
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let mpint = |b: &[u8]| {
        let b: Vec<u8> = b.iter().copied().skip_while(|x| *x == 0).collect();
        if b.first().is_some_and(|x| x & 0x80 != 0) {
            [vec![0], b].concat()
        } else {
            b
        }
    };
    let mut wire = Vec::new();
    for part in [b"ssh-rsa".to_vec(), mpint(&e.to_be_bytes()), mpint(&n)] {
        wire.extend((part.len() as u32).to_be_bytes());
        wire.extend(part);
    }
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(&wire))
    )
}

/// stdout + stderr as one string.
pub fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file under `dir` with its mode and bytes, and every directory with its mode,
/// sorted: a dry run must leave this unchanged.
pub fn tree_snapshot(dir: &Path) -> Vec<(String, u32, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if m.is_dir() {
                out.push((rel + "/", m.permissions().mode(), Vec::new()));
                stack.push(p);
            } else {
                out.push((rel, m.permissions().mode(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// SHA-256 over every file under `dir` (paths and contents, sorted), skipping `skip` names.
pub fn tree_hash(dir: &Path, skip: &[&str]) -> String {
    use sha2::Digest;
    fn walk(d: &Path, base: &Path, skip: &[&str], out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if skip.contains(&name.as_str()) {
                continue;
            }
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(&p, base, skip, out);
            } else if ft.is_file() {
                use std::os::unix::fs::PermissionsExt;
                let mode = e.metadata().unwrap().permissions().mode();
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                out.push((format!("{rel} {mode:o}"), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, skip, &mut files);
    let mut h = sha2::Sha256::new();
    for (n, b) in files {
        h.update(n.as_bytes());
        h.update([0]);
        h.update((b.len() as u64).to_be_bytes());
        h.update(&b);
    }
    hex::encode(h.finalize())
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
