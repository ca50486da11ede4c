//! `empseal env add`: a new environment from nothing that the first
//! `seal --env` works on, rendered by real kustomize, sealed values that open
//! with the certificate's private key, and refusals that change no file.

use std::collections::BTreeMap;
use std::path::Path;

use empseal_testkit::exit;
use empseal_testkit::files::{copy_dir, tree_snapshot};
use empseal_testkit::process::{all_output, empseal_in};
use empseal_testkit::repo_root;
use empseal_testkit::tools::require_tool;
use serde::Deserialize;

fn empseal(dir: &Path, args: &[&str]) -> std::process::Output {
    empseal_in(Path::new(crate::BIN), dir, args)
}

/// A copy of the repository's k8s/ tree and .gitignore.
fn repo() -> tempfile::TempDir {
    require_tool("kubectl");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("k8s"), &dir.path().join("k8s"));
    std::fs::copy(
        repo_root().join(".gitignore"),
        dir.path().join(".gitignore"),
    )
    .unwrap();
    dir
}

#[test]
fn a_new_env_is_sealed_by_its_first_seal_and_renders() {
    let dir = repo();
    let root = dir.path();
    let cert = repo_root().join("testdata/keys/demo-dev.crt");
    let before = tree_snapshot(root);
    let dry = empseal(root, &["env", "add", "uat", "--from", "paper", "--dry-run"]);
    assert!(dry.status.success(), "{}", all_output(&dry));
    assert_eq!(tree_snapshot(root), before, "--dry-run wrote");

    let out = empseal(
        root,
        &[
            "env",
            "add",
            "uat",
            "--from",
            "paper",
            "--cert",
            cert.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", all_output(&out));
    let text = all_output(&out);
    assert!(
        text.contains("namespace emp-system-uat, SealedSecret emp-secrets"),
        "{text}"
    );
    let overlay = root.join("k8s/overlays/uat");
    let example = std::fs::read_to_string(overlay.join("uat-secrets.env.example")).unwrap();
    let keys: Vec<&str> = example
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    // The keys the base's workloads name, plus paper's.
    assert_eq!(keys, ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"]);

    // A second add of the same name changes nothing.
    let snapshot = tree_snapshot(root);
    let again = empseal(root, &["env", "add", "uat"]);
    assert_eq!(
        again.status.code(),
        Some(exit::INPUT),
        "{}",
        all_output(&again)
    );
    assert!(all_output(&again).contains("already exists"));
    assert_eq!(tree_snapshot(root), snapshot);

    std::fs::write(overlay.join("uat-secrets.env"), &example).unwrap();
    let sealed = empseal(root, &["seal", "--env", "uat"]);
    assert!(sealed.status.success(), "{}", all_output(&sealed));
    let unsealed = empseal(
        root,
        &[
            "unseal",
            "--private-key",
            repo_root()
                .join("testdata/keys/demo-dev.key")
                .to_str()
                .unwrap(),
            "-f",
            overlay.join("sealedsecret.yaml").to_str().unwrap(),
        ],
    );
    assert!(unsealed.status.success(), "{}", all_output(&unsealed));
    let secret: serde_yaml::Value = serde_yaml::from_slice(&unsealed.stdout).unwrap();
    assert_eq!(secret["metadata"]["name"], "emp-secrets");
    assert_eq!(secret["metadata"]["namespace"], "emp-system-uat");
    let data: BTreeMap<String, String> = secret["data"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap();
            (
                k.as_str().unwrap().to_string(),
                String::from_utf8(bytes).unwrap(),
            )
        })
        .collect();
    assert_eq!(data["API_KEY"], "example-uat-api-key");
    assert_eq!(data.len(), 3);

    // Every Secret a rendered workload reads is the SealedSecret's, in its namespace.
    let rendered = std::process::Command::new("kubectl")
        .args(["kustomize"])
        .arg(&overlay)
        .output()
        .unwrap();
    assert!(rendered.status.success());
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_slice(&rendered.stdout)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .collect();
    let sealed: Vec<&serde_yaml::Value> = docs
        .iter()
        .filter(|d| d["kind"] == "SealedSecret")
        .collect();
    assert_eq!(sealed.len(), 1);
    assert_eq!(sealed[0]["metadata"]["name"], "emp-secrets");
    let text = String::from_utf8(rendered.stdout).unwrap();
    assert!(text.contains("name: emp-secrets\n"), "{text}");
    assert!(
        docs.iter().all(|d| d["metadata"]["namespace"]
            .as_str()
            .is_none_or(|ns| ns == "emp-system-uat")),
        "every namespaced object lands in emp-system-uat"
    );
}

#[test]
fn names_that_are_paths_or_taken_are_refused() {
    let dir = repo();
    let root = dir.path();
    let before = tree_snapshot(root);
    for (args, code, says) in [
        (
            vec!["env", "add", "../x"],
            exit::INPUT,
            "invalid environment name",
        ),
        (vec!["env", "add", "paper"], exit::INPUT, "already exists"),
        (
            vec!["env", "add", "uat", "--from", "papr"],
            exit::INPUT,
            "did you mean",
        ),
    ] {
        let out = empseal(root, &args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            all_output(&out)
        );
        let text = all_output(&out);
        assert!(text.contains(says), "{args:?}: {text}");
        assert_eq!(text.trim_end().lines().count(), 1, "{args:?}: {text}");
    }
    assert_eq!(tree_snapshot(root), before);
}
