//! This repository's paper overlay with its two SealedSecrets (the credentials
//! from paper-secrets.env, the ghcr.io image-pull secret from
//! pull-secret.dockerconfigjson, both configured in the root empseal.yaml):
//! sealed, rotated and rolled back by the real binary in a temporary git
//! repository made from this repository's k8s/, empseal.yaml and .gitignore,
//! rendered by the real `kubectl kustomize`, unsealed with the demo key its
//! committed demo pin belongs to.

use crate::lifecycle_support;

use std::collections::BTreeMap;
use std::process::Command;

use lifecycle_support::*;

const CREDENTIALS: &str = "k8s/overlays/paper/sealedsecret.yaml";
const PULL_SECRET: &str = "k8s/overlays/paper/pull-secret.yaml";
const ENV_FILE: &str = "k8s/overlays/paper/paper-secrets.env";
const DOCKER_CONFIG: &str = "k8s/overlays/paper/pull-secret.dockerconfigjson";

/// Registry credentials as `docker login` writes them: indented, with a final
/// newline (sealed as they are, byte for byte).
const DOCKER_CONFIG_V1: &[u8] =
    b"{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"ZW1wLWNpOnRva2VuLTE=\"\n\t\t}\n\t}\n}\n";
const DOCKER_CONFIG_V2: &[u8] = br#"{"auths":{"ghcr.io":{"auth":"ZW1wLWNpOnRva2VuLTI="}}}"#;
const ENV_V1: &[u8] =
    b"POSTGRES_PASSWORD=pg-paper-1\nREDIS_PASSWORD=redis-paper-1\nAPI_KEY=api-paper-1\n";

/// Every committed file a whole-env rollback restores: both sealed files,
/// their records and the rollout patches.
const COMMITTED: [&str; 7] = [
    CREDENTIALS,
    PULL_SECRET,
    "k8s/overlays/paper/sealing/record.yaml",
    "k8s/overlays/paper/sealing/pull-secret.record.yaml",
    "k8s/overlays/paper/empseal-rollout.yaml",
    "k8s/overlays/paper/empseal-rollout-cronjob.yaml",
    "k8s/overlays/paper/empseal-rollout-scaledjob.yaml",
];

const DIGEST: &str = "empseal.io/sealed-secrets-digest";

/// The project stack with paper's two plaintext sources in place.
fn paper_repo() -> Repo {
    let repo = project_repo();
    repo.write(ENV_FILE, ENV_V1);
    repo.write(DOCKER_CONFIG, DOCKER_CONFIG_V1);
    repo
}

/// Every file of the work tree (not .git) with its mode and bytes.
fn work_tree(repo: &Repo) -> Vec<(String, u32, Vec<u8>)> {
    tree_snapshot(repo.root())
        .into_iter()
        .filter(|(p, _, _)| p != ".git/" && !p.starts_with(".git/"))
        .collect()
}

/// The SealedSecret of `file` unsealed with paper's demo key: its type and data.
fn unsealed(repo: &Repo, file: &str) -> (Option<String>, BTreeMap<String, Vec<u8>>) {
    let sealed = read_sealed(&repo.read(file));
    let secret = kubeseal_core::unseal::unseal(&sealed, &[demo_key("paper")])
        .unwrap_or_else(|e| panic!("unseal {file}: {e}"));
    let data = secret
        .data
        .iter()
        .map(|(k, v)| (k.clone(), v.to_vec()))
        .collect();
    (secret.type_, data)
}

/// `encryptedData` of a sealed file as committed (key → ciphertext text).
fn ciphertexts(repo: &Repo, file: &str) -> BTreeMap<String, String> {
    read_sealed(&repo.read(file))
        .encrypted_data
        .into_iter()
        .collect()
}

