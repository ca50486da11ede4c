//! Good manifests in testdata/manifests/good (kubeseal-shaped SealedSecrets in both
//! layouts and formats; a multi-document Secret file with comments, empty documents
//! and a List): what empseal reads must equal what PyYAML / Python's json read (an
//! independent YAML 1.1 parser), and the style detection must see each file's layout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use kubeseal_core::manifest::{detect_style, read_sealed_secrets, read_secrets};
use kubeseal_core::secret::{Format, Layout};
use serde_json::Value as J;

fn good(name: &str) -> PathBuf {
    empseal_testkit::repo_root()
        .join("testdata/manifests/good")
        .join(name)
}

/// Every object of a file as Python reads it (documents flattened, Lists expanded,
/// `data` values base64-decoded and re-encoded canonically).
fn python_objects(path: &Path) -> Vec<J> {
    let script = r#"
import base64, json, sys, yaml
text = open(sys.argv[1], encoding='utf-8').read()
if sys.argv[1].endswith('.json'):
    dec = json.JSONDecoder(); i = 0; docs = []
    while i < len(text):
        while i < len(text) and text[i].isspace(): i += 1
        if i >= len(text): break
        obj, i = dec.raw_decode(text, i); docs.append(obj)
else:
    docs = list(yaml.safe_load_all(text))
out = []
for d in docs:
    if not d: continue
    items = d['items'] if d.get('kind') == 'List' else [d]
    for o in items:
        if 'data' in o and o.get('kind') == 'Secret':
            o['data'] = {k: base64.b64encode(base64.b64decode(v)).decode() for k, v in o['data'].items()}
        out.append(o)
print(json.dumps(out, default=str))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python (PyYAML) failed, run `bash .ci/setup`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn str_map(v: &J) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sealed_secret_samples_read_like_python() {
    for (name, format, layout) in [
        ("sealed-current.yaml", Format::Yaml, Layout::Current),
        ("sealed-legacy.yaml", Format::Yaml, Layout::Legacy),
        ("sealed-current.json", Format::Json, Layout::Current),
        ("sealed-legacy.json", Format::Json, Layout::Legacy),
        ("sealed-legacy-list.yaml", Format::Yaml, Layout::Legacy),
    ] {
        let path = good(name);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(detect_style(&bytes), (format, layout), "{name}");
        let ours = read_sealed_secrets(name, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let theirs = python_objects(&path);
        assert_eq!(ours.len(), theirs.len(), "{name}");
        for (o, t) in ours.iter().zip(&theirs) {
            assert_eq!(o.metadata.name, t["metadata"]["name"].as_str().unwrap());
            assert_eq!(
                o.metadata.namespace,
                t["metadata"]["namespace"].as_str().unwrap()
            );
            assert_eq!(
                o.metadata.annotations,
                str_map(&t["metadata"]["annotations"]),
                "{name}"
            );
            assert_eq!(
                o.encrypted_data,
                str_map(&t["spec"]["encryptedData"]),
                "{name}"
            );
            let tm = &t["spec"]["template"]["metadata"];
            assert_eq!(
                o.template.metadata.name,
                tm["name"].as_str().unwrap_or_default()
            );
            assert_eq!(o.template.metadata.labels, str_map(&tm["labels"]), "{name}");
            assert_eq!(
                o.template.metadata.annotations,
                str_map(&tm["annotations"]),
                "{name}"
            );
            assert_eq!(
                o.template.type_.as_deref(),
                t["spec"]["template"]["type"].as_str()
            );
            assert_eq!(
                o.template.immutable,
                t["spec"]["template"]["immutable"].as_bool()
            );
            assert_eq!(
                o.scope(),
                kubeseal_core::secret::Scope::from_annotations(&str_map(
                    &t["metadata"]["annotations"]
                ))
            );
        }
    }
}

#[test]
fn multi_document_secrets_read_like_python() {
    let path = good("secrets-multi.yaml");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(detect_style(&bytes), (Format::Yaml, Layout::Current));
    let ours = read_secrets("secrets-multi.yaml", &bytes).unwrap_or_else(|e| panic!("{e}"));
    let theirs = python_objects(&path);
    assert_eq!(ours.len(), 3);
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o.metadata.name, t["metadata"]["name"].as_str().unwrap());
        assert_eq!(
            o.metadata.namespace,
            t["metadata"]["namespace"].as_str().unwrap_or_default()
        );
        assert_eq!(o.metadata.labels, str_map(&t["metadata"]["labels"]));
        assert_eq!(
            o.metadata.annotations,
            str_map(&t["metadata"]["annotations"])
        );
        assert_eq!(o.type_.as_deref(), t["type"].as_str());
        assert_eq!(o.immutable, t["immutable"].as_bool());
        let data: BTreeMap<String, String> = o
            .data
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    base64::engine::general_purpose::STANDARD.encode(v),
                )
            })
            .collect();
        assert_eq!(data, str_map(&t["data"]));
        let sd: BTreeMap<String, String> = o
            .string_data
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8(v.to_vec()).unwrap()))
            .collect();
        assert_eq!(sd, str_map(&t["stringData"]));
    }
}

#[test]
fn style_detection_edge_cases() {
    // kubeseal's own rule: JSON when the first non-space character is '{'.
    assert_eq!(
        detect_style(b"\n  {\"kind\": \"SealedSecret\"}"),
        (Format::Json, Layout::Current)
    );
    assert_eq!(detect_style(b"# c\n{}"), (Format::Yaml, Layout::Current));
    // Only a null creationTimestamp in metadata means the legacy layout.
    assert_eq!(
        detect_style(b"metadata:\n  creationTimestamp: \"2024-01-01T00:00:00Z\"\n").1,
        Layout::Current
    );
    assert_eq!(
        detect_style(b"data:\n  creationTimestamp: null\n").1,
        Layout::Current
    );
    assert_eq!(
        detect_style(b"metadata:\n  creationTimestamp:\n").1,
        Layout::Legacy
    );
    // Unreadable input: defaults for its format.
    assert_eq!(detect_style(b"{ not json"), (Format::Json, Layout::Current));
}
