//! The checks of tests/cli/k8s_render.rs catch broken overlays: each test copies
//! the k8s/ tree to a temporary directory, breaks it the way people do, and
//! asserts that rendering or validation reports exactly that.

use crate::k8s_support;

use k8s_support::*;
use serde_yaml::Value;

const PAPER_K: &str = "k8s/overlays/paper/kustomization.yaml";

#[test]
fn name_suffix_field_renames_the_sealed_secret_and_is_caught() {
    // The "obvious" kustomization: nameSuffix instead of the SuffixTransformer
    // that leaves the SealedSecret alone.
    let tree = Tree::new();
    assert!(tree.check_env("paper").is_empty());
    tree.edit_yaml(PAPER_K, |k| {
        k.remove("transformers");
        k.insert("nameSuffix".into(), "-paper".into());
    });
    let f = tree.check_env("paper");
    assert_finding(&f, "sealed-metadata-mismatch", "'emp-secrets-paper-paper'");
    assert_finding(&f, "sealed-changed-by-kustomize", "emp-secrets-paper");
}

#[test]
fn a_name_prefix_is_caught_too() {
    let tree = Tree::new();
    tree.edit_yaml(PAPER_K, |k| {
        k.insert("namePrefix".into(), "team-".into());
    });
    let f = tree.check_env("paper");
    assert_finding(&f, "sealed-metadata-mismatch", "'team-emp-secrets-paper'");
}

#[test]
fn broken_secret_key_ref_is_caught_in_every_env() {
    let tree = Tree::new();
    tree.edit(
        "k8s/base/replay-cronjob.yaml",
        "key: REDIS_PASSWORD",
        "key: REDIS_PASS",
    );
    for env in ENVS {
        let f = tree.check_env(env);
        assert_finding(&f, "missing-secret-key", "has no key REDIS_PASS ");
        assert!(
            f.iter().all(|x| x.object.starts_with("CronJob/")),
            "{env}: {f:#?}"
        );
    }
}

#[test]
fn misspelt_secret_name_in_base_is_caught() {
    let tree = Tree::new();
    tree.edit(
        "k8s/components/keda/replay-triggerauth.yaml",
        "name: emp-secrets",
        "name: emp-secret",
    );
    // dev: kustomize only renames references that match the generated
    // Secret's name, so the typo stays and dangles.
    let f = tree.check_env("dev");
    assert_finding(&f, "dangling-secret-ref", "emp-system-dev/emp-secret ");
}

#[test]
fn secret_reference_missing_from_the_replacements_is_caught() {
    // A new reference site added by a patch is not bound to the SealedSecret
    // by the replacements, so it still says emp-secrets, which paper does not
    // produce.
    let tree = Tree::new();
    tree.edit(
        "k8s/overlays/paper/patch-deployment.yaml",
        "        - name: emp\n",
        "        - name: emp\n          env:\n            - name: EXTRA_KEY\n              valueFrom:\n                secretKeyRef:\n                  name: emp-secrets\n                  key: API_KEY\n",
    );
    let f = tree.check_env("paper");
    assert_finding(&f, "dangling-secret-ref", "emp-system-paper/emp-secrets ");
}

#[test]
fn wrong_overlay_namespace_is_caught() {
    let tree = Tree::new();
    tree.edit_yaml(PAPER_K, |k| {
        k.insert("namespace".into(), "emp-system-papr".into());
    });
    let f = tree.check_env("paper");
    assert_finding(
        &f,
        "sealed-metadata-mismatch",
        "metadata.namespace is 'emp-system-papr'",
    );
    assert_finding(&f, "wrong-namespace", "expected 'emp-system-paper'");
    assert_finding(
        &f,
        "dangling-secret-ref",
        "emp-system-papr/emp-secrets-paper",
    );
    assert_finding(&f, "sealed-changed-by-kustomize", "emp-secrets-paper");
}