/// `kubectl kustomize k8s/overlays/paper` in the repository.
fn render_paper(repo: &Repo) -> Vec<serde_yaml::Value> {
    use serde::Deserialize;
    let out = Command::new("kubectl")
        .args(["kustomize", "k8s/overlays/paper"])
        .current_dir(repo.root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl kustomize: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_yaml::Deserializer::from_slice(&out.stdout)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

/// Every scalar of a rendered object by its path (map keys and list indexes
/// joined with `/`).
fn leaves(v: &serde_yaml::Value, path: String, out: &mut BTreeMap<String, serde_yaml::Value>) {
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                let k = k.as_str().map(str::to_string).unwrap_or(format!("{k:?}"));
                leaves(v, format!("{path}/{k}"), out);
            }
        }
        serde_yaml::Value::Sequence(s) => {
            for (i, v) in s.iter().enumerate() {
                leaves(v, format!("{path}/{i}"), out);
            }
        }
        _ => {
            out.insert(path, v.clone());
        }
    }
}

/// `Kind/name/path` of every scalar that differs between two renders.
fn render_differences(before: &[serde_yaml::Value], after: &[serde_yaml::Value]) -> Vec<String> {
    let flat = |objs: &[serde_yaml::Value]| {
        let mut out = BTreeMap::new();
        for o in objs {
            let id = format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            );
            leaves(o, id, &mut out);
        }
        out
    };
    let (b, a) = (flat(before), flat(after));
    let mut paths: Vec<&String> = b.keys().chain(a.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| b.get(*p) != a.get(*p))
        .map(String::clone)
        .collect()
}

