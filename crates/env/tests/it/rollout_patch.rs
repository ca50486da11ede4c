//! The rollout patch on the repository's own paper overlay, rendered by real
//! kustomize: the committed patch is up to date, rebuilt from nothing it is
//! byte-identical, the digest lands on the pod template of exactly the
//! workloads reading the env's secret, nothing else in the render changes, an
//! unchanged digest plans no write, and the overlay renders without KEDA.

use std::collections::BTreeSet;

use empseal_env::plan::WritePlan;
use empseal_env::rollout::{consumers, plan_env_rollout, plan_rollout, Shape, DIGEST_ANNOTATION};
use empseal_env::target::OverlayRender;
use empseal_env::workspace::Workspace;
use empseal_testkit::files::copy_dir;
use empseal_testkit::repo_root;
use empseal_testkit::tools::require_tool;
use serde::Deserialize;

fn docs(bytes: &[u8]) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_slice(bytes)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .collect()
}

/// Removes the digest annotation (and an annotations map it leaves empty) from
/// every pod template, returning how many it removed.
fn strip_digest(v: &mut serde_yaml::Value) -> usize {
    let mut n = 0;
    if let Some(map) = v.as_mapping_mut() {
        if let Some(ann) = map
            .get_mut("annotations")
            .and_then(serde_yaml::Value::as_mapping_mut)
        {
            if ann.remove(DIGEST_ANNOTATION).is_some() {
                n += 1;
            }
            if ann.is_empty() {
                map.remove("annotations");
            }
        }
        for (_, child) in map.iter_mut() {
            n += strip_digest(child);
        }
    } else if let Some(seq) = v.as_sequence_mut() {
        for child in seq {
            n += strip_digest(child);
        }
    }
    n
}

