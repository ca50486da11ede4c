//! `empseal check` leaves alone what `.empsealignore` files and `--exclude` name
//! (gitignore syntax): a chart's Helm templates are not YAML until rendered.

use std::path::Path;
use std::process::{Command, Output};

use crate::BIN;

/// A real SealedSecret value would need a key; a placeholder is what `check` exists for.
const PLACEHOLDER: &str = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\nspec:\n  encryptedData:\n    K: AgAAAA...\n  template:\n    metadata:\n      name: s\n      namespace: n\n";

const TEMPLATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"app.fullname\" . }}\ndata:\n  {{- toYaml .Values.config | nindent 2 }}\n";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn git(root: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// A git repository with a Helm chart (templates that are not YAML) and plain manifests.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    git(r, &["init", "-q"]);
    write(
        r,
        "charts/app/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    );
    write(r, "charts/app/values.yaml", "config:\n  a: b\n");
    write(r, "charts/app/templates/configmap.yaml", TEMPLATE);
    write(
        r,
        "charts/app/templates/deployment.yaml",
        "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n",
    );
    write(
        r,
        "k8s/base/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n",
    );
    dir
}

fn check(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("check")
        .args(args)
        .current_dir(cwd)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .expect("run empseal")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn helm_templates_fail_without_an_ignore_file_and_pass_with_one() {
    let dir = repo();
    let r = dir.path();
    let out = check(r, &["."]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("charts/app/templates/configmap.yaml"));
    assert!(text(&out).contains("ES001"));

    write(
        r,
        ".empsealignore",
        "# Helm templates are not YAML until rendered\ncharts/*/templates/\n",
    );
    let out = check(r, &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // values.yaml, Chart.yaml and the base are still checked.
    assert!(text(&out).contains("in 3 files"), "{}", text(&out));

    // From a subdirectory, and with files named one by one (as pre-commit passes
    // them): the repository root's file still applies.
    let out = check(&r.join("charts"), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = check(
        &r.join("charts/app"),
        &["templates/configmap.yaml", "values.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("in 1 file"), "{}", text(&out));

    // --no-ignore-file checks everything again.
    let out = check(r, &["--no-ignore-file", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn nested_ignore_files_and_negation() {
    let dir = repo();
    let r = dir.path();
    write(r, "k8s/overlays/paper/sealedsecret.yaml", PLACEHOLDER);
    write(r, "k8s/overlays/dev/sealedsecret.yaml", PLACEHOLDER);
    write(
        r,
        ".empsealignore",
        "charts/*/templates/\nsealedsecret.yaml\n",
    );
    // A deeper file re-includes one path: the nearest file decides, as in git.
    write(
        r,
        "k8s/overlays/paper/.empsealignore",
        "!sealedsecret.yaml\n",
    );
    let out = check(r, &["--format", "json", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["./k8s/overlays/paper/sealedsecret.yaml"]);
}

#[test]
fn exclude_flag_is_repeatable_and_relative_to_the_current_directory() {
    let dir = repo();
    let r = dir.path();
    write(r, "k8s/overlays/paper/sealedsecret.yaml", PLACEHOLDER);
    let out = check(r, &["--exclude", "templates/", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains("templates"), "{}", text(&out));
    assert!(text(&out).contains("ES101"));
    let out = check(
        r,
        &[
            "--exclude",
            "charts/*/templates/*.yaml",
            "--exclude",
            "/k8s/overlays/paper/",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Anchored to the current directory: from k8s/, `/k8s/...` names nothing.
    let out = check(&r.join("k8s"), &["--exclude", "/k8s/overlays/paper/", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = check(&r.join("k8s"), &["--exclude", "/overlays/paper/", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn this_repository_is_clean_with_its_ignore_file() {
    // The pre-commit hooks run on this repository (CI: `pre-commit try-repo`); its
    // .empsealignore leaves out the deliberately broken fixtures, nothing else.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = check(repo, &["--no-git", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = check(repo, &["--no-git", "--no-ignore-file", "."]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_ignored_tracked_secrets_env_is_still_reported() {
    let dir = repo();
    let r = dir.path();
    write(r, "fixtures/paper-secrets.env", "API_KEY=x\n");
    write(r, ".empsealignore", "charts/*/templates/\n/fixtures/\n");
    git(r, &["add", "fixtures/paper-secrets.env"]);
    let out = check(r, &["."]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("error[ES502]"), "{}", text(&out));
    let out = check(r, &["--exclude", "fixtures/", "fixtures/paper-secrets.env"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
