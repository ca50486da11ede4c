//! The rollout patch on the repository's own paper overlay, rendered by real
//! kustomize: the digest lands on the pod template of exactly the workloads
//! reading the env's secret, nothing else in the render changes, and an
//! unchanged digest plans no write.

use std::collections::BTreeSet;

use empseal_env::plan::WritePlan;
use empseal_env::rollout::{consumers, plan_rollout, DIGEST_ANNOTATION, ROLLOUT_PATCH_FILE};
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
    let ws = Workspace::open(dir.path()).unwrap();
    let env = ws.env("paper").unwrap();
    let k = ws.kustomize().unwrap();
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

    let kustomization = env.dir.join("kustomization.yaml");
    let kustomization_before = std::fs::read(&kustomization).unwrap();
    let mut plan = WritePlan::new();
    plan_rollout(&ws, &env.dir, &found, "sha256:1111", &mut plan).unwrap();
    let planned: Vec<String> = plan.files().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        planned,
        [
            format!("k8s/overlays/paper/{ROLLOUT_PATCH_FILE}"),
            "k8s/overlays/paper/kustomization.yaml".to_string()
        ]
    );
    plan.apply().unwrap();
    // The kustomization only gained the list entry.
    let after_k = String::from_utf8(std::fs::read(&kustomization).unwrap()).unwrap();
    assert_eq!(
        after_k.replacen(&format!("  - path: {ROLLOUT_PATCH_FILE}\n"), "", 1),
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

    // Same consumers and digest: nothing to write. A new digest: only the patch.
    let mut again = WritePlan::new();
    plan_rollout(&ws, &env.dir, &found, "sha256:1111", &mut again).unwrap();
    assert!(again.is_empty(), "{:?}", again.files());
    let mut next = WritePlan::new();
    plan_rollout(&ws, &env.dir, &found, "sha256:2222", &mut next).unwrap();
    let planned: Vec<String> = next.files().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        planned,
        [format!("k8s/overlays/paper/{ROLLOUT_PATCH_FILE}")]
    );
}