#[test]
fn the_digest_reaches_exactly_the_consumers_of_the_secret() {
    require_tool("kubectl");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("k8s"), &dir.path().join("k8s"));
    // empseal.yaml lists paper's two secrets: the digest is over both files.
    std::fs::copy(
        repo_root().join("empseal.yaml"),
        dir.path().join("empseal.yaml"),
    )
    .unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let env = ws.env("paper").unwrap();
    assert_eq!(env.secrets.len(), 2);
    let k = ws.kustomize().unwrap();

    // The committed patch matches the committed sealed files.
    let mut plan = WritePlan::new();
    plan_env_rollout(&ws, &env, &mut OverlayRender::new(), &mut plan).unwrap();
    assert!(plan.is_empty(), "stale: {:?}", plan.files());

    // Without it (files gone, entries cut from the kustomization) ...
    let kustomization = env.dir.join("kustomization.yaml");
    let committed_k = std::fs::read_to_string(&kustomization).unwrap();
    let mut committed = Vec::new();
    for shape in Shape::ALL {
        let path = env.dir.join(shape.file());
        committed.push(std::fs::read(&path).unwrap());
        std::fs::remove_file(path).unwrap();
    }
    let start = committed_k.find("  # empseal's rollout patches").unwrap();
    let end = committed_k[start..].find("transformers:").unwrap() + start;
    std::fs::write(
        &kustomization,
        format!("{}{}", &committed_k[..start], &committed_k[end..]),
    )
    .unwrap();
    let before = k.build(&env.dir, "paper").unwrap();
    let (rendered, origins) = k.build_with_origins(&env.dir, "paper").unwrap();
    let secrets = BTreeSet::from([(
        "emp-system-paper".to_string(),
        "emp-secrets-paper".to_string(),
    )]);
    let found = consumers(&rendered, &origins, &secrets, "paper").unwrap();
    let names: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|c| {
            (
                c.kind.as_str(),
                c.source_name.as_str(),
                c.rendered_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Deployment", "emp-app", "emp-app-paper"),
            ("CronJob", "emp-nightly-replay", "emp-nightly-replay-paper"),
            (
                "ScaledJob",
                "emp-replay-autoscaler",
                "emp-replay-autoscaler-paper"
            ),
        ]
    );
    // Another secret's name: no consumer.
    let other = BTreeSet::from([("emp-system-paper".to_string(), "nobody".to_string())]);
    assert!(consumers(&rendered, &origins, &other, "paper")
        .unwrap()
        .is_empty());

    // ... it comes back byte for byte.
    let digest = String::from_utf8(committed[0].clone()).unwrap();
    let digest = digest.split("digest: ").nth(1).unwrap().trim();
    let mut plan = WritePlan::new();
    plan_rollout(&ws, &env.dir, &found, digest, &mut plan).unwrap();
    plan.apply().unwrap();
    assert_eq!(
        std::fs::read_to_string(&kustomization).unwrap(),
        committed_k
    );
    for (shape, bytes) in Shape::ALL.iter().zip(&committed) {
        assert_eq!(&std::fs::read(env.dir.join(shape.file())).unwrap(), bytes);
    }

    // From nothing with another digest: the files and the entries, nothing else.
    for shape in Shape::ALL {
        std::fs::remove_file(env.dir.join(shape.file())).unwrap();
    }
    std::fs::write(
        &kustomization,
        format!("{}{}", &committed_k[..start], &committed_k[end..]),
    )
    .unwrap();
    let kustomization_before = std::fs::read(&kustomization).unwrap();
    let mut plan = WritePlan::new();
    plan_rollout(&ws, &env.dir, &found, "sha256:1111", &mut plan).unwrap();
    let planned: Vec<String> = plan.files().into_iter().map(|(f, _)| f).collect();
    let mut want: Vec<String> = Shape::ALL
        .iter()
        .map(|s| format!("k8s/overlays/paper/{}", s.file()))
        .collect();
    want.push("k8s/overlays/paper/kustomization.yaml".to_string());
    assert_eq!(planned, want);
    plan.apply().unwrap();
    // The kustomization only gained one entry per workload, at the end of patches:.
    let after_k = String::from_utf8(std::fs::read(&kustomization).unwrap()).unwrap();
    let added = "  # empseal's rollout patches (seal, rotate, rollback keep them): see docs/rotation-and-rollback.md\n  - path: empseal-rollout.yaml\n    target:\n      group: apps\n      kind: Deployment\n      name: emp-app\n  - path: empseal-rollout-cronjob.yaml\n    target:\n      group: batch\n      kind: CronJob\n      name: emp-nightly-replay\n  - path: empseal-rollout-scaledjob.yaml\n    target:\n      group: keda.sh\n      kind: ScaledJob\n      name: emp-replay-autoscaler\n";
    assert!(after_k.contains(added), "{after_k}");
    assert_eq!(
        after_k.replacen(added, "", 1),
        String::from_utf8(kustomization_before).unwrap()
    );

    let after = k.build(&env.dir, "paper").unwrap();
    let mut after_docs = docs(&after);
    let mut stamped = Vec::new();
    for d in &after_docs {
        let text = serde_yaml::to_string(d).unwrap();
        if text.contains("sha256:1111") {
            stamped.push(d["metadata"]["name"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        stamped,
        [
            "emp-app-paper",
            "emp-nightly-replay-paper",
            "emp-replay-autoscaler-paper"
        ]
    );
    let removed: usize = after_docs.iter_mut().map(strip_digest).sum();
    assert_eq!(removed, 3);
    assert_eq!(
        after_docs,
        docs(&before),
        "only the digest annotations differ"
    );

    // Same consumers and digest: nothing to write. A new digest: only the patches.
    let mut again = WritePlan::new();
    plan_rollout(&ws, &env.dir, &found, "sha256:1111", &mut again).unwrap();
    assert!(again.is_empty(), "{:?}", again.files());
    let mut next = WritePlan::new();
    plan_rollout(&ws, &env.dir, &found, "sha256:2222", &mut next).unwrap();
    let planned: Vec<String> = next.files().into_iter().map(|(f, _)| f).collect();
    assert_eq!(planned, want[..3]);

    // Without KEDA (the overlay's documented one-line deletion) the ScaledJob's
    // entry matches nothing, and the overlay still renders.
    let text = String::from_utf8(std::fs::read(&kustomization).unwrap()).unwrap();
    let without = text.replacen("  - ../../components/keda\n", "", 1);
    assert_ne!(without, text);
    std::fs::write(&kustomization, without).unwrap();
    let rendered = String::from_utf8(k.build(&env.dir, "paper").unwrap().to_vec()).unwrap();
    assert!(!rendered.contains("kind: ScaledJob"));
    assert_eq!(rendered.matches("sha256:1111").count(), 2, "{rendered}");
}