#[test]
fn seal_env_paper_seals_both_secrets_and_again_changes_no_byte() {
    let repo = paper_repo();
    let out = all_output(&repo.ok(&["seal", "--env", "paper"]));
    for name in ["emp-secrets-paper", "emp-registry-paper"] {
        assert!(out.contains(&format!("emp-system-paper/{name}")), "{out}");
    }

    // The pull secret: exactly the docker config file's bytes, typed.
    let (type_, data) = unsealed(&repo, PULL_SECRET);
    assert_eq!(type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
    assert_eq!(
        data,
        BTreeMap::from([(".dockerconfigjson".to_string(), DOCKER_CONFIG_V1.to_vec())])
    );
    let sealed = read_sealed(&repo.read(PULL_SECRET));
    assert_eq!(
        sealed.template.type_.as_deref(),
        Some("kubernetes.io/dockerconfigjson")
    );
    assert_eq!(sealed.metadata.name, "emp-registry-paper");
    // The credentials: exactly the env file's pairs, Opaque as committed.
    let (type_, data) = unsealed(&repo, CREDENTIALS);
    assert_eq!(type_.as_deref(), Some("Opaque"));
    let want: BTreeMap<String, Vec<u8>> = env_pairs(ENV_V1)
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    assert_eq!(data, want);
    // Both records written, the rollout patches carry a new digest.
    for f in COMMITTED {
        assert!(repo.path(f).is_file(), "{f}");
    }
    let changed = String::from_utf8(repo.git(&["status", "--porcelain"])).unwrap();
    assert!(
        changed.contains("k8s/overlays/paper/empseal-rollout.yaml"),
        "{changed}"
    );

    // Sealing again with nothing changed changes no byte of any file.
    let before = work_tree(&repo);
    let out = repo.ok(&["seal", "--env", "paper"]);
    assert!(
        work_tree(&repo) == before,
        "a no-op seal changed a file: {}",
        all_output(&out)
    );
}

#[test]
fn rotating_one_key_changes_only_its_ciphertext_and_the_digest_annotations() {
    let mut repo = paper_repo();
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "seal paper's two secrets");
    let (creds_before, pull_before) = (ciphertexts(&repo, CREDENTIALS), repo.read(PULL_SECRET));
    let values_before = unsealed(&repo, CREDENTIALS).1;
    let rendered_before = render_paper(&repo);

    repo.ok(ROTATE_API_KEY);

    // Files: only API_KEY's ciphertext, its record and the rollout patches.
    let creds_after = ciphertexts(&repo, CREDENTIALS);
    assert_ne!(creds_after["API_KEY"], creds_before["API_KEY"]);
    for (k, v) in &creds_before {
        if k != "API_KEY" {
            assert_eq!(&creds_after[k], v, "{k} was resealed");
        }
    }
    assert_eq!(creds_after.len(), creds_before.len());
    assert!(
        repo.read(PULL_SECRET) == pull_before,
        "the pull secret changed"
    );
    let changed = String::from_utf8(repo.git(&["status", "--porcelain"])).unwrap();
    let mut changed: Vec<&str> = changed.lines().map(|l| &l[3..]).collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "k8s/overlays/paper/empseal-rollout-cronjob.yaml",
            "k8s/overlays/paper/empseal-rollout-scaledjob.yaml",
            "k8s/overlays/paper/empseal-rollout.yaml",
            "k8s/overlays/paper/sealedsecret.yaml",
            "k8s/overlays/paper/sealing/record.yaml",
        ]
    );
    // Values: API_KEY is new, the others as they were.
    let values_after = unsealed(&repo, CREDENTIALS).1;
    assert_ne!(values_after["API_KEY"], values_before["API_KEY"]);
    for k in ["POSTGRES_PASSWORD", "REDIS_PASSWORD"] {
        assert_eq!(values_after[k], values_before[k], "{k}");
    }

    // The render: API_KEY's ciphertext and the digest annotation on the three
    // workloads reading paper's secrets, nothing else.
    let rendered_after = render_paper(&repo);
    let diff = render_differences(&rendered_before, &rendered_after);
    assert_eq!(
        diff,
        [
            format!("CronJob/emp-nightly-replay-paper/spec/jobTemplate/spec/template/metadata/annotations/{DIGEST}"),
            format!("Deployment/emp-app-paper/spec/template/metadata/annotations/{DIGEST}"),
            format!("ScaledJob/emp-replay-autoscaler-paper/spec/jobTargetRef/template/metadata/annotations/{DIGEST}"),
            "SealedSecret/emp-secrets-paper/spec/encryptedData/API_KEY".to_string(),
        ]
    );
    // The three carry the same new digest.
    let digest = |objs: &[serde_yaml::Value]| -> Vec<String> {
        let mut d: Vec<String> = objs
            .iter()
            .filter_map(|o| {
                let t = match o["kind"].as_str()? {
                    "Deployment" => &o["spec"]["template"],
                    "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"],
                    "ScaledJob" => &o["spec"]["jobTargetRef"]["template"],
                    _ => return None,
                };
                t["metadata"]["annotations"][DIGEST]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        d.dedup();
        d
    };
    let (b, a) = (digest(&rendered_before), digest(&rendered_after));
    assert_eq!((b.len(), a.len()), (1, 1), "{b:?} {a:?}");
    assert_ne!(b, a);
}

#[test]
fn rollback_of_the_whole_env_restores_both_secrets_records_and_rollout_patches() {
    let mut repo = paper_repo();
    repo.ok(&["seal", "--env", "paper"]);
    let first = repo.commit("Alice", "seal paper's two secrets");

    // Both secrets change: a rotated API key, new registry credentials.
    repo.ok(ROTATE_API_KEY);
    repo.write(DOCKER_CONFIG, DOCKER_CONFIG_V2);
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Bob", "rotate the API key and the registry token");
    let at = |rev: &str, path: &str| repo.git(&["show", &format!("{rev}:{path}")]);
    for f in COMMITTED {
        assert!(
            repo.read(f) != at(&first, f),
            "{f} did not change after {first}"
        );
    }

    repo.ok(&["rollback", "--env", "paper", "--to", &first]);
    for f in COMMITTED {
        assert!(repo.read(f) == at(&first, f), "{f} not restored");
    }
    assert_eq!(
        unsealed(&repo, PULL_SECRET).1[".dockerconfigjson"],
        DOCKER_CONFIG_V1
    );
}

