//! Object-level differential tests: `sealed_secret_node` / `secret_node` in
//! both layouts against Go structs that mirror the upstream types field for
//! field (`tests/goref`: json tags of bitnami.com/v1alpha1 SealedSecret,
//! k8s.io/api core/v1 Secret and metav1.ObjectMeta). Go decides field order,
//! omitempty and map order; we only send it the model's data.

use crate::emit_support;

use std::collections::BTreeMap;

use emit_support::{compare, goref, show, tricky_key, tricky_string, Mismatches};
use kubeseal_core::emit::{self, Node};
use kubeseal_core::secret::{Format, Layout, ObjectMeta, SealedSecret, Secret, SecretTemplate};
use rand::seq::IndexedRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use zeroize::Zeroizing;

const NAMES: &[&str] = &[
    "emp-credentials",
    "db",
    "a",
    "trading-api-keys",
    "x1",
    "paper",
    "true",
    "123",
    "1e3",
    "no",
];
const NAMESPACES: &[&str] = &[
    "",
    "default",
    "emp-paper",
    "emp-prod",
    "kube-system",
    "on",
    "0x1F",
];

fn pick(rng: &mut (impl RngCore + ?Sized), xs: &[&str]) -> String {
    (*xs.choose(rng).expect("non-empty")).to_owned()
}

fn short_key(rng: &mut impl RngCore) -> String {
    tricky_key(rng, false).chars().take(40).collect()
}

fn string_map(rng: &mut impl RngCore, max: usize) -> BTreeMap<String, String> {
    let n = rng.random_range(0..=max);
    (0..n)
        .map(|_| (short_key(rng), tricky_string(rng, false)))
        .collect()
}

fn maybe<T>(rng: &mut impl RngCore, f: impl FnOnce(&mut dyn RngCore) -> T) -> Option<T> {
    if rng.random_range(0..3) == 0 {
        Some(f(rng))
    } else {
        None
    }
}

fn timestamp(rng: &mut dyn RngCore) -> String {
    format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        rng.random_range(10..40),
        rng.random_range(1..13),
        rng.random_range(1..29),
        rng.random_range(0..24),
        rng.random_range(0..60),
        rng.random_range(0..60)
    )
}

fn owner_reference(rng: &mut impl RngCore) -> Value {
    let mut v = json!({
        "apiVersion": "v1",
        "kind": pick(rng, &["Secret", "Deployment", "true"]),
        "name": pick(rng, NAMES),
        "uid": "0b4f6c2e-1f2a-4c3d-9e8f-001122334455",
        "unknownField": "dropped by Go's typed decoding",
    });
    if rng.random() {
        v["controller"] = json!(rng.random::<bool>());
    }
    if rng.random() {
        v["blockOwnerDeletion"] = json!(rng.random::<bool>());
    }
    if rng.random_range(0..4) == 0 {
        v.as_object_mut().expect("object").remove("name");
    }
    v
}

fn managed_fields_entry(rng: &mut impl RngCore) -> Value {
    let mut v = json!({
        "manager": pick(rng, &["kubectl-client-side-apply", "", "controller"]),
        "operation": pick(rng, &["Update", "Apply", ""]),
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {".": {}, "f:KEY": {}}, "f:type": {}},
    });
    if rng.random() {
        v["time"] = json!(timestamp(rng));
    }
    if rng.random() {
        v["subresource"] = json!("status");
    }
    v
}

