//! Every field of a Secret's `metadata` that kubeseal's decoder reads (name,
//! generateName, selfLink, uid, resourceVersion, generation, creationTimestamp,
//! deletionTimestamp, deletionGracePeriodSeconds, labels, annotations, ownerReferences, finalizers,
//! managedFields), as `kubectl get -o yaml|json` prints a live object, read by
//! empseal and by the real Go decoder (`tests/manifest/goref.go`): the same
//! values, field for field; `null` read as unset by both; a value of the wrong
//! type refused by both.

use kubeseal_core::manifest::read_secrets;
use serde_json::{json, Value as J};

use crate::goref::{go_decode, go_meta_json, kubectl_forms, object_meta_json};

/// The full metadata of a live Secret (JSON), with every field set.
fn live_metadata() -> J {
    json!({
        "name": "emp-secrets-paper",
        "generateName": "emp-secrets-",
        "namespace": "emp-system-paper",
        "selfLink": "/api/v1/namespaces/emp-system-paper/secrets/emp-secrets-paper",
        "uid": "0f3c2a7e-5b1d-4c49-9a51-6f0a2b9c1d2e",
        "resourceVersion": "123456",
        "generation": 3,
        "creationTimestamp": "2026-11-30T08:15:00Z",
        "deletionTimestamp": "2026-12-01T09:00:00Z",
        "deletionGracePeriodSeconds": 30,
        "labels": {"app.kubernetes.io/name": "emp"},
        "annotations": {"team": "platform"},
        "ownerReferences": [{
            "apiVersion": "bitnami.com/v1alpha1",
            "kind": "SealedSecret",
            "name": "emp-secrets-paper",
            "uid": "9d8c7b6a-5f4e-4d3c-8b2a-1e0f9d8c7b6a",
            "controller": true
        }],
        "finalizers": ["example.com/keep", "example.com/audit"],
        "managedFields": [{
            "manager": "controller",
            "operation": "Update",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {}}
        }]
    })
}

fn secret_doc(metadata: &J) -> J {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "data": {"API_KEY": "c2VjcmV0"}
    })
}

