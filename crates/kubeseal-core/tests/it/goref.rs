//! Builds and runs `goref.go`, the Go reference for kubeseal's per-document decoding
//! (shared by the manifest tests).

use empseal_testkit::gotool;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use kubeseal_core::secret::ObjectMeta;
use serde_json::{json, Value as J};

pub fn goref() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("manifest-goref");
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("goref");
        let src = empseal_testkit::repo_root().join("tests/manifest/goref.go");
        gotool::require_go_libraries();
        let status = gotool::go_command(&dir)
            .args(["build", "-o"])
            .arg(&out)
            .arg(&src)
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "cannot build the Go reference (needs go, golang-k8s-sigs-yaml-dev, golang-gopkg-yaml.v2-dev): run `bash .ci/setup`"
        );
        out
    })
}

/// Decodes each document with the Go reference: `Ok(secret as JSON)` or `Err(message)`.
#[allow(dead_code)]
pub fn go_decode(docs: &[(String, bool)]) -> Vec<Result<J, String>> {
    run_decoder(docs, false)
}

/// Decodes each document as kubeseal decodes a SealedSecret: `Ok(object as JSON)` or
/// `Err(message)`.
#[allow(dead_code)]
pub fn go_decode_sealed(docs: &[(String, bool)]) -> Vec<Result<J, String>> {
    run_decoder(docs, true)
}

fn run_decoder(docs: &[(String, bool)], sealed: bool) -> Vec<Result<J, String>> {
    let input: Vec<J> = docs
        .iter()
        .map(|(d, j)| json!({"doc": d, "json": j, "sealed": sealed}))
        .collect();
    run(input)
        .into_iter()
        .map(|r| match r.get("err") {
            Some(e) => Err(e.as_str().unwrap().to_string()),
            None => Ok(r["ok"].clone()),
        })
        .collect()
}

/// Feeds `input` (a JSON array of requests) to the Go reference; its answers, one
/// per request.
fn run(input: Vec<J>) -> Vec<J> {
    let mut child = Command::new(goref())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || serde_json::to_writer(stdin, &input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A document as kubectl prints it: YAML (Go's JSONToYAML) and JSON, each with
/// `true` for JSON.
#[allow(dead_code)]
pub fn kubectl_forms(doc: &J) -> Vec<(String, bool)> {
    let json_text = serde_json::to_string_pretty(doc).unwrap();
    let yaml_text = go_json_to_yaml(std::slice::from_ref(&json_text)).remove(0);
    vec![(yaml_text, false), (json_text, true)]
}

/// Our metadata in the JSON shape Go's struct re-encodes (empty fields omitted; the
/// creation time, which kubeseal never outputs, left out).
#[allow(dead_code)]
pub fn object_meta_json(m: &ObjectMeta) -> J {
    let mut o = serde_json::Map::new();
    let mut put = |k: &str, v: J| {
        o.insert(k.to_string(), v);
    };
    for (k, v) in [
        ("name", &m.name),
        ("generateName", &m.generate_name),
        ("namespace", &m.namespace),
        ("selfLink", &m.self_link),
        ("uid", &m.uid),
        ("resourceVersion", &m.resource_version),
    ] {
        if !v.is_empty() {
            put(k, json!(v));
        }
    }
    if m.generation != 0 {
        put("generation", json!(m.generation));
    }
    if let Some(t) = &m.deletion_timestamp {
        put("deletionTimestamp", json!(t));
    }
    if let Some(d) = m.deletion_grace_period_seconds {
        put("deletionGracePeriodSeconds", json!(d));
    }
    if !m.labels.is_empty() {
        put("labels", json!(m.labels));
    }
    if !m.annotations.is_empty() {
        put("annotations", json!(m.annotations));
    }
    if !m.owner_references.is_empty() {
        put("ownerReferences", json!(m.owner_references));
    }
    if !m.finalizers.is_empty() {
        put("finalizers", json!(m.finalizers));
    }
    if !m.managed_fields.is_empty() {
        put("managedFields", json!(m.managed_fields));
    }
    J::Object(o)
}

/// Go's re-encoded metadata without the creation time (see [`object_meta_json`]).
#[allow(dead_code)]
pub fn go_meta_json(meta: &J) -> J {
    let mut meta = meta.clone();
    if let Some(o) = meta.as_object_mut() {
        o.remove("creationTimestamp");
    }
    meta
}

/// Prints JSON documents as YAML the way kubectl does (`sigs.k8s.io/yaml.JSONToYAML`).
#[allow(dead_code)]
pub fn go_json_to_yaml(docs: &[String]) -> Vec<String> {
    let input: Vec<J> = docs
        .iter()
        .map(|d| json!({"doc": d, "op": "json2yaml"}))
        .collect();
    run(input)
        .into_iter()
        .map(|r| {
            r["yaml"]
                .as_str()
                .unwrap_or_else(|| panic!("json2yaml: {r}"))
                .to_string()
        })
        .collect()
}