#[test]
fn an_invalid_docker_config_fails_seal_in_one_line_and_changes_no_file() {
    let repo = paper_repo();
    // Valid JSON, but not the object the API server unmarshals it into.
    repo.write(DOCKER_CONFIG, b"[{\"auths\": {}}]\n");
    let before = work_tree(&repo);
    let out = repo.run(&["seal", "--env", "paper"]);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(DOCKER_CONFIG), "{err}");
    assert!(err.contains(".dockerconfigjson"), "{err}");
    assert!(work_tree(&repo) == before, "a failed seal changed a file");
}

/// `--secret` narrows `render` and `check` to one of paper's secrets: render
/// reseals only it (the other renders as committed), check reports only its
/// files and values plus what concerns the env as a whole.
#[test]
fn secret_narrows_render_and_check_to_one_secret() {
    let repo = paper_repo();
    let committed = ciphertexts(&repo, CREDENTIALS);

    let out = repo.ok(&[
        "render",
        "--env",
        "paper",
        "--secret",
        "emp-registry-paper",
        "--out-dir",
        "out",
    ]);
    let text = all_output(&out);
    assert!(
        text.contains("freshly sealed emp-system-paper/emp-registry-paper"),
        "{text}"
    );
    let rendered = String::from_utf8(repo.read("out/paper.yaml")).unwrap();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&rendered)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let sealed = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "SealedSecret" && d["metadata"]["name"] == name)
            .unwrap()
            .clone()
    };
    // The credentials render exactly as committed (placeholders) ...
    let credentials: BTreeMap<String, String> =
        serde_yaml::from_value(sealed("emp-secrets-paper")["spec"]["encryptedData"].clone())
            .unwrap();
    assert_eq!(credentials, committed);
    // ... and the pull secret is sealed from its file, for its rendered name.
    let pull = sealed("emp-registry-paper");
    let yaml = serde_yaml::to_string(&pull).unwrap();
    let data = unseal(&read_sealed(yaml.as_bytes()), demo_key("paper"));
    assert_eq!(
        data[".dockerconfigjson"].as_bytes(),
        DOCKER_CONFIG_V1,
        "the rendered pull secret opens to the docker config"
    );

    // check: the registry secret's findings and the env's; none of the others'.
    let out = repo.run(&["check", "--env", "paper", "--secret", "emp-registry-paper"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("pull-secret.yaml has no seal record"),
        "{text}"
    );
    assert!(
        text.contains("emp-registry-paper, key .dockerconfigjson"),
        "{text}"
    );
    assert!(
        text.contains("sealing/cert.pem"),
        "the env's pin stays: {text}"
    );
    assert!(!text.contains("emp-secrets-paper"), "{text}");
    assert!(!text.contains("sealedsecret.yaml"), "{text}");
    // The summary counts the one secret checked and its one value.
    assert!(
        text.contains("1 SealedSecret, 1 value)"),
        "the summary counts only the chosen secret: {text}"
    );
    let whole =
        String::from_utf8_lossy(&repo.run(&["check", "--env", "paper"]).stdout).into_owned();
    assert!(whole.contains("emp-secrets-paper, key API_KEY"), "{whole}");

    // An unknown name names the env's secrets; --secret needs exactly one env.
    for cmd in [&["check"][..], &["render", "--out-dir", "out2"][..]] {
        let mut args = cmd.to_vec();
        args.extend(["--env", "paper", "--secret", "emp-registri-paper"]);
        let o = repo.run(&args);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", all_output(&o));
        assert!(
            all_output(&o).contains("did you mean \"emp-registry-paper\""),
            "{}",
            all_output(&o)
        );
        let mut args = cmd.to_vec();
        args.extend(["--all-envs", "--secret", "emp-registry-paper"]);
        if cmd[0] == "render" {
            args = vec!["render", "--all", "--secret", "emp-registry-paper"];
        }
        let o = repo.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", all_output(&o));
    }
}
