//! The committed k8s/ layout renders with the real kustomize (kubectl
//! kustomize) for dev, paper and prod, and every rendered object is valid and
//! consistent: schemas (kubernetes-validate, the CRDs vendored in testdata/crds),
//! SealedSecret names, references, namespaces, the seeds' values, and no
//! per-env difference outside the overlays' patches.

use crate::k8s_support;

use k8s_support::*;
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
        // dev's generated Secret, or one SealedSecret per sealed file (paper's
        // credentials and image-pull secret, prod's credentials).
        let secret_kinds = match spec(env).sealed_files().len() {
            0 => vec!["Secret"],
            n => vec!["SealedSecret"; n],
        };
        let mut want = vec![
            "ConfigMap",
            "CronJob",
            "CronJob",
            "Deployment",
            "Ingress",
            "Namespace",
            "PersistentVolumeClaim",
            "ScaledJob",
            "Service",
            "ServiceAccount",
            "ServiceAccount",
            "TriggerAuthentication",
        ];
        want.extend(secret_kinds);
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
            let f = check_version(&rendered, &[], Some(v));
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
    let f = check(&base, &[]);
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
        let sealed: Vec<&Value> = objs
            .iter()
            .filter(|o| o["kind"] == "SealedSecret")
            .collect();
        assert_eq!(sealed.len(), sp.sealed_files().len(), "{}", sp.env);
        // Each file's SealedSecret, rendered exactly as committed: kustomize
        // did not touch it.
        for (file, name) in sp
            .sealed_files()
            .into_iter()
            .zip([sp.secret].into_iter().chain(sp.pull_secret))
        {
            let committed = docs(&tree.read(&format!("k8s/overlays/{}/{file}", sp.env)));
            assert_eq!(committed.len(), 1, "{}: {file}", sp.env);
            let ss = one_named(&sealed, name);
            assert_eq!(
                ss, &committed[0],
                "{}: kustomize changed the SealedSecret of {file}",
                sp.env
            );
            // Final name and namespace in both metadata blocks.
            for md in [&ss["metadata"], &ss["spec"]["template"]["metadata"]] {
                assert_eq!(md["name"], name, "{}", sp.env);
                assert_eq!(md["namespace"], sp.namespace, "{}", sp.env);
            }
        }
        // Every Secret reference names one of them, from every kind that
        // refers to it: the credentials by key, the pull secret as the pod
        // templates' imagePullSecrets.
        let secret_refs: Vec<Ref> = refs(&rendered)
            .into_iter()
            .filter(|r| r.kind == "Secret")
            .collect();
        let credentials = one_named(&sealed, sp.secret);
        let keys: BTreeSet<&str> = credentials["spec"]["encryptedData"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(s)
            .collect();
        let (pulls, creds): (Vec<&Ref>, Vec<&Ref>) = secret_refs
            .iter()
            .partition(|r| r.r#where.contains("imagePullSecrets"));
        for r in &secret_refs {
            assert_eq!(r.namespace.as_deref(), Some(sp.namespace), "{r:#?}");
        }
        for r in &creds {
            assert_eq!(r.name.as_deref(), Some(sp.secret), "{r:#?}");
            if let Some(k) = &r.key {
                assert!(keys.contains(k.as_str()), "{r:#?}");
            }
        }
        for r in &pulls {
            assert_eq!(r.name.as_deref(), sp.pull_secret, "{r:#?}");
            assert_eq!(r.key, None, "{r:#?}");
        }
        let referrers = |refs: &[&Ref]| -> BTreeSet<String> {
            refs.iter()
                .map(|r| r.object.split('/').next().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            referrers(&creds),
            BTreeSet::from(
                [
                    "CronJob",
                    "Deployment",
                    "ScaledJob",
                    "TriggerAuthentication"
                ]
                .map(String::from)
            ),
            "{}",
            sp.env
        );
        // The pull secret: the app, the nightly replay and the replay workers
        // (the ghcr.io image), once each.
        let pullers: Vec<&str> = pulls.iter().map(|r| r.object.as_str()).collect();
        let want: Vec<String> = if sp.pull_secret.is_some() {
            vec![
                format!("CronJob/{}/emp-nightly-replay-{}", sp.namespace, sp.env),
                format!("Deployment/{}/emp-app-{}", sp.namespace, sp.env),
                format!(
                    "ScaledJob/{}/emp-replay-autoscaler-{}",
                    sp.namespace, sp.env
                ),
            ]
        } else {
            vec![]
        };
        let mut sorted = pullers.clone();
        sorted.sort();
        assert_eq!(sorted, want, "{}", sp.env);
        assert!(creds.iter().any(|r| r.r#where.contains("envFrom")));
        assert!(creds.iter().any(|r| r.r#where.contains("secretKeyRef")));
        assert!(creds.iter().any(|r| r.r#where.contains("secretTargetRef")));
    }
}

/// The SealedSecret named `name` among `sealed`.
fn one_named<'a>(sealed: &[&'a Value], name: &str) -> &'a Value {
    sealed
        .iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no SealedSecret {name}"))
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
    // references at the credentials SealedSecret are identical in both sealed
    // overlays, so a fix in one cannot be forgotten in the other. "Identical"
    // up to the replacement source's `name`: paper holds two SealedSecrets
    // (its credentials and its image-pull secret), so its source must name
    // the credentials one; prod holds one and may leave the name out. Each
    // source selects exactly its env's credentials SealedSecret in the render.
    // The pull secret is bound by name in paper's own patches (prod has none).
    let tree = Tree::new();
    let k = |env: &str| -> Value {
        serde_yaml::from_str(&tree.read(&format!("k8s/overlays/{env}/kustomization.yaml"))).unwrap()
    };
    let (paper, prod) = (k("paper"), k("prod"));
    let unnamed = |mut v: Value, env: &str| -> Value {
        let sp = spec(env);
        let sealed: Vec<String> = docs(&tree.render(env))
            .iter()
            .filter(|o| o["kind"] == "SealedSecret")
            .map(|o| s(&o["metadata"]["name"]).to_string())
            .collect();
        let source = &mut v["replacements"][0]["source"];
        assert_eq!(source["kind"], "SealedSecret", "{env}");
        let selected: Vec<&String> = match source["name"].as_str() {
            Some(name) => sealed.iter().filter(|n| *n == name).collect(),
            None => sealed.iter().collect(),
        };
        assert_eq!(selected, [sp.secret], "{env}: the source selects");
        if sealed.len() > 1 {
            assert_eq!(source["name"], sp.secret, "{env} must name its source");
        }
        source.as_mapping_mut().unwrap().remove("name");
        v["replacements"].clone()
    };
    assert_eq!(
        unnamed(paper.clone(), "paper"),
        unnamed(prod.clone(), "prod")
    );
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
    // Every committed sealed file: the credentials of paper and prod, and
    // paper's image-pull secret, each with its keys and Secret type.
    let files = [
        (
            "paper",
            "sealedsecret.yaml",
            &["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"][..],
            "Opaque",
        ),
        (
            "paper",
            "pull-secret.yaml",
            &[".dockerconfigjson"][..],
            "kubernetes.io/dockerconfigjson",
        ),
        (
            "prod",
            "sealedsecret.yaml",
            &["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"][..],
            "Opaque",
        ),
    ];
    let listed: Vec<(&str, &str)> = SPECS
        .iter()
        .flat_map(|sp| sp.sealed_files().into_iter().map(|f| (sp.env, f)))
        .collect();
    assert_eq!(
        listed,
        files
            .iter()
            .map(|(e, f, _, _)| (*e, *f))
            .collect::<Vec<_>>()
    );
    for (env, file, want_keys, want_type) in files {
        let path = repo().join(format!("k8s/overlays/{env}/{file}"));
        let committed = std::fs::read(&path).unwrap();
        // The object kubeseal builds for these names and keys, printed by
        // kubeseal's own serializer (sigs.k8s.io/yaml + go-yaml v2).
        let printed = kubeseal_layout(&path);
        assert_eq!(
            printed,
            String::from_utf8(committed.clone()).unwrap(),
            "{env}: {file} is not laid out as kubeseal prints it"
        );
        // Exactly its keys; each value the obviously invalid placeholder (as
        // committed) or, once sealed, real base64 ciphertext of at least a
        // 2048-bit RSA block and the GCM tag.
        let d = &docs(std::str::from_utf8(&committed).unwrap())[0];
        let data = d["spec"]["encryptedData"].as_mapping().unwrap();
        let keys: Vec<&str> = data.keys().map(s).collect();
        assert_eq!(keys, want_keys, "{env}: {file}");
        for v in data.values().map(s) {
            use base64::Engine;
            let real = base64::engine::general_purpose::STANDARD
                .decode(v)
                .is_ok_and(|b| b.len() >= 2 + 256 + 16);
            assert!(v == "AgAAAA..." || real, "{env}: {file}: {v:.12}...");
        }
        assert_eq!(d["spec"]["template"]["type"], want_type, "{env}: {file}");
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
    // paper's registry credentials, beside their committed example.
    std::fs::write(
        tree.overlay("paper").join("pull-secret.dockerconfigjson"),
        "{\"auths\":{}}",
    )
    .unwrap();
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
    for sp in SPECS {
        for file in sp.sealed_files() {
            assert!(tracked.contains(&format!("k8s/overlays/{}/{file}\n", sp.env)));
        }
    }
    assert!(tracked.contains("k8s/overlays/paper/pull-secret.dockerconfigjson.example\n"));
    assert!(
        !tracked.contains("k8s/overlays/paper/pull-secret.dockerconfigjson\n"),
        "{tracked}"
    );
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
        files.iter().any(|f| f == "tests/cli/k8s_support.rs"),
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

/// The one line of an overlay's kustomization.yaml that includes the KEDA
/// component.
const KEDA_LINE: &str = "  - ../../components/keda\n";

#[test]
fn every_overlay_renders_and_validates_without_keda_by_deleting_one_line() {
    let full = Tree::new();
    let tree = Tree::new();
    for sp in SPECS {
        let rel = format!("k8s/overlays/{}/kustomization.yaml", sp.env);
        let before = tree.read(&rel);
        tree.edit(&rel, KEDA_LINE, "");
        // Exactly one line fewer, nothing else touched.
        assert_eq!(
            before.lines().count(),
            tree.read(&rel).lines().count() + 1,
            "{}",
            sp.env
        );
        let without = tree.render(sp.env);
        // Valid against the Kubernetes schemas and the CRDs, every reference
        // resolves (the claim included), right namespace, SealedSecret as
        // committed; and the environment's values hold, without KEDA.
        let f = tree.check_env(sp.env);
        assert!(f.is_empty(), "{} without KEDA: {f:#?}", sp.env);
        let bad = spec_mismatches_keda(&sp, &without, false);
        assert!(bad.is_empty(), "{bad:#?}");
        // The same objects as with KEDA, minus the two KEDA ones.
        let with: Vec<Value> = docs(&full.render(sp.env))
            .into_iter()
            .filter(|o| o["kind"] != "ScaledJob" && o["kind"] != "TriggerAuthentication")
            .collect();
        assert_eq!(docs(&without), with, "{}", sp.env);
        assert!(
            with.len() < docs(&full.render(sp.env)).len(),
            "{}: the full render has KEDA objects",
            sp.env
        );
    }
}

#[test]
fn the_keda_objects_come_only_from_the_component_every_overlay_includes() {
    let tree = Tree::new();
    let base = docs(&tree.render("base"));
    for o in &base {
        assert!(
            o["kind"] != "ScaledJob" && o["kind"] != "TriggerAuthentication",
            "base renders a KEDA object: {o:?}"
        );
    }
    for env in ENVS {
        let k: Value =
            serde_yaml::from_str(&tree.read(&format!("k8s/overlays/{env}/kustomization.yaml")))
                .unwrap();
        assert_eq!(
            k["components"],
            Value::from(vec!["../../components/keda"]),
            "{env}"
        );
        let objs = docs(&tree.render(env));
        for kind in ["ScaledJob", "TriggerAuthentication"] {
            assert_eq!(
                objs.iter().filter(|o| o["kind"] == kind).count(),
                1,
                "{env}: {kind}"
            );
        }
    }
}

#[test]
fn replay_containers_know_their_namespace_environment_image_tag_and_job() {
    let tree = Tree::new();
    for sp in SPECS {
        let objs = docs(&tree.render(sp.env));
        let mut pods = vec![];
        for o in &objs {
            match s(&o["kind"]) {
                "CronJob" if s(&o["metadata"]["name"]).starts_with("emp-nightly-replay") => {
                    pods.push(&o["spec"]["jobTemplate"]["spec"]["template"]["spec"])
                }
                "ScaledJob" => pods.push(&o["spec"]["jobTargetRef"]["template"]["spec"]),
                _ => {}
            }
        }
        assert_eq!(pods.len(), 2, "{}", sp.env);
        for pod in pods {
            // No API token: the downward API is the only way to learn these.
            assert_eq!(pod["automountServiceAccountToken"], false);
            for c in pod["containers"].as_sequence().unwrap() {
                let env = |v: &str| container_env(c, &objs, v);
                assert_eq!(
                    env("EMP_NAMESPACE").as_deref(),
                    Some("fieldRef:metadata.namespace")
                );
                assert_eq!(
                    env("EMP_JOB_NAME").as_deref(),
                    Some("fieldRef:metadata.labels['batch.kubernetes.io/job-name']")
                );
                assert_eq!(env("EMP_ENVIRONMENT").as_deref(), Some(sp.env));
                assert_eq!(env("EMP_IMAGE_TAG").as_deref(), Some(sp.image_tag));
                assert_eq!(
                    s(&c["image"]),
                    format!("ghcr.io/emp-trading/emp:{}", sp.image_tag)
                );
            }
        }
    }
    // The tag follows the overlay's images entry (it is not written twice).
    tree.edit(
        "k8s/overlays/paper/kustomization.yaml",
        "newTag: 1.4.0",
        "newTag: 1.4.1-hotfix",
    );
    let objs = docs(&tree.render("paper"));
    let tags: Vec<String> = objs
        .iter()
        .filter_map(|o| match s(&o["kind"]) {
            "CronJob" => Some(&o["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
            "ScaledJob" => Some(&o["spec"]["jobTargetRef"]["template"]["spec"]),
            _ => None,
        })
        .flat_map(|p| p["containers"].as_sequence().unwrap().clone())
        .filter_map(|c| container_env(&c, &objs, "EMP_IMAGE_TAG"))
        .collect();
    assert_eq!(tags, ["1.4.1-hotfix", "1.4.1-hotfix"]);
}

/// Sets a file's modification time `age` ago.
fn age_file(path: &std::path::Path, age: std::time::Duration) {
    let t = std::time::SystemTime::now() - age;
    std::fs::File::options()
        .write(true)
        .open(path)
        .or_else(|_| std::fs::File::open(path))
        .unwrap()
        .set_modified(t)
        .unwrap_or_else(|e| panic!("set mtime of {}: {e}", path.display()));
}

#[test]
fn the_retention_job_deletes_only_evidence_older_than_the_envs_retention() {
    // Runs each environment's rendered retention script, with the values its
    // ConfigMap gives it, on a directory of evidence of various ages.
    const DAY: u64 = 86_400;
    let tree = Tree::new();
    for sp in SPECS {
        let objs = docs(&tree.render(sp.env));
        let cron = objs
            .iter()
            .find(|o| o["kind"] == "CronJob" && s(&o["metadata"]["name"]).contains("retention"))
            .expect("retention CronJob");
        let script = retention_script(cron);
        let ctr = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
        let days: u64 = container_env(ctr, &objs, "EMP_REPLAY_RETENTION_DAYS")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(days.to_string(), sp.retention_days);

        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nightly_replay");
        let d = |age_s: u64, rel: &str| {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"evidence").unwrap();
            (p, age_s)
        };
        let old = [
            d((days + 1) * DAY, "old/bundle.json"),
            d(days * DAY + 3600, "old/nested/report.csv"),
            d((days + 30) * DAY, "loose-old.json"),
        ];
        let young = [
            d(days * DAY - 3600, "young/bundle.json"),
            d(0, "today/bundle.json"),
            d((days - 1) * DAY, "loose-young.json"),
        ];
        for (p, age) in old.iter().chain(young.iter()) {
            age_file(p, std::time::Duration::from_secs(*age));
        }
        // A replay that has just created its (still empty) bundle directory.
        std::fs::create_dir_all(dir.join("starting")).unwrap();

        let run = || {
            let out = Command::new("sh")
                .arg("-c")
                .arg(&script)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap())
                .env("EMP_REPLAY_ARTIFACT_DIR", &dir)
                .env("EMP_REPLAY_RETENTION_DAYS", days.to_string())
                .env("EMP_NAMESPACE", sp.namespace)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                sp.env,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        let log = run();
        assert!(log.contains(sp.namespace), "{log}");
        for (p, _) in &old {
            assert!(!p.exists(), "{}: {} was kept", sp.env, p.display());
        }
        for (p, _) in &young {
            assert!(p.exists(), "{}: {} was deleted", sp.env, p.display());
        }
        assert!(dir.is_dir() && dir.join("starting").is_dir());
        // Directories emptied by this run go at a later run, once an hour old.
        for rel in ["old/nested", "old"] {
            let p = dir.join(rel);
            if p.exists() {
                std::fs::File::open(&p)
                    .unwrap()
                    .set_modified(
                        std::time::SystemTime::now() - std::time::Duration::from_secs(7200),
                    )
                    .unwrap();
            }
        }
        run();
        assert!(!dir.join("old").exists(), "{}", sp.env);
        assert!(dir.join("young/bundle.json").exists());

        // A malformed retention refuses to run rather than delete everything.
        for bad in ["0", "", "30d", "-1"] {
            let out = Command::new("sh")
                .arg("-c")
                .arg(&script)
                .env("EMP_REPLAY_ARTIFACT_DIR", &dir)
                .env("EMP_REPLAY_RETENTION_DAYS", bad)
                .env("EMP_NAMESPACE", sp.namespace)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{}: days={bad:?}", sp.env);
        }
        assert!(dir.join("young/bundle.json").exists());
    }
}