#[test]
fn sealed_secret_sealed_for_another_namespace_is_caught() {
    // As if someone ran kubeseal -n emp-system: both blocks say emp-system;
    // kustomize moves metadata to emp-system-paper but not the template.
    let tree = Tree::new();
    let rel = "k8s/overlays/paper/sealedsecret.yaml";
    let text = tree
        .read(rel)
        .replace("namespace: emp-system-paper", "namespace: emp-system");
    tree.write(rel, &text);
    let f = tree.check_env("paper");
    assert_finding(
        &f,
        "sealed-metadata-mismatch",
        "spec.template.metadata.namespace is 'emp-system'",
    );
    assert_finding(
        &f,
        "sealed-changed-by-kustomize",
        "emp-system/emp-secrets-paper",
    );
}

#[test]
fn invalid_crd_fields_are_caught() {
    let tree = Tree::new();
    // KEDA trigger metadata values must be strings.
    tree.edit(
        "k8s/overlays/paper/patch-scaledjob.yaml",
        "  value: \"5\"",
        "  value: 5",
    );
    // An unknown field in the TriggerAuthentication.
    tree.edit(
        "k8s/components/keda/replay-triggerauth.yaml",
        "      key: REDIS_PASSWORD",
        "      key: REDIS_PASSWORD\n      optional: true",
    );
    // A SealedSecret template field of the wrong type.
    let rel = "k8s/overlays/paper/sealedsecret.yaml";
    tree.edit(
        rel,
        "    type: Opaque",
        "    immutable: \"yes\"\n    type: Opaque",
    );
    let f = tree.check_env("paper");
    assert_finding(
        &f,
        "crd-schema",
        "spec.triggers.0.metadata.listLength: 5 is not of type 'string'",
    );
    assert_finding(&f, "crd-schema", "'optional' was unexpected");
    assert_finding(
        &f,
        "crd-schema",
        "spec.template.immutable: 'yes' is not of type 'boolean'",
    );
    assert_eq!(
        f.iter().filter(|x| x.code == "crd-schema").count(),
        3,
        "{f:#?}"
    );
}

#[test]
fn wrong_crd_api_version_is_caught() {
    let tree = Tree::new();
    tree.edit(
        "k8s/components/keda/replay-scaledjob.yaml",
        "apiVersion: keda.sh/v1alpha1",
        "apiVersion: keda.sh/v1",
    );
    let f = tree.check_env("paper");
    assert_finding(
        &f,
        "crd-schema",
        "apiVersion keda.sh/v1 is not served for ScaledJob",
    );
}

#[test]
fn invalid_core_fields_and_names_are_caught() {
    let tree = Tree::new();
    tree.edit(
        "k8s/overlays/paper/patch-deployment.yaml",
        "replicas: 2",
        "replicas: \"2\"",
    );
    tree.edit(
        "k8s/base/deployment.yaml",
        "          readinessProbe:",
        "          readinessprobe:",
    );
    // A suffix that makes the CronJob name longer than the API server's 52.
    tree.edit_yaml(PAPER_K, |k| {
        let t: &mut Value = &mut k.get_mut("transformers").unwrap()[0];
        let text = t.as_str().unwrap().replace(
            "suffix: -paper",
            "suffix: -paper-trading-sandbox-europe-west-1",
        );
        *t = text.into();
    });
    let f = tree.check_env("paper");
    assert_finding(&f, "schema", "spec.replicas: '2' is not of type 'integer'");
    assert_finding(&f, "schema", "'readinessprobe' was unexpected");
    assert_finding(&f, "invalid-name", "at most 52 characters");
}

#[test]
fn unknown_kind_is_caught() {
    let tree = Tree::new();
    let rel = "k8s/overlays/paper/extra.yaml";
    tree.write(
        rel,
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
    );
    tree.edit(
        PAPER_K,
        "  - sealedsecret.yaml\n",
        "  - sealedsecret.yaml\n  - extra.yaml\n",
    );
    let f = tree.check_env("paper");
    assert_finding(&f, "no-schema", "Widget");
}

