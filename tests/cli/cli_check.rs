//! `empseal check` through the real binary on this repository's own k8s/ tree:
//! exactly the committed placeholders (and the demo pins, no records) are
//! reported; after pinning a controller certificate and `seal --env` the tree is
//! clean, directly and as kustomize renders it;
//! and `render --all --demo` output passes the check against each env's cert.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::BIN;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn empseal(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .expect("run empseal")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The committed sealed files: paper's credentials and image-pull secret,
/// prod's credentials.
const SEALED_FILES: [&str; 3] = [
    "k8s/overlays/paper/sealedsecret.yaml",
    "k8s/overlays/paper/pull-secret.yaml",
    "k8s/overlays/prod/sealedsecret.yaml",
];

/// (file, line, column) of every `AgAAAA` value in the committed sealed files,
/// found by plain text search (independently of the checker's YAML parser).
fn committed_placeholders() -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for rel in SEALED_FILES {
        let text = std::fs::read_to_string(repo().join(rel)).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(col) = line.find("AgAAAA") {
                out.push((rel.to_string(), i + 1, col + 1));
            }
        }
    }
    out
}

/// (file, line, column, code) of each JSON finding, sorted.
fn positions<'a>(
    findings: impl Iterator<Item = &'a serde_json::Value>,
) -> Vec<(String, usize, usize, String)> {
    let mut out: Vec<(String, usize, usize, String)> = findings
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
                f["column"].as_u64().unwrap() as usize,
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn reports_exactly_the_committed_placeholders() {
    // The repository's .empsealignore leaves the demo placeholders to `check --env`
    // and pre-commit; without it, `check k8s/` finds exactly them.
    let out = empseal(
        &["check", "--no-ignore-file", "--format", "json", "k8s/"],
        &repo(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = positions(report["findings"].as_array().unwrap().iter());
    let mut want: Vec<(String, usize, usize, String)> = committed_placeholders()
        .into_iter()
        .map(|(f, l, c)| (f, l, c, "ES101".to_string()))
        .collect();
    assert_eq!(
        want.len(),
        7,
        "three keys in paper's and prod's credentials, one in paper's pull secret"
    );
    // The committed paper and prod are demo material without a seal record:
    // the gate says so (a demo pin, ES702; no record for each sealed file, ES703)
    // until the first day's `cert fetch --env ENV --accept-new` and `seal --env ENV`.
    for env in ["paper", "prod"] {
        want.push((
            format!("k8s/overlays/{env}/sealing/cert.pem"),
            1,
            1,
            "ES702".into(),
        ));
    }
    for rel in SEALED_FILES {
        want.push((rel.to_string(), 1, 1, "ES703".into()));
    }
    want.sort();
    assert_eq!(got, want);
}

/// One file of an overlay brings the overlay's render: a sibling file's finding
/// that the file shows as written is reported at its place there (not as "only
/// in the render"), and the gate's findings carry the env's own commands.
#[test]
fn a_file_of_an_overlay_reports_its_siblings_in_place() {
    let out = empseal(
        &[
            "check",
            "--no-ignore-file",
            "--format",
            "json",
            "k8s/overlays/paper/sealedsecret.yaml",
        ],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let got = positions(findings.iter().filter(|f| f["code"] == "ES101"));
    let mut want: Vec<(String, usize, usize, String)> = committed_placeholders()
        .into_iter()
        .filter(|(f, _, _)| f.starts_with("k8s/overlays/paper/"))
        .map(|(f, l, c)| (f, l, c, "ES101".to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    for f in findings {
        let message = f["message"].as_str().unwrap();
        let hint = f["hint"].as_str().unwrap();
        assert!(!message.contains("only in the render"), "{f}");
        if f["code"] == "ES703" {
            assert!(
                !message.contains("empseal seal"),
                "the fix is the hint: {f}"
            );
            assert!(
                hint.contains("`empseal seal --env paper --all`") && !hint.contains("ENV"),
                "{f}"
            );
        }
    }
}

#[test]
fn a_freshly_sealed_tree_is_clean_directly_and_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&repo().join("k8s"), &root.join("k8s"));
    // empseal.yaml gives paper its second secret, the image-pull secret sealed
    // from a docker config file (real credentials: not the example's).
    std::fs::copy(repo().join("empseal.yaml"), root.join("empseal.yaml")).unwrap();
    std::fs::write(
        root.join("k8s/overlays/paper/pull-secret.dockerconfigjson"),
        r#"{"auths":{"ghcr.io":{"auth":"ZW1wLWNpOnBhcGVyLXRva2VuLTE="}}}"#,
    )
    .unwrap();
    for env in ["paper", "prod"] {
        let d = root.join(format!("k8s/overlays/{env}"));
        // The committed pins are demo material, which the gate refuses for a
        // sealed env (tests/cli/gate_keys.rs): pin a (test) controller certificate
        // as `cert fetch --env ENV --accept-new` does, and real values.
        let crt = repo().join("testdata/keys/rsa4096.crt");
        empseal_env::pin::pin_certificate(
            &empseal_env::pin::PinFiles::in_overlay(&d),
            &std::fs::read(&crt).unwrap(),
            "https://controller.test/v1/cert.pem",
            true,
            1_800_000_000,
        )
        .unwrap();
        std::fs::write(
            d.join(format!("{env}-secrets.env")),
            format!(
                "POSTGRES_PASSWORD={env}-pg-1\nREDIS_PASSWORD={env}-redis-1\nAPI_KEY={env}-api-1\n"
            ),
        )
        .unwrap();
        let out = empseal(&["seal", "--env", env], root);
        assert!(
            out.status.success(),
            "seal --env {env}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = empseal(&["check", "k8s/"], root);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for env in ["paper", "prod"] {
        let out = empseal(&["check", "--env", env], root);
        assert_eq!(
            out.status.code(),
            Some(0),
            "check --env {env}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // Against a certificate of another key size every value is flagged, each
    // in its own file (an overlay's files are checked together: a file of an
    // overlay brings its render, so its sibling sealed files are checked too).
    let cert = repo()
        .join("testdata/keys/rsa2048.crt")
        .display()
        .to_string();
    for (env, values) in [("paper", 4), ("prod", 3)] {
        let files: Vec<&str> = SEALED_FILES
            .iter()
            .copied()
            .filter(|f| f.starts_with(&format!("k8s/overlays/{env}/")))
            .collect();
        let mut args = vec!["check", "--cert", &cert, "--format", "json"];
        args.extend(&files);
        let out = empseal(&args, root);
        assert_eq!(out.status.code(), Some(1));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = report["findings"].as_array().unwrap();
        let codes: Vec<&str> = findings
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            vec!["ES201"; values],
            "{env} was sealed with a 4096-bit key"
        );
        for f in findings {
            assert!(files.contains(&f["file"].as_str().unwrap()), "{f}");
            assert!(
                !f["message"]
                    .as_str()
                    .unwrap()
                    .contains("only in the render"),
                "{f}"
            );
        }
    }
}

#[test]
fn demo_render_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("rendered");
    let o = out_dir.display().to_string();
    let out = empseal(&["render", "--all", "--demo", "--out-dir", &o], &repo());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for env in ["dev", "paper", "prod"] {
        let file = out_dir.join(format!("{env}.yaml"));
        assert!(file.exists(), "{env}.yaml rendered");
        let f = file.display().to_string();
        let cert = format!("k8s/overlays/{env}/sealing/cert.pem");
        let mut args = vec!["check", "--no-git", "--cert", &cert, &f];
        if env != "dev" {
            args.insert(1, "--sealed-only");
        }
        let out = empseal(&args, &repo());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{env}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
