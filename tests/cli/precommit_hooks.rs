//! The hooks in `.pre-commit-hooks.yaml`, run by the real pre-commit
//! (`pre-commit try-repo`, installed by .ci/setup): clean on this very repository
//! (its `.empsealignore` leaves out the deliberately broken fixtures), failing on
//! a repository with a placeholder until that repository ignores it.
//!
//! The `empseal-check-system` hook is the one run here: it uses the `empseal` on
//! PATH (this test's binary), so it works offline and costs nothing to build. The
//! `language: rust` hook runs the same entry after pre-commit builds empseal with
//! `cargo install` (a release build of its own, several minutes), which is left to
//! the users who choose it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::BIN;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn try_repo(cwd: &Path, cache: &Path) -> Output {
    let path = format!(
        "{}:{}",
        Path::new(BIN).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("pre-commit")
        .arg("try-repo")
        .arg(repo())
        .args(["empseal-check-system", "--all-files", "--color", "never"])
        .current_dir(cwd)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", cache)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .expect("pre-commit; run `bash .ci/setup`")
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn git(cwd: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn hooks_pass_on_this_repository() {
    assert!(
        repo().join(".git").exists(),
        "pre-commit needs this checkout's git repository"
    );
    let cache = tempfile::tempdir().unwrap();
    let out = try_repo(&repo(), cache.path());
    let text = all(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("empseal check (installed binary)"), "{text}");
    assert!(text.contains("Passed"), "{text}");
}

#[test]
fn hooks_fail_on_a_placeholder_until_it_is_ignored() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    git(r, &["init", "-q"]);
    std::fs::create_dir_all(r.join("chart/templates")).unwrap();
    std::fs::write(
        r.join("chart/templates/secret.yaml"),
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  encryptedData:\n    K: AgAAAA...\n",
    )
    .unwrap();
    std::fs::write(r.join("cm.yaml"), "kind: ConfigMap\n").unwrap();
    git(r, &["add", "."]);
    git(r, &["commit", "-qm", "x"]);
    let out = try_repo(r, cache.path());
    let text = all(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("chart/templates/secret.yaml"), "{text}");

    std::fs::write(r.join(".empsealignore"), "templates/\n").unwrap();
    git(r, &["add", "."]);
    git(r, &["commit", "-qm", "ignore helm templates"]);
    let out = try_repo(r, cache.path());
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
}
