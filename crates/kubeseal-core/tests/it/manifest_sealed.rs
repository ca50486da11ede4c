//! SealedSecrets read by empseal and by the real Go decoder kubeseal uses for them
//! (`tests/manifest/goref.go` with the controller's types, including
//! `SealedSecretEncryptedData`'s own forgiving `UnmarshalJSON`): every field of the
//! spec set, null and of the wrong type, in YAML and JSON as kubectl prints them.
//! Both read the same object, or both refuse, or we refuse where Go silently reads
//! something else (each such case is named below, with what Go made of it).

use kubeseal_core::manifest::read_sealed_secrets;
use kubeseal_core::secret::SealedSecret;
use serde_json::{json, Value as J};

use crate::goref::{go_decode_sealed, go_meta_json, kubectl_forms, object_meta_json};

/// A SealedSecret as `kubeseal --scope cluster-wide` writes one, with every field of
/// the template set (the ciphertexts are arbitrary base64: nothing decrypts them).
fn full_sealed_secret() -> J {
    json!({
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {
            "name": "emp-secrets-paper",
            "namespace": "emp-system-paper",
            "annotations": {"sealedsecrets.bitnami.com/cluster-wide": "true"}
        },
        "spec": {
            "template": {
                "metadata": {
                    "name": "emp-secrets-paper",
                    "namespace": "emp-system-paper",
                    "labels": {"app.kubernetes.io/name": "emp"},
                    "annotations": {"sealedsecrets.bitnami.com/cluster-wide": "true"}
                },
                "type": "Opaque",
                "immutable": true,
                "data": {"DSN": "postgres://{{ .DB_USER }}@db/emp"}
            },
            "encryptedData": {
                "DB_USER": "AgBy3i4OJSWK+PiTySYZZA==",
                "DB_PASSWORD": "AgCtr8l0rWc1gNu5ygD9Rw=="
            }
        }
    })
}

/// Our object in the JSON shape Go's structs re-encode (`template` and its
/// `metadata` always present, empty fields omitted).
fn ours_json(ss: &SealedSecret) -> J {
    let t = &ss.template;
    let mut template = serde_json::Map::new();
    template.insert("metadata".into(), object_meta_json(&t.metadata));
    if let Some(ty) = t.type_.as_deref().filter(|ty| !ty.is_empty()) {
        template.insert("type".into(), json!(ty));
    }
    if let Some(i) = t.immutable {
        template.insert("immutable".into(), json!(i));
    }
    if !t.data.is_empty() {
        template.insert("data".into(), json!(t.data));
    }
    json!({
        "metadata": object_meta_json(&ss.metadata),
        "spec": {"template": template, "encryptedData": ss.encrypted_data}
    })
}

/// Go's object with what we compare: both metadata without the creation time,
/// `encryptedData` absent (a nil map) read as empty.
fn go_json(g: &J) -> J {
    let mut spec = g["spec"].clone();
    spec["template"]["metadata"] = go_meta_json(&spec["template"]["metadata"]);
    if spec["encryptedData"].is_null() {
        spec["encryptedData"] = json!({});
    }
    json!({"metadata": go_meta_json(&g["metadata"]), "spec": spec})
}

/// Sets the field at `path` (`/`-separated) of `doc`.
fn with(doc: &J, path: &str, value: J) -> J {
    let mut doc = doc.clone();
    let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
    let mut at = &mut doc;
    for p in parent.split('/').filter(|p| !p.is_empty()) {
        at = &mut at[p];
    }
    at[last] = value;
    doc
}