fn object_meta(rng: &mut impl RngCore, rich_one_in: u32) -> ObjectMeta {
    let rich = rng.random_range(0..rich_one_in) == 0;
    let mut m = ObjectMeta {
        name: pick(rng, NAMES),
        namespace: pick(rng, NAMESPACES),
        labels: string_map(rng, 4),
        annotations: string_map(rng, 4),
        ..ObjectMeta::default()
    };
    if rng.random_range(0..8) == 0 {
        m.name.clear();
    }
    if rich {
        m.generate_name = maybe(rng, |_| "gen-".to_owned()).unwrap_or_default();
        m.self_link = maybe(rng, |_| "/api/v1/x".to_owned()).unwrap_or_default();
        m.uid = maybe(rng, |_| "0b4f6c2e-1f2a".to_owned()).unwrap_or_default();
        m.resource_version = maybe(rng, |_| "12345".to_owned()).unwrap_or_default();
        m.generation = maybe(rng, |r| r.random_range(-3..1000)).unwrap_or(0);
        m.deletion_timestamp = maybe(rng, timestamp);
        m.deletion_grace_period_seconds = maybe(rng, |r| r.random_range(-1..100));
        let n = rng.random_range(0..3);
        m.owner_references = (0..n).map(|_| owner_reference(rng)).collect();
        let n = rng.random_range(0..3);
        m.finalizers = (0..n).map(|_| tricky_string(rng, false)).collect();
        let n = rng.random_range(0..2);
        m.managed_fields = (0..n).map(|_| managed_fields_entry(rng)).collect();
    }
    m
}

fn meta_json(m: &ObjectMeta) -> Value {
    json!({
        "name": m.name, "generateName": m.generate_name, "namespace": m.namespace,
        "selfLink": m.self_link, "uid": m.uid, "resourceVersion": m.resource_version,
        "generation": m.generation, "deletionTimestamp": m.deletion_timestamp,
        "deletionGracePeriodSeconds": m.deletion_grace_period_seconds,
        "labels": m.labels, "annotations": m.annotations,
        "ownerReferences": m.owner_references, "finalizers": m.finalizers,
        "managedFields": m.managed_fields,
    })
}

fn layout_name(l: Layout) -> &'static str {
    match l {
        Layout::Current => "current",
        Layout::Legacy => "legacy",
    }
}