#[test]
fn a_missing_or_second_sealed_secret_fails_the_render() {
    let tree = Tree::new();
    tree.edit(PAPER_K, "  - sealedsecret.yaml\n", "");
    let err = tree
        .try_render("paper")
        .expect_err("render without the SealedSecret");
    assert!(err.contains("nothing selected by SealedSecret"), "{err}");

    let tree = Tree::new();
    let text = tree
        .read("k8s/overlays/prod/sealedsecret.yaml")
        .replace("emp-secrets-prod", "emp-secrets-prod2");
    tree.write("k8s/overlays/prod/other.yaml", &text);
    tree.edit(
        "k8s/overlays/prod/kustomization.yaml",
        "  - sealedsecret.yaml\n",
        "  - sealedsecret.yaml\n  - other.yaml\n",
    );
    let err = tree
        .try_render("prod")
        .expect_err("render with two SealedSecrets");
    assert!(
        err.contains("multiple matches for selector SealedSecret"),
        "{err}"
    );
}

#[test]
fn differences_outside_the_overlay_patches_are_caught() {
    // A forked base: paper builds on a copy of base with one value changed.
    let tree = Tree::new();
    let fork = tree.path("k8s/base-fork");
    std::fs::create_dir_all(&fork).unwrap();
    for e in std::fs::read_dir(tree.path("k8s/base")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), fork.join(e.file_name())).unwrap();
    }
    tree.edit(
        "k8s/base-fork/deployment.yaml",
        "periodSeconds: 20",
        "periodSeconds: 5",
    );
    tree.edit(PAPER_K, "  - ../../base\n", "  - ../../base-fork\n");
    let f = tree.drift("paper");
    assert_finding(
        &f,
        "drift",
        "livenessProbe.periodSeconds differs from base (20 -> 5)",
    );
    assert_eq!(f.len(), 1, "{f:#?}");

    // An overlay-wide transformer changes every object, the SealedSecret too.
    let tree = Tree::new();
    tree.edit_yaml(PAPER_K, |k| {
        let mut m = serde_yaml::Mapping::new();
        m.insert("team".into(), "quant".into());
        k.insert("commonAnnotations".into(), Value::Mapping(m));
    });
    let f = tree.drift("paper");
    assert_finding(&f, "drift", "metadata.annotations.team differs from base");
    let f = tree.check_env("paper");
    assert_finding(&f, "sealed-changed-by-kustomize", "emp-secrets-paper");
    assert_finding(
        &f,
        "sealed-metadata-mismatch",
        "metadata.annotations.team='quant'",
    );
}

