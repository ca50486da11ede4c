//! Environments with several sealed secrets (`envs.<env>.secrets:` in
//! empseal.yaml): an Opaque secret from an env file, an image-pull secret and a
//! TLS secret from files, sealed, rotated, listed and rolled back together or
//! one by one (`--secret NAME`), with the real binary, kustomize and git.

use crate::lifecycle_support;

use lifecycle_support::*;

const MAIN: &str = "k8s/overlays/paper/sealedsecret.yaml";
const REGISTRY: &str = "k8s/overlays/paper/registry.yaml";
const TLS: &str = "k8s/overlays/paper/tls.yaml";
const DOCKERCONFIG: &[u8] = br#"{"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}}"#;

const CONFIG: &str = "envs:
  paper:
    secrets:
      - sealedSecret: k8s/overlays/paper/sealedsecret.yaml
        envFile: k8s/overlays/paper/paper-secrets.env
      - sealedSecret: k8s/overlays/paper/registry.yaml
        type: kubernetes.io/dockerconfigjson
        files:
          .dockerconfigjson: secrets/paper/dockerconfig.json
      - sealedSecret: k8s/overlays/paper/tls.yaml
        type: kubernetes.io/tls
        files:
          tls.crt: secrets/paper/tls.crt
          tls.key: secrets/paper/tls.key
";

/// Every committed or local file the three secrets own.
const OWNED: [&str; 9] = [
    MAIN,
    REGISTRY,
    TLS,
    "k8s/overlays/paper/sealing/record.yaml",
    "k8s/overlays/paper/sealing/registry.record.yaml",
    "k8s/overlays/paper/sealing/tls.record.yaml",
    "k8s/overlays/paper/.paper-secrets.state",
    "k8s/overlays/paper/.registry.state",
    "k8s/overlays/paper/.tls.state",
];

fn placeholder(name: &str, keys: &[&str]) -> Vec<u8> {
    let data: String = keys
        .iter()
        .map(|k| format!("    {k}: AgAAAA...{name}\n"))
        .collect();
    format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: emp-system-paper\nspec:\n  encryptedData:\n{data}  template:\n    metadata:\n      name: {name}\n      namespace: emp-system-paper\n"
    )
    .into_bytes()
}