/// Something like a real ciphertext: base64 of random bytes.
fn ciphertext(rng: &mut impl RngCore) -> String {
    use base64::Engine as _;
    let mut b = vec![0u8; rng.random_range(0..700)];
    rng.fill_bytes(&mut b);
    if !b.is_empty() {
        b[0] = 2;
    }
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn sealed_secret(rng: &mut impl RngCore) -> SealedSecret {
    let n = rng.random_range(0..6);
    SealedSecret {
        metadata: object_meta(rng, 4),
        template: SecretTemplate {
            metadata: object_meta(rng, 2),
            type_: maybe(rng, |r| {
                pick(r, &["Opaque", "", "kubernetes.io/tls", "yes"])
            }),
            immutable: maybe(rng, |r| r.random()),
            data: if rng.random_range(0..4) == 0 {
                string_map(rng, 3)
            } else {
                BTreeMap::new()
            },
        },
        encrypted_data: (0..n).map(|_| (short_key(rng), ciphertext(rng))).collect(),
    }
}

fn bytes(rng: &mut impl RngCore, any: bool) -> Zeroizing<Vec<u8>> {
    let v = match rng.random_range(0..4) {
        0 if any => {
            let mut b = vec![0u8; rng.random_range(0..64)];
            rng.fill_bytes(&mut b); // often invalid UTF-8
            b
        }
        _ => tricky_string(rng, false).into_bytes(),
    };
    Zeroizing::new(v)
}

/// `invalid_string_data`: let stringData hold invalid UTF-8 too.
fn secret(rng: &mut impl RngCore, invalid_string_data: bool) -> Secret {
    let n = rng.random_range(0..5);
    let data = (0..n).map(|_| (short_key(rng), bytes(rng, true))).collect();
    let n = rng.random_range(0..3);
    let string_data = (0..n)
        .map(|_| (short_key(rng), bytes(rng, invalid_string_data)))
        .collect();
    Secret {
        metadata: object_meta(rng, 2),
        immutable: maybe(rng, |r| r.random()),
        data,
        string_data,
        type_: maybe(rng, |r| {
            pick(r, &["Opaque", "", "kubernetes.io/dockerconfigjson"])
        }),
    }
}

fn byte_map(m: &BTreeMap<String, Zeroizing<Vec<u8>>>) -> Value {
    m.iter()
        .map(|(k, v)| (k.clone(), json!(v.as_slice())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn sealed_request(s: &SealedSecret, layout: Layout) -> String {
    json!({
        "op": "sealed",
        "layout": layout_name(layout),
        "obj": {
            "metadata": meta_json(&s.metadata),
            "template": {
                "metadata": meta_json(&s.template.metadata),
                "type": s.template.type_,
                "immutable": s.template.immutable,
                "data": s.template.data,
            },
            "encryptedData": s.encrypted_data,
        }
    })
    .to_string()
}

fn secret_request(s: &Secret, layout: Layout) -> String {
    json!({
        "op": "secret",
        "layout": layout_name(layout),
        "obj": {
            "metadata": meta_json(&s.metadata),
            "immutable": s.immutable,
            "data": byte_map(&s.data),
            "stringData": byte_map(&s.string_data),
            "type": s.type_,
        }
    })
    .to_string()
}

fn seed() -> u64 {
    std::env::var("EMPSEAL_EMIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0b_1ec7)
}

#[test]
fn sealed_secrets_match_go_structs() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let mut docs = Vec::new();
    let mut reqs = Vec::new();
    for i in 0..1500 {
        let s = sealed_secret(&mut rng);
        let layout = if i % 2 == 0 {
            Layout::Current
        } else {
            Layout::Legacy
        };
        docs.push(emit::sealed_secret_node(&s, layout));
        reqs.push(sealed_request(&s, layout));
    }
    let answers = goref().batch(&reqs);
    let (mm, st) = compare(&docs, &answers, false);
    eprintln!("sealed secrets: {st:?}");
    mm.assert_none(docs.len());
}

#[test]
fn secrets_match_go_structs() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0x5ec);
    let mut docs = Vec::new();
    let mut reqs = Vec::new();
    let mut secrets = Vec::new();
    for i in 0..1500 {
        let s = secret(&mut rng, false);
        let layout = if i % 2 == 0 {
            Layout::Current
        } else {
            Layout::Legacy
        };
        docs.push(emit::secret_node(&s, layout));
        reqs.push(secret_request(&s, layout));
        secrets.push((s, layout));
    }
    let answers = goref().batch(&reqs);
    let (mut mm, st) = compare(&docs, &answers, false);
    eprintln!("secrets: {st:?}");
    // secret_document is the same bytes, from wiped buffers.
    for ((s, layout), a) in secrets.iter().zip(&answers) {
        let json = emit::secret_document(s, *layout, Format::Json).expect("json never fails");
        if *json != format!("{}\n", a.json) {
            mm.add(
                "secret_document json",
                "secret",
                &format!("{}\n", a.json),
                &json,
            );
        }
        match emit::secret_document(s, *layout, Format::Yaml) {
            Ok(y) if a.yaml_err.is_empty() => {
                if *y != format!("---\n{}", a.yaml)
                    && emit_support::deterministic_order(
                        emit_support::GoUnicode::get(),
                        &emit::secret_node(s, *layout),
                    )
                {
                    mm.add(
                        "secret_document yaml",
                        "secret",
                        &format!("---\n{}", a.yaml),
                        &y,
                    );
                }
            }
            Err(_) if !a.yaml_err.is_empty() => {}
            other => mm.note(format!(
                "secret_document yaml: {:?} vs go err {:?}",
                other.map(|y| y.len()),
                a.yaml_err
            )),
        }
    }
    mm.assert_none(docs.len());
}

/// stringData that is not UTF-8: Go's JSON writes each bad byte as the escape
/// `\ufffd`, a `Node` string can only hold the character U+FFFD, which
/// `to_json` writes raw. The YAML is the same bytes either way (go-yaml reads
/// both as U+FFFD); the JSON differs exactly by that escape.
#[test]
fn invalid_utf8_string_data() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 0xfffd);
    let mut docs = Vec::new();
    let mut reqs = Vec::new();
    while docs.len() < 300 {
        let s = secret(&mut rng, true);
        if s.string_data
            .values()
            .all(|v| std::str::from_utf8(v).is_ok())
        {
            continue;
        }
        docs.push(emit::secret_node(&s, Layout::Current));
        reqs.push(secret_request(&s, Layout::Current));
    }
    let answers = goref().batch(&reqs);
    let u = emit_support::GoUnicode::get();
    let mut mm = Mismatches::default();
    for (doc, a) in docs.iter().zip(&answers) {
        assert!(
            a.json.contains("\\ufffd"),
            "the case must exercise invalid UTF-8"
        );
        let go_json = a.json.replace("\\ufffd", "\u{fffd}");
        let json = emit::to_json(doc);
        if json != go_json {
            mm.add(
                "json (\\ufffd escapes as U+FFFD)",
                &show(doc),
                &go_json,
                &json,
            );
        }
        if emit_support::deterministic_order(u, doc) {
            match emit::try_to_yaml(doc) {
                Ok(y) if y == a.yaml => {}
                Ok(y) => mm.add("yaml", &show(doc), &a.yaml, &y),
                Err(_) if !a.yaml_err.is_empty() => {}
                Err(e) => mm.note(format!("we refuse ({e}), go: {:?}", a.yaml_err)),
            }
        }
    }
    mm.assert_none(docs.len());
}