#[test]
fn seed_value_changes_are_caught() {
    let tree = Tree::new();
    let rel = "k8s/overlays/paper/patch-scaledjob.yaml";
    tree.edit(rel, "value: emp:replay:paper", "value: emp:replay:papr");
    tree.edit(rel, "value: 8", "value: 9");
    tree.edit(
        "k8s/overlays/paper/patch-cronjob.yaml",
        "- \"0.65\"",
        "- \"0.6\"",
    );
    tree.edit(
        "k8s/base/replay-cronjob.yaml",
        "schedule: \"0 3 * * *\"",
        "schedule: \"0 2 * * *\"",
    );
    tree.edit(
        "k8s/base/replay-cronjob.yaml",
        "mountPath: /app/artifacts\n",
        "mountPath: /app/reports\n",
    );
    let bad = spec_mismatches(&spec("paper"), &tree.render("paper"));
    let all = bad.join("\n");
    for needle in [
        "trigger listName is String(\"emp:replay:papr\")",
        "ScaledJob maxReplicaCount is Number(9)",
        "nightly --min-confidence is String(\"0.6\")",
        "CronJob schedule is String(\"0 2 * * *\")",
        "CronJob does not write /app/artifacts/nightly_replay on claim emp-reports-pvc",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    assert_eq!(bad.len(), 5, "{all}");
}

#[test]
fn a_kind_left_out_of_the_suffix_transformer_is_caught() {
    let tree = Tree::new();
    tree.edit(
        PAPER_K,
        "      - {path: metadata/name, kind: ConfigMap}\n",
        "",
    );
    let bad = spec_mismatches(&spec("paper"), &tree.render("paper"));
    assert_eq!(
        bad,
        ["paper: ConfigMap name is String(\"emp-config\"), expected String(\"emp-config-paper\")"]
    );
}

#[test]
fn kubeseal_layout_check_catches_a_hand_edited_sealed_secret() {
    let tree = Tree::new();
    let rel = "k8s/overlays/paper/sealedsecret.yaml";
    let good = tree.read(rel);
    assert_eq!(kubeseal_layout(&tree.path(rel)), good);
    // Keys out of go-yaml's order.
    let swapped = good.replace("    API_KEY: AgAAAA...\n", "").replace(
        "    REDIS_PASSWORD: AgAAAA...\n",
        "    REDIS_PASSWORD: AgAAAA...\n    API_KEY: AgAAAA...\n",
    );
    tree.write(rel, &swapped);
    assert_ne!(kubeseal_layout(&tree.path(rel)), swapped);
    // Four-space indentation, and a missing document marker.
    for bad in [
        good.replace("\n  ", "\n    "),
        good.trim_start_matches("---\n").to_string(),
    ] {
        tree.write(rel, &bad);
        assert_ne!(kubeseal_layout(&tree.path(rel)), bad);
    }
}

#[test]
fn a_missing_or_broken_reports_claim_is_caught() {
    // The claim dropped from base: every replay pod mounts a claim that
    // nothing creates (what left the pods Pending on a real cluster).
    let tree = Tree::new();
    tree.edit("k8s/base/kustomization.yaml", "  - reports-pvc.yaml\n", "");
    for env in ENVS {
        // The overlay's class and size patch has nothing to patch ...
        let err = tree.try_render(env).expect_err("render without the claim");
        assert!(err.contains("emp-reports-pvc"), "{env}: {err}");
        // ... and without that patch either, the validator finds the pods'
        // claim missing.
        tree.edit(
            &format!("k8s/overlays/{env}/kustomization.yaml"),
            "  - path: patch-pvc.yaml\n",
            "",
        );
        let f = tree.check_env(env);
        assert_finding(
            &f,
            "dangling-ref",
            "claim emp-reports-pvc is neither rendered",
        );
        let kinds: std::collections::BTreeSet<&str> = f
            .iter()
            .map(|x| x.object.split('/').next().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["CronJob", "ScaledJob"].into_iter().collect(),
            "{env}: {f:#?}"
        );
        let bad = spec_mismatches(&spec(env), &tree.render(env));
        assert!(
            bad.iter().any(|b| b.contains("0 PersistentVolumeClaims")),
            "{bad:#?}"
        );
    }

    // A claim that is not ReadWriteMany, an invalid size, and a claim the
    // suffix transformer renamed away from the pods' volumes.
    let tree = Tree::new();
    tree.edit(
        "k8s/base/reports-pvc.yaml",
        "    - ReadWriteMany",
        "    - ReadWriteOnce",
    );
    tree.edit(
        "k8s/overlays/prod/patch-pvc.yaml",
        "storageClassName: shared-rwx",
        "storageClassName: 7",
    );
    tree.edit(
        "k8s/overlays/paper/kustomization.yaml",
        "      - {path: metadata/name, kind: CronJob}\n",
        "      - {path: metadata/name, kind: CronJob}\n      - {path: metadata/name, kind: PersistentVolumeClaim}\n",
    );
    let bad = spec_mismatches(&spec("dev"), &tree.render("dev"));
    assert_eq!(
        bad,
        ["dev: reports claim accessModes is Sequence [String(\"ReadWriteOnce\")], expected Sequence [String(\"ReadWriteMany\")]"]
    );
    let f = tree.check_env("prod");
    assert_finding(
        &f,
        "schema",
        "spec.storageClassName: 7 is not of type 'string'",
    );
    let f = tree.check_env("paper");
    // kustomize renames the claim and follows it into the CronJobs, but not
    // into the KEDA ScaledJob unless told where it refers to claims.
    let bad = spec_mismatches(&spec("paper"), &tree.render("paper"));
    assert!(
        bad.iter()
            .any(|b| b.contains("reports claim name is String(\"emp-reports-pvc-paper\")")),
        "{bad:#?} {f:#?}"
    );
}

#[test]
fn unsupported_downward_api_fields_and_lost_identity_are_caught() {
    let tree = Tree::new();
    tree.edit(
        "k8s/base/replay-cronjob.yaml",
        "fieldPath: metadata.namespace",
        "fieldPath: status.phase",
    );
    tree.edit(
        "k8s/components/keda/replay-scaledjob.yaml",
        "fieldPath: metadata.labels['batch.kubernetes.io/job-name']",
        "fieldPath: metadata.labels['job name']",
    );
    let f = tree.check_env("paper");
    assert_finding(
        &f,
        "invalid-field-ref",
        "fieldPath 'status.phase' is not supported",
    );
    assert_finding(
        &f,
        "invalid-field-ref",
        "fieldPath \"metadata.labels['job name']\" is not supported",
    );
    let bad = spec_mismatches(&spec("paper"), &tree.render("paper"));
    let all = bad.join("\n");
    assert!(
        all.contains("CronJob container replay: EMP_NAMESPACE is Some(\"fieldRef:status.phase\")"),
        "{all}"
    );
    assert!(
        all.contains("ScaledJob container replay-worker: EMP_JOB_NAME"),
        "{all}"
    );

    // The image tag replacement dropped from an overlay: the evidence would
    // report base's tag while the pods run the overlay's.
    let tree = Tree::new();
    tree.edit_yaml("k8s/overlays/prod/kustomization.yaml", |k| {
        let r = k
            .get_mut("replacements")
            .unwrap()
            .as_sequence_mut()
            .unwrap();
        r.retain(|x| x["source"]["kind"] != "Deployment");
    });
    let bad = spec_mismatches(&spec("prod"), &tree.render("prod"));
    assert!(
        bad.iter()
            .any(|b| b.contains("EMP_IMAGE_TAG is Some(\"1.4.0\"), expected Some(\"1.3.2\")")),
        "{bad:#?}"
    );
    let f = tree.drift("prod");
    assert!(f.is_empty(), "base's own tag is not a drift: {f:#?}");
}

#[test]
fn retention_changes_are_caught() {
    let tree = Tree::new();
    tree.edit(
        "k8s/overlays/prod/patch-configmap.yaml",
        "EMP_REPLAY_RETENTION_DAYS: \"400\"",
        "EMP_REPLAY_RETENTION_DAYS: \"40\"",
    );
    tree.edit(
        "k8s/base/replay-retention.yaml",
        "- name: reports\n                  mountPath: /app/artifacts",
        "- name: reports\n                  mountPath: /app/other",
    );
    let bad = spec_mismatches(&spec("prod"), &tree.render("prod"));
    let all = bad.join("\n");
    assert!(
        all.contains("EMP_REPLAY_RETENTION_DAYS is Some(\"40\"), expected \"400\""),
        "{all}"
    );
    assert!(
        all.contains("emp-replay-retention-prod does not write /app/artifacts/nightly_replay on claim emp-reports-pvc"),
        "{all}"
    );
    // Retention set outside the overlay's patches is drift.
    let tree = Tree::new();
    tree.edit(
        "k8s/overlays/dev/patch-configmap.yaml",
        "  EMP_REPLAY_RETENTION_DAYS: \"7\"\n",
        "",
    );
    let bad = spec_mismatches(&spec("dev"), &tree.render("dev"));
    assert!(
        bad.iter()
            .any(|b| b.contains("EMP_REPLAY_RETENTION_DAYS is Some(\"30\"), expected \"7\"")),
        "{bad:#?}"
    );
}
