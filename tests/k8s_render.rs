//! The committed k8s/ layout renders with the real kustomize (kubectl
//! kustomize) for dev, paper and prod, and every rendered object is valid and
//! consistent: schemas (kubernetes-validate, the CRDs vendored in testdata/crds),
//! SealedSecret names, references, namespaces, the seeds' values, and no
//! per-env difference outside the overlays' patches.

#[path = "k8s/common.rs"]
mod common;

use common::*;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn every_overlay_renders_and_every_object_is_valid() {
    let tree = Tree::new();
    for env in ENVS {
        let f = tree.check_env(env);
        assert!(f.is_empty(), "{env}: {f:#?}");
        // The kinds the layout promises, once each (two service accounts).
        let objs = docs(&tree.render(env));
        let mut kinds: Vec<&str> = objs.iter().map(|o| s(&o["kind"])).collect();
        kinds.sort();
        let secret_kind = if env == "dev" {
            "Secret"
        } else {
            "SealedSecret"
        };
        let mut want = vec![
            "ConfigMap",
            "CronJob",
            "Deployment",
            "Ingress",
            "Namespace",
            "ScaledJob",
            "Service",
            "ServiceAccount",
            "ServiceAccount",
            "TriggerAuthentication",
            secret_kind,
        ];
        want.sort();
        assert_eq!(kinds, want, "{env}");
    }
}

#[test]
fn rendered_objects_are_valid_for_the_oldest_and_newest_supported_kubernetes() {
    // 1.30 is the documented minimum (CronJob timeZone is GA since 1.27);
    // the newest is the newest schema set kubernetes-validate ships.
    let newest = String::from_utf8(
        Command::new("python3")
            .args([
                "-c",
                "import kubernetes_validate.utils as u; print(u.latest_version())",
            ])
            .output()
            .expect("python3")
            .stdout,
    )
    .unwrap();
    let newest = newest.trim().rsplitn(2, '.').last().unwrap().to_string();
    let tree = Tree::new();
    for env in ENVS {
        let rendered = tree.render(env);
        for v in ["1.30", newest.as_str()] {
            let f = check_version(
                &rendered,
                &["--external-claim".into(), "emp-reports-pvc".into()],
                Some(v),
            );
            assert!(f.is_empty(), "{env} against Kubernetes {v}: {f:#?}");
        }
    }
}

#[test]
fn base_has_no_secret_and_lacks_only_emp_secrets() {
    let tree = Tree::new();
    let base = tree.render("base");
    let objs = docs(&base);
    assert!(
        objs.iter()
            .all(|o| o["kind"] != "Secret" && o["kind"] != "SealedSecret"),
        "base must not carry a Secret"
    );
    assert!(
        !walkdir(&repo().join("k8s/base"))
            .iter()
            .any(|p| p.ends_with(".env")),
        "base must not carry an env file"
    );
    // Everything base references resolves inside base, except the Secret
    // the overlays provide.
    let f = check(
        &base,
        &["--external-claim".into(), "emp-reports-pvc".into()],
    );
    assert!(
        !f.is_empty(),
        "base references emp-secrets, which only overlays produce"
    );
    for x in &f {
        assert_eq!(x.code, "dangling-secret-ref", "{x:#?}");
        assert!(x.message.contains("Secret None/emp-secrets "), "{x:#?}");
    }
}

