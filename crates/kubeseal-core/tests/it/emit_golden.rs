//! Golden files (`testdata/emit/`): readable examples of every layout rule.
//!
//! Each `<case>.in.json` is a request to the Go reference; `<case>.yaml` and
//! `<case>.json` are what Go printed for it. The test checks both that Go
//! still prints the golden bytes (so the goldens are Go's, not ours) and that
//! our emitter prints them too. To (re)write the goldens from Go — never from
//! our emitter — run with `EMPSEAL_EMIT_REGEN=1`.

use crate::emit_support;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use emit_support::{diff, goref, node_json};
use kubeseal_core::emit::{self, Node};
use kubeseal_core::secret::{Layout, ObjectMeta, SealedSecret, Secret, SecretTemplate};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use zeroize::Zeroizing;

/// A JSON document read into a [`Node`] with its key order kept.
struct Ordered(Node);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered(Node::Null))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
                Ok(Ordered(Node::Bool(b)))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Ordered, E> {
                Ok(Ordered(Node::Int(i)))
            }
            fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Ordered, E> {
                i64::try_from(u)
                    .map(|i| Ordered(Node::Int(i)))
                    .map_err(E::custom)
            }
            fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
                Ok(Ordered(Node::Str(s.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(Ordered(n)) = a.next_element()? {
                    v.push(n);
                }
                Ok(Ordered(Node::Seq(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some((k, Ordered(n))) = a.next_entry::<String, Ordered>()? {
                    v.push((k, n));
                }
                Ok(Ordered(Node::Map(v)))
            }
        }
        d.deserialize_any(V)
    }
}

fn s(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn str_map(v: &Value, key: &str) -> BTreeMap<String, String> {
    v.get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn meta(v: &Value) -> ObjectMeta {
    ObjectMeta {
        name: s(v, "name"),
        namespace: s(v, "namespace"),
        labels: str_map(v, "labels"),
        annotations: str_map(v, "annotations"),
        ..ObjectMeta::default()
    }
}

fn layout(req: &Value) -> Layout {
    if req["layout"] == "legacy" {
        Layout::Legacy
    } else {
        Layout::Current
    }
}

fn sealed(obj: &Value) -> SealedSecret {
    let t = &obj["template"];
    SealedSecret {
        metadata: meta(&obj["metadata"]),
        template: SecretTemplate {
            metadata: meta(&t["metadata"]),
            type_: t.get("type").and_then(Value::as_str).map(str::to_owned),
            immutable: t.get("immutable").and_then(Value::as_bool),
            data: str_map(t, "data"),
        },
        encrypted_data: str_map(obj, "encryptedData"),
    }
}

fn secret(obj: &Value) -> Secret {
    let bytes = |key: &str| -> BTreeMap<String, Zeroizing<Vec<u8>>> {
        obj.get(key)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let b = v
                            .as_array()
                            .expect("byte array")
                            .iter()
                            .map(|x| x.as_u64().expect("byte") as u8)
                            .collect();
                        (k.clone(), Zeroizing::new(b))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Secret {
        metadata: meta(&obj["metadata"]),
        immutable: obj.get("immutable").and_then(Value::as_bool),
        data: bytes("data"),
        string_data: bytes("stringData"),
        type_: obj.get("type").and_then(Value::as_str).map(str::to_owned),
    }
}

fn dir() -> PathBuf {
    empseal_testkit::repo_root().join("testdata/emit")
}

#[test]
fn goldens_are_go_output_and_ours() {
    let regen = std::env::var_os("EMPSEAL_EMIT_REGEN").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("testdata/emit")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".in.json"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 10, "golden inputs are missing");

    let mut failures = Vec::new();
    for input in &inputs {
        let name = input
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .trim_end_matches(".in.json")
            .to_owned();
        let text = std::fs::read_to_string(input).expect("read input");
        let req: Value = serde_json::from_str(&text).expect("input is JSON");
        let (ours, request) = match req["op"].as_str() {
            Some("value") => {
                let Ordered(Node::Map(top)) =
                    serde_json::from_str::<Ordered>(&text).expect("ordered")
                else {
                    panic!("{name}: request is not an object")
                };
                let doc = top.into_iter().find(|(k, _)| k == "doc").expect("doc").1;
                assert!(
                    emit_support::deterministic_order(emit_support::GoUnicode::get(), &doc),
                    "{name}: go-yaml orders these keys differently from run to run (its rule is not transitive on them)"
                );
                let request = format!("{{\"op\":\"value\",\"doc\":{}}}", node_json(&doc));
                (doc, request)
            }
            Some("sealed") => (
                emit::sealed_secret_node(&sealed(&req["obj"]), layout(&req)),
                req.to_string(),
            ),
            Some("secret") => (
                emit::secret_node(&secret(&req["obj"]), layout(&req)),
                req.to_string(),
            ),
            other => panic!("{name}: unknown op {other:?}"),
        };
        let go = goref().batch(&[request]).pop().expect("answer");
        assert!(
            go.yaml_err.is_empty(),
            "{name}: go refused: {}",
            go.yaml_err
        );
        let yaml_path = dir().join(format!("{name}.yaml"));
        let json_path = dir().join(format!("{name}.json"));
        if regen {
            std::fs::write(&yaml_path, &go.yaml).expect("write golden");
            std::fs::write(&json_path, &go.json).expect("write golden");
        }
        let golden_yaml = std::fs::read_to_string(&yaml_path).unwrap_or_else(|_| {
            panic!("{name}.yaml missing (EMPSEAL_EMIT_REGEN=1 writes it from Go)")
        });
        let golden_json = std::fs::read_to_string(&json_path).unwrap_or_else(|_| {
            panic!("{name}.json missing (EMPSEAL_EMIT_REGEN=1 writes it from Go)")
        });
        let checks = [
            ("go yaml vs golden", &golden_yaml, go.yaml.clone()),
            ("go json vs golden", &golden_json, go.json.clone()),
            (
                "our yaml vs golden",
                &golden_yaml,
                emit::try_to_yaml(&ours).expect("no refusal"),
            ),
            ("our json vs golden", &golden_json, emit::to_json(&ours)),
        ];
        for (what, golden, got) in checks {
            if *golden != got {
                failures.push(format!("{name}: {what}\n{}", diff(golden, &got)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