#[test]
fn every_metadata_field_reads_as_kubeseals_decoder_reads_it() {
    let full = live_metadata();
    let mut cases: Vec<(String, J)> = vec![("every field set".into(), full.clone())];
    let fields: Vec<String> = full.as_object().unwrap().keys().cloned().collect();
    for f in &fields {
        if f == "name" {
            continue;
        }
        // Each field null (unset for both), then of a type it cannot have.
        let mut null = full.clone();
        null[f.as_str()] = J::Null;
        cases.push((format!("{f}: null"), null));
        let wrong = match full[f.as_str()] {
            J::String(_) => json!(["a", "list"]),
            J::Number(_) => json!("3"),
            J::Array(_) => json!("not-a-list"),
            _ => json!(7),
        };
        let mut bad = full.clone();
        bad[f.as_str()] = wrong;
        cases.push((format!("{f}: wrong type"), bad));
    }
    // Numbers that are no int64: a fraction, an exponent, one past the range.
    for (field, number) in [
        ("generation", json!(1.5)),
        ("generation", serde_json::from_str::<J>("1e3").unwrap()),
        (
            "deletionGracePeriodSeconds",
            serde_json::from_str::<J>("9223372036854775808").unwrap(),
        ),
    ] {
        let mut bad = full.clone();
        bad[field] = number.clone();
        cases.push((format!("{field}: {number}"), bad));
    }
    let mut docs = Vec::new();
    let mut labels = Vec::new();
    for (what, meta) in &cases {
        for (text, is_json) in kubectl_forms(&secret_doc(meta)) {
            labels.push(format!(
                "{what} ({})",
                if is_json { "JSON" } else { "YAML" }
            ));
            docs.push((text, is_json));
        }
    }
    // Written by hand: the timestamps plain (unquoted), as YAML 1.1 timestamps.
    for (label, doc) in [
        ("plain timestamps (YAML)", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  creationTimestamp: 2026-11-30T08:15:00Z\n  deletionTimestamp: 2026-12-01T09:00:00.5+01:00\ntype: Opaque\n"),
        ("a plain YAML timestamp that is no RFC 3339 time", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  deletionTimestamp: 2026-12-01 09:00:00\ntype: Opaque\n"),
        ("plain generation (YAML)", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  generation: 0x1F\n  finalizers: [a, b]\ntype: Opaque\n"),
    ] {
        labels.push(label.to_string());
        docs.push((doc.to_string(), false));
    }
    let go = go_decode(&docs);
    let (mut same, mut both_refused) = (0, 0);
    for ((label, (text, _)), go) in labels.iter().zip(&docs).zip(&go) {
        let ours = read_secrets("live.yaml", text.as_bytes());
        match (go, ours) {
            (Ok(g), Ok(mut o)) => {
                let o = o.remove(0);
                // kubeseal's output never carries the creation time: we read it
                // (its type is checked) and keep nothing.
                assert_eq!(
                    object_meta_json(&o.metadata),
                    go_meta_json(&g["metadata"]),
                    "{label}:\n{text}"
                );
                same += 1;
            }
            (Err(_), Err(_)) => both_refused += 1,
            (Ok(g), Err(e)) => panic!(
                "{label}: Go reads {}, we refuse: {e}\n{text}",
                g["metadata"]
            ),
            (Err(e), Ok(_)) => panic!("{label}: Go refuses ({e}), we read it\n{text}"),
        }
    }
    eprintln!("same: {same}, both refused: {both_refused}");
    assert!(
        same >= 2 * fields.len() && both_refused >= fields.len(),
        "{same} {both_refused}"
    );
}

/// `creationTimestamp` and `deletionTimestamp` are `metav1.Time`: null, or a string
/// Go's `time.Parse(time.RFC3339, …)` reads; anything else fails kubeseal's decoding.
/// Every one-character change (replaced, inserted, deleted) of a few RFC 3339 times,
/// read by us and by Go itself: accepted or refused alike.
#[test]
fn timestamps_are_read_as_go_reads_a_metav1_time() {
    let seeds = [
        "2024-02-29T23:59:59.123456789+05:30",
        "2026-11-30T08:15:00Z",
        "2023-02-28T9:07:05,5-24:60",
        "0000-12-31T00:00:00+00:00",
    ];
    let alphabet = b"0123456789-:+.,TtZz x";
    let mut texts: std::collections::BTreeSet<String> =
        seeds.iter().map(|s| s.to_string()).collect();
    texts.extend(["", " ", "null", "2026-11-30", "2026-11-30T08:15:00"].map(String::from));
    for seed in seeds {
        let b = seed.as_bytes();
        for i in 0..=b.len() {
            if i < b.len() {
                let mut del = b.to_vec();
                del.remove(i);
                texts.insert(String::from_utf8(del).unwrap());
            }
            for &c in alphabet {
                let mut ins = b.to_vec();
                ins.insert(i, c);
                texts.insert(String::from_utf8(ins).unwrap());
                if i < b.len() {
                    let mut rep = b.to_vec();
                    rep[i] = c;
                    texts.insert(String::from_utf8(rep).unwrap());
                }
            }
        }
    }
    let mut docs = Vec::new();
    for t in &texts {
        for field in ["creationTimestamp", "deletionTimestamp"] {
            let doc = json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s", field: t},
                "data": {"A": "c2VjcmV0"}
            });
            docs.push((t.clone(), field, serde_json::to_string(&doc).unwrap()));
        }
    }
    let go = go_decode(
        &docs
            .iter()
            .map(|(_, _, d)| (d.clone(), true))
            .collect::<Vec<_>>(),
    );
    let (mut accepted, mut refused) = (0, 0);
    for ((text, field, doc), go) in docs.iter().zip(&go) {
        let ours = read_secrets("t.json", doc.as_bytes());
        match (go, &ours) {
            (Ok(g), Ok(o)) => {
                if *field == "deletionTimestamp" {
                    assert_eq!(
                        o[0].metadata.deletion_timestamp.as_deref(),
                        Some(text.as_str())
                    );
                    assert_eq!(g["metadata"]["deletionTimestamp"], json!(text));
                }
                accepted += 1;
            }
            (Err(_), Err(e)) => {
                let e = e.to_string();
                assert!(
                    e.contains(&format!("metadata.{field} is not an RFC 3339 time")),
                    "{e}"
                );
                refused += 1;
            }
            _ => panic!(
                "{field} {text:?}: Go {go:?}, we {:?}",
                ours.map(|o| o.len())
            ),
        }
    }
    eprintln!(
        "{} times: {accepted} read by both, {refused} refused by both",
        texts.len()
    );
    assert!(accepted > 200 && refused > 1000, "{accepted} {refused}");
}
