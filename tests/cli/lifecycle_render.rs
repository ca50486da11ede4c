//! `empseal render`: real kustomize (kubectl), on the lifecycle fixture and on
//! this repository's own k8s/ tree (the README's first command).

use crate::lifecycle_support;

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use empseal_env::overlay::{parse_rendered, RenderedObject};
use kubeseal_core::secret::{ObjectMeta, SealedSecret};
use lifecycle_support::*;

/// Every object of a rendered file, as generic YAML.
fn docs(bytes: &[u8]) -> Vec<serde_yaml::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_slice(bytes)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn sealed_of(o: &RenderedObject) -> SealedSecret {
    SealedSecret {
        metadata: ObjectMeta {
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            annotations: o.annotations.clone(),
            ..Default::default()
        },
        encrypted_data: o.encrypted_data.clone(),
        ..Default::default()
    }
}

/// The SealedSecrets of a rendered file, each unsealed with `key`.
fn unseal_rendered(bytes: &[u8], env: &str) -> Vec<(RenderedObject, BTreeMap<String, String>)> {
    parse_rendered("rendered", bytes)
        .unwrap()
        .into_iter()
        .filter(|o| o.kind == "SealedSecret")
        .map(|o| {
            // The controller refuses a template that disagrees with the object.
            if let Some(n) = &o.template_name {
                assert_eq!(n, &o.name);
            }
            if let Some(ns) = &o.template_namespace {
                assert_eq!(ns, &o.namespace);
            }
            let plain = unseal(&sealed_of(&o), demo_key(env));
            (o, plain)
        })
        .collect()
}