/// The lifecycle repository with paper's three secrets configured.
fn multi_repo() -> Repo {
    let repo = pinned_repo();
    repo.write(
        REGISTRY,
        &placeholder("emp-registry", &[".dockerconfigjson"]),
    );
    repo.write(TLS, &placeholder("emp-tls", &["tls.crt", "tls.key"]));
    let k = String::from_utf8(repo.read("k8s/overlays/paper/kustomization.yaml")).unwrap();
    repo.write(
        "k8s/overlays/paper/kustomization.yaml",
        k.replace(
            "  - sealedsecret.yaml\n",
            "  - sealedsecret.yaml\n  - registry.yaml\n  - tls.yaml\n",
        )
        .as_bytes(),
    );
    repo.write("empseal.yaml", CONFIG.as_bytes());
    std::fs::create_dir_all(repo.path("secrets/paper")).unwrap();
    repo.write("secrets/paper/dockerconfig.json", DOCKERCONFIG);
    repo.write(
        "secrets/paper/tls.crt",
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    repo.write(
        "secrets/paper/tls.key",
        b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
    );
    let mut ignore = repo.read(".gitignore");
    ignore.extend_from_slice(b"/secrets/\n");
    repo.write(".gitignore", &ignore);
    repo
}

fn snapshot(repo: &Repo) -> Vec<Option<Vec<u8>>> {
    OWNED
        .iter()
        .map(|f| std::fs::read(repo.path(f)).ok())
        .collect()
}

fn unsealed(repo: &Repo, file: &str) -> std::collections::BTreeMap<String, String> {
    unseal(&read_sealed(&repo.read(file)), demo_key("paper"))
}

#[test]
fn three_secrets_seal_rotate_list_and_roll_back_together_or_one_by_one() {
    let mut repo = multi_repo();

    // One `seal --env` seals all three, each for its rendered name.
    let out = all_output(&repo.ok(&["seal", "--env", "paper"]));
    for name in ["emp-secrets-paper", "emp-registry", "emp-tls"] {
        assert!(
            out.contains(&format!("emp-system-paper/{name} (strict)")),
            "{out}"
        );
    }
    // Each unseals to exactly its sources.
    let env_values = env_pairs(&repo.read("k8s/overlays/paper/paper-secrets.env"));
    assert_eq!(unsealed(&repo, MAIN), env_values);
    assert_eq!(
        unsealed(&repo, REGISTRY),
        [(
            ".dockerconfigjson".to_string(),
            String::from_utf8(DOCKERCONFIG.to_vec()).unwrap()
        )]
        .into()
    );
    let tls = unsealed(&repo, TLS);
    assert_eq!(tls.keys().collect::<Vec<_>>(), ["tls.crt", "tls.key"]);
    assert_eq!(
        tls["tls.key"].as_bytes(),
        &repo.read("secrets/paper/tls.key")[..]
    );
    assert_eq!(
        read_sealed(&repo.read(REGISTRY)).template.type_.as_deref(),
        Some("kubernetes.io/dockerconfigjson")
    );
    assert_eq!(
        read_sealed(&repo.read(TLS)).template.type_.as_deref(),
        Some("kubernetes.io/tls")
    );
    assert_eq!(read_sealed(&repo.read(MAIN)).template.type_, None);

    // Sealing again with nothing changed changes no byte of any file.
    let before = snapshot(&repo);
    assert!(
        before.iter().all(Option::is_some),
        "a secret's file is missing"
    );
    repo.ok(&["seal", "--env", "paper"]);
    assert!(before == snapshot(&repo), "a no-op seal rewrote a file");
    let first = repo.commit("Alice", "Seal paper's three secrets");
    let first_files = snapshot(&repo);

    // Rotating one key of one secret leaves the other secrets' files as they were.
    repo.ok(ROTATE_API_KEY);
    let after = snapshot(&repo);
    assert_ne!(after[0], first_files[0], "the rotated secret changed");
    for i in [1, 2, 4, 5, 7, 8] {
        assert!(after[i] == first_files[i], "{} changed", OWNED[i]);
    }
    let rotated = unsealed(&repo, MAIN);
    assert_ne!(rotated["API_KEY"], env_values["API_KEY"]);
    assert_eq!(rotated["REDIS_PASSWORD"], env_values["REDIS_PASSWORD"]);
    repo.commit("Bob", "Rotate paper's API key");

    // A key held by no chosen secret, a files: key with --generate, an unknown name.
    let o = repo.run(&["rotate", "--env", "paper", "--key", "tls.key", "--generate"]);
    assert_eq!(o.status.code(), Some(3), "{}", all_output(&o));
    assert!(
        all_output(&o).contains("never writes"),
        "{}",
        all_output(&o)
    );
    let o = repo.run(&["seal", "--env", "paper", "--secret", "emp-tsl"]);
    assert_eq!(o.status.code(), Some(3), "{}", all_output(&o));
    let err = all_output(&o);
    assert!(
        err.contains("env paper has no secret \"emp-tsl\"")
            && err.contains("emp-tls")
            && err.contains("emp-registry, emp-tls"),
        "{err}"
    );

    // History per secret: the main secret changed twice, the TLS secret once.
    let out = all_output(&repo.ok(&["history", "--env", "paper"]));
    assert!(
        out.contains("secret emp-secrets-paper (k8s/overlays/paper/sealedsecret.yaml):"),
        "{out}"
    );
    assert!(
        out.contains("secret emp-tls (k8s/overlays/paper/tls.yaml):"),
        "{out}"
    );
    let json = repo.ok(&[
        "history", "--env", "paper", "--secret", "emp-tls", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["secret"], "emp-tls");
    assert_eq!(v[0]["versions"].as_array().unwrap().len(), 1);
    let json = repo.ok(&[
        "history",
        "--env",
        "paper",
        "--secret",
        "emp-secrets-paper",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["versions"].as_array().unwrap().len(), 2);

    // Rolling the whole env back restores every secret's files byte for byte.
    repo.ok(&["rollback", "--env", "paper", "--to", &first]);
    let restored = snapshot(&repo);
    for i in 0..6 {
        assert!(restored[i] == first_files[i], "{} not restored", OWNED[i]);
    }
    // The local states were reset: the next seal reseals every key.
    assert!(restored[6..].iter().all(Option::is_none));
}

#[test]
fn secrets_config_errors_name_the_line() {
    let repo = multi_repo();
    let cases: [(&str, &str); 3] = [
        (
            "envs:\n  paper:\n    envFile: x.env\n    secrets:\n      - sealedSecret: a.yaml\n        envFile: a.env\n",
            "empseal.yaml:3: envs.paper sets both secrets: and envFile:; move envFile into the secrets: entry",
        ),
        (
            "envs:\n  paper:\n    secrets:\n      - sealedSecret: a.yaml\n        envFile: a.env\n      - sealedSecret: ./a.yaml\n        envFile: b.env\n",
            "empseal.yaml:6: envs.paper.secrets[1] has the same sealedSecret as secrets[0]",
        ),
        (
            "envs:\n  paper:\n    secrets:\n      - sealedSecret: a.yaml\n        envFile: a.env\n      - sealedSecret: b.yaml\n",
            "empseal.yaml:6: envs.paper.secrets[1] (b.yaml) has no source",
        ),
    ];
    for (config, want) in cases {
        repo.write("empseal.yaml", config.as_bytes());
        let o = repo.run(&["seal", "--env", "paper"]);
        assert_eq!(o.status.code(), Some(3), "{}", all_output(&o));
        assert!(
            all_output(&o).contains(want),
            "{config}\n{}",
            all_output(&o)
        );
    }
}

/// `rotate --key K` without `--secret` rotates K in the one secret whose
/// sources hold it, whichever that is; a key no secret holds names them all.
#[test]
fn rotate_finds_the_secret_holding_the_key() {
    let mut repo = multi_repo();
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "Seal paper's three secrets");
    let sealed = snapshot(&repo);

    // A key of the env file: only the main secret changes.
    repo.ok(&[
        "rotate",
        "--env",
        "paper",
        "--key",
        "REDIS_PASSWORD",
        "--generate",
    ]);
    let after = snapshot(&repo);
    assert!(after[0] != sealed[0], "REDIS_PASSWORD's secret changed");
    for i in [1, 2, 4, 5] {
        assert!(after[i] == sealed[i], "{} changed", OWNED[i]);
    }
    let env_values = env_pairs(&repo.read("k8s/overlays/paper/paper-secrets.env"));
    assert_eq!(unsealed(&repo, MAIN), env_values);

    // A files: key, its file edited by hand: only the registry secret changes,
    // to the file's new bytes.
    let new_config = br#"{"auths":{"registry.example":{"auth":"dXNlcjpuZXc="}}}"#;
    repo.write("secrets/paper/dockerconfig.json", new_config);
    let before = snapshot(&repo);
    repo.ok(&["rotate", "--env", "paper", "--key", ".dockerconfigjson"]);
    let after = snapshot(&repo);
    assert!(after[1] != before[1], "the registry secret changed");
    for i in [0, 2, 3, 5] {
        assert!(after[i] == before[i], "{} changed", OWNED[i]);
    }
    assert_eq!(
        unsealed(&repo, REGISTRY)[".dockerconfigjson"].as_bytes(),
        &new_config[..]
    );

    // A key no secret holds: exit 3, every secret named, nothing written.
    let before = snapshot(&repo);
    let o = repo.run(&["rotate", "--env", "paper", "--key", "NOPE", "--generate"]);
    assert_eq!(o.status.code(), Some(3), "{}", all_output(&o));
    let err = all_output(&o);
    assert!(
        err.contains("no secret holds key NOPE")
            && err.contains("emp-secrets-paper, emp-registry, emp-tls"),
        "{err}"
    );
    assert!(snapshot(&repo) == before, "a refused rotate wrote");
}
