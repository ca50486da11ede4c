//! Temporary git repositories built from `testdata/lifecycle/repo`, and the git
//! CLI with fixed authors and dates and no user configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::files::copy_dir;
use crate::paths::repo_root;
use crate::tools::require_tool;

/// Pins a certificate in an overlay: `(overlay directory, certificate PEM, origin)`.
/// The tests pass `empseal_env::pin::pin_certificate` wrapped up, so the kit
/// needs no workspace crate.
pub type PinCertificate<'a> = &'a dyn Fn(&Path, &[u8], &str);

/// A temporary git repository holding the lifecycle fixture.
pub struct Repo {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// Commits made so far (to give each a distinct fixed date).
    pub commits: u32,
}

impl Repo {
    /// The fixture tree with every env's demo certificate pinned by `pin`
    /// (`testdata/keys/demo-<env>.crt`), the repository's .gitignore, `git init`,
    /// and the env files for paper and prod copied from their examples. Nothing
    /// is committed yet.
    pub fn new(pin: PinCertificate) -> Repo {
        require_tool("kubectl");
        require_tool("git");
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo_root().join("testdata/lifecycle/repo"), dir.path());
        std::fs::copy(
            repo_root().join(".gitignore"),
            dir.path().join(".gitignore"),
        )
        .unwrap();
        for env in ["dev", "paper", "prod"] {
            let sealing = dir.path().join(format!("k8s/overlays/{env}/sealing"));
            std::fs::create_dir_all(&sealing).unwrap();
            let origin = format!("testdata/keys/demo-{env}.crt");
            pin(
                &dir.path().join(format!("k8s/overlays/{env}")),
                &std::fs::read(repo_root().join(&origin)).unwrap(),
                &origin,
            );
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