fn walkdir(dir: &std::path::Path) -> Vec<String> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn sealed_secrets_keep_their_final_names_and_every_reference_uses_them() {
    let tree = Tree::new();
    for sp in SPECS.iter().filter(|s| s.sealed) {
        let rendered = tree.render(sp.env);
        let objs = docs(&rendered);
        let ss = one(&objs, "SealedSecret");
        // Rendered exactly as committed: kustomize did not touch it.
        let file = docs(&tree.read(&format!("k8s/overlays/{}/sealedsecret.yaml", sp.env)));
        assert_eq!(file.len(), 1);
        assert_eq!(
            ss, &file[0],
            "{}: kustomize changed the SealedSecret",
            sp.env
        );
        // Final name and namespace in both metadata blocks.
        for md in [&ss["metadata"], &ss["spec"]["template"]["metadata"]] {
            assert_eq!(md["name"], sp.secret, "{}", sp.env);
            assert_eq!(md["namespace"], sp.namespace, "{}", sp.env);
        }
        // Every Secret reference names it, from every kind that refers to it.
        let secret_refs: Vec<Ref> = refs(&rendered)
            .into_iter()
            .filter(|r| r.kind == "Secret")
            .collect();
        let keys: BTreeSet<&str> = ss["spec"]["encryptedData"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(s)
            .collect();
        for r in &secret_refs {
            assert_eq!(r.name.as_deref(), Some(sp.secret), "{r:#?}");
            assert_eq!(r.namespace.as_deref(), Some(sp.namespace), "{r:#?}");
            if let Some(k) = &r.key {
                assert!(keys.contains(k.as_str()), "{r:#?}");
            }
        }
        let referrers: BTreeSet<&str> = secret_refs
            .iter()
            .map(|r| r.object.split('/').next().unwrap())
            .collect();
        assert_eq!(
            referrers,
            BTreeSet::from([
                "CronJob",
                "Deployment",
                "ScaledJob",
                "TriggerAuthentication"
            ]),
            "{}",
            sp.env
        );
        assert!(secret_refs.iter().any(|r| r.r#where.contains("envFrom")));
        assert!(secret_refs
            .iter()
            .any(|r| r.r#where.contains("secretKeyRef")));
        assert!(secret_refs
            .iter()
            .any(|r| r.r#where.contains("secretTargetRef")));
    }
}

#[test]
fn dev_secret_is_generated_from_the_env_file_and_every_reference_follows_its_hash() {
    let tree = Tree::new();
    let rendered = tree.render("dev");
    let objs = docs(&rendered);
    let secret = one(&objs, "Secret");
    let name = s(&secret["metadata"]["name"]);
    // The real kubectl reads the example file the way the generator must.
    let out = Command::new("kubectl")
        .args([
            "create",
            "secret",
            "generic",
            "x",
            "--dry-run=client",
            "-o",
            "json",
            "--from-env-file",
        ])
        .arg(tree.overlay("dev").join("dev-secrets.env"))
        .output()
        .expect("kubectl create secret");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: serde_json::Value = serde_json::to_value(&secret["data"]).unwrap();
    assert_eq!(
        got, want["data"],
        "generated data differs from the env file"
    );
    let rs: Vec<Ref> = refs(&rendered)
        .into_iter()
        .filter(|r| r.kind == "Secret")
        .collect();
    assert!(rs.len() >= 6, "{rs:#?}");
    for r in rs {
        assert_eq!(r.name.as_deref(), Some(name), "{r:#?}");
    }
    // A changed credential changes the name (pods roll) and all references.
    let env_file = "k8s/overlays/dev/dev-secrets.env";
    tree.edit(
        env_file,
        "API_KEY=example-dev-api-key",
        "API_KEY=rotated-dev-api-key",
    );
    let rendered2 = tree.render("dev");
    let name2 = s(&one(&docs(&rendered2), "Secret")["metadata"]["name"]).to_string();
    assert_ne!(name, name2);
    assert!(refs(&rendered2)
        .iter()
        .filter(|r| r.kind == "Secret")
        .all(|r| r.name.as_deref() == Some(name2.as_str())));
}

#[test]
fn dev_does_not_render_without_its_untracked_env_file() {
    let tree = Tree::new();
    std::fs::remove_file(tree.overlay("dev").join("dev-secrets.env")).unwrap();
    let err = tree
        .try_render("dev")
        .expect_err("dev must need dev-secrets.env");
    assert!(err.contains("dev-secrets.env"), "{err}");
}

#[test]
fn each_env_has_the_seeds_namespace_list_schedule_and_thresholds() {
    let tree = Tree::new();
    for sp in SPECS {
        let bad = spec_mismatches(&sp, &tree.render(sp.env));
        assert!(bad.is_empty(), "{bad:#?}");
    }
    // The profile's paper values, spelled out (docs/paper-trading-profile.md).
    let p = spec("paper");
    assert_eq!(
        (
            p.namespace,
            p.replay_list,
            p.min_workers,
            p.max_workers,
            p.min_confidence,
            p.secret
        ),
        (
            "emp-system-paper",
            "emp:replay:paper",
            1,
            8,
            "0.65",
            "emp-secrets-paper"
        )
    );
}

#[test]
fn envs_differ_from_base_only_where_their_overlay_says() {
    let tree = Tree::new();
    for env in ENVS {
        let f = tree.drift(env);
        assert!(f.is_empty(), "{env}: {f:#?}");
    }
}

#[test]
fn paper_and_prod_bind_secrets_the_same_way() {
    // The suffix transformer's kinds and the replacements that point
    // references at the SealedSecret are identical in both sealed overlays,
    // so a fix in one cannot be forgotten in the other.
    let tree = Tree::new();
    let k = |env: &str| -> Value {
        serde_yaml::from_str(&tree.read(&format!("k8s/overlays/{env}/kustomization.yaml"))).unwrap()
    };
    let (paper, prod) = (k("paper"), k("prod"));
    assert_eq!(paper["replacements"], prod["replacements"]);
    assert_eq!(paper["patches"], prod["patches"]);
    let t = |v: &Value, env: &str| -> Value {
        let mut t: Value = serde_yaml::from_str(s(&v["transformers"][0])).unwrap();
        assert_eq!(t["suffix"], format!("-{env}").as_str());
        t["suffix"] = Value::Null;
        t["metadata"] = Value::Null;
        t
    };
    assert_eq!(t(&paper, "paper"), t(&prod, "prod"));
    assert!(paper.get("nameSuffix").is_none() && prod.get("nameSuffix").is_none());
}

#[test]
fn placeholder_sealed_secrets_have_kubeseals_exact_layout() {
    for env in ["paper", "prod"] {
        let path = repo().join(format!("k8s/overlays/{env}/sealedsecret.yaml"));
        let committed = std::fs::read(&path).unwrap();
        // The object kubeseal builds for these names and keys, printed by
        // kubeseal's own serializer (sigs.k8s.io/yaml + go-yaml v2).
        let printed = kubeseal_layout(&path);
        assert_eq!(
            printed,
            String::from_utf8(committed.clone()).unwrap(),
            "{env}: sealedsecret.yaml is not laid out as kubeseal prints it"
        );
        // Exactly the three keys; each value the obviously invalid
        // placeholder (as committed) or, once sealed, real base64 ciphertext
        // of at least a 2048-bit RSA block and the GCM tag.
        let d = &docs(std::str::from_utf8(&committed).unwrap())[0];
        let data = d["spec"]["encryptedData"].as_mapping().unwrap();
        let keys: Vec<&str> = data.keys().map(s).collect();
        assert_eq!(keys, ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"]);
        for v in data.values().map(s) {
            use base64::Engine;
            let real = base64::engine::general_purpose::STANDARD
                .decode(v)
                .is_ok_and(|b| b.len() >= 2 + 256 + 16);
            assert!(v == "AgAAAA..." || real, "{env}: {v:.12}...");
        }
        assert_eq!(d["spec"]["template"]["type"], "Opaque");
    }
}

#[test]
fn env_examples_name_the_sealed_keys_and_real_env_files_stay_out_of_git() {
    let tree = Tree::new();
    for env in ENVS {
        let example = tree.overlay(env).join(format!("{env}-secrets.env.example"));
        // kubectl's own env-file reader agrees on the keys.
        let out = Command::new("kubectl")
            .args([
                "create",
                "secret",
                "generic",
                "x",
                "--dry-run=client",
                "-o",
                "json",
                "--from-env-file",
            ])
            .arg(&example)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{env}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let keys: BTreeSet<String> = v["data"].as_object().unwrap().keys().cloned().collect();
        let want: BTreeSet<String> = ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(keys, want, "{env}");
        if env != "dev" {
            let ss = docs(&tree.read(&format!("k8s/overlays/{env}/sealedsecret.yaml")));
            let sealed: BTreeSet<String> = ss[0]["spec"]["encryptedData"]
                .as_mapping()
                .unwrap()
                .keys()
                .map(|k| s(k).to_string())
                .collect();
            assert_eq!(sealed, want, "{env}: sealed keys differ from the example's");
        }
        // Example values are obviously fake.
        for (_, val) in v["data"].as_object().unwrap() {
            let raw = decode_b64(val.as_str().unwrap());
            assert!(raw.starts_with("example-"), "{env}: {raw}");
        }
        std::fs::write(
            tree.overlay(env).join(format!("{env}-secrets.env")),
            "API_KEY=real\n",
        )
        .unwrap();
    }
    // A git repository with the project's .gitignore takes the examples and
    // refuses the real env files, in every overlay.
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(tree.root())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git");
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    // The documented kubeseal workflow's temporary Secret and a key backup.
    std::fs::write(tree.path("secret.yaml"), "kind: Secret\n").unwrap();
    std::fs::write(tree.path("sealed-secrets-keys.yaml"), "kind: List\n").unwrap();
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    let tracked = git(&["ls-files"]);
    for never in ["secret.yaml\n", "sealed-secrets-keys.yaml\n"] {
        assert!(
            !tracked.lines().any(|l| format!("{l}\n") == never),
            "{never}: {tracked}"
        );
    }
    for env in ["paper", "prod"] {
        assert!(tracked.contains(&format!("k8s/overlays/{env}/sealedsecret.yaml\n")));
    }
    for env in ENVS {
        assert!(tracked.contains(&format!("k8s/overlays/{env}/{env}-secrets.env.example\n")));
        assert!(
            !tracked.contains(&format!("k8s/overlays/{env}/{env}-secrets.env\n")),
            "{env}: {tracked}"
        );
        assert!(tree
            .overlay(env)
            .join(format!("{env}-secrets.env"))
            .is_file());
    }
}

fn decode_b64(s: &str) -> String {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s).unwrap()).unwrap()
}

#[test]
fn legacy_manifest_is_the_app_part_of_base_and_valid() {
    let tree = Tree::new();
    let legacy_text = tree.read("k8s/emp-deployment.yaml");
    let legacy = docs(&legacy_text);
    let base = docs(&tree.render("base"));
    let mut kinds: Vec<String> = legacy
        .iter()
        .map(|o| format!("{}/{}", s(&o["kind"]), s(&o["metadata"]["name"])))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "ConfigMap/emp-config",
            "Deployment/emp-app",
            "Ingress/emp-app",
            "Namespace/emp-system",
            "Service/emp-app",
            "ServiceAccount/emp-app"
        ]
    );
    for o in &legacy {
        let mut b = base
            .iter()
            .find(|b| b["kind"] == o["kind"] && b["metadata"]["name"] == o["metadata"]["name"])
            .expect("in base")
            .clone();
        if o["kind"] != "Namespace" {
            b["metadata"]["namespace"] = "emp-system".into();
        }
        assert_eq!(o, &b, "legacy {} drifted from base", s(&o["kind"]));
    }
    let f = check(
        &legacy_text,
        &[
            "--namespace".into(),
            "emp-system".into(),
            "--external-secret".into(),
            "emp-system/emp-secrets".into(),
        ],
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn nothing_in_the_repository_reads_beside_it() {
    // A fresh clone has nothing beside it: no code, test, script or doc may
    // point at the workspace the design documents came from. The CRDs the
    // validator needs are vendored in testdata/crds.
    let needles = [
        format!("..{}shared", '/'),
        format!("shared{}crds", '/'),
        format!("shared{}seeds", '/'),
    ];
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo())
        .output()
        .expect("git ls-files");
    assert!(out.status.success(), "the tests run in a git checkout");
    let files: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    assert!(
        files.iter().any(|f| f == "tests/k8s/common.rs"),
        "git ls-files did not list the tests: {files:?}"
    );
    let mut hits = vec![];
    for f in &files {
        let Ok(text) = std::fs::read(repo().join(f)) else {
            continue; // deleted in the working tree
        };
        let text = String::from_utf8_lossy(&text);
        for (i, line) in text.lines().enumerate() {
            if needles.iter().any(|n| line.contains(n.as_str())) {
                hits.push(format!("{f}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "references outside the repository:\n{}",
        hits.join("\n")
    );
    // The vendored CRDs are what the validator loads.
    let crds = crds_dir();
    assert_eq!(crds, repo().join("testdata/crds"));
    for f in [
        "bitnami.com_sealedsecrets.yaml",
        "keda.sh_scaledjobs.yaml",
        "keda.sh_triggerauthentications.yaml",
    ] {
        assert!(
            files.contains(&format!("testdata/crds/{f}")),
            "{f} is not tracked"
        );
    }
}