/// The shape kubeseal prints for a typical sealed env file, both layouts,
/// both formats, through `document`.
#[test]
fn typical_object_documents_match_go() {
    let mut s = SealedSecret::default();
    s.metadata.name = "emp-credentials".into();
    s.metadata.namespace = "emp-paper".into();
    s.template.metadata = s.metadata.clone();
    s.template
        .metadata
        .labels
        .insert("app.kubernetes.io/part-of".into(), "emp".into());
    for (i, k) in [
        "ALPACA_API_KEY",
        "ALPACA_API_SECRET",
        "DB_PASSWORD",
        "KEY10",
        "KEY9",
        "API_KEY",
        "APIKEY2",
    ]
    .iter()
    .enumerate()
    {
        s.encrypted_data
            .insert((*k).into(), format!("AgB{}", "x".repeat(680 + i)));
    }
    let mut mm = Mismatches::default();
    for layout in [Layout::Current, Layout::Legacy] {
        let node = emit::sealed_secret_node(&s, layout);
        let a = goref()
            .batch(&[sealed_request(&s, layout)])
            .pop()
            .expect("answer");
        let y = emit::document(&node, Format::Yaml);
        let j = emit::document(&node, Format::Json);
        if y != format!("---\n{}", a.yaml) {
            mm.add(
                "yaml document",
                &show(&node),
                &format!("---\n{}", a.yaml),
                &y,
            );
        }
        if j != format!("{}\n", a.json) {
            mm.add("json document", &show(&node), &format!("{}\n", a.json), &j);
        }
        // Spot checks of the facts the layouts are about.
        assert_eq!(
            y.matches("creationTimestamp: null").count(),
            if layout == Layout::Legacy { 2 } else { 0 }
        );
        assert!(y.contains("\n    API_KEY: AgB"), "{y}");
        assert!(y.find("API_KEY:").expect("key") < y.find("APIKEY2:").expect("key"));
        assert!(y.find("KEY9:").expect("key") < y.find("KEY10:").expect("key"));
    }
    mm.assert_none(2);
    // An empty template in the current layout still has `metadata: {}`.
    let empty = SealedSecret::default();
    let node = emit::sealed_secret_node(&empty, Layout::Current);
    let a = goref()
        .batch(&[sealed_request(&empty, Layout::Current)])
        .pop()
        .expect("answer");
    assert_eq!(emit::to_yaml(&node), a.yaml);
    assert_eq!(emit::to_json(&node), a.json);
    assert!(
        a.yaml.contains("template:\n    metadata: {}\n"),
        "{}",
        a.yaml
    );
    assert!(a.yaml.contains("encryptedData: {}\n"), "{}", a.yaml);
    // Node::zeroize wipes every string.
    let mut n = node;
    n.zeroize();
    assert!(!emit::to_json(&n).contains("SealedSecret"));
    let _ = Node::Null;
}