/// Plain `Secret` data of a rendered file (dev's generated Secret), decoded.
fn secret_data(bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    docs(bytes)
        .into_iter()
        .filter(|d| d["kind"] == "Secret")
        .map(|d| {
            d["data"]
                .as_mapping()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(v.as_str().unwrap())
                        .unwrap();
                    (
                        k.as_str().unwrap().to_string(),
                        String::from_utf8(raw).unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

fn kubectl_kustomize(dir: &Path) -> Vec<u8> {
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn render_all_demo_seals_the_examples_and_never_touches_the_working_tree() {
    let repo = pinned_repo();
    // Real env files with other values exist: --demo must not use them.
    repo.write(
        "k8s/overlays/paper/paper-secrets.env",
        b"POSTGRES_PASSWORD=real-pg\nREDIS_PASSWORD=real-redis\nAPI_KEY=real-api\n",
    );
    repo.write(
        "k8s/overlays/dev/dev-secrets.env",
        b"POSTGRES_PASSWORD=real-dev-pg\nREDIS_PASSWORD=real-dev-redis\n",
    );
    let out_dir = tempfile::tempdir().unwrap();
    let before = tree_hash(repo.root(), &[]);
    let out = repo.ok(&[
        "render",
        "--all",
        "--demo",
        "--out-dir",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        tree_hash(repo.root(), &[]),
        before,
        "render changed the working tree"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("rendering ["),
        "progress bar drawn on a non-terminal: {stderr}"
    );
    let mut files: Vec<String> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["dev.yaml", "paper.yaml", "prod.yaml"]);

    for env in ["paper", "prod"] {
        let example =
            env_pairs(&repo.read(&format!("k8s/overlays/{env}/{env}-secrets.env.example")));
        let rendered = std::fs::read(out_dir.path().join(format!("{env}.yaml"))).unwrap();
        let sealed = unseal_rendered(&rendered, env);
        assert_eq!(sealed.len(), 1, "{env}");
        assert_eq!(sealed[0].0.name, format!("emp-secrets-{env}"));
        assert_eq!(sealed[0].0.namespace, format!("emp-system-{env}"));
        assert_eq!(
            sealed[0].1, example,
            "{env}: unsealed values are not the examples"
        );
        for v in sealed[0].0.encrypted_data.values() {
            assert!(
                !v.starts_with("AgAAAA"),
                "{env}: placeholder left in the output"
            );
        }
        // Everything else is exactly what kustomize renders from the working tree.
        let direct = docs(&kubectl_kustomize(
            &repo.path(&format!("k8s/overlays/{env}")),
        ));
        let ours = docs(&rendered);
        let strip = |v: Vec<serde_yaml::Value>| -> Vec<serde_yaml::Value> {
            v.into_iter()
                .filter(|d| d["kind"] != "SealedSecret")
                .collect()
        };
        assert_eq!(strip(ours), strip(direct), "{env}");
    }
    let dev = std::fs::read(out_dir.path().join("dev.yaml")).unwrap();
    assert_eq!(
        secret_data(&dev),
        [env_pairs(
            &repo.read("k8s/overlays/dev/dev-secrets.env.example")
        )],
        "dev's generator must read the example with --demo"
    );
}

/// Creates a directory holding a copy of an env file, its mtime `secs` seconds
/// in the past.
fn aged_dir(path: &Path, secs: u64) {
    std::fs::create_dir(path).unwrap();
    std::fs::write(path.join("paper-secrets.env"), b"A=1\n").unwrap();
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    std::fs::File::open(path).unwrap().set_modified(t).unwrap();
}

/// Without `--demo` the render's copy of the tree holds every env's plaintext
/// env files: kustomize reads it in a directory only its user can enter, and a
/// render removes the copies that killed renders of the same user left behind
/// (older than an hour), nothing else.
#[test]
fn render_copies_the_tree_into_a_private_directory_and_sweeps_stale_copies() {
    use std::os::unix::fs::MetadataExt;
    let repo = pinned_repo();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let hours = |n: u64| n * 3600;
    aged_dir(&t.join("empseal-render-killed"), hours(2));
    aged_dir(&t.join("empseal-render-running"), 0);
    aged_dir(&t.join("other-empseal-render-old"), hours(2));
    // Another user's stale copy (only root can make one here).
    let someone_else = t.join("empseal-render-someone-else");
    aged_dir(&someone_else, hours(2));
    let as_root = std::fs::metadata(t).unwrap().uid() == 0;
    if as_root {
        std::os::unix::fs::chown(&someone_else, Some(65534), None).unwrap();
    } else {
        std::fs::remove_dir_all(&someone_else).unwrap();
    }
    // A kustomize stand-in first on PATH: records the mode of each render
    // directory holding a copy, then builds with kubectl.
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("modes");
    let stand_in = tools.path().join("kustomize");
    std::fs::write(
        &stand_in,
        format!(
            "#!/bin/sh\nfor d in \"$TMPDIR\"/empseal-render-*; do\n  [ -d \"$d/root\" ] && stat -c '%a %n' \"$d\" >> '{}'\ndone\nexec kubectl kustomize \"$2\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &stand_in,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin())
        .current_dir(repo.root())
        .args(["render", "--env", "paper", "--out-dir"])
        .arg(out_dir.path())
        .env_remove("SEALED_SECRETS_CERT")
        .env("TMPDIR", t)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let modes = std::fs::read_to_string(&log).unwrap();
    assert!(!modes.is_empty(), "kustomize saw no render directory");
    for line in modes.lines() {
        assert!(line.starts_with("700 "), "not private: {line}");
    }
    let mut left: Vec<String> = std::fs::read_dir(t)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut expected = vec!["empseal-render-running", "other-empseal-render-old"];
    if as_root {
        expected.insert(1, "empseal-render-someone-else");
    }
    assert_eq!(
        left, expected,
        "the killed render's copy is swept, and its own"
    );
}

#[test]
fn render_without_demo_seals_the_real_env_files() {
    let repo = pinned_repo();
    repo.write(
        "k8s/overlays/paper/paper-secrets.env",
        b"POSTGRES_PASSWORD=real-pg\nREDIS_PASSWORD=real-redis\nAPI_KEY=real-api\n",
    );
    let out_dir = tempfile::tempdir().unwrap();
    let before = tree_hash(repo.root(), &[]);
    let out = repo.ok(&[
        "render",
        "--env",
        "paper",
        "--out-dir",
        out_dir.path().to_str().unwrap(),
    ]);
    assert!(!all_output(&out).contains("real-pg"));
    assert_eq!(tree_hash(repo.root(), &[]), before);
    let rendered = std::fs::read(out_dir.path().join("paper.yaml")).unwrap();
    let sealed = unseal_rendered(&rendered, "paper");
    assert_eq!(
        sealed[0].1,
        env_pairs(&repo.read("k8s/overlays/paper/paper-secrets.env"))
    );
    assert!(!out_dir.path().join("prod.yaml").exists());

    // A missing env file is an input error that suggests --demo; nothing written.
    std::fs::copy(
        repo.path("k8s/overlays/dev/dev-secrets.env.example"),
        repo.path("k8s/overlays/dev/dev-secrets.env"),
    )
    .unwrap();
    std::fs::remove_file(repo.path("k8s/overlays/prod/prod-secrets.env")).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = repo.run(&[
        "render",
        "--all",
        "--out-dir",
        empty.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("prod-secrets.env: missing"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn render_fails_naming_both_names_when_kustomize_moves_a_sealed_secret() {
    // 1. prod's overlay renames the SealedSecret but not its template.
    let repo = pinned_repo();
    let k = "k8s/overlays/prod/kustomization.yaml";
    let text = String::from_utf8(repo.read(k)).unwrap();
    repo.write(
        k,
        text.replace("configurations:\n  - kustomizeconfig.yaml\n", "")
            .as_bytes(),
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = repo.run(&[
        "render",
        "--env",
        "prod",
        "--demo",
        "--out-dir",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(9), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("emp-system-prod/emp-secrets-prod") && err.contains("\"emp-secrets\""),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!out_dir.path().join("prod.yaml").exists());

    // 2. empseal.yaml says the secret is deployed under another name than the one
    //    kustomize renders: the strict values would not decrypt.
    let repo = pinned_repo();
    repo.write(
        "empseal.yaml",
        b"envs:\n  paper:\n    secretName: emp-secrets-old\n    secretNamespace: emp-system-paper\n",
    );
    let out = repo.run(&[
        "render",
        "--env",
        "paper",
        "--demo",
        "--out-dir",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(9), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("emp-system-paper/emp-secrets-paper")
            && err.contains("emp-system-paper/emp-secrets-old"),
        "{err}"
    );
    // seal --env with the same wrong config is caught at render time, and a
    // namespace-wide scope tolerates the rename.
    repo.write(
        "empseal.yaml",
        b"envs:\n  paper:\n    secretName: emp-secrets-old\n    secretNamespace: emp-system-paper\n    scope: namespace-wide\n",
    );
    let out = repo.run(&[
        "render",
        "--env",
        "paper",
        "--demo",
        "--out-dir",
        out_dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", all_output(&out));
    let rendered = std::fs::read(out_dir.path().join("paper.yaml")).unwrap();
    let sealed = unseal_rendered(&rendered, "paper");
    assert_eq!(
        sealed[0]
            .0
            .annotations
            .get("sealedsecrets.bitnami.com/namespace-wide")
            .map(String::as_str),
        Some("true")
    );
}

#[test]
fn render_all_demo_on_this_repository_as_the_readme_says() {
    require_tool("kubectl");
    let root = project();
    assert!(
        root.join("k8s/overlays").is_dir(),
        "this repository has no k8s/overlays yet"
    );
    let out_dir = tempfile::tempdir().unwrap();
    let hash = || {
        format!(
            "{}{}",
            tree_hash(&root.join("k8s"), &[]),
            std::fs::read(root.join("empseal.yaml"))
                .map(|b| b.len())
                .unwrap_or(0)
        )
    };
    let before = hash();
    let out = empseal(
        &root,
        &[
            "render",
            "--all",
            "--demo",
            "--out-dir",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(
        hash(),
        before,
        "render --demo modified the repository's k8s/ tree"
    );
    let ws = empseal_env::overlay::Workspace::open(&root).unwrap();
    let envs = ws.envs().unwrap();
    assert!(envs.len() >= 3, "{envs:?}");
    for env in &envs {
        let rendered = std::fs::read(out_dir.path().join(format!("{}.yaml", env.name)))
            .unwrap_or_else(|e| panic!("{}: {e}", env.name));
        let example =
            env_pairs(&std::fs::read(env.primary().example_env_file.as_ref().unwrap()).unwrap());
        if env.is_sealed() {
            // One SealedSecret per secret of the env (paper: its credentials
            // and its image-pull secret), each unsealing to exactly its
            // committed examples: the example env file's pairs, each `files:`
            // key's PATH.example bytes.
            let mut want: Vec<BTreeMap<String, String>> = env
                .secrets
                .iter()
                .map(|s| {
                    let mut m = s
                        .example_env_file
                        .as_ref()
                        .map(|e| env_pairs(&std::fs::read(e).unwrap()))
                        .unwrap_or_default();
                    for (k, p) in &s.files {
                        let ex = std::fs::read(format!("{}.example", p.display())).unwrap();
                        m.insert(k.clone(), String::from_utf8(ex).unwrap());
                    }
                    m
                })
                .collect();
            want.sort();
            let mut sealed: Vec<BTreeMap<String, String>> = unseal_rendered(&rendered, &env.name)
                .into_iter()
                .map(|(_, plain)| plain)
                .collect();
            sealed.sort();
            assert_eq!(sealed, want, "{}", env.name);
            assert!(want.contains(&example), "{}", env.name);
            if env.name == "paper" {
                assert_eq!(want.len(), 2, "paper's credentials and pull secret");
            }
            assert!(
                secret_data(&rendered).is_empty(),
                "{}: a plaintext Secret in a sealed env",
                env.name
            );
        } else {
            assert_eq!(secret_data(&rendered), [example], "{}", env.name);
        }
    }
}

#[test]
fn a_bad_generator_env_file_is_reported_by_line_without_its_value() {
    let repo = pinned_repo();
    repo.write(
        "k8s/overlays/dev/dev-secrets.env",
        b"POSTGRES_PASSWORD=ok\nREDIS_PASSWORD=\xff\xfetopsecret-dev\n",
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = repo.run(&[
        "render",
        "--env",
        "dev",
        "--out-dir",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dev-secrets.env:2"), "{err}");
    assert!(!all_output(&out).contains("topsecret"), "{err}");
}

#[test]
fn a_missing_generator_env_file_suggests_the_example_or_demo() {
    let repo = pinned_repo();
    let out_dir = tempfile::tempdir().unwrap();
    let out = repo.run(&[
        "render",
        "--env",
        "dev",
        "--out-dir",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("k8s/overlays/dev/dev-secrets.env: missing")
            && err.contains("dev-secrets.env.example")
            && err.contains("--demo"),
        "{err}"
    );
}

#[test]
fn a_broken_overlay_in_one_env_writes_no_file_for_any_env() {
    let repo = pinned_repo();
    // prod and paper both fail at build time (while dev renders): the first
    // env's error, in name order, is the one reported, however the parallel
    // builds finish.
    for env in ["paper", "prod"] {
        let k = format!("k8s/overlays/{env}/kustomization.yaml");
        let text = String::from_utf8(repo.read(&k)).unwrap();
        repo.write(
            &k,
            text.replace(
                "  - sealedsecret.yaml\n",
                &format!("  - sealedsecret.yaml\n  - missing-{env}.yaml\n"),
            )
            .as_bytes(),
        );
    }
    let out_dir = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        let out = repo.run(&[
            "render",
            "--all",
            "--demo",
            "--out-dir",
            out_dir.path().to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(9), "{}", all_output(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("k8s/overlays/paper") && err.contains("missing-paper.yaml"),
            "{err}"
        );
        assert!(!err.contains("missing-prod.yaml"), "{err}");
        assert_eq!(std::fs::read_dir(out_dir.path()).unwrap().count(), 0);
    }
}