/// What we refuse although Go reads the document, and what Go then silently did.
enum Refusal {
    /// Legacy `spec.data`: Go keeps the blob (which the controller no longer
    /// decrypts with these keys' current format).
    LegacySpecData,
    /// An `encryptedData` entry that is no string: Go keeps the key with an empty
    /// ciphertext (and no error), which the controller cannot decrypt.
    EmptiedEntry(&'static str),
    /// `encryptedData` that is no object: Go reads no entry at all.
    NoEntries,
}

#[test]
fn every_sealed_spec_field_reads_as_kubeseals_decoder_reads_it() {
    let full = full_sealed_secret();
    let mut cases: Vec<(String, J, Option<Refusal>)> =
        vec![("every field set".into(), full.clone(), None)];
    // Each field of the spec null, then of a type it cannot have.
    for path in [
        "spec",
        "spec/template",
        "spec/template/metadata",
        "spec/template/type",
        "spec/template/immutable",
        "spec/template/data",
        "spec/encryptedData",
        "spec/data",
    ] {
        cases.push((format!("{path}: null"), with(&full, path, J::Null), None));
        let wrong = match path {
            "spec/template/type" => json!(["Opaque"]),
            "spec/template/immutable" => json!("true"),
            "spec/data" => json!({"blob": "AAAA"}),
            _ => json!("a string"),
        };
        let refusal = match path {
            "spec/encryptedData" => Some(Refusal::NoEntries),
            _ => None,
        };
        cases.push((
            format!("{path}: wrong type"),
            with(&full, path, wrong),
            refusal,
        ));
    }
    // One value of the maps null, or a number, or a list.
    for (path, refusal) in [
        ("spec/encryptedData/DB_PASSWORD", Some("DB_PASSWORD")),
        ("spec/template/data/DSN", None),
    ] {
        cases.push((format!("{path}: null"), with(&full, path, J::Null), None));
        for (what, wrong) in [("a number", json!(5432)), ("a list", json!(["x"]))] {
            cases.push((
                format!("{path}: {what}"),
                with(&full, path, wrong),
                refusal.map(Refusal::EmptiedEntry),
            ));
        }
    }
    // The single-blob format of sealed-secrets before v0.7.
    cases.push((
        "spec.data set".into(),
        with(&full, "spec/data", json!("AgBy3i4OJSWK+PiTySYZZA==")),
        Some(Refusal::LegacySpecData),
    ));
    // No encryptedData and no template at all.
    let mut bare = full.clone();
    bare["spec"] = json!({});
    cases.push(("an empty spec".into(), bare, None));

    let mut docs = Vec::new();
    let mut expected = Vec::new();
    for (what, doc, refusal) in &cases {
        for (text, is_json) in kubectl_forms(doc) {
            let form = if is_json { "JSON" } else { "YAML" };
            expected.push((format!("{what} ({form})"), refusal.as_ref()));
            docs.push((text, is_json));
        }
    }
    let go = go_decode_sealed(&docs);
    let (mut same, mut both_refused, mut warranted) = (0, 0, 0);
    for (((label, refusal), (text, _)), go) in expected.iter().zip(&docs).zip(&go) {
        let ours = read_sealed_secrets("sealed.yaml", text.as_bytes());
        match (go, ours, refusal) {
            (Ok(g), Ok(mut o), None) => {
                assert_eq!(o.len(), 1, "{label}");
                assert_eq!(ours_json(&o.remove(0)), go_json(g), "{label}:\n{text}");
                same += 1;
            }
            (Err(_), Err(_), None) => both_refused += 1,
            (Ok(g), Err(e), Some(why)) => {
                let e = e.to_string();
                let spec = &g["spec"];
                match why {
                    Refusal::LegacySpecData => {
                        assert!(
                            e.contains("spec.data (the single-blob format"),
                            "{label}: {e}"
                        );
                        assert!(spec["data"].is_string(), "{label}: Go keeps the blob: {g}");
                    }
                    Refusal::EmptiedEntry(key) => {
                        assert!(e.contains("read it as an empty ciphertext"), "{label}: {e}");
                        assert_eq!(
                            (
                                &spec["encryptedData"][key],
                                &spec["encryptedData"]["DB_USER"]
                            ),
                            (&json!(""), &full["spec"]["encryptedData"]["DB_USER"]),
                            "{label}: Go empties only {key}: {g}"
                        );
                    }
                    Refusal::NoEntries => {
                        assert!(e.contains("spec.encryptedData"), "{label}: {e}");
                        assert_eq!(spec["encryptedData"], json!({}), "{label}: {g}");
                    }
                }
                warranted += 1;
            }
            (go, ours, refusal) => panic!(
                "{label}: Go {go:?}, we {:?}, expected {}\n{text}",
                ours.map(|o| o.len()),
                if refusal.is_some() {
                    "a warranted refusal"
                } else {
                    "the same"
                }
            ),
        }
    }
    eprintln!("same: {same}, both refused: {both_refused}, refused where Go misreads: {warranted}");
    assert!(
        same >= 20 && both_refused >= 8 && warranted >= 8,
        "{same} {both_refused} {warranted}"
    );
}
