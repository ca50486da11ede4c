//! Shared helpers for the `check` integration tests: test certificates made by
//! the openssl CLI, corpus templates filled with ciphertext from independent
//! sealers (kubesealpy, @linode/kubeseal-encrypt), and expected-finding files.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use empseal_lint::{CheckOptions, ExpectedKey, Finding};
use empseal_testkit::pki;
use empseal_testkit::process::run_text;

pub use empseal_testkit::files::{copy_dir, files_under};
pub use empseal_testkit::tools::require;
use tempfile::TempDir;

/// Key sizes the corpus uses.
pub const BITS: [u32; 3] = [2048, 3072, 4096];

/// The workspace root (the corpus is under testdata/check).
pub fn root() -> PathBuf {
    empseal_testkit::repo_root()
}

/// Test certificates (self-signed, like the controller's) in a temp dir:
/// `cert-<bits>.pem` and `pub-<bits>.pem`.
pub struct Certs {
    dir: TempDir,
}

impl Certs {
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn cert(&self, bits: u32) -> PathBuf {
        self.dir.path().join(format!("cert-{bits}.pem"))
    }

    /// The expected key for `bits`, read with the openssl CLI (independent of
    /// empseal's certificate code): modulus and notAfter.
    pub fn expected_key(&self, bits: u32) -> ExpectedKey {
        let cert = self.cert(bits);
        ExpectedKey {
            modulus: pki::modulus(&cert),
            not_after: Some(pki::not_after_unix(&cert)),
            origin: format!("cert-{bits}.pem"),
        }
    }
}

/// Generates the certificates once per test binary.
pub fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        require("openssl", &["version"]);
        let dir = tempfile::tempdir().expect("tempdir");
        for bits in BITS {
            let key = dir.path().join(format!("key-{bits}.pem"));
            let cert = dir.path().join(format!("cert-{bits}.pem"));
            pki::self_signed_rsa(&key, &cert, bits, 3650);
            let public = pki::public_key_pem(&cert);
            std::fs::write(dir.path().join(format!("pub-{bits}.pem")), public).unwrap();
        }
        Certs { dir }
    })
}

fn node_path() -> String {
    static NODE_PATH: OnceLock<String> = OnceLock::new();
    NODE_PATH
        .get_or_init(|| {
            std::env::var("NODE_PATH")
                .ok()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| {
                    run_text(Command::new("npm").args(["root", "-g"]))
                        .trim()
                        .into()
                })
        })
        .clone()
}

/// Fills `{{kubesealpy<bits>:<label>}}` and `{{linode<bits>:<ns>}}` tokens in the
/// given files with values sealed now by the independent sealers.
pub fn fill_tokens(files: &[PathBuf]) {
    let certs = certs();
    let script = root().join("tests/check/seal_tokens.py");
    run_text(
        Command::new("python3")
            .arg(script)
            .arg(certs.dir())
            .args(files),
    );
    let script = root().join("tests/check/seal_linode.mjs");
    run_text(
        Command::new("node")
            .env("NODE_PATH", node_path())
            .arg(script)
            .arg(certs.dir())
            .args(files),
    );
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        // Sealer tokens only: `{{ .KEY }}` in a template is the controller's.
        assert!(
            !text.contains("{{kubesealpy") && !text.contains("{{linode"),
            "unfilled token left in {}",
            f.display()
        );
    }
}

/// Writes kubesealpy's own manifests (its YAML and a JSON stream) into `dir`.
pub fn emit_kubesealpy(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    run_text(
        Command::new("python3")
            .arg(root().join("tests/check/seal_tokens.py"))
            .arg(certs().dir())
            .arg("--emit")
            .arg(dir),
    );
}

/// Copies `testdata/check/<sub>` to a temp dir and fills its tokens.
pub fn materialize(sub: &str) -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("testdata/check").join(sub), tmp.path());
    let files: Vec<_> = files_under(tmp.path())
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".expected"))
        .collect();
    fill_tokens(&files);
    tmp
}

/// One expected-findings file: `CODE LINE COLUMN` lines, `#` comments, and
/// directives (`@cert BITS`).
#[derive(Debug, Default)]
pub struct Expected {
    pub findings: BTreeSet<(String, usize, usize)>,
    pub cert_bits: Option<u32>,
}

pub fn read_expected(path: &Path) -> Expected {
    let mut e = Expected::default();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["@cert", bits] => e.cert_bits = Some(bits.parse().unwrap()),
            [code, l, c] => {
                e.findings
                    .insert((code.to_string(), l.parse().unwrap(), c.parse().unwrap()));
            }
            _ => panic!("{}: bad line {line:?}", path.display()),
        }
    }
    e
}

/// The (code, line, column) set of findings.
pub fn positions(findings: &[Finding]) -> BTreeSet<(String, usize, usize)> {
    findings
        .iter()
        .map(|f| (f.code.id().to_string(), f.line, f.column))
        .collect()
}

/// A fixed "now" well inside the test certificates' validity.
pub fn now() -> i64 {
    static NOW: OnceLock<i64> = OnceLock::new();
    *NOW.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    })
}

/// Options for corpus runs: no git check (the corpus is not a repository of its own).
pub fn options(key: Option<ExpectedKey>) -> CheckOptions {
    let mut o = CheckOptions::new(now());
    o.check_git = false;
    o.expected_key = key;
    o
}
